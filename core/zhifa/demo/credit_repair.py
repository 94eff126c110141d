"""Credit repair, November 2026 and May 2027: the penalised supermarket asks to end the publication
early; an application re-keyed as a general penalty is refused (it follows the publication, which
marks the food sector), then refused before the minimum period of a year, approved after it."""

from __future__ import annotations

from datetime import datetime

from zhifa.demo.bureau import DECISION_NO
from zhifa.demo.narrator import Narrator
from zhifa.hooks.types import MatterView

REPAIR_CONDITIONS = {
    "obligations_performed": True,
    "harm_eliminated": True,
    "no_repeat_violation": True,
    "not_on_abnormal_list": True,
    "not_on_serious_list": True,
    "commitment_submitted": True,
}


def tell_credit_repair(s: Narrator, publication: MatterView) -> None:
    """The penalised supermarket asks to end the publication early: too soon, then granted."""
    engine, out = s.engine, s.out
    out("")
    out("Credit repair — the supermarket asks twice to end the publication early")
    application = {
        "decision_no": DECISION_NO,
        "published_on": "2026-04-28",
        "category": "food_drug_equipment",
        "minor_only": False,
        "summary": "已缴清罚没款并完成整改，提交信用承诺书，申请提前停止公示",
    }
    s.at(datetime(2026, 11, 16, 10, 0))
    s.refused(
        "the application is typed as a general penalty, published for 6 months first",
        lambda: engine.open(
            "credit_repair", "XH-012", {**application, "category": "general"}, follows=publication
        ),
    )
    first = s.step(
        engine.open("credit_repair", "XH-012", application, follows=publication),
        "王芳 receives the application in November 2026, after 6½ months of publication",
    )
    s.at(datetime(2026, 11, 18, 10, 0))
    s.refused(
        "陈建国 approves it",
        lambda: engine.advance(
            first, "approve", "XH-001", {**REPAIR_CONDITIONS, "stopped_on": "2026-11-18"}
        ),
    )
    s.step(
        engine.advance(
            first,
            "refuse",
            "XH-001",
            {
                "reasons": "食品领域行政处罚信息公示期满一年方可申请提前停止公示，2027-04-29 起可再次申请"
            },
        ),
        "refused in writing: food penalties are published for a year first",
    )
    s.at(datetime(2027, 5, 10, 9, 30))
    second = s.step(
        engine.open("credit_repair", "XH-012", application, follows=publication),
        "the supermarket applies again in May 2027, after the year",
    )
    s.at(datetime(2027, 5, 12, 10, 0))
    s.step(
        engine.advance(
            second, "approve", "XH-001", {**REPAIR_CONDITIONS, "stopped_on": "2027-05-12"}
        ),
        "陈建国 approves: every condition verified",
    )
    s.step(
        engine.advance(
            publication,
            "stop_early",
            "XH-001",
            {"note": f"信用修复申请已批准（第 {second.id} 号事项）"},
        ),
        "the publication stops early, two years before its end",
    )
