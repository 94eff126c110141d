"""``zhifa doc``: kinds, a matter's documents, a document by number, its .docx (the stored bytes,
or a draft) and the department prefix; who may read them where the store requires
authentication."""

from __future__ import annotations

import hashlib
import io
from datetime import datetime
from pathlib import Path

import docx
import pytest
import sqlalchemy as sa

from tests.conftest import DEPT, ENTITY, seed_bureau
from tests.helpers import make_engine, run, run_json, signed_in
from tests.test_documents import OPEN_DATA
from zhifa.engine import Engine
from zhifa.store import Store
from zhifa.store.tables import Blob, Document

NOW = datetime(2026, 3, 2, 9, 0)


def opened_case(url: str) -> Engine:
    store = Store(url)
    engine, _ = make_engine(store, at=NOW)
    engine.open("case", "H1", OPEN_DATA, NOW, entity=ENTITY)
    return engine


def rows(url: str) -> tuple[int, int]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        found = (
            conn.scalar(sa.select(sa.func.count()).select_from(Document)) or 0,
            conn.scalar(sa.select(sa.func.count()).select_from(Blob)) or 0,
        )
    engine.dispose()
    return found


def test_list_find_and_render(db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    engine = opened_case(db)
    kinds = run_json(capsys, "doc", "kinds")
    assert {k["code"] for k in kinds} >= {"penalty_decision", "demand", "transfer_letter"}
    (listed,) = run_json(capsys, "doc", "list", "1", "--db", db)
    assert listed["number"] == "西湖区市监立〔2026〕1号" and listed["event_id"] is not None
    found = run_json(capsys, "doc", "find", "西湖区市监立[2026]1号", "--db", db)
    assert found["sha256"] == listed["sha256"]
    assert (
        run_json(capsys, "doc", "find", "立(2026)", "--contains", "--db", db)[0]["id"]
        == found["id"]
    )
    code, _, err = run(capsys, "doc", "find", "西湖区市监立〔2026〕2号", "--db", db)
    assert code == 2 and "no document has the number" in err

    target = tmp_path / "filing.docx"
    out = run_json(capsys, "doc", "render", "1", "filing_approval", "-o", str(target), "--db", db)
    assert out["draft"] is False and out["number"] == listed["number"]
    assert target.read_bytes() == engine.evidence.get(listed["sha256"])
    assert hashlib.sha256(target.read_bytes()).hexdigest() == listed["sha256"]
    code, _, err = run(
        capsys, "doc", "render", "1", "filing_approval", "-o", str(target), "--db", db
    )
    assert code == 2 and "exists already" in err

    before = rows(db)
    draft = tmp_path / "draft.docx"
    code, out_text, _ = run(
        capsys, "doc", "render", "1", "penalty_decision", "-o", str(draft), "--db", db
    )
    assert code == 0 and "DRAFT (草稿)" in out_text and "no number" in out_text
    paragraphs = [p.text for p in docx.Document(io.BytesIO(draft.read_bytes())).paragraphs]
    assert paragraphs[2] == "草稿" and "处罚〔" not in "\n".join(paragraphs)
    assert rows(db) == before  # a draft is neither numbered, kept nor registered
    engine.store.dispose()

    code, _, err = run(capsys, "doc", "render", "1", "no_such", "--db", db)
    assert code == 2 and "no document kind 'no_such'" in err
    code, _, err = run(capsys, "doc", "render", "1", "publicity_form", "--db", db)
    assert code == 2 and "issued on publication matters" in err


def test_an_altered_stored_file_is_refused(
    db: str, tmp_path: Path, evidence_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    opened_case(db).store.dispose()
    (doc,) = run_json(capsys, "doc", "list", "1", "--db", db)
    path = evidence_dir / doc["sha256"][:2] / doc["sha256"][2:]
    path.chmod(0o644)
    path.write_bytes(b"forged")
    code, _, err = run(
        capsys, "doc", "render", "1", "filing_approval", "-o", str(tmp_path / "x.docx"), "--db", db
    )
    assert code != 0 and "altered" in err
    assert not (tmp_path / "x.docx").exists()


def test_prefix(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_json(capsys, "doc", "prefix", DEPT, "--db", db)["prefix"] == "西湖区市监"
    assert run_json(capsys, "doc", "prefix", DEPT, "杭西市监", "--db", db)["example"] == (
        "杭西市监处罚〔2026〕1号"
    )
    engine = opened_case(db)
    with engine.store.engine.connect() as conn:
        assert conn.scalar(sa.select(Document.number)) == "杭西市监立〔2026〕1号"
    engine.store.dispose()
    code, _, err = run(capsys, "doc", "prefix", DEPT, "杭西 市监", "--db", db)
    assert code == 2 and "cannot be a document prefix" in err
    code, _, err = run(capsys, "doc", "prefix", "NOPE", "x", "--db", db)
    assert code == 2 and "does not exist" in err


@pytest.mark.postgres
def test_only_the_departments_officers_read_its_documents(
    pg_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(pg_url)
    seed_bureau(store)
    opened_case(pg_url).store.dispose()
    other, own = signed_in(store, ["X1", "C1"])
    store.dispose()
    monkeypatch.delenv("ZHIFA_TOKEN", raising=False)
    monkeypatch.setenv("ZHIFA_CONFIG_DIR", str(Path(pg_url.split("/")[-1]).absolute()))
    code, _, err = run(capsys, "doc", "list", "1", "--db", pg_url)
    assert code == 3 and "signed-in officer" in err
    monkeypatch.setenv("ZHIFA_TOKEN", other.token)
    for args in (
        ("list", "1"),
        ("find", "西湖区市监立〔2026〕1号"),
        ("render", "1", "filing_approval"),
    ):
        code, _, err = run(capsys, "doc", *args, "--db", pg_url)
        assert code == 1 and "the matter belongs to HZXH and the officer to HZSC" in err, args
    monkeypatch.setenv("ZHIFA_TOKEN", own.token)
    assert run_json(capsys, "doc", "list", "1", "--db", pg_url)[0]["number"].endswith(
        "立〔2026〕1号"
    )
