"""The sandbox's base firm model: zhifa against a bare NumPy loop and a Mesa model, in one run.

    python bench/sandbox.py [--firms 1000000] [--periods 20] [--no-big] [--quick]
                            [--mesa-firms 20000] [--mesa-periods 20] [--rounds 3] [--json OUT]

Mesa is not one of zhifa's dependencies, so it lives in the benchmark's own environment:

    python -m venv .venv-bench
    .venv-bench/bin/pip install -e . -r bench/requirements-sandbox.txt
    .venv-bench/bin/python bench/sandbox.py

Without Mesa the script runs the other two, prints how to install it and reports its figures as
missing (exit 0).

One workload (per-firm gains, true inspection probabilities, fines and prior beliefs drawn from
one seed; one detection probability and one learning rate) is run by three implementations of
the same behaviour. Each period a firm violates iff ``gain > belief·(d·fine)``; one uniform ``u``
per firm says whether it is inspected (``u < p``) and whether a violation is found
(``u < p·d``); a found violation is fined; then ``belief ← (1 − learn)·belief + learn·[inspected]``.
The per-period totals are the violators, the inspections, the violations found and the fines.

1. **zhifa**: ``zhifa.sandbox.behaviour.run_base`` (float32 by default, ``--dtype``).
2. **bare loop**: the same arithmetic written here as a plain per-period NumPy loop (arrays
   allocated once, in-place ufuncs), the floor zhifa is measured against. It draws the same
   uniforms as ``step_base``, so its per-period totals, final beliefs and ever-inspected flags
   must equal zhifa's bit for bit (exit 1 otherwise).
3. **Mesa**: a ``mesa.Model`` whose firms are ``mesa.Agent``s stepped each period by
   ``model.agents.do("step")``, on the first ``--mesa-firms`` firms of the workload (Python
   floats, Python's generator). Its first period must equal the closed form
   (``zhifa.sandbox.theory.base_violation_rate``: with beliefs at the prior there is no chance in
   it); over all periods its violation rate and violations found must agree with the bare loop
   run in float64 on the same firms with other random numbers (paired per firm, within 4
   standard errors), and its inspections with their expectation ``periods·Σp`` (exit 1
   otherwise).

Every run is timed whole, from the float64 input arrays to the totals (zhifa and the bare loop
cast to the run's dtype inside it; Mesa builds its agents inside it). Rounds alternate zhifa and
the bare loop; medians of ``--rounds`` are reported as firm-periods per second. One more,
untimed run of each gives the peak memory it needs above what the process held before it
(``VmHWM``, reset through ``/proc/self/clear_refs`` after ``malloc_trim``). ``--cold`` fresh
processes each time the import of zhifa and its first call. NumPy is held to one thread.
Targets are reported, never asserted. See bench/README.md for how to read the figures.
"""

# ruff: noqa: E402
from __future__ import annotations

import os
import sys
from pathlib import Path

# Run as a script, bench/ comes first on sys.path and bench/transitions.py would stand in for the
# `transitions` package that zhifa imports.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

# One core: set before NumPy is imported (the kernels are single-threaded ufuncs anyway).
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse
import contextlib
import ctypes
import functools
import gc
import json
import math
import platform
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
Floats = npt.NDArray[np.floating[Any]]
BoolArray = npt.NDArray[np.bool_]

SEED = 20260601
D = 0.6  # probability that an inspection finds a violation
LEARN = 0.2  # weight of the latest period in a firm's belief
GAIN_MEDIAN = 2_000.0  # yuan a period; lognormal
GAIN_SIGMA = 1.0
P_LOW, P_HIGH = 0.02, 0.30  # true inspection probability, uniform per firm
PRIOR_LOW, PRIOR_HIGH = 0.05, 0.50  # prior belief, uniform per firm
FINES = (5_000.0, 10_000.0, 20_000.0, 50_000.0)  # yuan, equally likely

TARGET_RATE = 50e6  # zhifa, firm-periods per second
TARGET_OVER_BARE = 0.5
TARGET_OVER_MESA = 30.0
Z_LIMIT = 4.0  # standard errors allowed between Mesa and the reference

INSTALL_MESA = (
    "python -m venv .venv-bench && .venv-bench/bin/pip install -e . "
    "-r bench/requirements-sandbox.txt && .venv-bench/bin/python bench/sandbox.py"
)


# -- the workload --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class Workload:
    """Per-firm inputs (float64, as a caller holds them) and the run's two scalars."""

    gain: FloatArray
    p: FloatArray
    fine: FloatArray
    prior: FloatArray
    d: float
    learn: float

    @classmethod
    def make(cls, firms: int, seed: int, learn: float) -> Workload:
        """``firms`` firms, each array from its own stream of ``seed``."""
        gain = GAIN_MEDIAN * np.exp(
            GAIN_SIGMA * np.random.default_rng([seed, 1]).standard_normal(firms)
        )
        p = np.random.default_rng([seed, 2]).uniform(P_LOW, P_HIGH, firms)
        fine = np.asarray(FINES)[np.random.default_rng([seed, 3]).integers(0, len(FINES), firms)]
        prior = np.random.default_rng([seed, 4]).uniform(PRIOR_LOW, PRIOR_HIGH, firms)
        return cls(gain, p, fine, prior, D, learn)

    @property
    def firms(self) -> int:
        return int(self.gain.size)

    def head(self, firms: int) -> Workload:
        """The first ``firms`` firms."""
        part = slice(0, firms)
        return Workload(
            self.gain[part].copy(),
            self.p[part].copy(),
            self.fine[part].copy(),
            self.prior[part].copy(),
            self.d,
            self.learn,
        )


def run_rng(seed: int, which: int) -> np.random.Generator:
    """The generator of a run's uniforms: zhifa and the bare loop of a round get the same one."""
    return np.random.default_rng([seed, 100, which])


# -- memory --------------------------------------------------------------------------------------


def _status_kib(field: str) -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def reset_peak() -> int | None:
    """Give freed heap memory back to the system (glibc ``malloc_trim``: otherwise the arrays of
    the run before are still resident and a run reusing them seems to need nothing), then reset
    this process's peak resident set to its current one (Linux ``clear_refs`` 5); returns the
    current resident set (KiB), or None when the peak cannot be reset."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to trim
        ctypes.CDLL(None).malloc_trim(0)
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
    except OSError:
        return None
    return _status_kib("VmRSS")


def peak_growth_mib(before_kib: int | None) -> float | None:
    """The peak resident set since :func:`reset_peak` above what the process held then, MiB."""
    peak = _status_kib("VmHWM")
    if before_kib is None or peak is None:
        return None
    return (peak - before_kib) / 1024


# -- 1. zhifa ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class Outcome:
    """What a run gives: per-period totals (violators, inspected, found, fines), each firm's
    final belief and whether it was ever inspected."""

    stats: FloatArray
    belief: Floats
    visited: BoolArray


def run_zhifa(w: Workload, periods: int, rng: np.random.Generator, dtype: str) -> Outcome:
    from zhifa.sandbox.behaviour import run_base

    r = run_base(w.gain, w.p, w.fine, w.d, w.prior, w.learn, periods, rng, dtype=dtype)
    return Outcome(r.stats, r.belief, r.visited)


# -- 2. the bare NumPy loop ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class Tally:
    """Per-firm counts over a run, kept only by the (untimed) reference run of the Mesa check."""

    violations: npt.NDArray[np.int64]
    found: npt.NDArray[np.int64]


def run_bare(
    w: Workload,
    periods: int,
    rng: np.random.Generator,
    dtype: str,
    tally: Tally | None = None,
) -> Outcome:
    """The base model as a plain per-period NumPy loop: every array allocated once, in-place
    ufuncs, the products that do not change over a run (``d·fine``, ``p·d``) made once. It draws
    the period's uniforms as ``step_base`` does and computes every value in the same order, so
    the results are zhifa's bit for bit."""
    real = np.dtype(dtype).type
    gain = w.gain.astype(real)
    p = w.p.astype(real)
    fine = w.fine.astype(real)
    belief = w.prior.astype(real)
    d = real(w.d)
    fine_d = fine * d  # the threshold is belief·(d·fine)
    p_d = p * d  # a violation is found iff u < p·d
    keep, learn = real(1.0 - w.learn), real(w.learn)
    n = gain.size
    u = np.empty(n, dtype=np.float32)
    buf = np.empty(n, dtype=real)
    violates = np.empty(n, dtype=bool)
    inspected = np.empty(n, dtype=bool)
    found = np.empty(n, dtype=bool)
    visited = np.zeros(n, dtype=bool)
    stats = np.zeros((periods, 4))
    for k in range(periods):
        rng.random(n, dtype=np.float32, out=u)
        np.multiply(fine_d, belief, out=buf)
        np.greater(gain, buf, out=violates)
        np.less(u, p, out=inspected)
        np.less(u, p_d, out=found)
        np.logical_and(found, violates, out=found)
        np.multiply(found, fine, out=buf)
        row = stats[k]
        row[0] = np.count_nonzero(violates)
        row[1] = np.count_nonzero(inspected)
        row[2] = np.count_nonzero(found)
        row[3] = buf.sum(dtype=np.float64)
        np.logical_or(visited, inspected, out=visited)
        if w.learn:
            # belief·(1 − learn) + learn·[inspected]: adding 0 leaves a belief as it is, so this
            # is step_base's masked add (np.add(..., where=inspected)) without the mask
            np.multiply(belief, keep, out=belief)
            np.multiply(inspected, learn, out=buf)
            np.add(belief, buf, out=belief)
        if tally is not None:
            np.add(tally.violations, violates, out=tally.violations)
            np.add(tally.found, found, out=tally.found)
    return Outcome(stats, belief, visited)


def same(a: Outcome, b: Outcome) -> bool:
    return (
        np.array_equal(a.stats, b.stats)
        and a.belief.dtype == b.belief.dtype
        and np.array_equal(a.belief, b.belief)
        and np.array_equal(a.visited, b.visited)
    )


# -- 3. Mesa -------------------------------------------------------------------------------------


def mesa_version() -> str | None:
    try:
        import mesa
    except ImportError:
        return None
    return str(mesa.__version__)


@functools.cache
def mesa_market() -> type[Any]:
    """The Mesa model (built on first use, so that the script runs without Mesa)."""
    import mesa

    class Firm(mesa.Agent):  # type: ignore[misc]
        """One firm: its gain, true inspection probability, fine and belief, and its own counts
        of violations and violations found."""

        def __init__(
            self, model: mesa.Model, gain: float, p: float, fine: float, belief: float
        ) -> None:
            super().__init__(model)
            self.gain = gain
            self.p = p
            self.fine = fine
            self.belief = belief
            self.violations = 0
            self.found = 0

        def step(self) -> None:
            market = self.model
            u = market.random.random()
            inspected = u < self.p
            if self.gain > self.belief * (self.fine * market.d):
                market.violators += 1
                self.violations += 1
                if u < self.p * market.d:
                    market.found += 1
                    market.fines += self.fine
                    self.found += 1
            if inspected:
                market.inspected += 1
            if market.learn:
                self.belief = market.keep * self.belief + (market.learn if inspected else 0.0)

    class Market(mesa.Model):  # type: ignore[misc]
        """The firms of a workload; each step is one period, its totals appended to ``rows``."""

        def __init__(self, w: Workload, seed: int) -> None:
            super().__init__(seed=seed)
            self.d = w.d
            self.learn = w.learn
            self.keep = 1.0 - w.learn
            self.rows: list[tuple[int, int, int, float]] = []
            self.violators = self.inspected = self.found = 0
            self.fines = 0.0
            self.firms = [
                Firm(self, g, p, f, b)
                for g, p, f, b in zip(
                    w.gain.tolist(), w.p.tolist(), w.fine.tolist(), w.prior.tolist(), strict=True
                )
            ]

        def step(self) -> None:
            self.violators = self.inspected = self.found = 0
            self.fines = 0.0
            self.agents.do("step")
            self.rows.append((self.violators, self.inspected, self.found, self.fines))

    return Market


def run_mesa(w: Workload, periods: int, seed: int) -> tuple[Any, float, float]:
    """One Mesa run: the model after it, the seconds of building it and of its periods."""
    market_class = mesa_market()
    began = time.perf_counter()
    market = market_class(w, seed)
    built = time.perf_counter()
    for _ in range(periods):
        market.step()
    return market, built - began, time.perf_counter() - built


def _z(diff: float, se: float) -> float:
    if se > 0:
        return diff / se
    return 0.0 if diff == 0 else math.inf


def check_mesa(market: Any, w: Workload, periods: int, seed: int) -> dict[str, Any]:
    """Mesa's run against the closed form (period 1, inspections) and against the bare loop in
    float64 on the same firms with other random numbers (paired per firm: the firms, hence their
    gains, are the same on both sides, so the spread of the per-firm differences is the noise of
    the two runs alone)."""
    from zhifa.sandbox.theory import base_violation_rate

    n = w.firms
    rows = np.array(market.rows, dtype=np.float64)
    firm_periods = n * periods
    mesa_violations = np.array([f.violations for f in market.firms], dtype=np.int64)
    mesa_found = np.array([f.found for f in market.firms], dtype=np.int64)

    closed_first = base_violation_rate(w.gain, w.prior, w.d, w.fine)
    first_ok = int(rows[0, 0]) == round(closed_first * n)

    tally = Tally(np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64))
    run_bare(w, periods, run_rng(seed, 999), "float64", tally)

    def paired(
        mesa_counts: npt.NDArray[np.int64], ref_counts: npt.NDArray[np.int64]
    ) -> dict[str, Any]:
        diff = (mesa_counts - ref_counts) / periods  # per-firm difference of rates
        se = float(diff.std(ddof=1) / math.sqrt(n)) if n > 1 else 0.0
        z = _z(float(diff.mean()), se)
        return {
            "mesa": float(mesa_counts.sum() / firm_periods),
            "numpy": float(ref_counts.sum() / firm_periods),
            "standard_error": se,
            "z": z,
            "agrees": abs(z) <= Z_LIMIT,
        }

    violation = paired(mesa_violations, tally.violations)
    found = paired(mesa_found, tally.found)
    expected = periods * float(w.p.sum())
    spread = math.sqrt(periods * float((w.p * (1 - w.p)).sum()))
    inspected_z = _z(float(rows[:, 1].sum()) - expected, spread)
    checks: dict[str, Any] = {
        "first_period": {
            "mesa_violators": int(rows[0, 0]),
            "closed_form_violators": round(closed_first * n),
            "equal": first_ok,
        },
        "violation_rate": violation,
        "found_rate": found,
        "inspections": {
            "mesa": int(rows[:, 1].sum()),
            "expected": expected,
            "standard_error": spread,
            "z": inspected_z,
            "agrees": abs(inspected_z) <= Z_LIMIT,
        },
        "totals_match_firm_counts": bool(
            int(rows[:, 0].sum()) == int(mesa_violations.sum())
            and int(rows[:, 2].sum()) == int(mesa_found.sum())
        ),
    }
    checks["agrees"] = bool(
        first_ok
        and violation["agrees"]
        and found["agrees"]
        and checks["inspections"]["agrees"]
        and checks["totals_match_firm_counts"]
    )
    return checks


# -- timing --------------------------------------------------------------------------------------


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    """``fn()`` after a collection, with its wall seconds."""
    gc.collect()
    began = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - began


def peak_of(fn: Callable[[], Any]) -> float | None:
    """The peak memory (MiB) an untimed run of ``fn`` needs above what the process held before
    it, its result included."""
    before = reset_peak()
    out = fn()
    growth = peak_growth_mib(before)
    del out
    return None if growth is None else round(growth, 1)


def _side(seconds: list[float], firm_periods: int, memory: float | None) -> dict[str, Any]:
    median = statistics.median(seconds)
    return {
        "seconds": [round(s, 4) for s in seconds],
        "median_seconds": median,
        "firm_periods_per_second": firm_periods / median,
        "peak_growth_mib": memory,
    }


def measure_size(w: Workload, periods: int, rounds: int, seed: int, dtype: str) -> dict[str, Any]:
    """zhifa and the bare loop on ``w``, alternating (the bare loop first in odd rounds), both
    runs of a round with the same generator; their outcomes are compared every round."""
    n = w.firms
    runners: dict[str, Callable[[Workload, int, np.random.Generator, str], Outcome]] = {
        "zhifa": run_zhifa,
        "bare": run_bare,
    }
    seconds: dict[str, list[float]] = {"zhifa": [], "bare": []}
    identical: list[bool] = []
    rate = math.nan
    violators_first_round = -1
    print(f"  {n:,} firms × {periods} periods, {rounds} rounds ...", flush=True)
    for r in range(rounds):
        order = ("zhifa", "bare") if r % 2 == 0 else ("bare", "zhifa")
        outs: dict[str, Outcome] = {}
        for which in order:
            run = runners[which]
            out, s = timed(functools.partial(run, w, periods, run_rng(seed, r), dtype))
            outs[which] = out
            seconds[which].append(s)
        identical.append(same(outs["zhifa"], outs["bare"]))
        rate = float(outs["zhifa"].stats[:, 0].sum() / (n * periods))
        if r == 0:
            violators_first_round = int(outs["zhifa"].stats[:, 0].sum())
        del outs
    memory = {
        which: peak_of(functools.partial(run, w, periods, run_rng(seed, 0), dtype))
        for which, run in runners.items()
    }
    result: dict[str, Any] = {
        "firms": n,
        "periods": periods,
        "firm_periods": n * periods,
        "dtype": dtype,
        "zhifa": _side(seconds["zhifa"], n * periods, memory["zhifa"]),
        "bare": _side(seconds["bare"], n * periods, memory["bare"]),
        "identical_rounds": sum(identical),
        "rounds": rounds,
        "identical": all(identical),
        "violation_rate": rate,
        "violators_first_round": violators_first_round,
    }
    result["zhifa_over_bare"] = (
        result["zhifa"]["firm_periods_per_second"] / result["bare"]["firm_periods_per_second"]
    )
    return result


def measure_mesa(w: Workload, periods: int, rounds: int, seed: int) -> dict[str, Any]:
    n = w.firms
    print(f"  Mesa: {n:,} firms × {periods} periods, {rounds} rounds ...", flush=True)
    whole: list[float] = []
    build: list[float] = []
    steps: list[float] = []
    market: Any = None
    for _ in range(rounds):
        market = None
        (market, b, s), total = timed(lambda: run_mesa(w, periods, seed))
        whole.append(total)
        build.append(b)
        steps.append(s)
    memory = peak_of(lambda: run_mesa(w, periods, seed))
    result = _side(whole, n * periods, memory)
    result.update(
        firms=n,
        periods=periods,
        firm_periods=n * periods,
        build_seconds=[round(s, 4) for s in build],
        period_seconds=[round(s, 4) for s in steps],
        median_build_seconds=statistics.median(build),
        median_period_seconds=statistics.median(steps),
    )
    result["periods_only_firm_periods_per_second"] = n * periods / result["median_period_seconds"]
    result["checks"] = check_mesa(market, w, periods, seed)
    rows = np.array(market.rows, dtype=np.float64)
    result["violation_rate"] = float(rows[:, 0].sum() / (n * periods))
    return result


# -- the realistic case: a fresh process ---------------------------------------------------------


def cold_child(args: argparse.Namespace) -> int:
    """In a fresh process: make the workload, then time the import of zhifa and the first
    call; print one JSON line."""
    already = any(name == "zhifa" or name.startswith("zhifa.") for name in sys.modules)
    w = Workload.make(args.firms, args.seed, args.learn)
    rng = run_rng(args.seed, 0)
    gc.collect()
    began = time.perf_counter()
    from zhifa.sandbox.behaviour import run_base

    imported = time.perf_counter()
    r = run_base(w.gain, w.p, w.fine, w.d, w.prior, w.learn, args.periods, rng, dtype=args.dtype)
    done = time.perf_counter()
    peak = _status_kib("VmHWM")
    print(
        json.dumps(
            {
                "zhifa_imported_before": already,
                "import_seconds": imported - began,
                "call_seconds": done - imported,
                "seconds": done - began,
                "peak_rss_mib": None if peak is None else round(peak / 1024, 1),
                "violators": int(r.stats[:, 0].sum()),
            }
        )
    )
    return 0


def measure_cold(args: argparse.Namespace, firms: int, periods: int, count: int) -> dict[str, Any]:
    print(f"  cold: {count} fresh process(es), {firms:,} firms × {periods} periods ...", flush=True)
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--cold-child",
        "--firms",
        str(firms),
        "--periods",
        str(periods),
        "--seed",
        str(args.seed),
        "--dtype",
        args.dtype,
        "--learn",
        repr(args.learn),
    ]
    runs: list[dict[str, Any]] = []
    problems: list[str] = []
    for _ in range(count):
        began = time.perf_counter()
        proc = subprocess.run(command, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - began
        if proc.returncode != 0 or not proc.stdout.strip():
            problems.append(f"cold run failed ({proc.returncode}): {proc.stderr.strip()[-300:]}")
            continue
        run = json.loads(proc.stdout.strip().splitlines()[-1])
        run["process_seconds"] = wall
        if run["zhifa_imported_before"]:
            problems.append("cold run: zhifa was imported before the clock started")
        runs.append(run)
    if not runs:
        return {"firms": firms, "periods": periods, "runs": [], "problems": problems}
    median = statistics.median(r["seconds"] for r in runs)
    return {
        "firms": firms,
        "periods": periods,
        "runs": runs,
        "median_seconds": median,
        "median_import_seconds": statistics.median(r["import_seconds"] for r in runs),
        "median_call_seconds": statistics.median(r["call_seconds"] for r in runs),
        "median_process_seconds": statistics.median(r["process_seconds"] for r in runs),
        "firm_periods_per_second": firms * periods / median,
        "peak_rss_mib": max((r["peak_rss_mib"] or 0.0) for r in runs) or None,
        "problems": problems,
    }


# -- report --------------------------------------------------------------------------------------


def _rate(x: float | None) -> str:
    return "—" if x is None else f"{x / 1e6:,.1f} M"


def _mib(x: float | None) -> str:
    return "—" if x is None else f"{x:,.0f}"


def targets(sizes: Sequence[dict[str, Any]], mesa: dict[str, Any] | None) -> list[dict[str, Any]]:
    goals: list[dict[str, Any]] = []
    for s in sizes:
        label = f"{s['firms']:,} × {s['periods']}"
        got = s["zhifa"]["firm_periods_per_second"]
        goals.append(
            {
                "target": f"zhifa firm-periods/s, {label}",
                "wanted": f"≥ {TARGET_RATE / 1e6:.0f} M",
                "got": _rate(got),
                "value": got,
                "met": got >= TARGET_RATE,
            }
        )
        goals.append(
            {
                "target": f"zhifa ÷ bare loop, {label}",
                "wanted": f"≥ {TARGET_OVER_BARE}",
                "got": f"{s['zhifa_over_bare']:.2f}",
                "value": s["zhifa_over_bare"],
                "met": s["zhifa_over_bare"] >= TARGET_OVER_BARE,
            }
        )
    base = sizes[0]["zhifa"]["firm_periods_per_second"]
    if mesa is None:
        goals.append(
            {
                "target": "zhifa ÷ Mesa (Mesa's periods only)",
                "wanted": f"≥ {TARGET_OVER_MESA:.0f}×",
                "got": "—",
                "value": None,
                "met": None,
            }
        )
    else:
        ratio = base / mesa["periods_only_firm_periods_per_second"]
        goals.append(
            {
                "target": "zhifa ÷ Mesa (Mesa's periods only)",
                "wanted": f"≥ {TARGET_OVER_MESA:.0f}×",
                "got": f"{ratio:.0f}×",
                "value": ratio,
                "met": ratio >= TARGET_OVER_MESA,
            }
        )
    return goals


def print_report(
    sizes: Sequence[dict[str, Any]],
    mesa: dict[str, Any] | None,
    mesa_note: str | None,
    cold: dict[str, Any] | None,
    goals: Sequence[dict[str, Any]],
    env: dict[str, Any],
) -> None:
    head = ("implementation", "firms × periods", "dtype", "median s", "firm-periods/s", "peak MiB")
    lines: list[tuple[str, ...]] = []
    for s in sizes:
        label = f"{s['firms']:,} × {s['periods']}"
        for key, name in (("zhifa", "zhifa run_base"), ("bare", "bare NumPy loop")):
            side = s[key]
            lines.append(
                (
                    name,
                    label,
                    s["dtype"],
                    f"{side['median_seconds']:.3f}",
                    _rate(side["firm_periods_per_second"]),
                    _mib(side["peak_growth_mib"]),
                )
            )
    if mesa is not None:
        lines.append(
            (
                f"Mesa {env['mesa']}",
                f"{mesa['firms']:,} × {mesa['periods']}",
                "float64",
                f"{mesa['median_seconds']:.3f}",
                _rate(mesa["firm_periods_per_second"]),
                _mib(mesa["peak_growth_mib"]),
            )
        )
        lines.append(
            (
                "  its periods only",
                "",
                "",
                f"{mesa['median_period_seconds']:.3f}",
                _rate(mesa["periods_only_firm_periods_per_second"]),
                "",
            )
        )
    else:
        lines.append(("Mesa", "—", "—", "—", "—", "—"))
    if cold is not None and "median_seconds" in cold:
        lines.append(
            (
                "zhifa, cold process",
                f"{cold['firms']:,} × {cold['periods']}",
                sizes[0]["dtype"],
                f"{cold['median_seconds']:.3f}",
                _rate(cold["firm_periods_per_second"]),
                f"{_mib(cold['peak_rss_mib'])} (RSS)",
            )
        )
    widths = [max(len(row[i]) for row in (head, *lines)) for i in range(len(head))]
    print()
    for row in (head, *lines):
        cells = [c.ljust(widths[i]) if i < 3 else c.rjust(widths[i]) for i, c in enumerate(row)]
        print("  ".join(cells).rstrip())

    print()
    for s in sizes:
        print(
            f"zhifa ÷ bare loop at {s['firms']:,} × {s['periods']}: {s['zhifa_over_bare']:.2f}; "
            f"same totals, beliefs and flags in {s['identical_rounds']}/{s['rounds']} rounds "
            f"({'identical' if s['identical'] else 'DIFFERENT'}); violation rate "
            f"{s['violation_rate']:.4f}"
        )
    first = sizes[0]["zhifa"]["firm_periods_per_second"]
    if mesa is not None:
        c = mesa["checks"]
        print(
            f"zhifa ÷ Mesa: {first / mesa['firm_periods_per_second']:.0f}× against Mesa's whole "
            f"run (its {mesa['median_build_seconds']:.3f} s of building agents included), "
            f"{first / mesa['periods_only_firm_periods_per_second']:.0f}× against its periods only"
        )
        v, f, i, p1 = c["violation_rate"], c["found_rate"], c["inspections"], c["first_period"]
        print(
            f"Mesa check: period 1 violators {p1['mesa_violators']:,} vs closed form "
            f"{p1['closed_form_violators']:,} ({'equal' if p1['equal'] else 'DIFFERENT'}); "
            f"violation rate {v['mesa']:.4f} vs NumPy {v['numpy']:.4f} (z = {v['z']:+.2f}); "
            f"found {f['mesa']:.5f} vs {f['numpy']:.5f} (z = {f['z']:+.2f}); inspections "
            f"{i['mesa']:,} vs expected {i['expected']:,.0f} (z = {i['z']:+.2f}): "
            f"{'agrees' if c['agrees'] else 'DISAGREES'} (|z| ≤ {Z_LIMIT:.0f} wanted)"
        )
    else:
        print(mesa_note)
    if cold is not None and "median_seconds" in cold:
        warm = next(
            (s for s in sizes if (s["firms"], s["periods"]) == (cold["firms"], cold["periods"])),
            None,
        )
        warm_text = (
            f"; warm, in this process: {warm['zhifa']['median_seconds']:.3f} s"
            if warm is not None
            else ""
        )
        print(
            f"zhifa cold, a fresh process per run (median of {len(cold['runs'])}): "
            f"{cold['median_seconds']:.3f} s = import {cold['median_import_seconds']:.3f} s + "
            f"first call {cold['median_call_seconds']:.3f} s{warm_text} (each process "
            f"{cold['median_process_seconds']:.2f} s in all, with Python, NumPy and the workload)"
        )

    print("\nTargets (reported, not asserted)")
    for t in goals:
        mark = "not measured" if t["met"] is None else "met" if t["met"] else "not met"
        print(f"  {t['target']:40} wanted {t['wanted']:>7}  got {t['got']:>9}  {mark}")


def environment(mesa: str | None) -> dict[str, Any]:
    try:
        affinity: int | None = len(os.sched_getaffinity(0))
    except AttributeError:
        affinity = None
    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "mesa": mesa,
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "cpus_usable": affinity,
        "threads": {v: os.environ.get(v) for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")},
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "started": datetime.now().isoformat(timespec="seconds"),
    }


# -- main ----------------------------------------------------------------------------------------

FULL = {
    "firms": 1_000_000,
    "periods": 20,
    "big_firms": 10_000_000,
    "big_periods": 5,
    "mesa_firms": 20_000,
    "mesa_periods": 20,
}
QUICK = {
    "firms": 100_000,
    "periods": 10,
    "big_firms": 1_000_000,
    "big_periods": 2,
    "mesa_firms": 2_000,
    "mesa_periods": 10,
}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="the sandbox's base firm model: zhifa against a bare NumPy loop and Mesa"
    )
    p.add_argument("--firms", type=int, help="firms of the main size (1000000; quick 100000)")
    p.add_argument("--periods", type=int, help="periods of the main size (20; quick 10)")
    p.add_argument(
        "--big",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also run the big size (on)",
    )
    p.add_argument("--big-firms", type=int, help="firms of the big size (10000000; quick 1000000)")
    p.add_argument("--big-periods", type=int, help="periods of the big size (5; quick 2)")
    p.add_argument("--mesa-firms", type=int, help="firms of the Mesa run (20000; quick 2000)")
    p.add_argument("--mesa-periods", type=int, help="periods of the Mesa run (20; quick 10)")
    p.add_argument("--skip-mesa", action="store_true", help="leave Mesa out")
    p.add_argument("--rounds", type=int, default=3, help="timed runs of each side (3)")
    p.add_argument(
        "--cold", type=int, default=3, help="fresh processes for the cold figure (3; 0: none)"
    )
    p.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    p.add_argument("--learn", type=float, default=LEARN, help=f"learning rate ({LEARN})")
    p.add_argument("--seed", type=int, default=SEED, help="seed of the workload and the runs")
    p.add_argument("--quick", action="store_true", help="small sizes, for a look in seconds")
    p.add_argument("--json", type=Path, metavar="OUT", help="also write the figures as JSON")
    p.add_argument("--cold-child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    for key, value in (QUICK if args.quick else FULL).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if min(args.firms, args.periods, args.big_firms, args.big_periods) < 1:
        p.error("firms and periods must be positive")
    if min(args.mesa_firms, args.mesa_periods) < 2 or args.mesa_firms > args.firms:
        p.error("--mesa-firms must be at least 2 and at most --firms; --mesa-periods at least 2")
    if args.rounds < 1 or args.cold < 0:
        p.error("--rounds must be positive and --cold not negative")
    if not 0.0 <= args.learn <= 1.0:
        p.error("--learn is a weight between 0 and 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.cold_child:
        return cold_child(args)
    mesa = None if args.skip_mesa else mesa_version()
    env = environment(mesa)
    print(
        f"zhifa sandbox benchmark: Python {env['python']}, NumPy {env['numpy']}, Mesa "
        f"{mesa or 'not installed' if not args.skip_mesa else 'left out'}, {env['cpus']} CPUs, "
        f"one thread; load average {env['load_average'][0]:.2f}"
    )
    began = time.perf_counter()
    w = Workload.make(args.firms, args.seed, args.learn)
    # warm: zhifa imported and both sides called once before anything is timed
    small = w.head(min(1000, w.firms))
    same(
        run_zhifa(small, 2, run_rng(args.seed, 0), args.dtype),
        run_bare(small, 2, run_rng(args.seed, 0), args.dtype),
    )

    sizes = [measure_size(w, args.periods, args.rounds, args.seed, args.dtype)]
    if args.big:
        big = Workload.make(args.big_firms, args.seed, args.learn)
        sizes.append(measure_size(big, args.big_periods, args.rounds, args.seed, args.dtype))
        del big
    mesa_result: dict[str, Any] | None = None
    mesa_note: str | None = None
    if args.skip_mesa:
        mesa_note = "Mesa left out (--skip-mesa)"
    elif mesa is None:
        mesa_note = f"Mesa is not installed here; figures missing. To install it: {INSTALL_MESA}"
    else:
        mesa_result = measure_mesa(
            w.head(args.mesa_firms), args.mesa_periods, args.rounds, args.seed
        )
    del w, small
    cold = measure_cold(args, args.firms, args.periods, args.cold) if args.cold else None
    if cold is not None:
        wrong = [r for r in cold["runs"] if r["violators"] != sizes[0]["violators_first_round"]]
        if wrong:
            cold["problems"].append(
                f"{len(wrong)} cold run(s) gave other totals than the warm run with the same seed"
            )

    goals = targets(sizes, mesa_result)
    print_report(sizes, mesa_result, mesa_note, cold, goals, env)
    problems = [
        f"zhifa and the bare loop differ at {s['firms']:,} × {s['periods']} "
        f"({s['rounds'] - s['identical_rounds']} of {s['rounds']} rounds)"
        for s in sizes
        if not s["identical"]
    ]
    if mesa_result is not None and not mesa_result["checks"]["agrees"]:
        problems.append("Mesa's results disagree with the closed form or the NumPy reference")
    if cold is not None:
        problems.extend(cold["problems"])
    for p in problems:
        print(f"! {p}")
    seconds = time.perf_counter() - began
    load = os.getloadavg()[0]
    print(
        f"\nran {seconds:.0f} s; load average {env['load_average'][0]:.2f} at start, "
        f"{load:.2f} at end"
    )
    if args.json:
        report = {
            "environment": env,
            "seconds": round(seconds, 1),
            "load_average_at_end": round(load, 2),
            "settings": {
                k: v for k, v in vars(args).items() if k not in ("json", "cold_child", "quick")
            }
            | {"quick": args.quick},
            "workload": {
                "gain": {"lognormal_median": GAIN_MEDIAN, "sigma": GAIN_SIGMA},
                "p": {"uniform": [P_LOW, P_HIGH]},
                "fine": {"one_of": list(FINES)},
                "prior": {"uniform": [PRIOR_LOW, PRIOR_HIGH]},
                "d": D,
                "learn": args.learn,
                "seed": args.seed,
            },
            "sizes": sizes,
            "mesa": mesa_result if mesa_result is not None else {"missing": mesa_note},
            "cold": cold,
            "targets": goals,
            "problems": problems,
        }
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
        print(f"\nwrote {args.json}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
