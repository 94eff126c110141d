"""The outbox around the engine: queueing a step's messages in its transaction, delivering them
after the commit (:class:`Outbox`), one message within its sink's timeout, the retry schedule, the
long-running delivery worker (:func:`run_worker`, behind ``zhifa outbox --deliver --loop``), and
the listing behind ``zhifa outbox``.

**Claims and leases.** Any number of processes may deliver from one database at once: the engine
right after a step's commit, ``zhifa outbox --deliver`` from cron, ``--loop`` workers. Each takes
one message at a time with :meth:`Outbox.claim`: in a short transaction it locks the oldest
message due (PostgreSQL: ``SELECT … FOR UPDATE SKIP LOCKED``, so concurrent workers pass over each
other's rows instead of queueing on them; SQLite: the transaction holds the database's write lock,
which serialises claims), counts the attempt and moves the message's next attempt to the end of a
*lease* — the sink's timeout plus :data:`LEASE_MARGIN` — and notes on it which worker has it. No
other worker takes the message while the lease runs. The delivery happens outside any transaction;
then :meth:`Outbox.settle` records it delivered, or failed with the error and the next attempt
after the backoff. A worker killed mid-delivery (``kill -9``, a lost machine) records nothing: its
note stays, the lease runs out, and the next worker delivers the message as the next attempt.

So every message is delivered **at least once**; it is delivered twice only when a worker dies
(or stalls past its lease) after the sink took the message and before the outcome was recorded.
A sink recognises that case by the message's ``key`` (the same on every attempt) and an
``attempt`` above 1; sinks ignore a key they have already handled. A lease that ends exactly now
has run out: the message is due at ``next_attempt_at <= now`` as any other. Leases are read on
each worker's clock (the engine's ``clock``): keep the machines' clocks synchronised (NTP), well
within the margin.

**Timeouts.** Each delivery runs the sink's ``deliver`` in a daemon worker thread and waits at most
the sink's ``timeout`` (:func:`zhifa.hooks.types.sink_timeout`, 10 s unless the sink says
otherwise). A delivery still running then is recorded as failed ("timed out after N s") and
retried with the same backoff as one that raised. The worker is not stopped — Python cannot stop a
thread — so a timed-out delivery may still complete late, even while its retry runs: another reason
sinks ignore a message whose key they have already handled. The matter is never touched: its step
was committed before any delivery starts.

**Logs.** Every delivery and failure is logged on the ``zhifa.outbox`` logger with the fields
``outbox_id``, ``key``, ``sink``, ``event_id``, ``matter``, ``attempt``, ``worker`` and
``duration_ms`` (a failure adds ``error`` and ``retry_at``); :func:`zhifa.logs.configure` writes
them as JSON lines.
"""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import sqlalchemy as sa

from zhifa.engine.results import DeliveryReport
from zhifa.engine.statements import OUTBOX, SELECT_SINK_NAMES
from zhifa.errors import DatabaseError, PluginError
from zhifa.hooks.types import (
    DEFAULT_SINK_TIMEOUT,
    EventRecord,
    MatterView,
    OutboxDelivery,
    OutboxMatter,
    ReportingSink,
    outbox_payload,
    sink_timeout,
)
from zhifa.logs import get_logger
from zhifa.plugins import Plugins
from zhifa.record import canonical_json
from zhifa.store import Store
from zhifa.timekeeping import Clock
from zhifa.workflow.definitions import Definition

log = get_logger("zhifa.outbox")

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


LEASE_MARGIN = timedelta(seconds=60)
"""How much longer than its sink's timeout a claimed message stays with its worker: time for
recording the outcome, and for the workers' clocks to differ a little."""


def default_worker_name() -> str:
    """This process as the claims it makes name it: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True, slots=True)
class Claim:
    """One outbox message a worker holds until ``lease_until``; ``attempt`` counts this one."""

    id: int
    event_id: int
    sink: str
    key: str
    payload: str
    attempt: int
    claimed_at: datetime
    lease_until: datetime
    worker: str

    @property
    def matter_id(self) -> int | None:
        """The matter the message is about, read from its key (``matter:seq:sink``)."""
        head = self.key.split(":", 1)[0]
        return int(head) if head.isdigit() else None


@dataclass(frozen=True, slots=True)
class Delivered:
    """How one claimed message went: ``error`` None when the sink took it; ``recorded`` False when
    the outcome was not written because another worker had claimed the message again."""

    claim: Claim
    error: str | None
    recorded: bool
    seconds: float


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
        *,
        worker: str | None = None,
        lease_margin: timedelta = LEASE_MARGIN,
    ) -> None:
        self.store = store
        self.clock = clock
        self.plugins = plugins
        self.sinks = sinks
        # the name this outbox's claims carry (default: host:pid, read at each claim)
        self.worker = worker
        self.lease_margin = lease_margin
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

    def claim(self, *, event_id: int | None = None, sink: str | None = None) -> Claim | None:
        """Take the oldest message due now (of ``event_id`` or ``sink`` when given) for this
        worker, or None when none is due.

        In one short transaction the message is locked (on PostgreSQL ``FOR UPDATE SKIP
        LOCKED``: a message another worker is claiming at that moment is passed over, not
        waited for; on SQLite the transaction holds the database's write lock), its attempt is
        counted and its next attempt moved to the end of the lease, so no other worker takes it
        while this one delivers. A worker that dies leaves the lease to run out; the message is
        then due again and the next worker delivers it as the next attempt, with the same key.
        """
        now = self.clock.now()
        query = (
            sa.select(OUTBOX.c.id, OUTBOX.c.event_id, OUTBOX.c.sink, OUTBOX.c.key)
            .add_columns(OUTBOX.c.payload, OUTBOX.c.attempts)
            .where(OUTBOX.c.delivered_at.is_(None), OUTBOX.c.next_attempt_at <= now)
            .order_by(OUTBOX.c.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if event_id is not None:
            query = query.where(OUTBOX.c.event_id == event_id)
        if sink is not None:
            query = query.where(OUTBOX.c.sink == sink)
        worker = self.worker_name
        with self.store.write() as session:
            row = session.execute(query).first()
            if row is None:
                return None
            lease_until = now + self.lease(row.sink)
            note = (
                f"in delivery by worker {worker} since {now:%Y-%m-%d %H:%M:%S}; if that worker "
                f"stopped, the message is due again after {lease_until:%Y-%m-%d %H:%M:%S}"
            )
            attempt = row.attempts + 1
            session.execute(
                sa.update(OUTBOX)
                .where(OUTBOX.c.id == row.id)
                .values(attempts=attempt, next_attempt_at=lease_until, last_error=note)
            )
        return Claim(
            row.id, row.event_id, row.sink, row.key, row.payload, attempt, now, lease_until, worker
        )

    @property
    def worker_name(self) -> str:
        """The name this outbox's claims carry: the one given, else ``host:pid``."""
        return self.worker or default_worker_name()

    def lease(self, sink: str) -> timedelta:
        """How long a claimed message of ``sink`` stays with its worker: the sink's timeout (or
        the default one, for a sink not loaded or declaring a wrong one) plus the margin."""
        entry = self.sinks.get(sink)
        try:
            timeout = sink_timeout(entry[1]) if entry is not None else DEFAULT_SINK_TIMEOUT
        except ValueError:
            timeout = DEFAULT_SINK_TIMEOUT
        return timedelta(seconds=timeout) + self.lease_margin

    def settle(self, claim: Claim, error: str | None, now: datetime | None = None) -> bool:
        """Record how ``claim``'s delivery went; whether the record was written.

        A delivery is recorded whenever the message is not delivered yet, even after its lease
        ran out (the sink has it). A failure is recorded only while the claim is the message's
        latest: once another worker claimed it again after the lease, that worker's outcome
        counts and this one is dropped (and logged). ``now`` is when the delivery ended
        (default: the clock's time); a failure's next attempt is counted from it.
        """
        now = now if now is not None else self.clock.now()
        update = sa.update(OUTBOX).where(OUTBOX.c.id == claim.id, OUTBOX.c.delivered_at.is_(None))
        if error is None:  # the lease is over: next_attempt_at keeps when this attempt began
            update = update.values(
                delivered_at=now, last_error=None, next_attempt_at=claim.claimed_at
            )
        else:
            update = update.where(OUTBOX.c.attempts == claim.attempt).values(
                last_error=error, next_attempt_at=now + retry_delay(claim.attempt)
            )
        with self.store.write() as session:
            written = session.connection().execute(update).rowcount
        return bool(written)

    def deliver_next(
        self, *, event_id: int | None = None, sink: str | None = None
    ) -> Delivered | None:
        """Claim the next message due (see :meth:`claim`), hand it to its sink within the
        sink's timeout, record the outcome and log it; None when no message is due."""
        claim = self.claim(event_id=event_id, sink=sink)
        if claim is None:
            return None
        started = time.monotonic()
        error = self.deliver_one(claim)
        seconds = time.monotonic() - started
        finished = self.clock.now()
        recorded = self.settle(claim, error, finished)
        fields = {
            "outbox_id": claim.id,
            "key": claim.key,
            "sink": claim.sink,
            "event_id": claim.event_id,
            "matter": claim.matter_id,
            "attempt": claim.attempt,
            "worker": claim.worker,
            "duration_ms": round(seconds * 1000, 1),
        }
        if error is None and recorded:
            log.info("outbox message delivered", extra=fields)
        elif error is None:
            log.warning(
                "outbox message delivered again: another worker had recorded it delivered after "
                "this one's lease ran out; the sink saw its key twice",
                extra=fields,
            )
        elif recorded:
            fields["retry_at"] = finished + retry_delay(claim.attempt)
            log.warning("outbox delivery failed; retried later", extra={**fields, "error": error})
        else:
            log.warning(
                "outbox delivery failed after its lease ran out; the message is another worker's",
                extra={**fields, "error": error},
            )
        return Delivered(claim, error, recorded, seconds)

    def deliver(
        self,
        *,
        event_id: int | None = None,
        sink: str | None = None,
        limit: int = 100,
        stop: Callable[[], bool] | None = None,
    ) -> DeliveryReport:
        """Deliver up to ``limit`` outbox messages due now (only ``event_id``'s or ``sink``'s
        when given), one claim at a time (:meth:`deliver_next`), so any number of workers may
        run this at once; stop early, between two messages, once ``stop()`` is true.

        Each delivery runs in a worker thread within its sink's ``timeout`` (see
        :func:`deliver_within`); a sink that raises or times out is recorded on the message and
        retried later with backoff. ``pending`` counts the undelivered messages (of ``sink``).
        """
        delivered = failed = 0
        for _ in range(limit):
            if stop is not None and stop():
                break
            outcome = self.deliver_next(event_id=event_id, sink=sink)
            if outcome is None:
                break
            if outcome.error is None:
                delivered += 1
            else:
                failed += 1
        return DeliveryReport(delivered, failed, self.pending(sink))

    def pending(self, sink: str | None = None) -> int:
        """How many messages (of ``sink``) are not delivered yet."""
        undelivered = (
            sa.select(sa.func.count()).select_from(OUTBOX).where(OUTBOX.c.delivered_at.is_(None))
        )
        if sink is not None:
            undelivered = undelivered.where(OUTBOX.c.sink == sink)
        with self.store.read() as session:
            return session.scalar(undelivered) or 0

    def deliver_one(self, claim: Claim) -> str | None:
        """Hand one claimed message to its sink; None when delivered, else the error to record."""
        entry = self.sinks.get(claim.sink)
        if entry is None:
            return f"sink {claim.sink!r} is not loaded; install or enable its plugin"
        try:
            payload = json.loads(claim.payload)
            message = OutboxDelivery.from_payload(claim.key, claim.sink, claim.attempt, payload)
        except (ValueError, KeyError, TypeError) as exc:
            return (
                f"the stored payload is not an outbox message ({type(exc).__name__}: {exc}); "
                "it cannot be delivered until the row is repaired"
            )
        return deliver_within(entry[1], message)


# -- the long-running worker ----------------------------------------------------------------


class Stop(Protocol):
    """What tells a worker to stop: a :class:`threading.Event` (or a multiprocessing one)."""

    def is_set(self) -> bool: ...

    def wait(self, timeout: float | None = None) -> bool: ...


@dataclass(frozen=True, slots=True)
class WorkerTotals:
    """What a worker did until it stopped."""

    delivered: int
    failed: int
    pending: int

    def as_dict(self) -> dict[str, int]:
        return {"delivered": self.delivered, "failed": self.failed, "pending": self.pending}


def run_worker(
    outbox: Outbox,
    stop: Stop,
    *,
    interval: float = 5.0,
    batch: int = 100,
    sink: str | None = None,
) -> WorkerTotals:
    """Deliver messages as they fall due until ``stop`` is set: up to ``batch`` at a time, then,
    when fewer were due, wait ``interval`` seconds (or until ``stop``). Stopping waits for the
    message in hand (at most its sink's timeout) and claims no other.

    A database that cannot be reached is logged and tried again after ``interval``; the worker
    keeps running (its claims are leases, so nothing is lost meanwhile).
    """
    delivered = failed = 0
    pending = 0
    log.info(
        "outbox worker started",
        extra={"worker": outbox.worker_name, "interval_s": interval, "batch": batch, "sink": sink},
    )
    while not stop.is_set():
        try:
            report = outbox.deliver(sink=sink, limit=batch, stop=stop.is_set)
        except (sa.exc.DBAPIError, DatabaseError) as exc:
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            log.error(
                "outbox worker cannot reach the database; trying again",
                extra={"worker": outbox.worker_name, "error": reason, "retry_in_s": interval},
            )
            stop.wait(interval)
            continue
        delivered += report.delivered
        failed += report.failed
        pending = report.pending
        if report.delivered + report.failed < batch:
            stop.wait(interval)
    totals = WorkerTotals(delivered, failed, pending)
    log.info("outbox worker stopped", extra={"worker": outbox.worker_name, **totals.as_dict()})
    return totals
