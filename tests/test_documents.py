"""Enforcement documents (执法文书) issued in the step's transaction: their content read back with
python-docx, their numbers (per department, year and kind, from 1, without gaps), the stored
bytes against the event's hash, and what an attacker editing the counter or replaying a step can
do, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import docx
import pytest
import sqlalchemy as sa

from tests.conftest import CERT_FROM, CERT_TO, DEPT, ENTITY, OTHER_DEPT
from tests.helpers import make_engine
from tests.plugins.catalogue import ART_124, Catalogue, entry
from tests.plugins.steps import NotingPlugin
from zhifa.audit import verify
from zhifa.documents import KINDS, default_prefix, find, issued, search, set_prefix, yuan_in_words
from zhifa.documents.numbers import allocate
from zhifa.engine import Engine
from zhifa.errors import ConflictError, InputError, IntegrityError, PluginError
from zhifa.hooks.types import MatterView
from zhifa.procedure.case.thresholds import PAYMENT_DAYS, REQUEST_DAYS
from zhifa.store import Store
from zhifa.store.tables import Document, DocumentCounter, Event, Officer

NOW = datetime(2027, 3, 31, 18, 0)
OPEN_DATA: dict[str, Any] = {
    "procedure": "ordinary",
    "party_kind": "organisation",
    "party_name": "某食品有限公司",
    "act_date": "2026-01-10",
    "handlers": ["C1", "C2"],
    "violation": "销售超过保质期的食品",
}
CONCLUDE = {"violation": "销售致病性微生物超标的食品", "proposed_outcome": "penalty"}


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0)


def seed_other_department(store: Store) -> None:
    """Two case handlers in the other department, whose head is X1."""
    with store.write() as session:
        for oid, name in (("Y1", "钱一"), ("Y2", "孙二")):
            session.add(
                Officer(
                    id=oid,
                    name=name,
                    department_code=OTHER_DEPT,
                    roles="case_handler",
                    certificate_no=f"ZF-{oid}",
                    certificate_valid_from=CERT_FROM,
                    certificate_valid_to=CERT_TO,
                )
            )


@pytest.fixture
def engine(bureau: Store) -> Iterator[Engine]:
    seed_other_department(bureau)
    catalogue = Catalogue("market", entry(ART_124))
    yield make_engine(bureau, catalogue, at=NOW)[0]


def open_case(engine: Engine, day: date, actor: str = "H1", **more: Any) -> MatterView:
    return engine.open("case", actor, {**OPEN_DATA, **more}, at(day, 9), entity=ENTITY).matter


def docx_text(data: bytes) -> str:
    """Every paragraph of a .docx, one per line."""
    return "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)


def documents(engine: Engine, matter_id: int) -> dict[str, Any]:
    with engine.store.engine.connect() as conn:
        return {d.kind: d for d in issued(conn, matter_id)}


def counter(store: Store, department: str, year: int, kind: str) -> int | None:
    with store.read() as s:
        return s.scalar(
            sa.select(DocumentCounter.last).where(
                DocumentCounter.department_code == department,
                DocumentCounter.year == year,
                DocumentCounter.kind == kind,
            )
        )


# -- amounts -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("0", "人民币零元整（¥0.00）"),
        ("0.05", "人民币伍分（¥0.05）"),
        ("10", "人民币壹拾元整（¥10.00）"),
        ("10.50", "人民币壹拾元伍角整（¥10.50）"),
        ("10.05", "人民币壹拾元零伍分（¥10.05）"),
        ("1005", "人民币壹仟零伍元整（¥1,005.00）"),
        ("10000", "人民币壹万元整（¥10,000.00）"),
        ("100000", "人民币壹拾万元整（¥100,000.00）"),
        ("100001", "人民币壹拾万零壹元整（¥100,001.00）"),
        ("10010000", "人民币壹仟零壹万元整（¥10,010,000.00）"),
        ("100000001", "人民币壹亿零壹元整（¥100,000,001.00）"),
        ("123456789.12", "人民币壹亿贰仟叁佰肆拾伍万陆仟柒佰捌拾玖元壹角贰分（¥123,456,789.12）"),
    ],
)
def test_amounts_in_capital_numerals(amount: str, words: str) -> None:
    assert yuan_in_words(Decimal(amount)) == words


def test_default_prefix() -> None:
    assert default_prefix("西湖区市场监督管理局") == "西湖区市监"
    assert default_prefix("西湖区市场监管局") == "西湖区市监"
    assert default_prefix("杭州市应急管理局") == "杭州市应急管理"


# -- a penalty case, document by document ---------------------------------------------------------


def test_penalty_case_documents(engine: Engine) -> None:
    case = open_case(engine, date(2026, 3, 2))
    opened = documents(engine, case.id)
    assert opened["filing_approval"].number == "西湖区市监立〔2026〕1号"
    walk = engine.advance(case, "conclude_investigation", "C1", CONCLUDE, at(date(2026, 3, 2)))
    notice = {
        "penalty_kind": "fine",
        "fine": "100000",
        "hearing_eligible": True,
        "reasons": "当事人销售的冷冻饺子菌落总数超标",
        "violation": "FS-124",
    }
    walk = engine.advance(walk.matter, "notify", "C1", notice, at(date(2026, 3, 3)))
    found = documents(engine, case.id)
    assert found["penalty_notice"].number == "西湖区市监罚告〔2026〕1号"
    assert found["hearing_right_notice"].number == "西湖区市监听告〔2026〕1号"
    text = docx_text(engine.evidence.get(found["hearing_right_notice"].sha256))
    assert f"{REQUEST_DAYS}个工作日内" in text
    walk = engine.advance(
        walk.matter, "pass_review", "L1", {"opinion": "同意"}, at(date(2026, 3, 11))
    )
    decision = {
        "penalty_kind": "fine",
        "fine": "80000",
        "reasons": "当事人销售的冷冻饺子菌落总数超标，货值金额八千元",
        "violation": "FS-124",
        "facts": {"goods_value": 8000},
    }
    step = engine.advance(walk.matter, "decide_penalty", "H1", decision, at(date(2026, 3, 12)))
    doc = documents(engine, case.id)["penalty_decision"]
    assert doc.number == "西湖区市监处罚〔2026〕1号"
    assert doc.event_id == step.event.id
    data = engine.evidence.get(doc.sha256)
    assert hashlib.sha256(data).hexdigest() == doc.sha256
    # the event's hash covers the document: its evidence names it with its SHA-256 and size
    assert {
        "name": f"行政处罚决定书 {doc.number}.docx",
        "sha256": doc.sha256,
        "size": doc.size,
    } in (step.event.evidence)
    text = docx_text(data)
    for expected in (
        "西湖区市场监管局",
        "行政处罚决定书",
        "西湖区市监处罚〔2026〕1号",
        "当事人：某食品有限公司",
        f"统一社会信用代码：{ENTITY}",
        "菌落总数超标",
        "食品安全法 第三十四条第（二）项",  # the provision violated
        "食品安全法 第一百二十四条第一款第（一）项",  # the penalty's basis
        "罚款人民币捌万元整（¥80,000.00）",
        f"{PAYMENT_DAYS}日内缴纳罚款",
        "60日内依法申请行政复议",
        "6个月内依法向人民法院提起行政诉讼",
        "李明（执法证号：ZF-C1）",
        "王芳（执法证号：ZF-C2）",
        "2026年3月12日",
    ):
        assert expected in text, expected
    served = engine.advance(
        step.matter, "serve", "C1", {"method": "in_person"}, at(date(2026, 3, 13))
    )
    receipt = documents(engine, case.id)["service_receipt"]
    assert receipt.number is None
    assert "行政处罚决定书（西湖区市监处罚〔2026〕1号）" in docx_text(
        engine.evidence.get(receipt.sha256)
    )
    assert served.event.evidence[-1]["name"] == "送达回证.docx"
    assert verify(engine.store).intact


def test_steps_that_issue_nothing_keep_their_evidence(engine: Engine) -> None:
    case = open_case(engine, date(2026, 3, 2), procedure="simple", party_kind="person")
    assert documents(engine, case.id) == {}  # no 立案审批表 under the simple procedure
    result = engine.advance(case, "suspend", "H1", {"ground": "force_majeure", "reason": "台风"})
    assert result.event.evidence == []


def test_on_the_spot_decision_is_a_numbered_decision(engine: Engine) -> None:
    case = open_case(engine, date(2026, 3, 2), "C1", procedure="simple", party_kind="person")
    data = {
        "facts_conclusive": True,
        "legal_basis": "食品安全法 第一百二十四条",
        "penalty_kind": "fine",
        "fine": "200",
    }
    engine.advance(case, "decide_on_the_spot", "C1", data, at(date(2026, 3, 2)))
    doc = documents(engine, case.id)["penalty_decision"]
    assert doc.number == "西湖区市监处罚〔2026〕1号"
    assert "罚款人民币贰佰元整（¥200.00）" in docx_text(engine.evidence.get(doc.sha256))


# -- numbers ------------------------------------------------------------------------------------


def test_numbers_per_department_year_and_kind(engine: Engine) -> None:
    first = open_case(engine, date(2026, 3, 2))
    second = open_case(engine, date(2026, 12, 31))  # the last day of 2026
    other = engine.open(
        "case", "X1", {**OPEN_DATA, "handlers": ["Y1", "Y2"]}, at(date(2026, 12, 31)), entity=ENTITY
    ).matter
    next_year = open_case(engine, date(2027, 1, 1))  # the first day of 2027 starts again at 1
    numbers = [
        documents(engine, m.id)["filing_approval"].number for m in (first, second, other, next_year)
    ]
    assert numbers == [
        "西湖区市监立〔2026〕1号",
        "西湖区市监立〔2026〕2号",
        "上城区市监立〔2026〕1号",
        "西湖区市监立〔2027〕1号",
    ]
    with engine.store.engine.connect() as conn:
        assert find(conn, "西湖区市监立[2026]2号").matter_id == second.id  # type: ignore[union-attr]
        assert find(conn, "西湖区市监立(2027)1号").matter_id == next_year.id  # type: ignore[union-attr]
        assert find(conn, "西湖区市监立〔2026〕3号") is None
        assert [d.matter_id for d in search(conn, "立[2026]", 10)] == [
            other.id,
            second.id,
            first.id,
        ]
        with pytest.raises(InputError, match="limit"):
            search(conn, "立", 0)


def test_a_refused_step_gives_its_number_back(bureau: Store) -> None:
    """A plugin fails after the number was taken and the document rendered: the step rolls back,
    and the next step takes the same number."""
    seed_other_department(bureau)
    failing, _ = make_engine(bureau, NotingPlugin(fail_on="open"), at=NOW)
    with pytest.raises(PluginError, match="archive full"):
        open_case(failing, date(2026, 3, 2))
    assert counter(bureau, DEPT, 2026, "filing_approval") is None
    engine, _ = make_engine(bureau, at=NOW)
    case = open_case(engine, date(2026, 3, 2))
    assert documents(engine, case.id)["filing_approval"].number == "西湖区市监立〔2026〕1号"


def test_a_prefix_is_the_departments_own(sqlite_bureau: Store) -> None:
    engine, _ = make_engine(sqlite_bureau, at=NOW)
    open_case(engine, date(2026, 3, 2))
    assert set_prefix(sqlite_bureau, DEPT, " 杭西市监 ", by=None) == "杭西市监"
    case = open_case(engine, date(2026, 3, 3))
    assert documents(engine, case.id)["filing_approval"].number == "杭西市监立〔2026〕2号"
    with pytest.raises(InputError, match="already prints its numbers with '杭西市监'"):
        set_prefix(sqlite_bureau, OTHER_DEPT, "杭西市监", by=None)
    for bad in (
        "",
        "杭西 市监",
        "杭西〔市监",
        "市监2",
        "一二三四五六七八九十一二三四五六七八九十一",
    ):
        with pytest.raises(InputError, match="cannot be a document prefix"):
            set_prefix(sqlite_bureau, DEPT, bad, by=None)
    assert set_prefix(sqlite_bureau, DEPT, "一二三四五六七八九十一二三四五六七八九十", by=None)


def test_setting_a_prefix_needs_an_administrator(pg_url: str) -> None:
    from zhifa.errors import AuthError

    store = Store(pg_url)
    try:
        from tests.conftest import seed_bureau

        seed_bureau(store)
        with pytest.raises(AuthError, match="administrator"):
            set_prefix(store, DEPT, "杭西市监", by=None)
    finally:
        store.dispose()


# -- what an attacker can do --------------------------------------------------------------------


def test_a_counter_set_back_cannot_give_a_number_twice(engine: Engine) -> None:
    first = open_case(engine, date(2026, 3, 2))
    with engine.store.engine.begin() as conn:
        conn.execute(sa.update(DocumentCounter).values(last=0))
    before = counts_of(engine.store)
    with pytest.raises(IntegrityError, match="was set back"):
        open_case(engine, date(2026, 3, 3))
    assert counts_of(engine.store) == before  # nothing written
    # the unique constraints hold even for rows written around zhifa
    doc = documents(engine, first.id)["filing_approval"]
    with pytest.raises(sa.exc.IntegrityError), engine.store.engine.begin() as conn:
        conn.execute(
            sa.insert(Document).values(
                matter_id=first.id,
                event_id=None,
                kind="filing_approval",
                department_code=DEPT,
                year=2026,
                seq=2,
                number=doc.number,
                sha256=doc.sha256,
                size=doc.size,
                issued_at=doc.issued_at,
            )
        )
    with pytest.raises(sa.exc.IntegrityError), engine.store.engine.begin() as conn:
        conn.execute(
            sa.insert(Document).values(
                matter_id=first.id,
                event_id=None,
                kind="filing_approval",
                department_code=DEPT,
                year=2026,
                seq=1,
                number="伪造立〔2026〕1号",
                sha256=doc.sha256,
                size=doc.size,
                issued_at=doc.issued_at,
            )
        )


def test_a_replayed_step_issues_nothing(engine: Engine) -> None:
    case = open_case(engine, date(2026, 3, 2))
    walk = engine.advance(case, "conclude_investigation", "C1", CONCLUDE, at(date(2026, 3, 2)))
    stale = walk.matter
    notice = {"penalty_kind": "warning", "hearing_eligible": False, "reasons": "事实"}
    engine.advance(stale, "notify", "C1", notice, at(date(2026, 3, 3)))
    with pytest.raises(ConflictError):
        engine.advance(stale, "notify", "C1", notice, at(date(2026, 3, 3)))
    assert counter(engine.store, DEPT, 2026, "penalty_notice") == 1
    assert [
        d.number for d in documents(engine, case.id).values() if d.kind == "penalty_notice"
    ] == ["西湖区市监罚告〔2026〕1号"]


def counts_of(store: Store) -> tuple[int, int, int]:
    with store.read() as s:
        return (
            s.scalar(sa.select(sa.func.count()).select_from(Event)) or 0,
            s.scalar(sa.select(sa.func.count()).select_from(Document)) or 0,
            sum(s.scalars(sa.select(DocumentCounter.last))),
        )


def test_kinds_are_listed_for_the_desk() -> None:
    assert KINDS["penalty_decision"].label_zh == "行政处罚决定书"
    assert KINDS["penalty_decision"].numbered and not KINDS["service_receipt"].numbered
    assert all(k.label_en and k.code == code for code, k in KINDS.items())


def test_allocate_counts_in_the_callers_transaction(sqlite_bureau: Store) -> None:
    with sqlite_bureau.engine.connect() as conn, conn.begin() as tx:
        assert [allocate(conn, DEPT, 2026, "demand") for _ in range(3)] == [1, 2, 3]
        tx.rollback()
    assert counter(sqlite_bureau, DEPT, 2026, "demand") is None


def test_cases_that_issue_documents_are_not_opened_in_bulk(engine: Engine) -> None:
    from zhifa.engine.results import Opening

    before = counts_of(engine.store)
    with pytest.raises(InputError, match="open these matters one by one"):
        engine.open_many("case", [Opening("H1", OPEN_DATA), Opening("H1", OPEN_DATA)])
    assert counts_of(engine.store) == before
    # clues issue nothing when opened: they still open in bulk
    clue = {"source": "inspection", "summary": "检查发现"}
    assert len(engine.open_many("clue", [Opening("C1", clue), Opening("C2", clue)])) == 2
