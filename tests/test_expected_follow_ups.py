"""Follow-up matters a workflow owes to another's step (`expected:`), on SQLite and PostgreSQL:
an ordinary-procedure penalty decision owes its publication within 20 working days of the
decision (市场监督管理行政处罚信息公示规定 第二条、第九条), listed by `zhifa due` until a publication
matter is opened following the case."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import make_engine, run, run_json
from tests.plugins.department import SAMPLING_WORKFLOW, DepartmentPlugin
from tests.test_workflow_case import (
    Walk,
    notified,
    open_case,
    penalty,
    seed_case_officers,
    spot_fine,
)
from zhifa.engine import DueItem, Engine
from zhifa.errors import DefinitionError
from zhifa.store import Store

D = date
DECIDED = D(2026, 3, 4)  # Wednesday
LAST_DAY = D(2026, 4, 1)  # its 20th working day (no holiday in between)


@pytest.fixture
def engine(bureau: Store) -> Engine:
    seed_case_officers(bureau)
    return make_engine(bureau, at=datetime(2026, 12, 31, 18, 0))[0]


def decided(engine: Engine, **more: str) -> Walk:
    walk = notified(engine, D(2026, 3, 2), fine="10000")
    walk.do("decide_penalty", "H1", DECIDED, penalty("10000", **more))
    return walk


def owed(engine: Engine, today: date) -> list[DueItem]:
    return [i for i in engine.due(today=today) if i.follow_up]


@pytest.mark.parametrize(
    ("today", "overdue", "remaining"),
    [(LAST_DAY, False, 0), (D(2026, 4, 2), True, -1)],
    ids=["last-day", "first-day-late"],
)
def test_a_penalty_decision_owes_its_publication(
    engine: Engine, today: date, overdue: bool, remaining: int
) -> None:
    walk = decided(engine)
    (item,) = owed(engine, today)
    assert (item.matter.id, item.follow_up) == (walk.matter.id, "publication")
    assert (item.clock.started_on, item.clock.due_on) == (DECIDED, LAST_DAY)
    assert (item.clock.overdue, item.clock.remaining) == (overdue, remaining)
    assert "第九条" in item.clock.spec.basis
    assert engine.expected(walk.matter, today) == [item]


def test_the_follow_up_is_no_longer_owed_once_opened(engine: Engine) -> None:
    walk = decided(engine)
    data = {
        "decision_no": "杭西市监处罚〔2026〕12号",
        "decision_date": DECIDED.isoformat(),
        "procedure": "ordinary",
        "party_name": "某食品有限公司",
        "violation": "经营超过保质期的食品",
        "fine_amount": "10000",
    }
    engine.open("publication", "C1", data, datetime(2026, 3, 5, 9), follows=walk.matter)
    assert owed(engine, D(2026, 3, 5)) == []
    # the publication's own clock counts from the same decision date
    (item,) = [i for i in engine.due(today=D(2026, 3, 5)) if i.matter.workflow == "publication"]
    assert item.clock.due_on == LAST_DAY


def test_no_publication_is_owed_for_a_warning_a_spot_fine_or_a_revoked_decision(
    engine: Engine,
) -> None:
    warning = notified(engine, D(2026, 3, 2), fine=None, kind="warning")
    warning.do("decide_penalty", "H1", DECIDED, penalty(None, kind="warning"))
    spot_fine(engine)  # simple procedure: decide_on_the_spot
    revoked = decided(engine)
    revoked.do("serve", "C1", D(2026, 3, 5), {"method": "in_person"})
    revoked.do("apply_for_review", "C1", D(2026, 3, 6), {"kind": "lawsuit", "body": "西湖区法院"})
    assert [i.matter.id for i in owed(engine, D(2026, 3, 9))] == [revoked.matter.id]
    revoked.do("conclude_review", "C1", D(2026, 3, 9), {"outcome": "revoked"})
    assert owed(engine, D(2026, 3, 9)) == []


def test_due_filters_apply_to_follow_ups(engine: Engine) -> None:
    decided(engine)

    def follow_ups(**filters: Any) -> list[str | None]:
        return [i.follow_up for i in engine.due(today=D(2026, 3, 4), **filters) if i.follow_up]

    assert follow_ups(within=28) == ["publication"]  # due 1 April, 28 days ahead
    assert follow_ups(within=27) == []
    assert follow_ups(department="OTHER") == []
    assert follow_ups(officer="H1") == ["publication"]  # H1 decided
    assert follow_ups(officer="L1") == []


def test_an_open_case_owes_nothing_yet(engine: Engine) -> None:
    open_case(engine, D(2026, 3, 2))
    assert owed(engine, D(2026, 3, 2)) == []


@pytest.mark.parametrize(
    ("expected", "fault"),
    [
        ("{workflow: nosuch, triggers: [assign]}", "expected[0].after.workflow: workflow 'nosuch'"),
        (
            "{workflow: clue, triggers: [publish]}",
            "expected[0].after.triggers: clue has no trigger",
        ),
    ],
)
def test_an_expectation_on_what_is_not_there_is_refused_at_load(
    bureau: Store, tmp_path: Path, expected: str, fault: str
) -> None:
    entry = (
        f"expected:\n  - after: {expected}\n    label: {{zh: 跟进, en: Follow up}}\n"
        "    basis: 规定\n    unit: working_days\n    days: 5\n"
    )
    plugin = DepartmentPlugin(tmp_path)
    plugin.path.write_text(SAMPLING_WORKFLOW.replace("initial:", entry + "initial:", 1), "utf-8")
    with pytest.raises(DefinitionError, match=re.escape(fault)):
        make_engine(bureau, plugin)


def test_an_expectation_reads_only_fields_the_other_workflow_records(
    bureau: Store, tmp_path: Path
) -> None:
    entry = (
        "expected:\n  - after: {workflow: clue, triggers: [assign]}\n"
        "    label: {zh: 跟进, en: Follow up}\n    basis: 规定\n    unit: working_days\n"
        "    days: 5\n    when: {assign.nosuch: [x]}\n"
    )
    plugin = DepartmentPlugin(tmp_path)
    plugin.path.write_text(SAMPLING_WORKFLOW.replace("initial:", entry + "initial:", 1), "utf-8")
    with pytest.raises(DefinitionError, match=r"expected\[0\]\.when\.assign\.nosuch: clue records"):
        make_engine(bureau, plugin)


def test_cli_shows_and_lists_the_owed_publication(
    capsys: pytest.CaptureFixture[str], db: str
) -> None:
    """The CLI on the seeded SQLite bureau of tests/test_cli.py (the commands are the same on
    PostgreSQL; the engine tests above run on both)."""
    store = Store(db)
    walk = decided(make_engine(store, at=datetime(2026, 12, 31, 18, 0))[0])
    store.dispose()
    code, out, _ = run(capsys, "matter", "show", str(walk.matter.id), "--db", db)
    assert code == 0 and "owes a publication matter" in out
    assert f"zhifa matter open publication --follows {walk.matter.id}" in out
    shown = run_json(capsys, "matter", "show", str(walk.matter.id), "--db", db)
    assert [o["follow_up"] for o in shown["owed"]] == ["publication"]
    items = run_json(capsys, "due", "--db", db)
    assert [(i["matter"], i["follow_up"]) for i in items if i["follow_up"]] == [
        (walk.matter.id, "publication")
    ]
    listed = run_json(capsys, "matter", "list", "--due", "--db", db)
    assert any(i["follow_up"] == "publication" for i in listed)
    code, _, err = run(capsys, "matter", "list", "--within", "3", "--db", db)
    assert code == 2 and "--within goes with --due" in err
