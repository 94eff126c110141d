"""The market-regulation plugin's hooks: its violation catalogue, its inspection checklists, its
credit-risk classification and its joint measures.

All live as data next to this module: ``violations.yaml`` in the format of
:func:`zhifa.load_catalogue`, ``checklists.yaml`` as items grouped by the kind of
business they apply to (``food_production``, ``food_sales``, ``catering``), and
``credit_scheme.yaml`` in the format of :func:`zhifa.load_credit_scheme`, ``measures.yaml`` in
the format of :func:`zhifa.load_measures`.
"""

from __future__ import annotations

from pathlib import Path

from zhifa import (
    ChecklistItem,
    CreditScheme,
    Measure,
    Violation,
    hookimpl,
    load_catalogue,
    load_checklist,
    load_credit_scheme,
    load_measures,
)

NAME = "zhifa-market"
HERE = Path(__file__).parent
VIOLATIONS = HERE / "violations.yaml"
CHECKLISTS = HERE / "checklists.yaml"
CREDIT_SCHEME = HERE / "credit_scheme.yaml"
MEASURES = HERE / "measures.yaml"
SCOPES = ("food_production", "food_sales", "catering")


@hookimpl
def zhifa_violations() -> list[Violation]:
    """The bureau's food-safety violation catalogue (食品安全法, 2021 text) with its benchmarks."""
    return load_catalogue(VIOLATIONS, NAME)


@hookimpl
def zhifa_checklists() -> list[ChecklistItem]:
    """Food production, food sales and catering inspection items."""
    return load_checklist(CHECKLISTS, NAME, scopes=SCOPES)


@hookimpl
def zhifa_credit_scheme(department: str) -> CreditScheme:
    """The bureau's credit-risk classification of food businesses, for every department that
    uses this plugin (``zhifa.toml`` chooses which)."""
    return load_credit_scheme(CREDIT_SCHEME)


@hookimpl
def zhifa_credit_measures(department: str | None) -> list[Measure]:
    """More inspections for a food business with a penalty on record (食品安全法 第一百一十三条),
    and the incentives of a red list imported from the body that keeps it."""
    return list(load_measures(MEASURES))
