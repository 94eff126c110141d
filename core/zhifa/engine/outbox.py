"""The outbox around the engine: delivering one message within its sink's timeout, the retry
schedule, and the listing behind ``zhifa outbox``.

Each delivery runs the sink's ``deliver`` in a daemon worker thread and waits at most the sink's
``timeout`` (:func:`zhifa.hooks.types.sink_timeout`, 10 s unless the sink says otherwise). A delivery
still running then is recorded as failed ("timed out after N s") and retried with the same backoff
as one that raised. The worker is not stopped — Python cannot stop a thread — so a timed-out
delivery may still complete late, even while its retry runs; that is why sinks ignore a message
whose key they have already handled. The matter is never touched: its step was committed before
any delivery starts.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa

from zhifa.hooks.types import OutboxDelivery, ReportingSink, sink_timeout
from zhifa.store import Store
from zhifa.store.tables import Event, Matter, OutboxMessage

_OUTBOX = cast(sa.Table, OutboxMessage.__table__)
_EVENTS = cast(sa.Table, Event.__table__)
_MATTERS = cast(sa.Table, Matter.__table__)

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
        _OUTBOX.c.id,
        _OUTBOX.c.sink,
        _OUTBOX.c.key,
        _EVENTS.c.matter_id,
        _MATTERS.c.workflow,
        _EVENTS.c.trigger,
        _EVENTS.c.seq,
        _OUTBOX.c.attempts,
        _OUTBOX.c.last_error,
        _OUTBOX.c.next_attempt_at,
        _OUTBOX.c.delivered_at,
    )
    .select_from(
        _OUTBOX.join(_EVENTS, _EVENTS.c.id == _OUTBOX.c.event_id).join(
            _MATTERS, _MATTERS.c.id == _EVENTS.c.matter_id
        )
    )
    .order_by(_OUTBOX.c.id.desc())
)


def outbox_messages(
    store: Store, *, pending: bool = False, sink: str | None = None, limit: int = 100
) -> list[OutboxEntry]:
    """The latest ``limit`` outbox messages, newest first: only undelivered ones with ``pending``,
    only ``sink``'s when given."""
    query = _LISTING.limit(limit)
    if pending:
        query = query.where(_OUTBOX.c.delivered_at.is_(None))
    if sink is not None:
        query = query.where(_OUTBOX.c.sink == sink)
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
        (_OUTBOX.c.delivered_at.is_not(None), "delivered"),
        (_OUTBOX.c.attempts > 0, "failing"),
        else_="queued",
    )
    query = sa.select(status, sa.func.count()).group_by(status)
    if sink is not None:
        query = query.where(_OUTBOX.c.sink == sink)
    with store.read() as session:
        found: dict[str, int] = {str(k): int(n) for k, n in session.execute(query).all()}
    return OutboxCounts(found.get("delivered", 0), found.get("failing", 0), found.get("queued", 0))


def sinks_named(store: Store) -> Sequence[str]:
    """The sink names outbox messages carry (sorted), loaded or not."""
    with store.read() as session:
        return sorted(session.scalars(sa.select(_OUTBOX.c.sink).distinct()).all())
