"""``zhifa audit``: prove that nobody rewrote the record."""

from __future__ import annotations

import typer

from zhifa import audit as audit_lib
from zhifa.cli._common import DbOption, JsonOption, console, dumps, open_store
from zhifa.errors import IntegrityError

audit_app = typer.Typer(help="Verify the tamper-evident record.", no_args_is_help=True)


@audit_app.command("verify")
def verify(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Recompute every matter's hash chain. Exit 0 when intact; exit 1 naming each broken matter
    and its first broken event."""
    store = open_store(db)
    report = audit_lib.verify(store)
    if as_json:
        typer.echo(dumps(report.as_dict()))
        if not report.intact:
            raise typer.Exit(1)
        return
    if report.intact:
        console.print(f"record intact: {report.matters} matters, {report.events} events verified")
        return
    first = report.breaks[0]
    where = f"event {first.seq}" if first.seq is not None else "its events"
    error = IntegrityError(
        f"the record is broken in {len(report.breaks)} of {report.matters} matters; "
        f"first: matter {first.matter_id}, {where}: {first.reason}"
    )
    for b in report.breaks[1:]:
        console.print(f"  also matter {b.matter_id}, event {b.seq}: {b.reason}", markup=False)
    raise error


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")
