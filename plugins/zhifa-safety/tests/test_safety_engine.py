"""zhifa-safety with the engine (the ``zhifa.testing`` fixtures): the engine loads its catalogue,
and an inspection task can be planned on the plugin's checklist items."""

from __future__ import annotations

from zhifa_safety import plugin

from zhifa.engine import Engine
from zhifa.plugins import Plugins


def test_the_engine_loads_the_plugin(zhifa_engine: Engine, zhifa_plugins: Plugins) -> None:
    assert zhifa_engine.plugins is zhifa_plugins
    assert plugin.__name__ in {p.name for p in zhifa_plugins.listing()}
    assert {"WS-97-1", "WS-103-1", "WS-114"} <= set(zhifa_engine.catalogue)
    assert zhifa_engine.catalogue["WS-102"][0].department == plugin.__name__


def test_an_inspection_is_planned_on_the_safety_checklist(
    zhifa_engine: Engine,
    zhifa_plugins: Plugins,
    zhifa_officers: dict[str, str],
    zhifa_entity: str,
) -> None:
    items = zhifa_plugins.checklists()
    key = [i for i in items.values() if i.kind == "key" and i.scope == "hazardous_chemicals"]
    checklist = "\n".join(f"{i.code}: {i.name}" for i in key)
    opened = zhifa_engine.open(
        "inspection",
        zhifa_officers["inspector"],
        {"source": "targeted", "summary": "危险化学品储存单位重点检查", "checklist": checklist},
        entity=zhifa_entity,
    )
    assert opened.matter.state == "planned"
    assert opened.event.data["checklist"] == checklist
    assert "AQ-5.1" in checklist
