"""The tamper-evident record (全过程记录): canonical JSON and the per-matter hash chain.

Each event's hash covers the matter, its position, the step, who took it and how they were
authenticated, when it happened and when it was recorded, its data and evidence, and the previous
event's hash. Changing any stored
event, or removing one, breaks the chain from that event on.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

GENESIS = "0" * 64


def canonical_json(value: Any) -> str:
    """One text per value: sorted keys, no spaces, UTF-8 characters kept."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class Evidence:
    """A file or document backing a step, identified by its SHA-256."""

    name: str
    sha256: str
    size: int

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "sha256": self.sha256, "size": self.size}


def event_hash(
    *,
    matter_id: int,
    seq: int,
    trigger: str,
    from_state: str | None,
    to_state: str,
    actor_id: str,
    occurred_at: datetime,
    recorded_at: datetime,
    data: str,
    evidence: str,
    prev_hash: str,
    auth: str | None = None,
) -> str:
    """The SHA-256 of one event; ``data`` and ``evidence`` are their stored canonical JSON.

    ``auth`` says how the actor was authenticated (``login#12``, ``token#3`` or ``none``); events
    recorded before zhifa authenticated officers have none and keep their first hash form."""
    fields = [
        "zhifa-event-1" if auth is None else "zhifa-event-2",
        matter_id,
        seq,
        trigger,
        from_state,
        to_state,
        actor_id,
        occurred_at.isoformat(),
        recorded_at.isoformat(),
        data,
        evidence,
        prev_hash,
    ]
    if auth is not None:
        fields.append(auth)
    payload = canonical_json(fields)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
