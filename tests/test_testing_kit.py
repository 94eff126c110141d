"""The pytest fixtures zhifa gives plugin authors (zhifa.testing, registered as pytest11 plugin
``zhifa``): an engine on a migrated SQLite file with the plugin under test, its officers, an
entity and a clock."""

from __future__ import annotations

import pytest

from tests.plugins.catalogue import ITEM, OLD, Catalogue
from zhifa.engine import Engine
from zhifa.plugins import Plugins
from zhifa.testing import START
from zhifa.timekeeping import FixedClock


@pytest.fixture
def zhifa_plugin() -> object:
    return Catalogue("county-market", OLD, items=(ITEM,))


def test_the_engine_carries_the_plugin_under_test(
    zhifa_engine: Engine, zhifa_plugins: Plugins
) -> None:
    assert "county-market" in {p.name for p in zhifa_plugins.listing()}
    assert zhifa_plugins.violations()["FS-124"][0].department == "county-market"
    assert zhifa_engine.plugins is zhifa_plugins


def test_officers_entity_and_clock_work_with_the_engine(
    zhifa_engine: Engine,
    zhifa_officers: dict[str, str],
    zhifa_entity: str,
    zhifa_clock: FixedClock,
) -> None:
    assert zhifa_clock.now() == START
    opened = zhifa_engine.open(
        "clue",
        zhifa_officers["case_handler"],
        {"source": "complaint", "summary": "消费者投诉"},
        entity=zhifa_entity,
    )
    zhifa_clock.advance(hours=1)
    assigned = zhifa_engine.advance(
        opened.matter,
        "assign",
        zhifa_officers["head"],
        {"verifiers": [zhifa_officers["case_handler"], zhifa_officers["case_handler_2"]]},
    )
    assert assigned.matter.state == "verifying"
    assert {"head", "principal_head", "legal_reviewer", "inspector_2"} <= set(zhifa_officers)
