"""Vectorised firm × period simulations of how firms respond to enforcement.

Each function loops over periods only; within a period every firm is handled at once by NumPy.
Every one takes a :class:`numpy.random.Generator`, and the same seed gives identical arrays.

A period draws one uniform ``u`` per firm and reads it by thresholds: the firm is inspected iff
``u < p`` and, if it violates, its violation is found iff ``u < p·d`` (given ``u < p``, that has
probability ``d``), so one draw serves both events.

- :func:`simulate_static`: the static deterrence model (a firm violates iff ``g > p·d·F``);
  its theory is :func:`~zhifa.sandbox.theory.static_compliance`.
- :func:`simulate_harrington`: Harrington's two-group model, each firm following its optimal
  policy from :func:`~zhifa.sandbox.theory.harrington_policy`; its long run is
  :func:`~zhifa.sandbox.theory.harrington_stationary`.
- :func:`step_base` / :func:`run_base`: the base firm model, written for throughput. Firm ``i``
  believes it is inspected with probability ``belief_i`` and violates iff
  ``gain_i > belief_i·(d·fine_i)``; it is inspected with its true probability ``p_i``; after the
  period its belief becomes ``(1 − learn)·belief_i + learn·1[inspected]``, an exponentially
  weighted record of its own inspections (``learn = 0``: beliefs stay at the prior).
  :func:`run_base_reference` is the same model written plainly, with the same arithmetic and
  random numbers, so the two agree bit for bit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from zhifa.errors import InputError
from zhifa.sandbox.theory import (
    BoolArray,
    FloatArray,
    HarringtonParams,
    check_fines,
    check_nonnegative,
    check_probabilities,
    check_probability,
    harrington_policy,
)

IntArray = npt.NDArray[np.int64]
Floats = npt.NDArray[np.floating[Any]]

__all__ = [
    "STATS",
    "BaseResult",
    "BaseWork",
    "HarringtonResult",
    "StaticResult",
    "run_base",
    "run_base_reference",
    "simulate_harrington",
    "simulate_static",
    "step_base",
]


def _periods(periods: int) -> int:
    if isinstance(periods, bool) or not isinstance(periods, int | np.integer) or periods < 1:
        raise InputError(
            f"periods is {periods!r}, but a run needs a whole number of periods; give periods ≥ 1"
        )
    return int(periods)


def _firm_array(name: str, values: npt.ArrayLike) -> FloatArray:
    a = np.asarray(values, dtype=np.float64)
    if a.ndim != 1 or not bool(np.all(np.isfinite(a))):
        raise InputError(
            f"{name} must be a one-dimensional array of finite numbers, one per firm; "
            "pass such an array"
        )
    return a


# --------------------------------------------------------------------------- static model


@dataclass(frozen=True, slots=True, eq=False)
class StaticResult:
    """Per-period totals of :func:`simulate_static`: the share of firms violating, and the
    numbers of inspections, of violations found and the fines imposed (yuan)."""

    n_firms: int
    violation_rate: FloatArray
    inspections: IntArray
    found: IntArray
    fines: FloatArray

    @property
    def compliance_rate(self) -> FloatArray:
        return 1.0 - self.violation_rate


def simulate_static(
    gains: npt.ArrayLike, p: float, d: float, fine: float, periods: int, rng: np.random.Generator
) -> StaticResult:
    """The static model over ``periods``: every firm violates iff ``gain > (p·d)·fine`` (a tie
    complies); each period each firm is inspected with probability ``p`` and an inspected
    violation is found with probability ``d`` and fined ``fine``."""
    g = _firm_array("gains", gains)
    pp, dd, ff = (
        check_probability("p", p),
        check_probability("d", d),
        check_nonnegative("fine", fine),
    )
    t = _periods(periods)
    n = g.size
    violates = g > pp * dd * ff
    rate = float(np.count_nonzero(violates)) / n if n else 0.0
    inspections = np.zeros(t, dtype=np.int64)
    found = np.zeros(t, dtype=np.int64)
    u = np.empty(n, dtype=np.float32)
    for k in range(t):
        rng.random(n, dtype=np.float32, out=u)
        inspections[k] = np.count_nonzero(u < pp)
        found[k] = np.count_nonzero(violates & (u < pp * dd))
    fines = found.astype(np.float64) * ff
    return StaticResult(n, np.full(t, rate), inspections, found, fines)


# --------------------------------------------------------------------------- Harrington


@dataclass(frozen=True, slots=True, eq=False)
class HarringtonResult:
    """Per-period results of :func:`simulate_harrington`. Shares are measured at the start of a
    period (before its moves): ``share_g2`` of firms in G2, ``compliance_g1``/``compliance_g2``
    the share complying among firms in that group (NaN when it is empty), ``compliance`` among
    all; ``inspections``, ``found`` and ``fines`` (yuan) are the period's totals; ``in_g2`` is
    where each firm is after the last period."""

    share_g2: FloatArray
    compliance_g1: FloatArray
    compliance_g2: FloatArray
    compliance: FloatArray
    inspections: IntArray
    found: IntArray
    fines: FloatArray
    in_g2: BoolArray


def simulate_harrington(
    c: npt.ArrayLike,
    params: HarringtonParams,
    periods: int,
    rng: np.random.Generator,
    start_in_g2: npt.ArrayLike | None = None,
) -> HarringtonResult:
    """Harrington's model over ``periods``, each firm (compliance cost ``c_i``) following its
    optimal policy. Each period: inspected iff ``u < p_g``; a violation found iff ``u < p_g·d``;
    a found violation is fined, and in G1 moves the firm to G2; a G2 firm inspected with nothing
    found moves back to G1 iff a second uniform is below ``b``. Firms start in G1 unless
    ``start_in_g2`` (one flag per firm) says otherwise."""
    cost = _firm_array("c", c)
    t = _periods(periods)
    n = cost.size
    policy = harrington_policy(cost, params)
    if start_in_g2 is None:
        in_g2 = np.zeros(n, dtype=bool)
    else:
        in_g2 = np.array(start_in_g2, dtype=bool)
        if in_g2.shape != (n,):
            raise InputError(
                f"start_in_g2 has shape {in_g2.shape}, but there are {n} firms; "
                "give one flag per firm"
            )
    out = {
        k: np.zeros(t)
        for k in ("share_g2", "compliance_g1", "compliance_g2", "compliance", "fines")
    }
    inspections = np.zeros(t, dtype=np.int64)
    found_count = np.zeros(t, dtype=np.int64)
    p = np.array([params.p1, params.p2])
    fine = np.array([params.f1, params.f2])
    for k in range(t):
        group = in_g2.astype(np.intp)
        comply = np.where(in_g2, policy.comply_g2, policy.comply_g1)
        u = rng.random(n)
        back_draw = rng.random(n)
        inspected = u < p[group]
        found = ~comply & (u < p[group] * params.d)
        n_g2 = int(np.count_nonzero(in_g2))
        complying_g2 = int(np.count_nonzero(comply & in_g2))
        complying = int(np.count_nonzero(comply))
        out["share_g2"][k] = n_g2 / n if n else math.nan
        out["compliance_g1"][k] = (complying - complying_g2) / (n - n_g2) if n > n_g2 else math.nan
        out["compliance_g2"][k] = complying_g2 / n_g2 if n_g2 else math.nan
        out["compliance"][k] = complying / n if n else math.nan
        out["fines"][k] = float(np.sum(fine[group[found]]))
        inspections[k] = np.count_nonzero(inspected)
        found_count[k] = np.count_nonzero(found)
        back = in_g2 & inspected & ~found & (back_draw < params.b)
        in_g2 = (in_g2 | found) & ~back
    return HarringtonResult(
        share_g2=out["share_g2"],
        compliance_g1=out["compliance_g1"],
        compliance_g2=out["compliance_g2"],
        compliance=out["compliance"],
        inspections=inspections,
        found=found_count,
        fines=out["fines"],
        in_g2=in_g2,
    )


# --------------------------------------------------------------------------- the base kernel

STATS = ("violators", "inspected", "found", "fines")
"""The columns of a base run's per-period ``stats`` array, in order."""


@dataclass(frozen=True, slots=True, eq=False)
class BaseWork:
    """Scratch arrays :func:`step_base` writes into, allocated once per run: the period's
    uniforms (float32), a float buffer of the firms' dtype, and three flags per firm."""

    u: npt.NDArray[np.float32]
    buf: Floats
    violates: BoolArray
    inspected: BoolArray
    found: BoolArray

    @classmethod
    def allocate(cls, n: int, dtype: npt.DTypeLike = np.float32) -> BaseWork:
        return cls(
            u=np.empty(n, dtype=np.float32),
            buf=np.empty(n, dtype=dtype),
            violates=np.empty(n, dtype=bool),
            inspected=np.empty(n, dtype=bool),
            found=np.empty(n, dtype=bool),
        )


def step_base(
    gain: Floats,
    p: Floats,
    fine: Floats,
    d: float,
    belief: Floats,
    visited: BoolArray,
    learn: float,
    rng: np.random.Generator,
    work: BaseWork,
    stats: FloatArray,
) -> None:
    """One period of the base model, in place, for firms whose arrays share one float dtype.

    Reads ``gain``, ``p`` (true inspection probability) and ``fine`` (the sanction a found
    violation brings: the caller passes 0 for a firm whose first violation goes unpunished);
    updates ``belief`` and ``visited`` (ever inspected); writes the period's violators,
    inspections, violations found and fines (yuan) into ``stats[0:4]``. Parameters are not
    checked here: :func:`run_base` checks them once for the run.
    """
    u, buf, violates, inspected, found = work.u, work.buf, work.violates, work.inspected, work.found
    dtype = buf.dtype.type
    rng.random(u.size, dtype=np.float32, out=u)
    np.multiply(fine, dtype(d), out=buf)  # the threshold belief·(d·fine)
    np.multiply(buf, belief, out=buf)
    np.greater(gain, buf, out=violates)
    np.less(u, p, out=inspected)
    np.multiply(p, dtype(d), out=buf)
    np.less(u, buf, out=found)
    np.logical_and(found, violates, out=found)
    np.multiply(found, fine, out=buf)
    stats[0] = np.count_nonzero(violates)
    stats[1] = np.count_nonzero(inspected)
    stats[2] = np.count_nonzero(found)
    stats[3] = buf.sum(dtype=np.float64)
    np.logical_or(visited, inspected, out=visited)
    if learn:
        np.multiply(belief, dtype(1.0 - learn), out=belief)
        np.multiply(inspected, dtype(learn), out=buf)  # learn where inspected, else +0
        np.add(belief, buf, out=belief)  # the same bits as a masked add, without its slow loop


@dataclass(frozen=True, slots=True, eq=False)
class BaseResult:
    """A base run: ``stats`` has one row per period and the columns of :data:`STATS`; ``belief``
    and ``visited`` are each firm's after the last period."""

    n_firms: int
    stats: FloatArray
    belief: Floats
    visited: BoolArray

    @property
    def violators(self) -> IntArray:
        return self.stats[:, 0].astype(np.int64)

    @property
    def inspected(self) -> IntArray:
        return self.stats[:, 1].astype(np.int64)

    @property
    def found(self) -> IntArray:
        return self.stats[:, 2].astype(np.int64)

    @property
    def fines(self) -> FloatArray:
        return self.stats[:, 3].copy()

    @property
    def violation_rate(self) -> FloatArray:
        return self.stats[:, 0] / self.n_firms if self.n_firms else np.zeros(len(self.stats))


@dataclass(frozen=True, slots=True, eq=False)
class _BaseInputs:
    gain: Floats
    p: Floats
    fine: Floats
    prior: Floats
    d: float
    learn: float
    periods: int


def _base_inputs(
    gain: npt.ArrayLike,
    p: npt.ArrayLike,
    fine: npt.ArrayLike,
    d: float,
    prior: npt.ArrayLike,
    learn: float,
    periods: int,
    dtype: npt.DTypeLike,
) -> _BaseInputs:
    kind = np.dtype(dtype)
    if kind not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise InputError(
            f"dtype is {kind}, but the base model runs in float32 or float64; choose one"
        )
    arrays = {
        "gain": _firm_array("gain", gain),
        "p": check_probabilities("p", p),
        "fine": check_fines("fine", fine),
        "prior": check_probabilities("prior", prior),
    }
    for name, a in arrays.items():
        if a.shape != arrays["gain"].shape:
            raise InputError(
                f"{name} has shape {a.shape}, but gain has {arrays['gain'].shape}; "
                "give every per-firm array one entry per firm"
            )
    cast = {name: np.ascontiguousarray(a, dtype=kind) for name, a in arrays.items()}
    return _BaseInputs(
        **cast,
        d=check_probability("d", d),
        learn=check_probability("learn", learn),
        periods=_periods(periods),
    )


def run_base(
    gain: npt.ArrayLike,
    p: npt.ArrayLike,
    fine: npt.ArrayLike,
    d: float,
    prior: npt.ArrayLike,
    learn: float,
    periods: int,
    rng: np.random.Generator,
    dtype: npt.DTypeLike = np.float32,
) -> BaseResult:
    """The base model over ``periods``: checks the inputs once, allocates every array once and
    calls :func:`step_base` each period. The per-firm arrays are cast to ``dtype`` (float32 by
    default: half the memory traffic; gains and fines keep about 7 significant digits)."""
    x = _base_inputs(gain, p, fine, d, prior, learn, periods, dtype)
    n = x.gain.size
    belief = x.prior.copy()
    visited = np.zeros(n, dtype=bool)
    work = BaseWork.allocate(n, x.gain.dtype)
    stats = np.zeros((x.periods, len(STATS)))
    for k in range(x.periods):
        step_base(x.gain, x.p, x.fine, x.d, belief, visited, x.learn, rng, work, stats[k])
    return BaseResult(n, stats, belief, visited)


def run_base_reference(
    gain: npt.ArrayLike,
    p: npt.ArrayLike,
    fine: npt.ArrayLike,
    d: float,
    prior: npt.ArrayLike,
    learn: float,
    periods: int,
    rng: np.random.Generator,
    dtype: npt.DTypeLike = np.float32,
) -> BaseResult:
    """:func:`run_base` written plainly (new arrays every step), to check it against: the same
    arithmetic in the same order and the same random numbers give bit-identical results."""
    x = _base_inputs(gain, p, fine, d, prior, learn, periods, dtype)
    real = x.gain.dtype.type
    n = x.gain.size
    belief = x.prior.copy()
    visited = np.zeros(n, dtype=bool)
    rows = []
    for _ in range(x.periods):
        u = rng.random(n, dtype=np.float32)
        violates = x.gain > belief * (x.fine * real(x.d))
        inspected = u < x.p
        found = violates & (u < x.p * real(x.d))
        fines = np.where(found, x.fine, real(0.0)).sum(dtype=np.float64)
        rows.append([violates.sum(), inspected.sum(), found.sum(), fines])
        visited = visited | inspected
        belief = real(1.0 - x.learn) * belief + real(x.learn) * inspected.astype(belief.dtype)
    return BaseResult(
        n, np.array(rows, dtype=np.float64).reshape(x.periods, len(STATS)), belief, visited
    )
