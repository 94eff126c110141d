"""The rule values a reform may change, each a named, typed parameter with its unit and legal
basis, read from the rules as installed (the department plugins included): never a second copy.

A parameter's **path** says where its value lives:

============================================  ===========  ==========================================
path                                          kind         the value, read from
============================================  ===========  ==========================================
``sampling.DEPT.ratio.C``                     ratio        share of credit class C drawn per plan
``sampling.DEPT.risk_ratio.LEVEL``            ratio        share of a risk level drawn per plan
``sampling.DEPT.exempt``                      classes      classes drawn only when they ask
``sampling.DEPT.yearly_cap.C``                count        random inspections of one entity a year
``sampling.DEPT.grace_days``                  days         new businesses left alone that long
``discretion.CODE.TIER``                      shares       the tier's part of the legal range
``fine.CODE.N``                               range        the N-th fine band (yuan or multiples)
``no_penalty.CODE``, ``reduced_penalty.CODE`` flag         on the department's list or not
``publication.low_fine``                      yuan         a fine up to it is published 3 months
``publication.short_months``                  months       publicity of a low fine or criticism
``publication.long_years``                    years        publicity of every other penalty
``repair.minimum_months.CATEGORY``            months       publication before an early end
``credit.DEPT.band.C``                        score        the lowest score of class C
``credit.DEPT.indicator.CODE.points``         points       points per record of the indicator
``capacity.DEPT.officer_days``                days         officer-days a year (none: no limit)
``capacity.officer_days_per_visit``           days         officer-days one inspection takes
============================================  ===========  ==========================================

DEPT is a department code (its plugin's sampling policy and credit scheme; the documented
defaults where none gives one), CODE a violation of the loaded catalogues. Capacity is no rule
of law: it is the sandbox's setting, listed here so a reform can vary it like the rest.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from zhifa.errors import InputError
from zhifa.procedure.credit_repair import MINIMUM_MONTHS
from zhifa.procedure.publication import (
    LONG_PERIOD_YEARS,
    LOW_FINE_THRESHOLD,
    RULES,
    SHORT_PERIOD_MONTHS,
)
from zhifa.rules import CREDIT_CLASSES, TIERS, Violation
from zhifa.rules.credit import CreditScheme
from zhifa.rules.sampling import RISK_LEVELS, SamplingPolicy

KINDS = {
    "ratio": "share from 0 to 1",
    "classes": "list of credit classes (A–D)",
    "count": "whole number, zero or more",
    "days": "whole number of days, zero or more",
    "months": "whole number of months, zero or more",
    "years": "whole number of years, zero or more",
    "yuan": "amount in yuan, zero or more",
    "shares": "pair [low, high] of shares from 0 to 1, low ≤ high",
    "range": "pair [low, high], low ≤ high, inside the statute's range",
    "flag": "true or false",
    "score": "number",
    "points": "number",
}
"""Every kind of parameter and what a value of it must be."""

VISIT_DAYS = Decimal(2)  # two inspectors for one day


@dataclass(frozen=True, slots=True)
class Parameter:
    """One rule value: its path, kind, unit, baseline value, legal basis and label. ``limits`` is
    a range value's statutory (low, high) it must stay inside."""

    path: str
    kind: str
    unit: str
    value: Any
    basis: str
    label: str
    limits: tuple[Decimal, Decimal] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "kind": self.kind,
            "unit": self.unit,
            "value": to_json(self.value),
            "basis": self.basis,
            "label": self.label,
            **({"limits": to_json(self.limits)} if self.limits else {}),
        }


def to_json(value: Any) -> Any:
    """A parameter value as JSON takes it (decimals as strings keep every digit)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, frozenset):
        return sorted(value)
    if isinstance(value, tuple):
        return [to_json(v) for v in value]
    return value


class Parameters(Mapping[str, Parameter]):
    """The parameters of the rules as installed, by path (see the module documentation)."""

    def __init__(self, items: Iterable[Parameter], departments: Sequence[str]) -> None:
        self._items = {p.path: p for p in items}
        self.departments = tuple(departments)

    def __getitem__(self, path: str) -> Parameter:
        try:
            return self._items[path]
        except KeyError:
            raise KeyError(path) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


def _sampling(dept: str, policy: SamplingPolicy) -> Iterator[Parameter]:
    basis = policy.basis or "zhifa_sampling_policy"
    for c in CREDIT_CLASSES:
        value = Decimal(policy.ratios.get(c, 0))
        yield Parameter(
            f"sampling.{dept}.ratio.{c}", "ratio", "share", value, basis, f"抽查比例 class {c}"
        )
    for level in RISK_LEVELS:
        value = Decimal(policy.risk_ratios.get(level, 0))
        yield Parameter(
            f"sampling.{dept}.risk_ratio.{level}",
            "ratio",
            "share",
            value,
            basis,
            f"抽查比例 risk {level}",
        )
    yield Parameter(
        f"sampling.{dept}.exempt", "classes", "classes", policy.exempt, basis, "无事不扰 exempt"
    )
    for c in CREDIT_CLASSES:
        if c in policy.yearly_cap or c != "D":
            cap = policy.yearly_cap.get(c)
            yield Parameter(
                f"sampling.{dept}.yearly_cap.{c}",
                "count",
                "inspections a year (none: no cap)",
                cap,
                basis,
                f"yearly cap class {c}",
            )
    yield Parameter(
        f"sampling.{dept}.grace_days",
        "days",
        "days",
        policy.grace_days,
        basis,
        "新设主体 grace period",
    )


def _catalogue(entries: Mapping[str, Sequence[Violation]], day: date) -> Iterator[Parameter]:
    for code in sorted(entries):
        v = next((e for e in entries[code] if e.in_force(day)), None)
        if v is None:
            continue
        for name in TIERS:
            tier = v.tiers.get(name)
            if tier is not None:
                yield Parameter(
                    f"discretion.{code}.{name}",
                    "shares",
                    "share of the legal range",
                    tier.share,
                    tier.basis or v.penalty_basis,
                    f"{v.name}: {name} tier",
                )
        for i, band in enumerate(v.bands):
            unit = "yuan" if band.multiple_of is None else f"times the {band.multiple_of}"
            if band.per_day:
                unit += " per day"
            yield Parameter(
                f"fine.{code}.{i}",
                "range",
                unit,
                (band.low, band.high),
                band.basis or v.penalty_basis,
                f"{v.name}: {band.describe()}",
                limits=(band.low, band.high),
            )
        yield Parameter(
            f"no_penalty.{code}",
            "flag",
            "on the list",
            v.no_penalty is not None,
            "行政处罚法 第三十三条第一款 (免罚清单)",
            f"{v.name}: no penalty for a first minor violation",
        )
        yield Parameter(
            f"reduced_penalty.{code}",
            "flag",
            "on the list",
            v.reduced_penalty is not None,
            "行政处罚法 第三十二条 (减轻处罚清单)",
            f"{v.name}: reduced penalty",
        )


def _publication() -> Iterator[Parameter]:
    yield Parameter(
        "publication.low_fine",
        "yuan",
        "yuan",
        LOW_FINE_THRESHOLD,
        f"{RULES} 第十三条",
        "a fine up to it is a low fine, published for the short period",
    )
    yield Parameter(
        "publication.short_months",
        "months",
        "months",
        SHORT_PERIOD_MONTHS,
        f"{RULES} 第十三条",
        "publicity of a low fine or circulated criticism",
    )
    yield Parameter(
        "publication.long_years",
        "years",
        "years",
        LONG_PERIOD_YEARS,
        f"{RULES} 第十三条",
        "publicity of every other penalty",
    )
    for category, months in MINIMUM_MONTHS.items():
        yield Parameter(
            f"repair.minimum_months.{category}",
            "months",
            "months",
            months,
            f"{RULES} 第十四条",
            f"publication before an early end may be applied for ({category})",
        )


def _credit(dept: str, scheme: CreditScheme) -> Iterator[Parameter]:
    basis = scheme.basis or f"credit scheme {scheme.name} {scheme.version}"
    for cls, lowest in scheme.bands[:-1]:
        yield Parameter(
            f"credit.{dept}.band.{cls}", "score", "score", lowest, basis, f"lowest score of {cls}"
        )
    for ind in scheme.indicators:
        yield Parameter(
            f"credit.{dept}.indicator.{ind.code}.points",
            "points",
            "points per record",
            ind.points,
            ind.basis or basis,
            ind.label,
        )


def _capacity(departments: Sequence[str]) -> Iterator[Parameter]:
    for dept in departments:
        yield Parameter(
            f"capacity.{dept}.officer_days",
            "days",
            "officer-days a year (none: no limit)",
            None,
            "the sandbox's setting, not a rule of law",
            "officer-days a year for random inspections",
        )
    yield Parameter(
        "capacity.officer_days_per_visit",
        "days",
        "officer-days",
        VISIT_DAYS,
        "the sandbox's setting: at least two inspectors (行政处罚法 第四十二条)",
        "officer-days one inspection takes",
    )


def build(
    departments: Sequence[str],
    policies: Mapping[str, SamplingPolicy],
    schemes: Mapping[str, CreditScheme],
    violations: Mapping[str, Sequence[Violation]],
    day: date,
) -> Parameters:
    """Every parameter of these rules, the catalogue entries as in force on ``day``."""
    if not departments:
        raise InputError("name at least one department whose rules the sandbox varies")
    items: list[Parameter] = []
    for dept in departments:
        items += _sampling(dept, policies[dept])
    items += _catalogue(violations, day)
    items += _publication()
    for dept in departments:
        items += _credit(dept, schemes[dept])
    items += _capacity(departments)
    return Parameters(items, departments)


__all__ = ["KINDS", "Parameter", "Parameters", "build", "to_json"]
