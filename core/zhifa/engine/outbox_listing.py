"""The outbox as ``zhifa outbox`` lists it: its messages (newest first) with their matter and
step, counts by status, and the sinks named in it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from zhifa.engine.statements import EVENTS, MATTERS, OUTBOX
from zhifa.store import Store


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
