"""``zhifa accountability``: what the record shows of each officer in an accountability review."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.table import Table

from zhifa.cli._common import DbOption, JsonOption, console, emit, open_engine
from zhifa.errors import InputError
from zhifa.procedure.accountability.findings import EXEMPTION_GROUNDS, REVIEW_WORKFLOW, gather
from zhifa.workflow.definitions import OPEN

accountability_app = typer.Typer(
    help="Accountability reviews (尽职免责): findings read from the record.", no_args_is_help=True
)


@accountability_app.command("findings")
def findings(
    matter_id: Annotated[int, typer.Argument(metavar="ID", help="The review's matter id.")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Every officer who took a step or was named on the entity's matters in the review window:
    their steps, the exemption grounds the record supports, and the misconduct it shows.

    A step's roles and certificate are judged as the officer's record stood when the step was
    taken (see zhifa officer show), and each such flag names the roles or certificate of then.
    """
    engine = open_engine(db)
    review = engine.load(matter_id)
    if review.workflow != REVIEW_WORKFLOW or review.entity_id is None:
        raise InputError(
            f"matter {matter_id} is a {review.workflow}, not an accountability review; open one "
            "with `zhifa matter open accountability --entity USCC …`"
        )
    opened = review.data[OPEN]
    with engine.store.read() as session:
        found = gather(
            session,
            review.entity_id,
            date.fromisoformat(opened["window_from"]),
            date.fromisoformat(opened["window_to"]),
            engine.clock.now().date(),
        )

    def render() -> None:
        console.print(
            f"review {matter_id}: {len(found.matters)} matters of the entity from "
            f"{found.window_from} to {found.window_to}: {', '.join(map(str, found.matters))}"
        )
        table = Table("officer", "steps", "matters", "record supports", "flags")
        for o in found.officers.values():
            grounds = [EXEMPTION_GROUNDS[g][0] for g in sorted(o.supported)]
            grounds += [f"({EXEMPTION_GROUNDS[g][0]}?)" for g in sorted(o.possible)]
            table.add_row(
                f"{o.name} ({o.officer_id})",
                str(len(o.steps)),
                ", ".join(map(str, sorted(o.matters))),
                "\n".join(grounds) or "—",
                "\n".join(o.flags) or "—",
            )
        console.print(table)

    emit(as_json, found.as_dict(), render)


def register(app: typer.Typer) -> None:
    app.add_typer(accountability_app, name="accountability")
