"""Plans and draws kept in the database: stored, published, drawn, read back and re-verified.

A plan is stored as a draft (:func:`create_plan`), may change while it is one
(:func:`update_plan`), and is frozen once published (:func:`publish_plan`); only a published
plan is drawn. A draw runs the pure draw (:func:`zhifa.inspections.selection.draw`) on two stored
snapshots (:func:`run_draw`) and keeps its record; :func:`verify_draw` re-runs it later from the
stored plan and snapshots (:func:`zhifa.inspections.verification.verify`), also naming stored
content that no longer matches its digest.

A draw cannot be re-rolled. A plan is drawn once (the database holds one draw per plan and
generation), on snapshots taken before the public value was published, and with a value published
after the plan was. Drawing it again is its own recorded act (:func:`redraw`): a reason, the
approval of a head of the plan's lead department, a value published after the draw it replaces,
and no tasks created from that draw yet; the replaced draw stays stored, marked superseded, and
only the current draw creates tasks. These are checked when a draw is written and again by
:func:`verify_draw`, from the stored rows, since a row changed afterwards breaks no hash.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError as SAIntegrityError
from sqlalchemy.orm import Session

from zhifa.directory import officer_as_of
from zhifa.errors import AuthError, InputError, NotFoundError, PermissionRefused, RefusedError
from zhifa.identity import UNAUTHENTICATED, Signed, auth_required
from zhifa.identity import Session as IdSession
from zhifa.inspections.directories import InspectorDirectory, TargetDirectory, canonical_json
from zhifa.inspections.plan import Plan
from zhifa.inspections.selection import draw
from zhifa.inspections.snapshots import (
    INSPECTORS,
    TARGETS,
    _content_problems,
    _now,
    _snapshot_row,
    load_snapshot,
    snapshot_info,
)
from zhifa.inspections.verification import StoredDraw, StoredInputs, stored_problems, verify
from zhifa.store import Store
from zhifa.store.tables import Draw, DrawPlan, DrawTask, Officer
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
    """A stored draw. ``generation`` is 1 for a plan's first draw and one more for each redraw;
    a redraw names the draw it ``replaces``, its ``reason`` and the head who ``approved_by`` it;
    ``superseded_by`` names the redraw that replaced this draw (None: the plan's current draw)."""

    id: int
    plan_id: int
    target_snapshot_id: int
    inspector_snapshot_id: int
    public_value: str
    seed: str
    record: Mapping[str, Any]
    created_at: datetime
    value_published_at: datetime | None = None
    generation: int = 1
    replaces: int | None = None
    reason: str | None = None
    approved_by: str | None = None
    superseded_by: int | None = None
    drawn_by: str | None = None  # the officer who drew (None: not recorded)
    auth: str | None = None  # how they were authenticated: login#ID, token#ID or none

    @property
    def current(self) -> bool:
        """Whether this is its plan's current draw (the one its tasks come from)."""
        return self.superseded_by is None

    def as_dict(self) -> dict[str, Any]:
        published = self.value_published_at
        return {
            "id": self.id,
            "plan_id": self.plan_id,
            "target_snapshot_id": self.target_snapshot_id,
            "inspector_snapshot_id": self.inspector_snapshot_id,
            "public_value": self.public_value,
            "value_published_at": published.isoformat() if published else None,
            "seed": self.seed,
            "created_at": self.created_at.isoformat(),
            "generation": self.generation,
            "replaces": self.replaces,
            "reason": self.reason,
            "approved_by": self.approved_by,
            "superseded_by": self.superseded_by,
            "drawn_by": self.drawn_by,
            "auth": self.auth,
            "current": self.current,
            "record": dict(self.record),
        }


def _published(store: Store, plan_id: int) -> PlanInfo:
    info = get_plan(store, plan_id)
    if info.status != PUBLISHED:
        raise RefusedError(
            f"plan {plan_id} is a draft; publish it (zhifa plan publish {plan_id}) before drawing"
        )
    return info


def _info(session: Session, row: Any) -> DrawInfo:
    d = Draw.__table__.c
    superseded_by = session.scalar(sa.select(d.id).where(d.replaces == row.id))
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
        row.value_published_at,
        row.generation,
        row.replaces,
        row.reason,
        row.approved_by,
        superseded_by,
        row.drawn_by,
        row.auth,
    )


def _current(session: Session, plan_id: int) -> DrawInfo | None:
    d = Draw.__table__.c
    row = session.execute(
        sa.select(Draw.__table__).where(d.plan_id == plan_id).order_by(d.generation.desc()).limit(1)
    ).first()
    return None if row is None else _info(session, row)


def current_draw(store: Store, plan_id: int) -> DrawInfo | None:
    """The plan's current draw (its latest redraw, else its draw), or None if it has none."""
    with store.read() as session:
        return _current(session, plan_id)


def plan_draws(store: Store, plan_id: int) -> list[DrawInfo]:
    """Every draw of a plan, first draw first: each later one is a redraw replacing the one
    before; the last is the current draw."""
    d = Draw.__table__.c
    with store.read() as session:
        rows = session.execute(
            sa.select(Draw.__table__).where(d.plan_id == plan_id).order_by(d.generation)
        ).all()
        return [_info(session, row) for row in rows]


def _drawn_once(plan_id: int, existing: DrawInfo) -> RefusedError:
    return RefusedError(
        f"plan {plan_id} has already been drawn (draw {existing.id}, public value "
        f"{existing.public_value!r}); a plan is drawn once, so to draw it again record a redraw "
        f"with a reason and its lead department head's approval: zhifa draw redraw {plan_id} "
        "--reason ... --approved-by HEAD --public-value ... --value-published-at ..."
    )


def _check_moments(
    store: Store, info: PlanInfo, snapshots: tuple[int, int], published: datetime, now: datetime
) -> None:
    """Refuse a public value published in the future, or not after the plan's publication and
    both snapshots: the plan and the directories must be frozen before the value is known."""
    if published > now:
        raise InputError(
            f"--value-published-at {published:%Y-%m-%d %H:%M:%S} is later than now "
            f"({now:%Y-%m-%d %H:%M:%S}); give the moment the public value was actually published"
        )
    if info.published_at is not None and info.published_at >= published:
        raise RefusedError(
            f"plan {info.id} was published at {info.published_at:%Y-%m-%d %H:%M:%S}, not before "
            f"the public value ({published:%Y-%m-%d %H:%M:%S}); a plan is drawn only with a "
            "value published after the plan froze: use a later public value"
        )
    for snapshot_id, kind in zip(snapshots, (TARGETS, INSPECTORS), strict=True):
        taken = snapshot_info(store, snapshot_id, kind).taken_at
        if taken >= published:
            raise RefusedError(
                f"{kind} snapshot {snapshot_id} was taken at {taken:%Y-%m-%d %H:%M:%S}, not "
                f"before the public value was published ({published:%Y-%m-%d %H:%M:%S}); a draw "
                "uses directories frozen before the value is known: draw on snapshots taken "
                "earlier (zhifa snapshot list)"
            )


def _computed(
    store: Store, info: PlanInfo, public_value: str, snapshots: tuple[int, int]
) -> dict[str, Any]:
    targets = load_snapshot(store, snapshots[0], TARGETS)
    inspectors = load_snapshot(store, snapshots[1], INSPECTORS)
    assert isinstance(targets, TargetDirectory) and isinstance(inspectors, InspectorDirectory)
    return draw(info.plan, targets, inspectors, public_value).record()


def _add_draw(session: Session, values: dict[str, Any], record: dict[str, Any]) -> int:
    row = Draw(**values, seed=record["seed"], record=canonical_json(record).decode("utf-8"))
    session.add(row)
    session.flush()
    return row.id


def _drawer(session: Session, by: str | IdSession | None, now: datetime) -> dict[str, Any]:
    """Who draws and how they were authenticated (see :class:`zhifa.identity.Signed`): on a
    store that requires authentication, ``by`` must be a session; elsewhere an officer id or
    nobody, marked ``none``."""
    conn = session.connection()
    if by is None:
        if auth_required(conn):
            raise AuthError(
                "this database requires the officer who draws to be authenticated: log in with "
                "`zhifa login --officer ID` (Python: pass by=a zhifa.identity.Session)"
            )
        return {"drawn_by": None, "auth": UNAUTHENTICATED}
    officer, mark = Signed().acting(conn, by, now)
    if session.get(Officer, officer) is None:
        raise NotFoundError(
            f"officer {officer!r} does not exist; check the id with `zhifa officer list`"
        )
    return {"drawn_by": officer, "auth": mark}


def run_draw(
    store: Store,
    plan_id: int,
    public_value: str,
    target_snapshot: int,
    inspector_snapshot: int,
    *,
    value_published_at: datetime,
    clock: Clock | None = None,
    by: str | IdSession | None = None,
) -> DrawInfo:
    """Draw a published plan on two stored snapshots and store the record; returns the draw.

    A plan is drawn once: a plan that has a draw is refused (also by the database, so two draws
    racing on one plan cannot both land; see :func:`redraw`). ``value_published_at`` is when the
    public value was published: refused unless the plan was published and both snapshots were
    taken before it. Refused (exit 1) for a draft plan; an unknown snapshot or one of the wrong
    kind is bad input; a snapshot whose content no longer matches its digest is an
    :class:`IntegrityError`."""
    info = _published(store, plan_id)
    existing = current_draw(store, plan_id)
    if existing is not None:
        raise _drawn_once(plan_id, existing)
    snapshots = (target_snapshot, inspector_snapshot)
    now = _now(clock)
    _check_moments(store, info, snapshots, value_published_at, now)
    record = _computed(store, info, public_value, snapshots)
    values = _values(plan_id, snapshots, public_value, value_published_at, now)
    try:
        with store.write() as session:
            drawer = _drawer(session, by, now)
            draw_id = _add_draw(session, {**values, **drawer, "generation": 1}, record)
    except SAIntegrityError:
        winner = current_draw(store, plan_id)
        if winner is None:  # pragma: no cover - the conflict was not a draw of this plan
            raise
        raise _drawn_once(plan_id, winner) from None
    return get_draw(store, draw_id)


def _values(
    plan_id: int,
    snapshots: tuple[int, int],
    public_value: str,
    value_published_at: datetime,
    now: datetime,
) -> dict[str, Any]:
    return {
        "plan_id": plan_id,
        "target_snapshot_id": snapshots[0],
        "inspector_snapshot_id": snapshots[1],
        "public_value": public_value,
        "value_published_at": value_published_at,
        "created_at": now,
    }


def _tasks_of(session: Session, draw_id: int) -> int:
    t = DrawTask.__table__.c
    return int(session.scalar(sa.select(sa.func.count()).where(t.draw_id == draw_id)) or 0)


def _check_approver(store: Store, officer_id: str, department: str, now: datetime) -> str:
    with store.read() as session:
        record = officer_as_of(session, officer_id, now)
    if "head" not in record.role_set or record.department_code != department:
        raise PermissionRefused(
            f"officer {record.id} ({record.name}) is not a head of {department}, the plan's lead "
            f"department; a redraw is approved by a head of {department}: give --approved-by "
            "one of them"
        )
    return record.id


def redraw(
    store: Store,
    plan_id: int,
    public_value: str,
    *,
    reason: str,
    approved_by: str,
    value_published_at: datetime,
    target_snapshot: int | None = None,
    inspector_snapshot: int | None = None,
    clock: Clock | None = None,
    by: str | IdSession | None = None,
) -> DrawInfo:
    """Draw a plan again as its own recorded act: the new draw replaces the plan's current draw
    (which stays stored, marked superseded) and records ``reason`` and the approving officer,
    who must hold the ``head`` role in the plan's lead department.

    Refused when the plan has no draw yet, when the current draw has created tasks (inspections
    have started on it), or when the new public value was not published after the current draw
    was recorded (a redraw cannot choose among values already known). The snapshots default to
    the current draw's; like any draw's they must be older than the public value. A blank reason
    is bad input. Where the store authenticates, the approving head is the officer who draws
    (``by``)."""
    if not reason.strip():
        raise InputError(
            "a redraw needs a reason: give --reason with why the plan is drawn again (it is kept "
            "and published with both draws)"
        )
    info = _published(store, plan_id)
    replaced = current_draw(store, plan_id)
    if replaced is None:
        raise RefusedError(
            f"plan {plan_id} has not been drawn, so there is nothing to redraw; draw it with "
            f"zhifa draw run {plan_id}"
        )
    now = _now(clock)
    officer = _check_approver(store, approved_by, info.plan.lead_department, now)
    if value_published_at <= replaced.created_at:
        raise RefusedError(
            f"the public value of a redraw must be published after the draw it replaces (draw "
            f"{replaced.id}, recorded at {replaced.created_at:%Y-%m-%d %H:%M:%S}), not at "
            f"{value_published_at:%Y-%m-%d %H:%M:%S}; use a value published later"
        )
    snapshots = (
        replaced.target_snapshot_id if target_snapshot is None else target_snapshot,
        replaced.inspector_snapshot_id if inspector_snapshot is None else inspector_snapshot,
    )
    _check_moments(store, info, snapshots, value_published_at, now)
    record = _computed(store, info, public_value, snapshots)
    values = {
        **_values(plan_id, snapshots, public_value, value_published_at, now),
        "generation": replaced.generation + 1,
        "replaces": replaced.id,
        "reason": reason.strip(),
        "approved_by": officer,
    }
    try:
        with store.write() as session:
            _plan_row(session, plan_id, lock=True)  # create_tasks locks it too
            drawer = _drawer(session, by, now)
            if drawer["auth"] != UNAUTHENTICATED and drawer["drawn_by"] != officer:
                raise PermissionRefused(
                    f"a redraw is approved by the head who takes it: {officer} approves, but "
                    f"{drawer['drawn_by']} is logged in; {officer} logs in and runs the redraw"
                )
            values |= drawer
            done = _tasks_of(session, replaced.id)
            if done:
                raise RefusedError(
                    f"draw {replaced.id} of plan {plan_id} has already created its {done} tasks: "
                    "inspections have started on it, so it cannot be redrawn; a plan that must "
                    "be inspected differently needs a new plan (zhifa plan create)"
                )
            draw_id = _add_draw(session, values, record)
    except SAIntegrityError:
        winner = current_draw(store, plan_id)
        raise RefusedError(
            f"plan {plan_id}'s draw {replaced.id} was redrawn by someone else at the same time "
            f"(draw {winner.id if winner else '?'}); see zhifa draw show "
            f"{winner.id if winner else replaced.id}"
        ) from None
    return get_draw(store, draw_id)


def get_draw(store: Store, draw_id: int) -> DrawInfo:
    d = Draw.__table__.c
    with store.read() as session:
        row = session.execute(sa.select(Draw.__table__).where(d.id == draw_id)).first()
        if row is None:
            raise NotFoundError(f"there is no draw {draw_id}; run one with zhifa draw run")
        return _info(session, row)


def verify_draw(store: Store, draw_id: int) -> list[str]:
    """Re-run a stored draw from its plan and snapshots and name every difference (empty list:
    confirmed), including snapshot content that no longer matches its stored digest, and re-check
    the order its stored rows give it (:func:`zhifa.inspections.verification.stored_problems`):
    plan and snapshots before the public value, the value before the draw, a redraw replacing
    the earlier draw of its plan with a lead-department head's approval."""
    return _verified(store, draw_id)[0]


def _stored_draw(row: Any) -> StoredDraw:
    return StoredDraw(
        row.id,
        row.plan_id,
        row.created_at,
        row.value_published_at,
        row.generation,
        row.replaces,
        row.reason,
        row.approved_by,
    )


def _stored_inputs(
    session: Session, row: Any, plan_row: DrawPlan, snapshot_rows: tuple[Any, Any]
) -> StoredInputs:
    """The stored rows around draw ``row``, as :func:`stored_problems` re-checks them."""
    try:
        lead = str(json.loads(plan_row.plan).get("lead_department") or "")
    except (json.JSONDecodeError, AttributeError):
        lead = ""
    replaced = None
    if row.replaces is not None:
        d = Draw.__table__.c
        old = session.execute(sa.select(Draw.__table__).where(d.id == row.replaces)).first()
        replaced = None if old is None else _stored_draw(old)
    approver = None
    if row.approved_by:
        try:
            approver = officer_as_of(session, row.approved_by, row.created_at)
        except NotFoundError:
            approver = None
    return StoredInputs(
        plan_row.status,
        plan_row.published_at,
        lead,
        tuple((r.kind, r.id, r.taken_at) for r in snapshot_rows),
        replaced,
        approver,
    )


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
        inputs = _stored_inputs(session, row, plan_row, (target_row, inspector_row))
    problems = stored_problems(_stored_draw(row), inputs)
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
