"""The :class:`Engine`: the one place a matter is opened or advanced, and the one object callers
hold. It wires the engine's parts together and hands every call to the part that does it:

* :class:`~zhifa.engine.registry.Registry` — definitions, guards, the catalogue;
* :class:`~zhifa.engine.reads.Reads` — everything that only reads, except
* :class:`~zhifa.engine.due.DueLists` — the due lists and the refresh of stored deadlines;
* :class:`~zhifa.engine.opening.Opener` — opening one or many matters;
* :class:`~zhifa.engine.stepping.Stepper` — advancing a matter by one step;
* :class:`~zhifa.engine.outbox.Outbox` — the messages for reporting sinks.

What happens after a commit stays here: the matter's steps are remembered for its next step, and
the step's outbox messages are delivered (through :meth:`Engine.deliver_outbox`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from zhifa.documents import Issuer
from zhifa.engine.checks import StepChecks
from zhifa.engine.due import DueLists
from zhifa.engine.opening import Opener
from zhifa.engine.outbox import Outbox
from zhifa.engine.reads import Reads, names
from zhifa.engine.registry import Registry
from zhifa.engine.results import (
    DeliveryReport,
    DueItem,
    DueList,
    Opening,
    StepResult,
    TriggerOption,
)
from zhifa.engine.stepping import Stepper
from zhifa.engine.writing import StepWriter
from zhifa.evidence import BlobStore, configured
from zhifa.hooks.types import EventRecord, MatterView
from zhifa.identity import Session, Signed
from zhifa.plugins import Plugins
from zhifa.record import Evidence
from zhifa.rules import Facts, Suggestion, Violation, discretion
from zhifa.store import Store
from zhifa.timekeeping import Clock, SystemClock
from zhifa.workflow.deadlines import ClockState, Step
from zhifa.workflow.definitions import Definition
from zhifa.workflow.machine import CompiledWorkflow


class Engine:
    """Opens and advances matters on a store, with the loaded plugins and an injectable clock.

    ``evidence`` is where step evidence and the documents steps issue are kept (default:
    :func:`zhifa.evidence.configured` for the store's URL); ``engine.evidence.get(sha256)``
    gives their bytes (see :mod:`zhifa.documents`)."""

    def __init__(
        self,
        store: Store,
        *,
        plugins: Plugins | None = None,
        clock: Clock | None = None,
        sessions: Iterable[Session] = (),
        evidence: BlobStore | None = None,
    ) -> None:
        self.store = store
        # where step evidence and issued documents are kept (zhifa.evidence)
        self.evidence: BlobStore = evidence if evidence is not None else configured(store.url)
        # the officers this engine acts for (see zhifa.identity.Signed for the rule)
        self.signed = Signed(sessions)
        self.plugins = plugins if plugins is not None else Plugins()
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.calendar = self.plugins.calendar()
        guards = self.plugins.guards()
        self._outbox = Outbox(store, self.clock, self.plugins, self.plugins.sinks())
        # the violation catalogues of the loaded plugins; two declaring one code fail here
        self.catalogue: Mapping[str, Sequence[Violation]] = self.plugins.violations()
        self._registry = Registry(store, self.plugins, self.clock, guards, self.catalogue)
        checks = StepChecks(self._registry, self.plugins, self.calendar)
        self.issuer = Issuer(self.plugins, self.evidence)
        writer = StepWriter(self.plugins, self.calendar, self._outbox, self.issuer)
        self._reads = Reads(store, self._registry, checks, self.clock, self.calendar)
        self._due = DueLists(store, self._registry, self.clock, self.calendar, self._reads.load)
        self._opener = Opener(
            store,
            self.plugins,
            self._registry,
            checks,
            writer,
            self._outbox,
            self.clock,
            self.signed,
        )
        self._stepper = Stepper(store, self._registry, checks, writer, self.clock, self.signed)

    def sign_in(self, session: Session) -> None:
        """Act for ``session``'s officer from now on (a :class:`~zhifa.identity.Session` from
        :func:`zhifa.identity.login` or :func:`zhifa.identity.from_token`). Once an engine holds
        a session, officer ids it holds none for are refused as actors."""
        self.signed.add(session)

    # -- definitions -------------------------------------------------------------------------

    def workflows(self) -> list[Definition]:
        """The newest version of every loaded workflow, by name."""
        return self._registry.workflows()

    def definition(self, name: str, version: int | None = None) -> Definition:
        """A workflow definition: the newest loaded one, or a given version (from the database
        when no plugin ships it any more)."""
        return self._registry.definition(name, version)

    def compiled(self, defn: Definition) -> CompiledWorkflow:
        return self._registry.compiled(defn)

    def _catalogue_of(self, department: str | None) -> Mapping[str, Sequence[Violation]]:
        """The catalogue entries of the plugins ``department`` uses (cached per department)."""
        return self._registry.catalogue_of(department)

    # -- reads -------------------------------------------------------------------------------

    def load(self, matter_id: int) -> MatterView:
        return self._reads.load(matter_id)

    def history(self, matter_id: int) -> list[EventRecord]:
        return self._reads.history(matter_id)

    def as_seen_by(
        self, viewer: str | Session | None, matter: MatterView, history: Sequence[EventRecord]
    ) -> tuple[MatterView, list[EventRecord]]:
        """``matter`` and its ``history`` as ``viewer`` may see them: the confidential fields (a
        reporter's identity) only for an officer who handles the matter — took a step on it or is
        named in it — else redacted. ``viewer`` is resolved like an actor (a session, or an id
        the engine holds a session for; on a store without authentication any id); None sees
        them redacted. An id that is not the signed-in officer's is :class:`AuthError`."""
        officer = None
        if viewer is not None:
            with self.store.read() as session:
                officer, _ = self.signed.acting(session.connection(), viewer, self.clock.now())
        if officer is not None and (
            names(matter, officer) or any(e.actor_id == officer for e in history)
        ):
            return matter, list(history)
        defn = self.definition(matter.workflow, matter.workflow_version)
        shown = dataclasses.replace(matter, data=defn.redact_data(matter.data))
        return shown, [
            dataclasses.replace(e, data=defn.redact_step(e.trigger, e.data)) for e in history
        ]

    def clocks(self, matter: int | MatterView, today: date | None = None) -> list[ClockState]:
        """The matter's clocks as of ``today`` (default: the engine clock's date), recomputed."""
        return self._reads.clocks(matter, today)

    def links(self, matter_id: int) -> tuple[list[MatterView], list[MatterView]]:
        """The matters ``matter_id`` follows, and those that follow it (oldest first)."""
        return self._reads.links(matter_id)

    def story(self, matter_id: int) -> list[tuple[int, MatterView]]:
        """The whole chain of linked matters around ``matter_id``, as (depth, matter) in
        reading order: from the first matter it came from down through everything that followed."""
        return self._reads.story(matter_id)

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
        """Running statutory clocks and owed follow-ups, soonest first: overdue ones, and with
        ``within`` only those due in the next ``within`` days; with ``limit``, one page of them
        after ``offset`` (``more`` on the result says whether more follow). Candidates are read
        from the stored deadlines and recomputed from the record, so a provisional deadline is
        corrected as soon as calendar data exists (``stale`` on the result counts stored ones
        :meth:`refresh_deadlines` would store again). ``officer`` keeps the matters that
        officer took a step on or is named in; ``workflow`` and ``state`` the matters of that
        workflow or in that state."""
        return self._due.due(
            department=department,
            officer=officer,
            within=within,
            today=today,
            limit=limit,
            offset=offset,
            workflow=workflow,
            state=state,
        )

    def refresh_deadlines(self, *, every: bool = False) -> int:
        """Recompute and store every provisional running clock (``every``: every running clock,
        after a department's calendar additions changed); returns how many stored clocks
        changed. Run it (``zhifa due --refresh``) when a year's calendar data arrives."""
        return self._due.refresh_deadlines(every=every)

    def expected(self, matter: int | MatterView, today: date | None = None) -> list[DueItem]:
        """The follow-up matters ``matter`` still owes (declared by other workflows' ``expected``),
        each with its deadline as of ``today``; one that was opened following it is no longer
        owed."""
        return self._due.expected(matter, today)

    def matters(
        self, *, workflow: str | None = None, state: str | None = None, limit: int | None = None
    ) -> list[MatterView]:
        """Matters, newest first, optionally filtered."""
        return self._reads.matters(workflow=workflow, state=state, limit=limit)

    def available_triggers(
        self, matter: int | MatterView, actor: str | Session, at: datetime | None = None
    ) -> list[TriggerOption]:
        """Every trigger of the matter's workflow: whether ``actor`` may take it now, and why not."""
        officer = actor.officer_id if isinstance(actor, Session) else actor
        return self._reads.available_triggers(matter, officer, at)

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
        return discretion(
            self._registry.catalogue_of(department), code, parsed, conduct or day, day, target
        )

    # -- writes ------------------------------------------------------------------------------

    def open(
        self,
        workflow: str,
        actor: str | Session,
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
        result, taken = self._opener.open(
            workflow,
            actor,
            data,
            at,
            title=title,
            department=department,
            entity=entity,
            evidence=evidence,
            follows=follows,
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
        ids, queued = self._opener.open_many(workflow, openings, at, also=also)
        for event_id in sorted(queued):
            self._outbox.queued.discard(event_id)
            self.deliver_outbox(event_id=event_id)
        return ids

    def advance(
        self,
        matter: int | MatterView,
        trigger: str,
        actor: str | Session,
        data: Mapping[str, Any] | None = None,
        at: datetime | None = None,
        *,
        evidence: Sequence[Evidence] = (),
    ) -> StepResult:
        """Take one step as ``actor``: a :class:`~zhifa.identity.Session`, or the id of an
        officer this engine holds a session for, or (on a store without authentication, with no
        session held) any officer id, recorded as unauthenticated. Raises a :class:`RefusedError` or :class:`InputError` and writes nothing
        when the step is not lawful or the input is wrong; :class:`ConflictError` when ``matter``
        was changed by someone else after it was loaded."""
        result, timed, taken = self._stepper.advance(
            matter, trigger, actor, data, at, evidence=evidence
        )
        return self._committed(result, timed, taken)

    def _committed(
        self, result: StepResult, earlier: Sequence[tuple[Step, datetime]], step: Step
    ) -> StepResult:
        """After a step's commit: remember the matter's steps (``earlier`` and the ``step`` just
        taken) for its next step, and hand the step's outbox messages to the reporting sinks."""
        self._stepper.remember(result, earlier, step)
        event_id = result.event.id
        if event_id is not None and self._outbox.take(event_id):
            self.deliver_outbox(event_id=event_id)
        return result

    # -- outbox ------------------------------------------------------------------------------

    @property
    def outbox(self) -> Outbox:
        """The engine's outbox: claiming and delivering messages (what a worker loop runs)."""
        return self._outbox

    def deliver_outbox(
        self, *, event_id: int | None = None, sink: str | None = None, limit: int = 100
    ) -> DeliveryReport:
        """Deliver the outbox messages due now (only ``event_id``'s or ``sink``'s when given).

        Each delivery runs in a worker thread within its sink's ``timeout`` (see
        :mod:`zhifa.engine.outbox`); a sink that raises or times out is recorded on the message and
        retried later with backoff. ``pending`` counts the undelivered messages (of ``sink``).
        """
        return self._outbox.deliver(event_id=event_id, sink=sink, limit=limit)


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
