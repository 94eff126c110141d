"""What the evidence tests share: a real S3-compatible server (``moto_server``, started once per
test module on a free port), a fresh bucket per test, the two backends behind one fixture, a way
to alter a kept file behind the store's back, and small files of each type made on the spot."""

from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from zhifa.evidence import BlobStore, DirectoryStore, S3Store

CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "zhifa-test",
    "AWS_SECRET_ACCESS_KEY": "zhifa-test-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _moto_server() -> str | None:
    beside = Path(sys.executable).parent / "moto_server"
    return str(beside) if beside.exists() else shutil.which("moto_server")


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """The URL of a moto S3 server running for this module. Without one the S3 tests are
    skipped with the reason; with ``CI`` set they fail."""
    program = _moto_server()
    port = _free_port()
    reason = ""
    process = None
    if program is None:
        reason = "moto_server is not installed (pip install 'moto[server]')"
    else:
        process = subprocess.Popen(
            [program, "-H", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if process.poll() is not None:
                    break
                time.sleep(0.05)
        else:
            reason = f"moto_server did not answer on port {port} within 20 s"
        if process.poll() is not None:
            reason = f"moto_server exited with code {process.returncode}"
    if reason:
        if process is not None and process.poll() is None:
            process.kill()
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI requires the S3 tests)")
        pytest.skip(reason)
    yield f"http://127.0.0.1:{port}"
    assert process is not None
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def s3_env(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh bucket on the test server, with the endpoint and credentials in the environment
    as an operator would set them; the bucket's name."""
    import boto3

    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ZHIFA_S3_ENDPOINT", s3_endpoint)
    bucket = f"zhifa-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=s3_endpoint).create_bucket(Bucket=bucket)
    return bucket


def raw_client(store: S3Store) -> Any:
    """A client that writes to the bucket directly, as someone with the bucket's keys would."""
    import boto3

    return boto3.client("s3", endpoint_url=store.endpoint_url)


@pytest.fixture(params=["directory", "s3"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    """Each test once on a directory and once on a bucket of a real S3-compatible server."""
    if request.param == "directory":
        return DirectoryStore(tmp_path / "blobs")
    bucket = request.getfixturevalue("s3_env")
    return S3Store(bucket, "evidence/test")


def overwrite(store: BlobStore, sha256: str, data: bytes) -> None:
    """Put ``data`` where ``store`` keeps ``sha256``, behind its back (an attacker with access to
    the disk or the bucket)."""
    if isinstance(store, DirectoryStore):
        path = store.root / sha256[:2] / sha256[2:]
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            path.chmod(0o644)
        path.write_bytes(data)
    else:
        assert isinstance(store, S3Store)
        raw_client(store).put_object(Bucket=store.bucket, Key=store.key(sha256), Body=data)


def remove(store: BlobStore, sha256: str) -> None:
    if isinstance(store, DirectoryStore):
        (store.root / sha256[:2] / sha256[2:]).unlink()
    else:
        assert isinstance(store, S3Store)
        raw_client(store).delete_object(Bucket=store.bucket, Key=store.key(sha256))


def kept(store: BlobStore) -> int:
    """How many files ``store`` holds."""
    if isinstance(store, DirectoryStore):
        return sum(1 for p in store.root.rglob("*") if p.is_file()) if store.root.exists() else 0
    assert isinstance(store, S3Store)
    listed = raw_client(store).list_objects_v2(Bucket=store.bucket)
    return int(listed.get("KeyCount", 0))


# -- small files of each type ---------------------------------------------------------------------

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64
PDF = b"%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64
MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" * 16
MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00\x00\x00\x08free" * 4


def docx() -> bytes:
    from docx import Document

    out = io.BytesIO()
    document = Document()
    document.add_paragraph("现场检查笔录")
    document.save(out)
    return out.getvalue()


def xlsx() -> bytes:
    from openpyxl import Workbook

    out = io.BytesIO()
    book = Workbook()
    book.active.append(["品名", "数量"])
    book.save(out)
    return out.getvalue()


def plain_zip(names: dict[str, bytes]) -> bytes:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in names.items():
            archive.writestr(name, data)
    return out.getvalue()


MAKERS: dict[str, Callable[[], bytes]] = {
    "jpg": lambda: JPEG,
    "png": lambda: PNG,
    "pdf": lambda: PDF,
    "mp3": lambda: MP3,
    "mp4": lambda: MP4,
    "docx": docx,
    "xlsx": xlsx,
    "ofd": lambda: plain_zip({"OFD.xml": b"<ofd:OFD/>", "Doc_0/Document.xml": b"<x/>"}),
    "doc": lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504,
    "txt": lambda: "责令改正通知书\n".encode(),
}
