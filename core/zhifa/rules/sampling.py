"""Sampling policies for random inspections (双随机、一公开): how large a share of each credit class
or risk level a department draws, which classes it leaves alone unless they ask (无事不扰), how
often one entity may be drawn, and the grace period of new businesses. Departments declare them
through the ``zhifa_sampling_policy`` hook; the random-inspection plans use them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from zhifa.errors import InputError

CREDIT_CLASSES = ("A", "B", "C", "D")
RISK_LEVELS = ("low", "medium", "high")
NEVER_EXEMPT = frozenset({"D"})
"""Classes a policy may not leave alone: the highest risk (an entity on the serious list is D)."""


def check_exempt(exempt: frozenset[str] | set[str]) -> None:
    """Refuse exempting a class that is never exempt (:data:`NEVER_EXEMPT`), in one sentence."""
    if NEVER_EXEMPT & set(exempt):
        raise InputError(
            "class D (信用风险高) is never exempt from random inspection: it is drawn at its "
            "higher ratio (国市监信发〔2022〕6号); take D out of exempt"
        )


@dataclass(frozen=True, slots=True)
class SamplingPolicy:
    """A department's sampling rules.

    ``ratios`` maps a credit class (A–D) to the share of its entities drawn in a plan (0–1);
    ``risk_ratios`` does the same by risk level and, where both give a share, the higher one
    applies. ``exempt`` classes are drawn only when the entity asks; ``yearly_cap`` limits the
    random inspections of one entity of a class in a year; ``grace_days`` keeps new businesses
    out of draws for that many days after registration. ``basis`` names the rule behind it.
    """

    ratios: Mapping[str, Decimal]
    risk_ratios: Mapping[str, Decimal] = field(default_factory=dict)
    exempt: frozenset[str] = frozenset()
    yearly_cap: Mapping[str, int] = field(default_factory=dict)
    grace_days: int = 0
    basis: str = ""

    def __post_init__(self) -> None:
        for key, share in {**self.ratios, **self.risk_ratios}.items():
            if not Decimal(0) <= Decimal(share) <= Decimal(1):
                raise InputError(f"sampling ratio of {key} must be between 0 and 1, not {share}")
        unknown = sorted(
            (set(self.ratios) | self.exempt | set(self.yearly_cap)) - set(CREDIT_CLASSES)
        )
        if unknown:
            raise InputError(
                f"unknown credit class {', '.join(unknown)}; classes are {', '.join(CREDIT_CLASSES)}"
            )
        check_exempt(self.exempt)
        bad_risk = sorted(set(self.risk_ratios) - set(RISK_LEVELS))
        if bad_risk:
            raise InputError(
                f"unknown risk level {', '.join(bad_risk)}; levels are {', '.join(RISK_LEVELS)}"
            )
        if self.grace_days < 0 or any(c < 0 for c in self.yearly_cap.values()):
            raise InputError("grace_days and yearly caps must be zero or more")

    def ratio(self, credit_class: str, risk_level: str | None = None) -> Decimal:
        """The share drawn of entities of this class and risk level (0 when exempt)."""
        if credit_class in self.exempt:
            return Decimal(0)
        by_class = Decimal(self.ratios.get(credit_class, 0))
        by_risk = Decimal(self.risk_ratios.get(risk_level, 0)) if risk_level else Decimal(0)
        return max(by_class, by_risk)


DEFAULT_POLICY = SamplingPolicy(
    ratios={"A": Decimal("0.03"), "B": Decimal("0.05"), "C": Decimal("0.10"), "D": Decimal("0.20")},
    yearly_cap={"A": 1},
    basis=(
        "documented default: higher shares for lower credit classes; a department's plugin "
        "sets its own (关于在市场监管领域全面推行部门联合“双随机、一公开”监管的意见)"
    ),
)
"""Used when no plugin gives a policy for the department; a placeholder every bureau replaces."""
