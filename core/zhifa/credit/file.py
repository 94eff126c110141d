"""One entity's credit file (一户一档) as a whole: the entity, its matters, its credit records, its
class now (computed from the file, with the reasons) and its class history.

:func:`entity_file` brings the file up to date with the record first, so what it shows is never
behind the steps taken.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from zhifa.credit.classes import Explained, Stored, explain, history
from zhifa.credit.records import Record, records_of, sync
from zhifa.directory import entity_as_dict, find_entity
from zhifa.rules.credit import CreditScheme
from zhifa.store import Store
from zhifa.store.tables import Entity, Matter


@dataclass(frozen=True, slots=True)
class MatterLine:
    """A matter of the entity, as its file lists it."""

    id: int
    workflow: str
    state: str
    department: str
    title: str
    opened_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "workflow": self.workflow,
            "state": self.state,
            "department": self.department,
            "title": self.title,
            "opened_at": self.opened_at.isoformat(sep=" "),
        }


@dataclass(frozen=True, slots=True)
class EntityFile:
    """The whole file: ``now`` is the class the scheme gives on ``as_of`` from the file as it
    stands (which the next classification will store); ``history`` the classes stored."""

    entity: Entity
    matters: Sequence[MatterLine]
    records: Sequence[Record]
    now: Explained
    history: Sequence[Stored]

    def as_dict(self) -> dict[str, Any]:
        return {
            "entity": entity_as_dict(self.entity),
            "matters": [m.as_dict() for m in self.matters],
            "records": [r.as_dict() for r in self.records],
            "class_now": self.now.as_dict(),
            "class_history": [h.as_dict() for h in self.history],
        }


def entity_file(
    store: Store, uscc_or_id: str | int, scheme: CreditScheme, as_of: date, now: datetime
) -> EntityFile:
    """The credit file of the entity with this USCC or id (:class:`NotFoundError` if none)."""
    with store.write() as session:
        entity = find_entity(session, uscc_or_id)
        sync(session, now)
        m = Matter.__table__.c
        matters = [
            MatterLine(r.id, r.workflow, r.state, r.department_code, r.title, r.opened_at)
            for r in session.execute(
                sa.select(m.id, m.workflow, m.state, m.department_code, m.title, m.opened_at)
                .where(m.entity_id == entity.id)
                .order_by(m.opened_at, m.id)
            )
        ]
        found = EntityFile(
            entity,
            matters,
            records_of(session, entity.id),
            explain(session, scheme, entity.id, as_of),
            history(session, entity.id),
        )
        session.expunge(entity)
    return found


__all__ = ["EntityFile", "MatterLine", "entity_file"]
