"""How firms respond to the rules in force: a vectorised simulation over firms × years.

Each year of a run takes the rules in force on its first day under the reform
(:class:`~zhifa.sandbox.rules.Rules`) and turns them into what a firm faces, always through the
engine's own code:

* **the chance of being drawn**: per department, credit class and risk level, the share the
  sampling policy gives (:meth:`~zhifa.rules.sampling.SamplingPolicy.ratio`: class and risk,
  exemptions) applied to the stratum's eligible firms by the draw's own rounding
  (:func:`~zhifa.inspections.selection.sample_size`); firms within the grace period are not
  drawn; a yearly cap of 0 leaves a class out (one plan a year, so a cap of 1 or more does not
  bind). When the visits would take more officer-days than the department has, every firm's
  chance is scaled down to what the capacity allows;
* **complaints**: a violating firm is complained about or reported with the scenario's yearly
  probability, and every complaint is inspected;
* **the sanction**: the fine the discretion benchmark suggests for the firm's violation and
  goods value (:func:`~zhifa.rules.suggest`, the middle of the suggested range; the heavier tier
  for the share of cases with an aggravating circumstance), none for a first violation on the
  no-penalty list; whether the decision is a 较重行政处罚
  (:func:`~zhifa.procedure.serious_list.heavier`), which lists the firm as seriously dishonest;
  the months it is published (:func:`~zhifa.procedure.publication.publicity_end`), each month
  costing the firm the scenario's reputational cost; and the first day a credit repair may end
  publication (:func:`~zhifa.procedure.credit_repair.first_eligible_day`);
* **credit classes**: at the end of each year the firms' records (penalties, inspections with
  and without violations, complaints, serious listings) are counted in each indicator's window
  and classified by the department's scheme (:meth:`~zhifa.rules.credit.CreditScheme.classify`),
  so a firm found violating is drawn more often the next year.

**The firm** violates when its yearly gain exceeds the sanction it expects: the chance it
believes it is inspected (drawn, or complained about) × the detection probability × the
sanction (Becker's static rule). With ``learn`` 0
its belief is its true chance this year; with ``learn`` above 0 it starts from ``prior`` and
moves toward 1 in a year it is inspected and toward 0 in a year it is not
(belief ← (1 − learn)·belief + learn·[inspected]).

A run starts ``warmup`` years before ``start`` (under the rules in force then) so that the
firms' records and classes have settled when the reported years begin; the population's classes
are only the first warm-up year's.

**What the model does not capture**: fines are the benchmark's middle, not officers' choices;
every complaint is about a violation and is inspected; a firm commits at most one violation a
year, of the one kind its industry is given; firms do not exit or enter; collection is a fixed
share; the abnormal-operation and key-attention lists, commitments and joint measures other than
the class are not modelled.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
from numpy.typing import NDArray

from zhifa.calendar import add_years
from zhifa.errors import InputError
from zhifa.inspections.selection import sample_size
from zhifa.procedure.publication import Penalty
from zhifa.procedure.serious_list import heavier
from zhifa.rules import CREDIT_CLASSES, RISK_LEVELS, Facts, Violation, suggest
from zhifa.rules.credit import CreditScheme
from zhifa.sandbox.population import NO_RISK, Population, registered_within
from zhifa.sandbox.reform import BASELINE, Reform
from zhifa.sandbox.rules import Installed, Rules

DEFAULT_VIOLATIONS = {
    "食品销售": "FS-125-1-02",
    "零售": "FS-125-1-02",
    "餐饮服务": "FS-125-1-04",
    "食品生产": "FS-124-1-05",
    "制造": "FS-125-1-04",
}
"""The violation a firm of each industry commits, by catalogue code (the market plugin's)."""
FOOD_INDUSTRIES = frozenset({"食品销售", "餐饮服务", "食品生产"})
BUCKETS = np.geomspace(100.0, 1e8, 49)
"""Goods values (yuan) at which the benchmark is evaluated; a firm takes its bucket's fine."""
STATS = (
    "violators",
    "drawn",
    "complaints",
    "inspections",
    "found",
    "fines_imposed",
    "fines_collected",
    "no_penalty",
    "publications",
    "serious_list",
    "repairs",
    "officer_days",
    "capacity_days",
    "never_visited",
)
"""The yearly totals a run reports (see :class:`Run`)."""


@dataclass(frozen=True, slots=True)
class Scenario:
    """How firms behave and how long a run lasts; not rules, so not part of a reform."""

    start: date = date(2027, 1, 1)
    years: int = 5
    warmup: int = 3
    detect: float = 0.8
    complaint_rate: float = 0.05
    learn: float = 0.0
    prior: float = 0.05
    reputation_per_month: float = 0.0
    heavier_share: float = 0.05
    collection_rate: float = 0.9
    repair_rate: float = 0.5
    violations: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_VIOLATIONS))
    departments: Mapping[str, str] = field(default_factory=dict)  # industry → department

    def __post_init__(self) -> None:
        for name in ("detect", "complaint_rate", "learn", "prior", "heavier_share",
                     "collection_rate", "repair_rate"):  # fmt: skip
            value = getattr(self, name)
            if not 0.0 <= float(value) <= 1.0:
                raise InputError(f"scenario {name} must be a share between 0 and 1, not {value}")
        if not isinstance(self.years, int) or not 1 <= self.years <= 100:
            raise InputError(
                f"scenario years must be a whole number from 1 to 100, not {self.years}"
            )
        if self.reputation_per_month < 0:
            raise InputError("scenario reputation_per_month must be zero or more yuan")

    def as_dict(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "years": self.years,
            "warmup": self.warmup,
            "detect": self.detect,
            "complaint_rate": self.complaint_rate,
            "learn": self.learn,
            "prior": self.prior,
            "reputation_per_month": self.reputation_per_month,
            "heavier_share": self.heavier_share,
            "collection_rate": self.collection_rate,
            "repair_rate": self.repair_rate,
            "violations": dict(self.violations),
            "departments": dict(self.departments),
        }


@dataclass(frozen=True, slots=True)
class Run:
    """One replication: ``stats[name]`` is a per-year array (see :data:`STATS`);
    ``by_class[year, class]`` inspections of each credit class, ``by_department[year, d]``
    inspections of each department, ``classes[year, class]`` firms in each class at the end."""

    years: tuple[date, ...]
    stats: Mapping[str, NDArray[np.float64]]
    by_class: NDArray[np.int64]
    by_department: NDArray[np.int64]
    classes: NDArray[np.int64]
    firms: int

    @property
    def violation_rate(self) -> NDArray[np.float64]:
        out: NDArray[np.float64] = self.stats["violators"] / self.firms
        return out


# -- what the rules give, year by year ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Sanctions:
    """Per industry × goods-value bucket × heavier (0/1): the fine, publicity months, months
    before a repair (-1: never), whether a 较重行政处罚; per industry: on the no-penalty list."""

    fine: NDArray[np.float64]
    months: NDArray[np.float64]
    repair_months: NDArray[np.float64]
    heavier: NDArray[np.bool_]
    no_penalty: NDArray[np.bool_]
    commits: NDArray[np.bool_]


def _months(start: date, end: date) -> float:
    return (end - start).days / (365.25 / 12)


def _entry(catalogue: Mapping[str, list[Violation]], code: str, day: date) -> Violation:
    entry = next((v for v in catalogue.get(code, ()) if v.in_force(day)), None)
    if entry is None:
        raise InputError(
            f"the scenario's violation {code} is not in the loaded catalogues on {day}; "
            "give each industry a code listed by `zhifa violations`"
        )
    return entry


def _sanctions(rules: Rules, pop: Population, scenario: Scenario) -> _Sanctions:
    day = rules.day
    catalogue = rules.catalogue()
    k, b = len(pop.industries), BUCKETS.shape[0]
    fine = np.zeros((k, b, 2))
    months = np.zeros((k, b, 2))
    repair = np.full((k, b, 2), -1.0)
    heavy = np.zeros((k, b, 2), dtype=bool)
    listed = np.zeros(k, dtype=bool)
    commits = np.zeros(k, dtype=bool)
    for i, industry in enumerate(pop.industries):
        code = scenario.violations.get(industry)
        if code is None:
            continue  # an industry without a violation: its firms never violate
        entry = _entry(catalogue, code, day)
        commits[i] = True
        listed[i] = entry.no_penalty is not None
        aggravating = (
            next(iter(entry.tiers["heavier"].circumstances), None)
            if "heavier" in entry.tiers
            else None
        )
        category = "food_drug_equipment" if industry in FOOD_INDUSTRIES else "general"
        for j, value in enumerate(BUCKETS):
            for h in (0, 1):
                circumstances = frozenset({aggravating}) if h and aggravating else frozenset()
                facts = Facts(
                    goods_value=Decimal(str(round(value, 2))), circumstances=circumstances
                )
                try:
                    found = suggest(entry, facts)
                except InputError:
                    continue  # no fine fits: a warning or a measure only
                amount = (found.suggested[0] + found.suggested[1]) / 2
                fine[i, j, h] = float(amount)
                data = {"penalty_kind": "fine", "fine": str(amount),
                        "_discretion": {"tier": found.tier.name}}  # fmt: skip
                heavy[i, j, h] = heavier(data)
                if amount > 0:
                    penalty = Penalty(frozenset({"fine"}), amount)
                    months[i, j, h] = _months(day, rules.publicity_end(day, penalty))
                    first = rules.first_repair_day(day, category)
                    repair[i, j, h] = -1.0 if first is None else _months(day, first)
    return _Sanctions(fine, months, repair, heavy, listed, commits)


def _draw_chance(
    rules: Rules,
    pop: Population,
    klass: NDArray[np.uint8],
    dept_of: NDArray[np.intp],
    departments: tuple[str, ...],
) -> NDArray[np.float64]:
    """Each firm's chance of being drawn this year (see the module documentation)."""
    chance = np.zeros(pop.n)
    grace_out = np.zeros(pop.n, dtype=bool)
    for d, dept in enumerate(departments):
        policy = rules.policy(dept)
        mine = dept_of == d
        if policy.grace_days:
            grace_out |= mine & registered_within(pop, rules.day, policy.grace_days)
        eligible = mine & ~grace_out
        for c, cls in enumerate(CREDIT_CLASSES):
            if policy.yearly_cap.get(cls) == 0:
                continue
            for r in range(NO_RISK + 1):
                risk = RISK_LEVELS[r] if r < NO_RISK else None
                ratio = policy.ratio(cls, risk)
                members = eligible & (klass == c) & (pop.risk == r)
                count = int(members.sum())
                if count:
                    chance[members] = sample_size(ratio, count) / count
    return chance


# -- the run ------------------------------------------------------------------------------------------


def _departments(pop: Population, scenario: Scenario, installed: Installed) -> NDArray[np.intp]:
    known = installed.departments
    codes = []
    for industry in pop.industries:
        dept = scenario.departments.get(industry, known[0])
        if dept not in known:
            raise InputError(
                f"the scenario gives {industry} to department {dept}, whose rules are not loaded; "
                f"the departments are {', '.join(known)}"
            )
        codes.append(known.index(dept))
    return np.asarray(codes, dtype=np.intp)[pop.industry]


def _counts(
    scheme: CreditScheme, history: Mapping[str, NDArray[np.int32]], year: int
) -> dict[str, NDArray[np.int64]]:
    """Per indicator and override of ``scheme``: the records of its kind (and flag) each firm has
    in its window at the end of ``year`` (whole years: a window of m months covers
    ceil(m / 12) years)."""
    out: dict[str, NDArray[np.int64]] = {}
    for item in scheme.counted:
        key = f"{item.kind}:{item.flag or ''}"
        rows = history.get(key)
        if rows is None:
            out[item.code] = np.zeros(next(iter(history.values())).shape[1], dtype=np.int64)
            continue
        span = max(1, -(-item.months // 12))
        out[item.code] = rows[max(0, year - span + 1) : year + 1].sum(axis=0, dtype=np.int64)
    return out


def simulate(
    installed: Installed,
    pop: Population,
    scenario: Scenario,
    seed: int | np.random.SeedSequence,
    reform: Reform = BASELINE,
) -> Run:
    """One replication of ``scenario`` on ``pop`` under ``reform`` (see the module
    documentation); the same seed gives the same run."""
    rng = np.random.default_rng(seed)
    n, years, warm = pop.n, scenario.warmup + scenario.years, scenario.warmup
    departments = installed.departments
    dept_of = _departments(pop, scenario, installed)
    klass = pop.credit_class.copy()
    belief = np.full(n, scenario.prior)
    # a firm with a decided case on record has had its first violation (no-penalty no more)
    found_before = np.zeros(n, dtype=bool) if pop.cases is None else pop.cases > 0
    visited = np.zeros(n, dtype=bool)
    bucket = np.clip(np.searchsorted(BUCKETS, pop.goods_value), 0, BUCKETS.shape[0] - 1)
    history = {
        key: np.zeros((years, n), dtype=np.int32)
        for key in (
            "penalty:",
            "penalty:heavier",
            "inspection:violation",
            "inspection:clean",
            "complaint:",
            "serious_list:",
            "no_penalty:",
        )
    }
    stats = {name: np.zeros(years) for name in STATS}
    by_class = np.zeros((years, 4), dtype=np.int64)
    by_dept = np.zeros((years, len(departments)), dtype=np.int64)
    classes = np.zeros((years, 4), dtype=np.int64)
    days = tuple(add_years(scenario.start, y - warm) for y in range(years))
    for y, day in enumerate(days):
        if y == warm:
            visited[:] = False  # who is never visited counts from the start
        rules = installed.on(day, reform)
        s = _sanctions(rules, pop, scenario)
        drawn_p = _draw_chance(rules, pop, klass, dept_of, departments)
        # capacity: scale each department's draws to the officer-days it has
        visit = float(rules.visit_days)
        for d, dept in enumerate(departments):
            mine = dept_of == d
            demand = float(drawn_p[mine].sum()) * visit
            limit = rules.officer_days(dept)
            if limit is None:
                continue
            capacity = float(limit)
            stats["capacity_days"][y] += capacity
            if demand > capacity:
                drawn_p[mine] *= capacity / demand if demand else 0.0
        heavy_case = rng.random(n) < scenario.heavier_share
        h = heavy_case.astype(np.intp)
        industry = pop.industry.astype(np.intp)
        fine = s.fine[industry, bucket, h]
        free = s.no_penalty[industry] & ~found_before
        sanction = np.where(
            free, 0.0, fine + scenario.reputation_per_month * s.months[industry, bucket, h]
        )
        believed = drawn_p if scenario.learn == 0 else belief
        reached = 1.0 - (1.0 - believed) * (1.0 - scenario.complaint_rate)  # drawn or complained
        expected = reached * scenario.detect * sanction
        violates = s.commits[industry] & (pop.gain > expected)
        drawn = rng.random(n) < drawn_p
        complained = violates & (rng.random(n) < scenario.complaint_rate)
        inspected = drawn | complained
        found = inspected & violates & (rng.random(n) < scenario.detect)
        penalised = found & ~free & (fine > 0)
        excused = found & free
        listed = penalised & s.heavier[industry, bucket, h]
        published = penalised
        repair_months = s.repair_months[industry, bucket, h]
        repaired = (
            published
            & (repair_months >= 0)
            & (repair_months < 12 * (years - y))
            & (rng.random(n) < scenario.repair_rate)
        )
        # the record of the year, for the classes
        history["penalty:"][y] = penalised
        history["penalty:heavier"][y] = listed
        history["inspection:violation"][y] = found
        history["inspection:clean"][y] = inspected & ~found
        history["complaint:"][y] = complained
        history["serious_list:"][y] = listed
        history["no_penalty:"][y] = excused
        found_before |= found
        visited |= inspected
        if scenario.learn:
            belief *= 1.0 - scenario.learn
            belief[inspected] += scenario.learn
        # totals
        stats["violators"][y] = violates.sum()
        stats["drawn"][y] = drawn.sum()
        stats["complaints"][y] = complained.sum()
        stats["inspections"][y] = inspected.sum()
        stats["found"][y] = found.sum()
        imposed = float(fine[penalised].sum())
        stats["fines_imposed"][y] = imposed
        stats["fines_collected"][y] = imposed * scenario.collection_rate
        stats["no_penalty"][y] = excused.sum()
        stats["publications"][y] = published.sum()
        stats["serious_list"][y] = listed.sum()
        stats["repairs"][y] = repaired.sum()
        stats["officer_days"][y] = inspected.sum() * visit
        stats["never_visited"][y] = n - visited.sum()
        by_class[y] = np.bincount(klass[inspected], minlength=4)
        by_dept[y] = np.bincount(dept_of[inspected], minlength=len(departments))
        # classes at the end of the year, by each department's scheme
        for d, dept in enumerate(departments):
            mine = dept_of == d
            scheme = rules.scheme(dept)
            counts = _counts(scheme, history, y)
            _, new = scheme.classify({k: v[mine] for k, v in counts.items()})
            klass[mine] = new
        classes[y] = np.bincount(klass, minlength=4)
    return Run(
        days[warm:],
        {name: values[warm:] for name, values in stats.items()},
        by_class[warm:],
        by_dept[warm:],
        classes[warm:],
        n,
    )


__all__ = ["DEFAULT_VIOLATIONS", "STATS", "Run", "Scenario", "simulate"]
