"""``zhifa evidence`` and ``--attach`` as officers, administrators and attackers meet them: files
attached to real steps, downloaded only by who may see the matter, the policy at its boundary,
the store verified against the record."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from tests.conftest import ENTITY, seed_bureau
from tests.evidence_support import EXE, JPEG, PDF, overwrite, s3_endpoint, s3_env
from tests.helpers import counts, make_engine, run, run_json, signed_in
from zhifa.evidence import DirectoryStore, attach
from zhifa.store import Store

__all__ = ["s3_endpoint", "s3_env"]  # fixtures used here

CLUE_DATA = {"source": "complaint", "summary": "售卖过期食品"}
CLUE = ["-f", "source=complaint", "-f", "summary=售卖过期食品", "--entity", ENTITY]


def _file(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _open_with(capsys: pytest.CaptureFixture[str], db: str, *files: Path, actor: str = "C1") -> int:
    attach = [a for f in files for a in ("--attach", str(f))]
    opened = run_json(
        capsys, "matter", "open", "clue", "--actor", actor, "--db", db, *CLUE, *attach
    )
    return int(opened["matter"]["id"])


def test_attach_on_a_real_step_then_verify_and_download(
    capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path, evidence_dir: Path
) -> None:
    photo = _file(tmp_path, "现场照片.jpg", JPEG)
    record = _file(tmp_path, "笔录.pdf", PDF)
    mid = _open_with(capsys, db, photo, record)
    step = run_json(
        capsys,
        "matter",
        "advance",
        str(mid),
        "assign",
        "--actor",
        "H1",
        "--db",
        db,
        "-f",
        "verifiers=C1",
        "--attach",
        str(record),
    )
    assert step["event"]["evidence"] == [
        {"name": "笔录.pdf", "sha256": hashlib.sha256(PDF).hexdigest(), "size": len(PDF)}
    ]
    code, out, _ = run(capsys, "audit", "verify", "--db", db)
    assert code == 0 and "record intact" in out
    sha = hashlib.sha256(JPEG).hexdigest()
    target = tmp_path / "out" / "照片.jpg"
    target.parent.mkdir()
    got = run_json(
        capsys, "evidence", "get", sha, "--matter", str(mid), "--actor", "C2", "--db", db,
        "-o", str(target),
    )  # fmt: skip
    assert target.read_bytes() == JPEG and got["name"] == "现场照片.jpg" and got["step"] == 1
    code, _, err = run(
        capsys, "evidence", "get", sha, "--matter", str(mid), "--actor", "C2", "--db", db,
        "-o", str(target),
    )  # fmt: skip
    assert code == 2 and "exists already" in err  # never written over
    report = run_json(capsys, "evidence", "verify", "--db", db)
    assert report["intact"] and report["checked"] == 2 and report["recorded_files"] == 2
    assert DirectoryStore(evidence_dir).get(sha) == JPEG


def test_a_bad_attachment_writes_nothing(
    capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path, evidence_dir: Path
) -> None:
    good = _file(tmp_path, "笔录.pdf", PDF)
    renamed = _file(tmp_path, "现场照片.jpg", EXE)
    store = Store(db)
    before = counts(store)
    code, _, err = run(
        capsys, "matter", "open", "clue", "--actor", "C1", "--db", db, *CLUE,
        "--attach", str(good), "--attach", str(renamed),
    )  # fmt: skip
    assert code == 2 and "contents are not a JPEG image" in err
    assert counts(store) == before
    assert not evidence_dir.exists() or not any(p.is_file() for p in evidence_dir.rglob("*"))
    store.dispose()


def test_the_policy_boundary_through_the_command(
    capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path
) -> None:
    shown = run_json(capsys, "evidence", "policy", "HZXH", "--db", db)
    assert shown["max_bytes"] == 50 * 2**20 and "pdf" in shown["types"]
    assert run_json(
        capsys, "evidence", "policy", "HZXH", "--max-mb", "1", "--types", "txt,pdf", "--db", db
    )["types"] == ["txt", "pdf"]
    exact = _file(tmp_path, "exact.txt", b"a" * 2**20)
    over = _file(tmp_path, "over.txt", b"a" * (2**20 + 1))
    _open_with(capsys, db, exact)
    code, _, err = run(
        capsys, "matter", "open", "clue", "--actor", "C1", "--db", db, *CLUE, "--attach", str(over)
    )
    assert code == 2 and "more than the 1 MB (1,048,576 bytes) department HZXH accepts" in err
    code, _, err = run(capsys, "evidence", "policy", "NOPE", "--db", db)
    assert code == 2 and "department 'NOPE' does not exist" in err


def test_put_prints_the_hash_and_keeps_to_the_officers_department(
    capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path
) -> None:
    record = _file(tmp_path, "笔录.pdf", PDF)
    code, out, _ = run(capsys, "evidence", "put", str(record), "--dept", "HZXH", "--actor", "C1",
                       "--db", db)  # fmt: skip
    assert code == 0 and out.strip() == hashlib.sha256(PDF).hexdigest()
    code, _, err = run(capsys, "evidence", "put", str(record), "--dept", "HZXH", "--actor", "X1",
                       "--db", db)  # fmt: skip
    assert code == 1 and "X1 is not of department HZXH" in err


def test_verify_names_an_altered_file_and_the_step_recording_it(
    capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path, evidence_dir: Path
) -> None:
    mid = _open_with(capsys, db, _file(tmp_path, "笔录.pdf", PDF))
    sha = hashlib.sha256(PDF).hexdigest()
    overwrite(DirectoryStore(evidence_dir), sha, b"%PDF- forged")
    code, _, err = run(capsys, "evidence", "verify", "--db", db)
    assert code == 1
    assert (
        "1 altered of 1 files" in err and f"altered: {sha} (笔录.pdf; matter #{mid} step 1)" in err
    )
    code, _, err = run(capsys, "evidence", "get", sha, "--matter", str(mid), "--actor", "C1",
                       "--db", db, "-o", str(tmp_path / "x.pdf"))  # fmt: skip
    assert code == 1 and "altered on disk" in err and not (tmp_path / "x.pdf").exists()


# -- attackers ------------------------------------------------------------------------------------


def _refusal(err: str) -> str:
    return err.split("error: ", 1)[1].strip()


def test_downloads_refused_alike_whatever_the_reason(
    capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path
) -> None:
    mine = _open_with(capsys, db, _file(tmp_path, "现场照片.jpg", JPEG))
    other = _open_with(capsys, db, _file(tmp_path, "笔录.pdf", PDF))
    photo = hashlib.sha256(JPEG).hexdigest()
    unknown = hashlib.sha256(b"no such file").hexdigest()

    def ask(sha: str, matter: int, actor: str) -> tuple[int, str]:
        code, out, err = run(capsys, "evidence", "get", sha, "--matter", str(matter),
                             "--actor", actor, "--db", db)  # fmt: skip
        assert out == ""  # no byte of any file
        return code, _refusal(err).replace(sha, "SHA")

    # another department's head asks for a real file of the matter, and for one that is not there
    real = ask(photo, mine, "X1")
    absent = ask(unknown, mine, "X1")
    assert real[0] == absent[0] == 1 and real == absent
    # an officer of the department asks for a file through a matter that does not record it,
    # and through a matter that does not exist: the same answer as for a file that is not there
    assert ask(photo, other, "C1") == ask(unknown, other, "C1")
    assert ask(photo, 999, "C1")[1] == ask(unknown, 999, "C1")[1]
    assert "may not download SHA" in real[1]


def test_a_confidential_steps_file_is_for_the_handlers_only(
    capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path
) -> None:
    letter = _file(tmp_path, "举报信.pdf", PDF)
    opened = run_json(
        capsys, "matter", "open", "clue", "--actor", "C1", "--db", db, "-f", "source=report",
        "-f", "summary=无证经营", "-f", "reporter=张三 13800000000", "--attach", str(letter),
    )  # fmt: skip
    mid, sha = str(opened["matter"]["id"]), hashlib.sha256(PDF).hexdigest()
    code, _, err = run(capsys, "evidence", "get", sha, "--matter", mid, "--actor", "C2",
                       "--db", db, "-o", str(tmp_path / "c2.pdf"))  # fmt: skip
    assert code == 1 and "may not download" in err and not (tmp_path / "c2.pdf").exists()
    got = run_json(capsys, "evidence", "get", sha, "--matter", mid, "--actor", "C1",
                   "--db", db, "-o", str(tmp_path / "c1.pdf"))  # fmt: skip
    assert got["size"] == len(PDF)


def test_on_postgresql_an_officer_downloads_as_themself_only(
    capsys: pytest.CaptureFixture[str],
    pg_url: str,
    tmp_path: Path,
    evidence_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = Store(pg_url)
    seed_bureau(store)
    tokens = {s.officer_id: s.token for s in signed_in(store, ["C1", "X1"])}
    engine, clock = make_engine(store)
    with store.transaction() as tx:
        ev = attach(
            tx.connection, DirectoryStore(evidence_dir), "HZXH", "笔录.pdf", PDF, clock.now()
        )
    mid = str(engine.open("clue", "C1", CLUE_DATA, evidence=[ev]).matter.id)
    store.dispose()
    monkeypatch.setenv("ZHIFA_TOKEN", tokens["C1"])
    sha = hashlib.sha256(PDF).hexdigest()
    got = run_json(capsys, "evidence", "get", sha, "--matter", mid, "--db", pg_url,
                   "-o", str(tmp_path / "c1.pdf"))  # fmt: skip
    assert got["written_to"] == str(tmp_path / "c1.pdf")
    # setting a policy is for administrators
    code, _, err = run(capsys, "evidence", "policy", "HZXH", "--max-mb", "500", "--db", pg_url)
    assert code == 3 and "does not hold the admin role" in err
    monkeypatch.setenv("ZHIFA_TOKEN", tokens["X1"])
    # signed in as X1, claiming to be C1
    code, _, err = run(capsys, "evidence", "get", sha, "--matter", mid, "--actor", "C1",
                       "--db", pg_url, "-o", str(tmp_path / "x.pdf"))  # fmt: skip
    assert code == 3 and "not as C1" in err
    code, _, err = run(capsys, "evidence", "get", sha, "--matter", mid, "--db", pg_url,
                       "-o", str(tmp_path / "x.pdf"))  # fmt: skip
    assert code == 1 and "X1 may not download" in err and not (tmp_path / "x.pdf").exists()


def test_the_same_commands_on_a_bucket(
    capsys: pytest.CaptureFixture[str],
    db: str,
    tmp_path: Path,
    s3_env: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ZHIFA_EVIDENCE", f"s3://{s3_env}/hzxh")
    mid = _open_with(capsys, db, _file(tmp_path, "现场照片.jpg", JPEG))
    sha = hashlib.sha256(JPEG).hexdigest()
    got = run_json(capsys, "evidence", "get", sha, "--matter", str(mid), "--actor", "C1",
                   "--db", db, "-o", str(tmp_path / "back.jpg"))  # fmt: skip
    assert (tmp_path / "back.jpg").read_bytes() == JPEG and got["size"] == len(JPEG)
    report = run_json(capsys, "evidence", "verify", "--db", db)
    assert report["intact"] and report["store"].startswith(f"s3://{s3_env}/hzxh at http://")
    monkeypatch.setenv("ZHIFA_EVIDENCE", f"s3://{s3_env}-gone/hzxh")
    code, out, _ = run(capsys, "evidence", "verify", "--db", db, "--json")
    assert code == 2 and "does not exist; create it" in json.loads(out)["message"]
