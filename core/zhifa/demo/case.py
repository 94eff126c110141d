"""Case 1, March–May 2026: the juice clue becomes a penalty case; its suspected crime goes to the
police (the transfer story) and comes back, then notice, hearing, legal review, decision, service,
payment and closing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from zhifa.demo.bureau import DECISION_NO, FRUIT, JUICE, POLICE
from zhifa.demo.narrator import Narrator
from zhifa.demo.transfer import tell_transfer
from zhifa.hooks.types import MatterView

JUICE_BASIS = "违反食品安全法 第三十四条第二项，依据第一百二十四条第一款第一项"


def _penalty(fine: str, reasons: str = JUICE_BASIS) -> dict[str, Any]:
    return {"penalty_kind": "fine", "fine": fine, "confiscation": "8650", "reasons": reasons}


def tell_case(s: Narrator, clue: MatterView) -> MatterView:
    """The juice clue's case: a suspected crime sent to the police and taken back, then the
    ordinary procedure to the closing."""
    engine, out = s.engine, s.out
    out("")
    out("Case 1 — the juice clue becomes a penalty case; a suspected crime goes to the police")
    s.at(datetime(2026, 3, 12, 10, 0))
    opening = {
        "procedure": "ordinary",
        "party_kind": "organisation",
        "party_name": FRUIT,
        "act_date": "2026-02-08",
        "handlers": ["XH-011", "XH-012"],
        "violation": "经营超过保质期、微生物超标的果汁（食品安全法 第三十四条）",
    }
    case = s.step(
        engine.open("case", "XH-001", opening, follows=clue),
        "陈建国 files the case on the clue (90 days to decide)",
    )
    s.at(datetime(2026, 3, 19, 10, 0))
    case = s.step(
        engine.advance(
            case,
            "conclude_investigation",
            "XH-011",
            {"violation": JUICE, "proposed_outcome": "transfer", "suspected_crime": True},
        ),
        "the investigation finds 1,260 bottles sold: a suspected crime (刑法 第一百四十三条)",
    )
    s.at(datetime(2026, 3, 19, 15, 0))
    case = s.step(
        engine.advance(
            case,
            "transfer",
            "XH-000",
            {"organ": POLICE, "reason": "涉嫌生产、销售不符合安全标准的食品罪"},
        ),
        "刘志远 decides to transfer: the penalty cannot replace it",
    )
    tell_transfer(s, case)

    out("")
    out("Case 1, continued — notice, hearing, legal review, decision, service, payment, closing")
    s.at(datetime(2026, 3, 25, 9, 0))
    case = s.step(
        engine.advance(
            case,
            "take_back",
            "XH-000",
            {"reason": "公安机关不予立案（杭西公食药环不立字〔2026〕15号），依法继续行政处理"},
        ),
        "taken back from the police; the decision period, paused while the police had it, runs again",
    )
    s.at(datetime(2026, 3, 27, 16, 0))
    case = s.step(
        engine.advance(
            case,
            "conclude_investigation",
            "XH-011",
            {"violation": JUICE, "proposed_outcome": "penalty"},
        ),
        "the investigation concludes: a penalty is proposed",
    )
    s.at(datetime(2026, 3, 30, 10, 0))
    case = s.step(
        engine.advance(
            case,
            "notify",
            "XH-011",
            {**_penalty("130000"), "hearing_eligible": True},
        ),
        "notice served: a fine of 130,000 yuan and 8,650 yuan confiscated; hearing right told",
    )
    s.at(datetime(2026, 4, 1, 10, 0))
    s.refused(
        "陈建国 decides a fine of 160,000 yuan two days after the notice",
        lambda: engine.advance(case, "decide_penalty", "XH-001", _penalty("160000")),
    )
    s.at(datetime(2026, 4, 2, 14, 0))
    case = s.step(
        engine.advance(
            case,
            "request_hearing",
            "XH-011",
            {"request": "当事人书面申请听证，认为货值金额计算有误"},
        ),
        "the party asks for a hearing on the 3rd working day after the notice",
    )
    s.at(datetime(2026, 4, 3, 10, 0))
    s.refused(
        "a hearing fixed for 2026-04-10, five working days after its notice",
        lambda: engine.advance(
            case, "schedule_hearing", "XH-011", {"hearing_date": "2026-04-10", "chair": "XH-022"}
        ),
    )
    case = s.step(
        engine.advance(
            case, "schedule_hearing", "XH-011", {"hearing_date": "2026-04-16", "chair": "XH-022"}
        ),
        "hearing notice served for 2026-04-16, chaired by 孙伟, who did not investigate",
    )
    s.at(datetime(2026, 4, 16, 14, 30))
    case = s.step(
        engine.advance(
            case,
            "hold_hearing",
            "XH-022",
            {"chair": "XH-022", "record": "当事人对货值计算提出异议，经核对进货单据，货值认定无误"},
        ),
        "the hearing is held",
    )
    s.at(datetime(2026, 4, 17, 10, 0))
    s.refused(
        "the decision is taken straight after the hearing",
        lambda: engine.advance(case, "decide_penalty", "XH-001", _penalty("130000")),
    )
    s.at(datetime(2026, 4, 20, 10, 0))
    case = s.step(
        engine.advance(
            case,
            "pass_review",
            "XH-021",
            {"opinion": "事实清楚，证据确凿，适用依据正确，程序合法，处罚适当"},
        ),
        "周敏 passes the legal review (法制审核)",
    )
    s.at(datetime(2026, 4, 21, 10, 0))
    case = s.step(
        engine.advance(case, "decide_penalty", "XH-001", _penalty("130000")),
        f"陈建国 decides the penalty as notified ({DECISION_NO}): 7 working days to serve",
    )
    s.at(datetime(2026, 4, 22, 15, 0))
    case = s.step(
        engine.advance(case, "serve", "XH-011", {"method": "in_person"}),
        "served in person: 15 days to pay, to 2026-05-07 over the May Day holiday",
    )
    s.at(datetime(2026, 5, 6, 10, 0))
    case = s.step(
        engine.advance(
            case, "record_payment", "XH-012", {"paid_on": "2026-05-06", "amount_paid": "130000"}
        ),
        "the fine is paid in time: no surcharge",
    )
    s.at(datetime(2026, 5, 8, 10, 0))
    return s.step(
        engine.advance(
            case, "close", "XH-001", {"summary": "罚没款已缴清，已移送公安机关且不予立案，结案"}
        ),
        "the case is closed",
    )
