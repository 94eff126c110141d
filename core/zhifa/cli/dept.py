"""``zhifa dept``: the departments (执法部门), part of the reference data matters run on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import typer

from zhifa import directory
from zhifa.cli._common import DbOption, JsonOption, console, emit, opened
from zhifa.cli._identity import session
from zhifa.cli._import_export import FileArgument, SkipBadOption, run_import
from zhifa.cli._tables import cell, make_table
from zhifa.identity import administering
from zhifa.store.tables import Department

dept_app = typer.Typer(
    name="dept",
    help="Departments (执法部门): the units that own matters and employ officers.",
    short_help="Departments (执法部门).",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def register(app: typer.Typer) -> None:
    """Add ``dept`` to the ``zhifa`` command."""
    app.add_typer(dept_app, name="dept")


def _print_departments(departments: Sequence[Department]) -> None:
    if not departments:
        console.print("no departments yet; add one with: zhifa dept add CODE NAME --region 330100")
        return
    table = make_table("Code", "Name", "Region")
    for d in departments:
        table.add_row(cell(d.code), cell(d.name), cell(d.region_code))
    console.print(table)


@dept_app.command("add")
def dept_add(
    code: Annotated[str, typer.Argument(help="Department code, unique, e.g. HZ-SJ.")],
    name: Annotated[str, typer.Argument(help="Full name, e.g. 杭州市市场监督管理局.")],
    region: Annotated[
        str,
        typer.Option(
            "--region", help="6-digit administrative division code (行政区划代码), e.g. 330100."
        ),
    ],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add a department (执法部门).

    The code is how officers and matters refer to the department. Fails if the code is taken;
    to change an existing department, use zhifa dept import, which updates existing codes.
    """
    with opened(db) as store, administering(store, session(store), f"add department {code}"):
        dept = directory.add_department(store, code=code, name=name, region_code=region)
        payload = directory.department_as_dict(dept)
        emit(
            as_json,
            payload,
            lambda: console.print(
                f"added department {dept.code} {dept.name} (region {dept.region_code})",
                markup=False,
            ),
        )


@dept_app.command("import")
def dept_import(
    file: FileArgument,
    skip_bad: SkipBadOption = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add or update departments from a .csv or .xlsx file.

    Columns (English or Chinese header): code/部门代码, name/名称, region_code/行政区划. Rows
    whose code exists already update that department. If any row is bad nothing is imported
    and every bad row is listed with its row number (the header is row 1), unless --skip-bad.

    Text is imported exactly as given; a cell beginning with =, +, - or @, which a spreadsheet
    runs as a formula, is imported but listed as a warning (row, column; with --json in
    "warnings"). A note line before the header, as the exports write, is skipped.
    """
    run_import(
        directory.import_departments,
        "departments",
        file,
        skip_bad,
        db,
        as_json,
        administrative=True,
    )


@dept_app.command("list")
def dept_list(db: DbOption = None, as_json: JsonOption = False) -> None:
    """List every department, by code."""
    with opened(db) as store:
        departments = directory.list_departments(store)
        payload = {"departments": [directory.department_as_dict(d) for d in departments]}
        emit(as_json, payload, lambda: _print_departments(departments))
