"""What the engine hands to guards, hooks and sinks, and what it hands back to callers.

These are plain, read-only views: a plugin sees the matter, the actor, the step's validated data
and the transaction's session, but changes a matter only by returning reasons (guards) or by
taking steps through the engine. What a plugin wants the step to change besides the matter it
declares as an :class:`Effect` (:meth:`StepContext.effect`), which the engine records in the
step's hashed event.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:  # annotations only: a plugin importing these types loads no database code
    from sqlalchemy import Connection
    from sqlalchemy.orm import Session

    from zhifa.calendar import WorkCalendar
    from zhifa.rules import Violation
    from zhifa.store import Transaction
    from zhifa.workflow.deadlines import ClockState, Step
    from zhifa.workflow.definitions import Definition, StepSpec


@dataclass(frozen=True, slots=True)
class Actor:
    """An officer as a step sees them."""

    id: str
    name: str
    department: str
    roles: frozenset[str]
    certificate_no: str | None
    certificate_valid_from: date | None
    certificate_valid_to: date | None
    # how the officer was authenticated for this step: login#ID, token#ID or none (see
    # zhifa.identity); None for officers a step only names
    auth: str | None = None

    @classmethod
    def from_row(cls, row: Any, prefix: str = "") -> Actor:
        """An officer row (ORM object or Core row) as a step sees it; ``prefix`` is the label
        prefix of the officer's columns in a joined row."""

        def col(name: str) -> Any:
            return getattr(row, prefix + name)

        return cls(
            id=col("id"),
            name=col("name"),
            department=col("department_code"),
            roles=frozenset(r for r in col("roles").split(",") if r),
            certificate_no=col("certificate_no"),
            certificate_valid_from=col("certificate_valid_from"),
            certificate_valid_to=col("certificate_valid_to"),
        )

    def certified_on(self, day: date) -> bool:
        return (
            self.certificate_no is not None
            and self.certificate_valid_from is not None
            and self.certificate_valid_to is not None
            and self.certificate_valid_from <= day <= self.certificate_valid_to
        )

    def certificate_problem(self, day: date) -> str | None:
        """Why the officer's enforcement certificate (执法证) does not cover ``day``, or None."""
        if self.certificate_no is None or self.certificate_valid_from is None:
            return f"officer {self.name} ({self.id}) holds no enforcement certificate (执法证)"
        assert self.certificate_valid_to is not None
        if day < self.certificate_valid_from:
            return (
                f"the enforcement certificate {self.certificate_no} of {self.name} ({self.id}) "
                f"is valid only from {self.certificate_valid_from}, after {day}"
            )
        if day > self.certificate_valid_to:
            return (
                f"the enforcement certificate {self.certificate_no} of {self.name} ({self.id}) "
                f"expired on {self.certificate_valid_to}, before {day}"
            )
        return None

    def label(self) -> str:
        return f"{self.name} ({self.id})"


@dataclass(frozen=True, slots=True)
class MatterView:
    """A matter as loaded; ``version`` is what an advance checks against (optimistic lock)."""

    id: int
    workflow: str
    workflow_version: int
    state: str
    version: int
    department: str
    entity_id: int | None
    title: str
    data: Mapping[str, Any]
    opened_at: datetime
    updated_at: datetime
    head_hash: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "workflow": self.workflow,
            "workflow_version": self.workflow_version,
            "state": self.state,
            "version": self.version,
            "department": self.department,
            "entity_id": self.entity_id,
            "title": self.title,
            "data": dict(self.data),
            "opened_at": self.opened_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "head_hash": self.head_hash,
        }


@dataclass(frozen=True, slots=True)
class EventRecord:
    """One recorded step of a matter."""

    matter_id: int
    workflow: str
    seq: int
    trigger: str
    from_state: str | None
    to_state: str
    actor_id: str
    occurred_at: datetime
    recorded_at: datetime
    data: Mapping[str, Any]
    evidence: Sequence[Mapping[str, Any]]
    prev_hash: str
    hash: str
    id: int | None = None
    auth: str | None = None  # how the actor was authenticated (login#ID, token#ID, none)

    def as_dict(self) -> dict[str, Any]:
        return {
            "matter_id": self.matter_id,
            "workflow": self.workflow,
            "seq": self.seq,
            "trigger": self.trigger,
            "from_state": self.from_state,
            "to_state": self.to_state,
            "actor_id": self.actor_id,
            "occurred_at": self.occurred_at.isoformat(),
            "recorded_at": self.recorded_at.isoformat(),
            "data": dict(self.data),
            "evidence": [dict(e) for e in self.evidence],
            "prev_hash": self.prev_hash,
            "hash": self.hash,
            "auth": self.auth,
        }


EFFECTS_KEY = "_effects"
"""Where a step's event data holds the effects plugins declared for it (a list, in order)."""

_EFFECT_KIND = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")


@dataclass(frozen=True, slots=True)
class Effect:
    """A change a plugin declares for a step, besides the matter's: the engine records it in the
    step's hashed event, under ``"_effects"``, as ``{"plugin": …, "kind": …, "payload": …}``.

    The engine runs nothing: the record is the effect. A plugin that keeps rows or files of its
    own applies the effects it declared from its reporting sink, which receives each committed
    event (at least once, keyed). ``plugin`` is filled in by the engine with the plugin that
    declared it.
    """

    kind: str
    payload: Mapping[str, Any]
    plugin: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"plugin": self.plugin, "kind": self.kind, "payload": dict(self.payload)}


def effects_of(event: EventRecord | Mapping[str, Any], plugin: str | None = None) -> list[Effect]:
    """The effects recorded in ``event`` (an :class:`EventRecord`, or the event as a sink's
    ``message.event`` holds it), only ``plugin``'s when given, in the order they were declared."""
    data = event.data if isinstance(event, EventRecord) else event.get("data") or {}
    found = [
        Effect(str(e["kind"]), dict(e.get("payload") or {}), str(e["plugin"]))
        for e in data.get(EFFECTS_KEY) or ()
    ]
    return [e for e in found if plugin is None or e.plugin == plugin]


@dataclass(slots=True)
class StepContext:
    """Everything a guard or a transition hook may look at for one step, inside its transaction.

    ``matter`` is None while a matter is being opened. ``data`` is the step's validated data;
    ``history`` the matter's earlier steps (oldest first), each with its date, trigger, the state
    it led to and the data it recorded.

    ``follows`` is the matter the one being opened follows (``Engine.open(..., follows=ID)``), as it
    stands in the step's transaction, and ``follows_history`` its steps (oldest first); both are
    empty for a step of an opened matter and for an opening that follows nothing. A guard reads
    the facts a follow-up shares with its parent there (see :meth:`followed_step`).

    Guards and ``zhifa_before_transition`` get a read-only view of the transaction: ``connection``
    and ``session`` read (a write is refused and the step with it, as
    :class:`~zhifa.errors.PluginWriteRefused`), and they declare what the step should change
    besides the matter with :meth:`effect`. ``zhifa_after_transition`` gets the step's own
    transaction, after the event is written, and ``effects`` as recorded.
    """

    transaction: Transaction
    definition: Definition
    step: StepSpec
    actor: Actor
    data: Mapping[str, Any]
    at: datetime
    calendar: WorkCalendar
    matter: MatterView | None
    history: Sequence[Step] = ()
    officers: Mapping[str, Actor] = field(default_factory=dict)
    entity_id: int | None = None  # the market entity concerned, also while a matter is opened
    department: str | None = None  # the matter's department, also while it is opened
    # the violation catalogues of the plugins the department uses, by code (see zhifa.rules)
    catalogue: Mapping[str, Sequence[Violation]] = field(default_factory=dict)
    # what guards and before-transition hooks establish about the step (e.g. the discretion
    # applied), keyed by names starting with "_"; stored with the step's data and in its event
    derived: dict[str, Any] = field(default_factory=dict)
    follows: MatterView | None = None
    follows_history: Sequence[Step] = ()
    # the effects plugins declared for the step (see effect()), as its event records them
    effects: tuple[Effect, ...] = ()
    # the engine's: where effect() puts what a guard or hook declares while it runs (None: closed)
    declared: list[Effect] | None = field(default=None, repr=False, compare=False)

    @property
    def session(self) -> Session:
        """An ORM session inside the step's transaction (reads see the step's earlier writes);
        read-only for guards and ``zhifa_before_transition``."""
        return self.transaction.session

    @property
    def connection(self) -> Connection:
        """The step's database connection, for Core statements; for guards and
        ``zhifa_before_transition`` a read-only view offering ``execute``, ``scalar`` and
        ``scalars`` of SELECT statements."""
        return self.transaction.connection

    def effect(self, kind: str, payload: Mapping[str, Any] | None = None) -> None:
        """Declare that the step changes something besides the matter: ``kind`` says what (lower
        case, digits, ``_ . -``, at most 64 characters, e.g. ``sample_registered``) and
        ``payload`` the details (JSON: text, numbers, booleans, lists and mappings).

        Only guards and ``zhifa_before_transition`` declare effects, since they run before the
        event is written; the engine records them in the event with the plugin's name, once
        every rule passed (a refused step records nothing). See :class:`Effect`.
        """
        if self.declared is None:
            raise RuntimeError(
                "effects are declared by guards and zhifa_before_transition, before the step's "
                "event is written"
            )
        if not isinstance(kind, str) or not _EFFECT_KIND.match(kind):
            raise ValueError(
                f"effect kind {kind!r} must be lower-case letters, digits, '_', '.' or '-', "
                "starting with a letter (at most 64), e.g. sample_registered"
            )
        if payload is not None and not isinstance(payload, Mapping):
            raise ValueError(f"the payload of effect {kind!r} must be a mapping, not {payload!r}")
        self.declared.append(Effect(kind, dict(payload or {})))

    @property
    def from_state(self) -> str | None:
        return None if self.matter is None else self.matter.state

    @property
    def received_on(self) -> date:
        """The day the matter was opened (for a clue: the day it was received)."""
        return self.matter.opened_at.date() if self.matter is not None else self.at.date()

    def clock(self, name: str) -> ClockState | None:
        """The named clock as it stands on the step's date, before the step."""
        from zhifa.workflow.deadlines import compute

        return compute(self.definition.clocks[name], self.history, self.calendar, self.at.date())

    def followed_step(self, trigger: str) -> Step | None:
        """The latest step with ``trigger`` of the matter being followed (its date and data), or
        None: no such step, or the matter being opened follows none."""
        return next((s for s in reversed(self.follows_history) if s.trigger == trigger), None)

    def earlier(self, trigger: str, field_name: str) -> Any:
        """A field recorded by an earlier step (the latest one with that trigger), or None."""
        if self.matter is None:
            return None
        fields = self.matter.data.get(trigger) or {}
        return fields.get(field_name)


GuardResult = str | Iterable[str] | None
"""A guard returns None when the step may go on, else one reason or several, each citing its rule."""


@dataclass(frozen=True, slots=True)
class Guard:
    """A named rule a workflow definition can require on a step.

    ``check(ctx, **args)`` receives the step context and the arguments written next to the guard's
    name in the definition. ``needs_data`` says it reads the step's fields, so ``zhifa matter
    triggers`` reports it as checked when the step is taken rather than running it without data.
    """

    name: str
    check: Callable[..., GuardResult]
    description: str
    basis: str = ""
    needs_data: bool = False


GUARD_ATTRIBUTE = "__zhifa_guard__"
"""The attribute :func:`guard` sets on a function: the :class:`Guard` it declares."""

_Check = TypeVar("_Check", bound=Callable[..., GuardResult])


def guard(
    description: str, basis: str = "", *, needs_data: bool = False
) -> Callable[[_Check], _Check]:
    """Declare the function below as a guard, named after the function.

    The guard's name is the function's name: a workflow definition requires it by that name, and
    it is written nowhere else. ``description`` says in a few words what the guard requires
    (``zhifa matter triggers`` shows it for a guard it checks only when the step is taken),
    ``basis`` the law and article it applies, and ``needs_data`` that it reads the step's fields
    (see :class:`Guard`). The function is returned unchanged, so it can
    still be called and tested directly; :func:`guards_in` collects the declared guards for a
    plugin's ``zhifa_guards`` hook.

    Example::

        from zhifa import guard, guards_in, hookimpl

        @guard("a sample was kept for testing", "食品安全法 第八十七条", needs_data=True)
        def food_sample_kept(ctx, **args):
            if not ctx.data.get("sample_id"):
                return "a sample must be kept (食品安全法 第八十七条)"
            return None

        @hookimpl
        def zhifa_guards():
            return guards_in(globals())

    and in the plugin's workflow definition: ``guards: [food_sample_kept]``.
    """

    def declare(check: _Check) -> _Check:
        setattr(
            check, GUARD_ATTRIBUTE, Guard(check.__name__, check, description, basis, needs_data)
        )
        return check

    return declare


def guards_in(*namespaces: ModuleType | Mapping[str, Any]) -> tuple[Guard, ...]:
    """The guards declared with :func:`guard` in ``namespaces``, in the order they are defined.

    A namespace is a module or a module's ``globals()``; the guards come namespace by namespace,
    each namespace's in the order of its ``def`` statements. Only functions defined in the
    namespace itself count: a guard function imported from another module is left out, so that
    no guard is registered twice.

    Example, a plugin whose guards live in two modules of its own::

        from zhifa import guards_in, hookimpl
        from my_plugin import food_rules, drug_rules

        @hookimpl
        def zhifa_guards():
            return guards_in(food_rules, drug_rules)

    (``guards_in(globals())`` collects those of the module it is written in.)
    """
    found: list[Guard] = []
    for namespace in namespaces:
        if isinstance(namespace, ModuleType):
            names: Mapping[str, Any] = vars(namespace)
            home: Any = namespace.__name__
        else:
            names, home = namespace, namespace.get("__name__")
        for value in list(names.values()):
            declared = getattr(value, GUARD_ATTRIBUTE, None) if callable(value) else None
            if not isinstance(declared, Guard) or declared.check is not value:
                continue  # not a guard, or a wrapper that copied a guard's attributes
            if home is not None and getattr(value, "__module__", None) != home:
                continue  # imported from the module that declares it
            if all(g is not declared for g in found):
                found.append(declared)
    return tuple(found)


DEFAULT_SINK_TIMEOUT = 10.0
"""Seconds a reporting sink's ``deliver`` may take when the sink declares no ``timeout``."""


@dataclass(frozen=True, slots=True)
class OutboxMatter:
    """The matter an outbox message's event belongs to, as it stood right after that step.

    ``department`` is the department's code and ``department_name`` its name; ``entity_uscc`` and
    ``entity_name`` are the market entity's unified social credit code and name, None for a matter
    that concerns no entity. ``data`` is the matter's data after the step (opening fields under
    ``open``, each later step's fields under its trigger).
    """

    id: int
    workflow: str
    state: str
    version: int
    department: str
    department_name: str
    entity_uscc: str | None
    entity_name: str | None
    title: str
    data: Mapping[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "workflow": self.workflow,
            "state": self.state,
            "version": self.version,
            "department": self.department,
            "department_name": self.department_name,
            "entity_uscc": self.entity_uscc,
            "entity_name": self.entity_name,
            "title": self.title,
            "data": dict(self.data),
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> OutboxMatter:
        return cls(
            id=int(raw["id"]),
            workflow=str(raw["workflow"]),
            state=str(raw["state"]),
            version=int(raw["version"]),
            department=str(raw["department"]),
            department_name=str(raw["department_name"]),
            entity_uscc=raw.get("entity_uscc"),
            entity_name=raw.get("entity_name"),
            title=str(raw["title"]),
            data=dict(raw.get("data") or {}),
        )


def outbox_payload(event: EventRecord, matter: OutboxMatter) -> dict[str, Any]:
    """What an outbox row stores for a sink: the event and its matter, one JSON document."""
    return {"event": event.as_dict(), "matter": matter.as_dict()}


@dataclass(frozen=True, slots=True)
class OutboxDelivery:
    """A message for a reporting sink; ``key`` is stable across retries (idempotency key).

    ``event`` is the recorded step (:meth:`EventRecord.as_dict`); ``matter`` the matter it belongs
    to as it stood after the step, or None for a message queued before zhifa stored the matter
    with it (such a message holds the event alone).
    """

    key: str
    sink: str
    attempt: int
    event: Mapping[str, Any]
    matter: OutboxMatter | None = None

    @classmethod
    def from_payload(
        cls, key: str, sink: str, attempt: int, payload: Mapping[str, Any]
    ) -> OutboxDelivery:
        """The message for a stored payload: ``{"event": …, "matter": …}``, or an event alone."""
        if "event" in payload and "matter" in payload:
            matter = payload["matter"]
            return cls(
                key,
                sink,
                attempt,
                payload["event"],
                OutboxMatter.from_dict(matter) if matter is not None else None,
            )
        return cls(key, sink, attempt, payload)


class ReportingSink(Protocol):
    """Receives recorded steps after they are committed (at least once, keyed for idempotency).

    A sink may also declare ``timeout``: the seconds one ``deliver`` may take (default
    :data:`DEFAULT_SINK_TIMEOUT`, 10). The engine runs each delivery in a worker thread and waits
    that long; a delivery still running then is recorded as failed ("timed out after N s") and
    retried later with the same backoff. The worker is not stopped, so a timed-out delivery may
    still complete late, possibly while its retry runs: a sink must ignore a message whose
    ``key`` it has already handled, and guard its own writes against running twice at once.
    """

    name: str

    def wants(self, event: EventRecord) -> bool:
        """Whether this sink takes ``event``; called inside the step's transaction."""
        ...

    def deliver(self, message: OutboxDelivery) -> None:
        """Deliver one message; raise to have it retried later with backoff."""
        ...


def sink_timeout(sink: ReportingSink) -> float:
    """The seconds ``sink`` gives one delivery: its ``timeout``, else :data:`DEFAULT_SINK_TIMEOUT`.

    Raises ValueError for a timeout that is not a positive number of seconds.
    """
    value = getattr(sink, "timeout", DEFAULT_SINK_TIMEOUT)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < math.inf:
        raise ValueError(
            f"reporting sink {sink.name!r} declares timeout {value!r}; give a positive number "
            "of seconds, e.g. timeout = 10"
        )
    return float(value)
