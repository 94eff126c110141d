"""The evidence store: files attached to steps and the documents zhifa issues, kept by the
SHA-256 of their bytes (content-addressed), never overwritten.

The event of a step records each file's name, SHA-256 and size (:class:`zhifa.record.Evidence`);
the bytes live here, in a directory (the default: beside an SQLite database, or where
``$ZHIFA_EVIDENCE`` points) or an S3-compatible bucket (``$ZHIFA_EVIDENCE=s3://BUCKET/PREFIX``).
A file whose hash is already stored is not written again, so storing is idempotent and a stored
file can never be replaced by other bytes under the same name; every read checks the bytes
against the hash.

Modules:

* :mod:`~zhifa.evidence.blobs` — :class:`BlobStore`, the directory backend, :func:`configured`;
* :mod:`~zhifa.evidence.s3` — :class:`S3Store`, the S3-compatible backend;
* :mod:`~zhifa.evidence.policy` — each department's upload policy: maximum size and file types,
  recognised by extension and by the leading bytes;
* :mod:`~zhifa.evidence.files` — :func:`attach` a file to a step, find the files a matter's events
  record, :func:`verify` the store against the record.
"""

from __future__ import annotations

from zhifa.errors import EvidenceBroken
from zhifa.evidence.blobs import (
    ENV_EVIDENCE,
    BlobStore,
    DirectoryStore,
    StoredBlob,
    configured,
    digest,
    register,
)
from zhifa.evidence.files import (
    Recorded,
    Verification,
    attach,
    prepare,
    recorded_on,
    verify,
)
from zhifa.evidence.policy import DEFAULT, KINDS, Policy, check, clean_name, policy_of, set_policy
from zhifa.evidence.s3 import ENV_ENDPOINT, S3Store

__all__ = [
    "DEFAULT",
    "ENV_ENDPOINT",
    "ENV_EVIDENCE",
    "KINDS",
    "BlobStore",
    "DirectoryStore",
    "EvidenceBroken",
    "Policy",
    "Recorded",
    "S3Store",
    "StoredBlob",
    "Verification",
    "attach",
    "check",
    "clean_name",
    "configured",
    "digest",
    "policy_of",
    "prepare",
    "recorded_on",
    "register",
    "set_policy",
    "verify",
]
