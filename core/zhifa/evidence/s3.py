"""The S3-compatible backend: :class:`S3Store`, chosen by ``$ZHIFA_EVIDENCE=s3://BUCKET/PREFIX``.

Each file is the object ``PREFIX/ab/cdef…`` named by its SHA-256. The endpoint is
``$ZHIFA_S3_ENDPOINT`` when set (a MinIO, Ceph or other S3-compatible server), else whatever the
standard AWS configuration names (``AWS_ENDPOINT_URL_S3``, ``AWS_ENDPOINT_URL``, else AWS itself);
credentials and region come from the usual AWS variables or files (``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``, ``AWS_REGION``, ``AWS_PROFILE``…).

An object is never overwritten: :meth:`S3Store.put` writes only when no object has the key, and
then with ``If-None-Match: *``, so a server that supports conditional writes refuses a second
writer too (both would write the same bytes; the refusal only guarantees that a kept object
stays as it is). Every read checks the bytes against their hash.

Needs boto3 (``pip install 'zhifa[s3]'``); it is imported only when a bucket is used."""

from __future__ import annotations

import hashlib
import os
from typing import Any
from urllib.parse import urlsplit

from zhifa.errors import InputError, IntegrityError
from zhifa.evidence.blobs import StoredBlob, _checked, digest

ENV_ENDPOINT = "ZHIFA_S3_ENDPOINT"
"""The S3-compatible server's URL, e.g. ``http://minio.internal:9000``."""

_MISSING = {"404", "NoSuchKey", "NotFound"}
_NO_BUCKET = {"NoSuchBucket"}
_DENIED = {
    "403",
    "AccessDenied",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "InvalidToken",
    "ExpiredToken",
}
_RACED = {"412", "PreconditionFailed", "ConditionalRequestConflict", "409"}
_UNSUPPORTED = {"501", "NotImplemented"}


class S3Store:
    """Blobs as objects of one bucket, under ``prefix``, named by their hash."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        client: Any = None,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.endpoint_url = endpoint_url or os.environ.get(ENV_ENDPOINT) or None
        self._client = client
        self._bucket_seen = False

    @classmethod
    def from_url(cls, url: str) -> S3Store:
        """The store ``s3://BUCKET/PREFIX`` names; :class:`InputError` when it names no bucket."""
        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise InputError(
                f"{url!r} is not an evidence bucket; write s3://BUCKET/PREFIX, e.g. "
                "s3://zhifa-evidence/hzxh"
            )
        return cls(parts.netloc, parts.path)

    # -- the client ---------------------------------------------------------------------------

    @property
    def client(self) -> Any:
        if self._client is None:
            try:
                import boto3
                from botocore.config import Config
            except ImportError:
                raise InputError(
                    "an s3:// evidence store needs boto3, which is not installed; install it "
                    "with pip install 'zhifa[s3]'"
                ) from None
            config = Config(
                connect_timeout=5,
                read_timeout=60,
                retries={"max_attempts": 2, "mode": "standard"},
                # a named server is addressed by path (bucket.localhost does not resolve)
                s3={"addressing_style": "path" if self.endpoint_url else "auto"},
            )
            self._client = boto3.client("s3", endpoint_url=self.endpoint_url, config=config)
        return self._client

    def describe(self) -> str:
        where = f"s3://{self.bucket}/{self.prefix}".rstrip("/")
        return f"{where} at {self.endpoint_url}" if self.endpoint_url else where

    def key(self, sha256: str) -> str:
        sha = _checked(sha256)
        name = f"{sha[:2]}/{sha[2:]}"
        return f"{self.prefix}/{name}" if self.prefix else name

    def _fail(self, exc: Exception) -> InputError:
        """One sentence for what went wrong talking to the bucket."""
        from botocore.exceptions import (
            ClientError,
            EndpointConnectionError,
            NoCredentialsError,
            PartialCredentialsError,
        )

        where = self.describe()
        if isinstance(exc, NoCredentialsError | PartialCredentialsError):
            return InputError(
                f"no credentials for the evidence store {where}; set AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) for zhifa"
            )
        if isinstance(exc, ClientError):
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in _NO_BUCKET:
                return InputError(
                    f"the bucket {self.bucket!r} of the evidence store {where} does not exist; "
                    "create it, or correct $ZHIFA_EVIDENCE"
                )
            if code in _DENIED:
                return InputError(
                    f"the evidence store {where} refused zhifa's credentials ({code}); check "
                    "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and the bucket's policy"
                )
            return InputError(
                f"the evidence store {where} answered {code or 'an error'}; check the server's "
                "log and $ZHIFA_EVIDENCE"
            )
        if isinstance(exc, EndpointConnectionError):
            return InputError(
                f"the evidence store {where} cannot be reached; check that the server is running "
                f"and ${ENV_ENDPOINT} names it"
            )
        return InputError(
            f"the evidence store {where} cannot be used ({type(exc).__name__}); check that the "
            f"server is running and ${ENV_ENDPOINT} names it"
        )

    def _code(self, exc: Exception) -> str:
        from botocore.exceptions import ClientError

        if isinstance(exc, ClientError):
            return str(exc.response.get("Error", {}).get("Code", ""))
        return ""

    def _ensure_bucket(self) -> None:
        """Check once that the bucket is there, so that a missing bucket is not taken for a
        missing file (S3 answers both with 404)."""
        if self._bucket_seen:
            return
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except (BotoCoreError, ClientError) as exc:
            if self._code(exc) in _MISSING:
                raise InputError(
                    f"the bucket {self.bucket!r} of the evidence store {self.describe()} does "
                    "not exist; create it, or correct $ZHIFA_EVIDENCE"
                ) from None
            raise self._fail(exc) from None
        self._bucket_seen = True

    # -- the BlobStore protocol ---------------------------------------------------------------

    def has(self, sha256: str) -> bool:
        from botocore.exceptions import BotoCoreError, ClientError

        key = self.key(sha256)
        self._ensure_bucket()
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except (BotoCoreError, ClientError) as exc:
            if self._code(exc) in _MISSING:
                return False
            raise self._fail(exc) from None
        return True

    def put(self, data: bytes) -> StoredBlob:
        blob = digest(data)
        if self.has(blob.sha256):
            return blob
        self._write(self.key(blob.sha256), data)
        return blob

    def _write(self, key: str, data: bytes) -> bool:
        """Write ``data`` as ``key`` unless an object has that key; whether it was written."""
        from botocore.exceptions import BotoCoreError, ClientError

        args: dict[str, Any] = {
            "Bucket": self.bucket,
            "Key": key,
            "Body": data,
            "ContentLength": len(data),
        }
        try:
            self.client.put_object(IfNoneMatch="*", **args)
        except (BotoCoreError, ClientError) as exc:
            code = self._code(exc)
            if code in _RACED:
                return False  # another writer kept it first: it stays as it is
            if code not in _UNSUPPORTED:
                raise self._fail(exc) from None
            # a server without conditional writes: the check in put() is the guard
            try:
                self.client.put_object(**args)
            except (BotoCoreError, ClientError) as again:
                raise self._fail(again) from None
        return True

    def get(self, sha256: str) -> bytes:
        from botocore.exceptions import BotoCoreError, ClientError

        key = self.key(sha256)
        self._ensure_bucket()
        try:
            data: bytes = self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except (BotoCoreError, ClientError) as exc:
            if self._code(exc) in _MISSING:
                raise InputError(
                    f"no file with SHA-256 {sha256} is in the evidence store {self.describe()}; "
                    "check the hash, or the store the server was started with"
                ) from None
            raise self._fail(exc) from None
        if hashlib.sha256(data).hexdigest() != sha256:
            raise IntegrityError(
                f"the file kept under {sha256} in {self.describe()} no longer has that hash: it "
                "was altered in the bucket; restore it from a backup"
            )
        return data
