"""Accountability review (尽职免责), June 2026: after a food-poisoning incident at the noodle shop,
the record of what each officer did for it is gathered, independent reviewers are named, and one
conclusion is given per officer."""

from __future__ import annotations

from datetime import date, datetime

from zhifa.demo.narrator import Narrator
from zhifa.procedure.accountability.findings import gather


def tell_accountability(s: Narrator, entity: str) -> None:
    """尽职免责: after an incident at the noodle shop, what each officer did for it."""
    engine, out = s.engine, s.out
    out("")
    out("Accountability review — after a food-poisoning incident at the noodle shop")
    s.at(datetime(2026, 6, 22, 9, 0))
    r = s.step(
        engine.open(
            "accountability",
            "XH-000",
            {
                "incident_date": "2026-06-19",
                "incident": "6月19日晚 8 名顾客食用凉拌菜后腹泻，疾控中心调查系生熟交叉污染所致",
                "window_from": "2026-03-01",
                "window_to": "2026-06-21",
            },
            entity=entity,
        ),
        "刘志远 opens a review of the shop's supervision since March",
    )
    assert r.entity_id is not None
    with engine.store.read() as session:
        findings = gather(
            session, r.entity_id, date(2026, 3, 1), date(2026, 6, 21), s.clock.now().date()
        )
    out(f"               findings: matters {', '.join(map(str, findings.matters))}")
    for o in findings.officers.values():
        steps = f"{len(o.steps)} step{'s' if len(o.steps) != 1 else ''}"
        shown = ", ".join(sorted(o.supported)) or "none"
        flags = "; ".join(o.flags) or "none"
        out(
            f"               {o.name} ({o.officer_id}): {steps} in matters "
            f"{', '.join(map(str, sorted(o.matters)))}; the record supports: {shown}; "
            f"flags: {flags}"
        )
    s.at(datetime(2026, 6, 23, 9, 0))
    s.refused(
        "王芳 is named a reviewer",
        lambda: engine.advance(r, "review", "XH-000", {"reviewers": ["XH-021", "XH-012"]}),
    )
    r = s.step(
        engine.advance(r, "review", "XH-000", {"reviewers": ["XH-021", "XH-022"]}),
        "周敏 and 孙伟, who never acted for the shop, review",
    )
    inspected = {
        "outcome": "exempt",
        "grounds": ["inspected_as_required"],
        "reasons": "按抽查计划逐项检查，发现问题已作为线索立案，整改已复查到位",
    }
    conclusions = {
        "XH-001": {
            "outcome": "exempt",
            "grounds": ["no_causal_link"],
            "reasons": "依法指派检查、决定立案；事件系店内生熟交叉污染所致，与监管行为无因果关系",
        },
        "XH-011": inspected,
        "XH-012": {
            "outcome": "exempt",
            "grounds": ["no_causal_link"],
            "reasons": "已申报利害关系未参加检查；其核查的举报经现场检查不属实，与本次事件无关",
        },
        "XH-014": inspected,
    }
    s.at(datetime(2026, 6, 29, 10, 0))
    s.refused(
        "the reviewers put 张伟's exemption on a false expert report",
        lambda: engine.advance(
            r,
            "conclude",
            "XH-000",
            {
                "conclusions": {
                    **conclusions,
                    "XH-014": {**inspected, "grounds": ["expert_false_report"]},
                }
            },
        ),
    )
    s.step(
        engine.advance(r, "conclude", "XH-000", {"conclusions": conclusions}),
        "one conclusion per officer: all four exempt, on grounds the record supports",
    )
