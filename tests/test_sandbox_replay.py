"""The record replayed under a reform, on SQLite and PostgreSQL: a hand-made history of real
engine steps (fines within, below and above a narrowed range, a first and a second violation of a
code the reform puts on the no-penalty list, a no-penalty decision the reform takes off it,
publications and an approved credit repair), measured with known answers worked out by hand, the
reform's effective day at the conduct and at the publication (the day itself applies, the day
after does not), cases that cannot be measured listed with their reason, and nothing written."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from tests.conftest import DEPT, ENTITY, OTHER_DEPT
from tests.helpers import counts, make_engine, make_uscc
from tests.plugins.catalogue import ART_124, Catalogue, entry
from tests.test_workflow_case import CONCLUDE, Walk, notice, open_data, penalty, seed_case_officers
from zhifa.engine import Engine
from zhifa.errors import DatabaseError
from zhifa.plugins import Plugins
from zhifa.procedure.credit_repair import CONDITIONS
from zhifa.rules import Violation
from zhifa.sandbox.reform import BASELINE, Reform, load_reform
from zhifa.sandbox.replay import (
    COLUMNS,
    CaseReplay,
    Measure,
    Replay,
    read_only_store,
    replay,
)
from zhifa.sandbox.rules import Installed
from zhifa.store import Store
from zhifa.store.tables import Base, Department, Entity

D = date
E2, E3 = make_uscc(2), make_uscc(3)
NAMES = {ENTITY: "某食品有限公司", E2: "某餐饮有限公司", E3: "某超市有限公司"}
CONDUCT = D(2026, 1, 10)  # the day of the conduct of every case but case d
DECIDED = D(2026, 3, 4)  # the day of most decisions
PUBLISHED = D(2026, 3, 6)  # the publication day the reform's publication rules start on

LABEL: dict[str, Any] = {**ART_124, "code": "FS-125", "name": "经营标签不符合规定的食品"}
FS_124 = entry(ART_124)
FS_125 = entry(LABEL)
FS_126 = entry(
    ART_124, code="FS-126", name="未按规定查验进货", no_penalty="首次违法、危害后果轻微并及时改正"
)
FS_127 = entry(ART_124, code="FS-127", name="只在办案时的目录中")
FIXED = [{"low": 1000, "high": 5000}]
FS_128_THEN = entry(ART_124, code="FS-128", name="未建立进货台账", bands=FIXED)
FS_128_NOW = entry(
    ART_124,
    code="FS-128",
    name="未建立进货台账",
    bands=[{"threshold": "goods_value", "below": 10000, "low": 1000, "high": 5000}],
)
RECORDED: tuple[Violation, ...] = (FS_124, FS_125, FS_126, FS_127, FS_128_THEN)
"""The catalogue the cases were decided under."""
INSTALLED: tuple[Violation, ...] = (FS_124, FS_125, FS_126, FS_128_NOW)
"""The catalogue the replay reads: FS-127 dropped, FS-128's band now needs the goods value."""

REFORM = {
    "name": "宽严相济",
    "changes": {
        "fine.FS-124.0": {"2026-01-10": [60000, 80000]},
        "no_penalty.FS-125": {"2026-01-10": True},
        "no_penalty.FS-126": {"2026-01-10": False},
        "publication.low_fine": {"2026-03-06": 70000},
        "publication.short_months": {"2026-03-06": 1},
        "repair.minimum_months.general": {"2026-03-06": 3},
    },
}
A_DAY_LATE = {
    "name": "晚一天",
    "changes": {
        "fine.FS-124.0": {"2026-01-11": [60000, 80000]},
        "no_penalty.FS-125": {"2026-01-11": True},
        "no_penalty.FS-126": {"2026-01-11": False},
        "publication.low_fine": {"2026-03-07": 70000},
        "publication.short_months": {"2026-03-07": 1},
        "repair.minimum_months.general": {"2026-03-07": 3},
    },
}
LONGER_REPAIR = {
    "name": "修复从严",
    "changes": {"repair.minimum_months.general": {"2026-03-06": 7}},
}


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0)


@pytest.fixture
def installed() -> Installed:
    plugins = Plugins([Catalogue("county-market", *INSTALLED)], autoload=False)
    return Installed.load(plugins, [DEPT], D(2026, 1, 1))


def reform_of(installed: Installed, raw: dict[str, Any]) -> Reform:
    return load_reform(raw, installed.params)


# -- the history ----------------------------------------------------------------------------------


def decided(
    engine: Engine,
    party: str,
    fine: str | None,
    *,
    act: date = CONDUCT,
    on: date = DECIDED,
    **decision: Any,
) -> Walk:
    """A case against ``party`` for conduct on ``act``, opened on 2 March 2026, notified on
    3 March and decided with ``fine`` (and ``decision``) on ``on``."""
    data = open_data(act_date=act.isoformat(), party_name=NAMES[party])
    opened = engine.open("case", "H1", data, at(D(2026, 3, 2), 9), entity=party)
    walk = Walk(engine, opened.matter)
    walk.do("conclude_investigation", "C1", D(2026, 3, 2), CONCLUDE)
    walk.do("notify", "C1", D(2026, 3, 3), notice(fine))
    walk.do("decide_penalty", "H1", on, penalty(fine, **decision))
    return walk


FIRST_SLIGHT = {
    "ground": "first_violation_slight_harm",
    "corrected": True,
    "first_violation": True,
    "harm": "slight",
    "explanation": "初次违法，已当场改正",
    "education": "告知依法经营",
}
NOT_ESTABLISHED = {
    "ground": "facts_not_established",
    "harm": "none",
    "explanation": "证据不足以证明违法事实",
    "education": "告知依法经营",
}


def not_penalised(
    engine: Engine, party: str, code: str, decision: dict[str, Any], on: date
) -> Walk:
    """A case against ``party`` decided without a penalty on ``on``, the notice of 2 March
    naming ``code`` (the only step that does)."""
    data = open_data(act_date=CONDUCT.isoformat(), party_name=NAMES[party])
    walk = Walk(engine, engine.open("case", "H1", data, at(D(2026, 3, 2), 9), entity=party).matter)
    concluded = {**CONCLUDE, "proposed_outcome": "no_penalty"}
    walk.do("conclude_investigation", "C1", D(2026, 3, 2), concluded)
    walk.do("notify", "C1", D(2026, 3, 2), {**notice(None, "warning"), "violation": code})
    walk.do("decide_no_penalty", "H1", on, decision)
    return walk


def fs(code: str, goods: int = 5000, *circumstances: str) -> dict[str, Any]:
    facts: dict[str, Any] = {"goods_value": goods}
    if circumstances:
        facts["circumstances"] = list(circumstances)
    return {"violation": code, "facts": facts}


def published(engine: Engine, case: Walk, number: int, fine: str, day: date, ends: date) -> int:
    """The case's decision registered and published on ``day``, ending on ``ends``."""
    data = {
        "decision_no": f"杭西市监处罚〔2026〕{number}号",
        "decision_date": "2026-03-04",
        "procedure": "ordinary",
        "party_name": NAMES[ENTITY],
        "violation": "经营致病性微生物超标的食品",
        "fine_amount": fine,
    }
    p = engine.open("publication", "C1", data, at(day, 9), follows=case.matter).matter
    engine.advance(p, "publish", "C1", {"publicity_ends_on": ends.isoformat()}, at(day))
    return int(p.id)


@pytest.fixture
def history(bureau: Store) -> Iterator[dict[str, int]]:
    """The bureau's record, every step taken by the engine; the case matters by letter."""
    seed_case_officers(bureau)
    with bureau.write() as session:
        for uscc in (E2, E3):
            session.add(
                Entity(
                    uscc=uscc,
                    name=NAMES[uscc],
                    kind="企业",
                    region_code="330106",
                    industry="餐饮",
                )
            )
    engine = make_engine(bureau, Catalogue("county-market", *RECORDED), at=at(D(2027, 6, 30)))[0]
    a = decided(engine, ENTITY, "70000", **fs("FS-124"))
    b = decided(engine, ENTITY, "55000", **fs("FS-124", 5000, "recalled"))
    c = decided(engine, ENTITY, "85000", **fs("FS-124"))
    d = decided(engine, ENTITY, "70000", act=D(2026, 1, 9), **fs("FS-124"))
    e = decided(engine, E2, "70000", **fs("FS-125"))
    f = decided(engine, E2, "70000", on=D(2026, 3, 11), **fs("FS-125"))
    # a first violation of FS-126, on the list as installed: no penalty
    g = not_penalised(engine, E3, "FS-126", FIRST_SLIGHT, D(2026, 3, 4))
    # facts not established: no violation found, so E2's FS-125 fine of 4 March is still its first
    k = not_penalised(engine, E2, "FS-125", NOT_ESTABLISHED, D(2026, 3, 3))
    # a first violation of FS-126 fined: on the list as installed, off it under the reform
    m = decided(engine, ENTITY, "70000", **fs("FS-126"))
    h = decided(engine, E3, "70000", **fs("FS-127"))
    i = decided(engine, E3, "3000", violation="FS-128", facts={})
    j = decided(engine, E3, "3000")  # no catalogue code anywhere in the case
    pub_a = published(engine, a, 1, "70000", PUBLISHED, D(2029, 3, 6))
    pub_c = published(engine, c, 3, "85000", PUBLISHED, D(2029, 3, 6))
    pub_d = published(engine, d, 4, "70000", D(2026, 3, 5), D(2029, 3, 5))
    application = {
        "decision_no": "杭西市监处罚〔2026〕3号",
        "published_on": PUBLISHED.isoformat(),
        "category": "general",
        "minor_only": False,
        "summary": "已缴清罚款，申请提前停止公示",
    }
    applied = D(2026, 9, 7)  # the first day the baseline allows
    r = engine.open("credit_repair", "C1", application, at(applied, 9), follows=pub_c).matter
    approval = {**{name: True for name, _, _ in CONDITIONS}, "stopped_on": applied.isoformat()}
    engine.advance(r, "approve", "H1", approval, at(applied))
    cases = {
        k: int(w.matter.id)
        for k, w in zip("abcdefghijkm", (a, b, c, d, e, f, g, h, i, j, k, m), strict=True)
    }
    yield {**cases, "pub_a": pub_a, "pub_c": pub_c, "pub_d": pub_d, "repair": int(r.id)}


def by_matter(result: Replay) -> dict[int, CaseReplay]:
    return {c.matter_id: c for c in result.cases}


def table_counts(store: Store) -> dict[str, int]:
    """The rows of every table of the schema."""
    with store.read() as s:
        return {
            t.name: s.scalar(sa.select(sa.func.count()).select_from(t)) or 0
            for t in Base.metadata.sorted_tables
        }


def r(low: str, high: str) -> tuple[Decimal, Decimal]:
    return Decimal(low), Decimal(high)


WIDE, NARROW = r("50000.00", "100000.00"), r("60000.00", "80000.00")


# -- the replay -----------------------------------------------------------------------------------


def test_the_record_replayed_under_a_reform(
    bureau: Store, history: dict[str, int], installed: Installed
) -> None:
    before, rows_before = counts(bureau), table_counts(bureau)
    result = replay(bureau.url, installed, reform_of(installed, REFORM))
    assert counts(bureau) == before and table_counts(bureau) == rows_before  # nothing written
    cases = by_matter(result)
    assert sorted(cases) == sorted(history[k] for k in "abcdefgkm")

    a = cases[history["a"]]
    assert (a.entity, a.department, a.violation) == (ENTITY, DEPT, "FS-124")
    assert (a.conduct, a.decided, a.outcome, a.fine) == (
        CONDUCT,
        D(2026, 3, 4),
        "decide_penalty",
        Decimal("70000.00"),
    )
    assert a.baseline == Measure(D(2021, 4, 29), WIDE, r("65000.00", "85000.00"), "ordinary", False)
    assert a.reform == Measure(D(2021, 4, 29), NARROW, r("66000.00", "74000.00"), "ordinary", False)
    assert (a.fine_position, a.lawful_under_reform, a.leaves_tier) == ("within", True, False)
    assert a.publication is not None
    assert a.publication.matter_id == history["pub_a"]
    assert a.publication.published_on == PUBLISHED
    assert a.publication.recorded_end == a.publication.baseline_end == D(2029, 3, 6)
    assert a.publication.reform_end == D(2026, 4, 6)  # 70,000 is now a low fine: one month
    assert a.publication.shift_days == -1065
    assert (a.publication.baseline_first_repair, a.publication.reform_first_repair) == (
        D(2026, 9, 7),
        D(2026, 6, 7),
    )
    assert a.publication.repair_shift_days == -92
    assert (a.publication.repair_matter_id, a.publication.repair_possible) == (None, None)

    b = cases[history["b"]]  # lighter tier, below the narrowed range
    assert (b.baseline.tier, b.baseline.suggested) == ("lighter", r("50000.00", "65000.00"))
    assert (b.reform.legal, b.reform.suggested) == (NARROW, r("60000.00", "66000.00"))
    assert (b.fine_position, b.lawful_under_reform) == ("below", False)
    assert b.leaves_tier is True  # within the baseline's tier, outside the reform's
    assert b.publication is None

    c = cases[history["c"]]  # the top of the ordinary tier, above the narrowed range
    assert (c.fine_position, c.lawful_under_reform, c.leaves_tier) == ("above", False, True)
    assert c.publication is not None
    pc = c.publication
    assert (pc.baseline_end, pc.reform_end, pc.shift_days) == (D(2029, 3, 6), D(2029, 3, 6), 0)
    assert (pc.repair_matter_id, pc.repair_applied_on) == (history["repair"], D(2026, 9, 7))
    assert (pc.reform_first_repair, pc.repair_shift_days, pc.repair_possible) == (
        D(2026, 6, 7),
        -92,
        True,
    )

    d = cases[history["d"]]  # conduct the day before the reform: its rules do not apply
    assert d.conduct == D(2026, 1, 9)
    assert d.reform == d.baseline and d.reform.legal == WIDE
    assert (d.fine_position, d.leaves_tier) == ("within", False)
    assert d.publication is not None  # published the day before the reform's publication rules
    pd = d.publication
    assert (pd.published_on, pd.baseline_end, pd.reform_end) == (
        D(2026, 3, 5),
        D(2029, 3, 5),
        D(2029, 3, 5),
    )
    assert (pd.baseline_first_repair, pd.reform_first_repair) == (D(2026, 9, 6), D(2026, 9, 6))

    e, f = cases[history["e"]], cases[history["f"]]
    assert (e.entity, e.violation, e.first_of_code, e.becomes_no_penalty) == (
        E2,
        "FS-125",
        True,
        True,
    )
    assert (e.baseline.no_penalty, e.reform.no_penalty) == (False, True)
    assert (f.first_of_code, f.becomes_no_penalty) == (False, False)  # the entity's second
    assert f.reform.no_penalty is True and f.decided == D(2026, 3, 11)

    g = cases[history["g"]]  # the code named by the notice; no facts, so no ranges
    assert (g.outcome, g.violation, g.fine) == ("decide_no_penalty", "FS-126", None)
    assert (g.baseline.no_penalty, g.reform.no_penalty) == (True, False)
    assert (g.no_longer_no_penalty, g.becomes_no_penalty) == (True, False)
    assert (g.baseline.legal, g.reform.suggested, g.fine_position) == (None, None, None)
    assert g.lawful_under_reform is None

    k = cases[history["k"]]  # no violation found: it neither counts nor changes
    assert (k.outcome, k.violation, k.first_of_code) == ("decide_no_penalty", "FS-125", True)
    assert (k.baseline.no_penalty, k.reform.no_penalty) == (False, True)
    assert (k.becomes_no_penalty, k.no_longer_no_penalty) == (False, False)

    m = cases[history["m"]]  # a first FS-126 fined: listed as installed, delisted by the reform
    assert (m.entity, m.first_of_code, m.fine_position, m.leaves_tier) == (
        ENTITY,
        True,
        "within",
        False,
    )
    assert (m.baseline.no_penalty, m.reform.no_penalty) == (True, False)
    assert (m.becomes_no_penalty, m.no_longer_no_penalty) == (False, False)

    reasons = {s.matter_id: s.reason for s in result.skipped}
    assert reasons == {
        history["h"]: (
            "no violation 'FS-127' in the loaded catalogues; list them with `zhifa violations`"
        ),
        history["i"]: (
            "no fine of FS-128 (食品安全法 第一百二十四条第一款第（一）项) fits these facts for "
            "the unit; give goods_value"
        ),
        history["j"]: (
            "the decision (decide_penalty) names no violation of a catalogue, nor does an "
            "earlier step of the case; there is nothing to measure it against"
        ),
    }
    assert result.totals == {
        "cases": 9,
        "skipped": 3,
        "fined": 7,
        "fines_below_reform_range": 1,
        "fines_above_reform_range": 1,
        "fines_unlawful_under_reform": 2,
        "leaving_tier": 2,
        "becoming_no_penalty": 1,
        "no_longer_no_penalty": 1,
        "published": 3,
        "publications_ending_earlier": 1,
        "publications_ending_later": 0,
        "publicity_days_saved": 1065,
        "publicity_days_added": 0,
        "repairs_eligible_earlier": 2,
        "repairs_eligible_later": 0,
        "approved_repairs": 1,
        "repairs_not_possible_under_reform": 0,
    }


def test_a_reform_a_day_late_changes_nothing_and_a_longer_minimum_bars_the_repair(
    bureau: Store, history: dict[str, int], installed: Installed
) -> None:
    late = replay(bureau.url, installed, reform_of(installed, A_DAY_LATE))
    assert len(late.cases) == 9
    for case in late.cases:
        assert case.reform == case.baseline, case.matter_id
        assert not (case.becomes_no_penalty or case.no_longer_no_penalty or case.leaves_tier)
        p = case.publication
        if p is not None:
            assert (p.shift_days, p.repair_shift_days) == (0, 0)
    unchanged = {k: v for k, v in late.totals.items() if v}
    assert unchanged == {
        "cases": 9,
        "skipped": 3,
        "fined": 7,
        "published": 3,
        "approved_repairs": 1,
    }
    assert late.as_dict()["cases"][0]["reform"] == late.as_dict()["cases"][0]["baseline"]
    assert replay(bureau.url, installed, BASELINE).totals == late.totals

    reads: list[str] = []

    def read(*args: Any) -> None:
        reads.append(args[2])

    before = table_counts(bureau)
    sa.event.listen(bureau.engine, "before_cursor_execute", read)
    longer = replay(bureau, installed, reform_of(installed, LONGER_REPAIR))  # the store itself
    sa.event.remove(bureau.engine, "before_cursor_execute", read)
    assert table_counts(bureau) == before
    assert len([q for q in reads if "events" in q]) == 3  # twelve cases, three reads of the record
    with bureau.write() as session:  # the store given is left usable: it still writes
        session.add(
            Entity(
                uscc=make_uscc(9), name="后来的", kind="企业", region_code="330106", industry="零售"
            )
        )
    c = by_matter(longer)[history["c"]].publication
    assert c is not None
    assert (c.baseline_first_repair, c.reform_first_repair) == (D(2026, 9, 7), D(2026, 10, 7))
    assert (c.repair_shift_days, c.repair_possible) == (30, False)
    d = by_matter(longer)[history["d"]].publication
    assert d is not None and d.repair_shift_days == 0  # published the day before it applies
    assert (
        longer.totals["repairs_eligible_later"],
        longer.totals["repairs_eligible_earlier"],
        longer.totals["repairs_not_possible_under_reform"],
    ) == (2, 0, 1)


def test_departments_and_the_json_and_table_forms(
    bureau: Store, history: dict[str, int], installed: Installed
) -> None:
    reform = reform_of(installed, REFORM)
    assert replay(bureau.url, installed, reform, departments=[OTHER_DEPT]).totals["cases"] == 0
    result = replay(bureau.url, installed, reform, departments=[DEPT])
    assert result.totals["cases"] == 9
    rows = {row[0]: dict(zip(COLUMNS, row, strict=True)) for row in result.rows()}
    assert list(rows) == [c.matter_id for c in result.cases]
    e = rows[history["e"]]
    assert (e["matter_id"], e["fine"], e["becomes_no_penalty"]) == (history["e"], "70000.00", "yes")
    assert (e["reform_legal"], e["publication_matter_id"]) == ("50000.00–100000.00", None)
    a = rows[history["a"]]
    assert (a["publication_reform_end"], a["publication_shift_days"]) == ("2026-04-06", -1065)
    assert (a["reform_legal"], a["fine_position"]) == ("60000.00–80000.00", "within")
    assert (a["conduct"], a["publication_repair_possible"]) == ("2026-01-10", None)
    c = rows[history["c"]]  # published and repaired: every column has its value
    assert [name for name, value in c.items() if value is None] == []
    assert (c["publication_repair_matter_id"], c["publication_repair_possible"]) == (
        history["repair"],
        "yes",
    )
    assert (c["lawful_under_reform"], c["leaves_tier"]) == ("no", "yes")
    data = json.loads(json.dumps(result.as_dict()))
    assert data["reform"] == "宽严相济"
    first = next(c for c in data["cases"] if c["matter_id"] == history["a"])
    assert first["fine"] == "70000.00" and first["conduct"] == "2026-01-10"
    assert first["reform"]["legal"] == ["60000.00", "80000.00"]
    assert first["publication"]["reform_end"] == "2026-04-06"
    assert first["publication"]["shift_days"] == -1065
    assert {s["matter_id"] for s in data["skipped"]} == {history[k] for k in "hij"}


# -- read-only -------------------------------------------------------------------------------------


def test_the_read_only_store_refuses_writes(bureau: Store) -> None:
    before = table_counts(bureau)
    store = read_only_store(bureau.url)
    try:
        with store.read() as session:  # read-only by the connection itself, twice over on SQLite
            if store.dialect == "sqlite":
                assert store.engine.url.query["mode"] == "ro"
                assert session.scalar(sa.text("PRAGMA query_only")) == 1
            else:
                assert session.scalar(sa.text("SHOW default_transaction_read_only")) == "on"
        with pytest.raises(DBAPIError) as err, store.write() as session:
            session.add(Department(code="HZBJ", name="滨江区市场监管局", region_code="330108"))
        assert "read" in str(err.value.orig).lower()  # readonly / read-only transaction
        with store.read() as session:  # reading works
            assert session.scalar(sa.select(sa.func.count()).select_from(Entity)) == 1
    finally:
        store.dispose()
    assert table_counts(bureau) == before


def test_an_unusable_database_is_one_sentence(tmp_path: Path, sqlite_url: str) -> None:
    missing = tmp_path / "nowhere.db"
    with pytest.raises(DatabaseError, match=r"^no database file .*nowhere\.db; give the file"):
        read_only_store(f"sqlite:///{missing}")
    assert not missing.exists()  # not created by trying
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    with pytest.raises(DatabaseError) as err:
        read_only_store(f"sqlite:///{empty}")
    assert err.value.message == (
        f"the database sqlite:///{empty} has no zhifa schema (no table entities, matters, "
        f"events, matter_links); run: zhifa db upgrade --db sqlite:///{empty}"
    )
    assert empty.read_bytes() == b""  # left as it was
    text = tmp_path / "notes.db"
    text.write_text("不是数据库" * 100, "utf-8")
    with pytest.raises(DatabaseError) as err:
        read_only_store(f"sqlite:///{text}")
    assert err.value.message == (
        f"cannot open the database sqlite:///{text}: file is not a database; check --db or "
        "ZHIFA_DATABASE_URL"
    )
    with pytest.raises(DatabaseError, match=r"^no database file \(none given\)"):
        read_only_store("sqlite://")  # an in-memory database: nothing to read
    with pytest.raises(DatabaseError, match="in SQLite or PostgreSQL, not 'mysql://"):
        read_only_store("mysql://u@localhost/zhifa")
    unreachable = r"^cannot open the database postgresql\+psycopg://postgres@127\.0\.0\.1:1/test: "
    with pytest.raises(DatabaseError, match=unreachable):
        replay("postgresql://postgres@127.0.0.1:1/test", _installed(), BASELINE)
    opened = read_only_store(sqlite_url)  # a migrated file opens
    assert opened.dialect == "sqlite"
    opened.dispose()


def _installed() -> Installed:
    return Installed.load(Plugins([Catalogue("c", *INSTALLED)], autoload=False), [DEPT], CONDUCT)
