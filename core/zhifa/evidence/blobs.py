"""Content-addressed blobs: :class:`BlobStore`, :class:`DirectoryStore`, and :func:`configured`,
which picks the directory or the S3-compatible backend (:mod:`zhifa.evidence.s3`) from
``$ZHIFA_EVIDENCE``.

A blob's bytes are checked against their SHA-256 on every read: bytes altered where they are kept
raise :class:`~zhifa.errors.IntegrityError`; a hash that is not kept, or not a SHA-256, is an
:class:`~zhifa.errors.InputError`."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol, cast

import sqlalchemy as sa

from zhifa.errors import InputError, IntegrityError
from zhifa.store.tables import Blob

BLOBS = cast(sa.Table, Blob.__table__)


@dataclass(frozen=True, slots=True)
class StoredBlob:
    """What storing a file gives back: the SHA-256 of its bytes and their size."""

    sha256: str
    size: int


def digest(data: bytes) -> StoredBlob:
    return StoredBlob(hashlib.sha256(data).hexdigest(), len(data))


class BlobStore(Protocol):
    """Where the bytes of evidence and documents are kept, by their SHA-256."""

    def put(self, data: bytes) -> StoredBlob:
        """Keep ``data`` (a no-op when its hash is already kept) and say its hash and size."""
        ...

    def get(self, sha256: str) -> bytes:
        """The bytes kept under ``sha256``; :class:`InputError` when none are."""
        ...

    def has(self, sha256: str) -> bool: ...

    def describe(self) -> str:
        """Where the store is, for messages."""
        ...


def _checked(sha256: str) -> str:
    if (
        not isinstance(sha256, str)
        or len(sha256) != 64
        or any(c not in "0123456789abcdef" for c in sha256)
    ):
        raise InputError(
            f"{sha256!r} is not a SHA-256 (64 lower-case hex digits); "
            "copy the hash from the step's evidence"
        )
    return sha256


class DirectoryStore:
    """Blobs as files ``ROOT/ab/cdef…`` named by their hash; written to a temporary file and
    renamed into place, so a reader never sees half a file and an existing file is never
    replaced."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def _path(self, sha256: str) -> Path:
        sha = _checked(sha256)
        return self.root / sha[:2] / sha[2:]

    def put(self, data: bytes) -> StoredBlob:
        blob = digest(data)
        path = self._path(blob.sha256)
        if path.exists():
            return blob
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
        except OSError as exc:
            raise InputError(
                f"cannot write to the evidence store at {self.root} ({exc.strerror}); make the "
                f"directory writable for zhifa, or point ${ENV_EVIDENCE} elsewhere"
            ) from None
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, 0o444)
            try:
                os.link(tmp, path)  # fails if the name exists: a kept file is never replaced
            except FileExistsError:
                pass
            except OSError:  # a file system without hard links
                if not path.exists():
                    os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return blob

    def get(self, sha256: str) -> bytes:
        path = self._path(sha256)
        if not path.exists():
            raise InputError(
                f"no file with SHA-256 {sha256} is in the evidence store at {self.root}; "
                "check the hash, or the store the server was started with"
            )
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != sha256:
            raise IntegrityError(
                f"the file kept under {sha256} in {self.root} no longer has that hash: it was "
                "altered on disk; restore it from a backup"
            )
        return data

    def has(self, sha256: str) -> bool:
        return self._path(sha256).exists()

    def describe(self) -> str:
        return str(self.root)


def register(
    conn: sa.Connection, blob: StoredBlob, *, name: str, media_type: str, at: datetime
) -> None:
    """List ``blob`` in ``evidence_blobs`` in the caller's transaction (kept as first named)."""
    found = conn.execute(sa.select(BLOBS.c.sha256).where(BLOBS.c.sha256 == blob.sha256)).first()
    if found is None:
        conn.execute(
            BLOBS.insert().values(
                sha256=blob.sha256,
                size=blob.size,
                media_type=media_type[:100],
                name=name[:300],
                stored_at=at,
            )
        )


ENV_EVIDENCE = "ZHIFA_EVIDENCE"
"""Where the evidence store is: a directory path, or ``s3://BUCKET/PREFIX`` for an S3-compatible
bucket (see :mod:`zhifa.evidence.s3` for its endpoint and credentials)."""


def configured(db_url: str, location: str | None = None) -> BlobStore:
    """The evidence store for the database at ``db_url``: ``location`` or ``$ZHIFA_EVIDENCE``
    when given (``s3://BUCKET/PREFIX`` for a bucket, else a directory), else the directory
    ``NAME.evidence`` beside an SQLite file (``./zhifa-evidence`` for an in-memory or server
    database)."""
    where = location or os.environ.get(ENV_EVIDENCE)
    if where and where.startswith("s3://"):
        from zhifa.evidence.s3 import S3Store  # on use: boto3 loads only for a bucket

        return S3Store.from_url(where)
    if where:
        return DirectoryStore(where)
    url = sa.make_url(db_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return DirectoryStore(f"{url.database}.evidence")
    return DirectoryStore("zhifa-evidence")
