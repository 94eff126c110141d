"""The outbox around the engine: queueing a step's messages in its transaction, delivering them
after the commit (:class:`Outbox`), one message within its sink's timeout, the retry schedule, and
the listing behind ``zhifa outbox``.

Each delivery runs the sink's ``deliver`` in a daemon worker thread and waits at most the sink's
``timeout`` (:func:`zhifa.hooks.types.sink_timeout`, 10 s unless the sink says otherwise). A delivery
still running then is recorded as failed ("timed out after N s") and retried with the same backoff
as one that raised. The worker is not stopped — Python cannot stop a thread — so a timed-out
delivery may still complete late, even while its retry runs; that is why sinks ignore a message
whose key they have already handled. The matter is never touched: its step was committed before
any delivery starts.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from zhifa.engine.results import DeliveryReport
from zhifa.engine.statements import EVENTS, MATTERS, OUTBOX, SELECT_SINK_NAMES
from zhifa.errors import PluginError
from zhifa.hooks.types import (
    EventRecord,
    MatterView,
    OutboxDelivery,
    OutboxMatter,
    ReportingSink,
    outbox_payload,
    sink_timeout,
)
from zhifa.plugins import Plugins
from zhifa.record import canonical_json
from zhifa.store import Store
from zhifa.timekeeping import Clock
from zhifa.workflow.definitions import Definition

FIRST_RETRY = timedelta(seconds=30)
"""The wait before the first retry; it doubles with every further failure."""
LONGEST_RETRY = timedelta(hours=1)
"""The longest wait between two attempts."""


def retry_delay(attempts: int) -> timedelta:
    """The wait after a message's ``attempts``-th failed attempt: 30 s, 60 s, 120 s… up to 1 h."""
    return min(LONGEST_RETRY, FIRST_RETRY * (1 << max(0, min(attempts - 1, 20))))


def deliver_within(sink: ReportingSink, message: OutboxDelivery) -> str | None:
    """Hand ``message`` to ``sink`` in a worker thread and wait at most the sink's timeout.

    Returns None when the sink returned, else what went wrong, as recorded on the message: the
    exception the sink raised, "timed out after N s", or a timeout the sink declares wrongly.
    """
    try:
        timeout = sink_timeout(sink)
    except ValueError as exc:
        return str(exc)
    outcome: list[BaseException | None] = []

    def work() -> None:
        try:
            sink.deliver(message)
        except BaseException as exc:  # a sink calling sys.exit() fails its delivery, nothing more
            outcome.append(exc)
        else:
            outcome.append(None)

    worker = threading.Thread(
        target=work, name=f"zhifa-sink-{message.sink}-{message.key}", daemon=True
    )
    worker.start()
    worker.join(timeout)
    if not outcome:
        return f"timed out after {timeout:g} s"
    failure = outcome[0]
    return None if failure is None else f"{type(failure).__name__}: {failure}"


# -- the engine's outbox ----------------------------------------------------------------------


class Outbox:
    """The outbox of an engine: messages queued in a step's transaction for each sink that wants
    the step, delivered once the step is committed (or later, when a delivery failed)."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        plugins: Plugins,
        sinks: dict[str, tuple[str, ReportingSink]],
    ) -> None:
        self.store = store
        self.clock = clock
        self.plugins = plugins
        self.sinks = sinks
        # the events whose steps queued outbox messages, until their commit hands them to the
        # sinks: a step no sink wants costs no delivery query
        self.queued: set[int] = set()

    def queue(
        self,
        conn: sa.Connection,
        event: EventRecord,
        matter: MatterView,
        now: datetime,
        defn: Definition,
    ) -> None:
        """Queue one outbox message for each sink that wants ``event``, carrying the event and
        its ``matter`` after the step, their confidential fields redacted (a sink is an export:
        a reporter's name never leaves the record). The department and the entity are looked up
        only when a sink wants the event, so a step no sink wants costs nothing more."""
        event = dataclasses.replace(event, data=defn.redact_step(event.trigger, event.data))
        matter = dataclasses.replace(matter, data=defn.redact_data(matter.data))
        wanting: list[str] = []
        for name, (plugin, sink) in self.sinks.items():
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
        payload = canonical_json(outbox_payload(event, self.matter_for_sinks(conn, matter)))
        conn.execute(
            sa.insert(OUTBOX),
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
            self.queued.add(event.id)

    def take(self, event_id: int) -> bool:
        """Whether ``event_id``'s step queued messages not yet handed to delivery; it no longer
        counts as queued after this."""
        if event_id in self.queued:
            self.queued.discard(event_id)
            return True
        return False

    @staticmethod
    def matter_for_sinks(conn: sa.Connection, matter: MatterView) -> OutboxMatter:
        """``matter`` as sinks see it: with its department's name and its entity's code and name,
        read in the step's transaction."""
        row = conn.execute(
            SELECT_SINK_NAMES, {"z_dept": matter.department, "z_entity": matter.entity_id}
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

    def deliver(
        self, *, event_id: int | None = None, sink: str | None = None, limit: int = 100
    ) -> DeliveryReport:
        """Deliver the outbox messages due now (only ``event_id``'s or ``sink``'s when given).

        Each delivery runs in a worker thread within its sink's ``timeout`` (see
        :func:`deliver_within`); a sink that raises or times out is recorded on the message and
        retried later with backoff. ``pending`` counts the undelivered messages (of ``sink``).
        """
        now = self.clock.now()
        query = (
            sa.select(OUTBOX)
            .where(OUTBOX.c.delivered_at.is_(None), OUTBOX.c.next_attempt_at <= now)
            .order_by(OUTBOX.c.id)
            .limit(limit)
        )
        if event_id is not None:
            query = query.where(OUTBOX.c.event_id == event_id)
        if sink is not None:
            query = query.where(OUTBOX.c.sink == sink)
        with self.store.read() as session:
            messages = session.execute(query).all()
        delivered = failed = 0
        for msg in messages:
            error = self.deliver_one(msg)
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
                    sa.update(OUTBOX)
                    .where(OUTBOX.c.id == msg.id, OUTBOX.c.delivered_at.is_(None))
                    .values(**values)
                )
        undelivered = (
            sa.select(sa.func.count()).select_from(OUTBOX).where(OUTBOX.c.delivered_at.is_(None))
        )
        if sink is not None:
            undelivered = undelivered.where(OUTBOX.c.sink == sink)
        with self.store.read() as session:
            pending = session.scalar(undelivered) or 0
        return DeliveryReport(delivered, failed, pending)

    def deliver_one(self, msg: Any) -> str | None:
        """Hand one outbox row to its sink; None when delivered, else the error to record."""
        entry = self.sinks.get(msg.sink)
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


# -- the listing ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One outbox message as ``zhifa outbox`` shows it."""

    id: int
    sink: str
    key: str
    matter_id: int
    workflow: str
    trigger: str
    seq: int
    attempts: int
    last_error: str | None
    next_attempt_at: datetime
    delivered_at: datetime | None

    @property
    def status(self) -> str:
        """``delivered``; ``failing`` (tried, to be retried); or ``queued`` (not tried yet)."""
        if self.delivered_at is not None:
            return "delivered"
        return "failing" if self.attempts else "queued"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "sink": self.sink,
            "key": self.key,
            "matter_id": self.matter_id,
            "workflow": self.workflow,
            "trigger": self.trigger,
            "seq": self.seq,
            "status": self.status,
            "attempts": self.attempts,
            "last_error": self.last_error,
            "next_attempt_at": None if self.delivered_at else self.next_attempt_at.isoformat(),
            "delivered_at": self.delivered_at.isoformat() if self.delivered_at else None,
        }


_LISTING = (
    sa.select(
        OUTBOX.c.id,
        OUTBOX.c.sink,
        OUTBOX.c.key,
        EVENTS.c.matter_id,
        MATTERS.c.workflow,
        EVENTS.c.trigger,
        EVENTS.c.seq,
        OUTBOX.c.attempts,
        OUTBOX.c.last_error,
        OUTBOX.c.next_attempt_at,
        OUTBOX.c.delivered_at,
    )
    .select_from(
        OUTBOX.join(EVENTS, EVENTS.c.id == OUTBOX.c.event_id).join(
            MATTERS, MATTERS.c.id == EVENTS.c.matter_id
        )
    )
    .order_by(OUTBOX.c.id.desc())
)


def outbox_messages(
    store: Store, *, pending: bool = False, sink: str | None = None, limit: int = 100
) -> list[OutboxEntry]:
    """The latest ``limit`` outbox messages, newest first: only undelivered ones with ``pending``,
    only ``sink``'s when given."""
    query = _LISTING.limit(limit)
    if pending:
        query = query.where(OUTBOX.c.delivered_at.is_(None))
    if sink is not None:
        query = query.where(OUTBOX.c.sink == sink)
    with store.read() as session:
        rows = session.execute(query).all()
    return [OutboxEntry(**row._asdict()) for row in rows]


@dataclass(frozen=True, slots=True)
class OutboxCounts:
    """How many messages are delivered, failing (tried, to be retried) and queued (not tried)."""

    delivered: int
    failing: int
    queued: int

    def as_dict(self) -> dict[str, int]:
        return {"delivered": self.delivered, "failing": self.failing, "queued": self.queued}


def outbox_counts(store: Store, *, sink: str | None = None) -> OutboxCounts:
    """The messages of every sink (or of ``sink``) by status."""
    status = sa.case(
        (OUTBOX.c.delivered_at.is_not(None), "delivered"),
        (OUTBOX.c.attempts > 0, "failing"),
        else_="queued",
    )
    query = sa.select(status, sa.func.count()).group_by(status)
    if sink is not None:
        query = query.where(OUTBOX.c.sink == sink)
    with store.read() as session:
        found: dict[str, int] = {str(k): int(n) for k, n in session.execute(query).all()}
    return OutboxCounts(found.get("delivered", 0), found.get("failing", 0), found.get("queued", 0))


def sinks_named(store: Store) -> Sequence[str]:
    """The sink names outbox messages carry (sorted), loaded or not."""
    with store.read() as session:
        return sorted(session.scalars(sa.select(OUTBOX.c.sink).distinct()).all())
