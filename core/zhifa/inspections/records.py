"""Plans and draws kept in the database: stored, published, drawn, read back and re-verified.

A plan is stored as a draft (:func:`create_plan`), may change while it is one
(:func:`update_plan`), and is frozen once published (:func:`publish_plan`); only a published
plan is drawn. A draw runs the pure draw (:func:`zhifa.inspections.selection.draw`) on two stored
snapshots (:func:`run_draw`) or on directories frozen in the same transaction
(:func:`draw_fresh`), and keeps its record; :func:`verify_draw` re-runs it later from the stored
plan and snapshots (:func:`zhifa.inspections.verification.verify`), also naming stored content
that no longer matches its digest.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from zhifa.errors import InputError, NotFoundError, RefusedError
from zhifa.inspections.directories import InspectorDirectory, TargetDirectory, canonical_json
from zhifa.inspections.plan import Plan
from zhifa.inspections.selection import draw
from zhifa.inspections.snapshots import (
    INSPECTORS,
    TARGETS,
    _add_snapshots,
    _content_problems,
    _now,
    _snapshot_row,
    load_snapshot,
)
from zhifa.inspections.sources import inspector_directory, target_directory
from zhifa.inspections.verification import verify
from zhifa.store import Store
from zhifa.store.tables import Draw, DrawPlan
from zhifa.timekeeping import Clock

DRAFT, PUBLISHED = "draft", "published"

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
