"""The evidence store from Python: both backends (a directory, a bucket on a real S3-compatible
server) through one set of tests, the upload policy at its boundaries, attaching, and verifying
the store against the record — on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import socket
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import DEPT, OTHER_DEPT
from tests.evidence_support import (
    EXE,
    JPEG,
    MAKERS,
    PDF,
    backend,
    docx,
    kept,
    overwrite,
    plain_zip,
    raw_client,
    remove,
    s3_endpoint,
    s3_env,
)
from tests.helpers import make_engine, open_clue
from zhifa.errors import InputError, IntegrityError, NotFoundError
from zhifa.evidence import (
    DEFAULT,
    BlobStore,
    DirectoryStore,
    EvidenceBroken,
    S3Store,
    attach,
    check,
    configured,
    policy_of,
    set_policy,
    verify,
)
from zhifa.evidence.policy import MB
from zhifa.record import Evidence
from zhifa.store import Store
from zhifa.store.tables import Blob

__all__ = ["backend", "s3_endpoint", "s3_env"]  # fixtures used here

AT = datetime(2026, 3, 2, 9, 0)


# -- both backends --------------------------------------------------------------------------------


def test_put_get_has_round_trip(backend: BlobStore) -> None:
    blob = backend.put(PDF)
    assert blob.sha256 == hashlib.sha256(PDF).hexdigest() and blob.size == len(PDF)
    assert backend.has(blob.sha256)
    assert backend.get(blob.sha256) == PDF
    other = hashlib.sha256(b"never kept").hexdigest()
    assert not backend.has(other)
    with pytest.raises(InputError, match="no file with SHA-256") as missing:
        backend.get(other)
    assert not isinstance(missing.value, IntegrityError)


def test_put_is_idempotent(backend: BlobStore) -> None:
    first = backend.put(JPEG)
    again = backend.put(JPEG)
    assert first == again
    assert kept(backend) == 1


def test_a_kept_file_is_never_replaced(backend: BlobStore) -> None:
    sha = hashlib.sha256(PDF).hexdigest()
    overwrite(backend, sha, b"planted before the real file arrived")
    backend.put(PDF)  # the planted object stays: the store never writes over a kept name
    with pytest.raises(IntegrityError, match="no longer has that hash"):
        backend.get(sha)


def test_a_file_altered_where_it_is_kept_is_detected(backend: BlobStore) -> None:
    sha = backend.put(PDF).sha256
    overwrite(backend, sha, PDF.replace(b"1.7", b"1.6"))
    with pytest.raises(IntegrityError, match=f"{sha} .*no longer has that hash.*backup"):
        backend.get(sha)


@pytest.mark.parametrize(
    "bad",
    [
        "abc",
        "A" * 64,  # upper case
        "g" * 64,
        "../../../etc/passwd".ljust(64, "0"),
        hashlib.sha256(b"x").hexdigest() + "0",
        "",
    ],
)
def test_a_hash_that_is_not_a_sha256_is_refused(backend: BlobStore, bad: str) -> None:
    for call in (backend.get, backend.has):
        with pytest.raises(InputError, match="is not a SHA-256"):
            call(bad)


def test_a_conditional_write_never_replaces_an_object(s3_env: str) -> None:
    """Two writers racing past the existence check: the server refuses the second one."""
    store = S3Store(s3_env, "race")
    key = store.key(hashlib.sha256(PDF).hexdigest())
    assert store._write(key, PDF) is True
    assert store._write(key, b"the second writer") is False
    body = raw_client(store).get_object(Bucket=s3_env, Key=key)["Body"].read()
    assert body == PDF


def test_configured_picks_the_bucket_for_s3_urls(
    s3_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZHIFA_EVIDENCE", f"s3://{s3_env}/hzxh/evidence")
    store = configured("sqlite:///x.db")
    assert isinstance(store, S3Store)
    assert (store.bucket, store.prefix) == (s3_env, "hzxh/evidence")
    sha = store.put(PDF).sha256
    assert store.key(sha) == f"hzxh/evidence/{sha[:2]}/{sha[2:]}"
    assert store.get(sha) == PDF
    with pytest.raises(InputError, match="write s3://BUCKET/PREFIX"):
        configured("sqlite:///x.db", "s3:///no-bucket")


def test_a_missing_bucket_is_one_sentence(s3_env: str) -> None:
    store = S3Store(f"{s3_env}-absent")
    for call in (lambda: store.put(PDF), lambda: store.get("0" * 64), lambda: store.has("0" * 64)):
        with pytest.raises(InputError, match=r"bucket .*-absent.* does not exist; create it"):
            call()


def test_an_unreachable_server_is_one_sentence(s3_env: str) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    store = S3Store(s3_env, endpoint_url=f"http://127.0.0.1:{port}")
    with pytest.raises(InputError, match="cannot be reached; check that the server is running"):
        store.put(PDF)


def test_credential_faults_are_one_sentence(s3_env: str) -> None:
    from botocore.exceptions import ClientError, NoCredentialsError

    store = S3Store(s3_env)
    assert (
        "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        in store._fail(NoCredentialsError()).message
    )
    denied = ClientError({"Error": {"Code": "InvalidAccessKeyId"}}, "PutObject")
    assert "refused zhifa's credentials (InvalidAccessKeyId)" in store._fail(denied).message


def test_the_directory_store_says_when_it_cannot_write(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(InputError, match="cannot write to the evidence store"):
        DirectoryStore(blocker / "blobs").put(PDF)


# -- the policy -----------------------------------------------------------------------------------


def _text(size: int) -> bytes:
    return b"a" * size


def test_a_file_of_exactly_the_maximum_is_accepted_one_byte_more_refused(bureau: Store) -> None:
    with bureau.transaction() as tx:
        set_policy(tx.connection, DEPT, max_mb=1, types=["txt"])
    with bureau.read() as s:
        conn = s.connection()
        assert check(conn, DEPT, "笔录.txt", _text(MB)) == "text/plain"
        with pytest.raises(InputError, match=r"1,048,577 bytes.*more than the 1 MB") as too_big:
            check(conn, DEPT, "笔录.txt", _text(MB + 1))
        assert "zhifa evidence policy HZXH --max-mb" in too_big.value.message
        # the other department keeps the default
        assert policy_of(conn, OTHER_DEPT) == DEFAULT
        assert check(conn, OTHER_DEPT, "笔录.txt", _text(MB + 1)) == "text/plain"


def test_the_default_policy_boundary(sqlite_bureau: Store) -> None:
    with sqlite_bureau.read() as s:
        conn = s.connection()
        assert check(conn, DEPT, "a.txt", _text(DEFAULT.max_bytes)) == "text/plain"
        with pytest.raises(InputError, match="more than the 50 MB"):
            check(conn, DEPT, "a.txt", _text(DEFAULT.max_bytes + 1))


@pytest.mark.parametrize("ext", sorted(MAKERS))
def test_each_default_type_is_recognised_by_its_contents(sqlite_bureau: Store, ext: str) -> None:
    with sqlite_bureau.read() as s:
        media = check(s.connection(), DEPT, f"证据.{ext.upper()}", MAKERS[ext]())
    assert "/" in media


@pytest.mark.parametrize(
    ("name", "data", "fault"),
    [
        ("现场照片.jpg", EXE, "contents are not a JPEG image"),  # a renamed program
        ("笔录.pdf", JPEG, "contents are not a PDF"),
        ("笔录.docx", plain_zip({"payload.exe": EXE}), "contents are not a Word document"),
        ("清单.xlsx", docx(), "contents are not a Excel workbook"),
        ("说明.txt", b"text\x00with a NUL", "contents are not a plain text"),
        ("说明.txt", b"\xff\xfe\xfd binary", "contents are not a plain text"),
        ("setup.exe", EXE, "does not accept .exe files"),
        ("照片.jpg.exe", EXE, "does not accept .exe files"),
        ("bundle.zip", plain_zip({"a.txt": b"a"}), "does not accept .zip files"),
        ("README", b"text", "does not accept files without an extension"),
        (".jpg", JPEG, "does not accept files without an extension"),
        ("空.pdf", b"", "is empty"),
        ("照片\u202egpj.exe", EXE, "text-direction characters"),
        ("a\nb.pdf", PDF, "control or text-direction characters"),
        ("../", PDF, "names no file"),
    ],
)
def test_refused_files(sqlite_bureau: Store, name: str, data: bytes, fault: str) -> None:
    with sqlite_bureau.read() as s, pytest.raises(InputError, match=fault):
        check(s.connection(), DEPT, name, data)


def test_gb18030_text_is_text(sqlite_bureau: Store) -> None:
    with sqlite_bureau.read() as s:
        assert check(s.connection(), DEPT, "旧笔录.txt", "现场检查笔录".encode("gb18030"))


def test_setting_a_policy_is_checked(bureau: Store) -> None:
    with bureau.transaction() as tx:
        conn = tx.connection
        with pytest.raises(InputError, match="--max-mb must be from 1 to 1024"):
            set_policy(conn, DEPT, max_mb=0)
        with pytest.raises(InputError, match="--max-mb must be from 1 to 1024"):
            set_policy(conn, DEPT, max_mb=1025)
        with pytest.raises(InputError, match="exe is not a file type zhifa can recognise"):
            set_policy(conn, DEPT, types=["pdf", "exe"])
        with pytest.raises(NotFoundError, match="department 'NOPE' does not exist"):
            set_policy(conn, "NOPE", max_mb=5)
        assert set_policy(conn, DEPT, max_mb=1024).max_bytes == 1024 * MB
        # what is not given stays as it was
        kept_types = set_policy(conn, DEPT, types=[".PDF", "zip"])
        assert kept_types.max_bytes == 1024 * MB and kept_types.types == ("pdf", "zip")
    with bureau.read() as s:
        conn = s.connection()
        assert check(conn, DEPT, "bundle.zip", plain_zip({"a.txt": b"a"})) == "application/zip"
        with pytest.raises(InputError, match=r"does not accept \.jpg files"):
            check(conn, DEPT, "照片.jpg", JPEG)


def test_an_unreadable_policy_setting_is_one_sentence(sqlite_bureau: Store) -> None:
    with sqlite_bureau.transaction() as tx:
        tx.connection.execute(
            sa.text("INSERT INTO settings (key, value) VALUES (:k, 'not json')"),
            {"k": f"evidence.policy.{DEPT}"},
        )
    with sqlite_bureau.read() as s, pytest.raises(InputError, match="set it again with"):
        check(s.connection(), DEPT, "a.pdf", PDF)


# -- attaching and verifying ----------------------------------------------------------------------


def _listed(store: Store) -> list[tuple[str, str, str]]:
    with store.read() as s:
        return [(b.sha256, b.name, b.media_type) for b in s.scalars(sa.select(Blob))]


def test_attach_checks_keeps_lists_and_the_step_records_it(bureau: Store, tmp_path: Path) -> None:
    blobs = DirectoryStore(tmp_path / "store")
    with bureau.transaction() as tx:
        ev = attach(tx.connection, blobs, DEPT, "C:\\案卷\\..\\现场照片.jpg", JPEG, AT)
    sha = hashlib.sha256(JPEG).hexdigest()
    assert ev == Evidence("现场照片.jpg", sha, len(JPEG))
    assert blobs.get(sha) == JPEG
    assert _listed(bureau) == [(sha, "现场照片.jpg", "image/jpeg")]
    engine, _ = make_engine(bureau)
    matter = open_clue(engine)
    step = engine.advance(matter, "assign", "H1", {"verifiers": ["C1"]}, evidence=[ev])
    assert step.event.evidence == [ev.as_dict()]
    with bureau.read() as s:
        report = verify(s.connection(), blobs)
    assert report.intact and (report.recorded, report.listed, report.checked) == (1, 1, 1)


def test_a_refused_file_writes_nothing(bureau: Store, tmp_path: Path) -> None:
    blobs = DirectoryStore(tmp_path / "store")
    with pytest.raises(InputError), bureau.transaction() as tx:
        attach(tx.connection, blobs, DEPT, "../../etc/照片.jpg", EXE, AT)
    assert kept(blobs) == 0 and _listed(bureau) == []


def test_verify_names_missing_and_altered_files(bureau: Store, tmp_path: Path) -> None:
    blobs = DirectoryStore(tmp_path / "store")
    with bureau.transaction() as tx:
        photo = attach(tx.connection, blobs, DEPT, "照片.jpg", JPEG, AT)
        record = attach(tx.connection, blobs, DEPT, "笔录.pdf", PDF, AT)
    engine, _ = make_engine(bureau)
    matter = open_clue(engine)
    engine.advance(matter, "assign", "H1", {"verifiers": ["C1"]}, evidence=[photo, record])
    overwrite(blobs, photo.sha256, b"altered")
    remove(blobs, record.sha256)
    with bureau.read() as s:
        report = verify(s.connection(), blobs)
    assert [f.sha256 for f in report.missing] == [record.sha256]
    assert [f.sha256 for f in report.altered] == [photo.sha256]
    assert report.missing[0].where == [f"matter #{matter.id} step 2"]
    with pytest.raises(EvidenceBroken, match="1 missing and 1 altered of 2 files") as broken:
        report.raise_if_broken()
    assert broken.value.exit_code == 1
    assert any(
        line.startswith(f"altered: {photo.sha256} (照片.jpg") for line in broken.value.details()
    )
