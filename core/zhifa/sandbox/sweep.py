"""Many runs: reforms × replications, on this machine's processes or on a Dask cluster.

Replication ``i`` of every reform uses the same child seed, ``SeedSequence(seed).spawn(reps)[i]``,
so a reform and the baseline meet the same random draws (common random numbers: their difference
has far less noise than either) and a run gives the same numbers wherever it runs: in this
process, in ``workers`` local processes, or on a cluster reached through ``scheduler`` (the
address of a ``distributed`` scheduler, such as ``tcp://10.0.0.5:8786``; a
``distributed.Client`` may be passed instead).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from zhifa.errors import InputError
from zhifa.sandbox.model import Run, Scenario, simulate
from zhifa.sandbox.population import Population
from zhifa.sandbox.reform import Reform
from zhifa.sandbox.rules import Installed


@dataclass(frozen=True, slots=True)
class Sweep:
    """The runs of each reform (by name, in the order given), replication by replication."""

    reforms: tuple[Reform, ...]
    runs: dict[str, tuple[Run, ...]]
    scenario: Scenario
    population: str
    seed: int


def _one(job: tuple[Installed, Population, Scenario, Reform, np.random.SeedSequence]) -> Run:
    installed, pop, scenario, reform, seed = job
    return simulate(installed, pop, scenario, seed, reform)


def _jobs(
    installed: Installed,
    pop: Population,
    scenario: Scenario,
    reforms: Sequence[Reform],
    seeds: Sequence[np.random.SeedSequence],
) -> list[tuple[Installed, Population, Scenario, Reform, np.random.SeedSequence]]:
    return [(installed, pop, scenario, r, s) for r in reforms for s in seeds]


def _progress(total: int, show: bool) -> Any:
    if not show:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="runs", unit="run")


def _local(jobs: list[Any], workers: int, tick: Callable[[], None]) -> Iterator[Run]:
    if workers <= 1:
        for job in jobs:
            yield _one(job)
            tick()
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for run in pool.map(_one, jobs):
            yield run
            tick()


def _cluster(jobs: list[Any], scheduler: Any, tick: Callable[[], None]) -> list[Run]:
    from distributed import Client, as_completed

    client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
    try:
        futures = client.map(_one, jobs, pure=False)
        order = {f.key: i for i, f in enumerate(futures)}
        done: list[Run | None] = [None] * len(futures)
        for future in as_completed(futures):
            done[order[future.key]] = future.result()
            tick()
        return [r for r in done if r is not None]
    finally:
        if client is not scheduler:
            client.close()


def sweep(
    installed: Installed,
    pop: Population,
    scenario: Scenario,
    reforms: Sequence[Reform],
    reps: int,
    seed: int,
    *,
    workers: int = 1,
    scheduler: Any = None,
    progress: bool = False,
) -> Sweep:
    """Every reform ``reps`` times (see the module documentation). Reform names must differ."""
    if not isinstance(reps, int) or isinstance(reps, bool) or reps < 1:
        raise InputError(f"reps must be a whole number of replications, 1 or more, not {reps!r}")
    names = [r.name for r in reforms]
    if not reforms or len(set(names)) != len(names):
        raise InputError("give one or more reforms with different names")
    seeds = np.random.SeedSequence(seed).spawn(reps)
    jobs = _jobs(installed, pop, scenario, reforms, seeds)
    bar = _progress(len(jobs), progress)

    def tick() -> None:
        if bar is not None:
            bar.update(1)

    try:
        if scheduler is not None:
            runs = _cluster(jobs, scheduler, tick)
        else:
            runs = list(_local(jobs, workers, tick))
    finally:
        if bar is not None:
            bar.close()
    by_reform = {name: tuple(runs[i * reps : (i + 1) * reps]) for i, name in enumerate(names)}
    return Sweep(tuple(reforms), by_reform, scenario, pop.source, seed)


__all__ = ["Sweep", "sweep"]
