"""Snapshots: the two directories of a draw frozen in the database, and read back.

:func:`take_snapshots` freezes the target and inspector directories as the database holds them
now (:mod:`zhifa.inspections.sources`); :func:`load_snapshot` reads one back and refuses content
that no longer matches its digest; :func:`snapshot_info` and :func:`list_snapshots` describe them
without their content.

**Snapshot content.** ``snapshots.content`` is the zlib-compressed (RFC 1950) canonical encoding
that the directory's ``digest()`` hashes (see :mod:`zhifa.inspections.directories`): the magic
line, the JSON header line and the little-endian columns. So ``SHA-256(zlib.decompress(content))``
is the stored digest, and the columns are read back by their widths and the counts in the header
(targets: ``count`` rows of int64, uint8, int8, int32, int32, int32, uint8, uint8, int32;
inspectors: ``conflicts`` int64 then int32, ``last_inspection`` int64 then int32).
"""

from __future__ import annotations

import hashlib
import json
import zlib
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from zhifa.errors import InputError, IntegrityError, NotFoundError
from zhifa.inspections.directories import (
    Inspector,
    InspectorDirectory,
    TargetDirectory,
    canonical_json,
)
from zhifa.inspections.sources import inspector_directory, target_directory
from zhifa.store import Store
from zhifa.store.tables import Snapshot
from zhifa.timekeeping import Clock, SystemClock

TARGETS, INSPECTORS = "targets", "inspectors"
SNAPSHOT_KINDS = (TARGETS, INSPECTORS)

_TARGET_MAGIC = b"zhifa-targets-1\n"
_INSPECTOR_MAGIC = b"zhifa-inspectors-1\n"
_TARGET_COLUMNS = (
    ("ids", "<i8"),
    ("credit_class", "u1"),
    ("risk_level", "i1"),
    ("region", "<i4"),
    ("industry", "<i4"),
    ("registered_on", "<i4"),
    ("key_supervision", "u1"),
    ("asked", "u1"),
    ("inspected_this_year", "<i4"),
)
_INSPECTOR_COLUMNS = (
    ("conflict_entity", "<i8"),
    ("conflict_officer", "<i4"),
    ("last_entity", "<i8"),
    ("last_officer", "<i4"),
)


# -- encoding --------------------------------------------------------------------------------------


def encode_targets(directory: TargetDirectory) -> bytes:
    """The canonical encoding of a target directory (what its digest hashes)."""
    header = {
        "count": len(directory),
        "industries": list(directory.industries),
        "regions": list(directory.regions),
    }
    parts = [_TARGET_MAGIC, canonical_json(header) + b"\n"]
    for name, dtype in _TARGET_COLUMNS:
        parts.append(np.ascontiguousarray(getattr(directory, name), dtype=dtype).tobytes())
    return b"".join(parts)


def encode_inspectors(directory: InspectorDirectory) -> bytes:
    """The canonical encoding of an inspector directory (what its digest hashes)."""
    header = {
        "conflicts": int(directory.conflict_entity.shape[0]),
        "last_inspection": int(directory.last_entity.shape[0]),
        "officers": [o.as_list() for o in directory.officers],
    }
    parts = [_INSPECTOR_MAGIC, canonical_json(header) + b"\n"]
    for name, dtype in _INSPECTOR_COLUMNS:
        parts.append(np.ascontiguousarray(getattr(directory, name), dtype=dtype).tobytes())
    return b"".join(parts)


def _split(data: bytes, magic: bytes) -> tuple[dict[str, Any], bytes]:
    if not data.startswith(magic):
        raise InputError(f"the snapshot does not start with {magic.decode().strip()}")
    end = data.index(b"\n", len(magic))
    header = json.loads(data[len(magic) : end].decode("utf-8"))
    if not isinstance(header, dict):
        raise InputError("the snapshot's header is not a JSON object")
    return header, data[end + 1 :]


def _columns(body: bytes, layout: tuple[tuple[str, str], ...], counts: list[int]) -> list[Any]:
    out: list[Any] = []
    offset = 0
    for (_name, dtype), count in zip(layout, counts, strict=True):
        width = np.dtype(dtype).itemsize * count
        if offset + width > len(body):
            raise InputError("the snapshot's columns are shorter than its header says")
        out.append(np.frombuffer(body, dtype=dtype, count=count, offset=offset))
        offset += width
    if offset != len(body):
        raise InputError("the snapshot has bytes after its last column")
    return out


def decode_targets(data: bytes) -> TargetDirectory:
    """A target directory back from :func:`encode_targets`."""
    header, body = _split(data, _TARGET_MAGIC)
    n = int(header["count"])
    cols = _columns(body, _TARGET_COLUMNS, [n] * len(_TARGET_COLUMNS))
    return TargetDirectory(
        ids=cols[0],
        credit_class=cols[1],
        risk_level=cols[2],
        region=cols[3],
        industry=cols[4],
        registered_on=cols[5],
        key_supervision=cols[6].astype(bool),
        asked=cols[7].astype(bool),
        inspected_this_year=cols[8],
        regions=tuple(str(r) for r in header["regions"]),
        industries=tuple(str(i) for i in header["industries"]),
    )


def _day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def decode_inspectors(data: bytes) -> InspectorDirectory:
    """An inspector directory back from :func:`encode_inspectors`."""
    header, body = _split(data, _INSPECTOR_MAGIC)
    c, last = int(header["conflicts"]), int(header["last_inspection"])
    cols = _columns(body, _INSPECTOR_COLUMNS, [c, c, last, last])
    officers = tuple(
        Inspector(str(oid), str(dept), _day(start), _day(end), frozenset(spec), frozenset(regs))
        for oid, dept, start, end, spec, regs in header["officers"]
    )
    return InspectorDirectory(officers, *cols)


# -- snapshots -------------------------------------------------------------------------------------


def _now(clock: Clock | None) -> datetime:
    return (clock or SystemClock()).now()


def _add_snapshots(
    session: Session, targets: TargetDirectory, inspectors: InspectorDirectory, moment: datetime
) -> tuple[int, int]:
    ids = []
    for kind, rows, digest, data in (
        (TARGETS, len(targets), targets.digest(), encode_targets(targets)),
        (INSPECTORS, len(inspectors), inspectors.digest(), encode_inspectors(inspectors)),
    ):
        if hashlib.sha256(data).hexdigest() != digest:  # the encoding is what the digest hashes
            raise AssertionError(f"the {kind} encoding does not hash to its digest")
        snapshot = Snapshot(
            kind=kind, taken_at=moment, rows=rows, digest=digest, content=zlib.compress(data)
        )
        session.add(snapshot)
        session.flush()
        ids.append(snapshot.id)
    return ids[0], ids[1]


def take_snapshots(
    store: Store, clock: Clock | None = None, year: int | None = None
) -> tuple[int, int]:
    """Freeze both directories as they are now, for a plan of ``year`` (default: this year:
    requests for inspection and random inspections are counted per year); returns (target
    snapshot id, inspector snapshot id)."""
    moment = _now(clock)
    with store.write() as session:
        return _add_snapshots(
            session,
            target_directory(session, year or moment.year),
            inspector_directory(session),
            moment,
        )


@dataclass(frozen=True, slots=True)
class SnapshotInfo:
    id: int
    kind: str
    taken_at: datetime
    rows: int
    digest: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "taken_at": self.taken_at.isoformat(),
            "rows": self.rows,
            "digest": self.digest,
        }


def _snapshot_row(session: Session, snapshot_id: int, kind: str) -> Any:
    s = Snapshot.__table__.c
    row = session.execute(
        sa.select(s.id, s.kind, s.taken_at, s.rows, s.digest, s.content).where(s.id == snapshot_id)
    ).first()
    if row is None:
        raise NotFoundError(
            f"there is no snapshot {snapshot_id}; take one with zhifa snapshot take"
        )
    if row.kind != kind:
        raise InputError(f"snapshot {snapshot_id} is a {row.kind} snapshot, not a {kind} snapshot")
    return row


def _content_problems(row: Any) -> tuple[TargetDirectory | InspectorDirectory | None, list[str]]:
    """The directory a snapshot row holds and what does not match its stored digest."""
    try:
        data = zlib.decompress(row.content)
    except zlib.error:
        return None, [f"snapshot {row.id}'s stored content is not zlib data; it was altered"]
    problems = []
    if hashlib.sha256(data).hexdigest() != row.digest:
        problems.append(
            f"snapshot {row.id}'s stored content no longer matches its stored digest "
            f"{row.digest[:16]}…; it was altered after it was taken"
        )
    try:
        directory: TargetDirectory | InspectorDirectory = (
            decode_targets(data) if row.kind == TARGETS else decode_inspectors(data)
        )
    except (InputError, ValueError, KeyError, TypeError) as exc:
        return None, [*problems, f"snapshot {row.id}'s content cannot be read back: {exc}"]
    return directory, problems


def load_snapshot(
    store: Store, snapshot_id: int, kind: str
) -> TargetDirectory | InspectorDirectory:
    """The directory of a snapshot; :class:`IntegrityError` if its content no longer matches
    its digest."""
    with store.read() as session:
        row = _snapshot_row(session, snapshot_id, kind)
    directory, problems = _content_problems(row)
    if problems or directory is None:
        raise IntegrityError(problems[0] if problems else f"snapshot {snapshot_id} is unreadable")
    return directory


def snapshot_info(store: Store, snapshot_id: int, kind: str) -> SnapshotInfo:
    with store.read() as session:
        row = _snapshot_row(session, snapshot_id, kind)
    return SnapshotInfo(row.id, row.kind, row.taken_at, row.rows, row.digest)


def list_snapshots(store: Store) -> list[SnapshotInfo]:
    """Every snapshot (without its content), by id."""
    s = Snapshot.__table__.c
    with store.read() as session:
        return [
            SnapshotInfo(row.id, row.kind, row.taken_at, row.rows, row.digest)
            for row in session.execute(
                sa.select(s.id, s.kind, s.taken_at, s.rows, s.digest).order_by(s.id)
            )
        ]
