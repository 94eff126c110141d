"""The demo: a market-regulation bureau's matters from February 2026 to May 2027.

It builds reference data and walks realistic matters through every shipped workflow on simulated
time: three clues across the Spring Festival; the first becomes a penalty case, which sends a
suspected crime to the police (a transfer) and takes it back when they open no criminal case, then
goes through notice, hearing, legal review, decision, service and payment; the decision is
published, and the entity's credit repair is refused before the minimum period and approved after
it; a published random-inspection plan is drawn on the frozen directories with a lottery
result, its task becomes an inspection with the team drawn (an officer who declared a conflict is
never drawn), and the inspection marks a finding as a clue; and an accountability review (尽职免责)
follows an incident at the inspected shop. Each story shows its deadlines and the steps the rules
refuse; the demo ends by verifying the record. Everything goes through the same engine the CLI
uses, and each later matter is linked to the one it follows (``Engine.open(follows=)``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from zhifa import inspections
from zhifa.audit import verify
from zhifa.directory import declare_conflict
from zhifa.engine import Engine, StepResult
from zhifa.errors import ZhifaError
from zhifa.hooks.types import MatterView
from zhifa.ids import uscc_check_char
from zhifa.inspections import Plan, PlanItem
from zhifa.plugins import Plugins
from zhifa.procedure.accountability.findings import gather
from zhifa.procedure.publication import Penalty, publicity_end
from zhifa.store import Store
from zhifa.store.tables import Department, Entity, Officer
from zhifa.timekeeping import FixedClock
from zhifa.workflow.deadlines import ClockState

DEPT = "HZXH-SJ"


def _uscc(body: str) -> str:
    return body + uscc_check_char(body)


ENTITIES = (
    (_uscc("91330106MA2B3C4D5"), "杭州西溪鲜果超市有限公司", "企业", "330106", "食品销售"),
    (_uscc("92330106MA2K7L8M9"), "西湖区老街面馆", "个体工商户", "330106", "餐饮服务"),
    (_uscc("91330106MA2H1J2K3"), "杭州云栖保健品有限公司", "企业", "330106", "保健食品销售"),
)

OFFICERS = (
    (
        "XH-000",
        "刘志远",
        "principal_head,head",
        "ZJ33010600000",
        date(2022, 6, 1),
        date(2027, 5, 31),
    ),
    (
        "XH-001",
        "陈建国",
        "head,case_handler",
        "ZJ33010600001",
        date(2023, 1, 1),
        date(2028, 12, 31),
    ),
    (
        "XH-011",
        "李明",
        "case_handler,inspector",
        "ZJ33010600011",
        date(2024, 3, 1),
        date(2029, 2, 28),
    ),
    (
        "XH-012",
        "王芳",
        "case_handler,inspector",
        "ZJ33010600012",
        date(2024, 3, 1),
        date(2029, 2, 28),
    ),
    (
        "XH-013",
        "赵强",
        "case_handler,inspector",
        "ZJ33010600013",
        date(2021, 2, 1),
        date(2026, 1, 31),
    ),
    (
        "XH-014",
        "张伟",
        "case_handler,inspector",
        "ZJ33010600014",
        date(2025, 7, 1),
        date(2030, 6, 30),
    ),
    ("XH-021", "周敏", "legal_reviewer", "ZJ33010600021", date(2024, 9, 1), date(2029, 8, 31)),
    ("XH-022", "孙伟", "legal_reviewer", "ZJ33010600022", date(2023, 5, 1), date(2028, 4, 30)),
)


OFFICER_NAMES = tuple((o[0], o[1]) for o in OFFICERS)


class _Story:
    def __init__(self, engine: Engine, clock: FixedClock, out: Callable[[str], None]) -> None:
        self.engine, self.clock, self.out = engine, clock, out

    def at(self, moment: datetime) -> None:
        self.clock.set(moment)

    def step(self, result: StepResult, note: str) -> MatterView:
        m, ev = result.matter, result.event
        label = self.engine.definition(m.workflow, m.workflow_version).states[m.state].label
        self.out(f"  {ev.occurred_at:%m-%d %H:%M}  {note}  → {m.state} {label}")
        for c in result.clocks:
            self.out(f"               {clock_summary(c)}")
        return m

    def refused(self, note: str, action: Callable[[], object]) -> None:
        try:
            action()
        except ZhifaError as exc:
            self.out(f"  refused: {note}")
            self.out(f"     {exc.message}")
            for line in exc.details():
                self.out(f"     - {line}")
        else:  # pragma: no cover - the demo's refusals are fixed by the rules
            raise AssertionError(f"the demo expected a refusal: {note}")


def clock_summary(c: ClockState) -> str:
    unit = "working days" if c.spec.unit == "working_days" else "days"
    if c.status == "paused":
        return f"⏸ {c.spec.label.zh}: paused, {c.remaining} {unit} left"
    if c.status in ("met", "missed"):
        return f"⏱ {c.spec.label.zh}: {c.status} (stopped {c.stopped_on}, due {c.due_on})"
    extra = f", extended ×{c.extensions}" if c.extensions else ""
    paused = f", {c.paused_days} {unit} paused" if c.paused_days else ""
    return f"⏱ {c.spec.label.zh}: due {c.due_on} ({c.allowed} {unit}{extra}{paused})"


def seed(store: Store) -> None:
    with store.write() as session:
        session.add(Department(code=DEPT, name="杭州市西湖区市场监督管理局", region_code="330106"))
        session.flush()
        for oid, name, roles, cert, start, end in OFFICERS:
            session.add(
                Officer(
                    id=oid,
                    name=name,
                    department_code=DEPT,
                    roles=roles,
                    certificate_no=cert,
                    certificate_valid_from=start,
                    certificate_valid_to=end,
                )
            )
        for uscc, name, kind, region, industry in ENTITIES:
            session.add(
                Entity(
                    uscc=uscc,
                    name=name,
                    kind=kind,
                    region_code=region,
                    industry=industry,
                    credit_class="B",
                    risk_level="medium",
                )
            )


FRUIT = "杭州西溪鲜果超市有限公司"
NOODLE = "西湖区老街面馆"
JUICE = "经营菌落总数超过食品安全标准限量的鲜榨果汁 1,260 瓶，货值金额 2.6 万元"
JUICE_BASIS = "违反食品安全法 第三十四条第二项，依据第一百二十四条第一款第一项"
DECISION_NO = "杭西市监处罚〔2026〕37号"
POLICE = "杭州市公安局西湖区分局"
FIVE_MATERIALS = {
    "transfer_letter": True,
    "investigation_report": True,
    "seized_items_list": True,
    "test_reports": True,
    "other_materials": True,
}
REPAIR_CONDITIONS = {
    "obligations_performed": True,
    "harm_eliminated": True,
    "no_repeat_violation": True,
    "not_on_abnormal_list": True,
    "not_on_serious_list": True,
    "commitment_submitted": True,
}
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


def _penalty(fine: str, reasons: str = JUICE_BASIS) -> dict[str, Any]:
    return {"penalty_kind": "fine", "fine": fine, "confiscation": "8650", "reasons": reasons}


def _case(s: _Story, clue: MatterView) -> MatterView:
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
    _transfer(s, case)

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


def _unpaid_fine(s: _Story, entity: str) -> None:
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


def _transfer(s: _Story, case: MatterView) -> None:
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


def _publication(s: _Story, case: MatterView) -> MatterView:
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


def _credit_repair(s: _Story, publication: MatterView) -> None:
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


def _inspection(s: _Story) -> None:
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
    s.at(datetime(2026, 5, 8, 16, 0))
    drawn = inspections.draw_fresh(store, plan_id, "2026-05-08 福彩3D 第2026119期 4 7 1", s.clock)
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


def _accountability(s: _Story, entity: str) -> None:
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


def run(store: Store, out: Callable[[str], None]) -> bool:
    """Walk the demo matters on ``store`` (migrated, empty); True when the record verifies."""
    seed(store)
    clock = FixedClock(datetime(2026, 2, 10, 9, 0))
    engine = Engine(store, plugins=Plugins(autoload=False), clock=clock)
    s = _Story(engine, clock, out)
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

    case = _case(s, juice_clue)
    _unpaid_fine(s, noodle)
    publication = _publication(s, case)
    _credit_repair(s, publication)
    _inspection(s)
    _accountability(s, noodle)

    out("")
    report = verify(store)
    out(
        f"audit: {report.matters} matters, {report.events} events, "
        + ("record intact" if report.intact else f"BROKEN: {report.breaks}")
    )
    return report.intact
