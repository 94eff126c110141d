"""Joint measures: which apply to an entity for an activity on a day, and why, at the edges of
their windows; a listing restricts until its removal; faults of a measures file in one sentence."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ENTITY
from tests.helpers import run, run_json
from tests.test_workflow_case import seed_case_officers
from tests.test_workflow_serious_list import D, do, listed, listing_engine
from zhifa import hookimpl
from zhifa.credit.measures import check
from zhifa.engine import Engine
from zhifa.errors import InputError, PluginConflict, PluginError
from zhifa.plugins import Plugins
from zhifa.rules.measures import NATIONAL_MEASURES, Measure, parse_measures
from zhifa.store import Store

NOW = datetime(2030, 1, 1)


@pytest.fixture
def engine(bureau: Store) -> Engine:
    return listing_engine(bureau)


def _codes(store: Store, activity: str, on: date) -> list[str]:
    return [a.measure.code for a in check(store, ENTITY, activity, on, NOW).applies]


def test_a_listing_restricts_procurement_until_its_removal(engine: Engine, bureau: Store) -> None:
    m = listed(engine)  # listed on 16 March 2026 after a restricted-production penalty of 4 March
    assert _codes(bureau, "government_procurement", D(2026, 3, 3)) == []
    assert _codes(bureau, "government_procurement", D(2026, 3, 4)) == [
        "procurement-major-violation"
    ]
    assert _codes(bureau, "government_procurement", D(2026, 3, 16)) == [
        "serious-list-procurement",
        "procurement-major-violation",
    ]
    assert _codes(bureau, "commitment", D(2026, 3, 16)) == ["serious-list-commitment"]
    m = do(engine, m, "apply_for_removal", "C1", D(2027, 3, 17), commitment_submitted=True)
    conditions = {"obligations_performed": True, "harm_eliminated": True, "measures_expired": True}
    do(engine, m, "remove_early", "H1", D(2027, 3, 18), **conditions)
    assert _codes(bureau, "commitment", D(2027, 3, 17)) == ["serious-list-commitment"]
    assert _codes(bureau, "commitment", D(2027, 3, 18)) == []
    # the heavier penalty still counts for procurement through its three years, and not after
    assert _codes(bureau, "government_procurement", D(2029, 3, 4)) == [
        "procurement-major-violation"
    ]
    assert _codes(bureau, "government_procurement", D(2029, 3, 5)) == []


def test_the_answer_names_the_records_and_the_basis(
    sqlite_bureau: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    listed(listing_engine(sqlite_bureau))
    url = sqlite_bureau.url
    shown = run_json(
        capsys, "credit", "check", ENTITY, "--for", "honours", "--on", "2026-06-01", "--db", url
    )
    assert shown["restricted"] is True
    (measure,) = shown["measures"]
    assert measure["basis"] == "企业信息公示暂行条例 第十八条"
    assert [r["kind"] for r in measure["because"]] == ["serious_list"]
    code, out, _ = run(capsys, "credit", "check", ENTITY, "--for", "food_permit", "--db", url)
    assert code == 0 and "no joint measure applies" in out
    code, _, err = run(capsys, "credit", "check", ENTITY, "--for", "parking", "--db", url)
    assert code == 2 and "is not an activity measures concern" in err


@pytest.mark.parametrize(
    ("change", "fault"),
    [
        ({"category": 4}, "category is 1, 2 or 3"),
        ({"when": {"kind": "rumour", "months": 12}}, "'rumour' are not in the credit file"),
        ({"activities": ["parking"]}, "not parking"),
        ({"when": {"kind": "penalty", "months": 0}}, "1 to 1200"),
        ({"content": None}, "content is missing"),
    ],
)
def test_a_bad_measure_is_one_sentence(change: dict[str, Any], fault: str) -> None:
    entry = {**NATIONAL_MEASURES[0].as_dict(), **change}
    entry = {k: v for k, v in entry.items() if v is not None}
    with pytest.raises(InputError) as err:
        parse_measures([entry], "measures.yaml")
    assert fault in err.value.message and "measures.yaml[0]" in err.value.message


def test_a_measure_declared_twice_is_refused() -> None:
    entry = NATIONAL_MEASURES[0].as_dict()
    with pytest.raises(InputError, match="declared twice"):
        parse_measures([entry, entry])


# -- incentives, "unless", and a department's own measures ------------------------------------


def _import(store: Store, tmp_path: Path, rows: list[str]) -> None:
    from zhifa.credit.importing import import_external

    file = tmp_path / "records.csv"
    file.write_text("uscc,on,reference,summary,flags\n" + "\n".join(rows) + "\n", "utf-8")
    import_external(store, file, "浙江省市场监督管理局", NOW)


def _market_measures() -> tuple[Measure, ...]:
    import zhifa_market.plugin as market

    return Plugins([market], autoload=False).credit_measures("HZXH")


def test_a_red_list_rewards_until_a_penalty_in_its_window(
    engine: Engine, bureau: Store, tmp_path: Path
) -> None:
    """The market plugin's red-list incentive: from the day of the red-list record for 24
    months (2026-03-02 → through 2028-03-02), unless a penalty lies in the same window."""
    _import(bureau, tmp_path, [f"{ENTITY},2026-03-02,HZ-RL-1,守合同重信用企业,red_list"])
    measures = _market_measures()

    def rewards(on: date) -> list[str]:
        found = check(bureau, ENTITY, "inspection", on, NOW, measures)
        return [a.measure.code for a in found.applies if a.measure.effect == "incentive"]

    assert rewards(D(2026, 3, 1)) == []
    assert rewards(D(2026, 3, 2)) == ["contract-red-list-inspection"]
    listed(engine)  # a heavier penalty on 4 March 2026 (then the serious list on 16 March)
    assert rewards(D(2026, 3, 3)) == ["contract-red-list-inspection"]
    assert rewards(D(2026, 3, 4)) == []  # the penalty, in the window, takes the reward away
    found = check(bureau, ENTITY, "inspection", D(2026, 3, 4), NOW, measures)
    assert found.as_dict()["restricted"] is True and found.as_dict()["rewarded"] is False
    codes = [a.measure.code for a in found.applies]
    assert "food-bad-record-inspection" in codes and "serious-list-inspection" not in codes
    # the food bureau's extra inspections last 12 months from the penalty of 4 March 2026
    assert "food-bad-record-inspection" in _codes_with(bureau, measures, D(2027, 3, 4))
    assert "food-bad-record-inspection" not in _codes_with(bureau, measures, D(2027, 3, 5))


def _codes_with(store: Store, measures: tuple[Measure, ...], on: date) -> list[str]:
    return [a.measure.code for a in check(store, ENTITY, "inspection", on, NOW, measures).applies]


def test_the_red_list_reward_is_not_had_without_the_flag(bureau: Store, tmp_path: Path) -> None:
    """A record of another kind of external list gives no reward: the flag decides."""
    seed_case_officers(bureau)
    _import(bureau, tmp_path, [f"{ENTITY},2026-03-02,HZ-X-1,失信被执行人,dishonest"])
    found = check(bureau, ENTITY, "inspection", D(2026, 6, 1), NOW, _market_measures())
    assert found.applies == []


def test_the_cli_adds_the_departments_measures(
    sqlite_bureau: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed_case_officers(sqlite_bureau)
    _import(sqlite_bureau, tmp_path, [f"{ENTITY},2026-03-02,HZ-RL-1,守合同重信用企业,red_list"])
    url = sqlite_bureau.url
    args = ("credit", "check", ENTITY, "--for", "inspection", "--on", "2026-06-01", "--db", url)
    assert run_json(capsys, *args)["measures"] == []  # the national measures reward nobody
    shown = run_json(capsys, *args, "--dept", "HZXH")  # HZXH uses the market plugin
    assert (shown["rewarded"], shown["restricted"]) == (True, False)
    assert [m["code"] for m in shown["measures"]] == ["contract-red-list-inspection"]
    code, out, _ = run(capsys, *args, "--dept", "HZXH")
    assert code == 0 and "contract-red-list-inspection (rewards)" in out


def test_unless_and_effect_are_checked() -> None:
    base = {
        "code": "x",
        "category": 2,
        "activities": ["inspection"],
        "content": "c",
        "basis": "b",
        "implementer": "i",
    }
    bad_effect = {**base, "effect": "praise", "when": {"kind": "external", "months": 12}}
    with pytest.raises(InputError, match="effect is punishment or incentive, not 'praise'"):
        parse_measures([bad_effect])
    bad_unless = {**base, "when": {"kind": "external", "months": 12, "unless": ["gossip"]}}
    with pytest.raises(InputError, match="'gossip' are not in the credit file"):
        parse_measures([bad_unless])
    one = {**base, "when": {"kind": "external", "months": 12, "unless": "penalty"}}
    assert parse_measures([one])[0].unless == ("penalty",)


class _Again:
    """A plugin that declares a national measure's code again."""

    __name__ = "again"

    @hookimpl
    def zhifa_credit_measures(self, department: str | None) -> list[Measure]:
        return [NATIONAL_MEASURES[0]]


class _NotMeasures:
    __name__ = "not-measures"

    @hookimpl
    def zhifa_credit_measures(self, department: str | None) -> dict[str, str]:
        return {"code": "x"}


def test_a_plugin_cannot_redefine_or_return_other_things() -> None:
    with pytest.raises(PluginConflict) as err:
        Plugins([_Again()], autoload=False).credit_measures("HZXH")
    assert {err.value.plugin, err.value.other} == {"zhifa.baseline", "again"}
    assert "joint measure 'serious-list-procurement'" in err.value.message
    with pytest.raises(PluginError) as bad:
        Plugins([_NotMeasures()], autoload=False).credit_measures("HZXH")
    assert "returned dict" in bad.value.message
