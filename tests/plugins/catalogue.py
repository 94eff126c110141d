"""A department's violation catalogue and checklist, and the entries tests give it: FS-124 (食品安全法
第一百二十四条) as in force since 2021 and in its earlier period, and one key checklist item."""

from __future__ import annotations

from typing import Any

from zhifa import hookimpl
from zhifa.rules import ChecklistItem, Violation, parse_violation

ART_124: dict[str, Any] = {
    "code": "FS-124",
    "name": "经营致病性微生物超标的食品",
    "basis": "食品安全法 第三十四条第（二）项",
    "penalty_basis": "食品安全法 第一百二十四条第一款第（一）项",
    "bands": [
        {"threshold": "goods_value", "below": 10000, "low": 50000, "high": 100000},
        {
            "threshold": "goods_value",
            "at_least": 10000,
            "multiple_of": "goods_value",
            "low": 10,
            "high": 20,
        },
    ],
    "tiers": {
        "lighter": {"circumstances": {"recalled": "主动召回"}},
        "heavier": {"circumstances": {"children": "以儿童为主要消费对象"}},
    },
    "in_force_from": "2021-04-29",
}


def entry(raw: dict[str, Any], **more: Any) -> Violation:
    """The catalogue entry ``raw``, with ``more`` keys replaced."""
    return parse_violation({**raw, **more}, "test")


OLD = entry(ART_124, in_force_from="2015-10-01", in_force_to="2021-04-28")
ITEM = ChecklistItem("SP-1", "许可证有效", "食品安全法 第三十五条", kind="key", scope="food_sales")


class Catalogue:
    """Declares ``entries`` (its violation catalogue) and ``items`` (its checklist) under the plugin
    name ``name``."""

    def __init__(
        self, name: str, *entries: Violation, items: tuple[ChecklistItem, ...] = ()
    ) -> None:
        self.__name__ = name
        self.entries, self.items = entries, items

    @hookimpl
    def zhifa_violations(self) -> list[Violation]:
        return list(self.entries)

    @hookimpl
    def zhifa_checklists(self) -> list[ChecklistItem]:
        return list(self.items)
