"""What the publishing commands (一公开) ``zhifa plan export``, ``zhifa draw export`` and
``zhifa snapshot export`` share: ``--force``, the FILE argument and the summary they print."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer

from zhifa import inspections
from zhifa.cli._common import console

ForceOption = Annotated[
    bool, typer.Option("--force", help="Replace the file(s) if they exist already.")
]


def file_argument(what: str) -> Any:
    """The FILE argument of an export command; ``what`` says what a .csv name writes."""
    return typer.Argument(metavar="FILE", help=f"A .xlsx workbook, or {what}.")


def written(result: inspections.ExportResult) -> Callable[[], None]:
    """What an export prints: the files written and the rows of each sheet."""

    def render() -> None:
        counts = ", ".join(f"{sheet} {n} rows" for sheet, n in result.rows.items())
        files = ", ".join(str(p) for p in result.files)
        console.print(f"wrote {files} ({counts})", markup=False)

    return render
