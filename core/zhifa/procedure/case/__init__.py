"""The rules of the ``case`` workflow (行政处罚案件) that need more than its state graph, one module
per stage of the penalty procedure.

- :mod:`~zhifa.procedure.case.thresholds`: the articles cited, the thresholds and periods
  (documented defaults where the law leaves them to departments) and the pure calculations on them;
- :mod:`~zhifa.procedure.case.history`: what the case's record says (latest steps, handlers,
  investigators, the party's kind);
- :mod:`~zhifa.procedure.case.filing`: filing and investigation: handlers and withdrawals, the
  simple or ordinary procedure, extensions of the decision period;
- :mod:`~zhifa.procedure.case.review`: the legal review (法制审核) and the heads' collective
  discussion;
- :mod:`~zhifa.procedure.case.hearing`: the notice of the proposed penalty and the hearing;
- :mod:`~zhifa.procedure.case.fine_discretion`: the fine measured against the discretion
  benchmark (裁量基准);
- :mod:`~zhifa.procedure.case.outcome`: no penalty, the fine paid, the case closed.

The enforcement of an unpaid fine is :mod:`zhifa.procedure.execution`. Each guard returns None or
reasons that cite the article refusing the step; the guard functions are imported from their stage
module, the names below from the package.
"""

from __future__ import annotations

from zhifa.hooks.types import guards_in
from zhifa.procedure.case import filing, fine_discretion, hearing, outcome, review
from zhifa.procedure.case.history import (
    INVESTIGATION_STEPS,
    current_handlers,
    investigators,
    latest,
    latest_after,
    named_handlers,
    party_kind,
    withdrawn_handlers,
)
from zhifa.procedure.case.thresholds import (
    ART57_FLAGS,
    ART58_FLAGS,
    ART_27,
    ART_33,
    ART_42,
    ART_43,
    ART_44,
    ART_45,
    ART_51,
    ART_54,
    ART_57,
    ART_57_2,
    ART_58,
    ART_63,
    ART_64,
    ART_67,
    ART_72,
    CENT,
    DECISIONS,
    EXECUTION_ENDS,
    HEADS,
    HEARING_KINDS,
    HEARING_NOTICE_DAYS,
    HEARING_THRESHOLD,
    LIGHTER_KINDS,
    ORGANISATION,
    PAYMENT_DAYS,
    PENALTY_DECISIONS,
    PERSON,
    REQUEST_DAYS,
    SAMR_64,
    SIMPLE_LIMIT,
    SURCHARGE_RATE,
    days_within,
    hearing_required,
    late_surcharge,
    money,
    payment_due,
    periods_in,
    simple_procedure_problem,
)

GUARDS = guards_in(fine_discretion, filing, review, hearing, outcome)
"""The case's guards, stage by stage (the discretion guard first), for the baseline plugin."""

__all__ = [
    "ART57_FLAGS",
    "ART58_FLAGS",
    "ART_27",
    "ART_33",
    "ART_42",
    "ART_43",
    "ART_44",
    "ART_45",
    "ART_51",
    "ART_54",
    "ART_57",
    "ART_57_2",
    "ART_58",
    "ART_63",
    "ART_64",
    "ART_67",
    "ART_72",
    "CENT",
    "DECISIONS",
    "EXECUTION_ENDS",
    "GUARDS",
    "HEADS",
    "HEARING_KINDS",
    "HEARING_NOTICE_DAYS",
    "HEARING_THRESHOLD",
    "INVESTIGATION_STEPS",
    "LIGHTER_KINDS",
    "ORGANISATION",
    "PAYMENT_DAYS",
    "PENALTY_DECISIONS",
    "PERSON",
    "REQUEST_DAYS",
    "SAMR_64",
    "SIMPLE_LIMIT",
    "SURCHARGE_RATE",
    "current_handlers",
    "days_within",
    "hearing_required",
    "investigators",
    "late_surcharge",
    "latest",
    "latest_after",
    "money",
    "named_handlers",
    "party_kind",
    "payment_due",
    "periods_in",
    "simple_procedure_problem",
    "withdrawn_handlers",
]
