"""A penalty decision measured against a department's violation catalogue (裁量基准) on SQLite and
PostgreSQL: the legal range at its top and the next yuan, the tier the circumstances select, the
reason and legal review a fine outside the tier needs (行政处罚法 第三十二条、第五十八条), and the
entry applicable by the date of the act (第三十七条), recorded with the decision."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from tests.helpers import make_engine
from tests.plugins.catalogue import ART_124, OLD, Catalogue, entry
from tests.test_workflow_case import (
    CONCLUDE,
    NOW,
    Walk,
    notice,
    notified,
    open_case,
    penalty,
    seed_case_officers,
)
from zhifa.engine import Engine
from zhifa.errors import PluginConflict
from zhifa.store import Store

D = date
CURRENT = entry(ART_124, in_force_from="2021-04-29")
LIGHTER_NOW = entry(
    ART_124,
    in_force_from="2021-04-29",
    bands=[{"threshold": "goods_value", "below": 10000, "low": 30000, "high": 80000}],
)


def engine_with(store: Store, *entries: Any) -> Engine:
    seed_case_officers(store)
    return make_engine(store, Catalogue("county-market", *entries), at=NOW)[0]


@pytest.fixture
def engine(bureau: Store) -> Engine:
    return engine_with(bureau, CURRENT)


def heard_out(engine: Engine, notified_fine: str = "100001") -> Walk:
    """Notified on 3 March 2026 of a fine the party may ask a hearing on; none asked by 10 March."""
    return notified(engine, D(2026, 3, 2), fine=notified_fine, eligible=True)


def decide(fine: str, facts: dict[str, Any] | None = None, **more: Any) -> dict[str, Any]:
    return penalty(fine, violation="FS-124", facts=facts or {"goods_value": 5000}, **more)


DECIDE_ON = D(2026, 3, 11)


def test_above_the_legal_range_is_refused(engine: Engine) -> None:
    walk = heard_out(engine)
    reasons = walk.refused("decide_penalty", "H1", DECIDE_ON, decide("100001"))
    assert any("outside the legal range 50,000–100,000 yuan of FS-124" in r for r in reasons)
    assert any("第一百二十四条" in r for r in reasons)


def test_the_top_of_the_range_outside_the_tier_needs_a_reason_and_a_review(engine: Engine) -> None:
    walk = heard_out(engine)
    reasons = walk.refused("decide_penalty", "H1", DECIDE_ON, decide("100000"))
    assert len(reasons) == 2
    assert "outside the ordinary tier 65,000–85,000 yuan" in reasons[0]
    assert "discretion_reason" in reasons[0] and "第三十二条" in reasons[0]
    assert "needs a legal review" in reasons[1] and "第五十八条" in reasons[1]
    reasoned = decide("100000", discretion_reason="多次违法，社会影响恶劣")
    (reason,) = walk.refused("decide_penalty", "H1", DECIDE_ON, reasoned)
    assert "needs a legal review" in reason
    walk.do("pass_review", "L1", DECIDE_ON, {"opinion": "同意从重处罚"})
    assert walk.do("decide_penalty", "H1", DECIDE_ON, reasoned).state == "decided"
    recorded = walk.matter.data["decide_penalty"]["_discretion"]
    assert recorded["within_tier"] is False and recorded["tier"] == "ordinary"
    assert recorded["legal_range"] == ["50000.00", "100000.00"]


@pytest.mark.parametrize(
    ("facts", "fine", "tier"),
    [
        ({"goods_value": 5000}, "85000", "ordinary"),  # the top of the ordinary tier
        ({"goods_value": 5000, "circumstances": ["children"]}, "100000", "heavier"),
        ({"goods_value": 5000, "circumstances": ["recalled"]}, "50000", "lighter"),
    ],
)
def test_within_the_selected_tier_is_decided_and_recorded(
    engine: Engine, facts: dict[str, Any], fine: str, tier: str
) -> None:
    walk = heard_out(engine)
    assert walk.do("decide_penalty", "H1", DECIDE_ON, decide(fine, facts)).state == "decided"
    recorded = walk.matter.data["decide_penalty"]["_discretion"]
    assert (recorded["tier"], recorded["within_tier"]) == (tier, True)
    assert "第三十七条" in recorded["applicable"]
    (event,) = [e for e in engine.history(walk.matter.id) if e.trigger == "decide_penalty"]
    assert event.data["_discretion"] == recorded  # in the hashed record too


def test_a_lighter_current_entry_applies_to_an_older_act(bureau: Store) -> None:
    engine = engine_with(bureau, OLD, LIGHTER_NOW)
    # an act of the last day the old entry was in force, within five years (harm to health)
    older = open_case(engine, D(2026, 3, 2), act_date="2021-04-28", serious_harm=True)
    older.do("conclude_investigation", "C1", D(2026, 3, 2), CONCLUDE)
    older.do("notify", "C1", D(2026, 3, 3), notice("80000", eligible=True))
    (reason,) = [
        r
        for r in older.refused("decide_penalty", "H1", DECIDE_ON, decide("80001"))
        if "FS-124" in r
    ]
    assert "outside the legal range 30,000–80,000 yuan" in reason
    older.do("decide_penalty", "H1", DECIDE_ON, decide("55000"))
    recorded = older.matter.data["decide_penalty"]["_discretion"]
    assert recorded["in_force_from"] == "2021-04-29" and "is lighter" in recorded["applicable"]


def test_an_unknown_code_is_refused(engine: Engine) -> None:
    walk = heard_out(engine)
    data = {**decide("85000"), "violation": "FS-999"}
    (reason,) = walk.refused("decide_penalty", "H1", DECIDE_ON, data)
    assert "no violation 'FS-999' in the loaded catalogues" in reason


def test_a_missing_amount_is_named(engine: Engine) -> None:
    walk = heard_out(engine)
    (reason,) = walk.refused("decide_penalty", "H1", DECIDE_ON, decide("85000", {"days": 1}))
    assert "give goods_value" in reason


def test_without_a_catalogue_code_nothing_is_measured(engine: Engine) -> None:
    walk = heard_out(engine)
    assert walk.do("decide_penalty", "H1", DECIDE_ON, penalty("100000")).state == "decided"
    assert "_discretion" not in walk.matter.data["decide_penalty"]


def test_two_plugins_declaring_one_code_fail_when_the_engine_loads(bureau: Store) -> None:
    with pytest.raises(PluginConflict) as err:
        make_engine(
            bureau, Catalogue("a", CURRENT), Catalogue("b", CURRENT), at=datetime(2026, 3, 2)
        )
    assert "'a'" in err.value.message and "'b'" in err.value.message


@pytest.mark.parametrize(("fine", "ok"), [("49999.99", True), ("50000", False)])
def test_a_department_hearing_threshold_replaces_the_default(
    bureau: Store, fine: str, ok: bool
) -> None:
    engine = engine_with(bureau, entry(ART_124, hearing_threshold=50000))
    walk = open_case(engine, D(2026, 3, 2))  # an organisation: the default threshold is 100,000
    walk.do("conclude_investigation", "C1", D(2026, 3, 2), CONCLUDE)
    data = {**notice(fine), "violation": "FS-124"}
    if ok:
        assert walk.do("notify", "C1", D(2026, 3, 3), data).state == "notified"
        return
    (reason,) = walk.refused("notify", "C1", D(2026, 3, 3), data)
    assert "county-market's threshold for FS-124: 50000 yuan or more" in reason
    assert "第六十三条" in reason


def test_the_engine_api_measures_like_the_case(engine: Engine) -> None:
    found, why = engine.discretion(
        "FS-124", {"goods_value": 5000, "circumstances": ["children"]}, decided=D(2026, 3, 2)
    )
    assert (found.tier.name, str(found.suggested[0])) == ("heavier", "85000.00")
    assert "第三十七条" in why
