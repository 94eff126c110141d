"""The evidence store: files attached to steps and the documents zhifa issues, kept by the
SHA-256 of their bytes (content-addressed), never overwritten.

The event of a step records each file's name, SHA-256 and size (:class:`zhifa.record.Evidence`);
the bytes live here, in a directory (the default: beside an SQLite database, or where
``$ZHIFA_EVIDENCE`` points) or an S3-compatible bucket. A file whose hash is already stored is
not written again, so storing is idempotent and a stored file can never be replaced by other
bytes under the same name.

Modules:

* :mod:`~zhifa.evidence.blobs` — :class:`BlobStore` and the directory backend;
"""

from __future__ import annotations

from zhifa.evidence.blobs import (
    ENV_EVIDENCE,
    BlobStore,
    DirectoryStore,
    StoredBlob,
    configured,
    digest,
    register,
)

__all__ = [
    "ENV_EVIDENCE",
    "BlobStore",
    "DirectoryStore",
    "StoredBlob",
    "configured",
    "digest",
    "register",
]
