"""The firm models' own solutions, against which the sandbox's simulations are checked.

**Static deterrence** (after Becker, 1968). A firm gains ``g`` a period by violating (the
compliance cost it saves). It is inspected with probability ``p``, an inspection finds an existing
violation with probability ``d``, and a found violation is fined ``F``. The firm violates iff

    g > p·d·F        (a tie complies),

so with gains drawn from a distribution with CDF ``G`` the compliance rate is ``G(p·d·F)``
(:func:`static_compliance`; the distributions are :class:`GainDistribution`).

**Enforcement leverage** (Harrington, W. (1988), "Enforcement leverage when penalties are
restricted", Journal of Public Economics 37(1): 29–53). Firms sit in one of two groups. G1 is
lenient (inspection probability ``p1``, fine ``F1``), G2 strict (``p2``, ``F2``); both fines are
capped at ``Fmax``. An inspection finds a violation with probability ``d`` (1 in the classic model).
A violation found in G1 is fined ``F1`` and moves the firm to G2; one found in G2 is fined ``F2``
and the firm stays. A firm in G2 whose inspection finds nothing (it complied, or its violation was
missed) moves back to G1 with probability ``b``. Complying costs ``c`` a period; the discount factor
is ``β``; costs fall in the period, moves take effect the next. Writing ``q1 = p1·d`` for the chance
a violator in G1 is moved up, ``r_c = p2·b`` and ``r_v = p2·(1−d)·b`` for a complier's and a
violator's chance of moving back down, the firm's least expected discounted costs solve

    V1 = min( c + β·V1 ,                p1·d·F1 + β·(q1·V2 + (1 − q1)·V1) )
    V2 = min( c + β·(r_c·V1 + (1 − r_c)·V2) ,  p2·d·F2 + β·(r_v·V1 + (1 − r_v)·V2) )

(first term: comply, second: violate). A stationary policy fixes one action per group, so there
are four; each one's values solve a 2×2 linear system in closed form, and the optimal policy is the
one whose values are least in both groups (:func:`harrington_policy`). A policy moves the firm up
with probability ``m1`` (0 if it complies in G1, else ``q1``) and down with ``m2`` (``r_c`` or
``r_v``), so its long-run share of periods in G2 is ``m1 / (m1 + m2)``
(:func:`harrington_stationary`).

The leverage: a firm with ``p2·d·F2 < c ≤ c*`` complies in G2 although its expected fine there is
below its cost, because complying is its way back to G1; :func:`leverage_band` gives
``(p2·d·F2, c*)``.

**The base firm model** with learning switched off: a firm violates iff ``g > belief·(d·F)``
with its belief fixed at the prior, so every period's violation rate is that share of firms
(:func:`base_violation_rate`), and ``Σ p·d`` over the violators is the expected number found
(:func:`base_expected_found`).

Everything is vectorised over firms with NumPy; nothing here draws random numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from zhifa.errors import InputError

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

__all__ = [
    "GAIN_KINDS",
    "BoolArray",
    "FloatArray",
    "GainDistribution",
    "HarringtonParams",
    "HarringtonStationary",
    "Policy",
    "base_expected_found",
    "base_violation_rate",
    "check_fines",
    "check_nonnegative",
    "check_probabilities",
    "check_probability",
    "erfc",
    "harrington_policy",
    "harrington_stationary",
    "leverage_band",
    "normal_cdf",
    "static_compliance",
]

# --------------------------------------------------------------------------- parameter checks


def check_probability(name: str, value: float) -> float:
    """``value`` as a float if it is a probability (0 to 1 inclusive), else :class:`InputError`."""
    v = float(value)
    if not 0.0 <= v <= 1.0:
        raise InputError(
            f"{name} is {value!r}, but a probability lies between 0 and 1; give {name} in [0, 1]"
        )
    return v


def check_nonnegative(name: str, value: float) -> float:
    """``value`` as a float if it is finite and zero or more, else :class:`InputError`."""
    v = float(value)
    if not (math.isfinite(v) and v >= 0.0):
        raise InputError(
            f"{name} is {value!r}, but it must be a finite amount of zero or more; give {name} ≥ 0"
        )
    return v


def check_probabilities(name: str, values: npt.ArrayLike) -> npt.NDArray[Any]:
    """``values`` as an array if every entry is a probability, else :class:`InputError`."""
    a = np.asarray(values)
    if a.dtype.kind not in "fiub" or not bool(np.all((a >= 0) & (a <= 1))):
        raise InputError(
            f"{name} holds a value outside 0 to 1 (or not a number), but each is a probability; "
            f"give {name} in [0, 1]"
        )
    return a


def check_fines(name: str, values: npt.ArrayLike) -> npt.NDArray[Any]:
    """``values`` as an array if every entry is finite and zero or more, else
    :class:`InputError`."""
    a = np.asarray(values)
    if a.dtype.kind not in "fiu" or not bool(np.all(np.isfinite(a) & (a >= 0))):
        raise InputError(
            f"{name} holds a negative or non-finite value, but each is an amount in yuan; "
            f"give {name} ≥ 0"
        )
    return a


def _finite_costs(name: str, values: npt.ArrayLike) -> FloatArray:
    a = np.asarray(values, dtype=np.float64)
    if not bool(np.all(np.isfinite(a))):
        raise InputError(
            f"{name} holds a value that is not a finite number, but each is a cost in yuan; "
            f"give finite {name}"
        )
    return a


# --------------------------------------------------------------------------- the normal CDF

# Abramowitz and Stegun, Handbook of Mathematical Functions (1964), formula 7.1.26.
_AS_P = 0.3275911
_AS_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)


def erfc(x: npt.ArrayLike) -> FloatArray:
    """The complementary error function over an array, by Abramowitz and Stegun's formula 7.1.26.

    Its absolute error is at most 1.5e-7 (relative error in the far tail is larger), which is
    ample for compliance rates compared within Monte Carlo error; NumPy has no ``erf`` and the
    project does not depend on SciPy.
    """
    z = np.asarray(x, dtype=np.float64)
    a = np.abs(z)
    t = 1.0 / (1.0 + _AS_P * a)
    a1, a2, a3, a4, a5 = _AS_A
    y = t * (a1 + t * (a2 + t * (a3 + t * (a4 + t * a5)))) * np.exp(-a * a)
    return np.asarray(np.where(z >= 0, y, 2.0 - y), dtype=np.float64)


def normal_cdf(z: npt.ArrayLike) -> FloatArray:
    """The standard normal CDF ``Φ(z) = erfc(−z/√2) / 2`` (absolute error below 1e-7)."""
    return 0.5 * erfc(-np.asarray(z, dtype=np.float64) / math.sqrt(2.0))


# --------------------------------------------------------------------------- gain distributions

GAIN_KINDS = ("lognormal", "uniform", "exponential")
_NEEDS: dict[str, tuple[str, ...]] = {
    "lognormal": ("median", "sigma"),
    "uniform": ("low", "high"),
    "exponential": ("mean",),
}


@dataclass(frozen=True, slots=True)
class GainDistribution:
    """How firms' per-period gains from violating (yuan) are spread.

    ``GainDistribution("lognormal", median=..., sigma=...)`` (sigma of the log),
    ``GainDistribution("uniform", low=..., high=...)`` or
    ``GainDistribution("exponential", mean=...)``; the other parameters stay unset.
    """

    kind: Literal["lognormal", "uniform", "exponential"]
    median: float | None = None
    sigma: float | None = None
    low: float | None = None
    high: float | None = None
    mean: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in _NEEDS:
            raise InputError(
                f"kind {self.kind!r} is not a gain distribution zhifa knows; "
                f"use one of {', '.join(GAIN_KINDS)}"
            )
        needs = _NEEDS[self.kind]
        for name in ("median", "sigma", "low", "high", "mean"):
            value = getattr(self, name)
            if name in needs and (value is None or not math.isfinite(value)):
                raise InputError(
                    f"{name} is {value!r}, but a {self.kind} distribution needs a finite "
                    f"{name}; give one"
                )
            if name not in needs and value is not None:
                raise InputError(
                    f"{name} is set, but a {self.kind} distribution takes only "
                    f"{' and '.join(needs)}; leave {name} out"
                )
        self._check_values()

    def _check_values(self) -> None:
        if self.kind == "lognormal":
            if self._get("median") <= 0:
                raise InputError(
                    f"median is {self.median!r}, but a lognormal median is positive; "
                    "give median > 0"
                )
            if self._get("sigma") <= 0:
                raise InputError(
                    f"sigma is {self.sigma!r}, but a lognormal spread is positive; give sigma > 0"
                )
        elif self.kind == "uniform":
            if not self._get("low") < self._get("high"):
                raise InputError(
                    f"low is {self.low!r} and high {self.high!r}, but a uniform range needs "
                    "low < high; widen it"
                )
        elif self._get("mean") <= 0:
            raise InputError(
                f"mean is {self.mean!r}, but an exponential mean is positive; give mean > 0"
            )

    def _get(self, name: str) -> float:
        value = getattr(self, name)
        assert value is not None  # checked in __post_init__
        return float(value)

    def cdf(self, x: npt.ArrayLike) -> FloatArray:
        """P(gain ≤ x), elementwise over ``x`` (exact but for the normal CDF's 1e-7, see
        :func:`erfc`)."""
        v = np.asarray(x, dtype=np.float64)
        if self.kind == "lognormal":
            logs = np.full(v.shape, -np.inf)
            np.log(v, out=logs, where=v > 0)
            return normal_cdf((logs - math.log(self._get("median"))) / self._get("sigma"))
        if self.kind == "uniform":
            low, high = self._get("low"), self._get("high")
            return np.asarray(np.clip((v - low) / (high - low), 0.0, 1.0), dtype=np.float64)
        return np.asarray(-np.expm1(-np.maximum(v, 0.0) / self._get("mean")), dtype=np.float64)

    def sample(self, rng: np.random.Generator, n: int) -> FloatArray:
        """``n`` independent gains drawn with ``rng``."""
        if n < 0:
            raise InputError(f"n is {n}, but a number of firms is zero or more; give n ≥ 0")
        if self.kind == "lognormal":
            return self._get("median") * np.exp(self._get("sigma") * rng.standard_normal(n))
        if self.kind == "uniform":
            return rng.uniform(self._get("low"), self._get("high"), n)
        return rng.exponential(self._get("mean"), n)


# --------------------------------------------------------------------------- static model


def static_compliance(dist: GainDistribution, p: float, d: float, fine: float) -> float:
    """Share of firms that comply in the static model: ``P(g ≤ p·d·F) = G(p·d·F)``."""
    threshold = (
        check_probability("p", p) * check_probability("d", d) * check_nonnegative("fine", fine)
    )
    return float(dist.cdf(threshold))


def base_violation_rate(
    gain: npt.ArrayLike, belief: npt.ArrayLike, d: float, fine: npt.ArrayLike
) -> float:
    """Share of firms violating in a period of the base model without learning: the mean of
    ``gain > belief·(d·fine)`` (with learning off the beliefs never move, so every period has
    it)."""
    g = np.asarray(gain)
    threshold = np.asarray(belief) * (np.asarray(fine) * check_probability("d", d))
    return float(np.mean(g > threshold)) if g.size else 0.0


def base_expected_found(
    gain: npt.ArrayLike, p: npt.ArrayLike, belief: npt.ArrayLike, d: float, fine: npt.ArrayLike
) -> float:
    """Expected number of violations found in a period of the base model without learning:
    ``Σ p_i·d`` over the firms that violate."""
    dd = check_probability("d", d)
    violates = np.asarray(gain) > np.asarray(belief) * (np.asarray(fine) * dd)
    return float(np.sum(np.where(violates, np.asarray(p, dtype=np.float64) * dd, 0.0)))


# --------------------------------------------------------------------------- Harrington


@dataclass(frozen=True, slots=True)
class HarringtonParams:
    """The enforcement regime of Harrington's two-group model (see the module documentation).

    ``p1``, ``p2``: inspection probabilities in G1 and G2; ``f1``, ``f2``: fines (yuan), each at
    most the cap ``fmax``; ``b``: probability that a G2 firm whose inspection finds nothing moves
    back to G1; ``beta``: discount factor in (0, 1); ``d``: probability an inspection finds an
    existing violation (1 in the classic model).
    """

    p1: float
    p2: float
    f1: float
    f2: float
    fmax: float
    b: float
    beta: float
    d: float = 1.0

    def __post_init__(self) -> None:
        for name in ("p1", "p2", "b", "d"):
            check_probability(name, getattr(self, name))
        for name in ("f1", "f2", "fmax"):
            check_nonnegative(name, getattr(self, name))
        for name in ("f1", "f2"):
            if getattr(self, name) > self.fmax:
                raise InputError(
                    f"{name} is {getattr(self, name)!r} yuan, above the cap fmax = {self.fmax!r} "
                    f"yuan; lower {name} or raise fmax"
                )
        if not 0.0 < float(self.beta) < 1.0:
            raise InputError(
                f"beta is {self.beta!r}, but a discount factor lies strictly between 0 and 1; "
                "give beta in (0, 1)"
            )

    @property
    def expected_fine_g1(self) -> float:
        """``p1·d·F1``: a violator's expected fine per period in G1."""
        return self.p1 * self.d * self.f1

    @property
    def expected_fine_g2(self) -> float:
        """``p2·d·F2``: a violator's expected fine per period in G2."""
        return self.p2 * self.d * self.f2

    @property
    def up(self) -> float:
        """``q1 = p1·d``: chance a violator in G1 is found and moved to G2."""
        return self.p1 * self.d

    @property
    def down_complying(self) -> float:
        """``r_c = p2·b``: chance a complier in G2 is moved back to G1."""
        return self.p2 * self.b

    @property
    def down_violating(self) -> float:
        """``r_v = p2·(1−d)·b``: chance a violator in G2 is inspected, missed and moved back."""
        return self.p2 * (1.0 - self.d) * self.b


# The four stationary policies as (comply in G1, comply in G2). Ties go to the earlier entry, so a
# firm indifferent between complying and violating complies, as in the static model.
_POLICIES = np.array([[True, True], [True, False], [False, True], [False, False]])
_TIE = 1e-12  # relative difference in values below which two policies count as tied


def _affine_values(
    params: HarringtonParams,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Each stationary policy's values as affine functions of the cost: ``V1 = A1 + B1·c``,
    ``V2 = A2 + B2·c``; arrays of length 4 in the order of ``_POLICIES``."""
    comply1, comply2 = _POLICIES[:, 0], _POLICIES[:, 1]
    beta = params.beta
    m1 = np.where(comply1, 0.0, params.up)
    m2 = np.where(comply2, params.down_complying, params.down_violating)
    # The per-period cost k = k_const + k_coef·c: c when complying, the expected fine otherwise.
    k1a, k1b = np.where(comply1, 0.0, params.expected_fine_g1), np.where(comply1, 1.0, 0.0)
    k2a, k2b = np.where(comply2, 0.0, params.expected_fine_g2), np.where(comply2, 1.0, 0.0)
    # (1 − β(1 − m1))·V1 − β·m1·V2 = k1 and −β·m2·V1 + (1 − β(1 − m2))·V2 = k2, solved.
    det = (1.0 - beta) * (1.0 - beta + beta * (m1 + m2))
    s1, s2 = 1.0 - beta + beta * m2, 1.0 - beta + beta * m1
    a1 = (s1 * k1a + beta * m1 * k2a) / det
    b1 = (s1 * k1b + beta * m1 * k2b) / det
    a2 = (beta * m2 * k1a + s2 * k2a) / det
    b2 = (beta * m2 * k1b + s2 * k2b) / det
    return a1, b1, a2, b2


@dataclass(frozen=True, slots=True, eq=False)
class Policy:
    """Each firm's optimal stationary policy in Harrington's model and its values: ``cost`` is
    the firm's per-period compliance cost, ``comply_g1``/``comply_g2`` what it does in each
    group, ``v1``/``v2`` its least expected discounted costs starting in G1/G2."""

    cost: FloatArray
    comply_g1: BoolArray
    comply_g2: BoolArray
    v1: FloatArray
    v2: FloatArray


def harrington_policy(c: npt.ArrayLike, params: HarringtonParams) -> Policy:
    """The exact optimal policy and values for every cost in ``c`` (vectorised over firms).

    All four stationary policies are valued in closed form; the optimal one has the least value
    in both groups, hence the least ``V1 + V2``. Sums within a relative 1e-12 of the least count
    as tied (rounding), and a tie goes to complying, first in G1, then in G2.
    """
    cost = _finite_costs("c", c)
    a1, b1, a2, b2 = _affine_values(params)
    cc = cost[..., np.newaxis]
    v1 = a1 + b1 * cc
    v2 = a2 + b2 * cc
    total = v1 + v2
    least = np.min(total, axis=-1, keepdims=True)
    tied = total <= least + _TIE * np.maximum(1.0, np.abs(least))
    best = np.argmax(tied, axis=-1)[..., np.newaxis]  # the first policy (most complying) tied
    return Policy(
        cost=cost,
        comply_g1=_POLICIES[best[..., 0], 0],
        comply_g2=_POLICIES[best[..., 0], 1],
        v1=np.take_along_axis(v1, best, axis=-1)[..., 0],
        v2=np.take_along_axis(v2, best, axis=-1)[..., 0],
    )


@dataclass(frozen=True, slots=True, eq=False)
class HarringtonStationary:
    """The long run a set of firms' policies implies: ``share_g2_by_firm`` is each firm's share of
    periods in G2; ``share_g2`` their mean; ``compliance_g1``/``compliance_g2`` the share of
    firm-periods in that group that comply (NaN if no firm is ever there); ``compliance`` the
    share of all firm-periods that comply."""

    share_g2_by_firm: FloatArray
    share_g2: float
    compliance_g1: float
    compliance_g2: float
    compliance: float


def harrington_stationary(
    policy: Policy, params: HarringtonParams, start_in_g2: npt.ArrayLike | None = None
) -> HarringtonStationary:
    """The long-run shares from each firm's two-state Markov chain (closed form).

    A firm moves to G2 with probability ``m1`` a period and back with ``m2``, so it spends
    ``m1 / (m1 + m2)`` of periods in G2. A firm that can never move (``m1 = m2 = 0``) stays where
    it starts: G1, unless ``start_in_g2`` (one flag per firm) says G2.
    """
    comply1 = np.asarray(policy.comply_g1, dtype=bool)
    comply2 = np.asarray(policy.comply_g2, dtype=bool)
    start = (
        np.zeros(comply1.shape, dtype=bool)
        if start_in_g2 is None
        else np.asarray(start_in_g2, dtype=bool)
    )
    if start.shape != comply1.shape:
        raise InputError(
            f"start_in_g2 has shape {start.shape}, but the policy covers {comply1.shape} firms; "
            "give one flag per firm"
        )
    m1 = np.where(comply1, 0.0, params.up)
    m2 = np.where(comply2, params.down_complying, params.down_violating)
    total = m1 + m2
    share = np.where(start, 1.0, 0.0)
    np.divide(m1, total, out=share, where=total > 0)
    in_g1, in_g2 = float(np.sum(1.0 - share)), float(np.sum(share))
    complying_g1 = float(np.sum((1.0 - share) * comply1))
    complying_g2 = float(np.sum(share * comply2))
    n = share.size
    return HarringtonStationary(
        share_g2_by_firm=share,
        share_g2=in_g2 / n if n else math.nan,
        compliance_g1=complying_g1 / in_g1 if in_g1 > 0 else math.nan,
        compliance_g2=complying_g2 / in_g2 if in_g2 > 0 else math.nan,
        compliance=(complying_g1 + complying_g2) / n if n else math.nan,
    )


def leverage_band(params: HarringtonParams) -> tuple[float, float]:
    """``(low, high)``: firms with ``low < c ≤ high`` comply in G2 although ``c`` exceeds their
    expected fine there, ``low = p2·d·F2``; the band is empty when ``high == low``.

    Each policy's values are affine in ``c`` (:func:`_affine_values`), so the optimal policy can
    only change where two policies' ``V1`` or ``V2`` lines cross. Between consecutive crossings it
    is constant; ``high`` is the end of the run of such intervals, from ``low`` upwards, in which
    the firm complies in G2. It is exact up to rounding; a band narrower than a relative 1e-9
    counts as empty. For large ``c`` violating always wins
    (its costs are bounded), so ``high`` is finite unless ``p2 = 0`` or ``d = 0``.
    """
    low = params.expected_fine_g2
    a1, b1, a2, b2 = _affine_values(params)
    floor = low + 1e-9 * max(1.0, abs(low))  # a crossing at ``low`` but for rounding is at it
    crossings: set[float] = set()
    for a, b in ((a1, b1), (a2, b2)):
        for i in range(len(a)):
            for j in range(i + 1, len(a)):
                if b[i] != b[j]:
                    c = float((a[j] - a[i]) / (b[i] - b[j]))
                    if c > floor:
                        crossings.add(c)
    ends = sorted(crossings)
    start, high = low, low
    for end in [*ends, math.inf]:
        mid = start + 1.0 + abs(start) if math.isinf(end) else 0.5 * (start + end)
        if not bool(harrington_policy([mid], params).comply_g2[0]):
            break
        high = end
        start = end
    return low, high
