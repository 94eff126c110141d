"""Rules of the consumer complaint (投诉): 市场监督管理投诉举报处理暂行办法 (SAMR Order 20, 2019, as
amended in 2022).

A complaint names the business complained about (第九条第一款第二项). It is accepted only with the
complainant's name and contact (第九条第一款第一项), an agent's power of attorney (第十条) and
within three years of the day the complainant knew of the harm (第十五条第四项); otherwise those
are grounds not to accept it (第十五条第五项、第四项). Mediation needs both parties' consent
(第十六条). It lasts at most 45 working days from acceptance, testing time not counted
(第二十条、第二十一条第一款第五项): ending it on that ground is refused while the period runs,
and an agreement after it. An agreement reached on site is
written in a mediation document unless performed at once or both parties agreed to do without;
without a document the mediation record is kept (第二十二条).

The 7 working days to decide on acceptance and to tell the parties of the end are the workflow's
clocks, checked by the shared rule that a late step records its reason.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from zhifa.calendar import add_years
from zhifa.hooks.types import GuardResult, StepContext, guard, guards_in
from zhifa.workflow.definitions import OPEN

MEASURES = "市场监督管理投诉举报处理暂行办法"
ART_9 = f"{MEASURES} 第九条"
ART_10 = f"{MEASURES} 第十条"
ART_15 = f"{MEASURES} 第十五条"
ART_16 = f"{MEASURES} 第十六条"
ART_20 = f"{MEASURES} 第二十条"
ART_21 = f"{MEASURES} 第二十一条"
ART_22 = f"{MEASURES} 第二十二条"

TIME_LIMIT = "time_limit_45_days"
"""The ground of ending the mediation because the period ran out (第二十一条第一款第五项)."""


def _text(value: Any) -> str:
    return str(value or "").strip()


@guard("a complaint names the business it is about", ART_9)
def complaint_about_a_business(ctx: StepContext, **_: Any) -> GuardResult:
    """Opened with the market entity complained about (第九条第一款第二项)."""
    if ctx.entity_id is None:
        return (
            f"a complaint names the business complained about ({ART_9}第一款第二项); open it with "
            "--entity and the business's credit code"
        )
    return None


def complaint_limitation_ends(harm_known_on: date, years: int) -> date:
    """The last day a complaint about harm known on ``harm_known_on`` may be made: ``years``
    years later, the day of knowledge not counted."""
    return add_years(harm_known_on, years)


@guard(
    "the complaint gives the complainant's name and contact, an agent's power of attorney, and "
    "comes within three years of the harm",
    f"{ART_9}、第十条、第十五条",
)
def complaint_admissible(ctx: StepContext, years: int = 3, **_: Any) -> GuardResult:
    """Nothing the registered complaint shows is a ground not to accept it: the complainant's
    name and contact are given (第九条第一款第一项), an agent has given the power of attorney and
    their identity (第十条), and the complaint was received within ``years`` years of the day the
    complainant knew of the harm, when that day is recorded (第十五条第四项; a law may provide
    otherwise, hence the parameter)."""
    opened = (ctx.matter.data.get(OPEN) or {}) if ctx.matter is not None else {}
    problems = []
    missing = [
        f"{label} ({name})"
        for name, label in (("complainant", "name"), ("complainant_contact", "phone and address"))
        if not _text(opened.get(name))
    ]
    if missing:
        problems.append(
            f"the complaint lacks the complainant's {' and '.join(missing)} ({ART_9}第一款第一项), "
            f"a ground not to accept it ({ART_15}第五项); decide not to accept it (ground "
            "missing_materials) or register it again once they are given"
        )
    if _text(opened.get("agent")) and opened.get("power_of_attorney") is not True:
        problems.append(
            f"an agent complains without the original power of attorney and their identity "
            f"({ART_10}), a ground not to accept it ({ART_15}第五项); decide not to accept it "
            "(ground missing_materials) or register it again once they are given"
        )
    known = opened.get("harm_known_on")
    if known:
        last = complaint_limitation_ends(date.fromisoformat(str(known)), years)
        if ctx.received_on > last:
            problems.append(
                f"the complainant knew of the harm on {known}; a complaint is made within {years} "
                f"years, by {last}, and this one was received on {ctx.received_on} "
                f"({ART_15}第四项); decide not to accept it (ground beyond_three_years)"
            )
    return problems or None


@guard("both the complainant and the business consent to mediation", ART_16, needs_data=True)
def complaint_mediation_consented(ctx: StepContext, **_: Any) -> GuardResult:
    """The complainant and the business both consent to mediation (第十六条); without it the
    mediation ends (第二十一条第一款第三项)."""
    refusing = [
        who
        for field_name, who in (
            ("complainant_consents", "the complainant"),
            ("business_consents", "the business"),
        )
        if ctx.data.get(field_name) is not True
    ]
    if refusing:
        return (
            f"{' and '.join(refusing)} did not consent, and a complaint is mediated only with both "
            f"parties' consent ({ART_16}); end the mediation instead (ground refused_or_absent, "
            f"{ART_21}第一款第三项)"
        )
    return None


@guard(
    "the mediation ends on the 45 working days only after they have run out (testing time not "
    "counted)",
    f"{ART_21}第一款第五项; {ART_20}",
    needs_data=True,
)
def complaint_mediation_time_limit(
    ctx: StepContext, clock: str = "mediation", **_: Any
) -> GuardResult:
    """Ending the mediation on the ground that no agreement was reached within the period is
    refused on or before the period's last day, and while testing stops the period."""
    if ctx.data.get("ground") != TIME_LIMIT:
        return None
    state = ctx.clock(clock)
    if state is None:
        return None
    if state.due_on is None:
        return (
            f"the {state.spec.label} is paused while testing or appraisal runs "
            f"({ART_20}), {state.remaining} working days still left; the ground {TIME_LIMIT} "
            "applies only once the period has run out — receive the result first, or end the "
            "mediation on another ground"
        )
    if ctx.at.date() <= state.due_on:
        return (
            f"the {state.spec.label} of {state.allowed} working days from acceptance on "
            f"{state.started_on} runs through {state.due_on} ({ART_21}第一款第五项; testing "
            f"time not counted, {ART_20}); the ground {TIME_LIMIT} applies from "
            f"{state.due_on + timedelta(days=1)}, not on {ctx.at.date()} — end the mediation on "
            "another ground or wait"
        )
    return None


@guard(
    "an agreement is reached within the 45 working days of mediation",
    f"{ART_21}第一款第五项",
)
def complaint_agreement_in_time(
    ctx: StepContext, clock: str = "mediation", **_: Any
) -> GuardResult:
    """An agreement recorded after the mediation period ran out is refused: mediation ends
    without agreement once the period has run (testing time not counted)."""
    state = ctx.clock(clock)
    if state is None or state.due_on is None or ctx.at.date() <= state.due_on:
        return None
    return (
        f"the {state.spec.label} of {state.allowed} working days from acceptance on "
        f"{state.started_on} ran out on {state.due_on} ({ART_21}第一款第五项), so no agreement "
        f"can be recorded on {ctx.at.date()}; record it with the day it was reached (--at), or "
        f"end the mediation (ground {TIME_LIMIT})"
    )


@guard(
    "an on-site agreement is written in a mediation document unless an exception applies; "
    "without one the mediation record is named",
    ART_22,
    needs_data=True,
)
def complaint_mediation_document(ctx: StepContext, **_: Any) -> GuardResult:
    """第二十二条: an agreement reached in on-site mediation has a mediation document, unless it
    was performed at once or both parties agreed to do without (``no_document_reason``); an
    agreement without a document names the mediation record kept instead."""
    if ctx.data.get("document_made") is True:
        if ctx.data.get("no_document_reason"):
            return (
                "a mediation document was made, so no_document_reason does not apply; leave it "
                f"out ({ART_22})"
            )
        return None
    problems = []
    if ctx.data.get("on_site") is True and not ctx.data.get("no_document_reason"):
        problems.append(
            "an agreement reached in on-site mediation is written in a mediation document signed "
            "by both parties unless it was performed at once or both agreed to do without "
            f"({ART_22}第一款); make the document, or give no_document_reason"
        )
    if not _text(ctx.data.get("mediation_record")):
        problems.append(
            "without a mediation document the mediation record is kept for inspection "
            f"({ART_22}第二款); name it in mediation_record"
        )
    return problems or None


GUARDS = guards_in(globals())
"""The guards above, in the order they are defined (registered by the baseline plugin)."""
