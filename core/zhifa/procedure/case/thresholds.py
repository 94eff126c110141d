"""The articles the penalty-case rules cite, the thresholds and periods of the procedure, and the
pure calculations on them (no database, no step context).

Thresholds that the law leaves to departments are documented defaults:

* simple procedure (Art 51): a warning, or a fine of at most 200 yuan for a person and 3,000 yuan
  for an organisation;
* hearing (Art 63): a fine or confiscation of at least 5,000 yuan for a person or 100,000 yuan for
  an organisation ("较大数额", the example of the market regulation rules), or revoking a permit,
  lowering a qualification, a halt of production or business, closure or a practice restriction;
* periods: the law's "5 days" and "7 days" are working days (Art 85); the 15 days to pay are
  calendar days from the day the party received the decision, moved to the next working day when
  they end on a day off.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from zhifa.calendar import WorkCalendar
from zhifa.workflow.deadlines import Step

ART_27 = "行政处罚法 第二十七条"
ART_33 = "行政处罚法 第三十三条"
ART_42 = "行政处罚法 第四十二条"
ART_43 = "行政处罚法 第四十三条"
ART_44 = "行政处罚法 第四十四条、第六十二条"
ART_45 = "行政处罚法 第四十五条"
ART_51 = "行政处罚法 第五十一条"
ART_54 = "行政处罚法 第五十四条"
ART_57 = "行政处罚法 第五十七条"
ART_57_2 = "行政处罚法 第五十七条第二款"
ART_58 = "行政处罚法 第五十八条"
ART_63 = "行政处罚法 第六十三条"
ART_64 = "行政处罚法 第六十四条"
ART_67 = "行政处罚法 第六十七条"
ART_72 = "行政处罚法 第七十二条、第七十三条"
SAMR_64 = "市场监督管理行政处罚程序规定 第六十四条"

PERSON = "person"
ORGANISATION = "organisation"
SIMPLE_LIMIT = {PERSON: Decimal(200), ORGANISATION: Decimal(3000)}
"""The largest fine the simple procedure may impose (Art 51)."""
HEARING_THRESHOLD = {PERSON: Decimal(5000), ORGANISATION: Decimal(100000)}
"""The smallest fine or confiscation that carries the right to a hearing (Art 63; local default)."""
HEARING_KINDS = frozenset(
    {
        "permit_revocation",
        "qualification_lowering",
        "production_halt",
        "closure",
        "practice_restriction",
    }
)
"""Penalty kinds that always carry the right to a hearing (Art 63)."""
LIGHTER_KINDS = frozenset({"warning", "circulated_criticism"})
"""Kinds lighter than any other: a decision may fall back to them without a new notice."""

REQUEST_DAYS = 5  # working days to request a hearing after the notice (Art 64 (1))
HEARING_NOTICE_DAYS = 7  # working days between the hearing notice and the hearing (Art 64 (2))
PAYMENT_DAYS = 15  # calendar days to pay after receiving the decision (Art 67)
SURCHARGE_RATE = Decimal("0.03")  # of the fine, per day late (Art 72)
CENT = Decimal("0.01")

ART58_FLAGS = {
    "major_public_interest": "it involves a major public interest",
    "complex": "it is difficult or complex",
    "major_rights": "it directly affects major rights",
}
ART57_FLAGS = {"complex": "complex", "major_violation": "a major violation"}
HEADS = frozenset({"head", "principal_head"})
PENALTY_DECISIONS = ("decide_penalty", "decide_on_the_spot")
DECISIONS = (*PENALTY_DECISIONS, "decide_no_penalty", "decide_soft")
EXECUTION_ENDS = ("record_payment", "record_enforced", "end_execution", "court_refuses")
"""Steps after which a decided fine needs nothing more before the case is closed."""


# -- pure helpers --------------------------------------------------------------------------------


def money(value: Any) -> Decimal:
    """A recorded money field as a Decimal; an absent one is zero."""
    return Decimal(str(value)) if value not in (None, "") else Decimal(0)


def simple_procedure_problem(party_kind: str, kind: str, fine: Decimal) -> str | None:
    """Why a penalty cannot be decided on the spot (Art 51), or None.

    >>> simple_procedure_problem("person", "fine", Decimal(200)) is None
    True
    """
    if kind == "warning":
        if fine > 0:
            return f"a warning carries no fine; choose the penalty kind fine ({ART_51})"
        return None
    if kind != "fine":
        return f"on the spot only a warning or a fine may be decided ({ART_51})"
    if fine <= 0:
        return f"give the amount of the fine ({ART_51})"
    limit = SIMPLE_LIMIT[party_kind]
    if fine > limit:
        who = "a person" if party_kind == PERSON else "an organisation"
        return (
            f"a fine of {fine} yuan on {who} is above the {limit} yuan the simple procedure "
            f"allows ({ART_51}); open the case under the ordinary procedure"
        )
    return None


def hearing_required(party_kind: str, kind: str, fine: Decimal, confiscation: Decimal) -> bool:
    """Whether the proposed penalty carries the right to request a hearing (Art 63 defaults)."""
    threshold = HEARING_THRESHOLD[party_kind]
    return kind in HEARING_KINDS or fine >= threshold or confiscation >= threshold


def payment_due(received: date, calendar: WorkCalendar) -> date:
    """The last day to pay a fine: 15 days after the party received the decision (Art 67).

    The day of receipt is not counted; a period ending on a day off ends on the next working day.
    """
    return calendar.add_calendar_days(received, PAYMENT_DAYS).due


def late_surcharge(fine: Decimal, due_date: date, paid_on: date, paused_days: int = 0) -> Decimal:
    """The late-payment surcharge (加处罚款) owed when ``fine`` due on ``due_date`` is paid on ``paid_on``.

    3% of the fine for each day after ``due_date`` up to and including ``paid_on``, leaving out
    ``paused_days`` (days of an administrative review or lawsuit, Art 73), rounded to the fen and
    never more than the fine itself (Art 72). A payment on or before the due date owes nothing.

    >>> late_surcharge(Decimal(1000), date(2026, 3, 17), date(2026, 3, 18))
    Decimal('30.00')
    """
    days = max(0, (paid_on - due_date).days - max(0, paused_days))
    amount = (fine * SURCHARGE_RATE * days).quantize(CENT, rounding=ROUND_HALF_UP)
    return min(amount, fine.quantize(CENT, rounding=ROUND_HALF_UP))


def periods_in(history: Sequence[Step], state: str) -> list[tuple[date, date | None]]:
    """The periods the matter spent in ``state``: (day it entered, day it left or None)."""
    periods: list[tuple[date, date | None]] = []
    for step in history:
        inside = bool(periods) and periods[-1][1] is None
        if step.to_state == state and not inside:
            periods.append((step.on, None))
        elif step.to_state != state and inside:
            periods[-1] = (periods[-1][0], step.on)
    return periods


def days_within(periods: Sequence[tuple[date, date | None]], after: date, through: date) -> int:
    """Days ``d`` with ``after < d <= through`` that fall in a period (began < d <= ended)."""
    count, day = 0, after
    while day < through:
        day += timedelta(days=1)
        count += any(b < day and (e is None or day <= e) for b, e in periods)
    return count
