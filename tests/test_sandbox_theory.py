"""The sandbox's firm models against their own theory: closed forms, the exact dynamic programme,
and simulations that must match them within Monte Carlo error (4 standard errors)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from zhifa.errors import InputError
from zhifa.sandbox.behaviour import (
    STATS,
    run_base,
    run_base_reference,
    simulate_harrington,
    simulate_static,
)
from zhifa.sandbox.theory import (
    GainDistribution,
    HarringtonParams,
    base_expected_found,
    base_violation_rate,
    erfc,
    harrington_policy,
    harrington_stationary,
    leverage_band,
    normal_cdf,
    static_compliance,
)

# Harrington's classic case: detection certain, equal fines at the cap. A firm in G2 that
# violates never leaves it, so complying there is worth something; the band is (500, 131/0.19].
CLASSIC = HarringtonParams(p1=0.1, p2=0.5, f1=1000, f2=1000, fmax=1000, b=0.2, beta=0.9)
CLASSIC_HIGH = 131 / 0.19  # 0.19·c + 9 = 140, from V2 of (violate in G1, comply in G2) = 5000
MISSED = HarringtonParams(p1=0.1, p2=0.5, f1=800, f2=1000, fmax=1000, b=0.2, beta=0.9, d=0.8)
PATIENT = HarringtonParams(p1=0.05, p2=0.6, f1=500, f2=1000, fmax=1000, b=0.1, beta=0.97)


def within(observed: float, expected: float, se: float, k: float = 4.0) -> bool:
    return abs(observed - expected) <= k * se


# --------------------------------------------------------------------------- normal CDF, gains


def test_erfc_is_within_its_documented_error() -> None:
    x = np.linspace(-6, 6, 24001)
    exact = np.array([math.erfc(v) for v in x])
    assert np.max(np.abs(erfc(x) - exact)) < 1.5e-7
    assert float(normal_cdf(0.0)) == pytest.approx(0.5, abs=1e-9)
    assert float(normal_cdf(1.959963984540054)) == pytest.approx(0.975, abs=1e-7)
    assert float(normal_cdf(-np.inf)) == 0.0 and float(normal_cdf(np.inf)) == 1.0


@pytest.mark.parametrize(
    "dist",
    [
        GainDistribution("lognormal", median=200.0, sigma=0.8),
        GainDistribution("uniform", low=50.0, high=450.0),
        GainDistribution("exponential", mean=150.0),
    ],
    ids=lambda d: d.kind,
)
def test_gain_samples_follow_their_cdf(dist: GainDistribution) -> None:
    n = 200_000
    sample = dist.sample(np.random.default_rng(11), n)
    for x in (-1.0, 0.0, 60.0, 120.0, 200.0, 300.0, 440.0):
        cdf = float(dist.cdf(x))
        se = math.sqrt(max(cdf * (1 - cdf), 1e-12) / n)
        assert within(float(np.mean(sample <= x)), cdf, se), (dist.kind, x)
    assert float(dist.cdf(-5.0)) == 0.0


def test_gain_cdfs_closed_forms() -> None:
    assert float(GainDistribution("lognormal", median=200, sigma=0.8).cdf(200)) == pytest.approx(
        0.5
    )
    assert float(GainDistribution("uniform", low=0, high=400).cdf(100)) == pytest.approx(0.25)
    expo = GainDistribution("exponential", mean=100)
    assert float(expo.cdf(100)) == pytest.approx(1 - math.exp(-1))
    assert expo.cdf([0.0, 100.0, 200.0]).shape == (3,)


# --------------------------------------------------------------------------- static model


def test_static_simulation_matches_closed_form() -> None:
    n, periods, p, d, fine = 200_000, 20, 0.1, 0.8, 3000.0
    dist = GainDistribution("lognormal", median=200.0, sigma=0.8)
    gains = dist.sample(np.random.default_rng(1), n)
    result = simulate_static(gains, p, d, fine, periods, np.random.default_rng(2))
    theory = static_compliance(dist, p, d, fine)
    assert 0.3 < theory < 0.9  # a case where both behaviours are common
    se = math.sqrt(theory * (1 - theory) / n)
    assert within(float(np.mean(result.compliance_rate)), theory, se)
    # Inspections: n·T Bernoulli(p); found: violators·T Bernoulli(p·d); fines are found × fine.
    total = n * periods
    assert within(result.inspections.sum(), total * p, math.sqrt(total * p * (1 - p)))
    violator_periods = float(np.sum(result.violation_rate)) * n
    pd = p * d
    found_se = math.sqrt(violator_periods * pd * (1 - pd))
    assert within(result.found.sum(), violator_periods * pd, found_se)
    assert np.array_equal(result.fines, result.found * fine)


def test_static_tie_complies_and_a_yuan_more_violates() -> None:
    p, d, fine = 0.25, 0.5, 1000.0  # p·d·F = 125 exactly
    rng = np.random.default_rng(0)
    assert simulate_static([125.0], p, d, fine, 3, rng).violation_rate.tolist() == [0.0] * 3
    assert simulate_static([126.0], p, d, fine, 3, rng).violation_rate.tolist() == [1.0] * 3
    uniform = GainDistribution("uniform", low=0.0, high=250.0)
    assert static_compliance(uniform, p, d, fine) == pytest.approx(0.5)
    # The base kernel without learning is the same rule, for float32 and float64 alike.
    for dtype in (np.float32, np.float64):
        res = run_base([125.0, 126.0], [p, p], [fine, fine], d, [p, p], 0.0, 2, rng, dtype=dtype)
        assert res.violators.tolist() == [1, 1]


# --------------------------------------------------------------------------- Harrington


def value_iteration(c: np.ndarray, prm: HarringtonParams, sweeps: int) -> tuple[np.ndarray, ...]:
    """The Bellman equations of the theory module, iterated from zero; returns V1, V2 and the
    four action values of the last sweep."""
    v1 = np.zeros_like(c)
    v2 = np.zeros_like(c)
    e1, e2 = prm.p1 * prm.d * prm.f1, prm.p2 * prm.d * prm.f2
    q1, rc, rv = prm.p1 * prm.d, prm.p2 * prm.b, prm.p2 * (1 - prm.d) * prm.b
    beta = prm.beta
    for _ in range(sweeps):
        c1 = c + beta * v1
        x1 = e1 + beta * (q1 * v2 + (1 - q1) * v1)
        c2 = c + beta * (rc * v1 + (1 - rc) * v2)
        x2 = e2 + beta * (rv * v1 + (1 - rv) * v2)
        v1, v2 = np.minimum(c1, x1), np.minimum(c2, x2)
    return v1, v2, c1, x1, c2, x2


@pytest.mark.parametrize("prm", [CLASSIC, MISSED, PATIENT], ids=["classic", "missed", "patient"])
def test_harrington_policy_agrees_with_value_iteration(prm: HarringtonParams) -> None:
    c = np.linspace(0.0, 2500.0, 1001)
    policy = harrington_policy(c, prm)
    sweeps = math.ceil(math.log(1e-16) / math.log(prm.beta))
    v1, v2, c1, x1, c2, x2 = value_iteration(c, prm, sweeps)
    np.testing.assert_allclose(policy.v1, v1, rtol=0, atol=1e-9)
    np.testing.assert_allclose(policy.v2, v2, rtol=0, atol=1e-9)
    # Bellman optimality: the policy's actions are the greedy ones (where not tied).
    clear1, clear2 = np.abs(c1 - x1) > 1e-6, np.abs(c2 - x2) > 1e-6
    assert np.array_equal(policy.comply_g1[clear1], (c1 < x1)[clear1])
    assert np.array_equal(policy.comply_g2[clear2], (c2 < x2)[clear2])
    # And all three kinds of firm occur on the grid.
    assert policy.comply_g1.any() and policy.comply_g2.any() and not policy.comply_g2.all()


def test_harrington_stationary_closed_form_for_the_classic_case() -> None:
    # c ≤ 100 complies everywhere; 100 < c ≤ 689.47 violates in G1 and complies in G2, moving up
    # and down with probability 0.1 each; above, it violates everywhere and stays in G2.
    policy = harrington_policy([50.0, 300.0, 900.0], CLASSIC)
    long_run = harrington_stationary(policy, CLASSIC)
    np.testing.assert_allclose(long_run.share_g2_by_firm, [0.0, 0.5, 1.0])
    assert long_run.share_g2 == pytest.approx(0.5)
    assert long_run.compliance_g1 == pytest.approx(1 / 1.5)
    assert long_run.compliance_g2 == pytest.approx(0.5 / 1.5)
    assert long_run.compliance == pytest.approx(1.5 / 3)


@pytest.mark.parametrize("prm", [CLASSIC, MISSED], ids=["classic", "missed"])
def test_harrington_simulation_matches_the_stationary_shares(prm: HarringtonParams) -> None:
    n, burn_in, measured = 100_000, 150, 50
    costs = np.random.default_rng(3).uniform(0.0, 1200.0, n)
    long_run = harrington_stationary(harrington_policy(costs, prm), prm)
    sim = simulate_harrington(costs, prm, burn_in + measured, np.random.default_rng(4))
    after = slice(burn_in, None)
    # A time average has at most one period's variance, and one period's is at most binomial.
    s = long_run.share_g2
    assert within(float(np.mean(sim.share_g2[after])), s, math.sqrt(s * (1 - s) / n))
    for name, group_size in (("compliance_g1", n * (1 - s)), ("compliance_g2", n * s)):
        expected = getattr(long_run, name)
        se = math.sqrt(expected * (1 - expected) / group_size)
        assert within(float(np.mean(getattr(sim, name)[after])), expected, se), name
    overall = long_run.compliance
    se = math.sqrt(overall * (1 - overall) / n)
    assert within(float(np.mean(sim.compliance[after])), overall, se)
    rate = (1 - s) * prm.p1 + s * prm.p2
    se = math.sqrt(n * rate * (1 - rate))
    assert within(float(np.mean(sim.inspections[after])), n * rate, se)


def test_leverage_band_classic() -> None:
    low, high = leverage_band(CLASSIC)
    assert low == pytest.approx(CLASSIC.p2 * CLASSIC.d * CLASSIC.f2) and low == 500.0
    assert high == pytest.approx(CLASSIC_HIGH, rel=1e-12)
    inside, above = 0.5 * (low + high), high * (1 + 1e-9)
    policy = harrington_policy([inside, above], CLASSIC)
    assert inside > CLASSIC.expected_fine_g2  # the static model says: violate in G2
    assert policy.comply_g2.tolist() == [True, False]
    # Simulated: firms in the band start in G2 and comply there; those above violate.
    sim = simulate_harrington(
        np.full(1000, inside), CLASSIC, 1, np.random.default_rng(5), np.ones(1000, bool)
    )
    assert sim.compliance_g2[0] == 1.0
    sim = simulate_harrington(
        np.full(1000, above), CLASSIC, 1, np.random.default_rng(5), np.ones(1000, bool)
    )
    assert sim.compliance_g2[0] == 0.0


@pytest.mark.parametrize("prm", [CLASSIC, MISSED, PATIENT], ids=["classic", "missed", "patient"])
def test_leverage_band_is_where_the_policy_complies_in_g2(prm: HarringtonParams) -> None:
    low, high = leverage_band(prm)
    assert low < high
    c = np.linspace(0.0, 3 * high, 30001)
    comply = harrington_policy(c, prm).comply_g2
    assert np.array_equal(comply, c <= high)


def test_no_way_back_means_no_leverage() -> None:
    stuck = HarringtonParams(p1=0.1, p2=0.5, f1=1000, f2=1000, fmax=1000, b=0.0, beta=0.9)
    assert leverage_band(stuck) == (500.0, 500.0)


# --------------------------------------------------------------------------- the base kernel


def base_inputs(n: int, seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    fine = rng.choice([0.0, 500.0, 2000.0, 5000.0], n)  # 0: a first violation goes unpunished
    return {
        "gain": GainDistribution("lognormal", median=100.0, sigma=1.0).sample(rng, n),
        "p": rng.uniform(0.02, 0.3, n),
        "fine": fine,
        "d": 0.7,
        "prior": rng.uniform(0.0, 0.5, n),
    }


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("learn", [0.0, 0.25])
def test_run_base_equals_the_reference_bit_for_bit(dtype: type, learn: float) -> None:
    x = base_inputs(50_000, 6)
    fast = run_base(**x, learn=learn, periods=12, rng=np.random.default_rng(7), dtype=dtype)
    slow = run_base_reference(
        **x, learn=learn, periods=12, rng=np.random.default_rng(7), dtype=dtype
    )
    assert fast.stats.shape == (12, len(STATS))
    assert np.array_equal(fast.stats, slow.stats)
    assert fast.belief.dtype == slow.belief.dtype == np.dtype(dtype)
    assert np.array_equal(fast.belief, slow.belief)
    assert np.array_equal(fast.visited, slow.visited)
    assert (learn > 0) == (not np.array_equal(fast.belief, x["prior"].astype(dtype)))


def test_run_base_without_learning_matches_the_closed_form() -> None:
    n, periods, d = 200_000, 10, 0.8
    dist = GainDistribution("lognormal", median=100.0, sigma=1.0)
    gain = dist.sample(np.random.default_rng(8), n).astype(np.float32)
    p = np.full(n, 0.1, dtype=np.float32)
    fine = np.full(n, 1500.0, dtype=np.float32)
    res = run_base(gain, p, fine, d, p, 0.0, periods, np.random.default_rng(9))
    # The decision is deterministic: every period has exactly the closed form's violators.
    rate = base_violation_rate(gain, p, d, fine)
    assert np.array_equal(res.violation_rate, np.full(periods, rate))
    # Against the gain distribution: 1 − G(p·d·F) within binomial error over firms.
    expected = 1 - static_compliance(dist, 0.1, d, 1500.0)
    assert within(rate, expected, math.sqrt(expected * (1 - expected) / n))
    # Found per period: Σ p·d over violators; over T periods the variance is T·Σ pd(1 − pd).
    per_period = base_expected_found(gain, p, p, d, fine)
    se = math.sqrt(periods * per_period * (1 - 0.1 * d))
    assert within(float(res.found.sum()), periods * per_period, se)
    assert np.allclose(res.fines, res.found * 1500.0)


def test_learning_moves_beliefs_toward_the_true_rate() -> None:
    n, periods, learn, p_true = 100_000, 40, 0.2, 0.1
    gain = np.full(n, 10.0)
    res = run_base(
        gain, np.full(n, p_true), np.full(n, 100.0), 1.0, np.full(n, 0.5), learn, periods,
        np.random.default_rng(10), dtype=np.float64,
    )  # fmt: skip
    # E[belief_T] = (1 − l)^T·prior + (1 − (1 − l)^T)·p; Var ≤ l/(2 − l)·p(1 − p) per firm.
    keep = (1 - learn) ** periods
    expected = keep * 0.5 + (1 - keep) * p_true
    se = math.sqrt(learn / (2 - learn) * p_true * (1 - p_true) / n)
    assert within(float(res.belief.mean()), expected, se)
    visited = 1 - (1 - p_true) ** periods
    assert within(float(res.visited.mean()), visited, math.sqrt(visited * (1 - visited) / n))
    # Beliefs start at 0.5 (threshold 50 > gain 10: all comply) and fall; a firm violates once
    # its belief drops below 0.1, which most of them do after a few uninspected periods.
    assert res.violators[0] == 0 and res.violators[-1] > 0.5 * n


def test_same_seed_same_arrays_other_seed_differs() -> None:
    x = base_inputs(20_000, 12)

    def base(seed: int) -> np.ndarray:
        return run_base(**x, learn=0.1, periods=5, rng=np.random.default_rng(seed)).stats

    assert np.array_equal(base(1), base(1)) and not np.array_equal(base(1), base(2))

    def static(seed: int) -> np.ndarray:
        return simulate_static(x["gain"], 0.2, 0.9, 400.0, 5, np.random.default_rng(seed)).found

    assert np.array_equal(static(1), static(1)) and not np.array_equal(static(1), static(2))
    costs = np.linspace(0, 1200, 20_000)

    def harrington(seed: int) -> np.ndarray:
        return simulate_harrington(costs, CLASSIC, 5, np.random.default_rng(seed)).share_g2

    assert np.array_equal(harrington(1), harrington(1))
    assert not np.array_equal(harrington(1), harrington(2))


# --------------------------------------------------------------------------- bad parameters


def harrington(**changes: float) -> HarringtonParams:
    base = {"p1": 0.1, "p2": 0.5, "f1": 1000.0, "f2": 1000.0, "fmax": 1000.0, "b": 0.2}
    return HarringtonParams(**{**base, "beta": 0.9, **changes})


def base_run(**changes: Any) -> object:
    x = {**base_inputs(10, 1), "learn": 0.1, "periods": 2, **changes}
    return run_base(**x, rng=np.random.default_rng(0))


BAD: list[tuple[str, Callable[[], object]]] = [
    ("p1", lambda: harrington(p1=1.5)),
    ("b", lambda: harrington(b=-0.1)),
    ("d", lambda: harrington(d=2.0)),
    ("beta", lambda: harrington(beta=1.0)),
    ("beta", lambda: harrington(beta=0.0)),
    ("f1", lambda: harrington(f1=-5.0)),
    ("f2", lambda: harrington(f2=1200.0)),
    ("kind", lambda: GainDistribution("pareto", mean=1.0)),  # type: ignore[arg-type]
    ("sigma", lambda: GainDistribution("lognormal", median=100.0, sigma=0.0)),
    ("mean", lambda: GainDistribution("lognormal", median=100.0, sigma=1.0, mean=3.0)),
    ("low", lambda: GainDistribution("uniform", low=5.0, high=5.0)),
    ("p", lambda: static_compliance(GainDistribution("exponential", mean=1.0), 1.2, 1, 10)),
    ("fine", lambda: static_compliance(GainDistribution("exponential", mean=1.0), 0.2, 1, -1)),
    ("d", lambda: simulate_static([1.0], 0.2, -0.5, 10.0, 3, np.random.default_rng(0))),
    ("periods", lambda: simulate_static([1.0], 0.2, 0.5, 10.0, 0, np.random.default_rng(0))),
    ("c", lambda: harrington_policy([1.0, math.nan], CLASSIC)),
    ("p", lambda: base_run(p=np.full(10, 1.01))),
    ("prior", lambda: base_run(prior=np.full(10, -0.1))),
    ("fine", lambda: base_run(fine=np.full(10, -1.0))),
    ("learn", lambda: base_run(learn=1.5)),
    ("gain", lambda: base_run(gain=np.full(10, math.inf))),
    ("prior", lambda: base_run(prior=np.full(9, 0.1))),
]


@pytest.mark.parametrize(("name", "call"), BAD, ids=[f"{i}-{n}" for i, (n, _) in enumerate(BAD)])
def test_bad_parameters_are_named(name: str, call: Callable[[], object]) -> None:
    with pytest.raises(InputError) as caught:
        call()
    message = str(caught.value)
    assert message.startswith(name) or f" {name} " in message, message
    assert message.count(";") == 1 and "\n" not in message
