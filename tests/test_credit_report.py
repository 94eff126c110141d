"""The credit report (信用报告) as a Word document: the facts of the credit file in both editions,
the class and every internal note only in the internal one, the file as it stood on a day, a CJK
font on every run, the SHA-256 printed, and bad input refused in one sentence with nothing
written."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from docx.oxml.ns import qn

import zhifa.cli.credit as credit_cli
from tests.conftest import DEPT, ENTITY
from tests.helpers import make_engine, make_uscc, run, run_json
from tests.test_credit_file import decided_heavy
from tests.test_follow_up_facts import decided_case, open_publication
from tests.test_workflow_serious_list import CONSENT, listed, listing_engine
from zhifa.credit import classify, entity_file
from zhifa.credit.importing import import_external
from zhifa.credit.report import write_report
from zhifa.credit.report_docx import check_target
from zhifa.engine import Engine
from zhifa.errors import InputError
from zhifa.procedure.publication import Penalty, publicity_end
from zhifa.rules.credit import NATIONAL_SCHEME
from zhifa.store import Store
from zhifa.timekeeping import FixedClock

NOW = datetime(2026, 12, 31, 18, 0)  # "today" for every report here
D = date
REPORTER = "举报人甲 13800000000"
DECISION_NO = "杭西市监处罚〔2026〕12号"  # the fine's, recorded by its publication
LISTING_NO = CONSENT["decision_no"]  # the serious list's
COURT = "杭州市中级人民法院"


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0)


def _entity_with_a_history(store: Store, tmp_path: Path) -> Engine:
    """The bureau's entity with an inspection (6 Feb 2026, rectification ordered), a fine of
    5,000 yuan (4 Mar, published on 6 Mar), a heavier penalty (4 Mar) and its serious listing
    (16 Mar), a commitment checked true (May), a report received (1 Apr), a court's record
    (20 Apr) and a classification stored (1 Jun)."""
    listing_engine(store)  # the case officers and H9
    engine = make_engine(store, at=datetime(2030, 1, 1, 9))[0]
    checklist = {"source": "targeted", "summary": "专项检查", "checklist": "A1: 资质\nA2: 贮存"}
    m = engine.open("inspection", "C1", checklist, at(D(2026, 2, 6), 8), entity=ENTITY).matter
    m = engine.advance(m, "assign", "H1", {"inspectors": ["C1", "C2"]}, at(D(2026, 2, 6), 9)).matter
    m = engine.advance(m, "start", "C1", {"present": ["C1", "C2"]}, at(D(2026, 2, 6), 10)).matter
    results = {"results": "A1: pass\nA2: rectify 温度记录缺失"}
    engine.advance(m, "record_result", "C2", results, at(D(2026, 2, 6), 16))
    fine = decided_case(engine, "5000").matter
    p = open_publication(engine, fine)
    ends = publicity_end(D(2026, 3, 6), Penalty.from_data(p.data["open"]))
    engine.advance(p, "publish", "C1", {"publicity_ends_on": ends.isoformat()}, at(D(2026, 3, 6)))
    listed(engine, decided_heavy(engine, "production_restriction"))
    clue = {"source": "report", "summary": "无证经营", "reporter": REPORTER}
    engine.open("clue", "C1", clue, at(D(2026, 4, 1)), entity=ENTITY)
    promise = {"kind": "voluntary", "item": "诚信经营承诺", "content": "依法经营"}
    c = engine.open("commitment", "C1", promise, at(D(2026, 5, 6)), entity=ENTITY).matter
    grant = {"check_by": "2026-08-07", "decision_no": "杭西市监诺〔2026〕3号"}
    c = engine.advance(c, "grant", "C1", grant, at(D(2026, 5, 7))).matter
    check = {"method": "data_sharing", "finding": "属实"}
    engine.advance(c, "confirm", "C1", check, at(D(2026, 6, 10)))
    court = tmp_path / "court.csv"
    court.write_text(
        f"uscc,on,reference,summary,flags\n{ENTITY},2026-04-20,(2026)浙01执12号,失信被执行人,"
        "dishonest\n",
        "utf-8",
    )
    import_external(store, court, COURT, NOW)
    classify(store, NATIONAL_SCHEME, D(2026, 6, 1), NOW)
    return engine


@pytest.fixture
def today(sqlite_bureau: Store, monkeypatch: pytest.MonkeyPatch) -> Store:
    """The bureau, with "today" 31 Dec 2026 for the CLI."""
    monkeypatch.setattr(credit_cli, "SystemClock", lambda: FixedClock(NOW))
    return sqlite_bureau


@pytest.fixture
def filed(today: Store, publicity_dir: Path) -> Store:
    """The bureau with the entity of :func:`_entity_with_a_history`."""
    _entity_with_a_history(today, publicity_dir)
    return today


def texts(path: Path) -> list[str]:
    """Every paragraph's and table cell's text of the document, its footer and its properties."""
    doc = Document(str(path))
    found = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        found += [cell.text for row in table.rows for cell in row.cells]
    for section in doc.sections:
        found += [p.text for p in (*section.header.paragraphs, *section.footer.paragraphs)]
    props = doc.core_properties
    found += [props.title, props.subject, props.category, props.comments, props.keywords]
    return found


def report(capsys: pytest.CaptureFixture[str], store: Store, out: Path, *args: str) -> Any:
    return run_json(capsys, "credit", "report", ENTITY, "--out", str(out), *args, "--db", store.url)


INTERNAL_ONLY = [
    "信用风险分类",  # the class section and its note
    "国市监信发〔2022〕6号",
    "分值",  # the score's column
    "national 2026",  # the scheme
    "行政处罚 penalty (2 years)",  # an indicator that decided the class
    "较重行政处罚",  # whether a penalty is heavier, and its tier
    "裁量阶次",
    "内部",  # the internal notes and fields
    "medium",  # the directory's risk level
]
INTERNAL_CELLS = ["事项", "主体编号（内部）"]  # the matters' ids, the entity's


def test_both_editions_give_the_facts_and_only_the_internal_one_the_class(
    filed: Store, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    internal = report(capsys, filed, tmp_path / "内部.docx", "--as-of", "2026-12-31")
    public = report(capsys, filed, tmp_path / "公开.docx", "--as-of", "2026-12-31", "--public")
    assert internal["sections"] == {
        "basic": 1,
        "penalties": 2,
        "inspections": 1,
        "lists": 1,
        "commitments": 1,
        "publications": 1,
        "complaints": 1,
        "external": 1,
        "class": 1,
    }
    assert "class" not in public["sections"] and public["edition"] == "public"
    for done in (internal, public):
        text = "\n".join(texts(Path(done["file"])))
        for fact in (
            "信用报告",
            "Credit report",
            "某食品有限公司",
            ENTITY,
            "2026-12-31（含当日）",
            done["number"],
            DECISION_NO,  # the fine's decision number, from its publication
            "5,000.00",  # the fine
            "限制开展生产经营活动",  # the heavier penalty
            "严重违法失信名单",
            "2026-03-16",  # the listing day
            LISTING_NO,
            "截至报告日在列：严重违法失信名单",
            "责令整改",  # the inspection
            "诚信经营承诺",  # the commitment and its outcome
            "经核查属实（2026-06-10）",
            "共收到 1 件：投诉 0 件，举报 1 件。",
            COURT,  # the court's record, its source named
            "(2026)浙01执12号",
            "西湖区市场监管局",
        ):
            assert fact in text, fact
        assert "举报人甲" not in text and "13800000000" not in text  # never the reporter
    internal_cells, public_cells = texts(Path(internal["file"])), texts(Path(public["file"]))
    internal_text, public_text = "\n".join(internal_cells), "\n".join(public_cells)
    for note in INTERNAL_ONLY:
        assert note in internal_text, note
        assert note not in public_text, note
    for cell in INTERNAL_CELLS:
        assert cell in internal_cells and cell not in public_cells, cell
    now = entity_file(filed, ENTITY, NATIONAL_SCHEME, D(2026, 12, 31), NOW).now
    assert now.credit_class == "D"  # the serious list puts the entity in D
    assert "D 信用风险高" in internal_cells and "信用风险高" not in public_text
    assert f"{now.score:g}" in internal_cells and f"{now.score:g}" not in public_cells
    assert "2026-06-01" in internal_cells  # the class stored on 1 June, in the history


def test_the_file_as_it_stood_on_a_day(
    filed: Store, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    done = report(capsys, filed, tmp_path / "r.docx", "--as-of", "2026-03-10")
    assert done["as_of"] == "2026-03-10"
    assert done["sections"] == {
        "basic": 1,
        "penalties": 2,
        "inspections": 1,
        "lists": 0,  # listed on 16 March
        "commitments": 0,
        "publications": 1,
        "complaints": 0,  # received on 1 April
        "external": 0,  # found on 20 April
        "class": 1,
    }
    text = "\n".join(texts(Path(done["file"])))
    assert "从未被列入经营异常名录、严重违法失信名单或其他名录。Never listed." in text
    assert "未收到投诉举报。None received." in text  # an empty section says so in one line
    assert "截至报告日没有存储的分类" in text  # the class of 1 June is not yet stored
    assert "2026-03-16" not in text and LISTING_NO not in text
    # the class on the day: 100 − 8 − 8 (two penalties) − 30 (a heavier one) − 4 (rectify) = 50
    assert "D 信用风险高" in text and "50" in texts(Path(done["file"]))


def test_every_run_has_a_cjk_font(filed: Store, tmp_path: Path) -> None:
    done = write_report(filed, ENTITY, NATIONAL_SCHEME, D(2026, 12, 31), NOW, tmp_path / "r.docx")
    doc = Document(str(done.path))
    parts = [doc.element.body, doc.sections[0].footer._element]
    runs = [r for part in parts for r in part.iter(qn("w:r")) if not _text(r).isascii()]
    assert len(runs) > 100
    for r in runs:
        fonts = r.find(f"{qn('w:rPr')}/{qn('w:rFonts')}")
        assert fonts is not None, _text(r)
        assert fonts.get(qn("w:eastAsia")) in ("SimSun", "SimHei"), _text(r)
    assert doc.sections[0].page_width is not None and round(doc.sections[0].page_width.mm) == 210


def _text(run: Any) -> str:
    return "".join(t.text or "" for t in run.iter(qn("w:t")))


def test_the_sha_256_is_printed_and_proves_the_file(
    filed: Store, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "r.docx"
    url = filed.url
    code, printed, err = run(capsys, "credit", "report", ENTITY, "--out", str(out), "--db", url)
    assert code == 0, err
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    assert f"SHA-256 {digest}" in printed and "internal credit report XYBG-" in printed
    again = report(capsys, filed, out, "--force", "--public")  # --force replaces it
    assert again["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest() != digest
    assert again["bytes"] == out.stat().st_size


@pytest.mark.parametrize(
    ("target", "args", "fault"),
    [
        ("r.docx", ("--entity", make_uscc(99)), "no entity has the unified social credit code"),
        ("r.pdf", (), "r.pdf ends in .pdf, but the report is a Word document"),
        ("r", (), "r has no suffix"),
        ("missing/r.docx", (), "missing does not exist"),
        ("file.txt/r.docx", (), "file.txt is not a folder"),
        ("exists.docx", (), "exists already, so nothing was written"),
        ("r.docx", ("--as-of", "2027-01-01"), "--as-of 2027-01-01 is after today (2026-12-31)"),
        ("r.docx", ("--as-of", "2026-02-30"), "--as-of '2026-02-30' is not a date"),
        ("r.docx", ("--dept", "NOPE"), "no department has the code 'NOPE'"),
    ],
)
def test_bad_input_is_one_sentence_and_writes_nothing(
    today: Store,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    target: str,
    args: tuple[str, ...],
    fault: str,
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "file.txt").write_text("x")
    (folder / "exists.docx").write_bytes(b"kept")
    before = sorted(folder.iterdir())
    entity = ENTITY
    if args[:1] == ("--entity",):
        entity, args = args[1], ()
    out = folder / target
    code, _, err = run(
        capsys, "credit", "report", entity, "--out", str(out), *args, "--db", today.url
    )
    assert code == 2 and fault in err and "Traceback" not in err, err
    assert len(err.strip().splitlines()) == 1
    assert sorted(folder.iterdir()) == before  # nothing written, no temporary file left
    assert (folder / "exists.docx").read_bytes() == b"kept"


def test_an_unwritable_folder_is_one_sentence(
    filed: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whoever runs the tests may be root, whom no folder refuses: the refusal is simulated."""

    def refused(*_args: Any, **_kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied")

    folder = tmp_path / "out"
    folder.mkdir()
    monkeypatch.setattr("zhifa.credit.report_docx.open", refused, raising=False)
    with pytest.raises(InputError, match=r"cannot write in .* \(Permission denied\)"):
        write_report(filed, ENTITY, NATIONAL_SCHEME, D(2026, 12, 31), NOW, folder / "r.docx")
    assert list(folder.iterdir()) == []


def test_the_target_is_checked_before_anything_is_read(tmp_path: Path) -> None:
    assert check_target(tmp_path / "R.DOCX") == tmp_path / "R.DOCX"
    (tmp_path / "a.docx").mkdir()
    with pytest.raises(InputError, match="is a folder"):
        check_target(tmp_path / "a.docx")


def test_the_issuing_department_is_named(
    filed: Store, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    done = report(capsys, filed, tmp_path / "r.docx", "--dept", DEPT, "--public")
    cells = texts(Path(done["file"]))
    assert cells[cells.index("出具部门") + 1] == "西湖区市场监管局"


def test_a_penalty_revoked_on_review_is_only_in_the_internal_edition(
    today: Store, tmp_path: Path
) -> None:
    listing_engine(today)
    engine = make_engine(today, at=datetime(2030, 1, 1, 9))[0]
    revoked = decided_case(engine, "8000")
    revoked.do("serve", "C1", D(2026, 3, 5), {"method": "in_person"})
    revoked.do("apply_for_review", "C1", D(2026, 3, 6), {"kind": "lawsuit", "body": "西湖区法院"})
    revoked.do("conclude_review", "C1", D(2026, 3, 9), {"outcome": "revoked"})
    day = D(2026, 12, 31)
    internal = write_report(today, ENTITY, NATIONAL_SCHEME, day, NOW, tmp_path / "n.docx")
    public = write_report(
        today, ENTITY, NATIONAL_SCHEME, day, NOW, tmp_path / "g.docx", public=True
    )
    assert {"8,000.00", "撤销（2026-03-09）"} <= set(texts(internal.path))
    assert "8,000.00" not in texts(public.path)
    assert public.report.as_dict()["sections"]["penalties"] == 0
