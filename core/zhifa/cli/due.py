"""``zhifa due``: what is overdue and what falls due soon, with the rule behind each deadline."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from zhifa.cli._common import DbOption, JsonOption, console, emit, err_console, open_engine
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
    limit: Annotated[
        int, typer.Option("--limit", metavar="N", help="At most N deadlines (one page).")
    ] = 50,
    page: Annotated[
        int, typer.Option("--page", metavar="P", help="The P-th page of --limit deadlines.")
    ] = 1,
    refresh: Annotated[
        bool,
        typer.Option(
            "--refresh",
            help="First store again the provisional deadlines (run it when a year's calendar "
            "data arrives).",
        ),
    ] = False,
    refresh_all: Annotated[
        bool,
        typer.Option(
            "--refresh-all",
            help="First store again every running deadline (after a department's local "
            "holidays changed).",
        ),
    ] = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Overdue and soon-due statutory deadlines, soonest first, each with its legal basis: the
    running clocks of matters, and the follow-up matters they owe and nobody has opened yet (a
    penalty decision not yet registered for publication).

    Every listed clock is recomputed from the record on today's calendar, so a deadline that
    was provisional (a year without official holiday data) is shown as corrected once data
    exists; --refresh stores the corrected deadlines. One page of --limit deadlines at a time;
    a note on stderr says when more follow.
    """
    if within is not None and within < 0:
        raise InputError(f"--within must be 0 or more days, got {within}; e.g. --within 5")
    if limit < 1 or page < 1:
        raise InputError(
            f"--limit and --page count from 1, got --limit {limit} --page {page}; "
            "e.g. --limit 50 --page 2"
        )
    engine = open_engine(db)
    if refresh or refresh_all:
        changed = engine.refresh_deadlines(every=refresh_all)
        err_console.print(f"{changed} stored deadlines changed", markup=False)
    today = engine.clock.now().date()
    items = engine.due(
        department=dept,
        officer=officer,
        within=within,
        today=today,
        limit=limit,
        offset=(page - 1) * limit,
    )
    if items.more:
        err_console.print(
            f"more deadlines after these {len(items)}: add --page {page + 1}", markup=False
        )
    if items.stale:
        err_console.print(
            f"{items.stale} stored provisional deadlines fall in a year that now has calendar "
            "data (this list is recomputed and right); run `zhifa due --refresh` to store them",
            markup=False,
        )

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
        shown = f"page {page}: " if page > 1 or items.more else ""
        console.print(f"{shown}{len(items)} deadlines, {overdue} overdue, as of {today}")

    emit(as_json, [i.as_dict() for i in items], render)


def register(app: typer.Typer) -> None:
    app.command("due")(due)
