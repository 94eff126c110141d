"""The entity's credit file derived from the record, classes computed and stored with their
history, and the commands that show them (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import ENTITY, seed_bureau
from tests.helpers import make_engine, open_clue, run, run_json, signed_in
from tests.test_follow_up_facts import decided_case
from tests.test_workflow_case import CONCLUDE, notice, open_case, penalty, seed_case_officers
from zhifa import hookimpl
from zhifa.credit import classify, entity_file, history, sync
from zhifa.engine import Engine
from zhifa.hooks.types import MatterView
from zhifa.plugins import Plugins
from zhifa.rules.credit import NATIONAL_SCHEME, parse_credit_scheme
from zhifa.store import Store
from zhifa.store.tables import CreditClass, CreditRecord, Entity

NOW = datetime(2026, 12, 31, 18, 0)
D = date


@pytest.fixture
def engine(bureau: Store) -> Engine:
    seed_case_officers(bureau)
    return make_engine(bureau, at=datetime(2026, 12, 31, 18, 0))[0]


def decided_heavy(engine: Engine, kind: str) -> MatterView:
    """A case decided on 4 Mar 2026 with ``kind`` (a penalty carrying the hearing right, which
    the party waived in writing)."""
    walk = open_case(engine, D(2026, 3, 2))
    walk.do("conclude_investigation", "C1", D(2026, 3, 2), CONCLUDE)
    walk.do("notify", "C1", D(2026, 3, 3), notice(None, kind, eligible=True))
    return walk.do("decide_penalty", "H1", D(2026, 3, 4), penalty(None, kind, rights_waived=True))


def _records(store: Store) -> list[tuple[str, str, str]]:
    with store.read() as s:
        return [
            (r.kind, r.on.isoformat(), r.flags)
            for r in s.scalars(sa.select(CreditRecord).order_by(CreditRecord.on, CreditRecord.id))
        ]


def _class_now(store: Store) -> str | None:
    with store.read() as s:
        return s.scalar(sa.select(Entity.credit_class).where(Entity.uscc == ENTITY))


def test_steps_become_dated_records_once(engine: Engine, bureau: Store) -> None:
    open_clue(engine)  # a complaint received now (31 Dec 2026)
    decided_case(engine, "5000")  # a fine decided on 4 Mar 2026
    with bureau.write() as s:
        assert sync(s, NOW) == 2
    with bureau.write() as s:
        assert sync(s, NOW) == 0  # derived again: nothing new
    assert _records(bureau) == [
        ("penalty", "2026-03-04", ","),
        ("complaint", "2026-12-31", ",complaint,"),
    ]


def test_a_revocation_is_heavier_and_puts_the_entity_in_d(engine: Engine, bureau: Store) -> None:
    decided_heavy(engine, "permit_revocation")
    done = classify(bureau, NATIONAL_SCHEME, D(2026, 3, 4), NOW)
    assert done.by_class["D"] == 1 and done.current
    assert _records(bureau) == [("penalty", "2026-03-04", ",heavier,permit_revoked,revocation,")]
    assert _class_now(bureau) == "D"
    # the override lasts 36 months: the last day inside and the first day outside
    explained = entity_file(bureau, ENTITY, NATIONAL_SCHEME, D(2029, 3, 4), NOW).now
    assert explained.credit_class == "D"
    explained = entity_file(bureau, ENTITY, NATIONAL_SCHEME, D(2029, 3, 5), NOW).now
    assert explained.credit_class == "A"


def test_a_fine_counts_for_two_years(engine: Engine, bureau: Store) -> None:
    decided_case(engine, "5000")
    on = {
        day: entity_file(bureau, ENTITY, NATIONAL_SCHEME, day, NOW).now
        for day in (D(2026, 3, 3), D(2026, 3, 4), D(2028, 3, 4), D(2028, 3, 5))
    }
    assert [(e.score, e.credit_class) for e in on.values()] == [
        (100, "A"),  # the day before the decision
        (92, "B"),
        (92, "B"),  # the last day of the 24 months
        (100, "A"),  # the first day after
    ]
    assert on[D(2026, 3, 4)].reasons == [
        {"code": "penalty", "label": "行政处罚 penalty (2 years)", "records": 1, "points": -8.0}
    ]


def test_classes_are_stored_with_history_and_a_rerun_replaces_its_day(
    engine: Engine, bureau: Store
) -> None:
    decided_case(engine, "5000")
    classify(bureau, NATIONAL_SCHEME, D(2026, 3, 1), NOW)
    classify(bureau, NATIONAL_SCHEME, D(2026, 4, 1), NOW)
    classify(bureau, NATIONAL_SCHEME, D(2026, 4, 1), NOW)  # the same day again
    assert _class_now(bureau) == "B"
    older = classify(bureau, NATIONAL_SCHEME, D(2026, 2, 1), NOW)  # a backfill
    assert not older.current and _class_now(bureau) == "B"
    with bureau.read() as s:
        (entity_id,) = s.scalars(sa.select(Entity.id).where(Entity.uscc == ENTITY))
        rows = history(s, entity_id)
        assert s.scalar(sa.select(sa.func.count()).select_from(CreditClass)) == 3
    assert [(h.as_of, h.credit_class, h.score) for h in rows] == [
        (D(2026, 4, 1), "B", 92.0),
        (D(2026, 3, 1), "A", 100.0),
        (D(2026, 2, 1), "A", 100.0),
    ]
    assert rows[0].counts == {"penalty": 1}
    assert rows[0].scheme_version == NATIONAL_SCHEME.version


def test_the_draws_read_the_newest_class(engine: Engine, bureau: Store) -> None:
    """The target directory of a draw takes ``entities.credit_class``, which the newest
    classification sets; a snapshot taken before keeps the class it froze."""
    from zhifa.inspections.sources import target_directory

    decided_heavy(engine, "closure")
    with bureau.read() as s:
        before = target_directory(s, 2026)
    classify(bureau, NATIONAL_SCHEME, D(2026, 3, 5), NOW)
    with bureau.read() as s:
        after = target_directory(s, 2026)
    assert (int(before.credit_class[0]), int(after.credit_class[0])) == (1, 3)  # B, then D


def test_a_department_scheme_comes_from_its_plugin(bureau: Store) -> None:
    strict = parse_credit_scheme({**NATIONAL_SCHEME.as_dict(), "name": "strict", "base": 50})

    class Strict:
        @hookimpl
        def zhifa_credit_scheme(self, department: str) -> Any:
            return strict if department == "HZXH" else None

    plugins = Plugins([Strict()], autoload=False)
    assert plugins.credit_scheme("HZXH") is strict
    assert plugins.credit_scheme("HZSC") is NATIONAL_SCHEME
    assert plugins.credit_scheme(None) is NATIONAL_SCHEME
    done = classify(bureau, strict, D(2026, 3, 1), NOW, "HZXH")
    assert done.by_class["D"] == 1 and done.department == "HZXH"


# -- the commands ---------------------------------------------------------------------------------


def test_entity_show_prints_the_file(
    sqlite_bureau: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    seed_case_officers(sqlite_bureau)
    engine = make_engine(sqlite_bureau, at=NOW)[0]
    engine.open(
        "clue",
        "C1",
        {"source": "report", "summary": "无证经营", "reporter": "举报人甲"},
        entity=ENTITY,
    )
    decided_case(engine, "5000")
    url = sqlite_bureau.url
    shown = run_json(capsys, "entity", "show", ENTITY, "--as-of", "2026-12-31", "--db", url)
    assert shown["entity"]["uscc"] == ENTITY
    assert [m["workflow"] for m in shown["matters"]] == ["case", "clue"]  # by opening
    assert [r["kind"] for r in shown["records"]] == ["penalty", "complaint"]
    assert shown["class_now"]["class"] == "B" and shown["class_now"]["score"] == 90
    assert "举报人甲" not in json.dumps(
        shown, ensure_ascii=False
    )  # the reporter stays with the clue
    code, out, _ = run(capsys, "entity", "show", ENTITY, "--as-of", "2026-12-31", "--db", url)
    assert code == 0 and "class B as of 2026-12-31" in out and "internal" in out

    done = run_json(capsys, "credit", "classify", "--as-of", "2026-12-31", "--db", url)
    assert done["by_class"] == {"A": 0, "B": 1, "C": 0, "D": 0}
    again = run_json(capsys, "entity", "show", ENTITY, "--as-of", "2026-12-31", "--db", url)
    assert again["entity"]["credit_class"] == "B"
    assert [h["class"] for h in again["class_history"]] == ["B"]


@pytest.mark.parametrize(
    ("args", "fault"),
    [
        (("credit", "classify", "--as-of", "2026-02-30"), "--as-of '2026-02-30' is not a date"),
        (("entity", "show", ENTITY, "--as-of", "soon"), "--as-of 'soon' is not a date"),
    ],
)
def test_bad_input_is_one_sentence_and_writes_nothing(
    sqlite_bureau: Store, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], fault: str
) -> None:
    code, _, err = run(capsys, *args, "--db", sqlite_bureau.url)
    assert code == 2 and fault in err and "Traceback" not in err
    with sqlite_bureau.read() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(CreditClass)) == 0


@pytest.mark.postgres
def test_classifying_needs_an_administrator_where_authentication_is_on(
    pg_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(pg_url)
    seed_bureau(store)
    (head,) = signed_in(store, ["H1"])  # a head, not an administrator
    monkeypatch.setenv("ZHIFA_TOKEN", head.token)
    code, _, err = run(capsys, "credit", "classify", "--db", pg_url)
    assert code == 3 and "admin" in err
    with store.read() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(CreditClass)) == 0
    store.dispose()


def test_the_scheme_is_shown(capsys: pytest.CaptureFixture[str]) -> None:
    shown = run_json(capsys, "credit", "scheme")
    assert shown["name"] == "national" and shown["bands"][0] == {"class": "A", "from": 100.0}
    code, out, _ = run(capsys, "credit", "scheme")
    assert code == 0 and "heavier_penal" in out and "bands: A from 100" in out


def test_the_file_exports_to_a_workbook(
    sqlite_bureau: Store, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import openpyxl

    seed_case_officers(sqlite_bureau)
    engine = make_engine(sqlite_bureau, at=NOW)[0]
    engine.open("clue", "C1", {"source": "complaint", "summary": '=HYPERLINK("x")'}, entity=ENTITY)
    decided_case(engine, "5000")
    url, target = sqlite_bureau.url, tmp_path / "档案.xlsx"
    args = ("credit", "export", ENTITY, str(target), "--as-of", "2026-12-31", "--db", url)
    done = run_json(capsys, *args)
    assert done["rows"]["信用记录"] == 2
    book = openpyxl.load_workbook(target)
    assert book.sheetnames == ["主体", "事项", "信用记录", "分类", "分类历史", "说明"]
    classes = list(book["分类"].values)
    assert classes[1][:2] == (datetime(2026, 12, 31), "B")
    assert "not to the public" in str(book["说明"]["A1"].value)
    code, _, err = run(capsys, *args)  # the file exists: kept, unless --force
    assert code == 2 and "Traceback" not in err
    csv_target = tmp_path / "档案.csv"
    run_json(capsys, "credit", "export", ENTITY, str(csv_target), "--db", url)
    matters = (tmp_path / "档案-matters.csv").read_text("utf-8-sig")
    assert "'=HYPERLINK" in matters  # the clue's title is its summary: written as text
    assert ',"=HYPERLINK' not in matters and ",=HYPERLINK" not in matters
    records = (tmp_path / "档案-records.csv").read_text("utf-8-sig")
    assert "complaint received" in records
