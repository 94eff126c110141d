"""Random-draw speed (双随机): zhifa.inspections against a plain NumPy stratified sample, at two sizes.

    python bench/draw.py [--sizes 100000,1000000] [--inspectors 2000] [--rounds 5]
                         [--json OUT] [--check]

Every figure is measured in the same run, on the same synthetic directories:

1. **draw**: ``zhifa.inspections.draw`` on a target directory of N entities and an inspector directory
   of 2,000 officers — the digests of the plan and both snapshots, the seed, eligibility,
   stratified selection, the team of every visit — then the tasks built in bulk as columns
   (``DrawResult.tasks()``) and as rows ready for an insert (``DrawResult.task_rows()`` and
   ``team_rows()``).
2. **floor**: a plain NumPy stratified sample of the same directory: per credit class,
   ``rng.choice(members, n, replace=False)`` at the plan's class ratios, then sorted.

Draw and floor alternate for ``--rounds`` rounds per size; the median of each is reported, with
draw ÷ floor, and the 1M ÷ 100k scaling of each. ``record()`` and ``verify()`` are timed once
per size for information. See bench/README.md for how to read the figures.
"""

# ruff: noqa: E402
from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, bench/ comes first on sys.path and bench/transitions.py would stand in for the
# `transitions` package that zhifa's state machine imports.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import argparse
import gc
import json
import os
import platform
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import numpy as np
from numpy.typing import NDArray

from zhifa.inspections import (
    DrawResult,
    Inspector,
    InspectorDirectory,
    Plan,
    PlanItem,
    TargetDirectory,
    draw,
    sample_size,
    verify,
)
from zhifa.rules import CREDIT_CLASSES

TARGET_SECONDS_1M = 2.0
TARGET_SCALING = 12.5  # 10 times the entities in at most 12.5 times the time (25% over linear)
INSPECTION_DAY = date(2026, 5, 12)
PUBLIC_VALUE = "2026052: 03 11 19 24 28 31 + 07"
REGIONS = tuple(f"3301{i:02d}" for i in range(2, 18))  # 16 districts
INDUSTRIES = ("catering", "food_production", "food_sales", "manufacturing", "retail")
INDUSTRY_SHARES = (0.20, 0.05, 0.30, 0.15, 0.30)
CLASS_SHARES = (0.30, 0.55, 0.12, 0.03)  # A B C D
RISK_SHARES = (0.02, 0.60, 0.30, 0.08)  # unrated, low, medium, high
# department: (officers, specialty, share holding it)
DEPARTMENTS = {
    "SCJG": (0.55, "food_safety", 0.60),  # market regulation
    "WSJK": (0.175, "public_health", 0.90),  # health
    "STHJ": (0.125, "environment", 0.95),  # ecology and environment
    "YJGL": (0.15, "work_safety", 0.95),  # emergency management
}

PLAN = Plan(
    year=2026,
    lead_department="SCJG",
    participating=("WSJK", "STHJ", "YJGL"),
    items=(
        PlanItem("SC-01"),
        PlanItem("SC-02", "key", "SCJG", "food_safety", "food_production"),
        PlanItem("SC-03", "general", "SCJG", "food_safety", "catering"),
        PlanItem("WS-01", "general", "WSJK", "public_health", "catering"),
        PlanItem("HJ-01", "general", "STHJ", "environment", "manufacturing"),
        PlanItem("YJ-01", "key", "YJGL", "work_safety", "manufacturing"),
    ),
    inspection_date=INSPECTION_DAY,
    ratios={"A": Decimal("0.03"), "B": Decimal("0.05"), "C": Decimal("0.10"), "D": Decimal("0.20")},
    risk_ratios={"high": Decimal("0.30")},
    exempt=frozenset({"A"}),
    yearly_cap={"B": 1},
    grace_days=180,
    grace=Decimal("0.02"),
    key_supervision_ratio=Decimal("0.50"),
    basis="bench: a joint plan of four departments",
)


# -- the synthetic directories ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Synthetic:
    """The columns of both directories; ``targets()``/``inspectors()`` make fresh snapshots
    (with their digests not yet computed) for each timed run."""

    columns: dict[str, Any]
    officers: tuple[Inspector, ...]
    pairs: tuple[NDArray[np.int64], NDArray[np.int32], NDArray[np.int64], NDArray[np.int32]]

    def targets(self) -> TargetDirectory:
        return TargetDirectory(**self.columns)

    def inspectors(self) -> InspectorDirectory:
        return InspectorDirectory(self.officers, *self.pairs)

    @property
    def credit_class(self) -> NDArray[np.uint8]:
        return np.asarray(self.columns["credit_class"], dtype=np.uint8)


def synthetic(entities: int, inspectors: int, seed: int) -> Synthetic:
    rng = np.random.default_rng(seed)
    n = entities
    ids = np.cumsum(rng.integers(1, 4, n)) + 91_000_000_000
    start, end = date(2000, 1, 1).toordinal(), date(2026, 5, 1).toordinal()
    columns = {
        "ids": ids,
        "credit_class": rng.choice(4, n, p=CLASS_SHARES).astype(np.uint8),
        "risk_level": (rng.choice(4, n, p=RISK_SHARES) - 1).astype(np.int8),
        "region": rng.integers(0, len(REGIONS), n).astype(np.int32),
        "industry": rng.choice(len(INDUSTRIES), n, p=INDUSTRY_SHARES).astype(np.int32),
        "registered_on": rng.integers(start, end, n).astype(np.int32),
        "key_supervision": rng.random(n) < 0.02,
        "asked": rng.random(n) < 0.005,
        "inspected_this_year": rng.choice(3, n, p=(0.90, 0.08, 0.02)).astype(np.int32),
        "regions": REGIONS,
        "industries": INDUSTRIES,
    }
    people: list[Inspector] = []
    for dept, (share, specialty, holding) in DEPARTMENTS.items():
        for i in range(round(inspectors * share)):
            draw_ = rng.random()
            regions = (
                frozenset()  # a city-level officer: every district
                if draw_ < 0.05
                else frozenset(
                    REGIONS[k] for k in rng.choice(len(REGIONS), 1 + int(draw_ > 0.6), False)
                )
            )
            expired = rng.random() < 0.03
            people.append(
                Inspector(
                    f"{dept}{i:05d}",
                    dept,
                    date(2024, 1, 1),
                    date(2026, 3, 31) if expired else date(2028, 12, 31),
                    frozenset({specialty}) if rng.random() < holding else frozenset(),
                    regions,
                )
            )
    count = len(people)
    conflicts = n // 200
    inspected = rng.choice(n, n // 5, replace=False)  # a fifth had an inspection before
    pairs = (
        rng.choice(ids, conflicts),
        rng.integers(0, count, conflicts).astype(np.int32),
        np.repeat(ids[inspected], 2),
        rng.integers(0, count, 2 * inspected.size).astype(np.int32),
    )
    return Synthetic(columns, tuple(people), pairs)


# -- the two ways of drawing -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Phases:
    """One timed draw: the whole of it and its parts, in seconds."""

    total: float
    draw: float  # zhifa.inspections.draw: digests, seed, eligibility, selection, teams
    columns: float  # DrawResult.tasks()
    rows: float  # DrawResult.task_rows() and team_rows()


def timed_draw(data: Synthetic) -> tuple[Phases, DrawResult, int]:
    targets, inspectors = data.targets(), data.inspectors()  # fresh: digests not cached
    gc.collect()  # every round starts from the same heap: no collection owed by the last one
    began = time.perf_counter()
    result = draw(PLAN, targets, inspectors, PUBLIC_VALUE)
    drawn = time.perf_counter()
    columns = result.tasks()
    built = time.perf_counter()
    rows = result.task_rows()
    members = result.team_rows()
    ended = time.perf_counter()
    if len(rows) != columns.entity.shape[0] or len(members) != int((result.team >= 0).sum()):
        raise RuntimeError("the task or team rows do not match the draw")
    phases = Phases(ended - began, drawn - began, built - drawn, ended - built)
    return phases, result, len(rows)


def floor_sample(credit_class: NDArray[np.uint8], rng: np.random.Generator) -> NDArray[np.intp]:
    """A plain stratified sample: per class, rng.choice at the plan's class ratio."""
    picks = []
    for code, letter in enumerate(CREDIT_CLASSES):
        members = np.flatnonzero(credit_class == code)
        k = sample_size(PLAN.ratio_of(letter), members.size)
        picks.append(rng.choice(members, k, replace=False))
    return np.sort(np.concatenate(picks))


def timed_floor(data: Synthetic, seed: int) -> tuple[float, int]:
    classes = data.credit_class
    rng = np.random.default_rng(seed)
    gc.collect()
    began = time.perf_counter()
    picked = floor_sample(classes, rng)
    return time.perf_counter() - began, int(picked.size)


def check_result(result: DrawResult, data: Synthetic) -> None:
    """Untimed sanity checks: teams of two or more, nobody drawn who must withdraw."""
    team = result.team
    if result.entities.size == 0 or int((team >= 0).sum(axis=1).min()) < PLAN.team_size:
        raise RuntimeError("a visit has fewer inspectors than the plan's team size")
    directory = data.inspectors()  # officers sorted by id, the pairs renumbered to match
    officers = len(directory)
    entity = np.concatenate([directory.conflict_entity, directory.last_entity])
    officer = np.concatenate([directory.conflict_officer, directory.last_officer]).astype(np.int64)
    at = np.minimum(np.searchsorted(result.entities, entity), result.entities.size - 1)
    hit = result.entities[at] == entity
    withdrawn = at[hit].astype(np.int64) * officers + officer[hit]
    rows, cols = np.nonzero(team >= 0)
    drawn = rows.astype(np.int64) * officers + team[rows, cols]
    if np.intersect1d(withdrawn, drawn).size:
        raise RuntimeError("an officer who must withdraw was drawn")


# -- results ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SizeResult:
    entities: int
    phases: tuple[Phases, ...]
    floor_seconds: tuple[float, ...]
    visits: int
    tasks: int
    floor_selected: int
    record_seconds: float
    verify_seconds: float
    eligible: int

    @property
    def draw_seconds(self) -> tuple[float, ...]:
        return tuple(p.total for p in self.phases)

    @property
    def draw(self) -> float:
        """Median seconds of the whole draw, task rows included."""
        return statistics.median(self.draw_seconds)

    def part(self, name: str) -> float:
        return statistics.median(getattr(p, name) for p in self.phases)

    @property
    def floor(self) -> float:
        return statistics.median(self.floor_seconds)

    @property
    def ratio(self) -> float:
        return self.draw / self.floor

    def as_dict(self) -> dict[str, Any]:
        return {
            "entities": self.entities,
            "eligible": self.eligible,
            "visits": self.visits,
            "tasks": self.tasks,
            "floor_selected": self.floor_selected,
            "draw_seconds_median": round(self.draw, 4),
            "draw_seconds_min": round(min(self.draw_seconds), 4),
            "draw_seconds": [round(s, 4) for s in self.draw_seconds],
            "parts_seconds_median": {
                name: round(self.part(name), 4) for name in ("draw", "columns", "rows")
            },
            "floor_seconds_median": round(self.floor, 5),
            "floor_seconds_min": round(min(self.floor_seconds), 5),
            "floor_seconds": [round(s, 5) for s in self.floor_seconds],
            "draw_over_floor": round(self.ratio, 2),
            "record_seconds": round(self.record_seconds, 4),
            "verify_seconds": round(self.verify_seconds, 4),
        }


@dataclass(frozen=True, slots=True)
class Target:
    name: str
    wanted: str
    got: str
    met: bool

    def as_dict(self) -> dict[str, Any]:
        return {"target": self.name, "wanted": self.wanted, "got": self.got, "met": self.met}


def measure(entities: int, inspectors: int, rounds: int, seed: int) -> SizeResult:
    print(f"{entities:,} entities, {inspectors:,} inspectors: building ...", flush=True)
    data = synthetic(entities, inspectors, seed)
    timed_draw(data)  # warm-up, untimed
    timed_floor(data, seed)
    draws: list[Phases] = []
    floors: list[float] = []
    result: DrawResult | None = None
    tasks = selected = 0
    for r in range(rounds):
        result = None  # the last round's result is released before the next is timed
        phases, result, tasks = timed_draw(data)
        draws.append(phases)
        floor_seconds, selected = timed_floor(data, seed + r)
        floors.append(floor_seconds)
    assert result is not None
    check_result(result, data)
    began = time.perf_counter()
    record = json.loads(json.dumps(result.record()))
    record_seconds = time.perf_counter() - began
    began = time.perf_counter()
    problems = verify(record, PLAN, data.targets(), data.inspectors())
    verify_seconds = time.perf_counter() - began
    if problems:
        raise RuntimeError(f"the draw does not verify: {problems[:3]}")
    eligible = sum(s.eligible for s in result.strata)
    return SizeResult(
        entities,
        tuple(draws),
        tuple(floors),
        int(result.entities.size),
        tasks,
        selected,
        record_seconds,
        verify_seconds,
        eligible,
    )


def targets(results: Sequence[SizeResult]) -> list[Target]:
    out = []
    by_size = {r.entities: r for r in results}
    if 1_000_000 in by_size:
        r = by_size[1_000_000]
        out.append(
            Target(
                "draw of 1,000,000 entities",
                f"≤ {TARGET_SECONDS_1M:.1f} s",
                f"{r.draw:.3f} s",
                r.draw <= TARGET_SECONDS_1M,
            )
        )
    if 100_000 in by_size and 1_000_000 in by_size:
        scaling = by_size[1_000_000].draw / by_size[100_000].draw
        out.append(
            Target(
                "draw 1M / 100k (linear: 10)",
                f"≤ {TARGET_SCALING:.1f}",
                f"{scaling:.2f}",
                scaling <= TARGET_SCALING,
            )
        )
    return out


def print_table(results: Sequence[SizeResult], goals: Sequence[Target]) -> None:
    header = (
        f"{'entities':>10} {'eligible':>9} {'visits':>7} {'tasks':>7} {'draw s':>7} "
        f"{'select+teams':>12} {'rows':>9} {'floor s':>8} {'draw/floor':>10} "
        f"{'record s':>8} {'verify s':>8}"
    )
    print("\n" + header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.entities:>10,} {r.eligible:>9,} {r.visits:>7,} {r.tasks:>7,} {r.draw:>7.3f} "
            f"{r.part('draw'):>12.3f} {r.part('rows'):>9.3f} {r.floor:>8.4f} {r.ratio:>10.1f} "
            f"{r.record_seconds:>8.3f} {r.verify_seconds:>8.3f}"
        )
    if len(results) >= 2:
        small, large = results[0], results[-1]
        factor = large.entities / small.entities
        print(
            f"\nscaling {large.entities:,} / {small.entities:,} ({factor:.0f}× the entities): "
            f"draw {large.draw / small.draw:.2f}× (select+teams "
            f"{large.part('draw') / small.part('draw'):.2f}×, rows "
            f"{large.part('rows') / small.part('rows'):.2f}×), "
            f"floor {large.floor / small.floor:.2f}×"
        )
    print("\nTargets")
    for t in goals:
        mark = "met" if t.met else "MISSED"
        print(f"  {t.name:32} wanted {t.wanted:>8}  got {t.got:>8}  {mark}")


def environment() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "started": datetime.now().isoformat(timespec="seconds"),
    }


# -- main ------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="zhifa random draw against a plain NumPy stratified sample"
    )
    p.add_argument(
        "--sizes",
        default="100000,1000000",
        help="directory sizes, comma-separated, smallest first (100000,1000000)",
    )
    p.add_argument("--inspectors", type=int, default=2000, help="officers (2000)")
    p.add_argument("--rounds", type=int, default=5, help="timed rounds per size (5)")
    p.add_argument("--seed", type=int, default=20260512, help="seed of the synthetic data")
    p.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    p.add_argument("--json", type=Path, metavar="OUT", help="also write the figures as JSON")
    args = p.parse_args(argv)
    try:
        args.sizes = sorted(int(s.replace("_", "")) for s in args.sizes.split(","))
    except ValueError:
        p.error("--sizes takes whole numbers separated by commas, e.g. 100000,1000000")
    if min(args.sizes) < 1000 or args.inspectors < 100 or args.rounds < 1:
        p.error("sizes must be at least 1000, --inspectors at least 100, --rounds at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    env = environment()
    print(
        f"zhifa draw benchmark: Python {env['python']}, NumPy {env['numpy']}, {env['cpus']} CPUs, "
        f"load average {env['load_average'][0]}, {env['platform']}"
    )
    began = time.perf_counter()
    results = [measure(n, args.inspectors, args.rounds, args.seed) for n in args.sizes]
    goals = targets(results)
    print_table(results, goals)
    seconds = time.perf_counter() - began
    load = os.getloadavg()[0]
    print(
        f"\nran {seconds:.0f} s; load average {env['load_average'][0]} at start, {load:.2f} at end"
    )
    if args.json:
        report = {
            "environment": env,
            "seconds": round(seconds, 1),
            "load_average_at_end": round(load, 2),
            "inspectors": args.inspectors,
            "rounds": args.rounds,
            "sizes": [r.as_dict() for r in results],
            "scaling": (
                {
                    "entities": results[-1].entities / results[0].entities,
                    "draw": round(results[-1].draw / results[0].draw, 3),
                    "select_and_teams": round(
                        results[-1].part("draw") / results[0].part("draw"), 3
                    ),
                    "rows": round(results[-1].part("rows") / results[0].part("rows"), 3),
                    "floor": round(results[-1].floor / results[0].floor, 3),
                }
                if len(results) >= 2
                else None
            ),
            "targets": [t.as_dict() for t in goals],
        }
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
        print(f"\nwrote {args.json}")
    if args.check and not all(t.met for t in goals):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
