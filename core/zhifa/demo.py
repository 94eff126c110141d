"""The demo: a market-regulation bureau's clues in February–March 2026, across the Spring Festival.

It builds reference data, walks realistic matters through the clue workflow on simulated time,
shows refusals (expired certificate, limitation period, late extension, a concurrent change) and
ends by verifying the record. Everything goes through the same engine the CLI uses.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from zhifa.audit import verify
from zhifa.clock import FixedClock
from zhifa.clocks import ClockState
from zhifa.context import MatterView
from zhifa.engine import Engine, StepResult
from zhifa.errors import ZhifaError
from zhifa.ids import uscc_check_char
from zhifa.model import Department, Entity, Officer
from zhifa.plugins import Plugins
from zhifa.store import Store

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
)


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
    s.step(
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

    out("")
    report = verify(store)
    out(
        f"audit: {report.matters} matters, {report.events} events, "
        + ("record intact" if report.intact else f"BROKEN: {report.breaks}")
    )
    return report.intact
