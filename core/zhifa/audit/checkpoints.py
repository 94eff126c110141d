"""Signed checkpoints: an anchor for the record outside the database.

The hash chains (:mod:`~zhifa.audit.chains`) show that a stored history is consistent, not that it
is the history that was written: someone with write access can drop the append-only triggers,
rewrite or truncate a chain and recompute every hash after the change. A checkpoint closes that
gap. It is a signed statement "at this time every matter stood at (version, head hash)".

Design (certificate-transparency style, RFC 6962 / 9162): a checkpoint is a *signed tree head*.

- Leaves: one per matter, sorted by matter id; a leaf is ``canonical_json(["zhifa-seal-leaf-1",
  id, version, head_hash])``. The root is the RFC 6962 Merkle tree hash over the leaves (leaf
  hashes prefixed ``0x00``, node hashes ``0x01``, so a leaf can never pass for a node). The full
  leaf list is in the file as well, so a verifier needs nothing else; the root lets a department
  publish only a short value (and later prove one matter's entry by an audit path).
- The checkpoint carries its sequence number, the time, the signer's public key, the root, the
  leaves, and ``previous``: the SHA-256 of the previous checkpoint file's canonical JSON (GENESIS
  for the first). The checkpoints are thus themselves an append-only chain: deleting or replacing a
  published one breaks the link of the next.
- An Ed25519 signature covers the canonical JSON of all of that. The private key is a file outside
  the database (``--key`` / ``$ZHIFA_SEAL_KEY``); the database's own role cannot sign.

Checking a database against a checkpoint: the chains are recomputed as by ``audit verify``; every
sealed matter must still exist with at least the sealed version; its event at the sealed version,
hashed from its stored fields, must be the sealed head. As each event's hash covers the previous
one, this fixes every event up to the sealed version: any rewrite, truncation or deletion of sealed
history is found even if all hashes were recomputed. Steps taken after the seal are not covered
until the next seal; matters opened after it are listed as not yet sealed.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from zhifa.audit.chains import AuditReport, Break, _chain_fault, _grouped, stored_event_hash
from zhifa.audit.keys import public_hex
from zhifa.errors import InputError, IntegrityError
from zhifa.record import GENESIS, canonical_json
from zhifa.store import Store
from zhifa.store.tables import Matter

FORMAT = "zhifa-checkpoint-1"
_MATTERS = cast(sa.Table, Matter.__table__)
_NAME = "checkpoint-{:06d}.json"
_FIELDS = ("format", "sequence", "sealed_at", "previous", "public_key", "size", "root", "matters")

Leaf = tuple[int, int, str]
"""A sealed matter: (id, version, head hash)."""


def _sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def leaf_bytes(leaf: Leaf) -> bytes:
    return canonical_json(["zhifa-seal-leaf-1", *leaf]).encode("utf-8")


def merkle_root(leaves: list[Leaf]) -> str:
    """The RFC 6962 Merkle tree hash over ``leaves`` (in the given order), in hex."""
    level = [_sha(b"\x00" + leaf_bytes(leaf)) for leaf in leaves]
    if not level:
        return _sha(b"").hex()

    def tree(lo: int, hi: int) -> bytes:
        if hi - lo == 1:
            return level[lo]
        k = 1
        while k * 2 < hi - lo:
            k *= 2
        return _sha(b"\x01" + tree(lo, lo + k) + tree(lo + k, hi))

    return tree(0, len(level)).hex()


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """One signed tree head, as read from or written to its file."""

    sequence: int
    sealed_at: str
    previous: str
    public_key: str
    root: str
    matters: tuple[Leaf, ...]
    signature: str
    source: str = ""

    def body(self) -> dict[str, Any]:
        """What the signature covers."""
        return {
            "format": FORMAT,
            "sequence": self.sequence,
            "sealed_at": self.sealed_at,
            "previous": self.previous,
            "public_key": self.public_key,
            "size": len(self.matters),
            "root": self.root,
            "matters": [list(leaf) for leaf in self.matters],
        }

    def document(self) -> dict[str, Any]:
        return {**self.body(), "signature": self.signature}

    @property
    def digest(self) -> str:
        """The SHA-256 of the whole signed file (canonical JSON): what the next one chains to."""
        return hashlib.sha256(canonical_json(self.document()).encode("utf-8")).hexdigest()


def _bad_file(source: str, why: str) -> IntegrityError:
    return IntegrityError(
        f"checkpoint {source} {why}; it was altered or is not a zhifa checkpoint, "
        "fetch the published copy"
    )


def _parse(doc: Any, source: str) -> Checkpoint:
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise _bad_file(source, f"is not in format {FORMAT}")
    missing = [k for k in (*_FIELDS, "signature") if k not in doc]
    if missing:
        raise _bad_file(source, f"lacks {', '.join(missing)}")
    try:
        leaves = tuple((int(m[0]), int(m[1]), str(m[2])) for m in doc["matters"])
        cp = Checkpoint(
            sequence=int(doc["sequence"]),
            sealed_at=str(doc["sealed_at"]),
            previous=str(doc["previous"]),
            public_key=str(doc["public_key"]),
            root=str(doc["root"]),
            matters=leaves,
            signature=str(doc["signature"]),
            source=source,
        )
    except (TypeError, ValueError, IndexError, KeyError):
        raise _bad_file(source, "has a malformed field") from None
    if cp.body() != {k: doc[k] for k in _FIELDS}:
        raise _bad_file(source, "has a malformed field")
    return cp


def read_checkpoint(path: Path) -> Checkpoint:
    """A checkpoint file, parsed (not yet checked: see :func:`check_signature`)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(
            f"cannot read checkpoint {path}: {exc.strerror or type(exc).__name__}; give a file "
            "written by `zhifa audit seal` or the directory holding them"
        ) from None
    try:
        doc = json.loads(text)
    except ValueError:
        raise _bad_file(str(path), "is not valid JSON") from None
    return _parse(doc, str(path))


def check_signature(cp: Checkpoint, key: Ed25519PublicKey) -> None:
    """Raise :class:`IntegrityError` naming the file unless ``key`` signed exactly this content
    and its root is the root of its matters."""
    given = public_hex(key)
    if cp.public_key != given:
        raise IntegrityError(
            f"checkpoint {cp.source} names signer {cp.public_key[:16]}… but the given public key "
            f"is {given[:16]}…; verify with the department's published key"
        )
    try:
        key.verify(bytes.fromhex(cp.signature), canonical_json(cp.body()).encode("utf-8"))
    except (InvalidSignature, ValueError):
        raise IntegrityError(
            f"checkpoint {cp.source} does not carry a valid signature of its content: "
            "it was altered after sealing; fetch the published copy"
        ) from None
    if merkle_root(list(cp.matters)) != cp.root:  # signed, so only a signing bug reaches this
        raise _bad_file(cp.source, "has a root that is not the root of its matters")


def read_chain(path: Path, key: Ed25519PublicKey) -> list[Checkpoint]:
    """The checkpoints in directory ``path`` (or the one file ``path``), oldest first, each signed
    by ``key`` and each chained to the one before (sequence and previous hash)."""
    if not path.is_dir():
        cp = read_checkpoint(path)
        check_signature(cp, key)
        return [cp]
    chain = sorted(
        (read_checkpoint(p) for p in path.glob("checkpoint-*.json")), key=lambda c: c.sequence
    )
    previous, expected = GENESIS, 1
    for cp in chain:
        check_signature(cp, key)
        if cp.sequence != expected:
            raise IntegrityError(
                f"checkpoint {cp.source} is number {cp.sequence} but number {expected} was "
                f"expected: a checkpoint in {path} is missing or duplicated"
            )
        if cp.previous != previous:
            raise IntegrityError(
                f"checkpoint {cp.source} does not chain to the checkpoint before it: "
                f"that one was replaced or removed"
            )
        previous, expected = cp.digest, expected + 1
    return chain


@dataclass(frozen=True, slots=True)
class Finding:
    """A sealed matter whose history no longer matches its checkpoint."""

    matter_id: int
    checkpoint: int
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"matter_id": self.matter_id, "checkpoint": self.checkpoint, "reason": self.reason}


@dataclass(slots=True)
class SealReport:
    """The chains recomputed, then compared with one or more checkpoints."""

    chains: AuditReport = field(default_factory=AuditReport)
    checkpoints: list[int] = field(default_factory=list)
    root: str = ""
    findings: list[Finding] = field(default_factory=list)
    unsealed: list[int] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return self.chains.intact and not self.findings

    def as_dict(self) -> dict[str, Any]:
        return {
            "intact": self.intact,
            "matters": self.chains.matters,
            "events": self.chains.events,
            "breaks": [b.as_dict() for b in self.chains.breaks],
            "checkpoints": self.checkpoints,
            "root": self.root,
            "findings": [f.as_dict() for f in self.findings],
            "not_yet_sealed": self.unsealed,
        }


def _compare(matter_id: int, events: list[Any], version: int, head: str) -> str | None:
    said = f"matter {matter_id} was sealed at version {version} with head {head[:12]}…"
    if len(events) < version or events[version - 1].seq != version:
        have = max((e.seq for e in events), default=0)
        return f"{said} but it now records only {have} events (history removed)"
    now = stored_event_hash(events[version - 1])
    if now != head:
        return f"{said} but its event {version} now hashes to {now[:12]}… (history rewritten)"
    return None


def compare(store: Store, checkpoints: list[Checkpoint], *, batch: int = 2000) -> SealReport:
    """Recompute every chain and compare the record with every one of ``checkpoints``."""
    report = SealReport(checkpoints=[c.sequence for c in checkpoints])
    if checkpoints:
        report.root = checkpoints[-1].root
    sealed: dict[int, list[tuple[int, int, str]]] = {}
    for cp in checkpoints:
        for mid, version, head in cp.matters:
            sealed.setdefault(mid, []).append((cp.sequence, version, head))
    seen: set[int] = set()
    for matter, events in _grouped(store, batch):
        report.chains.matters += 1
        report.chains.events += len(events)
        fault = _chain_fault(matter, events)
        if fault is not None:
            report.chains.breaks.append(fault)
        seals = sealed.get(matter.id)
        if not seals:
            report.unsealed.append(matter.id)
            continue
        seen.add(matter.id)
        for number, version, head in reversed(seals):  # the newest seal first
            reason = _compare(matter.id, events, version, head)
            if reason is not None:
                report.findings.append(Finding(matter.id, number, reason))
                break
    for mid in sorted(sealed.keys() - seen):
        number, version, head = sealed[mid][-1]
        report.findings.append(
            Finding(
                mid,
                number,
                f"matter {mid} was sealed at version {version} with head {head[:12]}… "
                "and no longer exists (deleted)",
            )
        )
    report.findings.sort(key=lambda f: f.matter_id)
    return report


def verify_against(store: Store, path: Path, key: Ed25519PublicKey) -> SealReport:
    """Check the checkpoint file (or directory of checkpoints) ``path`` with ``key``, then the
    record against it. A bad signature or broken checkpoint chain raises IntegrityError."""
    return compare(store, read_chain(path, key))


def _snapshot(store: Store) -> list[Leaf]:
    with store.read() as session:
        rows = session.execute(
            sa.select(_MATTERS.c.id, _MATTERS.c.version, _MATTERS.c.head_hash).order_by(
                _MATTERS.c.id
            )
        ).all()
    return [(int(r.id), int(r.version), str(r.head_hash)) for r in rows]


def _first_problem(report: SealReport) -> str:
    if report.chains.breaks:
        b: Break = report.chains.breaks[0]
        return f"matter {b.matter_id}, event {b.seq}: {b.reason}"
    return report.findings[0].reason


def seal(
    store: Store, out: Path, key: Ed25519PrivateKey, *, at: datetime | None = None
) -> tuple[Checkpoint, Path]:
    """Write the next checkpoint to directory ``out``, chained to the newest one there.

    Refuses (IntegrityError, nothing written) if the record does not verify, or no longer matches
    an earlier checkpoint in ``out``: a seal never covers a rewritten history."""
    if out.exists() and not out.is_dir():
        raise InputError(f"{out} is not a directory; give the directory that holds the checkpoints")
    public = key.public_key()
    chain = read_chain(out, public) if out.is_dir() else []
    leaves = _snapshot(store)
    when = (at or datetime.now(UTC)).astimezone(UTC).isoformat().replace("+00:00", "Z")
    draft = Checkpoint(
        sequence=len(chain) + 1,
        sealed_at=when,
        previous=chain[-1].digest if chain else GENESIS,
        public_key=public_hex(public),
        root=merkle_root(leaves),
        matters=tuple(leaves),
        signature="",
    )
    report = compare(store, [*chain, draft])
    if not report.intact:
        raise IntegrityError(
            f"refusing to seal: the record does not verify ({_first_problem(report)}); "
            "run `zhifa audit verify` and restore the record first"
        )
    body = canonical_json(draft.body()).encode("utf-8")
    cp = replace(draft, signature=key.sign(body).hex())
    out.mkdir(parents=True, exist_ok=True)
    target = out / _NAME.format(cp.sequence)
    if target.exists():
        raise IntegrityError(f"{target} already exists; another seal ran at the same time, retry")
    fd, tmp = tempfile.mkstemp(dir=out, prefix=".seal-", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(canonical_json(cp.document()) + "\n")
    os.replace(tmp, target)
    return replace(cp, source=str(target)), target
