"""Evidence in use: :func:`attach` a file to a step, find what a matter's events record
(:func:`recorded_on`), and :func:`verify` that every recorded file is kept intact.

:func:`attach` checks the department's policy (:mod:`zhifa.evidence.policy`), keeps the bytes in
the blob store and lists them in ``evidence_blobs``; the :class:`~zhifa.record.Evidence` it
returns goes into the step, whose event records its name, hash and size. Whether someone may
read a file is decided above this layer (``zhifa evidence get`` asks whether the officer may see
the matter whose event records it)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

import sqlalchemy as sa

from zhifa.errors import EvidenceBroken, IntegrityError
from zhifa.evidence.blobs import BLOBS, BlobStore, digest, register
from zhifa.evidence.policy import check, clean_name
from zhifa.record import Evidence
from zhifa.store.tables import Event

EVENTS = cast(sa.Table, Event.__table__)


def attach(
    conn: sa.Connection,
    blobs: BlobStore,
    department: str,
    name: str,
    data: bytes,
    at: datetime,
) -> Evidence:
    """Check the file ``name`` holding ``data`` against ``department``'s policy, keep it in
    ``blobs`` and list it (in the caller's transaction); the :class:`Evidence` a step records.
    The name is kept as given, without any directories before it."""
    base = clean_name(name)
    media_type = check(conn, department, base, data)
    stored = blobs.put(data)
    register(conn, stored, name=base, media_type=media_type, at=at)
    return Evidence(base, stored.sha256, stored.size)


def prepare(conn: sa.Connection, department: str, name: str, data: bytes) -> tuple[Evidence, str]:
    """What :func:`attach` will record for the file, and its media type, without keeping
    anything: check every file of a step first, so that one bad file writes nothing."""
    base = clean_name(name)
    media_type = check(conn, department, base, data)
    blob = digest(data)
    return Evidence(base, blob.sha256, blob.size), media_type


@dataclass(frozen=True, slots=True)
class Recorded:
    """A file a matter's event records: the event's step number and trigger, and the file."""

    seq: int
    trigger: str
    evidence: Evidence


def _evidence_of(text: str) -> Iterator[Evidence]:
    try:
        items = json.loads(text)
    except ValueError:
        return
    for item in items if isinstance(items, list) else ():
        if isinstance(item, dict) and isinstance(item.get("sha256"), str):
            yield Evidence(str(item.get("name", "")), item["sha256"], int(item.get("size", 0)))


def recorded_on(conn: sa.Connection, matter_id: int, sha256: str) -> list[Recorded]:
    """The events of ``matter_id`` that record a file with hash ``sha256`` (oldest first)."""
    rows = conn.execute(
        sa.select(EVENTS.c.seq, EVENTS.c.trigger, EVENTS.c.evidence)
        .where(EVENTS.c.matter_id == matter_id)
        .order_by(EVENTS.c.seq)
    )
    return [
        Recorded(row.seq, row.trigger, ev)
        for row in rows
        for ev in _evidence_of(row.evidence)
        if ev.sha256 == sha256
    ]


@dataclass
class Fault:
    """A file that is missing or altered, with where it is recorded (``matter #N step S`` or
    ``listed``)."""

    sha256: str
    names: list[str] = field(default_factory=list)
    where: list[str] = field(default_factory=list)

    def line(self) -> str:
        names = ", ".join(sorted(set(self.names))) or "?"
        return f"{self.sha256} ({names}; {', '.join(self.where)})"

    def as_dict(self) -> dict[str, object]:
        return {"sha256": self.sha256, "names": sorted(set(self.names)), "where": self.where}


@dataclass
class Verification:
    """What :func:`verify` found: counts, and the files missing or altered."""

    store: str
    events: int = 0
    recorded: int = 0
    listed: int = 0
    checked: int = 0
    bytes: int = 0
    missing: list[Fault] = field(default_factory=list)
    altered: list[Fault] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.missing and not self.altered

    def as_dict(self) -> dict[str, object]:
        return {
            "store": self.store,
            "events_with_evidence": self.events,
            "recorded_files": self.recorded,
            "listed_files": self.listed,
            "checked": self.checked,
            "bytes": self.bytes,
            "intact": self.intact,
            "missing": [f.as_dict() for f in self.missing],
            "altered": [f.as_dict() for f in self.altered],
        }

    def raise_if_broken(self) -> None:
        """:class:`EvidenceBroken` naming every missing and altered file."""
        if self.intact:
            return
        parts = []
        if self.missing:
            parts.append(f"{len(self.missing)} missing")
        if self.altered:
            parts.append(f"{len(self.altered)} altered")
        raise EvidenceBroken(
            f"evidence store {self.store}: {' and '.join(parts)} of {self.checked} files "
            "(listed below); restore them from a backup of the evidence store",
            [f"missing: {f.line()}" for f in self.missing]
            + [f"altered: {f.line()}" for f in self.altered],
        )


def verify(conn: sa.Connection, blobs: BlobStore) -> Verification:
    """Check that every file an event records, and every file listed in ``evidence_blobs``, is
    in ``blobs`` with bytes that still have its hash."""
    report = Verification(blobs.describe())
    wanted: dict[str, Fault] = {}
    rows = conn.execute(
        sa.select(EVENTS.c.matter_id, EVENTS.c.seq, EVENTS.c.evidence)
        .where(EVENTS.c.evidence != "[]")
        .order_by(EVENTS.c.matter_id, EVENTS.c.seq)
    )
    for row in rows:
        found = list(_evidence_of(row.evidence))
        if found:
            report.events += 1
        for ev in found:
            fault = wanted.setdefault(ev.sha256, Fault(ev.sha256))
            fault.names.append(ev.name)
            fault.where.append(f"matter #{row.matter_id} step {row.seq}")
    report.recorded = len(wanted)
    for listed in conn.execute(sa.select(BLOBS.c.sha256, BLOBS.c.name)):
        report.listed += 1
        fault = wanted.setdefault(listed.sha256, Fault(listed.sha256))
        fault.names.append(listed.name)
        if not fault.where:
            fault.where.append("listed")
    for sha, fault in sorted(wanted.items()):
        report.checked += 1
        if not _is_sha256(sha) or not blobs.has(sha):
            report.missing.append(fault)
            continue
        try:
            report.bytes += len(blobs.get(sha))
        except IntegrityError:
            report.altered.append(fault)
    return report


def _is_sha256(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text)
