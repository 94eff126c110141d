"""Who acts on a matter: officers read by id (the acting one, and those a step's fields name), and
the problems with an officer taking a step — the role it needs, the matter's department, the
enforcement certificate on the step's date (行政处罚法 第四十二条).

Recusal and the other rules on who may act on a particular matter are guards, which the plugins
provide (the baseline's come from :mod:`zhifa.procedure`) and :mod:`zhifa.engine.checks` runs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa

from zhifa.engine.results import Opening
from zhifa.engine.statements import BULK_CHUNK, OFFICERS, SELECT_OFFICER
from zhifa.errors import InputError, NotFoundError
from zhifa.hooks.types import Actor
from zhifa.roles import ROLES
from zhifa.workflow.definitions import StepSpec


def no_officer(officer_id: str) -> NotFoundError:
    """The error for an officer id that names no officer."""
    return NotFoundError(
        f"officer {officer_id!r} does not exist; list officers with `zhifa officer list`"
    )


def officer(conn: sa.Connection, officer_id: str) -> Actor:
    """The officer ``officer_id``; :class:`NotFoundError` when there is none."""
    row = conn.execute(SELECT_OFFICER, {"z_id": officer_id}).first()
    if row is None:
        raise no_officer(officer_id)
    return Actor.from_row(row)


def permission_problems(step: StepSpec, actor: Actor, department: str, day: date) -> list[str]:
    """Why ``actor`` may not take ``step`` on a matter of ``department`` on ``day`` (none: may)."""
    problems = []
    if not actor.roles & step.roles:
        needed = " or ".join(f"{r} {ROLES[r][0]}" for r in sorted(step.roles))
        held = ", ".join(sorted(actor.roles)) or "none"
        problems.append(f"{actor.label()} holds roles {held}; this step needs {needed}")
    if actor.department != department:
        problems.append(
            f"{actor.label()} belongs to {actor.department}, the matter to {department}"
        )
    if step.certificate:
        problem = actor.certificate_problem(day)
        if problem:
            problems.append(f"{problem} (行政处罚法 第四十二条)")
    return problems


def officers_by_id(conn: sa.Connection, ids: set[str]) -> dict[str, Actor]:
    """The officers ``ids``; :class:`InputError` naming those that do not exist."""
    if not ids:
        return {}
    wanted = sorted(ids)
    found: dict[str, Actor] = {}
    for start in range(0, len(wanted), BULK_CHUNK):
        rows = conn.execute(
            sa.select(OFFICERS).where(OFFICERS.c.id.in_(wanted[start : start + BULK_CHUNK]))
        )
        found.update((r.id, Actor.from_row(r)) for r in rows)
    missing = sorted(ids - set(found))
    if missing:
        raise InputError(
            f"officer {', '.join(repr(m) for m in missing)} named in the step does not exist; "
            "check the ids with `zhifa officer list`"
        )
    return found


def named_officers(
    conn: sa.Connection, step: StepSpec, data: Mapping[str, Any]
) -> dict[str, Actor]:
    """Every officer the step's validated ``data`` names in officer fields."""
    ids: set[str] = set()
    for f in step.fields.values():
        value = data.get(f.name)
        if f.type == "officer" and value:
            ids.add(value)
        elif f.type == "officers" and value:
            ids.update(value)
    return officers_by_id(conn, ids)


def named_in(conn: sa.Connection, step: StepSpec, openings: Sequence[Opening]) -> dict[str, Actor]:
    """Every officer the openings name in officer fields, read in one query."""
    ids: set[str] = set()
    for f in step.fields.values():
        for o in openings:
            value = o.data.get(f.name)
            if f.type == "officer" and isinstance(value, str) and value:
                ids.add(value)
            elif f.type == "officers" and isinstance(value, list | tuple):
                ids.update(str(v) for v in value)
    return officers_by_id(conn, ids)
