"""The plugin loaded with the engine through the fixtures of ``zhifa.testing``: the catalogue is
the one a penalty decision is measured against (裁量基准)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from zhifa_ecology import plugin

from zhifa.engine import Engine
from zhifa.errors import GuardRefused
from zhifa.hooks.types import MatterView
from zhifa.plugins import Plugins
from zhifa.rules import Facts, suggest
from zhifa.timekeeping import FixedClock

OPENED = datetime(2026, 3, 2, 9, 0)
NOTIFIED = datetime(2026, 3, 3, 10, 0)
DECIDED = datetime(2026, 3, 11, 10, 0)  # past the days the party has to ask for a hearing
FACTS = {"original_fine": 100_000, "days": 10, "circumstances": ["refused_to_correct"]}


def test_the_engine_loads_the_catalogue(zhifa_engine: Engine, zhifa_plugins: Plugins) -> None:
    assert plugin.__name__ in {p.name for p in zhifa_plugins.listing()}
    (entry,) = zhifa_engine.catalogue["HB-59"]
    assert entry.department == plugin.__name__
    assert suggest(entry, Facts.parse(FACTS)).legal == (Decimal(1_000_000), Decimal(1_000_000))
    assert len(zhifa_plugins.checklists()) >= 10


def _notified(
    engine: Engine, clock: FixedClock, officers: dict[str, str], entity: str
) -> MatterView:
    """A daily-penalty case opened, concluded and notified (the party may ask for a hearing)."""
    clock.set(OPENED)
    handlers = [officers["case_handler"], officers["case_handler_2"]]
    matter = engine.open(
        "case",
        officers["head"],
        {
            "procedure": "ordinary",
            "party_kind": "organisation",
            "party_name": "某化工有限公司",
            "act_date": "2026-02-20",
            "handlers": handlers,
            "violation": "超标排放被罚款并责令改正后拒不改正",
        },
        entity=entity,
    ).matter
    clock.set(OPENED.replace(hour=16))
    matter = engine.advance(
        matter,
        "conclude_investigation",
        handlers[0],
        {"violation": "拒不改正违法排放行为", "proposed_outcome": "penalty"},
    ).matter
    notice = {
        "penalty_kind": "fine",
        "hearing_eligible": True,
        "reasons": "复查发现仍在超标排放",
        "fine": "1000000",
    }
    clock.set(NOTIFIED)
    matter = engine.advance(matter, "notify", handlers[0], notice).matter
    clock.set(DECIDED)
    return matter


def _decision(fine: str) -> dict[str, Any]:
    return {
        "penalty_kind": "fine",
        "reasons": "事实、理由、依据",
        "fine": fine,
        "violation": "HB-59",
        "facts": FACTS,
    }


def test_a_decision_above_the_daily_penalty_is_refused(
    zhifa_engine: Engine,
    zhifa_clock: FixedClock,
    zhifa_officers: dict[str, str],
    zhifa_entity: str,
) -> None:
    matter = _notified(zhifa_engine, zhifa_clock, zhifa_officers, zhifa_entity)
    with pytest.raises(GuardRefused) as err:
        zhifa_engine.advance(matter, "decide_penalty", zhifa_officers["head"], _decision("1000001"))
    assert any(
        "outside the legal range 1,000,000–1,000,000 yuan of HB-59" in r and "第五十九条" in r
        for r in err.value.reasons
    )


def test_the_daily_penalty_is_decided_and_recorded(
    zhifa_engine: Engine,
    zhifa_clock: FixedClock,
    zhifa_officers: dict[str, str],
    zhifa_entity: str,
) -> None:
    matter = _notified(zhifa_engine, zhifa_clock, zhifa_officers, zhifa_entity)
    decided = zhifa_engine.advance(
        matter, "decide_penalty", zhifa_officers["head"], _decision("1000000")
    ).matter
    assert decided.state == "decided"
    recorded = decided.data["decide_penalty"]["_discretion"]
    assert recorded["violation"] == "HB-59"
    assert recorded["catalogue"] == plugin.__name__
    assert recorded["legal_range"] == ["1000000.00", "1000000.00"]
    assert recorded["within_tier"] is True
