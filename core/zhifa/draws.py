"""Random draws kept in the database: snapshots of the two directories, plans, draws, checks.

The pure draw is :mod:`zhifa.draw`; this module freezes its inputs from the database, stores
what it used and re-runs it later.

**Directories from the database** (bulk Core selects, no ORM objects):

* the *target directory* holds every entity with a credit class A–D (an entity without a class,
  or of class E, is left out: the sampling ratios are set per class A–D); a risk level other
  than ``low``/``medium``/``high`` counts as unrated; an entity without a registration date is
  treated as registered long ago (never a new business); ``asked`` and ``inspected_this_year``
  are 0 for now (zhifa does not yet record requests for inspection nor count random inspections
  per year);
* the *inspector directory* holds every officer with the role ``inspector``, with their
  certificate, ``specialties`` and ``regions``, and the declared conflicts
  (``officer_conflicts``) of those officers. The officers of each entity's last inspection are
  empty for now (zhifa does not yet create inspection matters from a draw).

**Snapshot content.** ``snapshots.content`` is the zlib-compressed (RFC 1950) canonical encoding
that the directory's ``digest()`` hashes (see :mod:`zhifa.draw_directory`): the magic line, the
JSON header line and the little-endian columns. So ``SHA-256(zlib.decompress(content))`` is the
stored digest, and the columns are read back by their widths and the counts in the header
(targets: ``count`` rows of int64, uint8, int8, int32, int32, int32, uint8, uint8, int32;
inspectors: ``conflicts`` int64 then int32, ``last_inspection`` int64 then int32).
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from zhifa.clock import Clock, SystemClock
from zhifa.draw import Plan, draw, verify
from zhifa.draw_directory import Inspector, InspectorDirectory, TargetDirectory, canonical_json
from zhifa.errors import InputError, IntegrityError, NotFoundError, RefusedError
from zhifa.model import Draw, DrawPlan, Entity, Officer, OfficerConflict, Snapshot
from zhifa.sampling import CREDIT_CLASSES, RISK_LEVELS
from zhifa.store import Store

TARGETS, INSPECTORS = "targets", "inspectors"
SNAPSHOT_KINDS = (TARGETS, INSPECTORS)
DRAFT, PUBLISHED = "draft", "published"
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


def target_directory(session: Session) -> TargetDirectory:
    """The target directory from the ``entities`` table (rules in the module documentation)."""
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
    return TargetDirectory.build(
        np.array(ids, dtype=np.int64),
        classes,
        risk_level=[r if r in RISK_LEVELS else "" for r in risks],
        region=regions,
        industry=industries,
        registered_on=np.array([d.toordinal() if d else 1 for d in registered], dtype=np.int32),
        key_supervision=np.array(key, dtype=bool),
    )


def inspector_directory(session: Session) -> InspectorDirectory:
    """The inspector directory from ``officers`` and ``officer_conflicts``; the officers of each
    entity's last inspection are empty for now."""
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
    return InspectorDirectory.build(officers, conflicts)


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


def take_snapshots(store: Store, clock: Clock | None = None) -> tuple[int, int]:
    """Freeze both directories as they are now; returns (target snapshot id, inspector id)."""
    moment = _now(clock)
    with store.write() as session:
        return _add_snapshots(
            session, target_directory(session), inspector_directory(session), moment
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
        targets = target_directory(session)
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
        return [*problems, f"plan {row.plan_id} cannot be read back: {exc}"]
    if plan.digest() != plan_digest:
        problems.append(f"plan {row.plan_id} no longer matches its stored digest")
    try:
        record = json.loads(row.record)
    except json.JSONDecodeError as exc:
        return [*problems, f"the stored record of draw {draw_id} is not JSON ({exc.msg})"]
    if isinstance(record, dict):
        if record.get("seed") != row.seed:
            problems.append(f"the record's seed is not the seed stored with draw {draw_id}")
        if record.get("public_value") != row.public_value:
            problems.append(
                f"the record's public value is not the value stored with draw {draw_id}"
            )
    if targets is None or inspectors is None:
        return problems
    assert isinstance(targets, TargetDirectory) and isinstance(inspectors, InspectorDirectory)
    return [*problems, *verify(record, plan, targets, inspectors, public_value=row.public_value)]
