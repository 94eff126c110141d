"""The arguments of opening and stepping that Python callers give directly (the command line
checks its own): a step's ``data`` is a mapping of field names, its ``at`` a datetime in Beijing
time. Anything else is one :class:`~zhifa.errors.InputError` naming the argument, what was given
and what is expected, before anything is read or written."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from zhifa.errors import InputError


def _given(value: object) -> str:
    """``value`` for a message: its type and a short rendering (never the whole of a big one)."""
    try:
        text = repr(value)
    except RecursionError:  # a structure nested too deep to render
        text = "…"
    if len(text) > 60:
        text = text[:57] + "…"
    return f"a {type(value).__name__} ({text})"


def step_data(data: object, argument: str = "data") -> Mapping[str, Any]:
    """``data`` as the mapping of field names to values a step takes (``None`` is no fields)."""
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise InputError(
            f"{argument} must be a mapping of field names to values, such as "
            f'{{"summary": "…"}}, but {_given(data)} was given; pass a dict'
        )
    return data


def step_time(at: object) -> datetime | None:
    """``at`` as the datetime a step happened (``None`` is now)."""
    if at is None or isinstance(at, datetime):
        return at
    hint = (
        f"; for that day write datetime({at.year}, {at.month}, {at.day}, 9, 0)"
        if isinstance(at, date)
        else ""
    )
    raise InputError(
        f"at must be a datetime in Beijing time, such as datetime(2026, 3, 2, 9, 30), but "
        f"{_given(at)} was given{hint}"
    )
