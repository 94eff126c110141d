"""The deadlines of ``zhifa due``: running clocks of matters and the follow-ups they owe, read
from the stored deadlines in the window (by index), recomputed only for those candidates from
their events fetched in one query, paged; and the refresh of stored deadlines when a year's
official calendar data arrives."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from types import MappingProxyType
from typing import Any

import sqlalchemy as sa

from zhifa.calendar import WorkCalendar, has_official_data
from zhifa.engine.actors import officer as read_officer
from zhifa.engine.reads import names
from zhifa.engine.registry import Registry
from zhifa.engine.results import DueItem, DueList
from zhifa.engine.statements import (
    BULK_CHUNK,
    CLOCKS,
    EVENTS,
    FOLLOWS,
    LINKS,
    MATTERS,
    matter_view,
    upsert_clocks,
)
from zhifa.errors import InputError
from zhifa.hooks.types import MatterView
from zhifa.store import Store
from zhifa.timekeeping import Clock
from zhifa.workflow.deadlines import Step, compute
from zhifa.workflow.definitions import EXPECTED_STATE, ClockSpec

PROVISIONAL_SHIFT = 6
"""The most working days a provisional deadline can move earlier when its year's data arrives.

A year without data counts Monday to Friday. Its official data can move a working-day deadline
earlier only through make-up working days (调休, a weekend day declared working): the recomputed
deadline is as many weekdays earlier as the make-up days exceed the weekday holidays between the
clock's start and it. Over every calendar the State Council published (2004 onwards) that excess
is at most 3 in any stretch of days (2004-10-09 to 2005-02-06); this bound doubles it
(tests/test_due_scale.py recomputes the maximum from the installed data). A calendar-day
deadline can move earlier by 2 days at most: it ended on a Saturday or Sunday, now a working
day. Any deadline can move later (a new holiday); stored earlier, it is still read."""

PROVISIONAL_MARGIN = timedelta(days=PROVISIONAL_SHIFT + 2 * -(-PROVISIONAL_SHIFT // 5))
"""How much later than the window a stored provisional deadline is still read: the calendar days
that ``PROVISIONAL_SHIFT`` weekdays can span back from a weekday (two weekend days for each
started five)."""


def year_settled(calendar: WorkCalendar, year: int) -> bool:
    """Whether every day of ``year`` is known to ``calendar`` (official data or additions)."""
    if has_official_data(year):
        return True
    day = date(year, 1, 1)
    while day.year == year:
        if calendar.day_kind(day)[1]:
            return False
        day += timedelta(days=1)
    return True


def due_on(item: DueItem) -> date:
    return item.clock.due_on or item.clock.as_of


def due_key(item: DueItem) -> tuple[date, int, int, str]:
    """Soonest first; one matter's running clocks in their definition's order, then the
    follow-ups it owes."""
    order = 0 if item.follow_up is None else 1
    return (due_on(item), item.matter.id, order, item.follow_up or "")


def steps_of(conn: sa.Connection, ids: Sequence[int]) -> dict[int, list[Step]]:
    """The steps of matters ``ids``, oldest first, read in one query."""
    out: dict[int, list[Step]] = {}
    loads = json.loads
    query = (
        sa.select(
            EVENTS.c.matter_id,
            sa.type_coerce(EVENTS.c.occurred_at, sa.String).label("occurred_at"),
            EVENTS.c.trigger,
            EVENTS.c.to_state,
            EVENTS.c.data,
        )
        .where(EVENTS.c.matter_id.in_(list(ids)))
        .order_by(EVENTS.c.matter_id, EVENTS.c.seq)
    )
    for mid, raw, trigger, to_state, data in conn.execute(query):
        at = raw if isinstance(raw, datetime) else datetime.fromisoformat(raw)
        out.setdefault(mid, []).append(
            Step(at.date(), trigger, to_state, MappingProxyType(loads(data)))
        )
    return out


NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def json_value(dialect: str, path: str) -> sa.ColumnElement[Any] | None:
    """The value at ``trigger.field`` of a matter's data, written as the expression indexes of
    migration 0011 are (``json_extract(data, '$."t"."f"')`` on SQLite, ``data -> 't' ->> 'f'`` on
    PostgreSQL), so a condition on an indexed path is answered from its index; None when the
    path is not two plain names."""
    trigger, _, name = path.partition(".")
    if not (NAME.fullmatch(trigger) and NAME.fullmatch(name)):
        return None
    if dialect == "sqlite":
        where: sa.ColumnElement[str] = sa.literal_column(f'\'$."{trigger}"."{name}"\'')
        return sa.func.json_extract(MATTERS.c.data, where)
    return MATTERS.c.data.op("->")(sa.literal_column(f"'{trigger}'")).op(
        "->>", return_type=sa.String
    )(sa.literal_column(f"'{name}'"))


def json_condition(
    dialect: str, path: str, allowed: frozenset[Any]
) -> sa.ColumnElement[bool] | None:
    """``trigger.field`` of a matter's data among ``allowed``, in SQL, when every allowed value
    is text or there is one yes/no value (else None: tested in Python only; every row SQL keeps
    is tested in Python too)."""
    value = json_value(dialect, path)
    if value is None or not allowed:
        return None
    if all(isinstance(v, str) for v in allowed):
        return value.in_(sorted(allowed))
    if len(allowed) == 1 and isinstance(flag := next(iter(allowed)), bool):
        # a literal, not a parameter: a partial index on ``= 1`` / ``= 'true'`` is used only
        # when the query states the same constant
        if dialect == "sqlite":
            return value == sa.literal_column("1" if flag else "0")
        return value == sa.literal_column("'true'" if flag else "'false'")
    return None


@dataclass(frozen=True, slots=True)
class Pending:
    """A due item whose clock was computed as of a day near its deadline (the deadline and the
    status do not depend on the day seen from; counting the days left up to a far-off today
    does): :meth:`seen` recomputes it as of the list's day, for the items of the page only."""

    item: DueItem
    spec: ClockSpec
    steps: Sequence[Step]

    def seen(self, calendar: WorkCalendar, day: date) -> DueItem:
        clock = compute(self.spec, self.steps, calendar, day)
        assert clock is not None  # it started on these steps before
        return DueItem(self.item.matter, clock, self.item.follow_up)


def near(steps: Sequence[Step]) -> date:
    """A day to compute a clock as of cheaply: its first step's (days are counted from there to
    the deadline, not to a far-off today)."""
    return steps[0].on if steps else date.min


@dataclass
class Filters:
    """The filters of a due list that SQL applies to the matters; ``involved`` collects the
    candidates ``officer`` took a step on."""

    department: str | None
    officer: str | None
    workflow: str | None
    state: str | None
    involved: set[int] = field(default_factory=set)

    def apply(self, query: sa.Select[Any]) -> sa.Select[Any]:
        if self.department:
            query = query.where(MATTERS.c.department_code == self.department)
        if self.workflow:
            query = query.where(MATTERS.c.workflow == self.workflow)
        if self.state:
            query = query.where(MATTERS.c.state == self.state)
        if self.officer is not None:
            steps = EVENTS.alias("acted")
            acted = (
                sa.select(steps.c.id)
                .where(steps.c.matter_id == MATTERS.c.id, steps.c.actor_id == self.officer)
                .correlate(MATTERS)
            )
            # the JSON text of the matter's data holds the id, quoted, when it is named in it
            needle = json.dumps(self.officer)
            named = sa.cast(MATTERS.c.data, sa.Text).contains(needle, autoescape=True)
            query = query.where(sa.or_(acted.exists(), named))
        return query


class DueLists:
    """The due lists and the refresh of stored deadlines; each read runs in a read session."""

    def __init__(
        self,
        store: Store,
        registry: Registry,
        clock: Clock,
        calendar: WorkCalendar,
        load: Callable[[int], MatterView],
    ) -> None:
        self.store = store
        self.registry = registry
        self.clock = clock
        self.calendar = calendar
        self.load = load

    def due(
        self,
        *,
        department: str | None = None,
        officer: str | None = None,
        within: int | None = None,
        today: date | None = None,
        limit: int | None = None,
        offset: int = 0,
        workflow: str | None = None,
        state: str | None = None,
    ) -> DueList:
        """Running statutory clocks and owed follow-ups, soonest first (ties by matter): overdue
        ones, and with ``within`` only those due in the next ``within`` days; with ``limit``, the
        page of ``limit`` items after the first ``offset`` (``more`` says whether items follow).

        Candidates come from the stored clocks (see :meth:`_running`), in deadline order,
        filtered by department, workflow, state and officer in SQL; only they are recomputed from
        their events (one query for all of them), and the window is applied to the recomputed
        clocks, so the list is the one a recomputation of every matter would give. ``officer``
        keeps the matters that officer took a step on or is named in."""
        if offset < 0 or (limit is not None and limit < 1):
            raise InputError(
                f"a page needs a limit of 1 or more and an offset of 0 or more, got limit "
                f"{limit} and offset {offset}; e.g. limit 50, offset 0"
            )
        day = today or self.clock.now().date()
        horizon = day + timedelta(days=within) if within is not None else None
        wanted = offset + limit + 1 if limit is not None else None
        with self.store.read() as session:
            conn = session.connection()
            if officer is not None:
                read_officer(conn, officer)
            filters = Filters(department, officer, workflow, state)
            items = self._running(conn, day, horizon, filters, wanted)
            owed = self._owed(conn, department, horizon=horizon, filters=filters)
            if officer is not None and owed:
                filters.involved.update(
                    conn.scalars(
                        sa.select(EVENTS.c.matter_id)
                        .where(
                            EVENTS.c.matter_id.in_(sorted({p.item.matter.id for p in owed})),
                            EVENTS.c.actor_id == officer,
                        )
                        .distinct()
                    )
                )
                owed = [
                    p
                    for p in owed
                    if p.item.matter.id in filters.involved or names(p.item.matter, officer)
                ]
            items += owed
            stale = self.stale_deadlines(conn)
        items.sort(key=lambda p: due_key(p.item))
        end = len(items) if limit is None else offset + limit
        page = [p.seen(self.calendar, day) for p in items[offset:end]]
        return DueList(page, more=len(items) > end, stale=stale)

    def _candidates(
        self,
        conn: sa.Connection,
        filters: Filters,
        provisional: bool,
        until: date | None,
        limit: int | None,
    ) -> list[tuple[int, date]]:
        """(matter, stored deadline) of the stored running clocks, exact or provisional, due by
        ``until``, in deadline order, filtered in SQL; at most ``limit``."""
        query: sa.Select[Any] = (
            sa.select(CLOCKS.c.matter_id, CLOCKS.c.due_on)
            .join(MATTERS, MATTERS.c.id == CLOCKS.c.matter_id)
            .where(
                CLOCKS.c.status == "running",
                CLOCKS.c.provisional == sa.true()
                if provisional
                else CLOCKS.c.provisional == sa.false(),
                CLOCKS.c.due_on.is_not(None),
            )
            .order_by(CLOCKS.c.due_on, CLOCKS.c.matter_id, CLOCKS.c.name)
        )
        if until is not None:
            query = query.where(CLOCKS.c.due_on <= until)
        query = filters.apply(query)
        if limit is not None:
            query = query.limit(limit)
        return [(r.matter_id, r.due_on) for r in conn.execute(query)]

    def _running(
        self,
        conn: sa.Connection,
        day: date,
        horizon: date | None,
        filters: Filters,
        wanted: int | None,
    ) -> list[Pending]:
        """The first ``wanted`` running clocks in the window (all without ``wanted``), recomputed.

        Two ordered streams of stored rows are read: exact deadlines (a recomputation gives the
        stored day) and provisional ones (it may give a day up to :data:`PROVISIONAL_MARGIN`
        earlier, or any later day). A batch of ``n`` rows of each is recomputed; an item is
        certain when no unread row can sort before it: before the last exact row read, and more
        than the margin before the last provisional row read. Too few certain items: read again,
        four times as many."""
        late = horizon + PROVISIONAL_MARGIN if horizon is not None else None
        if wanted is None:
            exact = self._candidates(conn, filters, False, horizon, None)
            provisional = self._candidates(conn, filters, True, late, None)
            ids = sorted({m for m, _ in exact} | {m for m, _ in provisional})
            return self._recompute(conn, ids, day, horizon, filters)
        batch = 2 * wanted + 8  # the last matter read may have clocks not read yet
        while True:
            exact = self._candidates(conn, filters, False, horizon, batch)
            provisional = self._candidates(conn, filters, True, late, batch)
            ids = sorted({m for m, _ in exact} | {m for m, _ in provisional})
            items = self._recompute(conn, ids, day, horizon, filters)
            cut: tuple[date, int] | None = None
            edge: date | None = None
            if len(exact) == batch:
                cut = (exact[-1][1], exact[-1][0])
            if len(provisional) == batch:
                edge = provisional[-1][1] - PROVISIONAL_MARGIN
            certain = [
                i
                for i in items
                if (cut is None or (due_on(i.item), i.item.matter.id) < cut)
                and (edge is None or due_on(i.item) < edge)
            ]
            if (cut is None and edge is None) or len(certain) >= wanted:
                return certain
            batch *= 4

    def _recompute(
        self,
        conn: sa.Connection,
        ids: Sequence[int],
        day: date,
        horizon: date | None,
        filters: Filters,
    ) -> list[Pending]:
        """The running clocks of matters ``ids`` due by ``horizon``, recomputed from their events
        (one query per :data:`BULK_CHUNK` matters)."""
        items: list[Pending] = []
        for start in range(0, len(ids), BULK_CHUNK):
            chunk = list(ids[start : start + BULK_CHUNK])
            views = {
                r.id: matter_view(r)
                for r in conn.execute(sa.select(MATTERS).where(MATTERS.c.id.in_(chunk)))
            }
            steps = steps_of(conn, chunk)
            if filters.officer is not None:
                filters.involved.update(
                    conn.scalars(
                        sa.select(EVENTS.c.matter_id)
                        .where(EVENTS.c.matter_id.in_(chunk), EVENTS.c.actor_id == filters.officer)
                        .distinct()
                    )
                )
            for mid in chunk:
                view = views[mid]
                if (
                    filters.officer is not None
                    and mid not in filters.involved
                    and not names(view, filters.officer)
                ):
                    continue
                defn = self.registry.definition(view.workflow, view.workflow_version)
                walked = steps.get(mid, [])
                for spec in defn.clocks.values():
                    state = compute(spec, walked, self.calendar, near(walked))
                    if state is None or state.status != "running" or state.due_on is None:
                        continue
                    if horizon is not None and state.due_on > horizon:
                        continue
                    items.append(Pending(DueItem(view, state), spec, walked))
        return items

    def stale_deadlines(self, conn: sa.Connection) -> int:
        """How many stored provisional running deadlines fall in a year the calendar now has
        data for (``zhifa due --refresh`` stores them again); two indexed queries at most."""
        first = conn.scalar(
            sa.select(sa.func.min(CLOCKS.c.due_on)).where(
                CLOCKS.c.status == "running", CLOCKS.c.provisional == sa.true()
            )
        )
        if first is None:
            return 0
        year = first.year
        while year_settled(self.calendar, year):
            year += 1
        if year == first.year:
            return 0
        return int(
            conn.scalar(
                sa.select(sa.func.count()).where(
                    CLOCKS.c.status == "running",
                    CLOCKS.c.provisional == sa.true(),
                    CLOCKS.c.due_on < date(year, 1, 1),
                )
            )
            or 0
        )

    def expected(self, matter: int | MatterView, today: date | None = None) -> list[DueItem]:
        """The follow-up matters ``matter`` still owes (declared by other workflows' ``expected``),
        each with its deadline as of ``today``; one that was opened following it is no longer
        owed."""
        view = matter if isinstance(matter, MatterView) else self.load(matter)
        day = today or self.clock.now().date()
        with self.store.read() as session:
            return self.owed(session.connection(), day, None, view.id)

    def owed(
        self,
        conn: sa.Connection,
        day: date,
        department: str | None,
        matter_id: int | None = None,
        *,
        horizon: date | None = None,
        filters: Filters | None = None,
    ) -> list[DueItem]:
        """Follow-ups owed and not yet opened, as of ``day`` (see :meth:`_owed`)."""
        pending = self._owed(conn, department, matter_id, horizon=horizon, filters=filters)
        return [p.seen(self.calendar, day) for p in pending]

    def _owed(
        self,
        conn: sa.Connection,
        department: str | None,
        matter_id: int | None = None,
        *,
        horizon: date | None = None,
        filters: Filters | None = None,
    ) -> list[Pending]:
        """Follow-ups owed and not yet opened: for each workflow's expectation, the earlier
        matters that took one of its triggers, satisfy its conditions and have no follower of
        that workflow; the clock counts from the latest such step. With ``horizon``, only those
        due by then.

        One query per expectation over the earlier workflow's matters of the department. Its
        ``when`` conditions on text and yes/no values are tested in SQL on the expressions
        migration 0011 indexes for the shipped expectations (``ix_matters_owes_*``: workflow,
        value, department), so only the matters that meet them are read; a condition on a path
        without such an index reads every matter of the workflow in the department. The latest
        step is found per matter through the record's (matter, seq) key, and a step later than
        ``horizon`` minus the clock's days cannot be due by ``horizon`` (every counted day is a
        day after the start), so it is left out."""
        owed: list[Pending] = []
        follower = MATTERS.alias("follower")
        dialect = conn.dialect.name
        for defn in self.registry.workflows():
            for exp in defn.expected:
                opened = (
                    sa.select(LINKS.c.id)
                    .select_from(LINKS.join(follower, follower.c.id == LINKS.c.target_id))
                    .where(
                        LINKS.c.source_id == MATTERS.c.id,
                        LINKS.c.kind == FOLLOWS,
                        follower.c.workflow == defn.name,
                    )
                    .correlate(MATTERS)
                )
                earlier = EVENTS.alias("earlier")
                latest = (
                    sa.select(sa.func.max(earlier.c.seq))
                    .where(
                        earlier.c.matter_id == MATTERS.c.id,
                        earlier.c.trigger.in_(sorted(exp.triggers)),
                    )
                    .correlate(MATTERS)
                    .scalar_subquery()
                )
                query = (
                    sa.select(MATTERS, EVENTS.c.occurred_at, EVENTS.c.trigger.label("z_trigger"))
                    .select_from(
                        MATTERS.join(
                            EVENTS,
                            (EVENTS.c.matter_id == MATTERS.c.id) & (EVENTS.c.seq == latest),
                        )
                    )
                    .where(MATTERS.c.workflow == exp.workflow, ~opened.exists())
                    .order_by(MATTERS.c.id)
                )
                for path, allowed in exp.when.items():
                    condition = json_condition(dialect, path, allowed)
                    if condition is not None:
                        query = query.where(condition)
                if horizon is not None:
                    last = horizon - timedelta(days=exp.clock.days) + timedelta(days=1)
                    query = query.where(EVENTS.c.occurred_at < datetime.combine(last, time()))
                if department:
                    query = query.where(MATTERS.c.department_code == department)
                if matter_id is not None:
                    query = query.where(MATTERS.c.id == matter_id)
                if filters is not None:
                    query = filters.apply(query)
                for row in conn.execute(query):
                    view = matter_view(row)
                    if not exp.owed(view.data):
                        continue
                    raw = row.occurred_at
                    at = raw if isinstance(raw, datetime) else datetime.fromisoformat(raw)
                    steps = (Step(at.date(), row.z_trigger, EXPECTED_STATE),)
                    state = compute(exp.clock, steps, self.calendar, near(steps))
                    if state is None:
                        continue
                    if horizon is not None and (state.due_on or horizon) > horizon:
                        continue
                    owed.append(
                        Pending(DueItem(view, state, follow_up=defn.name), exp.clock, steps)
                    )
        return owed

    def refresh_deadlines(self, *, every: bool = False, today: date | None = None) -> int:
        """Recompute the stored running clocks that are provisional (with ``every``: all running
        clocks, after a change of the calendar's local additions) and store those that changed;
        returns how many changed. Reads matters in batches of :data:`BULK_CHUNK`."""
        day = today or self.clock.now().date()
        changed = after = 0
        while True:
            with self.store.transaction() as tx:
                conn = tx.connection
                query = (
                    sa.select(CLOCKS.c.matter_id)
                    .where(CLOCKS.c.status == "running", CLOCKS.c.matter_id > after)
                    .group_by(CLOCKS.c.matter_id)
                    .order_by(CLOCKS.c.matter_id)
                    .limit(BULK_CHUNK)
                )
                if not every:
                    query = query.where(CLOCKS.c.provisional == sa.true())
                ids = list(conn.scalars(query))
                if not ids:
                    return changed
                after = ids[-1]
                stored = {
                    (r.matter_id, r.name): r
                    for r in conn.execute(sa.select(CLOCKS).where(CLOCKS.c.matter_id.in_(ids)))
                }
                views = {
                    r.id: r
                    for r in conn.execute(
                        sa.select(
                            MATTERS.c.id, MATTERS.c.workflow, MATTERS.c.workflow_version
                        ).where(MATTERS.c.id.in_(ids))
                    )
                }
                steps = steps_of(conn, ids)
                rows = []
                for mid in ids:
                    view = views[mid]
                    defn = self.registry.definition(view.workflow, view.workflow_version)
                    for spec in defn.clocks.values():
                        st = compute(spec, steps.get(mid, ()), self.calendar, day)
                        if st is None:
                            continue
                        row = {
                            "matter_id": mid,
                            "name": spec.name,
                            "status": st.status,
                            "started_on": st.started_on,
                            "due_on": st.due_on,
                            "stopped_on": st.stopped_on,
                            "provisional": st.provisional,
                            "paused_days": st.paused_days,
                            "extensions": st.extensions,
                        }
                        old = stored.get((mid, spec.name))
                        if old is None or any(getattr(old, k) != v for k, v in row.items()):
                            rows.append(row)
                if rows:
                    conn.execute(upsert_clocks(conn.dialect.name), rows)
                    changed += len(rows)
