"""The firms a simulation runs on: a synthetic population from a documented generator and a seed,
or the real directory of a zhifa database (its entities, classes, risk levels, registration days,
and the cases and inspections on record; the gains from violating are not on any record, so they
are drawn as for a synthetic one).

**The synthetic generator** (:func:`synthetic`), every figure an argument with this default:

* *industries*: food sales 35 %, catering 30 %, food production 10 %, retail 15 %,
  manufacturing 10 %; *regions*: 16 districts, equally likely;
* *size*: micro 70 %, small 20 %, medium 8 %, large 2 %;
* *credit class*: A 30 %, B 55 %, C 12 %, D 3 %; *risk level*: low 60 %, medium 30 %, high 10 %;
* *registration*: uniform over the 20 years before the start, so about 1 % are within a
  half-year grace period;
* *gain from violating* (yuan a year: the compliance cost saved): lognormal with median
  ``gain_median`` (1,500) × the size's multiple (micro 1, small 3, medium 10, large 30)
  and ``gain_sigma`` (1.2);
* *goods value* of a violation (yuan, read by fines set as multiples): lognormal, median
  ``goods_median`` × the size's multiple, sigma 1.

The same ``seed`` gives the same population on any machine (NumPy's PCG64).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import sqlalchemy as sa
from numpy.typing import NDArray
from sqlalchemy.orm import Session

from zhifa.errors import InputError
from zhifa.rules import CREDIT_CLASSES, RISK_LEVELS
from zhifa.store import Store
from zhifa.store.tables import Entity, Event, Matter

INDUSTRIES = ("食品销售", "餐饮服务", "食品生产", "零售", "制造")
INDUSTRY_SHARES = (0.35, 0.30, 0.10, 0.15, 0.10)
SIZES = ("micro", "small", "medium", "large")
SIZE_SHARES = (0.70, 0.20, 0.08, 0.02)
SIZE_MULTIPLE = (1.0, 3.0, 10.0, 30.0)
CLASS_SHARES = (0.30, 0.55, 0.12, 0.03)
RISK_SHARES = (0.60, 0.30, 0.10)
NO_RISK = len(RISK_LEVELS)  # the code of an entity without a risk level


@dataclass(frozen=True, slots=True, eq=False)
class Population:
    """N firms as aligned arrays. ``credit_class`` codes index :data:`CREDIT_CLASSES`, ``risk``
    codes index :data:`RISK_LEVELS` (:data:`NO_RISK`: none), ``industry`` indexes
    ``industries``; ``registered`` is a day number (``datetime64[D]``). A database's directory
    also gives each firm's decided cases and inspections on record (``cases``,
    ``inspections``; None for a synthetic population)."""

    industries: tuple[str, ...]
    industry: NDArray[np.int16]
    region: NDArray[np.int16]
    size: NDArray[np.int8]
    credit_class: NDArray[np.uint8]
    risk: NDArray[np.uint8]
    registered: NDArray[np.datetime64]
    gain: NDArray[np.float64]
    goods_value: NDArray[np.float64]
    source: str = "synthetic"
    cases: NDArray[np.int32] | None = None
    inspections: NDArray[np.int32] | None = None

    @property
    def n(self) -> int:
        return int(self.industry.shape[0])

    def describe(self) -> dict[str, object]:
        """Counts by class, risk and industry, for a notebook or ``--json``."""
        return {
            "source": self.source,
            "firms": self.n,
            "by_class": _counts(self.credit_class, CREDIT_CLASSES),
            "by_risk": _counts(self.risk, (*RISK_LEVELS, "none")),
            "by_industry": _counts(self.industry, self.industries),
            "median_gain": float(np.median(self.gain)) if self.n else 0.0,
        }


def _counts(codes: NDArray[np.integer], names: Sequence[str]) -> dict[str, int]:
    found = np.bincount(codes.astype(np.intp), minlength=len(names))
    return {name: int(found[i]) for i, name in enumerate(names)}


def _gains(
    rng: np.random.Generator,
    size: NDArray[np.int8],
    median: float,
    sigma: float,
) -> NDArray[np.float64]:
    scale: NDArray[np.float64] = np.asarray(SIZE_MULTIPLE, dtype=np.float64)[size] * median
    out: NDArray[np.float64] = scale * np.exp(sigma * rng.standard_normal(size.shape[0]))
    return out


def synthetic(
    n: int,
    seed: int,
    *,
    start: date = date(2027, 1, 1),
    gain_median: float = 1_500.0,
    gain_sigma: float = 1.2,
    goods_median: float = 5_000.0,
    class_shares: Sequence[float] = CLASS_SHARES,
) -> Population:
    """A synthetic population of ``n`` firms (the generator: the module documentation)."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise InputError(f"a population needs at least one firm, not {n!r}")
    if gain_median <= 0 or gain_sigma < 0 or goods_median <= 0:
        raise InputError("gain_median and goods_median must be above 0, gain_sigma 0 or more")
    if len(class_shares) != 4 or abs(sum(class_shares) - 1) > 1e-9 or min(class_shares) < 0:
        raise InputError("class_shares must be four shares (A–D) that add up to 1")
    rng = np.random.default_rng(seed)
    size = rng.choice(len(SIZES), n, p=SIZE_SHARES).astype(np.int8)
    days = rng.integers(0, 20 * 365, n)
    return Population(
        industries=INDUSTRIES,
        industry=rng.choice(len(INDUSTRIES), n, p=INDUSTRY_SHARES).astype(np.int16),
        region=rng.integers(0, 16, n).astype(np.int16),
        size=size,
        credit_class=rng.choice(4, n, p=list(class_shares)).astype(np.uint8),
        risk=rng.choice(len(RISK_LEVELS), n, p=RISK_SHARES).astype(np.uint8),
        registered=np.datetime64(start, "D") - days.astype("timedelta64[D]"),
        gain=_gains(rng, size, gain_median, gain_sigma),
        goods_value=np.asarray(SIZE_MULTIPLE)[size] * goods_median * np.exp(rng.standard_normal(n)),
        source=f"synthetic n={n} seed={seed}",
    )


def from_database(
    store: Store,
    seed: int,
    *,
    gain_median: float = 1_500.0,
    gain_sigma: float = 1.2,
    goods_median: float = 5_000.0,
    label: str | None = None,
) -> Population:
    """The directory of a zhifa database (named ``label`` in the results, else by its URL):
    every entity with its industry, region, current credit class (none stored: B), risk level,
    and its decided cases and inspections on record (a firm with a decided case has had its
    first violation); size is unknown on the record, so every firm is taken as small; gains and
    goods values are drawn with ``seed`` as for a synthetic one."""
    e = Entity.__table__.c
    with store.read() as s:
        rows = s.execute(
            sa.select(
                e.id, e.industry, e.region_code, e.credit_class, e.risk_level, e.registered_on
            ).order_by(e.id)
        ).all()
        cases = _per_entity(s, "case", DECIDED)
        inspections = _per_entity(s, "inspection", ("record_result",))
    if not rows:
        raise InputError(
            f"{store.url} has no entities; import a directory first (zhifa entity import) or "
            "run on a synthetic population (--population N)"
        )
    n = len(rows)
    industries = tuple(sorted({str(r.industry or "") for r in rows}))
    regions = {code: i for i, code in enumerate(sorted({str(r.region_code or "") for r in rows}))}
    classes = {c: i for i, c in enumerate(CREDIT_CLASSES)}
    risks = {r: i for i, r in enumerate(RISK_LEVELS)}
    fallback = date(2000, 1, 1)
    rng = np.random.default_rng(seed)
    size = np.full(n, 1, dtype=np.int8)
    return Population(
        industries=industries,
        industry=np.fromiter((industries.index(str(r.industry or "")) for r in rows), np.int16, n),
        region=np.fromiter((regions[str(r.region_code or "")] for r in rows), np.int16, n),
        size=size,
        credit_class=np.fromiter((classes.get(r.credit_class, 1) for r in rows), np.uint8, n),
        risk=np.fromiter((risks.get(r.risk_level, NO_RISK) for r in rows), np.uint8, n),
        registered=np.array([r.registered_on or fallback for r in rows], dtype="datetime64[D]"),
        gain=_gains(rng, size, gain_median, gain_sigma),
        goods_value=np.asarray(SIZE_MULTIPLE)[size] * goods_median * np.exp(rng.standard_normal(n)),
        source=f"database {label or store.url} ({n} entities) seed={seed}",
        cases=np.fromiter((cases.get(r.id, 0) for r in rows), np.int32, n),
        inspections=np.fromiter((inspections.get(r.id, 0) for r in rows), np.int32, n),
    )


DECIDED = ("decide_penalty", "decide_on_the_spot", "decide_no_penalty", "decide_soft")
"""The steps that decide a case: a firm with one has a violation on record."""


def _per_entity(session: Session, workflow: str, triggers: Sequence[str]) -> dict[int, int]:
    """Entity id → how many of its ``workflow`` matters took one of ``triggers`` (one query)."""
    m, ev = Matter.__table__.c, Event.__table__.c
    found = session.execute(
        sa.select(m.entity_id, sa.func.count(sa.distinct(m.id)))
        .join(Event, ev.matter_id == m.id)
        .where(m.workflow == workflow, ev.trigger.in_(triggers), m.entity_id.is_not(None))
        .group_by(m.entity_id)
    ).all()
    return {int(k): int(v) for k, v in found}


def day_number(day: date) -> np.datetime64:
    return np.datetime64(day, "D")


def registered_within(pop: Population, day: date, days: int) -> NDArray[np.bool_]:
    """Firms registered fewer than ``days`` days before ``day`` (the draw's grace rule)."""
    if days <= 0:
        return np.zeros(pop.n, dtype=bool)
    return pop.registered > np.datetime64(day - timedelta(days=days), "D")


__all__ = ["INDUSTRIES", "NO_RISK", "Population", "from_database", "registered_within", "synthetic"]
