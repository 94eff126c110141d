"""Follow-ups inherit, they do not re-key, on SQLite and PostgreSQL: a credit repair that follows a
publication gives the publication's decision number, publication date, category and minor-penalty
flag, and one application of a publication is decided at a time (市场监督管理行政处罚信息公示规定
第十三条、第十四条); a transfer that follows a case or a clue takes the route its parent decided, is
opened once per decision to transfer, and hands the matter to the receiver its parent named
(行政执法机关移送涉嫌犯罪案件的规定 第五条). Seen from the attacker's side: a re-keyed value is refused
in one sentence naming the field, the parent's value and the parent matter, and nothing is
written; the recorded value passes. Matters running on the earlier versions keep their rules."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ENTITY
from tests.helpers import counts, make_engine
from tests.test_workflow_case import Walk, open_case, seed_case_officers
from tests.test_workflow_credit_repair import ALL_MET
from tests.test_workflow_publication import PUBLISHED, Walker, at, decision
from tests.test_workflow_transfer import ALL_MATERIALS, seed_principal
from zhifa.engine import Engine
from zhifa.errors import GuardRefused
from zhifa.hooks.types import MatterView
from zhifa.procedure.credit_repair import minor_of
from zhifa.store import Store
from zhifa.workflow import definitions

D = date
APPLIED = datetime(2026, 12, 1, 10, 0)  # more than 6 months, less than a year, after PUBLISHED
DECISION_NO = "杭西市监处罚〔2026〕12号"


def refused_with(store: Store, action: Any) -> list[str]:
    """The reasons ``action`` is refused for; nothing is written."""
    before = counts(store)
    with pytest.raises(GuardRefused) as err:
        action()
    assert counts(store) == before
    return err.value.reasons


# -- credit repair ↔ the publication it ends early --------------------------------------------------


def published(w: Walker, **extra: Any) -> MatterView:
    """A publication of a decision of PUBLISHED (``extra`` changes its opening data), published
    the same day."""
    return w.publish(w.open(at(PUBLISHED, 9), decision(PUBLISHED, **extra)), at(PUBLISHED))


def application(**changes: Any) -> dict[str, Any]:
    """The publication's facts as recorded (a general penalty, published for 3 years)."""
    data: dict[str, Any] = {
        "decision_no": DECISION_NO,
        "published_on": PUBLISHED.isoformat(),
        "category": "general",
        "minor_only": False,
        "summary": "已缴清罚没款，申请提前停止公示",
    }
    return data | changes


def apply(w: Walker, p: MatterView, when: datetime = APPLIED, **changes: Any) -> MatterView:
    w.clock.set(when)
    return w.engine.open("credit_repair", "C1", application(**changes), follows=p).matter


@pytest.fixture
def w(bureau: Store) -> Walker:
    return Walker(bureau, at(PUBLISHED))


def test_a_repair_giving_the_publications_facts_is_received(w: Walker) -> None:
    p = published(w)
    repair = apply(w, p)
    assert (repair.state, repair.entity_id) == ("applied", p.entity_id)


@pytest.mark.parametrize(
    ("publication", "changes", "fragments"),
    [
        (
            {},
            {"decision_no": "杭西市监处罚〔2026〕13号"},
            ["decision_no 杭西市监处罚〔2026〕13号", DECISION_NO],
        ),
        ({}, {"decision_no": " 杭西市监处罚〔2026〕 12号"}, None),  # the same number, spaced
        ({}, {"published_on": "2026-03-09"}, ["published_on 2026-03-09", "2026-03-10", "publish"]),
        ({}, {"published_on": "2026-03-11"}, ["published_on 2026-03-11", "2026-03-10"]),
        ({}, {"published_on": "2026-03-10"}, None),  # the day of the publish step, the boundary
        ({}, {"category": "food_drug_equipment"}, ["category food_drug_equipment", "general"]),
        (
            {"special_sector": True},
            {"category": "general"},
            ["category general", "food_drug_equipment", "food, drugs or special equipment"],
        ),
        ({"special_sector": True}, {"category": "food_drug_equipment"}, None),
        (
            {"permit_revoked": True},
            {"category": "general"},
            ["category general", "which records severe"],
        ),
        (
            {"permit_revoked": True, "special_sector": True},
            {"category": "food_drug_equipment"},
            ["category food_drug_equipment", "which records severe"],
        ),
        ({"permit_revoked": True}, {"category": "severe"}, None),
        ({}, {"minor_only": True}, ["minor_only True", "which records False", "第十三条"]),
        (
            {"fine_amount": "5000", "confiscation": None},
            {"minor_only": False},
            ["minor_only False", "which records True", "three months"],
        ),
        ({"fine_amount": "10000", "confiscation": None}, {"minor_only": True}, None),  # low fine
    ],
    ids=[
        "other-decision-no",
        "same-decision-no-spaced",
        "published-a-day-before",
        "published-a-day-after",
        "published-on-the-day",
        "food-for-general",
        "general-for-food",
        "food-as-recorded",
        "general-for-severe",
        "food-for-severe",
        "severe-as-recorded",
        "minor-for-long",
        "not-minor-for-short",
        "minor-as-recorded",
    ],
)
def test_a_value_contradicting_the_publication_is_refused(
    bureau: Store,
    w: Walker,
    publication: dict[str, Any],
    changes: dict[str, Any],
    fragments: list[str] | None,
) -> None:
    p = published(w, **publication)
    if fragments is None:
        assert apply(w, p, **changes).state == "applied"
        return
    (reason,) = refused_with(bureau, lambda: apply(w, p, **changes))
    assert all(f in reason for f in fragments), reason
    assert f"contradicts publication matter {p.id}, which records" in reason
    assert reason.count(";") == 1 and "第十" in reason  # one sentence, citing the rule


def test_every_contradiction_is_a_reason(bureau: Store, w: Walker) -> None:
    p = published(w)
    changes = {"decision_no": "X", "published_on": "2026-03-01", "category": "severe"}
    reasons = refused_with(bureau, lambda: apply(w, p, minor_only=True, **changes))
    assert [r.split()[0] for r in reasons] == [
        "decision_no",
        "published_on",
        "category",
        "minor_only",
    ]


@pytest.mark.parametrize(
    ("fine", "ends_on", "minor"),
    [
        ("20000", "2026-06-10", True),  # a department's threshold above 20000 gave 3 months
        ("20000", "2029-03-10", False),
        ("5000", None, True),  # no end date recorded: the national default (10000)
        ("10000.01", None, False),
    ],
)
def test_minor_only_follows_the_recorded_publicity_period(
    fine: str, ends_on: str | None, minor: bool
) -> None:
    """minor_only is what the publication's publish step recorded: a publicity end date three
    months after publication, which a department's low-fine threshold decided."""
    opened = decision(PUBLISHED, fine_amount=fine, confiscation=None)
    assert minor_of(opened, PUBLISHED, ends_on) is minor


def test_a_repair_following_nothing_is_not_compared(w: Walker) -> None:
    w.clock.set(APPLIED)
    data = application(decision_no="另一文号", category="general", published_on="2025-01-01")
    repair = w.engine.open("credit_repair", "C1", data, entity=ENTITY).matter
    assert repair.state == "applied"


# one application decided at a time (第十四条)


def test_a_second_application_waits_for_the_first(bureau: Store, w: Walker) -> None:
    p = published(w)
    first = apply(w, p)
    (reason,) = refused_with(bureau, lambda: apply(w, p, APPLIED + timedelta(hours=1)))
    assert reason.startswith(f"credit repair matter {first.id} (applied) already applies to end")
    assert f"publication matter {p.id}" in reason and "第十四条" in reason
    refused = w.step(first, "refuse", "H1", APPLIED + timedelta(days=1), {"reasons": "条件未满足"})
    assert refused.state == "refused"
    again = apply(w, p, APPLIED + timedelta(days=2))  # after a refusal the entity applies again
    assert again.state == "applied"


def test_no_application_after_one_was_approved(bureau: Store, w: Walker) -> None:
    p = published(w)
    first = apply(w, p)
    stops = (APPLIED + timedelta(days=5)).date().isoformat()
    approved = w.step(
        first, "approve", "H1", APPLIED + timedelta(days=1), ALL_MET | {"stopped_on": stops}
    )
    assert approved.state == "stopped"
    # the publication still runs until the stop date: a second application is refused
    (reason,) = refused_with(bureau, lambda: apply(w, p, APPLIED + timedelta(days=2)))
    assert f"credit repair matter {first.id} (stopped)" in reason


def test_another_publication_may_be_repaired(w: Walker) -> None:
    one, two = published(w), published(w)
    assert apply(w, one).id != apply(w, two).id


# -- transfer ↔ the case or clue it follows -----------------------------------------------------------

POLICE = "杭州市公安局西湖区分局"
REPORTED = datetime(2026, 3, 3, 9, 0)
CRIME = {"route": "crime", "team": ["C1", "C2"], "summary": "涉嫌生产、销售不符合安全标准的食品罪"}


@pytest.fixture
def engine(bureau: Store) -> Engine:
    seed_case_officers(bureau)
    seed_principal(bureau)
    return make_engine(bureau, at=datetime(2026, 12, 31, 18, 0))[0]


def transferred_case(engine: Engine, organ: str = POLICE) -> Walk:
    """A case opened on 2 March 2026 and sent to judicial organs the same day."""
    walk = open_case(engine, D(2026, 3, 2))
    walk.do("transfer", "H1", D(2026, 3, 2), {"organ": organ, "reason": "涉嫌犯罪"})
    return walk


def report(
    engine: Engine, parent: MatterView, at: datetime = REPORTED, **changes: Any
) -> MatterView:
    return engine.open("transfer", "C1", CRIME | changes, at, follows=parent).matter


def approved(engine: Engine, t: MatterView) -> MatterView:
    when = REPORTED + timedelta(hours=2)
    return engine.advance(t, "approve", "P1", {"opinion": "同意移送"}, when).matter


def hand(engine: Engine, t: MatterView, police_unit: str = POLICE) -> MatterView:
    data = {"police_unit": police_unit, **ALL_MATERIALS}
    return engine.advance(t, "hand_to_police", "C1", data, REPORTED + timedelta(hours=5)).matter


def handed(engine: Engine, t: MatterView, police_unit: str = POLICE) -> MatterView:
    return hand(engine, approved(engine, t), police_unit)


def test_a_transfer_carrying_out_the_cases_decision_is_reported(engine: Engine) -> None:
    case = transferred_case(engine).matter
    t = report(engine, case)
    assert (t.state, t.entity_id) == ("reported", case.entity_id)
    assert handed(engine, t).state == "transferred"
    # the receiver is compared spaces aside
    other = transferred_case(engine).matter
    assert handed(engine, report(engine, other), " 杭州市公安局 西湖区分局").state == "transferred"


def test_a_transfer_of_a_case_on_another_route_is_refused(bureau: Store, engine: Engine) -> None:
    case = transferred_case(engine).matter
    team = {"team": ["C1"]}  # a hand-over needs no team of two: only the route is refused
    (reason,) = refused_with(bureau, lambda: report(engine, case, route="department", **team))
    assert reason.startswith(
        f"route department contradicts case matter {case.id}, which records crime (its transfer "
        "step sent it to judicial organs"
    )
    assert "第二十七条" in reason


def test_a_hand_over_of_a_clue_on_the_crime_route_is_refused(bureau: Store, engine: Engine) -> None:
    opening = {"source": "referral", "summary": "非本部门管辖的线索"}
    clue = engine.open("clue", "C1", opening, datetime(2026, 2, 10, 9), entity=ENTITY).matter
    data = {"to_department": "西湖区卫生健康局", "reason": "不属于本部门管辖"}
    clue = engine.advance(clue, "hand_over", "H1", data, datetime(2026, 2, 11, 9)).matter
    (reason,) = refused_with(bureau, lambda: report(engine, clue))
    assert reason.startswith(
        f"route crime contradicts clue matter {clue.id}, which records department"
    )
    t = report(engine, clue, team=["C1"], route="department")
    assert t.state == "reported"
    # the department the clue named, not another
    when = REPORTED + timedelta(hours=1)
    other = {"to_department": "西湖区农业农村局", "reason": "不属于本部门管辖"}
    (reason,) = refused_with(
        bureau, lambda: engine.advance(t, "decide_hand_over", "H1", other, when)
    )
    assert reason.startswith(
        f"to_department 西湖区农业农村局 contradicts clue matter {clue.id}, which records "
        "西湖区卫生健康局 (the to_department of its hand_over step)"
    )
    assert engine.advance(t, "decide_hand_over", "H1", data, when).matter.state == "handing_over"


@pytest.mark.parametrize(
    ("police_unit", "ok"),
    [
        (POLICE, True),
        ("杭州市公安局上城区分局", False),
        ("杭州市公安局", False),
    ],
    ids=["as-decided", "another-unit", "the-city-bureau"],
)
def test_the_case_goes_to_the_police_body_the_case_named(
    bureau: Store, engine: Engine, police_unit: str, ok: bool
) -> None:
    case = transferred_case(engine).matter
    t = approved(engine, report(engine, case))
    if ok:
        assert hand(engine, t, police_unit).state == "transferred"
        return
    (reason,) = refused_with(bureau, lambda: hand(engine, t, police_unit))
    assert reason.startswith(
        f"police_unit {police_unit} contradicts case matter {case.id}, which records {POLICE} "
        "(the organ of its transfer step)"
    )


def test_a_decision_to_transfer_is_carried_out_once(bureau: Store, engine: Engine) -> None:
    walk = transferred_case(engine)
    first = report(engine, walk.matter)
    (reason,) = refused_with(bureau, lambda: report(engine, walk.matter))
    assert reason.startswith(
        f"transfer matter {first.id} already carries out the decision of case matter "
        f"{walk.matter.id} to transfer it (transfer of 2026-03-02)"
    )
    # the police decline, the case is taken back and transferred again: one more transfer
    t = handed(engine, first)
    notice = {"notice_no": "不立字1号", "reason": "不构成犯罪"}
    t = engine.advance(t, "police_decline", "C1", notice, datetime(2026, 3, 4, 9)).matter
    engine.advance(
        t, "resume_administrative", "H1", {"note": "恢复行政处理"}, datetime(2026, 3, 4, 10)
    )
    walk.do("take_back", "H1", D(2026, 3, 5), {"reason": "公安机关不予立案"})
    walk.do("transfer", "H1", D(2026, 3, 9), {"organ": POLICE, "reason": "发现新的犯罪事实"})
    second = report(engine, walk.matter, datetime(2026, 3, 9, 11))
    assert second.id != first.id
    (reason,) = refused_with(bureau, lambda: report(engine, walk.matter, datetime(2026, 3, 9, 12)))
    assert f"transfer matter {second.id} already carries out" in reason


def test_a_transfer_following_nothing_is_not_compared(engine: Engine) -> None:
    t = engine.open("transfer", "C1", CRIME, REPORTED, entity=ENTITY).matter
    assert handed(engine, t, "任一公安机关").state == "transferred"


# -- matters on the earlier versions keep their rules ----------------------------------------------------

NEW_GUARD_LINES = (
    "    - transfer_matches_followed\n",
    "    - transfer_once_per_decision\n",
    "      - {name: transfer_receiver_as_decided, field: police_unit}\n",
    "      - {name: transfer_receiver_as_decided, field: to_department}\n",
)


def test_a_transfer_on_version_1_keeps_its_rules(
    bureau: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A transfer opened before version 2 is handed over under version 1's rules: no receiver
    check; one opened on version 2 is checked."""
    seed_case_officers(bureau)
    seed_principal(bureau)
    shipped = definitions.builtin_workflow_files()
    for path in shipped:
        text = path.read_text("utf-8")
        if path.name == "transfer.yaml":
            assert "\nversion: 2\n" in text
            text = text.replace("\nversion: 2\n", "\nversion: 1\n")
            for line in NEW_GUARD_LINES:
                assert line in text
                text = text.replace(line, "")
        (tmp_path / path.name).write_text(text, "utf-8")
    monkeypatch.setattr(
        definitions, "builtin_workflow_files", lambda: sorted(tmp_path.glob("*.yaml"))
    )
    before, _ = make_engine(bureau, at=datetime(2026, 12, 31, 18, 0))
    case = transferred_case(before).matter
    old = report(before, case)
    assert old.workflow_version == 1
    monkeypatch.undo()
    after, _ = make_engine(bureau, at=datetime(2026, 12, 31, 18, 0))
    assert after.definition("transfer").version == 2
    assert handed(after, old, "杭州市公安局上城区分局").state == "transferred"  # version 1
    other = transferred_case(after).matter
    new = report(after, other)
    assert new.workflow_version == 2
    new = approved(after, new)
    with pytest.raises(GuardRefused):
        hand(after, new, "杭州市公安局上城区分局")


# -- the accountability review ----------------------------------------------------------------------


def test_an_accountability_review_follows_no_matter_and_rekeys_none(engine: Engine) -> None:
    """The review is opened for an entity (--entity) and reads every officer's steps from the
    record; it repeats no fact of another matter, so there is nothing for it to inherit."""
    review = engine.definition("accountability")
    assert review.follows == {}
    assert set(review.open.fields) == {"incident_date", "incident", "window_from", "window_to"}
