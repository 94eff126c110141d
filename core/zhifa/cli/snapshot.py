"""``zhifa snapshot``: the frozen target and inspector directories random draws are drawn from —
take, list, and export them as they were frozen (一公开)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from zhifa import inspections
from zhifa.cli._common import DbOption, JsonOption, console, emit, open_store, opened, progress
from zhifa.cli._publicity import ForceOption, file_argument, written

snapshot_app = typer.Typer(
    help="Freeze the target and inspector directories for a draw.", no_args_is_help=True
)

SnapshotFile = Annotated[
    Path,
    file_argument(
        "a .csv file: FILE for a target snapshot; for an inspector snapshot FILE's stem with "
        "-inspectors.csv and -conflicts.csv"
    ),
]


def register(app: typer.Typer) -> None:
    """Add ``snapshot`` to the ``zhifa`` command."""
    app.add_typer(snapshot_app, name="snapshot")


@snapshot_app.command("take")
def snapshot_take(
    year: Annotated[
        int | None,
        typer.Option(
            "--year", help="The plan year (requests and inspections are counted per year)."
        ),
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Freeze the target and inspector directories as they are now; draw on them only with a
    public value published after this moment."""
    with opened(db) as store:
        target_id, inspector_id = inspections.take_snapshots(store, year=year)
        shown = [
            inspections.snapshot_info(store, target_id, inspections.TARGETS),
            inspections.snapshot_info(store, inspector_id, inspections.INSPECTORS),
        ]

    def render() -> None:
        for s in shown:
            console.print(
                f"snapshot {s.id}: {s.kind}, taken {s.taken_at:%Y-%m-%d %H:%M:%S}, {s.rows} rows, "
                f"digest {s.digest}",
                markup=False,
            )

    emit(as_json, [s.as_dict() for s in shown], render)


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
    emit(as_json, result.as_dict(), written(result))
