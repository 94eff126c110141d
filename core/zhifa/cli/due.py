"""``zhifa due``: what is overdue and what falls due soon, with the rule behind each deadline."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from zhifa.cli._common import DbOption, JsonOption, console, emit, open_engine
from zhifa.errors import InputError


def due(
    dept: Annotated[
        str | None, typer.Option("--dept", help="Only this department's matters.")
    ] = None,
    officer: Annotated[
        str | None,
        typer.Option("--officer", help="Only matters this officer took a step on or is named in."),
    ] = None,
    within: Annotated[
        int | None,
        typer.Option(
            "--within", metavar="N", help="Only deadlines in the next N days (overdue included)."
        ),
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Overdue and soon-due statutory deadlines, soonest first, each with its legal basis: the
    running clocks of matters, and the follow-up matters they owe and nobody has opened yet (a
    penalty decision not yet registered for publication).

    Every clock is recomputed from the record on today's calendar, so a deadline that was
    provisional (a year without official holiday data) is shown as corrected once data exists.
    """
    if within is not None and within < 0:
        raise InputError(f"--within must be 0 or more days, got {within}; e.g. --within 5")
    engine = open_engine(db)
    today = engine.clock.now().date()
    items = engine.due(department=dept, officer=officer, within=within, today=today)

    def render() -> None:
        table = Table("matter", "workflow", "state", "deadline", "due", "left", "rule")
        for item in items:
            c = item.clock
            unit = "wd" if c.spec.unit == "working_days" else "d"
            left = "OVERDUE" if c.overdue else f"{c.remaining} {unit}"
            flag = " (provisional)" if c.provisional else ""
            table.add_row(
                f"#{item.matter.id}",
                item.matter.workflow,
                item.matter.state,
                f"open a {item.follow_up} matter: {c.spec.label}"
                if item.follow_up
                else str(c.spec.label),
                f"{c.due_on}{flag}",
                left,
                c.spec.basis,
            )
        console.print(table)
        overdue = sum(1 for i in items if i.clock.overdue)
        console.print(f"{len(items)} deadlines, {overdue} overdue, as of {today}")

    emit(as_json, [i.as_dict() for i in items], render)


def register(app: typer.Typer) -> None:
    app.command("due")(due)
