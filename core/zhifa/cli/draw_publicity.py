"""``zhifa draw export``, ``zhifa plan export``, ``zhifa snapshot list|export``: publishing random
inspections (一公开) — the plan, the draw and its results, and the frozen directories.

Importing this module adds the commands to the ``plan``, ``snapshot`` and ``draw`` groups of
:mod:`zhifa.cli.draws`; :func:`register` has nothing more to do.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from zhifa import inspections
from zhifa.cli._common import (
    DbOption,
    JsonOption,
    console,
    emit,
    open_engine,
    open_store,
    progress,
)
from zhifa.cli.draws import draw_app, plan_app, snapshot_app

ForceOption = Annotated[
    bool, typer.Option("--force", help="Replace the file(s) if they exist already.")
]


def _file(what: str) -> Any:
    return typer.Argument(metavar="FILE", help=f"A .xlsx workbook, or {what}.")


PlanFile = Annotated[Path, _file("a .csv file (UTF-8 with BOM)")]
DrawFile = Annotated[
    Path,
    _file("a .csv name: FILE's stem with -plan.csv, -draw.csv and -results.csv is written"),
]
SnapshotFile = Annotated[
    Path,
    _file(
        "a .csv file: FILE for a target snapshot; for an inspector snapshot FILE's stem with "
        "-inspectors.csv and -conflicts.csv"
    ),
]


def _written(result: inspections.ExportResult) -> Callable[[], None]:
    def render() -> None:
        counts = ", ".join(f"{sheet} {n} rows" for sheet, n in result.rows.items())
        files = ", ".join(str(p) for p in result.files)
        console.print(f"wrote {files} ({counts})", markup=False)

    return render


@plan_app.command("export")
def plan_export(
    plan_id: Annotated[int, typer.Argument(metavar="PLAN")],
    file: PlanFile,
    force: ForceOption = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write a plan as the table 抽查计划 (.xlsx or .csv), to publish it before the draw."""
    engine = open_engine(db)
    try:
        result = inspections.export_plan(
            engine.store, plan_id, file, catalogue=engine.plugins.checklists(), force=force
        )
    finally:
        engine.store.dispose()
    emit(as_json, result.as_dict(), _written(result))


@draw_app.command("export")
def draw_export(
    draw_id: Annotated[int, typer.Argument(metavar="DRAW")],
    file: DrawFile,
    force: ForceOption = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Publish a draw (一公开): its plan (抽查计划), the draw (抽查过程) and one row per task with
    the published results (抽查结果); a task not yet published shows its state and no results."""
    engine = open_engine(db)
    try:
        with progress(f"exporting draw {draw_id}") as (total, advance):
            result = inspections.export_draw(
                engine, draw_id, file, force=force, progress=advance, total=total
            )
    finally:
        engine.store.dispose()
    emit(as_json, result.as_dict(), _written(result))


@snapshot_app.command("list")
def snapshot_list(db: DbOption = None, as_json: JsonOption = False) -> None:
    """List the snapshots: id, kind, when taken, rows and digest."""
    store = open_store(db)
    try:
        shown = inspections.list_snapshots(store)
    finally:
        store.dispose()

    def render() -> None:
        if not shown:
            console.print("no snapshots yet; take them with zhifa snapshot take")
            return
        for s in shown:
            console.print(
                f"snapshot {s.id}: {s.kind}, taken {s.taken_at:%Y-%m-%d %H:%M:%S}, "
                f"{s.rows} rows, digest {s.digest}",
                markup=False,
            )

    emit(as_json, [s.as_dict() for s in shown], render)


@snapshot_app.command("export")
def snapshot_export(
    snapshot_id: Annotated[int, typer.Argument(metavar="ID")],
    file: SnapshotFile,
    force: ForceOption = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write a snapshot's directory as it was frozen: entities (a target snapshot), or officers
    and their conflicts and last inspections (an inspector snapshot)."""
    store = open_store(db)
    try:
        with progress(f"exporting snapshot {snapshot_id}") as (total, advance):
            result = inspections.export_snapshot(
                store, snapshot_id, file, force=force, progress=advance, total=total
            )
    finally:
        store.dispose()
    emit(as_json, result.as_dict(), _written(result))


def register(app: typer.Typer) -> None:
    """Nothing to add: importing this module added its commands to ``plan``, ``snapshot`` and
    ``draw``."""
