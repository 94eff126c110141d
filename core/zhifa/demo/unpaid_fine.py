"""Case 2, April–October 2026: a spot fine the noodle shop does not pay; a written demand, then
enforcement through the court (行政强制法)."""

from __future__ import annotations

from datetime import datetime

from zhifa.demo.bureau import NOODLE
from zhifa.demo.narrator import Narrator


def tell_unpaid_fine(s: Narrator, entity: str) -> None:
    """A spot fine the party leaves unpaid: the written demand, then the court (行政强制法)."""
    engine, out = s.engine, s.out
    out("")
    out("Case 2 — a spot fine the noodle shop does not pay: a written demand, then the court")
    s.at(datetime(2026, 4, 2, 11, 0))
    opening = {
        "procedure": "simple",
        "party_kind": "person",  # an individual business answers as a person
        "party_name": NOODLE,
        "act_date": "2026-04-02",
        "handlers": ["XH-011", "XH-012"],
        "violation": "未按规定公示食品经营许可证（食品安全法 第一百二十六条）",
    }
    case = s.step(
        engine.open("case", "XH-011", opening, entity=entity),
        "李明 and 王芳 find the violation on the spot",
    )
    spot = {
        "facts_conclusive": True,
        "legal_basis": "食品安全法 第一百二十六条",
        "penalty_kind": "fine",
        "fine": "200",
        "education": "责令立即在显著位置公示许可证",
    }
    case = s.step(
        engine.advance(case, "decide_on_the_spot", "XH-011", spot),
        "a fine of 200 yuan decided and handed over on the spot: due 2026-04-17",
    )
    demand = {
        "fine_due": "200",
        "surcharge_due": "0",
        "deadline": "2026-04-27",
        "method": "银行代收点缴纳",
        "rights_told": True,
    }
    s.at(datetime(2026, 4, 17, 16, 0))
    s.refused(
        "a written demand on the last day to pay",
        lambda: engine.advance(case, "serve_demand", "XH-011", demand),
    )
    s.at(datetime(2026, 4, 20, 10, 0))
    case = s.step(
        engine.advance(case, "serve_demand", "XH-011", {**demand, "surcharge_due": "18.00"}),
        "written demand received: 200 yuan and 18 yuan surcharge (3 days at 3%), by 04-27",
    )
    court = {"court": "杭州市西湖区人民法院", "statements": "当事人未陈述申辩"}
    s.at(datetime(2026, 5, 8, 10, 0))
    s.refused(
        "applying to the court while the party may still sue",
        lambda: engine.advance(case, "apply_to_court", "XH-001", court),
    )
    s.at(datetime(2026, 10, 9, 10, 0))
    case = s.step(
        engine.advance(case, "apply_to_court", "XH-001", court),
        "applied to the court the day after the six months to sue ended (08 Oct, after the holiday)",
    )
    s.at(datetime(2026, 10, 16, 10, 0))
    case = s.step(
        engine.advance(
            case, "court_orders_enforcement", "XH-011", {"ruling_no": "（2026）浙0106行审88号"}
        ),
        "the court orders enforcement",
    )
    s.at(datetime(2026, 10, 30, 10, 0))
    recovered = {
        "recovered_on": "2026-10-29",
        "fine_recovered": "200",
        "surcharge_recovered": "200",
    }
    case = s.step(
        engine.advance(case, "record_enforced", "XH-011", recovered),
        "recovered: the fine and the surcharge, which stopped growing at the fine",
    )
    s.step(
        engine.advance(
            case, "close", "XH-001", {"summary": "经法院强制执行，罚款及加处罚款已执行到位"}
        ),
        "the case is closed",
    )
