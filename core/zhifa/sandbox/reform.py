"""Reforms: dated overrides of the rules' parameters (:mod:`zhifa.sandbox.params`), validated
whole before anything runs, composed and compared.

A reform is a file (YAML or JSON) or a dict::

    name: 免罚清单扩围
    description: more first minor violations go unpunished, lower ratios for class A
    changes:
      sampling.HZXH-SJ.ratio.A: {2027-01-01: 0.01}
      no_penalty.FOOD-LABEL-01: {2027-01-01: true}
      publication.short_months: {2027-01-01: 1, 2028-01-01: 2}

Each path maps the day a value takes effect to the value (a bare value takes effect from the
beginning). On a day, a parameter has the value of the latest change on or before it, else its
baseline (the rules as installed). Every fault of a reform is found before it is used and
reported as one sentence per path (:class:`~zhifa.errors.FieldError`, exit 2): an unknown path
(with the nearest known ones), a value of the wrong kind, a share outside 0–1, a range the wrong
way round or outside the statute's own range, class D exempted.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from zhifa.errors import FieldError, InputError
from zhifa.rules import CREDIT_CLASSES
from zhifa.rules.sampling import check_exempt
from zhifa.sandbox.params import Parameter, Parameters, to_json

BEGINNING = date(1900, 1, 1)
"""The effective day of a value given without a day."""


@dataclass(frozen=True, slots=True)
class Reform:
    """A named set of dated parameter values: ``changes[path]`` is ((effective day, value), …)
    in day order, values already checked and converted to their kind."""

    name: str
    changes: Mapping[str, tuple[tuple[date, Any], ...]] = field(default_factory=dict)
    description: str = ""

    def value(self, parameter: Parameter, day: date) -> Any:
        """The value of ``parameter`` on ``day``: the latest change on or before it, else the
        baseline."""
        found = parameter.value
        for effective, value in self.changes.get(parameter.path, ()):
            if effective > day:
                break
            found = value
        return found

    def then(self, other: Reform) -> Reform:
        """This reform with ``other`` laid over it: where both change a path on the same day,
        ``other``'s value wins."""
        merged: dict[str, dict[date, Any]] = {p: dict(v) for p, v in self.changes.items()}
        for path, values in other.changes.items():
            merged.setdefault(path, {}).update(dict(values))
        return Reform(
            f"{self.name} + {other.name}",
            {p: tuple(sorted(v.items())) for p, v in merged.items()},
            "; ".join(d for d in (self.description, other.description) if d),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "changes": {
                path: {d.isoformat(): to_json(v) for d, v in values}
                for path, values in self.changes.items()
            },
        }


BASELINE = Reform("baseline", {}, "the rules as installed")


def diff(a: Reform, b: Reform, params: Parameters, days: list[date]) -> list[dict[str, Any]]:
    """Where two reforms give a parameter different values on any of ``days`` (and on every day
    either changes it): path, day, value under ``a``, value under ``b``."""
    out = []
    for path in sorted(set(a.changes) | set(b.changes)):
        p = params[path]
        when = sorted(
            {
                *days,
                *(d for d, _ in a.changes.get(path, ())),
                *(d for d, _ in b.changes.get(path, ())),
            }
        )
        for day in when:
            va, vb = a.value(p, day), b.value(p, day)
            if va != vb:
                out.append(
                    {"path": path, "day": day.isoformat(), "a": to_json(va), "b": to_json(vb)}
                )
    return out


# -- reading and checking ------------------------------------------------------------------------


def load_reform(source: str | Path | Mapping[str, Any], params: Parameters) -> Reform:
    """A reform from a YAML or JSON file or a dict, checked whole against ``params``."""
    if isinstance(source, Mapping):
        raw: Any = source
        where = "the reform"
    else:
        path = Path(source)
        where = str(path)
        try:
            text = path.read_text("utf-8")
        except FileNotFoundError:
            raise InputError(
                f"no reform file {path}; give the path of a YAML or JSON file"
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(
                f"cannot read the reform file {path} ({exc}); give a UTF-8 text file"
            ) from None
        try:
            raw = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
        except (ValueError, yaml.YAMLError) as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise InputError(
                f"{path} is not valid {'JSON' if path.suffix.lower() == '.json' else 'YAML'}: {first}"
            ) from None
    if not isinstance(raw, Mapping):
        raise InputError(f"{where} must be a mapping with name and changes")
    unknown = sorted(set(raw) - {"name", "description", "changes"})
    if unknown:
        raise InputError(
            f"{where} has unknown key {', '.join(map(str, unknown))}; the keys are name, description and changes"
        )
    changes = raw.get("changes") or {}
    if not isinstance(changes, Mapping):
        raise InputError(f"changes in {where} must map a parameter path to its dated values")
    problems: dict[str, str] = {}
    checked: dict[str, tuple[tuple[date, Any], ...]] = {}
    for path, values in changes.items():
        try:
            checked[str(path)] = _dated(str(path), values, params)
        except InputError as fault:
            problems[str(path)] = fault.message
    if problems:
        n = len(problems)
        raise FieldError(
            f"{where} has {n} bad value{'s' if n > 1 else ''}; nothing was run", problems
        )
    name = str(
        raw.get("name") or (Path(source).stem if not isinstance(source, Mapping) else "reform")
    )
    return Reform(name, checked, str(raw.get("description") or ""))


def _dated(path: str, values: Any, params: Parameters) -> tuple[tuple[date, Any], ...]:
    if path not in params:
        near = difflib.get_close_matches(path, list(params), n=3, cutoff=0.6)
        hint = (
            f"; did you mean {' or '.join(near)}?"
            if near
            else "; list them with `zhifa sandbox params`"
        )
        raise InputError(f"no such parameter{hint}")
    p = params[path]
    if not isinstance(values, Mapping):
        values = {BEGINNING: values}
    out = []
    for key, value in values.items():
        day = _day(key)
        out.append((day, convert(p, value)))
    if not out:
        raise InputError("give at least one value, keyed by the day it takes effect")
    return tuple(sorted(out, key=lambda item: item[0]))


def _day(key: Any) -> date:
    if isinstance(key, date):
        return key
    try:
        return date.fromisoformat(str(key))
    except ValueError:
        raise InputError(
            f"{key!r} is not a day; key each value by the day it takes effect (YYYY-MM-DD)"
        ) from None


def _decimal(value: Any, what: str) -> Decimal:
    if isinstance(value, bool):
        raise InputError(f"{value!r} is not {what}")
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InputError(f"{value!r} is not {what}") from None
    if not number.is_finite():
        raise InputError(f"{value!r} is not {what}")
    return number


def _whole(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InputError(f"{value!r} is not {what}")
    return value


def convert(p: Parameter, value: Any) -> Any:
    """``value`` as parameter ``p``'s kind, or :class:`InputError` saying what is wrong."""
    kind = p.kind
    if kind == "ratio":
        share = _decimal(value, "a share")
        if not Decimal(0) <= share <= Decimal(1):
            raise InputError(f"a share must be between 0 and 1, not {value}")
        return share
    if kind in ("count", "days", "months", "years"):
        if value is None and p.value is None:
            return None  # no cap, no limit: what the baseline has
        unit = {"count": "a whole number", "days": "a whole number of days"}.get(
            kind, f"a whole number of {kind}"
        )
        return _whole(value, f"{unit}, zero or more")
    if kind == "yuan":
        amount = _decimal(value, "an amount in yuan")
        if amount < 0:
            raise InputError(f"an amount must be zero or more, not {value}")
        return amount
    if kind in ("score", "points"):
        return float(_decimal(value, "a number"))
    if kind == "flag":
        if not isinstance(value, bool):
            raise InputError(f"{value!r} is not true or false")
        return value
    if kind == "classes":
        if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
            raise InputError("give a list of credit classes, such as [A]")
        bad = sorted(set(value) - set(CREDIT_CLASSES))
        if bad:
            raise InputError(
                f"unknown credit class {', '.join(bad)}; classes are {', '.join(CREDIT_CLASSES)}"
            )
        try:
            check_exempt(frozenset(value))  # the engine's own rule
        except InputError as exc:
            raise InputError(exc.message) from None
        return frozenset(value)
    if kind in ("shares", "range"):
        if not isinstance(value, list | tuple) or len(value) != 2:
            raise InputError(f"give a pair [low, high], not {value!r}")
        low, high = (_decimal(v, "a number") for v in value)
        if low > high:
            raise InputError(f"the low end {low} is above the high end {high}")
        if kind == "shares" and not (Decimal(0) <= low and high <= Decimal(1)):
            raise InputError(
                f"shares of the legal range must be between 0 and 1, not [{low}, {high}]"
            )
        if kind == "range" and p.limits is not None:
            lo, hi = p.limits
            if low < lo or high > hi:
                raise InputError(
                    f"[{low}, {high}] {p.unit} leaves the statute's range {lo}–{hi} {p.unit} "
                    f"({p.basis}); a reform may narrow a fine's range, never widen it"
                )
        return (low, high)
    raise InputError(
        f"parameters of kind {kind} cannot be changed"
    )  # pragma: no cover - KINDS is closed


__all__ = ["BASELINE", "BEGINNING", "Reform", "convert", "diff", "load_reform"]
