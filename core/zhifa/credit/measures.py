"""Which joint measures (联合奖惩措施) apply to an entity on a day for an activity, and why.

:func:`check` brings the entity's credit file up to date with the record, then, for every
measure concerning the activity, selects the entity's records that trigger it on the day (the
same window and end rules as a scheme's indicators: :func:`zhifa.credit.classes.in_window`).
A measure applies when at least one record triggers it (a record corrected on an objection or
repaired triggers none) and no record of its ``unless`` kinds lies in the same window; the answer names the records, the content, the legal basis and who
implements it, punishments (``restricted``) and incentives apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from zhifa.credit.classes import in_window
from zhifa.credit.records import Record, records_of, sync
from zhifa.directory import entity_as_dict, find_entity
from zhifa.errors import InputError
from zhifa.rules.credit import window_start
from zhifa.rules.measures import ACTIVITIES, NATIONAL_MEASURES, Measure
from zhifa.store import Store
from zhifa.store.tables import CreditRecord, Entity


@dataclass(frozen=True, slots=True)
class Applies:
    """A measure that applies, with the records that trigger it."""

    measure: Measure
    records: Sequence[Record]

    def as_dict(self) -> dict[str, Any]:
        return {**self.measure.as_dict(), "because": [r.as_dict() for r in self.records]}


@dataclass(frozen=True, slots=True)
class Checked:
    """The answer of :func:`check`."""

    entity: Entity
    activity: str
    on: date
    applies: Sequence[Applies]

    def as_dict(self) -> dict[str, Any]:
        return {
            "entity": entity_as_dict(self.entity),
            "activity": self.activity,
            "on": self.on.isoformat(),
            "restricted": any(a.measure.effect == "punishment" for a in self.applies),
            "rewarded": any(a.measure.effect == "incentive" for a in self.applies),
            "measures": [a.as_dict() for a in self.applies],
        }


def _barred(session: Session, m: Measure, entity_id: int, on: date) -> bool:
    """Whether a record of one of ``m.unless``'s kinds lies in ``m``'s window on ``on``."""
    if not m.unless:
        return False
    r = CreditRecord.__table__.c
    found = session.scalar(
        sa.select(r.id)
        .where(
            r.entity_id == entity_id,
            r.kind.in_(m.unless),
            r.on >= window_start(on, m.months),
            r.on <= on,
        )
        .limit(1)
    )
    return found is not None


def check(
    store: Store,
    uscc_or_id: str | int,
    activity: str,
    on: date,
    now: datetime,
    measures: Sequence[Measure] = NATIONAL_MEASURES,
) -> Checked:
    """The measures of ``measures`` (the national ones by default; a department's are
    :meth:`zhifa.plugins.Plugins.credit_measures`) concerning ``activity`` that apply to the
    entity on ``on``."""
    if activity not in ACTIVITIES:
        raise InputError(
            f"--for {activity!r} is not an activity measures concern; use one of "
            f"{', '.join(ACTIVITIES)}"
        )
    r = CreditRecord.__table__.c
    with store.write() as session:
        entity = find_entity(session, uscc_or_id)
        sync(session, now)
        by_id = {rec.id: rec for rec in records_of(session, entity.id)}
        applies = []
        for m in measures:
            if activity not in m.activities:
                continue
            ids = session.scalars(
                sa.select(r.id)
                .where(r.entity_id == entity.id, *in_window(m, on, lifted=True))
                .order_by(r.id)
            ).all()
            if ids and not _barred(session, m, entity.id, on):
                applies.append(Applies(m, [by_id[i] for i in ids]))
        session.expunge(entity)
    return Checked(entity, activity, on, applies)
