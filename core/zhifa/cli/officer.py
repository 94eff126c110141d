"""``zhifa officer``: the officers (执法人员), part of the reference data matters run on — their
roles, certificates and versions, and the conflicts of interest (回避) they declared."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Annotated

import typer
from rich.table import Table

from zhifa import directory
from zhifa.cli._common import DbOption, JsonOption, console, emit, opened, progress
from zhifa.cli._identity import session
from zhifa.cli._import_export import (
    ExportFileArgument,
    FileArgument,
    ForceOption,
    SkipBadOption,
    render_export,
    run_import,
)
from zhifa.cli._tables import cell, make_table
from zhifa.errors import InputError
from zhifa.identity import administering
from zhifa.roles import ROLES
from zhifa.store.tables import HISTORY_START, Officer

officer_app = typer.Typer(
    name="officer",
    help="Officers (执法人员): who may take which steps, by role and enforcement certificate.",
    short_help="Officers (执法人员) with roles and certificates.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

_ROLE_LIST = ", ".join(f"{code} ({zh})" for code, (zh, _en) in ROLES.items())


def register(app: typer.Typer) -> None:
    """Add ``officer`` to the ``zhifa`` command."""
    app.add_typer(officer_app, name="officer")


def _print_officers(officers: Sequence[Officer]) -> None:
    if not officers:
        console.print("no officers; add them with zhifa officer add or zhifa officer import")
        return
    table = make_table(
        "ID", "Name", "Dept", "Roles", "Certificate", "Valid to", "Specialties", "Regions"
    )
    for o in officers:
        table.add_row(
            cell(o.id),
            cell(o.name),
            cell(o.department_code),
            cell(", ".join(sorted(o.role_set))),
            cell(o.certificate_no),
            cell(o.certificate_valid_to),
            cell(", ".join(directory.split_codes(o.specialties))),
            cell(", ".join(directory.split_codes(o.regions))),
        )
    console.print(table)


def _since(moment: datetime | None) -> str:
    """When a version took effect, as shown: seconds matter, the earliest time is named."""
    if moment is None or moment == HISTORY_START:
        return "before history"
    return f"{moment:%Y-%m-%d %H:%M:%S}"


def _print_officer_history(officer: Officer, history: directory.OfficerHistory) -> None:
    now = directory.OfficerRecord.current(officer)
    console.print(
        f"officer {officer.id} {officer.name} ({officer.department_code}): roles "
        f"{', '.join(sorted(now.role_set)) or 'none'}; {now.certificate_text()}",
        markup=False,
    )
    if not history.kept:
        console.print(
            f"no versions are recorded of officer {officer.id} (it was not written by zhifa "
            "officer add or import), so accountability reviews judge its steps on the current "
            "record",
            markup=False,
        )
        return
    table = make_table("Valid from", "Name", "Dept", "Roles", "Certificate", "Recorded by")
    for v in history.versions:
        certificate = (
            f"{v.certificate_no} ({v.certificate_valid_from} to {v.certificate_valid_to})"
            if v.certificate_no is not None
            else None
        )
        table.add_row(
            cell(_since(v.valid_from)),
            cell(v.name),
            cell(v.department_code),
            cell(", ".join(sorted(v.role_set))),
            cell(certificate),
            cell(v.recorded_by),
        )
    console.print(table)


@officer_app.command("add")
def officer_add(
    officer_id: Annotated[
        str, typer.Argument(metavar="ID", help="Officer id (工号), unique, e.g. 1001.")
    ],
    name: Annotated[str, typer.Option("--name", help="Full name (姓名).")],
    dept: Annotated[
        str, typer.Option("--dept", help="Code of an existing department (see zhifa dept list).")
    ],
    roles: Annotated[
        str,
        typer.Option(
            "--roles",
            help=f"Roles separated by commas, e.g. inspector,case_handler. Known: {_ROLE_LIST}.",
        ),
    ],
    certificate: Annotated[
        str | None,
        typer.Option("--certificate", help="Enforcement certificate number (执法证号)."),
    ] = None,
    valid_from: Annotated[
        str | None,
        typer.Option("--valid-from", help="Certificate valid from (有效期起), e.g. 2024-01-01."),
    ] = None,
    valid_to: Annotated[
        str | None,
        typer.Option("--valid-to", help="Certificate valid to (有效期止), e.g. 2029-12-31."),
    ] = None,
    specialty: Annotated[
        list[str] | None,
        typer.Option(
            "--specialty",
            help="A specialty (专业领域) the officer may be drawn to check, e.g. food; repeat the "
            "option or separate codes by commas.",
        ),
    ] = None,
    region: Annotated[
        list[str] | None,
        typer.Option(
            "--region",
            help="A 6-digit region code (检查区域) the officer inspects, e.g. 330106; repeat the "
            "option or separate codes by commas. None: every region.",
        ),
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add an officer (执法人员) to a department.

    The certificate options go together: give --certificate, --valid-from and --valid-to, or
    none of them. An officer without a certificate can hold roles, but workflows may refuse
    enforcement steps to them. --specialty and --region say what and where random draws may
    send the officer as an inspector. Fails if the id is taken; to change an officer, use
    zhifa officer import, which updates existing ids. The record is kept as the officer's first
    version (see zhifa officer show).
    """
    with (
        opened(db) as store,
        administering(store, session(store), f"add officer {officer_id} ({roles})"),
    ):
        officer = directory.add_officer(
            store,
            id=officer_id,
            name=name,
            department=dept,
            roles=roles,
            certificate_no=certificate,
            certificate_valid_from=valid_from,
            certificate_valid_to=valid_to,
            specialties=specialty or [],
            regions=region or [],
        )
        emit(
            as_json,
            directory.officer_as_dict(officer),
            lambda: console.print(
                f"added officer {officer.id} {officer.name} to {officer.department_code} "
                f"({', '.join(sorted(officer.role_set))})",
                markup=False,
            ),
        )


@officer_app.command("import")
def officer_import(
    file: FileArgument,
    skip_bad: SkipBadOption = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add or update officers from a .csv or .xlsx file.

    Columns (English or Chinese header): id/工号/编号, name/姓名, department/部门/所属部门,
    roles/角色, and optionally certificate_no/执法证号, certificate_valid_from/有效期起/发证日期,
    certificate_valid_to/有效期止/有效期至 (all three or none), specialties/专业领域 and
    regions/检查区域 (codes separated by commas or 、; regions are 6-digit region codes, none
    meaning every region). Dates may be 2026-03-02 or 2026/3/2. Departments must exist. Rows
    whose id exists already update that officer; optional columns the file leaves out keep
    their stored values.

    If any row is bad nothing is imported and every bad row is listed with its row number (the
    header is row 1); with --skip-bad the good rows are imported and the bad ones listed.

    Each officer added or changed gets a new version of its record, valid from now and recorded
    as "import FILE row N" (see zhifa officer show); a row that changes nothing adds none.

    Text is imported exactly as given; a cell beginning with =, +, - or @, which a spreadsheet
    runs as a formula, is imported but listed as a warning (row, column; with --json in
    "warnings"). A note line before the header, as the exports write, is skipped.
    """
    run_import(
        directory.import_officers, "officers", file, skip_bad, db, as_json, administrative=True
    )


@officer_app.command("export")
def officer_export(
    file: ExportFileArgument,
    department: Annotated[
        str | None,
        typer.Option("--department", "--dept", help="Only officers of this department code."),
    ] = None,
    force: ForceOption = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write the officers (the inspector directory, 执法检查人员名录库) to a .xlsx or .csv file.

    The suffix chooses the format. The columns are those zhifa officer import reads (id, name,
    department, roles, certificate_no, certificate_valid_from, certificate_valid_to,
    specialties, regions), dates as YYYY-MM-DD, so the file imports back unchanged. An existing
    FILE is kept unless --force; a failed export leaves no file. With --json:
    {"file", "format", "rows"}.

    The text is written exactly as stored, not escaped, so a spreadsheet may run a cell
    beginning with =, +, - or @ as a formula: the file is not for the public, and says so in
    a note (a .csv file's first line, beginning with #, before the header; an .xlsx
    workbook's last sheet, 说明), which the imports skip.
    """
    with opened(db) as store:
        with progress(f"exporting {file.name}") as (total, advance):
            result = directory.export_officers(
                store, file, department=department, force=force, progress=advance, total=total
            )
        emit(as_json, result.as_dict(), render_export(result, "officers"))


@officer_app.command("list")
def officer_list(
    dept: Annotated[
        str | None, typer.Option("--dept", help="Only officers of this department code.")
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """List officers by id, with roles and certificate."""
    with opened(db) as store:
        officers = directory.list_officers(store, department=dept)
        payload = {"officers": [directory.officer_as_dict(o) for o in officers]}
        emit(as_json, payload, lambda: _print_officers(officers))


@officer_app.command("show")
def officer_show(
    officer_id: Annotated[
        str, typer.Argument(metavar="ID", help="Officer id (工号), as zhifa officer list shows.")
    ],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show an officer and every version of its record, oldest first.

    Each version holds the name, department, roles and certificate as they were from its
    "valid from" time until the next version, and what recorded it (officer add, or the import
    file and row). "before history" marks the record as it stood before zhifa kept officer
    history (0001-01-01T00:00:00 in JSON). Accountability reviews judge each step on the
    version in effect when it was taken. With --json: {"officer": {...}, "history": [...]}.
    """
    with opened(db) as store:
        officer, history = directory.get_officer_history(store, officer_id)
        versions = list(history.versions) if history.kept else []
        payload = {
            "officer": directory.officer_as_dict(officer),
            "history": [v.as_dict() for v in versions],
        }
        emit(as_json, payload, lambda: _print_officer_history(officer, history))


@officer_app.command("conflict")
def officer_conflict(
    officer_id: Annotated[str, typer.Argument(metavar="OFFICER", help="Officer id (工号).")],
    entity: Annotated[str, typer.Argument(metavar="ENTITY", help="The entity's USCC or id.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (e.g. 近亲属在该企业任职).")],
    on: Annotated[
        str | None, typer.Option("--on", help="Day declared, YYYY-MM-DD (default: today).")
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record a conflict of interest an officer declared with an entity (回避, 行政处罚法 第四十三条):
    random draws never send the officer to that entity."""
    try:
        day = date.fromisoformat(on) if on else date.today()
    except ValueError:
        raise InputError(f"--on must be a date YYYY-MM-DD, not {on!r}") from None
    with opened(db) as store:
        row = directory.declare_conflict(store, officer_id, entity, reason=reason, declared_on=day)
        payload = {
            "officer": row.officer_id,
            "entity_id": row.entity_id,
            "declared_on": row.declared_on.isoformat(),
            "reason": row.reason,
        }
        emit(
            as_json,
            payload,
            lambda: console.print(
                f"officer {row.officer_id} declared a conflict with entity {row.entity_id} "
                f"on {row.declared_on}",
                markup=False,
            ),
        )


@officer_app.command("conflict-import")
def officer_conflict_import(
    file: FileArgument,
    skip_bad: SkipBadOption = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add or update declared conflicts of interest (回避) from a .csv or .xlsx file.

    Columns (English or Chinese header): officer/工号, entity/统一社会信用代码 (the entity's USCC
    or id), declared_on/声明日期 and reason/回避事由. The rules are those of zhifa officer
    conflict: the officer and the entity must exist, and each officer–entity pair comes once.
    A pair declared already gets the row's day and reason, so importing a file again changes
    nothing.

    Every row is checked before anything is written: if any row is bad nothing is imported and
    every bad row is listed with its row number (the header is row 1); with --skip-bad the good
    rows are imported and the bad ones listed.

    Text is imported exactly as given; a cell beginning with =, +, - or @, which a spreadsheet
    runs as a formula, is imported but listed as a warning (row, column; with --json in
    "warnings"). A note line before the header, as the exports write, is skipped.
    """
    run_import(directory.import_conflicts, "conflicts", file, skip_bad, db, as_json)


@officer_app.command("conflict-export")
def officer_conflict_export(
    file: ExportFileArgument,
    force: ForceOption = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write the declared conflicts of interest (回避) to a .xlsx or .csv file.

    The suffix chooses the format. The columns are those zhifa officer conflict-import reads
    (officer, entity, declared_on, reason), entities named by USCC and dates as YYYY-MM-DD, so
    the file imports back into this or another database. An existing FILE is kept unless
    --force; a failed export leaves no file. With --json: {"file", "format", "rows"}.

    The text is written exactly as stored, not escaped, so a spreadsheet may run a cell
    beginning with =, +, - or @ as a formula: the file is not for the public, and says so in
    a note (a .csv file's first line, beginning with #, before the header; an .xlsx
    workbook's last sheet, 说明), which the imports skip.
    """
    with opened(db) as store:
        with progress(f"exporting {file.name}") as (total, advance):
            result = directory.export_conflicts(
                store, file, force=force, progress=advance, total=total
            )
        emit(as_json, result.as_dict(), render_export(result, "conflicts"))


@officer_app.command("conflicts")
def officer_conflicts(
    officer_id: Annotated[
        str | None, typer.Argument(metavar="[OFFICER]", help="Only this officer's.")
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """List the declared conflicts of interest, by officer."""
    with opened(db) as store:
        rows = directory.list_conflicts(store, officer_id)
        items = [
            {
                "officer": c.officer_id,
                "entity": uscc,
                "declared_on": c.declared_on.isoformat(),
                "reason": c.reason,
            }
            for c, uscc in rows
        ]

        def render() -> None:
            table = Table("officer", "entity", "declared", "reason")
            for i in items:
                table.add_row(i["officer"], i["entity"], i["declared_on"], i["reason"])
            console.print(table)

        emit(as_json, items, render)
