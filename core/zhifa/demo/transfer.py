"""Transfer 1, March 2026: Case 1's suspected crime goes to the police with the five kinds of
material, and the police open no criminal case."""

from __future__ import annotations

from datetime import datetime

from zhifa.demo.bureau import JUICE, POLICE
from zhifa.demo.narrator import Narrator
from zhifa.hooks.types import MatterView

FIVE_MATERIALS = {
    "transfer_letter": True,
    "investigation_report": True,
    "seized_items_list": True,
    "test_reports": True,
    "other_materials": True,
}


def tell_transfer(s: Narrator, case: MatterView) -> None:
    """The case's suspected crime goes to the police, who open no criminal case."""
    engine, out = s.engine, s.out
    out("")
    out("Transfer 1 — the police receive the juice case and open no criminal case")
    s.at(datetime(2026, 3, 19, 16, 0))
    t = s.step(
        engine.open(
            "transfer",
            "XH-011",
            {
                "route": "crime",
                "team": ["XH-011", "XH-012"],
                "case_no": "杭西市监立〔2026〕52号",
                "summary": f"{JUICE}，涉嫌生产、销售不符合安全标准的食品罪（刑法 第一百四十三条）",
            },
            follows=case,
        ),
        "李明 reports for the team of two: the principal head decides within 3 days",
    )
    s.at(datetime(2026, 3, 20, 9, 0))
    s.refused(
        "陈建国, a deputy head, approves the transfer",
        lambda: engine.advance(t, "approve", "XH-001", {"opinion": "同意移送"}),
    )
    t = s.step(
        engine.advance(t, "approve", "XH-000", {"opinion": "同意移送公安机关"}),
        "刘志远, the principal head, approves: 24 hours to hand the case over",
    )
    s.at(datetime(2026, 3, 20, 15, 0))
    handover = {"police_unit": POLICE, **FIVE_MATERIALS, "receipt_signed": True}
    s.refused(
        "the file is handed over without the testing report",
        lambda: engine.advance(t, "hand_to_police", "XH-011", {**handover, "test_reports": False}),
    )
    t = s.step(
        engine.advance(t, "hand_to_police", "XH-011", handover),
        "handed to the police with the five kinds of material; they decide within 3 days",
    )
    s.at(datetime(2026, 3, 23, 16, 0))
    t = s.step(
        engine.advance(
            t,
            "police_decline",
            "XH-011",
            {
                "notice_no": "杭西公食药环不立字〔2026〕15号",
                "reason": "经鉴定涉案果汁不足以造成严重食物中毒事故，不构成犯罪",
            },
        ),
        "the police open no criminal case: 3 days to ask them to reconsider",
    )
    s.at(datetime(2026, 3, 24, 10, 0))
    s.step(
        engine.advance(
            t,
            "resume_administrative",
            "XH-000",
            {"note": "不提请复议，由本局依照食品安全法给予行政处罚"},
        ),
        "no reconsideration asked: administrative handling resumes",
    )
