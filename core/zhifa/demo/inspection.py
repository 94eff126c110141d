"""Inspection 1 and Clue 4, May 2026: a published random-inspection plan is drawn on the
directories frozen the day before, with a lottery result published the next morning; its task
becomes an inspection of the noodle shop with the team drawn (王芳, who declared a conflict, is
never drawn); the expired beef found is marked as a clue, registered, and filed as Case 3."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from zhifa import inspections
from zhifa.demo.bureau import DEPT, ENTITIES, OFFICER_NAMES
from zhifa.demo.narrator import Narrator
from zhifa.directory import declare_conflict
from zhifa.inspections import Plan, PlanItem

CHECKLIST = (
    "C1: 食品经营许可证公示\n"
    "C2: 从业人员健康证明\n"
    "C3: 原料进货查验记录\n"
    "C4: 食品原料贮存\n"
    "C5: 餐饮具清洗消毒"
)
RESULTS = (
    "C1: pass\n"
    "C2: rectified 两名帮厨当场出示新办健康证明\n"
    "C3: pass\n"
    "C4: violation 冷冻柜存放超过保质期的冷冻牛肉 12.5 千克\n"
    "C5: rectify 消毒柜未通电，餐饮具消毒记录缺失"
)


def tell_inspection(s: Narrator) -> None:
    """A random-draw inspection of the noodle shop; its finding is registered as a clue."""
    engine, out = s.engine, s.out
    noodle = ENTITIES[1][0]
    out("")
    out("Inspection 1 — a random draw sends two inspectors to the noodle shop; expired beef")
    store = engine.store
    s.at(datetime(2026, 5, 6, 9, 0))
    declare_conflict(store, "XH-012", noodle, reason="表兄经营该面馆", declared_on=date(2026, 5, 6))
    out("  · 王芳 declares that her cousin runs the noodle shop (回避): no draw sends her there")
    plan = Plan(
        year=2026,
        lead_department=DEPT,
        items=tuple(PlanItem(line.split(":")[0]) for line in CHECKLIST.splitlines()),
        inspection_date=date(2026, 5, 13),
        ratios={"B": Decimal("0.05")},
        industries=frozenset({"餐饮服务"}),
        basis="西湖区2026年第二批双随机抽查（餐饮服务）",
    )
    plan_id = inspections.create_plan(store, plan, s.clock)
    inspections.publish_plan(store, plan_id, s.clock)
    out(f"  · plan {plan_id} published: catering, 5 % of class B (at least one), items C1–C5")
    s.at(datetime(2026, 5, 7, 17, 0))
    snapshots = inspections.take_snapshots(store, s.clock, year=plan.year)
    s.at(datetime(2026, 5, 8, 16, 0))
    drawn = inspections.run_draw(
        store,
        plan_id,
        "2026-05-08 福彩3D 第2026119期 4 7 1",
        *snapshots,
        value_published_at=datetime(2026, 5, 8, 9, 0),
        clock=s.clock,
    )
    out(
        f"  · draw {drawn.id} on the frozen directories with the lottery result of 8 May: "
        f"seed {drawn.seed[:12]}…; zhifa draw verify {drawn.id} confirms: "
        f"{'yes' if not inspections.verify_draw(store, drawn.id) else 'no'}"
    )
    s.at(datetime(2026, 5, 11, 9, 0))
    created = inspections.create_tasks(engine, drawn.id, {DEPT: "XH-001"})
    m = engine.load(created.matters[0])
    team = list(m.data["open"]["team"])
    names = dict(OFFICER_NAMES)
    out(
        f"  · 陈建国 creates the draw's task: matter {m.id}, {m.title}; team drawn: "
        + " and ".join(names[o] for o in team)
    )
    s.at(datetime(2026, 5, 11, 14, 0))
    s.refused(
        "陈建国 assigns 李明 and 王芳 instead of the team drawn",
        lambda: engine.advance(m, "assign", "XH-001", {"inspectors": ["XH-011", "XH-012"]}),
    )
    m = s.step(
        engine.advance(m, "assign", "XH-001", {"inspectors": team}),
        "the team drawn is assigned",
    )
    s.at(datetime(2026, 5, 13, 9, 30))
    m = s.step(
        engine.advance(m, "start", "XH-011", {"present": ["XH-011", "XH-014"]}),
        "both inspectors on site",
    )
    s.at(datetime(2026, 5, 13, 11, 30))
    s.refused(
        "the expired beef is recorded without marking it as a clue",
        lambda: engine.advance(m, "record_result", "XH-014", {"results": RESULTS}),
    )
    m = s.step(
        engine.advance(
            m,
            "record_result",
            "XH-014",
            {
                "results": RESULTS,
                "clue_to_open": True,
                "clue_summary": "使用超过保质期的食品原料（冷冻牛肉 12.5 千克）",
            },
        ),
        "张伟 records a result per item, C4 marked as a clue: 20 working days to publish",
    )
    s.at(datetime(2026, 5, 13, 11, 45))
    m = s.step(
        engine.advance(
            m,
            "order_rectification",
            "XH-011",
            {
                "items": "C5",
                "deadline": "2026-05-20",
                "requirements": "修复消毒柜，建立并落实餐饮具清洗消毒记录",
            },
        ),
        "rectification of C5 ordered by 2026-05-20",
    )
    inspection = m
    s.at(datetime(2026, 5, 15, 10, 0))
    m = s.step(
        engine.advance(
            m,
            "publish",
            "XH-011",
            {
                "text": "检查结果：不符合。发现使用超过保质期的食品原料，已立案查处；餐饮具消毒责令整改"
            },
        ),
        "the result is published, the rectification still to be rechecked",
    )
    s.at(datetime(2026, 5, 21, 10, 0))
    s.step(
        engine.advance(
            m, "recheck", "XH-014", {"outcome": "rectified", "notes": "消毒柜已修复，消毒记录完整"}
        ),
        "张伟 rechecks: put right",
    )

    out("")
    out("Clue 4 — the inspection's finding, registered as a clue and opened as a case")
    s.at(datetime(2026, 5, 13, 16, 0))
    c = s.step(
        engine.open(
            "clue",
            "XH-011",
            {
                "source": "inspection",
                "summary": "双随机抽查发现冷冻柜存放超过保质期的冷冻牛肉 12.5 千克",
            },
            follows=inspection,
        ),
        "李明 registers the finding as a clue",
    )
    s.at(datetime(2026, 5, 14, 9, 0))
    c = s.step(
        engine.advance(c, "assign", "XH-001", {"verifiers": ["XH-011", "XH-014"]}),
        "assigned to 李明 and 张伟",
    )
    s.at(datetime(2026, 5, 20, 10, 0))
    beef = "使用超过保质期的食品原料（食品安全法 第三十四条第十项）"
    handlers = ["XH-011", "XH-014"]
    c = s.step(
        engine.advance(
            c,
            "open_case",
            "XH-001",
            {"act_date": "2026-05-13", "handlers": handlers, "violation": beef},
        ),
        "陈建国 decides to open a case",
    )
    opening = {
        "procedure": "ordinary",
        "party_kind": "person",
        "party_name": "西湖区老街面馆（经营者 周大勇）",
        "act_date": "2026-05-13",
        "handlers": handlers,
        "violation": beef,
    }
    s.at(datetime(2026, 5, 20, 14, 0))
    s.refused(
        "李明 files the ordinary-procedure case himself",
        lambda: engine.open("case", "XH-011", opening, follows=c),
    )
    s.step(
        engine.open("case", "XH-001", opening, follows=c),
        "陈建国 files Case 3 on the clue; its investigation goes on",
    )
