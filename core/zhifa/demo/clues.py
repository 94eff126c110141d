"""Clues 1–3, February–April 2026: a complaint about expired juice, tested over the Spring Festival,
that becomes a case; a report about the noodle shop, extended and then declined; a referral about a
health-food advertisement, handed to the competent bureau."""

from __future__ import annotations

from datetime import datetime

from zhifa.demo.bureau import ENTITIES
from zhifa.demo.narrator import Narrator
from zhifa.hooks.types import MatterView


def tell_clues(s: Narrator) -> MatterView:
    """The three clues; returns the juice clue, on which Case 1 is filed."""
    engine, out = s.engine, s.out
    fruit, noodle, health = (e[0] for e in ENTITIES)

    out("Clue 1 — a complaint about expired fruit juice, sent for testing over the Spring Festival")
    m = s.step(
        engine.open(
            "clue",
            "XH-011",
            {
                "source": "complaint",
                "summary": "消费者投诉购买的果汁已过保质期",
                "reporter": "12315 热线",
            },
            entity=fruit,
        ),
        "李明 registers the 12315 complaint (15 working days to verify)",
    )
    s.at(datetime(2026, 2, 11, 10, 0))
    s.refused(
        "the head names 赵强, whose enforcement certificate expired on 2026-01-31",
        lambda: engine.advance(m, "assign", "XH-001", {"verifiers": ["XH-013"]}),
    )
    m = s.step(
        engine.advance(m, "assign", "XH-001", {"verifiers": ["XH-011", "XH-012"]}),
        "陈建国 assigns 李明 and 王芳",
    )
    s.at(datetime(2026, 2, 12, 15, 0))
    m = s.step(
        engine.advance(
            m, "start_testing", "XH-011", {"kind": "testing", "body": "浙江省食品药品检验研究院"}
        ),
        "samples sent to the provincial testing institute: the clock pauses",
    )
    s.at(datetime(2026, 3, 10, 11, 0))
    m = s.step(
        engine.advance(m, "finish_testing", "XH-011", {"result": "菌落总数超出 GB 7101 限量"}),
        "the report arrives: the clock resumes, the paused days do not count",
    )
    s.at(datetime(2026, 3, 12, 9, 30))
    s.refused(
        "opening a case for an act of 2023-11-20, discovered in 2026",
        lambda: engine.advance(
            m,
            "open_case",
            "XH-001",
            {
                "act_date": "2023-11-20",
                "handlers": ["XH-011", "XH-012"],
                "violation": "销售过期食品",
            },
        ),
    )
    juice_clue = s.step(
        engine.advance(
            m,
            "open_case",
            "XH-001",
            {
                "act_date": "2026-02-08",
                "handlers": ["XH-011", "XH-012"],
                "violation": "经营超过保质期的食品（食品安全法 第三十四条）",
            },
        ),
        "陈建国 opens a case with 李明 and 王芳 as case handlers",
    )

    out("")
    out("Clue 2 — a report about a noodle shop; verification is extended, then no case is opened")
    s.at(datetime(2026, 3, 2, 14, 0))
    m = s.step(
        engine.open(
            "clue",
            "XH-012",
            {"source": "report", "summary": "举报面馆后厨卫生状况差"},
            entity=noodle,
        ),
        "王芳 registers the report",
    )
    s.at(datetime(2026, 3, 3, 9, 0))
    m = s.step(engine.advance(m, "assign", "XH-001", {"verifiers": ["XH-012"]}), "assigned to 王芳")
    stale = m
    s.at(datetime(2026, 3, 23, 9, 0))
    m = s.step(
        engine.advance(m, "extend", "XH-001", {"reason": "举报人补充材料尚在收集"}),
        "陈建国 approves the one extension of 15 working days on the last day",
    )
    s.refused(
        "a second officer acts on the version loaded before the extension",
        lambda: engine.advance(
            stale, "decline", "XH-001", {"ground": "no_violation", "explanation": "-"}
        ),
    )
    s.at(datetime(2026, 4, 1, 16, 0))
    s.step(
        engine.advance(
            m,
            "decline",
            "XH-001",
            {"ground": "no_violation", "explanation": "现场检查后厨符合要求，举报事项不属实"},
        ),
        "no violation found: no case is opened",
    )

    out("")
    out("Clue 3 — a referral about a health-food advertisement, handed to the competent bureau")
    s.at(datetime(2026, 3, 4, 10, 0))
    m = s.step(
        engine.open(
            "clue",
            "XH-011",
            {"source": "referral", "summary": "涉嫌发布虚假保健食品广告（跨区发布）"},
            entity=health,
        ),
        "李明 registers the referral",
    )
    s.at(datetime(2026, 3, 30, 9, 0))
    m = s.step(
        engine.advance(m, "assign", "XH-001", {"verifiers": ["XH-011"]}),
        "assigned late: 18 working days after receipt",
    )
    s.refused(
        "an extension asked for after the verification period ended",
        lambda: engine.advance(m, "extend", "XH-001", {"reason": "材料较多"}),
    )
    s.step(
        engine.advance(
            m,
            "hand_over",
            "XH-001",
            {"to_department": "杭州市市场监督管理局广告监管处", "reason": "广告发布地不在本辖区"},
        ),
        "handed over to the competent department",
    )
    return juice_clue
