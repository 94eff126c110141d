"""Violation catalogues and discretion benchmarks (裁量基准): what a department's plugin declares,
read from its YAML file. What a case's facts make of them is :mod:`zhifa.rules.discretion`.

A :class:`Violation` carries its penalty provision as :class:`Band` s — each band is one fine the
law sets for some facts: a fixed range in yuan, or a range of multiples of the goods value or of
the illegal gains, chosen by thresholds on those amounts (食品安全法 第一百二十四条: goods worth
under 10,000 yuan → 50,000–100,000 yuan; 10,000 or more → 10–20 times the value) and by
circumstances such as a refusal to correct (安全生产法 第九十七条: up to 100,000 yuan; not corrected
in time → 100,000–200,000). A band may be for the unit or for the persons directly responsible, and
a daily continuous penalty (环境保护法 第五十九条) is a band of 1–1 times the original fine, per day
(``multiple_of: original_fine``, ``per_day: true``), the days being a fact of the case.

Discretion tiers split the legal range by shares (lighter: the lowest 30%, ordinary: the middle
40%, heavier: the top 30% by default); the circumstances of a case select the tier: any heavier
circumstance → heavier; else any lighter one → lighter; else ordinary. A decision outside the legal
range is refused; outside the selected tier it needs a recorded reason (行政处罚法 第三十二条
mitigation or aggravation) and a legal review.

Which entry applies is decided by the date of the conduct: the entry in force on that day, unless
an entry in force when the case is decided is lighter (从旧兼从轻, 行政处罚法 第三十七条).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import yaml

from zhifa.errors import CatalogueError, InputError

ART_32 = "行政处罚法 第三十二条"
ART_37 = "行政处罚法 第三十七条"
UNIT = "unit"
RESPONSIBLE = "responsible_person"
TARGETS = (UNIT, RESPONSIBLE)
AMOUNTS = ("goods_value", "illegal_gains", "original_fine")
"""Amounts a threshold or a multiple is taken of: the goods value (货值金额), the illegal gains
(违法所得) and, for a daily continuous penalty, the original fine (原处罚数额)."""
TIERS = ("lighter", "ordinary", "heavier")
DEFAULT_SHARES = {
    "lighter": (Decimal(0), Decimal("0.3")),
    "ordinary": (Decimal("0.3"), Decimal("0.7")),
    "heavier": (Decimal("0.7"), Decimal(1)),
}
YUAN = Decimal(1)


@dataclass(frozen=True, slots=True)
class Facts:
    """The facts of a case that a catalogue entry reads."""

    goods_value: Decimal | None = None
    illegal_gains: Decimal | None = None
    days: int = 0
    circumstances: frozenset[str] = frozenset()
    original_fine: Decimal | None = None

    def amount(self, name: str) -> Decimal | None:
        return {
            "goods_value": self.goods_value,
            "illegal_gains": self.illegal_gains,
            "original_fine": self.original_fine,
        }.get(name)

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> Facts:
        """Facts from JSON-like data; a bad value raises :class:`InputError` naming the key."""
        allowed = {"goods_value", "illegal_gains", "original_fine", "days", "circumstances"}
        unknown = sorted(set(raw) - allowed)
        if unknown:
            raise InputError(
                f"unknown fact {', '.join(unknown)}; the facts are {', '.join(sorted(allowed))}"
            )

        def money(key: str) -> Decimal | None:
            value = raw.get(key)
            if value is None:
                return None
            try:
                amount = Decimal(str(value))
            except ArithmeticError:
                raise InputError(f"{key} must be an amount in yuan, not {value!r}") from None
            if amount < 0 or not amount.is_finite():
                raise InputError(f"{key} must be zero or more, not {value!r}")
            return amount

        days = raw.get("days", 0)
        if not isinstance(days, int) or isinstance(days, bool) or days < 0:
            raise InputError(f"days must be a whole number of days, zero or more, not {days!r}")
        circumstances = raw.get("circumstances", [])
        if not isinstance(circumstances, list) or not all(
            isinstance(c, str) for c in circumstances
        ):
            raise InputError("circumstances must be a list of circumstance codes")
        return cls(
            money("goods_value"),
            money("illegal_gains"),
            days,
            frozenset(circumstances),
            money("original_fine"),
        )


@dataclass(frozen=True, slots=True)
class Band:
    """One fine a provision sets for some facts.

    ``low``/``high`` are yuan when ``multiple_of`` is None, else multiples of that amount (goods
    value or illegal gains). The band applies when every fact in ``when`` holds, none in
    ``unless`` does, and the amount named by ``threshold`` is ``>= at_least`` and ``< below``
    (either bound may be absent). ``per_day``: the fine is imposed for each day the violation goes
    on after the order to correct (a daily continuous penalty); the days are a fact of the case.
    """

    low: Decimal
    high: Decimal
    target: str = UNIT
    multiple_of: str | None = None
    threshold: str | None = None
    at_least: Decimal | None = None
    below: Decimal | None = None
    when: frozenset[str] = frozenset()
    unless: frozenset[str] = frozenset()
    per_day: bool = False
    basis: str = ""

    def applies(self, facts: Facts) -> bool:
        if not self.when <= facts.circumstances or self.unless & facts.circumstances:
            return False
        if self.multiple_of is not None and facts.amount(self.multiple_of) is None:
            return False
        if self.per_day and facts.days < 1:
            return False
        if self.threshold is None:
            return True
        amount = facts.amount(self.threshold)
        if amount is None:
            return False
        if self.at_least is not None and amount < self.at_least:
            return False
        return not (self.below is not None and amount >= self.below)

    def yuan(self, facts: Facts) -> tuple[Decimal, Decimal]:
        """The band's range in yuan for these facts (multiples applied, days multiplied)."""
        if self.multiple_of is None:
            low, high = self.low, self.high
        else:
            base = facts.amount(self.multiple_of) or Decimal(0)
            low, high = self.low * base, self.high * base
        if self.per_day:
            low, high = low * facts.days, high * facts.days
        return _cent(low), _cent(high)

    def describe(self) -> str:
        what = (
            f"{_n(self.low)}–{_n(self.high)} yuan"
            if self.multiple_of is None
            else f"{_n(self.low)}–{_n(self.high)} times the {self.multiple_of.replace('_', ' ')}"
        )
        conditions = []
        if self.threshold:
            if self.at_least is not None:
                conditions.append(f"{self.threshold.replace('_', ' ')} ≥ {_n(self.at_least)}")
            if self.below is not None:
                conditions.append(f"{self.threshold.replace('_', ' ')} < {_n(self.below)}")
        conditions += sorted(self.when)
        day = " per day" if self.per_day else ""
        who = "" if self.target == UNIT else " (persons responsible)"
        cond = f" when {', '.join(conditions)}" if conditions else ""
        unless = f" unless {', '.join(sorted(self.unless))}" if self.unless else ""
        return f"{what}{day}{who}{cond}{unless}"


@dataclass(frozen=True, slots=True)
class Tier:
    """A discretion tier: its share of the legal range and the circumstances that select it."""

    name: str
    share: tuple[Decimal, Decimal]
    circumstances: Mapping[str, str] = field(default_factory=dict)  # code → description
    basis: str = ""


@dataclass(frozen=True, slots=True)
class Violation:
    """One entry of a department's violation catalogue."""

    code: str
    name: str
    basis: str  # the rule violated (law and article)
    penalty_basis: str  # the provision that sets the penalty
    bands: tuple[Band, ...]
    tiers: Mapping[str, Tier]
    department: str = ""  # the plugin that declares it (filled at load)
    measures: tuple[str, ...] = ()  # other penalties: confiscation, permit revocation…
    no_penalty: str | None = None  # 免罚清单: the conditions, when the entry is on it
    reduced_penalty: str | None = None  # 减轻处罚清单
    hearing_threshold: Decimal | None = None  # the department's own, overriding the default
    in_force_from: date = date.min
    in_force_to: date | None = None

    def in_force(self, day: date) -> bool:
        return self.in_force_from <= day and (self.in_force_to is None or day <= self.in_force_to)


# -- loading ---------------------------------------------------------------------------------------


def load_catalogue(path: Path, department: str = "") -> list[Violation]:
    """Read a catalogue YAML file (a list of entries); errors name the file, the entry and the fault."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogueError(f"cannot read the catalogue {path}: {exc}") from None
    if not isinstance(raw, list):
        raise CatalogueError(f"{path}: a catalogue is a list of violations")
    return [parse_violation(entry, f"{path}[{i}]", department) for i, entry in enumerate(raw)]


def parse_violation(raw: Any, where: str, department: str = "") -> Violation:
    if not isinstance(raw, Mapping):
        raise CatalogueError(f"{where}: an entry is a mapping with code, name, basis and bands")
    code = raw.get("code")
    here = f"{where} ({code})" if code else where
    for key in ("code", "name", "basis", "penalty_basis"):
        if not raw.get(key):
            raise CatalogueError(f"{here}: {key} is missing")
    if not raw.get("bands") and not raw.get("measures"):
        raise CatalogueError(
            f"{here}: give the fines (bands) or, for a provision that sets no fine, its measures"
        )
    bands = tuple(_band(b, f"{here}.bands[{i}]") for i, b in enumerate(raw.get("bands") or ()))
    tiers = _tiers(raw.get("tiers") or {}, f"{here}.tiers")
    valid_from = _date(raw.get("in_force_from"), f"{here}.in_force_from") or date.min
    valid_to = _date(raw.get("in_force_to"), f"{here}.in_force_to")
    if valid_to is not None and valid_to < valid_from:
        raise CatalogueError(f"{here}: in_force_to {valid_to} is before in_force_from {valid_from}")
    threshold = raw.get("hearing_threshold")
    return Violation(
        code=str(code),
        name=str(raw["name"]),
        basis=str(raw["basis"]),
        penalty_basis=str(raw["penalty_basis"]),
        bands=bands,
        tiers=tiers,
        department=department,
        measures=tuple(str(m) for m in raw.get("measures") or ()),
        no_penalty=raw.get("no_penalty"),
        reduced_penalty=raw.get("reduced_penalty"),
        hearing_threshold=_dec(threshold, f"{here}.hearing_threshold") if threshold else None,
        in_force_from=valid_from,
        in_force_to=valid_to,
    )


def _band(raw: Any, where: str) -> Band:
    if not isinstance(raw, Mapping):
        raise CatalogueError(f"{where}: a band is a mapping with low and high")
    known = {
        "low",
        "high",
        "target",
        "multiple_of",
        "threshold",
        "at_least",
        "below",
        "when",
        "unless",
        "per_day",
        "basis",
    }
    unknown = sorted(set(raw) - known)
    if unknown:
        raise CatalogueError(f"{where}: unknown key {', '.join(unknown)}")
    low, high = _dec(raw.get("low"), f"{where}.low"), _dec(raw.get("high"), f"{where}.high")
    if low > high:
        raise CatalogueError(f"{where}: low {_n(low)} is above high {_n(high)}")
    target = raw.get("target", UNIT)
    if target not in TARGETS:
        raise CatalogueError(f"{where}.target: {target!r} is not one of {', '.join(TARGETS)}")
    for key in ("multiple_of", "threshold"):
        if raw.get(key) is not None and raw[key] not in AMOUNTS:
            raise CatalogueError(f"{where}.{key}: {raw[key]!r} is not one of {', '.join(AMOUNTS)}")
    if (raw.get("at_least") is not None or raw.get("below") is not None) and not raw.get(
        "threshold"
    ):
        raise CatalogueError(f"{where}: at_least and below need the amount they bound (threshold)")
    return Band(
        low=low,
        high=high,
        target=target,
        multiple_of=raw.get("multiple_of"),
        threshold=raw.get("threshold"),
        at_least=_dec(raw["at_least"], f"{where}.at_least") if "at_least" in raw else None,
        below=_dec(raw["below"], f"{where}.below") if "below" in raw else None,
        when=frozenset(raw.get("when") or ()),
        unless=frozenset(raw.get("unless") or ()),
        per_day=bool(raw.get("per_day", False)),
        basis=str(raw.get("basis") or ""),
    )


def _tiers(raw: Any, where: str) -> dict[str, Tier]:
    if not isinstance(raw, Mapping):
        raise CatalogueError(f"{where}: tiers is a mapping of lighter, ordinary and heavier")
    unknown = sorted(set(raw) - set(TIERS))
    if unknown:
        raise CatalogueError(f"{where}: unknown tier {', '.join(unknown)}")
    tiers: dict[str, Tier] = {}
    for name in TIERS:
        spec = raw.get(name) or {}
        share = spec.get("share")
        if share is None:
            lo, hi = DEFAULT_SHARES[name]
        else:
            if not isinstance(share, Sequence) or len(share) != 2:
                raise CatalogueError(f"{where}.{name}.share: give [from, to] as fractions")
            lo, hi = (
                _dec(share[0], f"{where}.{name}.share"),
                _dec(share[1], f"{where}.{name}.share"),
            )
            if not Decimal(0) <= lo <= hi <= Decimal(1):
                raise CatalogueError(f"{where}.{name}.share: need 0 ≤ from ≤ to ≤ 1")
        circumstances = spec.get("circumstances") or {}
        if not isinstance(circumstances, Mapping):
            raise CatalogueError(f"{where}.{name}.circumstances: a mapping of code → description")
        tiers[name] = Tier(
            name,
            (lo, hi),
            {str(k): str(v) for k, v in circumstances.items()},
            spec.get("basis", ""),
        )
    return tiers


def _dec(value: Any, where: str) -> Decimal:
    try:
        result = Decimal(str(value))
    except ArithmeticError:
        raise CatalogueError(f"{where}: {value!r} is not a number") from None
    if value is None or not result.is_finite() or result < 0:
        raise CatalogueError(f"{where}: {value!r} is not a number zero or more")
    return result


def _date(value: Any, where: str) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise CatalogueError(f"{where}: {value!r} is not a date YYYY-MM-DD") from None


def _cent(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _n(value: Decimal) -> str:
    """An amount for a sentence: 50000 → '50,000', 2.5 → '2.5'."""
    normal = value.normalize()
    if normal == normal.to_integral():
        return f"{int(normal):,}"
    return f"{normal:,f}"


def catalogue_conflicts(entries: Iterable[Violation]) -> list[str]:
    """Violation codes declared by two plugins, each naming both (issue at load time)."""
    seen: dict[str, str] = {}
    problems = []
    for v in entries:
        first = seen.setdefault(v.code, v.department)
        if first != v.department:
            problems.append(
                f"violation {v.code} is declared by both {first} and {v.department}; "
                "a code belongs to one plugin — disable one of them for this department"
            )
    return problems
