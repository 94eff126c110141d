"""What a sweep found, summarised: per year and in total, the mean over replications with a 95 %
confidence interval (mean ± 1.96 standard errors; none with a single replication), each reform
side by side with the first (the baseline) and the difference (paired by replication, so the
common random numbers cancel), as a table, a workbook or a plot.

Outcomes (each a per-year total; *rates* are shares of the firms):

violation_rate, violators, drawn, complaints, inspections, found, fines_imposed, fines_collected,
no_penalty, publications, serious_list, repairs, officer_days, capacity_days (0: no limit),
never_visited (firms not inspected since the start), and inspections by credit class
(inspections_A … inspections_D) and by department (inspections@DEPT).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from zhifa.errors import InputError
from zhifa.rules import CREDIT_CLASSES
from zhifa.sandbox.model import STATS, Run
from zhifa.sandbox.sweep import Sweep

Z95 = 1.96
TOTALLED = frozenset(STATS) - {"never_visited", "capacity_days"}
"""Outcomes whose total over the years is their sum (the others: the last year's value)."""


def series(run: Run, departments: Sequence[str]) -> dict[str, NDArray[np.float64]]:
    """Every outcome of one run, per year."""
    out = {name: np.asarray(run.stats[name], dtype=np.float64) for name in STATS}
    out["violation_rate"] = run.violation_rate
    for c, cls in enumerate(CREDIT_CLASSES):
        out[f"inspections_{cls}"] = run.by_class[:, c].astype(np.float64)
    for d, dept in enumerate(departments):
        out[f"inspections@{dept}"] = run.by_department[:, d].astype(np.float64)
    return out


def _total(name: str, values: NDArray[np.float64]) -> float:
    if name == "violation_rate":
        return float(values.mean())
    if name in TOTALLED or name.startswith("inspections"):
        return float(values.sum())
    return float(values[-1])


def _interval(samples: NDArray[np.float64]) -> tuple[float, float, float]:
    mean = float(samples.mean())
    if samples.shape[0] < 2:
        return mean, math.nan, math.nan
    half = Z95 * float(samples.std(ddof=1)) / math.sqrt(samples.shape[0])
    return mean, mean - half, mean + half


def summarise(result: Sweep, departments: Sequence[str]) -> dict[str, Any]:
    """Per reform and outcome: the yearly means and intervals and the total's; per reform other
    than the first, the paired difference from the first."""
    names = [r.name for r in result.reforms]
    per: dict[str, dict[str, NDArray[np.float64]]] = {}
    for name in names:
        runs = [series(run, departments) for run in result.runs[name]]
        per[name] = {k: np.stack([r[k] for r in runs]) for k in runs[0]}
    years = [d.isoformat() for d in result.runs[names[0]][0].years]
    out: dict[str, Any] = {"years": years, "reforms": {}, "differences": {}}
    for name in names:
        block = {}
        for outcome, reps in per[name].items():
            yearly = [_interval(reps[:, y]) for y in range(reps.shape[1])]
            totals = np.array([_total(outcome, reps[i]) for i in range(reps.shape[0])])
            block[outcome] = {"yearly": yearly, "total": _interval(totals)}
        out["reforms"][name] = block
    base = names[0]
    for name in names[1:]:
        diffs = {}
        for outcome in per[name]:
            a = np.array([_total(outcome, r) for r in per[base][outcome]])
            b = np.array([_total(outcome, r) for r in per[name][outcome]])
            diffs[outcome] = _interval(b - a)
        out["differences"][name] = diffs
    return out


def table(summary: Mapping[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Header and rows: each outcome's total under every reform (mean [low, high]) and each
    difference from the baseline."""
    names = list(summary["reforms"])
    header = ["outcome", *names, *(f"{n} − {names[0]}" for n in names[1:])]
    rows = []
    for outcome in summary["reforms"][names[0]]:
        row = [outcome]
        row += [_cell(summary["reforms"][n][outcome]["total"]) for n in names]
        row += [_cell(summary["differences"][n][outcome]) for n in names[1:]]
        rows.append(row)
    return header, rows


def _number(x: float) -> str:
    if math.isnan(x):
        return "–"
    return f"{x:,.4f}" if abs(x) < 1 else f"{x:,.0f}"


def _cell(interval: Sequence[float]) -> str:
    mean, low, high = interval
    if math.isnan(low):
        return _number(mean)
    return f"{_number(mean)} [{_number(low)}, {_number(high)}]"


def as_json(summary: Mapping[str, Any]) -> dict[str, Any]:
    """The summary with each interval as {mean, low, high} (null where undefined)."""

    def iv(x: Sequence[float]) -> dict[str, float | None]:
        return {
            k: (None if math.isnan(v) else v)
            for k, v in zip(("mean", "low", "high"), x, strict=True)
        }

    return {
        "years": summary["years"],
        "reforms": {
            name: {
                o: {"yearly": [iv(y) for y in v["yearly"]], "total": iv(v["total"])}
                for o, v in block.items()
            }
            for name, block in summary["reforms"].items()
        },
        "differences": {
            name: {o: iv(v) for o, v in block.items()}
            for name, block in summary["differences"].items()
        },
    }


def to_xlsx(summary: Mapping[str, Any], path: str | Path, about: Mapping[str, Any]) -> Path:
    """The summary as a workbook: 总表 (totals and differences), one sheet per reform with the
    yearly means, and 说明 (the scenario, population, seed and reforms)."""
    from openpyxl import Workbook

    from zhifa.tabular import escape_formula

    target = Path(path)
    if target.suffix.lower() != ".xlsx":
        raise InputError(f"{target} must end in .xlsx; the results are written as a workbook")
    if not target.parent.exists():
        raise InputError(
            f"the folder {target.parent} does not exist; create it or give another --out"
        )
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "总表"
    header, rows = table(summary)
    ws.append(header)
    for row in rows:
        ws.append([escape_formula(c) for c in row])
    for name, block in summary["reforms"].items():
        sheet = wb.create_sheet(_sheet_name(name))
        sheet.append(["outcome", *summary["years"]])
        for outcome, v in block.items():
            sheet.append([outcome, *(None if math.isnan(m) else m for m, _, _ in v["yearly"])])
    notes = wb.create_sheet("说明")
    for key, value in about.items():
        notes.append([key, escape_formula(str(value))])
    wb.save(target)
    return target


def _sheet_name(name: str) -> str:
    bad = set("[]:*?/\\")
    cleaned = "".join("_" if ch in bad else ch for ch in name)
    return cleaned[:31] or "reform"


def plot(summary: Mapping[str, Any], outcome: str, ax: Any = None) -> Any:
    """A matplotlib figure of one outcome per year under every reform, with its intervals."""
    if ax is None:
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7, 3.5))
    else:
        fig = ax.figure
    years = [int(y[:4]) for y in summary["years"]]
    for name, block in summary["reforms"].items():
        if outcome not in block:
            raise InputError(f"no outcome {outcome!r}; the outcomes are {', '.join(block)}")
        means = [m for m, _, _ in block[outcome]["yearly"]]
        lows = [lo for _, lo, _ in block[outcome]["yearly"]]
        highs = [hi for _, _, hi in block[outcome]["yearly"]]
        ax.plot(years, means, marker="o", label=name)
        if not any(math.isnan(x) for x in lows):
            ax.fill_between(years, lows, highs, alpha=0.2)
    ax.set_xticks(years)
    ax.set_xlabel("year")
    ax.set_ylabel(outcome)
    ax.legend()
    return fig


__all__ = ["as_json", "plot", "series", "summarise", "table", "to_xlsx"]
