"""Verification of the record: every matter's hash chain is recomputed from the stored events.

A chain is intact when its events are numbered 1, 2, 3… without gaps, each event's ``prev_hash``
is the hash of the one before, each stored hash equals the hash recomputed from the stored fields,
each event starts in the state the previous one ended in, and the matter row's head hash and state
are those of its last event. The first fault of each matter is reported. This holds even against
someone who dropped the append-only triggers and edited rows directly.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, cast

import sqlalchemy as sa

from zhifa.record import GENESIS, event_hash
from zhifa.store import Store
from zhifa.store.tables import Event, Matter

_EVENTS = cast(sa.Table, Event.__table__)
_MATTERS = cast(sa.Table, Matter.__table__)


@dataclass(frozen=True, slots=True)
class Break:
    """The first broken link of one matter's chain."""

    matter_id: int
    seq: int | None
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"matter_id": self.matter_id, "seq": self.seq, "reason": self.reason}


@dataclass(slots=True)
class AuditReport:
    matters: int = 0
    events: int = 0
    breaks: list[Break] = field(default_factory=list)
    # events taken without authentication (marked none), and those recorded before zhifa
    # authenticated officers (schema 0007), which carry no mark
    unauthenticated: int = 0
    unmarked: int = 0

    @property
    def intact(self) -> bool:
        return not self.breaks

    def as_dict(self) -> dict[str, Any]:
        return {
            "intact": self.intact,
            "matters": self.matters,
            "events": self.events,
            "breaks": [b.as_dict() for b in self.breaks],
            "unauthenticated_events": self.unauthenticated,
            "events_before_authentication": self.unmarked,
        }


def stored_event_hash(ev: Any) -> str:
    """The hash of a stored event row, recomputed from its fields."""
    return event_hash(
        matter_id=ev.matter_id,
        seq=ev.seq,
        trigger=ev.trigger,
        from_state=ev.from_state,
        to_state=ev.to_state,
        actor_id=ev.actor_id,
        occurred_at=ev.occurred_at,
        recorded_at=ev.recorded_at,
        data=ev.data,
        evidence=ev.evidence,
        prev_hash=ev.prev_hash,
        auth=ev.auth,
    )


def _chain_fault(matter: Any, events: list[Any]) -> Break | None:
    prev_hash, prev_state = GENESIS, None
    for expected_seq, ev in enumerate(events, start=1):
        if ev.seq != expected_seq:
            return Break(
                matter.id, expected_seq, f"event {expected_seq} is missing (found {ev.seq} next)"
            )
        if ev.prev_hash != prev_hash:
            return Break(matter.id, ev.seq, "its previous-hash does not match the event before it")
        if expected_seq > 1 and ev.from_state != prev_state:
            return Break(
                matter.id,
                ev.seq,
                f"it starts in {ev.from_state!r} but the event before ended in {prev_state!r}",
            )
        if stored_event_hash(ev) != ev.hash:
            return Break(matter.id, ev.seq, "its content no longer matches its hash (altered)")
        prev_hash, prev_state = ev.hash, ev.to_state
    if not events:
        return Break(matter.id, None, "the matter has no recorded events")
    if matter.version > len(events):
        return Break(
            matter.id,
            len(events) + 1,
            f"event {len(events) + 1} is missing: the matter records {matter.version} steps but "
            f"only {len(events)} events remain (removed)",
        )
    if matter.head_hash != prev_hash or matter.version != len(events):
        return Break(
            matter.id,
            len(events),
            f"the matter row does not end its chain at event {len(events)} (matter row altered)",
        )
    if matter.state != prev_state:
        return Break(
            matter.id,
            len(events),
            f"the matter is in state {matter.state!r} but its last event ended in {prev_state!r}",
        )
    return None


def _grouped(store: Store, batch: int) -> Iterator[tuple[Any, list[Any]]]:
    """(matter row, its events in order), streaming through the database in batches of matters."""
    last_id = 0
    while True:
        with store.read() as session:
            matters = session.execute(
                sa.select(_MATTERS.c.id, _MATTERS.c.state, _MATTERS.c.version, _MATTERS.c.head_hash)
                .where(_MATTERS.c.id > last_id)
                .order_by(_MATTERS.c.id)
                .limit(batch)
            ).all()
            if not matters:
                return
            low, high = matters[0].id, matters[-1].id
            rows = session.execute(
                sa.select(_EVENTS)
                .where(_EVENTS.c.matter_id.between(low, high))
                .order_by(_EVENTS.c.matter_id, _EVENTS.c.seq)
            ).all()
        by_matter: dict[int, list[Any]] = {}
        for row in rows:
            by_matter.setdefault(row.matter_id, []).append(row)
        for matter in matters:
            yield matter, by_matter.get(matter.id, [])
        last_id = high


def verify(store: Store, *, batch: int = 2000) -> AuditReport:
    """Recompute every chain; the report lists the first broken event of each broken matter."""
    report = AuditReport()
    for matter, events in _grouped(store, batch):
        report.matters += 1
        report.events += len(events)
        for ev in events:
            if ev.auth is None:
                report.unmarked += 1
            elif ev.auth == "none":
                report.unauthenticated += 1
        fault = _chain_fault(matter, events)
        if fault is not None:
            report.breaks.append(fault)
    return report
