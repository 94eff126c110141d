"""Rules a department declares as data, and the code that applies them.

- :mod:`~zhifa.rules.checklists`: inspection items (检查事项) and :func:`load_checklist`;
- :mod:`~zhifa.rules.catalogue`: violation catalogues with their penalty bands and discretion
  tiers (裁量基准), and :func:`load_catalogue`;
- :mod:`~zhifa.rules.discretion`: from the facts of a case to the legal range, the tier and a
  suggested range; checking a decided fine; the entry in force by date (行政处罚法 第三十七条);
- :mod:`~zhifa.rules.credit`: credit-risk classification schemes (信用风险分类) and
  :func:`load_credit_scheme`;
- :mod:`~zhifa.rules.sampling`: how large a share of each credit class and risk level a random
  inspection draws (抽查比例).
"""

from zhifa.errors import CatalogueError
from zhifa.rules.catalogue import (
    AMOUNTS,
    ART_32,
    ART_37,
    DEFAULT_SHARES,
    RESPONSIBLE,
    TARGETS,
    TIERS,
    UNIT,
    YUAN,
    Band,
    Facts,
    Tier,
    Violation,
    catalogue_conflicts,
    load_catalogue,
    parse_violation,
)
from zhifa.rules.checklists import ITEM_KEYS, ITEM_KINDS, METHODS, ChecklistItem, load_checklist
from zhifa.rules.credit import NATIONAL_SCHEME, CreditScheme, load_credit_scheme
from zhifa.rules.discretion import (
    Suggestion,
    applicable,
    check_decision,
    discretion,
    select_tier,
    suggest,
)
from zhifa.rules.measures import NATIONAL_MEASURES, Measure, load_measures
from zhifa.rules.sampling import CREDIT_CLASSES, DEFAULT_POLICY, RISK_LEVELS, SamplingPolicy

__all__ = [
    "AMOUNTS",
    "ART_32",
    "ART_37",
    "CREDIT_CLASSES",
    "DEFAULT_POLICY",
    "DEFAULT_SHARES",
    "ITEM_KEYS",
    "ITEM_KINDS",
    "METHODS",
    "NATIONAL_MEASURES",
    "NATIONAL_SCHEME",
    "RESPONSIBLE",
    "RISK_LEVELS",
    "TARGETS",
    "TIERS",
    "UNIT",
    "YUAN",
    "Band",
    "CatalogueError",
    "ChecklistItem",
    "CreditScheme",
    "Facts",
    "Measure",
    "SamplingPolicy",
    "Suggestion",
    "Tier",
    "Violation",
    "applicable",
    "catalogue_conflicts",
    "check_decision",
    "discretion",
    "load_catalogue",
    "load_checklist",
    "load_credit_scheme",
    "load_measures",
    "parse_violation",
    "select_tier",
    "suggest",
]
