"""Publication 1, April 2026: Case 1's penalty decision goes on the credit information publicity
system within 20 working days, for three years."""

from __future__ import annotations

from datetime import date, datetime

from zhifa.demo.bureau import DECISION_NO, ENTITIES, FRUIT
from zhifa.demo.narrator import Narrator
from zhifa.hooks.types import MatterView
from zhifa.procedure.publication import Penalty, publicity_end


def tell_publication(s: Narrator, case: MatterView) -> MatterView:
    """The case's penalty decision published within 20 working days."""
    engine, out = s.engine, s.out
    out("")
    out("Publication 1 — the penalty decision goes on the credit information publicity system")
    s.at(datetime(2026, 4, 21, 15, 0))
    fruit = ENTITIES[0][0]
    p = s.step(
        engine.open(
            "publication",
            "XH-012",
            {
                "decision_no": DECISION_NO,
                "decision_date": "2026-04-21",
                "procedure": "ordinary",
                "party_name": FRUIT,
                "party": fruit,
                "violation": "经营微生物超过食品安全标准限量的食品",
                "fine_amount": "130000",
                "confiscation": True,
                "special_sector": True,
            },
            follows=case,
        ),
        "王芳 registers the decision the day it is made: 20 working days to publish",
    )
    s.at(datetime(2026, 4, 28, 10, 0))
    s.refused(
        "published for three months, as if the fine were low",
        lambda: engine.advance(p, "publish", "XH-012", {"publicity_ends_on": "2026-07-28"}),
    )
    ends = publicity_end(date(2026, 4, 28), Penalty.from_data(p.data["open"]))
    return s.step(
        engine.advance(p, "publish", "XH-012", {"publicity_ends_on": ends.isoformat()}),
        f"published on the 5th working day, shown until {ends} (3 years)",
    )
