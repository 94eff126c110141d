"""What the import and export commands of ``zhifa dept``, ``zhifa officer`` and ``zhifa entity``
share: the FILE arguments, ``--skip-bad`` and ``--force``, and the summaries they print."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated

import typer

from zhifa import directory
from zhifa.cli._common import console, emit, opened, progress
from zhifa.cli._identity import session
from zhifa.cli._tables import cell, make_table
from zhifa.identity import administering

SkipBadOption = Annotated[
    bool,
    typer.Option(
        "--skip-bad",
        help="Import the good rows and list the bad ones, instead of importing nothing when "
        "any row is bad.",
    ),
]
FileArgument = Annotated[
    Path,
    typer.Argument(
        metavar="FILE",
        help="A .csv (UTF-8 or GB18030) or .xlsx file whose first row is the header.",
        show_default=False,
    ),
]
ExportFileArgument = Annotated[
    Path,
    typer.Argument(
        metavar="FILE",
        help="The file to write: ….xlsx, or ….csv (UTF-8 with BOM, which Excel opens correctly).",
        show_default=False,
    ),
]
ForceOption = Annotated[
    bool, typer.Option("--force", help="Replace FILE if it exists (else an existing FILE is kept).")
]


def render_export(result: directory.ExportResult, plural: str) -> Callable[[], None]:
    """The one line an export prints: how many ``plural`` went to which file, in which format."""
    return lambda: console.print(
        f"exported {result.rows} {plural} to {result.path} ({result.format})", markup=False
    )


def render_import(result: directory.ImportResult, plural: str) -> Callable[[], None]:
    """What an import prints: the counts, then a table of the bad rows skipped, if any, then a
    table of the cells imported that a spreadsheet would run as formulas, if any."""

    def render() -> None:
        console.print(
            f"{result.source}: {plural} created {result.created}, updated {result.updated}; "
            f"bad rows skipped {len(result.skipped)}",
            markup=False,
        )
        if result.skipped:
            table = make_table("Row", "Reason")
            for row, reason in result.skipped:
                table.add_row(cell(row), cell(reason))
            console.print(table)
        if result.warnings:
            many = len(result.warnings) > 1
            console.print(
                f"warning: {len(result.warnings)} imported "
                f"{'cells begin' if many else 'cell begins'} with =, +, - or @, which a "
                f"spreadsheet runs as a formula; {'they were' if many else 'it was'} imported as "
                "given, so do not publish an export of this directory",
                markup=False,
            )
            table = make_table("Row", "Column", "Warning")
            for row, column, warning in result.warnings:
                table.add_row(cell(row), cell(column), cell(warning))
            console.print(table)

    return render


Importer = Callable[..., directory.ImportResult]
"""One of ``directory.import_departments``, ``import_officers``, ``import_entities``,
``import_conflicts``: ``(store, file, *, skip_bad, progress) -> ImportResult``."""


def run_import(
    importer: Importer,
    plural: str,
    file: Path,
    skip_bad: bool,
    db: str | None,
    as_json: bool,
    *,
    administrative: bool = False,
) -> None:
    """What every import command does: open the store, import ``file`` with a progress bar, and
    print the summary (or it as JSON). An ``administrative`` import (departments, officers and
    their roles) needs an administrator where the store requires authentication, and is logged."""
    with opened(db) as store:
        act = (
            nullcontext()
            if not administrative
            else administering(store, session(store), f"import {plural} from {file.name}")
        )
        with act, progress(f"importing {file.name}") as (_total, advance):
            result = importer(store, file, skip_bad=skip_bad, progress=advance)
        emit(as_json, result.as_dict(), render_import(result, plural))
