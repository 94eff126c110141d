"""Random draws kept in the database: snapshots of the two directories, plans, draws, checks.

The pure draw is :mod:`zhifa.inspections`; this module freezes its inputs from the database, stores
what it used and re-runs it later.

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

**Tasks.** :func:`create_tasks` turns a verified draw into inspection matters in bulk
(:meth:`zhifa.engine.Engine.open_many`): one per department of each visit, with the department's
plan items that apply to the entity's industry (as the target snapshot recorded it), the visit
(``DRAW-VISIT``) and the team drawn; the assignment step then names that team
(guard ``inspectors_as_drawn``), and the result's 20-working-day publication clock runs from the
recorded result.

**Snapshot content.** ``snapshots.content`` is the zlib-compressed (RFC 1950) canonical encoding
that the directory's ``digest()`` hashes (see :mod:`zhifa.inspections`): the magic line, the
JSON header line and the little-endian columns. So ``SHA-256(zlib.decompress(content))`` is the
stored digest, and the columns are read back by their widths and the counts in the header
(targets: ``count`` rows of int64, uint8, int8, int32, int32, int32, uint8, uint8, int32;
inspectors: ``conflicts`` int64 then int32, ``last_inspection`` int64 then int32).
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import sqlalchemy as sa
from numpy.typing import NDArray
from sqlalchemy.exc import IntegrityError as SAIntegrityError
from sqlalchemy.orm import Session

from zhifa.directory import find_entity
from zhifa.engine import Engine, Opening
from zhifa.errors import InputError, IntegrityError, NotFoundError, RefusedError
from zhifa.inspections.directories import (
    Inspector,
    InspectorDirectory,
    TargetDirectory,
    canonical_json,
)
from zhifa.inspections.selection import Plan, PlanItem, draw, verify
from zhifa.rules import CREDIT_CLASSES, RISK_LEVELS
from zhifa.store import Store
from zhifa.store.tables import (
    Department,
    Draw,
    DrawPlan,
    DrawTask,
    Entity,
    InspectionRequest,
    Matter,
    Officer,
    OfficerConflict,
    Snapshot,
)
from zhifa.timekeeping import Clock, SystemClock

TARGETS, INSPECTORS = "targets", "inspectors"
SNAPSHOT_KINDS = (TARGETS, INSPECTORS)
DRAFT, PUBLISHED = "draft", "published"
INSPECTION, CANCELLED = "inspection", "cancelled"  # the workflow a task becomes, its dead end
_TARGET_MAGIC = b"zhifa-targets-1\n"
_INSPECTOR_MAGIC = b"zhifa-inspectors-1\n"
_TARGET_COLUMNS = (
    ("ids", "<i8"),
    ("credit_class", "u1"),
    ("risk_level", "i1"),
    ("region", "<i4"),
    ("industry", "<i4"),
    ("registered_on", "<i4"),
    ("key_supervision", "u1"),
    ("asked", "u1"),
    ("inspected_this_year", "<i4"),
)
_INSPECTOR_COLUMNS = (
    ("conflict_entity", "<i8"),
    ("conflict_officer", "<i4"),
    ("last_entity", "<i8"),
    ("last_officer", "<i4"),
)


# -- encoding --------------------------------------------------------------------------------------


def encode_targets(directory: TargetDirectory) -> bytes:
    """The canonical encoding of a target directory (what its digest hashes)."""
    header = {
        "count": len(directory),
        "industries": list(directory.industries),
        "regions": list(directory.regions),
    }
    parts = [_TARGET_MAGIC, canonical_json(header) + b"\n"]
    for name, dtype in _TARGET_COLUMNS:
        parts.append(np.ascontiguousarray(getattr(directory, name), dtype=dtype).tobytes())
    return b"".join(parts)


def encode_inspectors(directory: InspectorDirectory) -> bytes:
    """The canonical encoding of an inspector directory (what its digest hashes)."""
    header = {
        "conflicts": int(directory.conflict_entity.shape[0]),
        "last_inspection": int(directory.last_entity.shape[0]),
        "officers": [o.as_list() for o in directory.officers],
    }
    parts = [_INSPECTOR_MAGIC, canonical_json(header) + b"\n"]
    for name, dtype in _INSPECTOR_COLUMNS:
        parts.append(np.ascontiguousarray(getattr(directory, name), dtype=dtype).tobytes())
    return b"".join(parts)


def _split(data: bytes, magic: bytes) -> tuple[dict[str, Any], bytes]:
    if not data.startswith(magic):
        raise InputError(f"the snapshot does not start with {magic.decode().strip()}")
    end = data.index(b"\n", len(magic))
    header = json.loads(data[len(magic) : end].decode("utf-8"))
    if not isinstance(header, dict):
        raise InputError("the snapshot's header is not a JSON object")
    return header, data[end + 1 :]


def _columns(body: bytes, layout: tuple[tuple[str, str], ...], counts: list[int]) -> list[Any]:
    out: list[Any] = []
    offset = 0
    for (_name, dtype), count in zip(layout, counts, strict=True):
        width = np.dtype(dtype).itemsize * count
        if offset + width > len(body):
            raise InputError("the snapshot's columns are shorter than its header says")
        out.append(np.frombuffer(body, dtype=dtype, count=count, offset=offset))
        offset += width
    if offset != len(body):
        raise InputError("the snapshot has bytes after its last column")
    return out


def decode_targets(data: bytes) -> TargetDirectory:
    """A target directory back from :func:`encode_targets`."""
    header, body = _split(data, _TARGET_MAGIC)
    n = int(header["count"])
    cols = _columns(body, _TARGET_COLUMNS, [n] * len(_TARGET_COLUMNS))
    return TargetDirectory(
        ids=cols[0],
        credit_class=cols[1],
        risk_level=cols[2],
        region=cols[3],
        industry=cols[4],
        registered_on=cols[5],
        key_supervision=cols[6].astype(bool),
        asked=cols[7].astype(bool),
        inspected_this_year=cols[8],
        regions=tuple(str(r) for r in header["regions"]),
        industries=tuple(str(i) for i in header["industries"]),
    )


def _day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def decode_inspectors(data: bytes) -> InspectorDirectory:
    """An inspector directory back from :func:`encode_inspectors`."""
    header, body = _split(data, _INSPECTOR_MAGIC)
    c, last = int(header["conflicts"]), int(header["last_inspection"])
    cols = _columns(body, _INSPECTOR_COLUMNS, [c, c, last, last])
    officers = tuple(
        Inspector(str(oid), str(dept), _day(start), _day(end), frozenset(spec), frozenset(regs))
        for oid, dept, start, end, spec, regs in header["officers"]
    )
    return InspectorDirectory(officers, *cols)


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


# -- snapshots -------------------------------------------------------------------------------------


def _now(clock: Clock | None) -> datetime:
    return (clock or SystemClock()).now()


def _add_snapshots(
    session: Session, targets: TargetDirectory, inspectors: InspectorDirectory, moment: datetime
) -> tuple[int, int]:
    ids = []
    for kind, rows, digest, data in (
        (TARGETS, len(targets), targets.digest(), encode_targets(targets)),
        (INSPECTORS, len(inspectors), inspectors.digest(), encode_inspectors(inspectors)),
    ):
        if hashlib.sha256(data).hexdigest() != digest:  # the encoding is what the digest hashes
            raise AssertionError(f"the {kind} encoding does not hash to its digest")
        snapshot = Snapshot(
            kind=kind, taken_at=moment, rows=rows, digest=digest, content=zlib.compress(data)
        )
        session.add(snapshot)
        session.flush()
        ids.append(snapshot.id)
    return ids[0], ids[1]


def take_snapshots(
    store: Store, clock: Clock | None = None, year: int | None = None
) -> tuple[int, int]:
    """Freeze both directories as they are now, for a plan of ``year`` (default: this year:
    requests for inspection and random inspections are counted per year); returns (target
    snapshot id, inspector snapshot id)."""
    moment = _now(clock)
    with store.write() as session:
        return _add_snapshots(
            session,
            target_directory(session, year or moment.year),
            inspector_directory(session),
            moment,
        )


@dataclass(frozen=True, slots=True)
class SnapshotInfo:
    id: int
    kind: str
    taken_at: datetime
    rows: int
    digest: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "taken_at": self.taken_at.isoformat(),
            "rows": self.rows,
            "digest": self.digest,
        }


def _snapshot_row(session: Session, snapshot_id: int, kind: str) -> Any:
    s = Snapshot.__table__.c
    row = session.execute(
        sa.select(s.id, s.kind, s.taken_at, s.rows, s.digest, s.content).where(s.id == snapshot_id)
    ).first()
    if row is None:
        raise NotFoundError(
            f"there is no snapshot {snapshot_id}; take one with zhifa snapshot take"
        )
    if row.kind != kind:
        raise InputError(f"snapshot {snapshot_id} is a {row.kind} snapshot, not a {kind} snapshot")
    return row


def _content_problems(row: Any) -> tuple[TargetDirectory | InspectorDirectory | None, list[str]]:
    """The directory a snapshot row holds and what does not match its stored digest."""
    try:
        data = zlib.decompress(row.content)
    except zlib.error:
        return None, [f"snapshot {row.id}'s stored content is not zlib data; it was altered"]
    problems = []
    if hashlib.sha256(data).hexdigest() != row.digest:
        problems.append(
            f"snapshot {row.id}'s stored content no longer matches its stored digest "
            f"{row.digest[:16]}…; it was altered after it was taken"
        )
    try:
        directory: TargetDirectory | InspectorDirectory = (
            decode_targets(data) if row.kind == TARGETS else decode_inspectors(data)
        )
    except (InputError, ValueError, KeyError, TypeError) as exc:
        return None, [*problems, f"snapshot {row.id}'s content cannot be read back: {exc}"]
    return directory, problems


def load_snapshot(
    store: Store, snapshot_id: int, kind: str
) -> TargetDirectory | InspectorDirectory:
    """The directory of a snapshot; :class:`IntegrityError` if its content no longer matches
    its digest."""
    with store.read() as session:
        row = _snapshot_row(session, snapshot_id, kind)
    directory, problems = _content_problems(row)
    if problems or directory is None:
        raise IntegrityError(problems[0] if problems else f"snapshot {snapshot_id} is unreadable")
    return directory


def snapshot_info(store: Store, snapshot_id: int, kind: str) -> SnapshotInfo:
    with store.read() as session:
        row = _snapshot_row(session, snapshot_id, kind)
    return SnapshotInfo(row.id, row.kind, row.taken_at, row.rows, row.digest)


# -- plans -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlanInfo:
    id: int
    plan: Plan
    digest: str
    status: str
    created_at: datetime
    published_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "digest": self.digest,
            "created_at": self.created_at.isoformat(),
            "published_at": self.published_at.isoformat() if self.published_at else None,
            "plan": self.plan.as_dict(),
        }


def _plan_text(plan: Plan) -> str:
    return canonical_json(plan.as_dict()).decode("utf-8")


def create_plan(store: Store, plan: Plan, clock: Clock | None = None) -> int:
    """Store ``plan`` as a draft; returns its id."""
    with store.write() as session:
        row = DrawPlan(
            plan=_plan_text(plan),
            digest=plan.digest(),
            status=DRAFT,
            created_at=_now(clock),
            published_at=None,
        )
        session.add(row)
        session.flush()
        return row.id


def _plan_row(session: Session, plan_id: int, *, lock: bool = False) -> DrawPlan:
    query = sa.select(DrawPlan).where(DrawPlan.id == plan_id)
    if lock:
        query = query.with_for_update()
    row = session.execute(query).scalar()
    if row is None:
        raise NotFoundError(f"there is no plan {plan_id}; create one with zhifa plan create")
    return row


def get_plan(store: Store, plan_id: int) -> PlanInfo:
    with store.read() as session:
        row = _plan_row(session, plan_id)
        return PlanInfo(
            row.id,
            Plan.from_dict(json.loads(row.plan)),
            row.digest,
            row.status,
            row.created_at,
            row.published_at,
        )


def update_plan(store: Store, plan_id: int, plan: Plan) -> None:
    """Replace a draft plan; a published plan is frozen and is refused."""
    with store.write() as session:
        row = _plan_row(session, plan_id, lock=True)
        if row.status != DRAFT:
            raise RefusedError(
                f"plan {plan_id} was published on {row.published_at:%Y-%m-%d %H:%M} and is "
                "frozen; create a new plan instead"
            )
        row.plan = _plan_text(plan)
        row.digest = plan.digest()


def publish_plan(store: Store, plan_id: int, clock: Clock | None = None) -> PlanInfo:
    """Publish a draft plan: from now on it is frozen and can be drawn."""
    with store.write() as session:
        row = _plan_row(session, plan_id, lock=True)
        if row.status != DRAFT:
            raise RefusedError(f"plan {plan_id} is already published; a plan is published once")
        row.status = PUBLISHED
        row.published_at = _now(clock)
    return get_plan(store, plan_id)


# -- draws -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DrawInfo:
    id: int
    plan_id: int
    target_snapshot_id: int
    inspector_snapshot_id: int
    public_value: str
    seed: str
    record: Mapping[str, Any]
    created_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "plan_id": self.plan_id,
            "target_snapshot_id": self.target_snapshot_id,
            "inspector_snapshot_id": self.inspector_snapshot_id,
            "public_value": self.public_value,
            "seed": self.seed,
            "created_at": self.created_at.isoformat(),
            "record": dict(self.record),
        }


def _published(store: Store, plan_id: int) -> PlanInfo:
    info = get_plan(store, plan_id)
    if info.status != PUBLISHED:
        raise RefusedError(
            f"plan {plan_id} is a draft; publish it (zhifa plan publish {plan_id}) before drawing"
        )
    return info


def _add_draw(
    session: Session,
    plan_id: int,
    snapshots: tuple[int, int],
    public_value: str,
    record: dict[str, Any],
    moment: datetime,
) -> DrawInfo:
    row = Draw(
        plan_id=plan_id,
        target_snapshot_id=snapshots[0],
        inspector_snapshot_id=snapshots[1],
        public_value=public_value,
        seed=record["seed"],
        record=canonical_json(record).decode("utf-8"),
        created_at=moment,
    )
    session.add(row)
    session.flush()
    return DrawInfo(
        row.id,
        plan_id,
        snapshots[0],
        snapshots[1],
        public_value,
        record["seed"],
        record,
        moment,
    )


def run_draw(
    store: Store,
    plan_id: int,
    public_value: str,
    target_snapshot: int,
    inspector_snapshot: int,
    clock: Clock | None = None,
) -> DrawInfo:
    """Draw a published plan on two stored snapshots and store the record; returns the draw.

    Refused (exit 1) for a draft plan; an unknown snapshot or one of the wrong kind is bad input;
    a snapshot whose content no longer matches its digest is an :class:`IntegrityError`."""
    info = _published(store, plan_id)
    targets = load_snapshot(store, target_snapshot, TARGETS)
    inspectors = load_snapshot(store, inspector_snapshot, INSPECTORS)
    assert isinstance(targets, TargetDirectory) and isinstance(inspectors, InspectorDirectory)
    record = draw(info.plan, targets, inspectors, public_value).record()
    with store.write() as session:
        return _add_draw(
            session,
            plan_id,
            (target_snapshot, inspector_snapshot),
            public_value,
            record,
            _now(clock),
        )


def draw_fresh(
    store: Store, plan_id: int, public_value: str, clock: Clock | None = None
) -> DrawInfo:
    """Freeze both directories now and draw a published plan on them: the snapshots and the
    draw are written in one transaction, so a refused or infeasible draw writes nothing."""
    info = _published(store, plan_id)
    moment = _now(clock)
    with store.write() as session:
        targets = target_directory(session, info.plan.year)
        inspectors = inspector_directory(session)
        record = draw(info.plan, targets, inspectors, public_value).record()
        ids = _add_snapshots(session, targets, inspectors, moment)
        return _add_draw(session, plan_id, ids, public_value, record, moment)


def get_draw(store: Store, draw_id: int) -> DrawInfo:
    d = Draw.__table__.c
    with store.read() as session:
        row = session.execute(sa.select(Draw.__table__).where(d.id == draw_id)).first()
    if row is None:
        raise NotFoundError(f"there is no draw {draw_id}; run one with zhifa draw run")
    try:
        record = json.loads(row.record)
    except json.JSONDecodeError:
        record = {}
    return DrawInfo(
        row.id,
        row.plan_id,
        row.target_snapshot_id,
        row.inspector_snapshot_id,
        row.public_value,
        row.seed,
        record if isinstance(record, dict) else {},
        row.created_at,
    )


def verify_draw(store: Store, draw_id: int) -> list[str]:
    """Re-run a stored draw from its plan and snapshots and name every difference (empty list:
    confirmed), including snapshot content that no longer matches its stored digest."""
    return _verified(store, draw_id)[0]


def _verified(store: Store, draw_id: int) -> tuple[list[str], TargetDirectory | None]:
    """:func:`verify_draw`'s differences, and the target directory the draw was run on."""
    d = Draw.__table__.c
    with store.read() as session:
        row = session.execute(sa.select(Draw.__table__).where(d.id == draw_id)).first()
        if row is None:
            raise NotFoundError(f"there is no draw {draw_id}; run one with zhifa draw run")
        plan_row = _plan_row(session, row.plan_id)
        plan_text, plan_digest = plan_row.plan, plan_row.digest
        target_row = _snapshot_row(session, row.target_snapshot_id, TARGETS)
        inspector_row = _snapshot_row(session, row.inspector_snapshot_id, INSPECTORS)
    problems: list[str] = []
    targets, found = _content_problems(target_row)
    problems += found
    inspectors, found = _content_problems(inspector_row)
    problems += found
    try:
        plan = Plan.from_dict(json.loads(plan_text))
    except (InputError, json.JSONDecodeError) as exc:
        return [*problems, f"plan {row.plan_id} cannot be read back: {exc}"], None
    if plan.digest() != plan_digest:
        problems.append(f"plan {row.plan_id} no longer matches its stored digest")
    try:
        record = json.loads(row.record)
    except json.JSONDecodeError as exc:
        return [*problems, f"the stored record of draw {draw_id} is not JSON ({exc.msg})"], None
    if isinstance(record, dict):
        if record.get("seed") != row.seed:
            problems.append(f"the record's seed is not the seed stored with draw {draw_id}")
        if record.get("public_value") != row.public_value:
            problems.append(
                f"the record's public value is not the value stored with draw {draw_id}"
            )
    if targets is None or inspectors is None:
        return problems, None
    assert isinstance(targets, TargetDirectory) and isinstance(inspectors, InspectorDirectory)
    differences = verify(record, plan, targets, inspectors, public_value=row.public_value)
    return [*problems, *differences], targets


# -- tasks -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TasksCreated:
    """The inspection matters a draw created: one per task, ``visits`` visits in all."""

    draw_id: int
    matters: tuple[int, ...]
    visits: int
    by_department: Mapping[str, int]

    def as_dict(self) -> dict[str, Any]:
        return {
            "draw": self.draw_id,
            "tasks": len(self.matters),
            "visits": self.visits,
            "by_department": dict(self.by_department),
            "matters": list(self.matters),
        }


def _task_items(plan: Plan, department: str, industry: str) -> list[PlanItem]:
    """The items of ``plan`` that are ``department``'s and apply to an entity of ``industry``."""
    return [
        item
        for item in plan.items
        if (item.department or plan.lead_department) == department
        and (not item.scope or item.scope == industry)
    ]


def create_tasks(
    engine: Engine,
    draw_id: int,
    by: Mapping[str, str],
    at: datetime | None = None,
) -> TasksCreated:
    """Turn every task of a draw into an inspection matter (source ``random_draw``), opened by
    ``by[department]`` (an inspector or head of that department), with the plan's items that
    apply to the entity as its checklist, the visit and the team drawn; each task is also
    recorded in ``draw_tasks``. The draw is verified first: a draw whose record, plan or
    snapshots no longer agree creates nothing (:class:`IntegrityError`). A draw creates its
    tasks once; all are created or none."""
    store = engine.store
    problems, targets = _verified(store, draw_id)
    if problems or targets is None:
        problems = problems or [f"the target snapshot of draw {draw_id} cannot be read"]
        raise IntegrityError(
            f"draw {draw_id} does not verify, so it creates no tasks: {problems[0]}; "
            f"see zhifa draw verify {draw_id}"
        )
    info = get_draw(store, draw_id)
    plan = Plan.from_dict(info.record["plan"])
    t = DrawTask.__table__.c
    with store.read() as session:
        done = session.scalar(sa.select(sa.func.count()).where(t.draw_id == draw_id))
        names = {c: n for c, n in session.execute(sa.select(Department.code, Department.name))}
    if done:
        raise RefusedError(
            f"draw {draw_id} has already created its {done} tasks; a draw creates its tasks once "
            "(list them with zhifa matter list --workflow inspection)"
        )
    rows = info.record["visits"]["rows"]
    needed = sorted({d for _entity, departments, _team in rows for d in departments})
    missing = [d for d in needed if not by.get(d)]
    if missing:
        raise InputError(
            f"no officer named to open the tasks of {', '.join(missing)}; give "
            + " ".join(f"--by {d}=OFFICER" for d in missing)
        )
    unused = sorted(set(by) - set(plan.departments))
    if unused:
        raise InputError(
            f"department {', '.join(unused)} is not in plan {info.plan_id}; leave --by "
            f"{unused[0]} out (the plan's departments: {', '.join(plan.departments)})"
        )
    checklist = engine.plugins.checklists()
    positions = np.searchsorted(targets.ids, np.array([r[0] for r in rows], dtype=np.int64))
    industries = targets.industry[positions].tolist() if rows else []
    openings: list[Opening] = []
    tasks: list[dict[str, Any]] = []
    texts: dict[tuple[str, str], str] = {}
    for visit, ((entity, departments, team), industry_no) in enumerate(
        zip(rows, industries, strict=True)
    ):
        industry = targets.industries[industry_no]
        for department in departments:
            text = texts.get((department, industry))
            if text is None:
                items = _task_items(plan, department, industry)
                text = "\n".join(
                    f"{i.code}: {checklist[i.code].name if i.code in checklist else i.code}"
                    for i in items
                )
                texts[(department, industry)] = text
            summary = (
                f"{plan.year}年双随机抽查（抽查批次 {draw_id}，"
                f"{names.get(department, department)}）"
            )
            openings.append(
                Opening(
                    actor=by[department],
                    data={
                        "source": "random_draw",
                        "draw": str(draw_id),
                        "visit": f"{draw_id}-{visit + 1}",
                        "team": list(team),
                        "summary": summary,
                        "checklist": text,
                    },
                    entity_id=int(entity),
                    department=department,
                )
            )
            tasks.append(
                {
                    "draw_id": draw_id,
                    "visit": visit + 1,
                    "entity_id": int(entity),
                    "department_code": department,
                    "year": plan.year,
                }
            )

    def record_tasks(conn: sa.Connection, ids: Sequence[int]) -> None:
        conn.execute(
            sa.insert(DrawTask),
            [{**task, "matter_id": m} for task, m in zip(tasks, ids, strict=True)],
        )

    try:
        ids = engine.open_many(INSPECTION, openings, at, also=record_tasks)
    except SAIntegrityError:
        raise RefusedError(
            f"draw {draw_id}'s tasks were created by someone else at the same time; "
            "a draw creates its tasks once"
        ) from None
    counts: dict[str, int] = {}
    for task in tasks:
        counts[task["department_code"]] = counts.get(task["department_code"], 0) + 1
    return TasksCreated(draw_id, tuple(ids), len(rows), counts)


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
