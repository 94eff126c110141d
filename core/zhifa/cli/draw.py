"""``zhifa draw``: random draws anyone can re-run — run (once per plan), redraw (a recorded act),
verify and show them, create their inspection tasks, and publish a draw and its results (一公开)."""

from __future__ import annotations

import json
from datetime import datetime
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
from zhifa.cli._identity import session
from zhifa.cli._publicity import ForceOption, file_argument, written
from zhifa.errors import DrawMismatch, InputError
from zhifa.timekeeping import parse_moment

draw_app = typer.Typer(help="Random draws: run, redraw, verify, show.", no_args_is_help=True)

DrawActor = Annotated[
    str | None,
    typer.Option(
        "--actor",
        metavar="OFFICER",
        help="Who draws, where the database does not require a login. Default: the logged-in "
        "officer.",
        show_default=False,
    ),
]
DrawFile = Annotated[
    Path,
    file_argument("a .csv name: FILE's stem with -plan.csv, -draw.csv and -results.csv is written"),
]


def register(app: typer.Typer) -> None:
    """Add ``draw`` to the ``zhifa`` command."""
    app.add_typer(draw_app, name="draw")


def _summary(info: inspections.DrawInfo) -> str:
    visits = info.record.get("visits", {}).get("rows", [])
    text = (
        f"draw {info.id} of plan {info.plan_id}: {len(visits)} entities drawn from "
        f"{info.record.get('directory', '?')} (snapshots {info.target_snapshot_id}, "
        f"{info.inspector_snapshot_id}); seed {info.seed}"
    )
    if info.replaces is not None:
        text += (
            f"; a redraw replacing draw {info.replaces}, approved by {info.approved_by}: "
            f"{info.reason}"
        )
    if info.superseded_by is not None:
        text += f"; superseded: redrawn as draw {info.superseded_by}, not the current draw"
    return text


PublicValue = Annotated[
    str,
    typer.Option("--public-value", metavar="V", help="The public random value, as published."),
]
ValuePublishedAt = Annotated[
    str | None,
    typer.Option(
        "--value-published-at",
        metavar="MOMENT",
        help="When the public value was published (Beijing time); both snapshots must be older.",
    ),
]


def _published_at(value: str | None) -> datetime:
    if value is None:
        raise InputError(
            "give --value-published-at, when the public value was published (e.g. "
            "2026-05-30T21:30): a draw is refused on snapshots not taken before that moment"
        )
    return parse_moment(value)


@draw_app.command("run")
def draw_run(
    plan_id: Annotated[int, typer.Argument(metavar="PLAN")],
    public_value: PublicValue,
    targets: Annotated[
        int | None,
        typer.Option(
            "--targets", metavar="SNAPSHOT", help="Target snapshot id (zhifa snapshot take)."
        ),
    ] = None,
    inspectors: Annotated[
        int | None,
        typer.Option("--inspectors", metavar="SNAPSHOT", help="Inspector snapshot id."),
    ] = None,
    value_published_at: ValuePublishedAt = None,
    actor: DrawActor = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Draw a published plan, once, on snapshots taken before the public value was published.
    The draw records who drew it: the logged-in officer (or --actor where the database does not
    require authentication)."""
    if targets is None or inspectors is None:
        raise InputError(
            "give --targets and --inspectors, the snapshots to draw on (take them with zhifa "
            "snapshot take before the public value is published)"
        )
    published = _published_at(value_published_at)
    with opened(db) as store:
        info = inspections.run_draw(
            store,
            plan_id,
            public_value,
            targets,
            inspectors,
            value_published_at=published,
            by=session(store) or actor,
        )
    emit(as_json, info.as_dict(), lambda: console.print(_summary(info), markup=False))


@draw_app.command("redraw")
def draw_redraw(
    plan_id: Annotated[int, typer.Argument(metavar="PLAN")],
    public_value: PublicValue,
    reason: Annotated[
        str,
        typer.Option("--reason", help="Why the plan is drawn again (kept and published)."),
    ],
    approved_by: Annotated[
        str,
        typer.Option(
            "--approved-by",
            metavar="OFFICER",
            help="The head of the plan's lead department who approved the redraw.",
        ),
    ],
    value_published_at: ValuePublishedAt = None,
    targets: Annotated[
        int | None,
        typer.Option(
            "--targets", metavar="SNAPSHOT", help="Target snapshot id. Default: the draw's."
        ),
    ] = None,
    inspectors: Annotated[
        int | None,
        typer.Option(
            "--inspectors", metavar="SNAPSHOT", help="Inspector snapshot id. Default: the draw's."
        ),
    ] = None,
    actor: DrawActor = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Draw a plan again, as its own recorded act: the new draw replaces the current one (kept,
    marked superseded); refused once the current draw has created tasks."""
    published = _published_at(value_published_at)
    with opened(db) as store:
        info = inspections.redraw(
            store,
            plan_id,
            public_value,
            reason=reason,
            approved_by=approved_by,
            value_published_at=published,
            target_snapshot=targets,
            inspector_snapshot=inspectors,
            by=session(store) or actor,
        )
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
        info = inspections.get_draw(store, draw_id)
    if as_json:
        typer.echo(
            dumps(
                {
                    "draw": draw_id,
                    "confirmed": not problems,
                    "differences": problems,
                    "current": info.current,
                    "superseded_by": info.superseded_by,
                }
            )
        )
        if problems:
            raise typer.Exit(1)
        return
    if not problems:
        note = (
            ""
            if info.current
            else f"; it is not plan {info.plan_id}'s current draw: draw {info.superseded_by} "
            "replaced it"
        )
        console.print(
            f"draw {draw_id} confirmed: re-running it gives the recorded result{note}",
            markup=False,
        )
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
