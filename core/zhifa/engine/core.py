"""The engine: the one place a matter is opened or advanced.

``Engine.advance(matter, trigger, actor, data, at)`` runs in one transaction:

1. load the matter row and its definition version; a stale ``MatterView`` is a conflict;
2. check the actor: role, department, enforcement certificate on the step's date;
3. validate the data against the trigger's fields (all problems reported together);
4. run the definition's guards and the plugins' ``zhifa_before_transition`` (all reasons together);
5. fire the trigger on the definition's shared ``transitions`` machine;
6. append the hashed event, write the new state with ``version = version + 1`` only where the
   version is still the one loaded (else :class:`ConflictError`), recompute the clocks, queue outbox
   messages, call ``zhifa_after_transition``;
7. commit, then deliver the outbox to reporting sinks, each within its timeout (a failing or
   timed-out sink is retried later; see :mod:`zhifa.engine.outbox`).

Reads (``load``, ``history``, ``clocks``, ``available_triggers``) never write.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from types import MappingProxyType
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError as SAIntegrityError

from zhifa.engine.outbox import deliver_within, retry_delay
from zhifa.errors import (
    ConflictError,
    DefinitionError,
    GuardRefused,
    InputError,
    NotFoundError,
    PermissionRefused,
    PluginError,
    RefusedError,
    ZhifaError,
)
from zhifa.hooks.types import (
    Actor,
    EventRecord,
    Guard,
    MatterView,
    OutboxDelivery,
    OutboxMatter,
    ReportingSink,
    StepContext,
    outbox_payload,
)
from zhifa.plugins import Plugins
from zhifa.record import GENESIS, Evidence, canonical_json, event_hash
from zhifa.roles import ROLES
from zhifa.rules import Facts, Suggestion, Violation, discretion
from zhifa.store import Store, Transaction
from zhifa.store.tables import Clock as ClockRow
from zhifa.store.tables import (
    Department,
    Entity,
    Event,
    Matter,
    MatterLink,
    Officer,
    OutboxMessage,
    WorkflowVersion,
)
from zhifa.timekeeping import Clock, SystemClock, to_beijing
from zhifa.workflow import fields as fieldval
from zhifa.workflow.deadlines import ClockState, Step, compute
from zhifa.workflow.definitions import (
    EXPECTED_STATE,
    OPEN,
    Definition,
    Expectation,
    FieldSpec,
    StepSpec,
    parse_definition,
)
from zhifa.workflow.machine import CompiledWorkflow, compile_definition

FUTURE_TOLERANCE = timedelta(minutes=5)
RECENT_MATTERS = 4096  # matters whose step history an engine keeps between their steps
_MATTERS = cast(sa.Table, Matter.__table__)
_EVENTS = cast(sa.Table, Event.__table__)
_CLOCKS = cast(sa.Table, ClockRow.__table__)
_OUTBOX = cast(sa.Table, OutboxMessage.__table__)
_OFFICERS = cast(sa.Table, Officer.__table__)
_LINKS = cast(sa.Table, MatterLink.__table__)
_DEPARTMENTS = cast(sa.Table, Department.__table__)
_ENTITIES = cast(sa.Table, Entity.__table__)
FOLLOWS = "follows"  # the kind of link from a matter to one opened from it
BULK_CHUNK = 5000  # ids in one IN (...) list of a bulk read

# The statements of the hot path, built once: constructing a statement costs more than running it
# from SQLAlchemy's compiled cache.
_SELECT_MATTER = sa.select(_MATTERS).where(_MATTERS.c.id == sa.bindparam("z_id"))
_SELECT_OFFICER = sa.select(_OFFICERS).where(_OFFICERS.c.id == sa.bindparam("z_id"))
# A step reads the matter and the acting officer in one round trip; the officer's columns are
# NULL when no such officer exists.
_ACTOR_COLUMNS = ("id", "name", "department_code", "roles", "certificate_no")
_SELECT_MATTER_AND_ACTOR = (
    sa.select(
        _MATTERS,
        *(_OFFICERS.c[c].label(f"actor_{c}") for c in _ACTOR_COLUMNS),
        _OFFICERS.c.certificate_valid_from.label("actor_certificate_valid_from"),
        _OFFICERS.c.certificate_valid_to.label("actor_certificate_valid_to"),
    )
    .select_from(_MATTERS.outerjoin(_OFFICERS, _OFFICERS.c.id == sa.bindparam("z_actor")))
    .where(_MATTERS.c.id == sa.bindparam("z_id"))
)
# What an outbox message adds to its matter: the department's name, the entity's code and name (NULL
# for a matter without an entity).
_SELECT_SINK_NAMES = (
    sa.select(
        _DEPARTMENTS.c.name.label("department_name"),
        _ENTITIES.c.uscc.label("entity_uscc"),
        _ENTITIES.c.name.label("entity_name"),
    )
    .select_from(_DEPARTMENTS.outerjoin(_ENTITIES, _ENTITIES.c.id == sa.bindparam("z_entity")))
    .where(_DEPARTMENTS.c.code == sa.bindparam("z_dept"))
)
# ``occurred_at`` comes back as the driver gives it: SQLite's ISO text is parsed by
# ``datetime.fromisoformat`` (C), far cheaper per row than the generic SQLite DateTime processor.
# ``data`` is the event's canonical JSON text, parsed once per row for the step's ``data``.
_SELECT_STEPS = (
    sa.select(
        sa.type_coerce(_EVENTS.c.occurred_at, sa.String).label("occurred_at"),
        _EVENTS.c.trigger,
        _EVENTS.c.to_state,
        _EVENTS.c.data,
    )
    .where(_EVENTS.c.matter_id == sa.bindparam("z_id"))
    .order_by(_EVENTS.c.seq)
)
_INSERT_EVENT = sa.insert(_EVENTS)
_UPDATE_MATTER = (
    sa.update(_MATTERS)
    .where(_MATTERS.c.id == sa.bindparam("z_id"), _MATTERS.c.version == sa.bindparam("z_version"))
    .values(
        state=sa.bindparam("z_state"),
        data=sa.bindparam("z_data", type_=_MATTERS.c.data.type),
        version=sa.bindparam("z_new_version"),
        head_hash=sa.bindparam("z_hash"),
        updated_at=sa.bindparam("z_updated_at", type_=_MATTERS.c.updated_at.type),
    )
)
_UPDATE_OPENED = (
    sa.update(_MATTERS)
    .where(_MATTERS.c.id == sa.bindparam("z_id"), _MATTERS.c.version == sa.bindparam("z_version"))
    .values(
        version=sa.bindparam("z_new_version"),
        head_hash=sa.bindparam("z_hash"),
        updated_at=sa.bindparam("z_updated_at", type_=_MATTERS.c.updated_at.type),
    )
)


def _allocate_ids(conn: sa.Connection, table: sa.Table, count: int) -> list[int]:
    """``count`` new ids of ``table`` (integer primary key ``id``) for a bulk insert in this
    transaction: on PostgreSQL drawn from the column's sequence; on SQLite the ids after the
    largest, which no other writer can take while this transaction holds the write lock
    (``BEGIN IMMEDIATE``)."""
    if conn.dialect.name == "postgresql":
        return list(
            conn.scalars(
                sa.text(
                    "SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"
                ),
                {"t": table.name, "n": count},
            )
        )
    start = conn.scalar(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0))) or 0
    return list(range(start + 1, start + 1 + count))


@functools.cache
def _upsert_clocks(dialect: str) -> sa.Executable:
    """INSERT … ON CONFLICT (matter, clock) DO UPDATE, for SQLite and PostgreSQL."""
    insert = sqlite_insert(_CLOCKS) if dialect == "sqlite" else pg_insert(_CLOCKS)
    kept = ("status", "started_on", "due_on", "stopped_on", "provisional", "paused_days")
    return insert.on_conflict_do_update(
        index_elements=[_CLOCKS.c.matter_id, _CLOCKS.c.name],
        set_={name: insert.excluded[name] for name in (*kept, "extensions")},
    )


@dataclass(frozen=True, slots=True)
class Opening:
    """One matter for :meth:`Engine.open_many`: who opens it, its opening fields, the entity
    (by id), the department (default: the officer's) and the title (default: the summary)."""

    actor: str
    data: Mapping[str, Any]
    entity_id: int | None = None
    department: str | None = None
    title: str | None = None


@dataclass(frozen=True, slots=True)
class StepResult:
    """What a step produced: the matter after it and the event that records it."""

    matter: MatterView
    event: EventRecord
    clocks: tuple[ClockState, ...] = ()


@dataclass(frozen=True, slots=True)
class TriggerOption:
    """Whether an officer may take a trigger now, and every reason why not."""

    name: str
    label: str
    allowed: bool
    reasons: tuple[str, ...]
    waiting_for: tuple[str, ...]  # checks that run once the step's fields are given
    fields: tuple[FieldSpec, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        return {
            "trigger": self.name,
            "label": self.label,
            "allowed": self.allowed,
            "reasons": list(self.reasons),
            "checked_with_data": list(self.waiting_for),
            "fields": [
                {"name": f.name, "type": f.type, "required": f.required, "label": str(f.label)}
                for f in self.fields
            ],
        }


@dataclass(frozen=True, slots=True)
class DueItem:
    """A running statutory clock of a matter, or a follow-up matter it owes (``follow_up``: the
    workflow to open following it), as seen on a given day."""

    matter: MatterView
    clock: ClockState
    follow_up: str | None = None  # the workflow of a matter still to be opened following it

    def as_dict(self) -> dict[str, Any]:
        return {
            "matter": self.matter.id,
            "workflow": self.matter.workflow,
            "state": self.matter.state,
            "title": self.matter.title,
            "department": self.matter.department,
            "follow_up": self.follow_up,
            **self.clock.as_dict(),
        }


def _names(view: MatterView, officer: str | None) -> bool:
    """Whether ``officer`` is named anywhere in the matter's recorded step data."""
    if officer is None:
        return False

    def found(value: Any) -> bool:
        if isinstance(value, str):
            return value == officer
        if isinstance(value, Mapping):
            return any(found(v) for v in value.values())
        if isinstance(value, list | tuple):
            return any(found(v) for v in value)
        return False

    return found(view.data)


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    delivered: int
    failed: int
    pending: int


def _view(row: Any) -> MatterView:
    return MatterView(
        id=row.id,
        workflow=row.workflow,
        workflow_version=row.workflow_version,
        state=row.state,
        version=row.version,
        department=row.department_code,
        entity_id=row.entity_id,
        title=row.title,
        data=row.data,
        opened_at=row.opened_at,
        updated_at=row.updated_at,
        head_hash=row.head_hash,
    )


def _event_record(row: Any, workflow: str) -> EventRecord:
    return EventRecord(
        id=row.id,
        matter_id=row.matter_id,
        workflow=workflow,
        seq=row.seq,
        trigger=row.trigger,
        from_state=row.from_state,
        to_state=row.to_state,
        actor_id=row.actor_id,
        occurred_at=row.occurred_at,
        recorded_at=row.recorded_at,
        data=json.loads(row.data),
        evidence=json.loads(row.evidence),
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


class _Written:
    """The parts of a cursor result an INSERT or UPDATE needs."""

    __slots__ = ("inserted_primary_key_id", "rowcount")

    def __init__(self, result: CursorResult[Any]) -> None:
        self.rowcount = result.rowcount
        key = result.inserted_primary_key if result.context.isinsert else None
        self.inserted_primary_key_id: int = int(key[0]) if key is not None else 0


def _run(
    conn: sa.Connection, statement: sa.Executable, params: Mapping[str, Any] | None = None
) -> _Written:
    """Execute an INSERT or UPDATE; keep its row count and key."""
    return _Written(cast(CursorResult[Any], conn.execute(statement, params)))


def _reasons(result: Any) -> list[str]:
    if result is None:
        return []
    if isinstance(result, str):
        return [result]
    return [str(r) for r in result]


class Engine:
    """Opens and advances matters on a store, with the loaded plugins and an injectable clock."""

    def __init__(
        self, store: Store, *, plugins: Plugins | None = None, clock: Clock | None = None
    ) -> None:
        self.store = store
        self.plugins = plugins if plugins is not None else Plugins()
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.calendar = self.plugins.calendar()
        self._guards: dict[str, tuple[str, Guard]] = self.plugins.guards()
        self._sinks: dict[str, tuple[str, ReportingSink]] = self.plugins.sinks()
        # the events whose steps queued outbox messages, until their commit hands them to the
        # sinks: a step no sink wants costs no delivery query
        self._queued: set[int] = set()
        # the violation catalogues of the loaded plugins; two declaring one code fail here
        self.catalogue: Mapping[str, Sequence[Violation]] = self.plugins.violations()
        self._catalogues: dict[str, Mapping[str, Sequence[Violation]]] = {}
        self._defs: dict[tuple[str, int], Definition] = {}
        self._latest: dict[str, Definition] = {}
        for defn in self.plugins.definitions():
            self._add_definition(defn)
        for defn in self._defs.values():
            self._check_follows(defn)
        self._checked: set[tuple[str, int]] = set()
        # The steps of recently advanced matters, keyed by matter id with the matter version
        # they are the history of. Events are append-only and a matter's version counts them, so
        # an entry whose version matches the row read in a step's transaction is that history.
        self._recent: OrderedDict[int, tuple[int, tuple[tuple[Step, datetime], ...]]] = (
            OrderedDict()
        )

    # -- definitions -------------------------------------------------------------------------

    def _check_follows(self, defn: Definition) -> None:
        """Each workflow a definition may follow is loaded and has the states it names."""
        for name, states in defn.follows.items():
            other = self._latest.get(name)
            if other is None:
                raise DefinitionError(
                    defn.source_name,
                    f"follows.{name}",
                    f"workflow {name!r} is not loaded; loaded: {', '.join(sorted(self._latest))}",
                )
            unknown = sorted(states - set(other.states))
            if unknown:
                raise DefinitionError(
                    defn.source_name,
                    f"follows.{name}",
                    f"{name} has no state {', '.join(map(repr, unknown))}",
                )
        for i, exp in enumerate(defn.expected):
            self._check_expectation(defn, exp, f"expected[{i}]")

    def _check_expectation(self, defn: Definition, exp: Expectation, path: str) -> None:
        """An expectation names a loaded workflow this one may follow, its triggers and fields."""
        other = self._latest.get(exp.workflow)
        if other is None:
            raise DefinitionError(
                defn.source_name,
                f"{path}.after.workflow",
                f"workflow {exp.workflow!r} is not loaded; loaded: {', '.join(sorted(self._latest))}",
            )
        if defn.follows and exp.workflow not in defn.follows:
            raise DefinitionError(
                defn.source_name,
                f"{path}.after.workflow",
                f"{defn.name} may not follow {exp.workflow} (see follows), so it cannot be owed to it",
            )
        unknown = sorted(exp.triggers - set(other.triggers))
        if unknown:
            raise DefinitionError(
                defn.source_name,
                f"{path}.after.triggers",
                f"{exp.workflow} has no trigger {', '.join(map(repr, unknown))}",
            )
        for key, paths in (("when", exp.when), ("unless", exp.unless)):
            for where in paths:
                trigger, name = where.split(".", 1)
                spec = other.open if trigger == OPEN else other.triggers.get(trigger)
                if spec is None or name not in spec.fields:
                    raise DefinitionError(
                        defn.source_name,
                        f"{path}.{key}.{where}",
                        f"{exp.workflow} records no field {name!r} in step {trigger!r}",
                    )

    def _add_definition(self, defn: Definition) -> None:
        for step in (defn.open, *defn.triggers.values()):
            for ref in step.guards:
                if ref.name not in self._guards:
                    path = "open" if step.name == OPEN else f"triggers.{step.name}"
                    raise DefinitionError(
                        defn.source_name,
                        f"{path}.guards",
                        f"guard {ref.name!r} is not provided by any loaded plugin "
                        f"(known: {', '.join(sorted(self._guards))})",
                    )
        self._defs[defn.key] = defn
        latest = self._latest.get(defn.name)
        if latest is None or latest.version < defn.version:
            self._latest[defn.name] = defn

    def workflows(self) -> list[Definition]:
        """The newest version of every loaded workflow, by name."""
        return [self._latest[n] for n in sorted(self._latest)]

    def definition(self, name: str, version: int | None = None) -> Definition:
        """A workflow definition: the newest loaded one, or a given version (from the database
        when no plugin ships it any more)."""
        if version is None:
            defn = self._latest.get(name)
            if defn is None:
                raise NotFoundError(
                    f"no workflow named {name!r}; loaded workflows: {', '.join(sorted(self._latest))}"
                )
            return defn
        found = self._defs.get((name, version))
        if found is not None:
            return found
        with self.store.read() as session:
            row = session.get(WorkflowVersion, (name, version))
            if row is None:
                raise NotFoundError(
                    f"workflow {name} version {version} is not known to this database"
                )
            defn = parse_definition(row.source, f"{name} v{version} (stored)")
        self._add_definition(defn)
        self._checked.add(defn.key)
        return defn

    def _definition_for(
        self, tx: Transaction, name: str, version: int, *, register: bool
    ) -> Definition:
        """The definition a matter runs on, checked once per process against the stored text."""
        defn = self._defs.get((name, version)) or self.definition(name, version)
        if defn.key in self._checked:
            return defn
        session = tx.session
        row = session.get(WorkflowVersion, (name, version))
        if row is None:
            if not register:
                raise NotFoundError(
                    f"workflow {name} version {version} is not known to this database"
                )
            session.add(
                WorkflowVersion(
                    name=name,
                    version=version,
                    digest=defn.digest,
                    source=defn.source_text,
                    registered_at=self.clock.now(),
                )
            )
            session.flush()
            # not marked as checked: if this step is refused, the registration rolls back with
            # it, and the next step must register the version again
            return defn
        if row.digest != defn.digest:
            raise DefinitionError(
                defn.source_name,
                "version",
                f"this file differs from {name} version {version} that matters in this database "
                "were opened on; give the changed definition a new version number",
            )
        self._checked.add(defn.key)
        return defn

    def compiled(self, defn: Definition) -> CompiledWorkflow:
        return compile_definition(defn)

    # -- reads -------------------------------------------------------------------------------

    def load(self, matter_id: int) -> MatterView:
        with self.store.read() as session:
            row = session.execute(sa.select(_MATTERS).where(_MATTERS.c.id == matter_id)).first()
            if row is None:
                raise NotFoundError(
                    f"matter {matter_id} does not exist; list matters with `zhifa matter list`"
                )
            return _view(row)

    def history(self, matter_id: int) -> list[EventRecord]:
        matter = self.load(matter_id)
        with self.store.read() as session:
            rows = session.execute(
                sa.select(_EVENTS).where(_EVENTS.c.matter_id == matter_id).order_by(_EVENTS.c.seq)
            ).all()
        return [_event_record(r, matter.workflow) for r in rows]

    def clocks(self, matter: int | MatterView, today: date | None = None) -> list[ClockState]:
        """The matter's clocks as of ``today`` (default: the engine clock's date), recomputed."""
        view = matter if isinstance(matter, MatterView) else self.load(matter)
        defn = self.definition(view.workflow, view.workflow_version)
        with self.store.read() as session:
            steps = self._steps(session.connection(), view.id)
        day = today or self.clock.now().date()
        out = []
        for spec in defn.clocks.values():
            state = compute(spec, steps, self.calendar, day)
            if state is not None:
                out.append(state)
        return out

    def links(self, matter_id: int) -> tuple[list[MatterView], list[MatterView]]:
        """The matters ``matter_id`` follows, and those that follow it (oldest first)."""
        with self.store.read() as session:
            rows = session.execute(
                sa.select(_LINKS.c.source_id, _LINKS.c.target_id)
                .where(sa.or_(_LINKS.c.source_id == matter_id, _LINKS.c.target_id == matter_id))
                .order_by(_LINKS.c.id)
            ).all()
            ids = {r.source_id for r in rows} | {r.target_id for r in rows}
            views = {
                r.id: _view(r)
                for r in session.execute(sa.select(_MATTERS).where(_MATTERS.c.id.in_(ids)))
            }
        before = [views[r.source_id] for r in rows if r.target_id == matter_id]
        after = [views[r.target_id] for r in rows if r.source_id == matter_id]
        return before, after

    def story(self, matter_id: int) -> list[tuple[int, MatterView]]:
        """The whole chain of linked matters around ``matter_id``, as (depth, matter) in
        reading order: from the first matter it came from down through everything that followed."""
        root = self.load(matter_id)
        seen = {root.id}
        while True:
            before, _ = self.links(root.id)
            earlier = [m for m in before if m.id not in seen]
            if not earlier:
                break
            root = earlier[0]
            seen.add(root.id)
        out: list[tuple[int, MatterView]] = []
        walked: set[int] = set()

        def walk(view: MatterView, depth: int) -> None:
            if view.id in walked:
                return
            walked.add(view.id)
            out.append((depth, view))
            for child in self.links(view.id)[1]:
                walk(child, depth + 1)

        walk(root, 0)
        return out

    def due(
        self,
        *,
        department: str | None = None,
        officer: str | None = None,
        within: int | None = None,
        today: date | None = None,
    ) -> list[DueItem]:
        """Running statutory clocks, soonest first: overdue ones, and with ``within`` only those
        due in the next ``within`` days. Each clock is recomputed from the record, so a
        provisional deadline is corrected as soon as calendar data exists. ``officer`` keeps the
        matters that officer took a step on or is named in."""
        day = today or self.clock.now().date()
        query = (
            sa.select(_MATTERS)
            .where(
                _MATTERS.c.id.in_(
                    sa.select(_CLOCKS.c.matter_id).where(_CLOCKS.c.status == "running")
                )
            )
            .order_by(_MATTERS.c.id)
        )
        if department:
            query = query.where(_MATTERS.c.department_code == department)
        items: list[DueItem] = []
        with self.store.read() as session:
            views = [_view(r) for r in session.execute(query)]
            involved: set[int] | None = None
            if officer is not None:
                self._officer(session.connection(), officer)
                involved = set(
                    session.scalars(
                        sa.select(_EVENTS.c.matter_id).where(_EVENTS.c.actor_id == officer)
                    )
                )
            for view in views:
                if involved is not None and view.id not in involved and not _names(view, officer):
                    continue
                defn = self.definition(view.workflow, view.workflow_version)
                steps = self._steps(session.connection(), view.id)
                for spec in defn.clocks.values():
                    state = compute(spec, steps, self.calendar, day)
                    if state is None or state.status != "running" or state.due_on is None:
                        continue
                    if within is not None and (state.due_on - day).days > within:
                        continue
                    items.append(DueItem(view, state))
            for item in self._owed(session.connection(), day, department):
                view = item.matter
                if involved is not None and view.id not in involved and not _names(view, officer):
                    continue
                if within is not None and (item.clock.due_on or day) > day + timedelta(within):
                    continue
                items.append(item)
        items.sort(key=lambda i: (i.clock.due_on or day, i.matter.id))
        return items

    def expected(self, matter: int | MatterView, today: date | None = None) -> list[DueItem]:
        """The follow-up matters ``matter`` still owes (declared by other workflows' ``expected``),
        each with its deadline as of ``today``; one that was opened following it is no longer
        owed."""
        view = matter if isinstance(matter, MatterView) else self.load(matter)
        day = today or self.clock.now().date()
        with self.store.read() as session:
            return self._owed(session.connection(), day, None, view.id)

    def _owed(
        self, conn: sa.Connection, day: date, department: str | None, matter_id: int | None = None
    ) -> list[DueItem]:
        """Follow-ups owed and not yet opened: for each workflow's expectation, the earlier
        matters that took one of its triggers, satisfy its conditions and have no follower of
        that workflow; the clock counts from the latest such step."""
        owed: list[DueItem] = []
        follower = _MATTERS.alias("follower")
        for defn in self.workflows():
            for exp in defn.expected:
                opened = (
                    sa.select(_LINKS.c.source_id)
                    .join(follower, follower.c.id == _LINKS.c.target_id)
                    .where(_LINKS.c.kind == FOLLOWS, follower.c.workflow == defn.name)
                )
                latest = (
                    sa.select(_EVENTS.c.matter_id, sa.func.max(_EVENTS.c.seq).label("seq"))
                    .where(_EVENTS.c.trigger.in_(sorted(exp.triggers)))
                    .group_by(_EVENTS.c.matter_id)
                    .subquery()
                )
                query = (
                    sa.select(_MATTERS, _EVENTS.c.occurred_at, _EVENTS.c.trigger.label("z_trigger"))
                    .join(latest, latest.c.matter_id == _MATTERS.c.id)
                    .join(
                        _EVENTS,
                        (_EVENTS.c.matter_id == latest.c.matter_id)
                        & (_EVENTS.c.seq == latest.c.seq),
                    )
                    .where(_MATTERS.c.workflow == exp.workflow, _MATTERS.c.id.not_in(opened))
                    .order_by(_MATTERS.c.id)
                )
                if department:
                    query = query.where(_MATTERS.c.department_code == department)
                if matter_id is not None:
                    query = query.where(_MATTERS.c.id == matter_id)
                for row in conn.execute(query):
                    view = _view(row)
                    if not exp.owed(view.data):
                        continue
                    raw = row.occurred_at
                    at = raw if isinstance(raw, datetime) else datetime.fromisoformat(raw)
                    step = Step(at.date(), row.z_trigger, EXPECTED_STATE)
                    state = compute(exp.clock, [step], self.calendar, day)
                    if state is not None:
                        owed.append(DueItem(view, state, follow_up=defn.name))
        return owed

    def matters(
        self, *, workflow: str | None = None, state: str | None = None, limit: int | None = None
    ) -> list[MatterView]:
        """Matters, newest first, optionally filtered."""
        query = sa.select(_MATTERS).order_by(_MATTERS.c.id.desc())
        if workflow:
            query = query.where(_MATTERS.c.workflow == workflow)
        if state:
            query = query.where(_MATTERS.c.state == state)
        if limit:
            query = query.limit(limit)
        with self.store.read() as session:
            return [_view(r) for r in session.execute(query)]

    def _steps(self, conn: sa.Connection, matter_id: int) -> list[Step]:
        return [s for s, _ in self._timed_steps(conn, matter_id)]

    @staticmethod
    def _timed_steps(conn: sa.Connection, matter_id: int) -> list[tuple[Step, datetime]]:
        """The matter's steps, oldest first, each with its data and the moment it happened."""
        out = []
        loads = json.loads
        for raw, trigger, to_state, data in conn.execute(_SELECT_STEPS, {"z_id": matter_id}):
            at = raw if isinstance(raw, datetime) else datetime.fromisoformat(raw)
            out.append((Step(at.date(), trigger, to_state, MappingProxyType(loads(data))), at))
        return out

    def _officer(self, conn: sa.Connection, officer_id: str) -> Actor:
        row = conn.execute(_SELECT_OFFICER, {"z_id": officer_id}).first()
        if row is None:
            raise self._no_officer(officer_id)
        return Actor.from_row(row)

    @staticmethod
    def _parent(conn: sa.Connection, follows: int | MatterView, moment: datetime) -> MatterView:
        parent_id = follows.id if isinstance(follows, MatterView) else follows
        row = conn.execute(_SELECT_MATTER, {"z_id": parent_id}).first()
        if row is None:
            raise NotFoundError(
                f"matter {parent_id} does not exist, so nothing can follow it; "
                "list matters with `zhifa matter list`"
            )
        parent = _view(row)
        if moment < parent.opened_at:
            raise InputError(
                f"the new matter would begin at {moment:%Y-%m-%d %H:%M}, before matter "
                f"{parent.id} it follows began ({parent.opened_at:%Y-%m-%d %H:%M}); check --at"
            )
        return parent

    def _may_follow(self, defn: Definition, parent: MatterView) -> None:
        allowed = defn.follows.get(parent.workflow)
        if allowed is None:
            raise RefusedError(
                f"a {defn.name} matter follows only a {' or '.join(sorted(defn.follows))} matter; "
                f"matter {parent.id} is a {parent.workflow}"
            )
        if parent.state not in allowed:
            other = self.definition(parent.workflow, parent.workflow_version)
            wanted = ", ".join(f"{s} {other.states[s].label}" for s in sorted(allowed))
            raise RefusedError(
                f"matter {parent.id} is {parent.state} "
                f"{other.states[parent.state].label}; a {defn.name} follows a {parent.workflow} "
                f"only once it is {wanted}"
            )

    @staticmethod
    def _no_officer(officer_id: str) -> NotFoundError:
        return NotFoundError(
            f"officer {officer_id!r} does not exist; list officers with `zhifa officer list`"
        )

    def available_triggers(
        self, matter: int | MatterView, actor: str, at: datetime | None = None
    ) -> list[TriggerOption]:
        """Every trigger of the matter's workflow: whether ``actor`` may take it now, and why not."""
        view = matter if isinstance(matter, MatterView) else self.load(matter)
        moment = to_beijing(at) if at else self.clock.now()
        defn = self.definition(view.workflow, view.workflow_version)
        options = []
        with self.store.read() as session:
            tx = Transaction(session.connection(), session)
            officer = self._officer(tx.connection, actor)
            steps = self._steps(tx.connection, view.id)
            for step in defn.triggers.values():
                reasons: list[str] = []
                if view.state not in step.moves:
                    here = defn.states[view.state].label
                    reasons.append(f"not possible in state {view.state} {here}")
                reasons += self._permission_problems(step, officer, view.department, moment.date())
                waiting: list[str] = []
                if not reasons:
                    ctx = self._context(tx, defn, step, officer, {}, moment, view, steps, {})
                    for ref in step.guards:
                        plugin, guard = self._guards[ref.name]
                        if guard.needs_data and step.fields:
                            waiting.append(f"{ref.name}: {guard.description}")
                            continue
                        reasons += self._run_guard(plugin, guard, ctx, ref.args)
                options.append(
                    TriggerOption(
                        name=step.name,
                        label=str(step.label),
                        allowed=not reasons,
                        reasons=tuple(reasons),
                        waiting_for=tuple(waiting),
                        fields=tuple(step.fields.values()),
                    )
                )
        return options

    # -- checks ------------------------------------------------------------------------------

    @staticmethod
    def _permission_problems(step: StepSpec, actor: Actor, department: str, day: date) -> list[str]:
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

    def _run_guard(
        self, plugin: str, guard: Guard, ctx: StepContext, args: Mapping[str, Any]
    ) -> list[str]:
        try:
            return _reasons(guard.check(ctx, **args))
        except Exception as exc:
            raise PluginError(plugin, f"guard {guard.name}", exc) from exc

    def _context(
        self,
        tx: Transaction,
        defn: Definition,
        step: StepSpec,
        actor: Actor,
        data: Mapping[str, Any],
        at: datetime,
        matter: MatterView | None,
        steps: Sequence[Step],
        officers: Mapping[str, Actor],
        entity_id: int | None = None,
        department: str | None = None,
    ) -> StepContext:
        return StepContext(
            transaction=tx,
            definition=defn,
            step=step,
            actor=actor,
            data=data,
            at=at,
            calendar=self.calendar,
            matter=matter,
            history=steps,
            officers=officers,
            entity_id=matter.entity_id if matter is not None else entity_id,
            department=matter.department if matter is not None else department,
            catalogue=self._catalogue_of(matter.department if matter is not None else department),
        )

    def discretion(
        self,
        code: str,
        facts: Facts | Mapping[str, Any],
        *,
        department: str | None = None,
        conduct: date | None = None,
        decided: date | None = None,
        target: str = "unit",
    ) -> tuple[Suggestion, str]:
        """What the catalogue entry ``code`` says of ``facts`` (as ``zhifa discretion suggest``):
        the suggestion of the entry applicable to conduct on ``conduct`` decided on ``decided``
        (default: today) among the plugins ``department`` uses, and why that entry applies."""
        day = decided or self.clock.now().date()
        parsed = facts if isinstance(facts, Facts) else Facts.parse(facts)
        return discretion(self._catalogue_of(department), code, parsed, conduct or day, day, target)

    def _catalogue_of(self, department: str | None) -> Mapping[str, Sequence[Violation]]:
        """The catalogue entries of the plugins ``department`` uses (cached per department)."""
        if not self.plugins.config.departments or department is None:
            return self.catalogue
        found = self._catalogues.get(department)
        if found is None:
            found = {
                code: kept
                for code, entries in self.catalogue.items()
                if (kept := [v for v in entries if self.plugins.allows(v.department, department)])
            }
            self._catalogues[department] = found
        return found

    def _named_officers(
        self, conn: sa.Connection, step: StepSpec, data: Mapping[str, Any]
    ) -> dict[str, Actor]:
        ids: set[str] = set()
        for f in step.fields.values():
            value = data.get(f.name)
            if f.type == "officer" and value:
                ids.add(value)
            elif f.type == "officers" and value:
                ids.update(value)
        return self._officers_by_id(conn, ids)

    # -- writes ------------------------------------------------------------------------------

    def _may_open(self, defn: Definition, officer: Actor, dept: str, day: date) -> None:
        """Refuse to open a ``defn`` matter in ``dept`` by ``officer`` on ``day``: a workflow of a
        plugin the department does not use, or an officer without the role, department or
        certificate the opening step needs."""
        source = self.plugins.source(defn)
        if not self.plugins.allows(source, dept):
            raise RefusedError(
                f"workflow {defn.name} comes from plugin {source!r}, which department {dept} "
                f"does not use ({self.plugins.config.source}); open it in a department that "
                "uses the plugin, or enable the plugin there"
            )
        problems = self._permission_problems(defn.open, officer, dept, day)
        if problems:
            raise PermissionRefused(
                f"{officer.label()} may not open a {defn.name} matter", problems
            )

    def open(
        self,
        workflow: str,
        actor: str,
        data: Mapping[str, Any] | None = None,
        at: datetime | None = None,
        *,
        title: str | None = None,
        department: str | None = None,
        entity: str | None = None,
        evidence: Sequence[Evidence] = (),
        follows: int | MatterView | None = None,
    ) -> StepResult:
        """Open a matter on the newest version of ``workflow``; ``at`` is when it began.

        ``follows`` is the matter this one comes from (the clue that opens a case, the case that
        spawns a transfer…): it must be of the same department, the two are linked, the new
        matter takes its entity unless given, and the link is part of the opening event's
        hashed data.
        """
        defn = self.definition(workflow)
        recorded = self.clock.now()
        moment = self._moment(at, recorded, None)
        with self.store.transaction() as tx:
            conn = tx.connection
            defn = self._definition_for(tx, defn.name, defn.version, register=True)
            officer = self._officer(conn, actor)
            parent = self._parent(conn, follows, moment) if follows is not None else None
            if parent is not None and defn.follows:
                self._may_follow(defn, parent)
            dept = department or officer.department
            entity_id: int | None = None
            if entity is not None:
                code = "".join(entity.split()).upper()
                entity_id = conn.scalar(sa.select(Entity.id).where(Entity.uscc == code))
                if entity_id is None:
                    raise NotFoundError(
                        f"no market entity with code {code}; add it with `zhifa entity add` first"
                    )
            if parent is not None:
                if entity_id is not None and parent.entity_id not in (None, entity_id):
                    raise InputError(
                        f"matter {parent.id} concerns another market entity than {entity}; "
                        "a matter that follows another concerns the same entity — leave --entity out"
                    )
                entity_id = entity_id if entity_id is not None else parent.entity_id
                if parent.department != dept:
                    raise InputError(
                        f"matter {parent.id} belongs to {parent.department}, not {dept}; a "
                        "department opens follow-up matters only on its own matters"
                    )
            self._may_open(defn, officer, dept, moment.date())
            values = fieldval.validate(defn.open, data or {})
            officers = self._named_officers(conn, defn.open, values)
            ctx = self._context(
                tx, defn, defn.open, officer, values, moment, None, (), officers, entity_id, dept
            )
            self._check_guards(ctx)
            name = (title or str(values.get("summary") or defn.label.zh)).strip()[:300]
            matter_id = _run(
                conn,
                sa.insert(_MATTERS).values(
                    workflow=defn.name,
                    workflow_version=defn.version,
                    state=defn.initial,
                    version=0,
                    department_code=dept,
                    entity_id=entity_id,
                    title=name,
                    data={OPEN: values},
                    opened_at=moment,
                    updated_at=recorded,
                    head_hash=GENESIS,
                ),
            ).inserted_primary_key_id
            marker: dict[str, Any] = {
                "workflow": defn.name,
                "workflow_version": defn.version,
                "department": dept,
                "entity": entity,
                "title": name,
            }
            if parent is not None:
                marker["follows"] = {"matter": parent.id, "workflow": parent.workflow}
                conn.execute(
                    sa.insert(_LINKS),
                    {"source_id": parent.id, "target_id": matter_id, "kind": FOLLOWS},
                )
            result, taken = self._append(
                tx,
                defn,
                ctx,
                matter_id,
                0,
                GENESIS,
                defn.initial,
                values,
                moment,
                recorded,
                evidence,
                [],
                extra={"_matter": marker},
            )
        return self._committed(result, [], taken)

    def open_many(
        self,
        workflow: str,
        openings: Sequence[Opening],
        at: datetime | None = None,
        *,
        also: Callable[[sa.Connection, Sequence[int]], None] | None = None,
    ) -> list[int]:
        """Open many matters of ``workflow`` in one transaction (the tasks of a random draw):
        the same checks as :meth:`open` for every one — the plugin and the officer's role,
        department and certificate, the fields, the guards and ``zhifa_before_transition`` —
        then the matters, their hashed opening events and their clocks written in bulk, outbox
        messages queued and ``zhifa_after_transition`` called for each. All or nothing: the
        first refused opening is reported with its position and nothing is written. ``also`` is
        called with the connection and the new ids before the commit, to write rows that belong
        with the matters in the same transaction. Returns the new matters' ids in the order of
        ``openings``."""
        if not openings:
            return []
        defn = self.definition(workflow)
        recorded = self.clock.now()
        moment = self._moment(at, recorded, None)
        day = moment.date()
        count = len(openings)
        with self.store.transaction() as tx:
            conn = tx.connection
            defn = self._definition_for(tx, defn.name, defn.version, register=True)
            actors = {a: self._officer(conn, a) for a in sorted({o.actor for o in openings})}
            codes = self._entity_codes(conn, {o.entity_id for o in openings})
            named = self._named_in(conn, defn.open, openings)
            allowed: set[tuple[str, str]] = set()
            contexts: list[StepContext] = []
            for n, opening in enumerate(openings, 1):
                officer = actors[opening.actor]
                dept = opening.department or officer.department
                try:
                    if (officer.id, dept) not in allowed:
                        self._may_open(defn, officer, dept, day)
                        allowed.add((officer.id, dept))
                    values = fieldval.validate(defn.open, opening.data)
                    ctx = self._context(
                        tx,
                        defn,
                        defn.open,
                        officer,
                        values,
                        moment,
                        None,
                        (),
                        named,
                        opening.entity_id,
                        dept,
                    )
                    self._check_guards(ctx)
                except ZhifaError as exc:
                    exc.args = (f"matter {n} of {count} to open: {exc.message}",)
                    exc.message = exc.args[0]
                    raise
                contexts.append(ctx)
            titles = [
                (o.title or str(c.data.get("summary") or defn.label.zh)).strip()[:300]
                for o, c in zip(openings, contexts, strict=True)
            ]
            # ids are taken before the rows are written, so each opening event is hashed first
            # and every row is written once, in two plain bulk inserts
            ids = _allocate_ids(conn, _MATTERS, count)
            event_ids = _allocate_ids(conn, _EVENTS, count)
            events = []
            for matter_id, event_id, ctx, title in zip(
                ids, event_ids, contexts, titles, strict=True
            ):
                marker = {
                    "workflow": defn.name,
                    "workflow_version": defn.version,
                    "department": ctx.department,
                    "entity": codes.get(ctx.entity_id) if ctx.entity_id is not None else None,
                    "title": title,
                }
                event: dict[str, Any] = {
                    "matter_id": matter_id,
                    "seq": 1,
                    "trigger": OPEN,
                    "from_state": None,
                    "to_state": defn.initial,
                    "actor_id": ctx.actor.id,
                    "occurred_at": moment,
                    "recorded_at": recorded,
                    "data": canonical_json({**ctx.data, "_matter": marker}),
                    "evidence": "[]",
                    "prev_hash": GENESIS,
                }
                event["hash"] = event_hash(**event)
                event["id"] = event_id
                events.append(event)
            conn.execute(
                sa.insert(_MATTERS),
                [
                    {
                        "id": matter_id,
                        "workflow": defn.name,
                        "workflow_version": defn.version,
                        "state": defn.initial,
                        "version": 1,
                        "department_code": c.department,
                        "entity_id": c.entity_id,
                        "title": title,
                        "data": {OPEN: dict(c.data)},
                        "opened_at": moment,
                        "updated_at": recorded,
                        "head_hash": e["hash"],
                    }
                    for matter_id, c, title, e in zip(ids, contexts, titles, events, strict=True)
                ],
            )
            conn.execute(sa.insert(_EVENTS), events)
            self._write_opening_clocks(conn, defn, ids, events, recorded.date())
            if also is not None:
                also(conn, ids)
            queued_before = set(self._queued)
            for matter_id, event_id, event, ctx, title in zip(
                ids, event_ids, events, contexts, titles, strict=True
            ):
                record = EventRecord(
                    id=event_id,
                    matter_id=matter_id,
                    workflow=defn.name,
                    seq=1,
                    trigger=OPEN,
                    from_state=None,
                    to_state=defn.initial,
                    actor_id=ctx.actor.id,
                    occurred_at=moment,
                    recorded_at=recorded,
                    data=json.loads(event["data"]),
                    evidence=[],
                    prev_hash=GENESIS,
                    hash=event["hash"],
                )
                view = MatterView(
                    id=matter_id,
                    workflow=defn.name,
                    workflow_version=defn.version,
                    state=defn.initial,
                    version=1,
                    department=str(ctx.department),
                    entity_id=ctx.entity_id,
                    title=title,
                    data={OPEN: dict(ctx.data)},
                    opened_at=moment,
                    updated_at=recorded,
                    head_hash=event["hash"],
                )
                self._queue(conn, record, view, recorded)
                self.plugins.call(
                    "zhifa_after_transition", for_department=ctx.department, ctx=ctx, event=record
                )
            queued = set(self._queued) - queued_before
        for event_id in sorted(queued):
            self._queued.discard(event_id)
            self.deliver_outbox(event_id=event_id)
        return ids

    @staticmethod
    def _entity_codes(conn: sa.Connection, ids: Iterable[int | None]) -> dict[int, str]:
        """The code (USCC) of each entity id; :class:`NotFoundError` for an unknown id."""
        wanted = sorted(i for i in ids if i is not None)
        found: dict[int, str] = {}
        for start in range(0, len(wanted), BULK_CHUNK):
            chunk = wanted[start : start + BULK_CHUNK]
            query = sa.select(_ENTITIES.c.id, _ENTITIES.c.uscc).where(_ENTITIES.c.id.in_(chunk))
            found.update((i, code) for i, code in conn.execute(query))
        missing = [i for i in wanted if i not in found]
        if missing:
            raise NotFoundError(
                f"no market entity with id {missing[0]}"
                + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
                + "; list entities with `zhifa entity list`"
            )
        return found

    def _named_in(
        self, conn: sa.Connection, step: StepSpec, openings: Sequence[Opening]
    ) -> dict[str, Actor]:
        """Every officer the openings name in officer fields, read in one query."""
        ids: set[str] = set()
        for f in step.fields.values():
            for o in openings:
                value = o.data.get(f.name)
                if f.type == "officer" and isinstance(value, str) and value:
                    ids.add(value)
                elif f.type == "officers" and isinstance(value, list | tuple):
                    ids.update(str(v) for v in value)
        return self._officers_by_id(conn, ids)

    def _officers_by_id(self, conn: sa.Connection, ids: set[str]) -> dict[str, Actor]:
        """The officers ``ids``; :class:`InputError` naming those that do not exist."""
        if not ids:
            return {}
        wanted = sorted(ids)
        found: dict[str, Actor] = {}
        for start in range(0, len(wanted), BULK_CHUNK):
            rows = conn.execute(
                sa.select(_OFFICERS).where(_OFFICERS.c.id.in_(wanted[start : start + BULK_CHUNK]))
            )
            found.update((r.id, Actor.from_row(r)) for r in rows)
        missing = sorted(ids - set(found))
        if missing:
            raise InputError(
                f"officer {', '.join(repr(m) for m in missing)} named in the step does not exist; "
                "check the ids with `zhifa officer list`"
            )
        return found

    def _write_opening_clocks(
        self,
        conn: sa.Connection,
        defn: Definition,
        ids: Sequence[int],
        events: Sequence[Mapping[str, Any]],
        today: date,
    ) -> None:
        """The clocks of just-opened matters (most workflows start none on opening)."""
        if not defn.clocks:
            return
        for matter_id, event in zip(ids, events, strict=True):
            opened = event["occurred_at"]
            step = Step(
                opened.date(), OPEN, defn.initial, MappingProxyType(json.loads(event["data"]))
            )
            self._write_clocks(conn, defn, matter_id, [step], today)

    def advance(
        self,
        matter: int | MatterView,
        trigger: str,
        actor: str,
        data: Mapping[str, Any] | None = None,
        at: datetime | None = None,
        *,
        evidence: Sequence[Evidence] = (),
    ) -> StepResult:
        """Take one step. Raises a :class:`RefusedError` or :class:`InputError` and writes nothing
        when the step is not lawful or the input is wrong; :class:`ConflictError` when ``matter``
        was changed by someone else after it was loaded."""
        matter_id = matter.id if isinstance(matter, MatterView) else matter
        recorded = self.clock.now()
        with self.store.transaction() as tx:
            conn = tx.connection
            row = conn.execute(
                _SELECT_MATTER_AND_ACTOR, {"z_id": matter_id, "z_actor": actor}
            ).first()
            if row is None:
                raise NotFoundError(
                    f"matter {matter_id} does not exist; list matters with `zhifa matter list`"
                )
            view = _view(row)
            if isinstance(matter, MatterView) and matter.version != view.version:
                raise self._conflict(matter_id, matter.version, view.version)
            defn = self._definition_for(tx, view.workflow, view.workflow_version, register=False)
            step = defn.triggers.get(trigger)
            if step is None:
                raise InputError(
                    f"the {defn.name} workflow has no trigger {trigger!r}; its triggers are "
                    f"{', '.join(defn.triggers)}"
                )
            if view.state not in step.moves:
                possible = [t.name for t in defn.triggers_from(view.state)] or [
                    "none: it is closed"
                ]
                raise RefusedError(
                    f"matter {matter_id} is {view.state} {defn.states[view.state].label}; "
                    f"{trigger!r} cannot be taken from there (possible now: {', '.join(possible)})"
                )
            if row.actor_id is None:
                raise self._no_officer(actor)
            officer = Actor.from_row(row, "actor_")
            known = self._recent.get(matter_id)
            timed = (
                list(known[1])
                if known is not None and known[0] == view.version
                else self._timed_steps(conn, matter_id)
            )
            steps = [s for s, _ in timed]
            moment = self._moment(at, recorded, timed[-1][1] if timed else None)
            problems = self._permission_problems(step, officer, view.department, moment.date())
            if problems:
                raise PermissionRefused(
                    f"{officer.label()} may not take the step {trigger!r} on matter {matter_id}",
                    problems,
                )
            values = fieldval.validate(step, data or {})
            officers = self._named_officers(conn, step, values)
            ctx = self._context(tx, defn, step, officer, values, moment, view, steps, officers)
            self._check_guards(ctx)
            to_state = self.compiled(defn).fire(view.state, trigger)
            derived = dict(ctx.derived)
            new_data = {**view.data, trigger: {**values, **derived}}
            result, taken = self._append(
                tx,
                defn,
                ctx,
                matter_id,
                view.version,
                view.head_hash,
                to_state,
                values,
                moment,
                recorded,
                evidence,
                steps,
                extra=derived,
                matter_data=new_data,
                from_state=view.state,
            )
        return self._committed(result, timed, taken)

    @staticmethod
    def _moment(at: datetime | None, recorded: datetime, last: datetime | None) -> datetime:
        """The step's time: not in the future, not before the matter's last recorded step."""
        moment = to_beijing(at) if at is not None else recorded
        if moment > recorded + FUTURE_TOLERANCE:
            raise InputError(
                f"the step's time {moment:%Y-%m-%d %H:%M} is in the future "
                f"(now {recorded:%Y-%m-%d %H:%M}); record a step when it has happened"
            )
        if last is not None and moment < last:
            raise InputError(
                f"the step's time {moment:%Y-%m-%d %H:%M} is before the matter's last recorded "
                f"step ({last:%Y-%m-%d %H:%M}); steps are recorded in the order they happened"
            )
        return moment

    def _check_guards(self, ctx: StepContext) -> None:
        reasons: list[str] = []
        for ref in ctx.step.guards:
            plugin, guard = self._guards[ref.name]
            reasons += self._run_guard(plugin, guard, ctx, ref.args)
        if not reasons:
            dept = ctx.matter.department if ctx.matter is not None else ctx.department
            for _plugin, result in self.plugins.call(
                "zhifa_before_transition", for_department=dept, ctx=ctx
            ):
                reasons += _reasons(result)
        if reasons:
            what = "open the matter" if ctx.matter is None else f"take the step {ctx.step.name!r}"
            raise GuardRefused(f"the rules do not allow to {what} now", reasons)

    @staticmethod
    def _conflict(matter_id: int, loaded: int, current: int | None) -> ConflictError:
        now = f" (now at version {current})" if current is not None else ""
        return ConflictError(
            f"matter {matter_id} was changed by someone else after you loaded version {loaded}{now}; "
            "reload it, check its state, and try again"
        )

    def _append(
        self,
        tx: Transaction,
        defn: Definition,
        ctx: StepContext,
        matter_id: int,
        version: int,
        prev_hash: str,
        to_state: str,
        values: Mapping[str, Any],
        moment: datetime,
        recorded: datetime,
        evidence: Sequence[Evidence],
        steps: list[Step],
        *,
        extra: Mapping[str, Any] | None = None,
        matter_data: Mapping[str, Any] | None = None,
        from_state: str | None = None,
    ) -> tuple[StepResult, Step]:
        """Write the step's event and the matter row, recompute the clocks, queue the outbox and
        call the after-transition hooks; the step as the clocks see it comes back too."""
        conn = tx.connection
        seq = version + 1
        data_text = canonical_json({**values, **(extra or {})})
        evidence_text = canonical_json([e.as_dict() for e in evidence])
        digest = event_hash(
            matter_id=matter_id,
            seq=seq,
            trigger=ctx.step.name,
            from_state=from_state,
            to_state=to_state,
            actor_id=ctx.actor.id,
            occurred_at=moment,
            recorded_at=recorded,
            data=data_text,
            evidence=evidence_text,
            prev_hash=prev_hash,
        )
        try:
            event_id = _run(
                conn,
                _INSERT_EVENT,
                {
                    "matter_id": matter_id,
                    "seq": seq,
                    "trigger": ctx.step.name,
                    "from_state": from_state,
                    "to_state": to_state,
                    "actor_id": ctx.actor.id,
                    "occurred_at": moment,
                    "recorded_at": recorded,
                    "data": data_text,
                    "evidence": evidence_text,
                    "prev_hash": prev_hash,
                    "hash": digest,
                },
            ).inserted_primary_key_id
        except SAIntegrityError:
            raise self._conflict(matter_id, version, None) from None
        changes: dict[str, Any] = {
            "z_id": matter_id,
            "z_version": version,
            "z_new_version": seq,
            "z_hash": digest,
            "z_updated_at": recorded,
        }
        if from_state is not None:
            changes |= {"z_state": to_state, "z_data": matter_data}
        updated = _run(conn, _UPDATE_OPENED if from_state is None else _UPDATE_MATTER, changes)
        if updated.rowcount != 1:
            raise self._conflict(matter_id, version, None)
        event = EventRecord(
            id=event_id,
            matter_id=matter_id,
            workflow=defn.name,
            seq=seq,
            trigger=ctx.step.name,
            from_state=from_state,
            to_state=to_state,
            actor_id=ctx.actor.id,
            occurred_at=moment,
            recorded_at=recorded,
            data=json.loads(data_text),
            evidence=[e.as_dict() for e in evidence],
            prev_hash=prev_hash,
            hash=digest,
        )
        # the step's own copy of the data: the event's dict goes to plugins and callers
        step = Step(moment.date(), ctx.step.name, to_state, MappingProxyType(json.loads(data_text)))
        clock_states = self._write_clocks(conn, defn, matter_id, [*steps, step], recorded.date())
        current = ctx.matter
        if current is None:  # just opened: read back what the database filled in
            row = conn.execute(_SELECT_MATTER, {"z_id": matter_id}).one()
            after = _view(row)
        else:
            after = dataclasses.replace(
                current,
                state=to_state,
                version=seq,
                head_hash=digest,
                updated_at=recorded,
                data=matter_data if matter_data is not None else current.data,
            )
        self._queue(conn, event, after, recorded)
        self.plugins.call(
            "zhifa_after_transition",
            for_department=ctx.matter.department if ctx.matter is not None else ctx.department,
            ctx=ctx,
            event=event,
        )
        return StepResult(after, event, tuple(clock_states)), step

    def _committed(
        self, result: StepResult, earlier: Sequence[tuple[Step, datetime]], step: Step
    ) -> StepResult:
        """After a step's commit: remember the matter's steps (``earlier`` and the ``step`` just
        taken) for its next step, and hand the step's outbox messages to the reporting sinks."""
        e = result.event
        steps = (*earlier, (step, e.occurred_at))
        self._recent[e.matter_id] = (result.matter.version, steps)
        self._recent.move_to_end(e.matter_id)
        if len(self._recent) > RECENT_MATTERS:
            self._recent.popitem(last=False)
        if e.id in self._queued:
            self._queued.discard(e.id)
            self.deliver_outbox(event_id=e.id)
        return result

    def _write_clocks(
        self,
        conn: sa.Connection,
        defn: Definition,
        matter_id: int,
        steps: Sequence[Step],
        today: date,
    ) -> list[ClockState]:
        """Recompute the matter's clocks and store them (a clock, once started, never goes away,
        so an upsert per clock keeps the rows current)."""
        if not defn.clocks:
            return []
        states = [
            s
            for spec in defn.clocks.values()
            if (s := compute(spec, steps, self.calendar, today)) is not None
        ]
        if states:
            conn.execute(
                _upsert_clocks(conn.dialect.name),
                [
                    {
                        "matter_id": matter_id,
                        "name": s.spec.name,
                        "status": s.status,
                        "started_on": s.started_on,
                        "due_on": s.due_on,
                        "stopped_on": s.stopped_on,
                        "provisional": s.provisional,
                        "paused_days": s.paused_days,
                        "extensions": s.extensions,
                    }
                    for s in states
                ],
            )
        return states

    # -- outbox ------------------------------------------------------------------------------

    def _queue(
        self, conn: sa.Connection, event: EventRecord, matter: MatterView, now: datetime
    ) -> None:
        """Queue one outbox message for each sink that wants ``event``, carrying the event and
        its ``matter`` after the step. The department and the entity are looked up only when a
        sink wants the event, so a step no sink wants costs nothing more."""
        wanting: list[str] = []
        for name, (plugin, sink) in self._sinks.items():
            if not self.plugins.allows(plugin, matter.department):
                continue
            try:
                wanted = sink.wants(event)
            except Exception as exc:
                raise PluginError(plugin, f"sink {name}.wants", exc) from exc
            if wanted:
                wanting.append(name)
        if not wanting:
            return
        payload = canonical_json(outbox_payload(event, self._outbox_matter(conn, matter)))
        conn.execute(
            sa.insert(_OUTBOX),
            [
                {
                    "event_id": event.id,
                    "sink": name,
                    "key": f"{event.matter_id}:{event.seq}:{name}",
                    "payload": payload,
                    "attempts": 0,
                    "next_attempt_at": now,
                }
                for name in wanting
            ],
        )
        if event.id is not None:
            self._queued.add(event.id)

    @staticmethod
    def _outbox_matter(conn: sa.Connection, matter: MatterView) -> OutboxMatter:
        """``matter`` as sinks see it: with its department's name and its entity's code and name,
        read in the step's transaction."""
        row = conn.execute(
            _SELECT_SINK_NAMES, {"z_dept": matter.department, "z_entity": matter.entity_id}
        ).first()
        return OutboxMatter(
            id=matter.id,
            workflow=matter.workflow,
            state=matter.state,
            version=matter.version,
            department=matter.department,
            department_name=row.department_name if row is not None else "",
            entity_uscc=row.entity_uscc if row is not None else None,
            entity_name=row.entity_name if row is not None else None,
            title=matter.title,
            data=matter.data,
        )

    def deliver_outbox(
        self, *, event_id: int | None = None, sink: str | None = None, limit: int = 100
    ) -> DeliveryReport:
        """Deliver the outbox messages due now (only ``event_id``'s or ``sink``'s when given).

        Each delivery runs in a worker thread within its sink's ``timeout`` (see
        :mod:`zhifa.engine.outbox`); a sink that raises or times out is recorded on the message and
        retried later with backoff. ``pending`` counts the undelivered messages (of ``sink``).
        """
        now = self.clock.now()
        query = (
            sa.select(_OUTBOX)
            .where(_OUTBOX.c.delivered_at.is_(None), _OUTBOX.c.next_attempt_at <= now)
            .order_by(_OUTBOX.c.id)
            .limit(limit)
        )
        if event_id is not None:
            query = query.where(_OUTBOX.c.event_id == event_id)
        if sink is not None:
            query = query.where(_OUTBOX.c.sink == sink)
        with self.store.read() as session:
            messages = session.execute(query).all()
        delivered = failed = 0
        for msg in messages:
            error = self._deliver_one(msg)
            attempts = msg.attempts + 1
            values: dict[str, Any] = {"attempts": attempts, "last_error": error}
            if error is None:
                values["delivered_at"] = self.clock.now()
                delivered += 1
            else:
                values["next_attempt_at"] = now + retry_delay(attempts)
                failed += 1
            with self.store.write() as session:
                session.execute(
                    sa.update(_OUTBOX)
                    .where(_OUTBOX.c.id == msg.id, _OUTBOX.c.delivered_at.is_(None))
                    .values(**values)
                )
        undelivered = (
            sa.select(sa.func.count()).select_from(_OUTBOX).where(_OUTBOX.c.delivered_at.is_(None))
        )
        if sink is not None:
            undelivered = undelivered.where(_OUTBOX.c.sink == sink)
        with self.store.read() as session:
            pending = session.scalar(undelivered) or 0
        return DeliveryReport(delivered, failed, pending)

    def _deliver_one(self, msg: Any) -> str | None:
        """Hand one outbox row to its sink; None when delivered, else the error to record."""
        entry = self._sinks.get(msg.sink)
        if entry is None:
            return f"sink {msg.sink!r} is not loaded; install or enable its plugin"
        try:
            payload = json.loads(msg.payload)
            message = OutboxDelivery.from_payload(msg.key, msg.sink, msg.attempts + 1, payload)
        except (ValueError, KeyError, TypeError) as exc:
            return (
                f"the stored payload is not an outbox message ({type(exc).__name__}: {exc}); "
                "it cannot be delivered until the row is repaired"
            )
        return deliver_within(entry[1], message)


def open_and_walk(
    engine: Engine,
    workflow: str,
    actor: str,
    steps: Iterable[tuple[str, str, Mapping[str, Any]]],
    **open_kwargs: Any,
) -> MatterView:
    """Open a matter and take ``(trigger, actor, data)`` steps in turn (used by the demo and tests)."""
    result = engine.open(workflow, actor, **open_kwargs)
    view = result.matter
    for trigger, who, data in steps:
        view = engine.advance(view, trigger, who, data).matter
    return view
