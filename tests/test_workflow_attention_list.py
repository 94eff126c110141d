"""The key-attention list (重点关注名单, 周改办发〔2020〕4号): opened only when the record holds enough
minor violations within the window (the count's and the window's edges, what does not count), the
interview within its working days across National Day, the listing when the reminder changed
nothing, the risk warning, the removal after the months without a new violation (the last day
inside, the first day after) or earlier on an approved rectification; roles, an attacker's
attempts, one matter at a time; and the listing in the entity's credit file — on SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from docx import Document

from tests.conftest import DEPT, ENTITY
from tests.helpers import counts
from tests.test_credit_file import decided_heavy
from tests.test_workflow_case import CONCLUDE, NO_PENALTY, Walk, open_case, open_data
from tests.test_workflow_serious_list import listing_engine
from zhifa.calendar import WorkCalendar
from zhifa.credit import entity_file
from zhifa.credit.records import sync
from zhifa.credit.report import write_report
from zhifa.engine import Engine
from zhifa.errors import FieldError, GuardRefused, PermissionRefused, RefusedError
from zhifa.hooks.types import MatterView
from zhifa.procedure.attention_list import EFFECT, clean_until
from zhifa.procedure.minor_violations import minor_violations
from zhifa.rules.credit import NATIONAL_SCHEME, parse_credit_scheme, window_start
from zhifa.store import Store
from zhifa.store.tables import CreditRecord, Entity, Officer

D = date
V1, V2, V3 = D(2026, 3, 10), D(2026, 4, 14), D(2026, 5, 12)  # three minor violations
OPENED = D(2026, 5, 13)
INTERVIEWED = D(2026, 5, 14)
RECTIFY_BY = D(2026, 5, 29)
LISTED = D(2026, 6, 1)  # a Monday
SUMMARY = {"summary": "一年内三次轻微违法"}


@pytest.fixture
def engine(bureau: Store) -> Engine:
    """The bureau with the case officers, H9 (a head certified to 2031) and I1, an inspector only."""
    with bureau.write() as s:
        s.add(
            Officer(
                id="I1",
                name="检查员",
                department_code=DEPT,
                roles="inspector",
                certificate_no="ZF-I1",
                certificate_valid_from=D(2024, 1, 1),
                certificate_valid_to=D(2031, 12, 31),
            )
        )
    return listing_engine(bureau)  # after I1: on PostgreSQL every officer signs in first


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0)


# -- minor violations on record ---------------------------------------------------------------------


def spot_fine(engine: Engine, day: date) -> Walk:
    """A 200-yuan fine decided on the spot on ``day`` (a minor violation)."""
    walk = open_case(
        engine, day, "C1", procedure="simple", party_kind="person", act_date=day.isoformat()
    )
    data = {"facts_conclusive": True, "legal_basis": "x", "penalty_kind": "fine", "fine": "200"}
    walk.do("decide_on_the_spot", "C1", day, data)
    return walk


def not_penalised(engine: Engine, day: date, ground: str = "minor_corrected_no_harm") -> Walk:
    """A case decided on ``day`` not to penalise, on ``ground``."""
    grounds = {
        "minor_corrected_no_harm": (True, False, "none"),
        "first_violation_slight_harm": (True, True, "slight"),
        "facts_not_established": (False, False, "none"),
        "no_fault": (False, False, "more"),
    }
    corrected, first, harm = grounds[ground]
    walk = open_case(engine, day, act_date=day.isoformat())
    walk.do("conclude_investigation", "C1", day, CONCLUDE)
    data = {**NO_PENALTY, "ground": ground, "corrected": corrected, "first_violation": first}
    walk.do("decide_no_penalty", "H1", day, {**data, "harm": harm})
    return walk


def three_violations(engine: Engine) -> None:
    spot_fine(engine, V1)
    not_penalised(engine, V2, "first_violation_slight_harm")
    spot_fine(engine, V3)


def entity_id(store: Store) -> int:
    with store.read() as s:
        found = s.scalar(sa.select(Entity.id).where(Entity.uscc == ENTITY))
    assert found is not None
    return found


# -- steps --------------------------------------------------------------------------------------------


def open_matter(engine: Engine, day: date, actor: str = "C1") -> MatterView:
    return engine.open("attention_list", actor, SUMMARY, at(day), entity=ENTITY).matter


def refused_open(engine: Engine, store: Store, day: date) -> str:
    before = counts(store)
    with pytest.raises(GuardRefused) as err:
        open_matter(engine, day)
    assert counts(store) == before  # a refusal writes nothing
    return " ".join(err.value.reasons)


HEAD_STEPS = ("resolve", "decide_listing", "approve_removal", "refuse_removal")


def do(engine: Engine, m: MatterView, trigger: str, day: date, **data: Any) -> MatterView:
    actor = "H9" if trigger in HEAD_STEPS else "C1"
    return engine.advance(m, trigger, actor, data, at(day, 11)).matter


def refused(engine: Engine, m: MatterView, trigger: str, day: date, **data: Any) -> str:
    with pytest.raises(GuardRefused) as err:
        do(engine, m, trigger, day, **data)
    return " ".join(err.value.reasons)


def interview(**more: Any) -> dict[str, Any]:
    return {
        "officers": ["C1", "C2"],
        "attended": True,
        "entity_participants": "张三（法定代表人）",
        "content": "告知一年内三次违法，督促规范进货查验",
        **more,
    }


LISTING = {"decision_no": "杭西市监关注〔2026〕1号", "finding": "约定期限届满仍未整改"}
WARNING = {"departments": "区商务局、区卫健局", "content": "该企业一年内多次违法，列入重点关注"}


def interviewed(engine: Engine) -> MatterView:
    three_violations(engine)
    m = open_matter(engine, OPENED)
    return do(engine, m, "interview", INTERVIEWED, **interview(rectify_by=RECTIFY_BY.isoformat()))


def listed(engine: Engine) -> MatterView:
    """Listed on :data:`LISTED` for the correction not made by 29 May, warned the next day."""
    m = interviewed(engine)
    m = do(engine, m, "decide_listing", LISTED, ground="not_rectified", **LISTING)
    served = D(2026, 6, 2)
    return do(engine, m, "warn", served, entity_served_on=served.isoformat(), **WARNING)


# -- the threshold ----------------------------------------------------------------------------------


def test_two_violations_are_refused_and_the_third_opens(engine: Engine, bureau: Store) -> None:
    spot_fine(engine, V1)
    not_penalised(engine, V2, "first_violation_slight_harm")
    reason = refused_open(engine, bureau, OPENED)
    assert "has 2 minor violation(s) on record from 2025-05-13 to 2026-05-13" in reason
    assert "fewer than the 3 within 12 months" in reason and "周改办发〔2020〕4号" in reason
    spot_fine(engine, V3)
    opened = engine.open("attention_list", "C1", SUMMARY, at(OPENED), entity=ENTITY)
    assert opened.matter.state == "noticed"
    (effect,) = opened.event.data["_effects"]
    assert effect["kind"] == EFFECT
    counted = effect["payload"]
    assert (counted["count"], counted["threshold"], counted["months"]) == (3, 3, 12)
    assert [v["on"] for v in counted["violations"]] == [
        V1.isoformat(),
        V2.isoformat(),
        V3.isoformat(),
    ]
    assert [v["step"] for v in counted["violations"]] == [
        "decide_on_the_spot", "decide_no_penalty", "decide_on_the_spot",
    ]  # fmt: skip


def test_the_window_edges(engine: Engine, bureau: Store) -> None:
    """On 10 March 2027 the 12 months start on 10 March 2026, so the fine of that day counts; on
    11 March 2027 it is one day before the window and only two are left."""
    assert window_start(D(2027, 3, 10), 12) == V1
    three_violations(engine)
    reason = refused_open(engine, bureau, D(2027, 3, 11))
    assert "has 2 minor violation(s) on record from 2026-03-11 to 2027-03-11" in reason
    assert "case matter" in reason and str(V1) not in reason
    assert open_matter(engine, D(2027, 3, 10)).state == "noticed"


def test_what_is_no_minor_violation_does_not_count(engine: Engine, bureau: Store) -> None:
    """A heavier penalty (serious list territory), no penalty for facts not established or for
    want of fault, and a fine revoked on review: none counts, whatever the case says."""
    decided_heavy(engine, "production_restriction")  # 4 March 2026
    not_penalised(engine, D(2026, 3, 5), "facts_not_established")
    not_penalised(engine, D(2026, 3, 6), "no_fault")
    revoked = spot_fine(engine, D(2026, 3, 9))
    revoked.do(
        "apply_for_review",
        "C1",
        D(2026, 3, 10),
        {"kind": "administrative_review", "body": "区政府"},
    )
    revoked.do("conclude_review", "C1", D(2026, 4, 20), {"outcome": "revoked"})
    spot_fine(engine, V2)
    spot_fine(engine, V3)
    assert "has 2 minor violation(s)" in refused_open(engine, bureau, OPENED)
    not_penalised(engine, OPENED, "minor_corrected_no_harm")
    assert open_matter(engine, OPENED).state == "noticed"


def test_the_count_as_of_a_day_before_the_revocation(engine: Engine, bureau: Store) -> None:
    """The record as it stood on a day: a fine revoked on 20 April still counted on 19 April."""
    walk = spot_fine(engine, D(2026, 3, 9))
    walk.do("apply_for_review", "C1", D(2026, 3, 10), {"kind": "lawsuit", "body": "西湖区法院"})
    walk.do("conclude_review", "C1", D(2026, 4, 20), {"outcome": "revoked"})
    with bureau.read() as s:
        before = minor_violations(s, entity_id(bureau), D(2026, 1, 1), D(2026, 4, 19))
        after = minor_violations(s, entity_id(bureau), D(2026, 1, 1), D(2026, 4, 20))
    assert [v.matter_id for v in before] == [walk.matter.id] and after == []


def test_an_inspection_finding_counts_once_and_goes_with_its_case(
    engine: Engine, bureau: Store
) -> None:
    """An inspection that found a violation counts until the case on its clue decides; then the
    case's decision counts instead (here: facts not established, so nothing)."""
    checklist = "A1: 经营者资质\nA2: 食品贮存条件"
    data = {"source": "targeted", "summary": "重点检查", "checklist": checklist}
    day = D(2026, 3, 2)
    m = engine.open("inspection", "C1", data, at(day, 8), entity=ENTITY).matter
    m = engine.advance(m, "assign", "H1", {"inspectors": ["C1", "C2"]}, at(day, 9)).matter
    m = engine.advance(m, "start", "C1", {"present": ["C1", "C2"]}, at(day, 10)).matter
    result = {"results": "A1: pass\nA2: violation 冷藏温度超标", "clue_to_open": True}
    m = engine.advance(
        m, "record_result", "C2", {**result, "clue_summary": "冷藏不当"}, at(day, 11)
    ).matter
    clue = engine.open(
        "clue", "C1", {"source": "inspection", "summary": "冷藏不当"}, at(D(2026, 3, 3)), follows=m
    ).matter
    clue = engine.advance(clue, "assign", "H1", {"verifiers": ["C1"]}, at(D(2026, 3, 3), 11)).matter
    opening = {"act_date": "2026-03-02", "handlers": ["C1", "C2"], "violation": "冷藏不当"}
    clue = engine.advance(clue, "open_case", "H1", opening, at(D(2026, 3, 4))).matter
    case = engine.open(
        "case",
        "H1",
        open_data(act_date="2026-03-02", violation="冷藏不当"),
        at(D(2026, 3, 5)),
        follows=clue,
    ).matter
    walk = Walk(engine, case)
    walk.do("conclude_investigation", "C1", D(2026, 3, 6), CONCLUDE)
    walk.do("decide_no_penalty", "H1", D(2026, 3, 9), {**NO_PENALTY, "harm": "none"})
    with bureau.read() as s:
        on_the_sixth = minor_violations(s, entity_id(bureau), D(2026, 1, 1), D(2026, 3, 6))
        on_the_ninth = minor_violations(s, entity_id(bureau), D(2026, 1, 1), D(2026, 3, 9))
    assert [(v.workflow, v.on, v.what) for v in on_the_sixth] == [("inspection", day, "found A2")]
    assert on_the_ninth == []


# -- the interview ----------------------------------------------------------------------------------


def test_the_interview_within_ten_working_days_across_national_day(engine: Engine) -> None:
    """Opened on Wednesday 30 September 2026: 1–7 October are the holiday and Saturday 10 October
    a make-up working day, so the tenth working day is Tuesday 20 October."""
    three_violations(engine)
    opened = D(2026, 9, 30)
    assert WorkCalendar().add_working_days(opened, 10).due == D(2026, 10, 20)
    m = open_matter(engine, opened)
    late = refused(engine, m, "interview", D(2026, 10, 21), **interview())
    assert "allows 10 working days from 2026-09-30, to 2026-10-20; 2026-10-21 is late" in late
    assert "delay_reason" in late
    assert do(engine, m, "interview", D(2026, 10, 20), **interview()).state == "interviewed"


def test_a_late_interview_with_its_reason(engine: Engine) -> None:
    three_violations(engine)
    m = open_matter(engine, D(2026, 9, 30))
    m = do(engine, m, "interview", D(2026, 10, 21), **interview(delay_reason="负责人出差"))
    assert m.state == "interviewed"


def test_the_interview_names_who_attended_and_a_later_deadline(engine: Engine) -> None:
    three_violations(engine)
    m = open_matter(engine, OPENED)
    reason = refused(
        engine,
        m,
        "interview",
        INTERVIEWED,
        **interview(entity_participants=" ", rectify_by=INTERVIEWED.isoformat()),
    )
    assert "entity_participants" in reason and "is due after it, not on 2026-05-14" in reason
    with pytest.raises(FieldError):
        do(engine, m, "interview", INTERVIEWED, **{**interview(), "content": None})
    m = do(
        engine, m, "interview", INTERVIEWED, **interview(attended=False, entity_participants=None)
    )
    assert m.state == "interviewed"


# -- resolved, or listed ------------------------------------------------------------------------------


def test_the_interview_resolves_it(engine: Engine, bureau: Store) -> None:
    m = interviewed(engine)
    assert "give the day it was made in rectified_on" in refused(
        engine, m, "resolve", LISTED, finding="已整改"
    )
    late = refused(engine, m, "resolve", LISTED, finding="已整改", rectified_on="2026-05-30")
    assert "due by 2026-05-29 and made on 2026-05-30, late" in late and "not_rectified" in late
    m = do(engine, m, "resolve", LISTED, finding="已按期整改", rectified_on="2026-05-29")
    assert m.state == "resolved"
    # the violations the matter dealt with do not open another
    reason = refused_open(engine, bureau, D(2026, 6, 2))
    assert "from 2026-06-02 to 2026-06-02, after the earlier matter ended on 2026-06-01" in reason


def test_a_new_violation_after_the_interview_bars_the_resolution_and_grounds_the_listing(
    engine: Engine,
) -> None:
    m = interviewed(engine)
    assert "no minor violation of the entity is on record after the interview" in refused(
        engine, m, "decide_listing", D(2026, 5, 20), ground="new_violation", **LISTING
    )
    again = spot_fine(engine, D(2026, 5, 21))
    reason = refused(engine, m, "resolve", D(2026, 5, 22), finding="x", rectified_on="2026-05-20")
    assert f"case matter {again.matter.id} on 2026-05-21" in reason and "new_violation" in reason
    step = engine.advance(
        m, "decide_listing", "H9", {"ground": "new_violation", **LISTING}, at(D(2026, 5, 22))
    )
    assert step.matter.state == "listed"
    (effect,) = step.event.data["_effects"]
    assert [v["matter"] for v in effect["payload"]["violations"]] == [again.matter.id]


def test_not_rectified_only_after_the_deadline(engine: Engine) -> None:
    m = interviewed(engine)
    assert "only from the day after, not on 2026-05-29" in refused(
        engine, m, "decide_listing", RECTIFY_BY, ground="not_rectified", **LISTING
    )
    assert "so it did not refuse it" in refused(
        engine, m, "decide_listing", LISTED, ground="interview_refused", **LISTING
    )
    assert (
        do(engine, m, "decide_listing", LISTED, ground="not_rectified", **LISTING).state == "listed"
    )


def test_no_listing_once_a_counted_fine_is_revoked(engine: Engine) -> None:
    """Counted again at the listing: the fine of 10 March, revoked on review after the interview,
    no longer counts, so two violations remain and nothing grounds a listing."""
    first = spot_fine(engine, V1)
    not_penalised(engine, V2, "first_violation_slight_harm")
    spot_fine(engine, V3)
    m = open_matter(engine, OPENED)
    m = do(engine, m, "interview", INTERVIEWED, **interview(rectify_by=RECTIFY_BY.isoformat()))
    review = {"kind": "administrative_review", "body": "区政府"}
    first.do("apply_for_review", "C1", D(2026, 5, 15), review)
    first.do("conclude_review", "C1", D(2026, 5, 28), {"outcome": "revoked"})
    reason = refused(engine, m, "decide_listing", LISTED, ground="not_rectified", **LISTING)
    assert "from 2025-05-13, 2 remain on record on 2026-06-01" in reason
    assert f"case matter {first.matter.id}" not in reason and "fewer than the 3" in reason


def test_an_interview_refused_grounds_the_listing(engine: Engine) -> None:
    three_violations(engine)
    m = open_matter(engine, OPENED)
    m = do(
        engine, m, "interview", INTERVIEWED, **interview(attended=False, entity_participants=None)
    )
    assert "did not attend the interview" in refused(engine, m, "resolve", LISTED, finding="x")
    m = do(engine, m, "decide_listing", LISTED, ground="interview_refused", **LISTING)
    assert m.state == "listed"


def test_the_risk_warning_within_five_working_days_across_national_day(engine: Engine) -> None:
    """Listed on Wednesday 30 September 2026: the fifth working day is Tuesday 13 October (8, 9,
    Saturday 10, 12 and 13 October)."""
    three_violations(engine)
    m = open_matter(engine, D(2026, 9, 1))
    m = do(engine, m, "interview", D(2026, 9, 2), **interview(rectify_by="2026-09-15"))
    m = do(engine, m, "decide_listing", D(2026, 9, 30), ground="not_rectified", **LISTING)
    served = {"entity_served_on": "2026-10-09", **WARNING}
    late = refused(engine, m, "warn", D(2026, 10, 14), **served)
    assert "to 2026-10-13; 2026-10-14 is late" in late
    early = refused(
        engine, m, "warn", D(2026, 10, 13), **{**served, "entity_served_on": "2026-09-29"}
    )
    assert "from the listing of 2026-09-30" in early
    assert do(engine, m, "warn", D(2026, 10, 13), **served).state == "warned"


# -- removal ----------------------------------------------------------------------------------------


def test_removed_after_twelve_months_the_last_day_inside_and_the_first_after(
    engine: Engine,
) -> None:
    assert clean_until(LISTED, None, 12) == D(2027, 6, 1)
    m = listed(engine)
    reason = refused(engine, m, "remove", D(2027, 6, 1))
    assert "since the listing of 2026-06-01 end on 2027-06-01" in reason
    assert "removed from 2027-06-02, not on 2027-06-01" in reason
    assert do(engine, m, "remove", D(2027, 6, 2)).state == "removed"


def test_a_new_violation_restarts_the_period_and_bars_the_early_removal(engine: Engine) -> None:
    m = listed(engine)
    again = spot_fine(engine, D(2026, 8, 4))
    m = do(
        engine,
        m,
        "apply_for_removal",
        D(2026, 9, 1),
        rectification="已整改",
        rectified_on="2026-08-31",
    )
    reason = refused(engine, m, "approve_removal", D(2026, 9, 2), finding="整改到位")
    assert f"case matter {again.matter.id} on 2026-08-04" in reason and "did not hold" in reason
    m = do(engine, m, "refuse_removal", D(2026, 9, 2), reason="列入后又有违法")
    assert f"case matter {again.matter.id} on 2026-08-04" in refused(
        engine, m, "remove", D(2027, 6, 2)
    )
    assert "end on 2027-08-04" in refused(engine, m, "remove", D(2027, 8, 4))
    assert do(engine, m, "remove", D(2027, 8, 5)).state == "removed"


def test_early_removal_on_rectification_approved_by_the_head(engine: Engine) -> None:
    m = listed(engine)
    assert "not on 2026-05-31" in refused(
        engine, m, "apply_for_removal", D(2026, 7, 1), rectification="x", rectified_on="2026-05-31"
    )
    m = do(
        engine,
        m,
        "apply_for_removal",
        D(2026, 7, 1),
        rectification="已建立进货查验制度",
        rectified_on="2026-06-30",
    )
    with pytest.raises(PermissionRefused):
        engine.advance(m, "approve_removal", "C1", {"finding": "整改到位"}, at(D(2026, 7, 2)))
    assert (
        do(engine, m, "approve_removal", D(2026, 7, 2), finding="整改到位").state == "removed_early"
    )


# -- roles, attackers, once ---------------------------------------------------------------------------


def test_an_inspector_neither_opens_nor_lists_and_a_case_handler_does_not_list(
    engine: Engine,
) -> None:
    three_violations(engine)
    with pytest.raises(PermissionRefused):
        open_matter(engine, OPENED, actor="I1")
    m = open_matter(engine, OPENED)
    m = do(engine, m, "interview", INTERVIEWED, **interview(rectify_by=RECTIFY_BY.isoformat()))
    data = {"ground": "not_rectified", **LISTING}
    for officer in ("I1", "C1"):
        with pytest.raises(PermissionRefused):
            engine.advance(m, "decide_listing", officer, data, at(LISTED))
    assert engine.advance(m, "decide_listing", "H9", data, at(LISTED)).matter.state == "listed"


def test_an_attacker_cannot_list_without_the_records(engine: Engine, bureau: Store) -> None:
    """Typing a count is refused as no field of the step; a listing straight after the opening
    is no step of the workflow; without the records nothing is opened, whoever asks."""
    spot_fine(engine, V1)
    not_penalised(engine, V2, "facts_not_established")
    with pytest.raises(FieldError):
        engine.open("attention_list", "H9", {**SUMMARY, "violations": 3}, at(OPENED), entity=ENTITY)
    for officer in ("C1", "H9"):
        with pytest.raises(GuardRefused) as err:
            open_matter(engine, OPENED, actor=officer)
        assert "has 1 minor violation(s)" in err.value.reasons[0]
    with pytest.raises(GuardRefused) as err:
        engine.open("attention_list", "H9", SUMMARY, at(OPENED))
    assert "open it with --entity" in " ".join(err.value.reasons)
    spot_fine(engine, V3)
    not_penalised(engine, V3)
    m = open_matter(engine, OPENED)
    with pytest.raises(RefusedError):
        engine.advance(
            m, "decide_listing", "H9", {"ground": "new_violation", **LISTING}, at(OPENED)
        )


def test_listed_once(engine: Engine, bureau: Store) -> None:
    m = listed(engine)
    reason = refused_open(engine, bureau, D(2026, 6, 3))
    assert f"already on attention_list matter {m.id} (warned)" in reason
    with pytest.raises(RefusedError):
        do(engine, m, "decide_listing", D(2026, 6, 3), ground="not_rectified", **LISTING)


# -- the credit file ----------------------------------------------------------------------------------


def test_the_listing_and_its_end_are_in_the_file_and_a_scheme_may_class_on_them(
    engine: Engine, bureau: Store
) -> None:
    """A department that draws listed entities more often counts the listing in its scheme,
    until its end (the national scheme does not: the list is a local one)."""
    watched = parse_credit_scheme(
        {
            "name": "attention",
            "version": "1",
            "bands": [{"class": "A", "from": 0}, {"class": "B"}],
            "overrides": [
                {
                    "class": "C",
                    "kind": "attention_list",
                    "ended_by": "attention_list_end",
                    "months": 36,
                    "reason": "重点关注名单",
                }
            ],
        }
    )
    m = listed(engine)
    m = do(
        engine,
        m,
        "apply_for_removal",
        D(2026, 7, 1),
        rectification="已整改",
        rectified_on="2026-06-30",
    )
    do(engine, m, "approve_removal", D(2026, 7, 2), finding="整改到位")
    now = datetime(2027, 12, 31)
    records = entity_file(bureau, ENTITY, NATIONAL_SCHEME, D(2026, 7, 2), now).records
    mine = [(r.kind, r.on, r.flags) for r in records if r.matter_id == m.id]
    assert mine == [
        ("attention_list", LISTED, ("not_rectified",)),
        ("attention_list_end", D(2026, 7, 2), ()),
    ]

    def cls(day: date) -> str:
        return entity_file(bureau, ENTITY, watched, day, now).now.credit_class

    assert [cls(d) for d in (D(2026, 5, 31), LISTED, D(2026, 7, 1), D(2026, 7, 2))] == [
        "A", "C", "C", "A",
    ]  # fmt: skip


# -- the credit report ------------------------------------------------------------------------------


def test_the_listing_is_in_the_internal_report_only(
    engine: Engine, bureau: Store, tmp_path: Path
) -> None:
    """The key-attention list warns the departments concerned: the internal credit report lists
    it, the public edition (for the entity or a third party) does not."""
    listed(engine)
    now = datetime(2026, 12, 31, 18, 0)
    for public, name in ((False, "内部.docx"), (True, "公开.docx")):
        done = write_report(bureau, ENTITY, NATIONAL_SCHEME, D(2026, 12, 31), now,
                            tmp_path / name, public=public)  # fmt: skip
        words = "\n".join(p.text for p in Document(str(done.path)).paragraphs)
        cells = "\n".join(
            c.text for t in Document(str(done.path)).tables for r in t.rows for c in r.cells
        )
        assert ("重点关注名单" in words + cells) is not public, name


def test_a_violation_corrected_on_objection_stops_counting(engine: Engine, bureau: Store) -> None:
    """A fine whose credit record an upheld objection corrected said it wrongly: from the day of
    the upholding it counts no more (the day before, it still did)."""
    three_violations(engine)
    with bureau.write() as s:
        sync(s, at(OPENED))
        (record,) = s.scalars(
            sa.select(CreditRecord.id).where(CreditRecord.kind == "penalty", CreditRecord.on == V3)
        )
    data = {"record": record, "grounds": "处罚对象错误，非本企业", "asks": "remove"}
    m = engine.open("credit_objection", "C1", data, at(OPENED), entity=ENTITY).matter
    upheld = D(2026, 5, 15)
    engine.advance(m, "uphold", "H1", {"finding": "对象错误", "correction": "删除"}, at(upheld))
    with bureau.read() as s:
        before = minor_violations(s, entity_id(bureau), V1, upheld - timedelta(days=1))
        after = minor_violations(s, entity_id(bureau), V1, upheld)
    assert [v.on for v in before] == [V1, V2, V3]
    assert [v.on for v in after] == [V1, V2]
    assert "has 2 minor violation(s) on record" in refused_open(engine, bureau, upheld)
