"""``zhifa draw``: random draws anyone can re-run — run, verify and show them, create their
inspection tasks, and publish a draw and its results (一公开)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from zhifa import inspections
from zhifa.cli._common import (
    DbOption,
    JsonOption,
    console,
    dumps,
    emit,
    open_engine,
    opened,
    progress,
)
from zhifa.cli._publicity import ForceOption, file_argument, written
from zhifa.errors import DrawMismatch, InputError
from zhifa.timekeeping import parse_moment

draw_app = typer.Typer(help="Random draws: run, verify, show.", no_args_is_help=True)

DrawFile = Annotated[
    Path,
    file_argument("a .csv name: FILE's stem with -plan.csv, -draw.csv and -results.csv is written"),
]


def register(app: typer.Typer) -> None:
    """Add ``draw`` to the ``zhifa`` command."""
    app.add_typer(draw_app, name="draw")


def _summary(info: inspections.DrawInfo) -> str:
    visits = info.record.get("visits", {}).get("rows", [])
    return (
        f"draw {info.id} of plan {info.plan_id}: {len(visits)} entities drawn from "
        f"{info.record.get('directory', '?')} (snapshots {info.target_snapshot_id}, "
        f"{info.inspector_snapshot_id}); seed {info.seed}"
    )


@draw_app.command("run")
def draw_run(
    plan_id: Annotated[int, typer.Argument(metavar="PLAN")],
    public_value: Annotated[
        str,
        typer.Option("--public-value", metavar="V", help="The public random value, as published."),
    ],
    targets: Annotated[
        int | None, typer.Option("--targets", metavar="SNAPSHOT", help="Target snapshot id.")
    ] = None,
    inspectors: Annotated[
        int | None,
        typer.Option("--inspectors", metavar="SNAPSHOT", help="Inspector snapshot id."),
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Draw a published plan; without --targets and --inspectors fresh snapshots are taken."""
    if (targets is None) != (inspectors is None):
        raise InputError("give both --targets and --inspectors, or neither for fresh snapshots")
    with opened(db) as store:
        if targets is not None and inspectors is not None:
            info = inspections.run_draw(store, plan_id, public_value, targets, inspectors)
        else:
            info = inspections.draw_fresh(store, plan_id, public_value)
    emit(as_json, info.as_dict(), lambda: console.print(_summary(info), markup=False))


@draw_app.command("verify")
def draw_verify(
    draw_id: Annotated[int, typer.Argument(metavar="ID")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Re-run a draw from its plan and snapshots: exit 0 confirmed, 1 naming the differences."""
    with opened(db) as store:
        problems = inspections.verify_draw(store, draw_id)
    if as_json:
        typer.echo(dumps({"draw": draw_id, "confirmed": not problems, "differences": problems}))
        if problems:
            raise typer.Exit(1)
        return
    if not problems:
        console.print(f"draw {draw_id} confirmed: re-running it gives the recorded result")
        return
    raise DrawMismatch(f"draw {draw_id} does not verify: {problems[0]}", problems[1:])


@draw_app.command("show")
def draw_show(
    draw_id: Annotated[int, typer.Argument(metavar="ID")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show a draw and its record."""
    with opened(db) as store:
        info = inspections.get_draw(store, draw_id)

    def render() -> None:
        console.print(_summary(info), markup=False)
        console.print(json.dumps(info.record, ensure_ascii=False, indent=2), markup=False)

    emit(as_json, info.as_dict(), render)


def _by(values: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for text in values:
        dept, sep, officer = text.partition("=")
        if not sep or not dept.strip() or not officer.strip():
            raise InputError(f"--by {text!r} must be written DEPT=OFFICER, e.g. --by HZXH=H1")
        if dept.strip() in out:
            raise InputError(f"--by names department {dept.strip()} twice; give it once")
        out[dept.strip()] = officer.strip()
    return out


@draw_app.command("tasks")
def draw_tasks(
    draw_id: Annotated[int, typer.Argument(metavar="ID")],
    by: Annotated[
        list[str],
        typer.Option(
            "--by",
            metavar="DEPT=OFFICER",
            help="Who opens a department's tasks (its head or an inspector); one per department.",
        ),
    ],
    at: Annotated[
        str | None,
        typer.Option("--at", help="When the tasks were created (Beijing time). Default: now."),
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create the draw's inspection tasks: one inspection matter per department of each visit,
    with the items, the visit and the team drawn (the draw is verified first; once per draw)."""
    officers = _by(by)
    engine = open_engine(db)
    try:
        created = inspections.create_tasks(
            engine, draw_id, officers, parse_moment(at) if at else None
        )
    finally:
        engine.store.dispose()
    per_dept = ", ".join(f"{d} {n}" for d, n in sorted(created.by_department.items()))
    emit(
        as_json,
        created.as_dict(),
        lambda: console.print(
            f"draw {draw_id}: {len(created.matters)} inspection tasks created for "
            f"{created.visits} visits ({per_dept or 'none'})",
            markup=False,
        ),
    )


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
    emit(as_json, result.as_dict(), written(result))
