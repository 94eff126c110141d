"""Discretion (裁量): the one place that turns the facts of a case into a lawful range and a
suggested one, and checks a decided fine against them.

Discretion tiers split the legal range by shares (lighter: the lowest 30%, ordinary: the middle
40%, heavier: the top 30% by default); the circumstances of a case select the tier: any heavier
circumstance → heavier; else any lighter one → lighter; else ordinary. A decision outside the legal
range is refused; outside the selected tier it needs a recorded reason (行政处罚法 第三十二条
mitigation or aggravation) and a legal review.

Which catalogue entry applies is decided by the date of the conduct: the entry in force on that
day, unless an entry in force when the case is decided is lighter (从旧兼从轻, 行政处罚法 第三十七条).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from zhifa.errors import InputError
from zhifa.rules.catalogue import (
    ART_32,
    ART_37,
    UNIT,
    Band,
    Facts,
    Tier,
    Violation,
    _cent,
    _n,
)


@dataclass(frozen=True, slots=True)
class Suggestion:
    """What the catalogue says of one violation for the facts of a case."""

    violation: Violation
    target: str
    band: Band
    legal: tuple[Decimal, Decimal]
    tier: Tier
    tier_because: tuple[str, ...]  # the circumstances that selected the tier
    suggested: tuple[Decimal, Decimal]

    def as_dict(self) -> dict[str, Any]:
        v = self.violation
        return {
            "violation": v.code,
            "name": v.name,
            "basis": v.basis,
            "penalty_basis": self.band.basis or v.penalty_basis,
            "target": self.target,
            "band": self.band.describe(),
            "legal_range": [str(self.legal[0]), str(self.legal[1])],
            "tier": self.tier.name,
            "tier_because": list(self.tier_because),
            "tier_basis": self.tier.basis or ART_32,
            "suggested_range": [str(self.suggested[0]), str(self.suggested[1])],
            "measures": list(v.measures),
            "no_penalty_list": v.no_penalty,
            "reduced_penalty_list": v.reduced_penalty,
        }


def suggest(violation: Violation, facts: Facts, target: str = UNIT) -> Suggestion:
    """The legal range, the tier the circumstances select and the suggested range.

    Raises :class:`InputError` when no band of the provision fits the facts (say which amount or
    circumstance is missing).
    """
    if not violation.bands:
        raise InputError(
            f"{violation.code} ({violation.penalty_basis}) sets no fine, only measures: "
            f"{'; '.join(violation.measures)}"
        )
    band = next((b for b in violation.bands if b.target == target and b.applies(facts)), None)
    if band is None:
        needs = sorted(
            {b.threshold for b in violation.bands if b.threshold and b.target == target}
            | {b.multiple_of for b in violation.bands if b.multiple_of and b.target == target}
        )
        hint = f"; give {' and '.join(needs)}" if needs else ""
        raise InputError(
            f"no fine of {violation.code} ({violation.penalty_basis}) fits these facts for the "
            f"{target.replace('_', ' ')}{hint}"
        )
    legal = band.yuan(facts)
    tier, because = select_tier(violation, facts)
    span = legal[1] - legal[0]
    suggested = (
        _cent(legal[0] + span * tier.share[0]),
        _cent(legal[0] + span * tier.share[1]),
    )
    return Suggestion(violation, target, band, legal, tier, because, suggested)


def select_tier(violation: Violation, facts: Facts) -> tuple[Tier, tuple[str, ...]]:
    """Heavier if a heavier circumstance holds; else lighter if a lighter one does; else ordinary."""
    for name in ("heavier", "lighter"):
        tier = violation.tiers.get(name)
        if tier is not None:
            hits = tuple(sorted(set(tier.circumstances) & facts.circumstances))
            if hits:
                return tier, hits
    return violation.tiers["ordinary"], ()


def check_decision(suggestion: Suggestion, fine: Decimal) -> tuple[list[str], list[str]]:
    """(refusals, conditions) for a decided fine: outside the legal range is refused; outside the
    suggested tier needs a recorded reason (Art 32) and a legal review."""
    low, high = suggestion.legal
    code = suggestion.violation.code
    basis = suggestion.band.basis or suggestion.violation.penalty_basis
    if fine < low and suggestion.violation.reduced_penalty:
        return [], [
            f"a fine of {_n(fine)} yuan is below the legal range {_n(low)}–{_n(high)} yuan of "
            f"{code}, a reduced penalty (减轻处罚) the department's list allows "
            f"({suggestion.violation.reduced_penalty}): record the ground ({ART_32}) and pass a "
            "legal review"
        ]
    if not low <= fine <= high:
        return [
            f"a fine of {_n(fine)} yuan is outside the legal range {_n(low)}–{_n(high)} yuan of "
            f"{code} ({basis})"
        ], []
    s_low, s_high = suggestion.suggested
    if not s_low <= fine <= s_high:
        return [], [
            f"a fine of {_n(fine)} yuan is outside the {suggestion.tier.name} tier "
            f"{_n(s_low)}–{_n(s_high)} yuan of {code}: record the mitigating or aggravating "
            f"reason ({ART_32}) and pass a legal review"
        ]
    return [], []


def applicable(
    entries: Sequence[Violation], code: str, conduct: date, decided: date, facts: Facts
) -> tuple[Violation, str]:
    """The entry that applies to conduct on ``conduct`` decided on ``decided`` and why (Art 37):
    the one in force on the day of the conduct, unless the one in force when deciding is lighter
    (a lower top of the legal range for these facts)."""
    versions = [v for v in entries if v.code == code]
    if not versions:
        raise InputError(
            f"no violation {code!r} in the catalogue; list them with `zhifa violations`"
        )
    then = next((v for v in versions if v.in_force(conduct)), None)
    now = next((v for v in versions if v.in_force(decided)), None)
    if then is None:
        raise InputError(
            f"{code} was not in force on {conduct}, the day of the conduct; no penalty may rest on "
            f"a rule made later ({ART_37})"
        )
    if now is None or now is then:
        return then, f"the entry in force on the day of the conduct, {conduct} ({ART_37})"
    old, new = _top(then, facts), _top(now, facts)
    if new is not None and old is not None and new < old:
        return now, (
            f"the entry in force on {decided} is lighter (at most {_n(new)} against {_n(old)} "
            f"yuan) and applies instead of the one in force on {conduct} ({ART_37})"
        )
    return then, (
        f"the entry in force on the day of the conduct, {conduct}; the one in force on "
        f"{decided} is not lighter ({ART_37})"
    )


def discretion(
    catalogue: Mapping[str, Sequence[Violation]],
    code: str,
    facts: Facts,
    conduct: date,
    decided: date,
    target: str = UNIT,
) -> tuple[Suggestion, str]:
    """The one way zhifa measures a case against a catalogue (used by the case workflow, the CLI
    and the API): the applicable entry and why (Art 37), and its suggestion for the facts."""
    entries = catalogue.get(code)
    if not entries:
        raise InputError(
            f"no violation {code!r} in the loaded catalogues; list them with `zhifa violations`"
        )
    entry, why = applicable(entries, code, conduct, decided, facts)
    return suggest(entry, facts, target), why


def _top(v: Violation, facts: Facts) -> Decimal | None:
    try:
        return suggest(v, facts).legal[1]
    except InputError:
        return None
