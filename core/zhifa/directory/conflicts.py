"""Conflicts of interest officers declared with market entities (回避, 行政处罚法第四十三条): the
input record, the rules every declaration must meet, declaring one and listing them.

Random draws never send an officer to an entity the officer declared a conflict with. A file of
declarations is imported by :func:`zhifa.directory.importing.import_conflicts`, under the same
rules (:func:`_check_conflicts`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhifa.directory.entities import _entity_ref, _find_entities, _no_entity
from zhifa.directory.officers import _no_officer, find_officer
from zhifa.directory.rows import Cell, _Checker, _chunks, _detached, _text
from zhifa.errors import InputError
from zhifa.store import Store
from zhifa.store.tables import Entity, Officer, OfficerConflict

__all__ = [
    "ConflictIn",
    "declare_conflict",
    "list_conflicts",
]


@dataclass(frozen=True, slots=True)
class ConflictIn:
    """A conflict of interest an officer declared with an entity (回避): the officer's id, the
    entity's USCC or id, the day it was declared and why."""

    officer: str
    entity: int | str
    declared_on: date
    reason: str

    @classmethod
    def parse(cls, *, officer: Cell, entity: Cell, declared_on: Cell, reason: Cell) -> ConflictIn:
        """Check and normalise raw values; raises :class:`InputError` listing every fault."""
        check = _Checker()
        officer_id = check.text("officer", officer, 32, what="officer id (工号)")
        ref: int | str = ""
        entity_text = _text(entity)
        if not entity_text:
            check.faults.append(
                "entity is empty; give the entity's unified social credit code (统一社会信用代码) "
                "or its id"
            )
        else:
            try:
                ref = _entity_ref(entity_text)
            except InputError as exc:
                check.faults.append(exc.message)
        day = check.optional_date("declared_on", declared_on)
        if day is None and not _text(declared_on):
            check.faults.append(
                "declared_on is empty; give the day the conflict was declared, e.g. 2026-03-02"
            )
        text = _text(reason)
        if not text:
            check.faults.append(
                "reason is empty; give the reason of the conflict, e.g. 近亲属在该企业任职"
            )
        check.done()
        assert day is not None  # check.done() raised otherwise
        return cls(officer=officer_id, entity=ref, declared_on=day, reason=text)

    @property
    def key(self) -> str:
        return f"{self.officer} / {self.entity}"


@dataclass(frozen=True, slots=True)
class _Declared:
    """A declaration whose officer and entity were found: the officer id, entity id and USCC."""

    officer: str
    entity_id: int
    uscc: str


def _check_conflicts(
    session: Session, items: Sequence[tuple[int, ConflictIn]]
) -> tuple[dict[int, _Declared], list[tuple[int, list[InputError]]]]:
    """The rules every declaration of a conflict must meet, for one declaration or a file of
    them: the officer and the entity exist, and each officer–entity pair is declared once.

    Returns the declarations that meet them by row, and the others by row with their faults
    (a :class:`NotFoundError` for an unknown officer or entity).
    """
    officer_ids = sorted({item.officer for _, item in items})
    known: set[str] = set()
    for batch in _chunks(officer_ids):
        known.update(session.execute(select(Officer.id).where(Officer.id.in_(batch))).scalars())
    entities = _find_entities(session, [item.entity for _, item in items])
    declared: dict[int, _Declared] = {}
    refused: list[tuple[int, list[InputError]]] = []
    first_row: dict[tuple[str, int], int] = {}
    for row, item in items:
        faults: list[InputError] = []
        if item.officer not in known:
            faults.append(_no_officer(item.officer))
        found = entities.get(item.entity)
        if found is None:
            faults.append(_no_entity(item.entity))
        if faults or found is None:
            refused.append((row, faults))
            continue
        pair = (item.officer, found[0])
        if pair in first_row:
            refused.append(
                (
                    row,
                    [
                        InputError(
                            f"officer {item.officer} and entity {found[1]} are also on row "
                            f"{first_row[pair]}; keep one row per officer and entity"
                        )
                    ],
                )
            )
            continue
        first_row[pair] = row
        declared[row] = _Declared(item.officer, found[0], found[1])
    return declared, refused


def declare_conflict(
    store: Store, officer_id: str, entity: str | int, *, reason: str, declared_on: date
) -> OfficerConflict:
    """Record that an officer declared a conflict of interest with an entity (回避, 行政处罚法
    第四十三条): random draws never send that officer to that entity. A second declaration of
    the same pair is refused (:func:`import_conflicts` updates it instead); nothing is written on
    bad input. The rules are those of :func:`import_conflicts`."""
    item = ConflictIn.parse(
        officer=officer_id, entity=entity, declared_on=declared_on, reason=reason
    )
    with store.write() as session:
        declared, refused = _check_conflicts(session, [(1, item)])
        if refused:
            raise refused[0][1][0]
        found = declared[1]
        if session.get(OfficerConflict, (found.officer, found.entity_id)) is not None:
            raise InputError(
                f"officer {found.officer} already declared a conflict with {found.uscc}; see "
                "`zhifa officer conflicts`, or change it with `zhifa officer conflict-import`"
            )
        row = OfficerConflict(
            officer_id=found.officer,
            entity_id=found.entity_id,
            declared_on=item.declared_on,
            reason=item.reason,
        )
        session.add(row)
        session.flush()
        return _detached(session, [row])[0]


def list_conflicts(
    store: Store, officer_id: str | None = None
) -> list[tuple[OfficerConflict, str]]:
    """Declared conflicts (with the entity's USCC), all or one officer's, by officer and date."""
    with store.read() as session:
        if officer_id is not None:
            find_officer(session, officer_id)
        query = (
            select(OfficerConflict, Entity.uscc)
            .join(Entity, Entity.id == OfficerConflict.entity_id)
            .order_by(OfficerConflict.officer_id, OfficerConflict.declared_on)
        )
        if officer_id is not None:
            query = query.where(OfficerConflict.officer_id == officer_id.strip())
        rows = [(c, uscc) for c, uscc in session.execute(query)]
        _detached(session, [c for c, _ in rows])
        return rows
