"""Credit-risk classes computed from the credit file, dated and explained.

:func:`classify` brings every entity's credit file up to date with the record
(:func:`zhifa.credit.records.sync`), counts in the database what each indicator and override of
the scheme counts (one grouped query each, over the records of its window), scores every entity
at once (:meth:`zhifa.rules.credit.CreditScheme.classify`) and stores a row per entity in
``credit_classes`` with the day, class, score, the scheme's name and version and the reasons. A
classification of the same day by the same scheme replaces that day's rows; earlier days stay as
the entity's class history. When it is the newest classification, each entity's current class
(``entities.credit_class``) is set from it: that is the class the random draws' snapshots read, so
a class takes effect on the next snapshot, never on draws already made.

:func:`explain_entity` runs the same computation for one entity and says why.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol, cast

import numpy as np
import sqlalchemy as sa
from numpy.typing import NDArray
from sqlalchemy.orm import Session

from zhifa.credit.records import corrected, repaired, sync
from zhifa.rules import CREDIT_CLASSES
from zhifa.rules.credit import CreditScheme, Indicator, Override, window_start
from zhifa.store import Store
from zhifa.store.tables import CreditClass, CreditRecord, Entity

CHUNK = 20_000  # rows per INSERT / UPDATE batch
_CLASSES = cast(sa.Table, CreditClass.__table__)
_ENTITIES = cast(sa.Table, Entity.__table__)
_SET_CLASS = (
    sa.update(_ENTITIES)
    .where(_ENTITIES.c.id == sa.bindparam("b_id"))
    .values(credit_class=sa.bindparam("b_class"))
)


class Counted(Protocol):
    """What counts records in a window: an indicator, an override, a joint measure's trigger."""

    @property
    def kind(self) -> str: ...
    @property
    def months(self) -> int: ...
    @property
    def flag(self) -> str | None: ...
    @property
    def ended_by(self) -> str | None: ...


_ENDED = sa.alias(CreditRecord.__table__, "ended")
"""The records that end a listing (made once: an alias is costly to build)."""


def in_window(item: Counted, as_of: date, *, lifted: bool = False) -> list[sa.ColumnElement[bool]]:
    """The conditions on ``credit_records`` of the records ``item`` counts on ``as_of``: its kind
    and flag, dated in its window, not ended by a record of ``ended_by`` of the same matter
    dated on or before ``as_of``, not corrected on an objection, and with ``lifted`` (a joint
    measure) not repaired either."""
    r = CreditRecord.__table__.c
    where = [r.kind == item.kind, r.on >= window_start(as_of, item.months), r.on <= as_of]
    where.append(~corrected(r, as_of))
    if lifted:
        where.append(~repaired(r, as_of))
    if item.flag:
        where.append(r.flags.contains(f",{item.flag},", autoescape=True))
    if item.ended_by:
        end = _ENDED
        where.append(
            ~sa.exists().where(
                end.c.matter_id == r.matter_id, end.c.kind == item.ended_by, end.c.on <= as_of
            )
        )
    return where


def _counted(
    session: Session, item: Indicator | Override, as_of: date, entity: int | None
) -> Sequence[Any]:
    r = CreditRecord.__table__.c
    where = in_window(item, as_of)
    if entity is not None:
        where.append(r.entity_id == entity)
    return session.execute(
        sa.select(r.entity_id, sa.func.count()).where(*where).group_by(r.entity_id)
    ).all()


def count(
    session: Session, scheme: CreditScheme, as_of: date, ids: NDArray[np.int64]
) -> dict[str, NDArray[np.int64]]:
    """Per indicator and override code: how many of its records each entity of ``ids`` (sorted)
    has in its window on ``as_of``."""
    if ids.shape[0] == 1 and scheme.counted:
        return _counted_one(session, scheme, as_of, int(ids[0]))
    out: dict[str, NDArray[np.int64]] = {}
    for item in scheme.counted:
        column = np.zeros(ids.shape[0], dtype=np.int64)
        rows = _counted(session, item, as_of, None)
        if rows:
            keys = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
            values = np.fromiter((row[1] for row in rows), dtype=np.int64, count=len(rows))
            at = np.searchsorted(ids, keys)
            inside = at < ids.shape[0]
            inside[inside] = ids[at[inside]] == keys[inside]
            column[at[inside]] = values[inside]
        out[item.code] = column
    return out


@functools.lru_cache(maxsize=512)
def _summed(item: Indicator | Override, as_of: date) -> sa.ColumnElement[Any]:
    """How many records ``item`` counts on ``as_of``, as a column over one entity's records;
    built once per item and day (building the expression costs more than running it)."""
    return sa.func.coalesce(sa.func.sum(sa.case((sa.and_(*in_window(item, as_of)), 1), else_=0)), 0)


def _counted_one(
    session: Session, scheme: CreditScheme, as_of: date, entity: int
) -> dict[str, NDArray[np.int64]]:
    """:func:`count` for one entity: one query over that entity's records (the
    ``(entity_id, on)`` index) counting every indicator and override at once. A query per item
    filtered by kind and entity may be planned on the ``(kind, on)`` index instead, which SQLite
    does when it has no statistics (zhifa never runs ``ANALYZE``): it then reads every record of
    the kind in the window, seconds for one entity of a large register."""
    r = CreditRecord.__table__.c
    columns = [_summed(item, as_of) for item in scheme.counted]
    row = session.execute(sa.select(*columns).where(r.entity_id == entity, r.on <= as_of)).one()
    return {
        item.code: np.array([int(n)], dtype=np.int64)
        for item, n in zip(scheme.counted, row, strict=True)
    }


@dataclass(frozen=True, slots=True)
class Classified:
    """What one classification run did."""

    as_of: date
    scheme: str
    scheme_version: str
    department: str
    entities: int
    by_class: Mapping[str, int]
    records_added: int
    current: bool  # whether it set the entities' current class

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "scheme": self.scheme,
            "scheme_version": self.scheme_version,
            "department": self.department or None,
            "entities": self.entities,
            "by_class": dict(self.by_class),
            "records_added": self.records_added,
            "current": self.current,
        }


def _reasons(scheme: CreditScheme, counts: Mapping[str, NDArray[np.int64]], n: int) -> list[str]:
    """The reasons of every entity as stored JSON text: indicator and override codes with their
    record counts (the points and class follow from the scheme's version)."""
    codes = [item.code for item in scheme.counted]
    out = ["{}"] * n
    if not codes:
        return out
    matrix = np.stack([counts[c] for c in codes], axis=1)
    hit = np.flatnonzero(matrix.any(axis=1))
    for i, row in zip(hit.tolist(), matrix[hit].tolist(), strict=True):
        out[i] = json.dumps({code: k for code, k in zip(codes, row, strict=True) if k})
    return out


def classify(
    store: Store,
    scheme: CreditScheme,
    as_of: date,
    now: datetime,
    department: str = "",
) -> Classified:
    """Classify every entity on ``as_of`` with ``scheme`` (see the module documentation)."""
    with store.write() as session:
        added = sync(session, now)
        ids = np.fromiter(
            session.execute(sa.select(_ENTITIES.c.id).order_by(_ENTITIES.c.id)).scalars(),
            dtype=np.int64,
        )
        counts = count(session, scheme, as_of, ids)
        scores, classes = scheme.classify(counts, int(ids.shape[0]))
        c = _CLASSES.c
        same_run = (c.as_of == as_of, c.scheme == scheme.name, c.department_code == department)
        session.execute(sa.delete(_CLASSES).where(*same_run))
        reasons = _reasons(scheme, counts, ids.shape[0])
        del counts
        labels: list[str] = [CREDIT_CLASSES[k] for k in classes.tolist()]
        entity_ids: list[int] = ids.tolist()
        points: list[float] = scores.tolist()
        insert = sa.insert(_CLASSES)  # Core executemany: no ORM bookkeeping per row
        for start in range(0, len(entity_ids), CHUNK):  # the rows are made a batch at a time
            part = slice(start, start + CHUNK)
            session.execute(
                insert,
                [
                    {
                        "entity_id": e,
                        "as_of": as_of,
                        "credit_class": k,
                        "score": p,
                        "scheme": scheme.name,
                        "scheme_version": scheme.version,
                        "department_code": department,
                        "reasons": why,
                        "computed_at": now,
                    }
                    for e, k, p, why in zip(
                        entity_ids[part], labels[part], points[part], reasons[part], strict=True
                    )
                ],
            )
        del reasons, points
        newest = session.scalar(sa.select(sa.func.max(c.as_of)))
        current = newest is None or newest <= as_of
        if current:
            _set_current(session, entity_ids, labels)
    by_class = {cls: labels.count(cls) for cls in CREDIT_CLASSES}
    return Classified(
        as_of, scheme.name, scheme.version, department, len(entity_ids), by_class, added, current
    )


def _set_current(session: Session, ids: Sequence[int], labels: Sequence[str]) -> None:
    """Copy the classes to ``entities.credit_class``: an UPDATE by primary key (Core
    executemany), a batch of entities at a time."""
    for start in range(0, len(ids), CHUNK):
        part = slice(start, start + CHUNK)
        session.execute(
            _SET_CLASS,
            [{"b_id": i, "b_class": k} for i, k in zip(ids[part], labels[part], strict=True)],
        )


@dataclass(frozen=True, slots=True)
class Explained:
    """One entity's class on a day and why."""

    as_of: date
    credit_class: str
    score: float
    scheme: str
    scheme_version: str
    reasons: Sequence[Mapping[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "class": self.credit_class,
            "score": self.score,
            "scheme": self.scheme,
            "scheme_version": self.scheme_version,
            "reasons": [dict(r) for r in self.reasons],
        }


def explain(session: Session, scheme: CreditScheme, entity_id: int, as_of: date) -> Explained:
    """The class ``scheme`` gives ``entity_id`` on ``as_of`` from its credit file as stored, with
    every indicator that counted and every override that applied."""
    counts = count(session, scheme, as_of, np.array([entity_id], dtype=np.int64))
    score, cls, reasons = scheme.explain({k: int(v[0]) for k, v in counts.items()})
    return Explained(as_of, cls, score, scheme.name, scheme.version, reasons)


@dataclass(frozen=True, slots=True)
class Stored:
    """One stored classification of an entity (its class history)."""

    as_of: date
    credit_class: str
    score: float
    scheme: str
    scheme_version: str
    department: str
    counts: Mapping[str, int]
    computed_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "class": self.credit_class,
            "score": self.score,
            "scheme": self.scheme,
            "scheme_version": self.scheme_version,
            "department": self.department or None,
            "counts": dict(self.counts),
            "computed_at": self.computed_at.isoformat(sep=" "),
        }


def history(session: Session, entity_id: int) -> list[Stored]:
    """Every stored class of the entity, newest first."""
    c = CreditClass.__table__.c
    rows = session.execute(
        sa.select(CreditClass.__table__)
        .where(c.entity_id == entity_id)
        .order_by(c.as_of.desc(), c.computed_at.desc(), c.id.desc())
    ).all()
    return [
        Stored(
            row.as_of,
            row.credit_class,
            row.score,
            row.scheme,
            row.scheme_version,
            row.department_code,
            json.loads(row.reasons or "{}"),
            row.computed_at,
        )
        for row in rows
    ]
