"""What the two directories of a draw are built from: the database, read in bulk.

**Directories from the database** (bulk Core selects, no ORM objects):

* the *target directory* of a plan's year holds every entity with a credit class A–D (an entity
  without a class, or of class E, is left out: the sampling ratios are set per class A–D); a
  risk level other than ``low``/``medium``/``high`` counts as unrated; an entity without a
  registration date is treated as registered long ago (never a new business); ``asked`` is 1 for
  an entity that asked to be inspected that year (``inspection_requests``), and
  ``inspected_this_year`` counts its visits in the draws of that year whose tasks were not all
  cancelled (``draw_tasks``: a joint visit is one inspection);
* the *inspector directory* holds every officer with the role ``inspector``, with their
  certificate, ``specialties`` and ``regions``, the declared conflicts (``officer_conflicts``) of
  those officers, and each entity's last inspection: the officers of the inspection matter
  opened last for it (those assigned, or the team drawn before the assignment).

**Requests for inspection.** :func:`request_inspection` records that an entity asked to be
inspected in a year (the ``asked`` column above); :func:`inspection_requests` lists a year's.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import numpy as np
import sqlalchemy as sa
from numpy.typing import NDArray
from sqlalchemy.orm import Session

from zhifa.directory import find_entity
from zhifa.errors import InputError
from zhifa.inspections.directories import Inspector, InspectorDirectory, TargetDirectory
from zhifa.rules import CREDIT_CLASSES, RISK_LEVELS
from zhifa.store import Store
from zhifa.store.tables import (
    DrawTask,
    Entity,
    InspectionRequest,
    Matter,
    Officer,
    OfficerConflict,
)

CANCELLED = "cancelled"  # the dead end of the workflow a task becomes


# -- directories from the database ----------------------------------------------------------------


def _codes(text: str) -> frozenset[str]:
    return frozenset(part.strip() for part in text.split(",") if part.strip())


def target_directory(session: Session, year: int) -> TargetDirectory:
    """The target directory from the ``entities`` table for a plan of ``year`` (rules in the
    module documentation)."""
    e = Entity.__table__.c
    rows = session.execute(
        sa.select(
            e.id,
            e.credit_class,
            e.risk_level,
            e.region_code,
            e.industry,
            e.registered_on,
            e.key_supervision,
        )
        .where(e.credit_class.in_(CREDIT_CLASSES))
        .order_by(e.id)
    ).all()
    ids, classes, risks, regions, industries, registered, key = (
        (list(column) for column in zip(*rows, strict=True))
        if rows
        else ([], [], [], [], [], [], [])
    )
    id_array = np.array(ids, dtype=np.int64)
    return TargetDirectory.build(
        id_array,
        classes,
        risk_level=[r if r in RISK_LEVELS else "" for r in risks],
        region=regions,
        industry=industries,
        registered_on=np.array([d.toordinal() if d else 1 for d in registered], dtype=np.int32),
        key_supervision=np.array(key, dtype=bool),
        asked=_per_entity(id_array, _asked(session, year)),
        inspected_this_year=_per_entity(id_array, _random_inspections(session, year)),
    )


def _per_entity(ids: NDArray[np.int64], counts: Mapping[int, int]) -> NDArray[np.int32]:
    """``counts`` (entity id → number) as a column aligned with the sorted ``ids``."""
    out = np.zeros(ids.shape[0], dtype=np.int32)
    if counts:
        keys = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        values = np.fromiter(counts.values(), dtype=np.int32, count=len(counts))
        rows = np.searchsorted(ids, keys)
        inside = rows < ids.shape[0]
        inside[inside] = ids[rows[inside]] == keys[inside]
        out[rows[inside]] = values[inside]
    return out


def _asked(session: Session, year: int) -> dict[int, int]:
    """Entities that asked to be inspected in ``year`` (``zhifa entity request-inspection``)."""
    r = InspectionRequest.__table__.c
    return {entity: 1 for entity in session.scalars(sa.select(r.entity_id).where(r.year == year))}


def _random_inspections(session: Session, year: int) -> dict[int, int]:
    """Random inspections of each entity in ``year``: the visits of that year's draws (a joint
    visit of several departments is one inspection) whose tasks were not all cancelled."""
    t = DrawTask.__table__.c
    m = Matter.__table__.c
    visits = (
        sa.select(t.entity_id, t.draw_id, t.visit)
        .join(Matter.__table__, m.id == t.matter_id)
        .where(t.year == year, m.state != CANCELLED)
        .distinct()
        .subquery()
    )
    query = sa.select(visits.c.entity_id, sa.func.count()).group_by(visits.c.entity_id)
    return {entity: n for entity, n in session.execute(query)}


def last_inspections(session: Session) -> dict[int, tuple[str, ...]]:
    """The officers of each entity's last inspection: the inspection matter (of any source, not
    cancelled) opened last, with the inspectors it was assigned, or before its assignment the
    team a draw chose for it."""
    m = Matter.__table__.c
    found: dict[int, tuple[str, ...]] = {}
    rows = session.execute(
        sa.select(m.entity_id, m.data)
        .where(m.workflow == "inspection", m.state != CANCELLED, m.entity_id.is_not(None))
        .order_by(m.entity_id, m.opened_at, m.id)
    )
    for entity, data in rows:
        officers = (data.get("assign") or {}).get("inspectors") or (data.get("open") or {}).get(
            "team"
        )
        if officers:
            found[entity] = tuple(sorted(str(o) for o in officers))
    return found


def inspector_directory(session: Session) -> InspectorDirectory:
    """The inspector directory from ``officers``, ``officer_conflicts`` and each entity's last
    inspection (:func:`last_inspections`)."""
    o = Officer.__table__.c
    officers = [
        Inspector(
            row.id,
            row.department_code,
            row.certificate_valid_from,
            row.certificate_valid_to,
            _codes(row.specialties),
            _codes(row.regions),
        )
        for row in session.execute(
            sa.select(
                o.id,
                o.department_code,
                o.roles,
                o.certificate_valid_from,
                o.certificate_valid_to,
                o.specialties,
                o.regions,
            ).order_by(o.id)
        )
        if "inspector" in _codes(row.roles)
    ]
    known = {officer.id for officer in officers}
    c = OfficerConflict.__table__.c
    conflicts = [
        (officer, entity)
        for officer, entity in session.execute(
            sa.select(c.officer_id, c.entity_id).order_by(c.entity_id, c.officer_id)
        )
        if officer in known
    ]
    return InspectorDirectory.build(officers, conflicts, last_inspections(session))


# -- requests for inspection -----------------------------------------------------------------------


def request_inspection(
    store: Store, entity: str | int, year: int, on: date, note: str = ""
) -> InspectionRequest:
    """Record that ``entity`` asked to be inspected in ``year`` (a class the plans leave alone,
    无事不扰, is then drawn as the plan's ratio says); asking again replaces the note."""
    if not 2000 <= year <= 2100:
        raise InputError(f"year {year} is not a plan year; give the year as four digits")
    if on.year > year:
        raise InputError(
            f"a request made on {on} cannot be for the earlier year {year}; give --year {on.year} "
            "or later"
        )
    with store.write() as session:
        found = find_entity(session, entity)
        row = session.get(InspectionRequest, (found.id, year))
        if row is None:
            row = InspectionRequest(entity_id=found.id, year=year, requested_on=on, note=note)
            session.add(row)
        else:
            row.requested_on, row.note = on, note
        session.flush()
        session.expunge(row)
        return row


def inspection_requests(store: Store, year: int) -> list[tuple[str, str, date, str]]:
    """The requests for inspection of ``year``: (entity code, name, requested on, note)."""
    r = InspectionRequest.__table__.c
    e = Entity.__table__.c
    with store.read() as session:
        return [
            (uscc, name, on, note)
            for uscc, name, on, note in session.execute(
                sa.select(e.uscc, e.name, r.requested_on, r.note)
                .join(Entity.__table__, e.id == r.entity_id)
                .where(r.year == year)
                .order_by(e.uscc)
            )
        ]
