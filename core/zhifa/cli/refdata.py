"""``zhifa dept``, ``zhifa officer`` and ``zhifa entity``: the reference data matters run on."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from zhifa import directory
from zhifa.cli._common import (
    DbOption,
    JsonOption,
    console,
    emit,
    opened,
    progress,
)
from zhifa.errors import InputError
from zhifa.roles import ROLES
from zhifa.store.tables import HISTORY_START, Department, Entity, Officer

dept_app = typer.Typer(
    name="dept",
    help="Departments (执法部门): the units that own matters and employ officers.",
    short_help="Departments (执法部门).",
    no_args_is_help=True,
    rich_markup_mode=None,
)
officer_app = typer.Typer(
    name="officer",
    help="Officers (执法人员): who may take which steps, by role and enforcement certificate.",
    short_help="Officers (执法人员) with roles and certificates.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
entity_app = typer.Typer(
    name="entity",
    help="Market entities (市场主体): the parties matters are about, keyed by their unified "
    "social credit code (统一社会信用代码).",
    short_help="Market entities (市场主体), keyed by USCC.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

_ROLE_LIST = ", ".join(f"{code} ({zh})" for code, (zh, _en) in ROLES.items())

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


def register(app: typer.Typer) -> None:
    """Add ``dept``, ``officer`` and ``entity`` to the ``zhifa`` command."""
    app.add_typer(dept_app, name="dept")
    app.add_typer(officer_app, name="officer")
    app.add_typer(entity_app, name="entity")


# ---------------------------------------------------------------------------------------------
# Output helpers


def _cell(value: object) -> Text:
    """A table cell shown literally (names may contain [brackets])."""
    return Text("" if value is None else str(value))


def _table(*columns: str, keys: int = 1) -> Table:
    """A table whose first ``keys`` columns never wrap; other cells fold rather than truncate."""
    table = Table(show_edge=False, header_style="bold")
    for index, column in enumerate(columns):
        if index < keys:
            table.add_column(column, no_wrap=True)
        else:
            table.add_column(column, overflow="fold")
    return table


def _render_export(result: directory.ExportResult, plural: str) -> Callable[[], None]:
    return lambda: console.print(
        f"exported {result.rows} {plural} to {result.path} ({result.format})", markup=False
    )


def _render_import(result: directory.ImportResult, plural: str) -> Callable[[], None]:
    def render() -> None:
        console.print(
            f"{result.source}: {plural} created {result.created}, updated {result.updated}; "
            f"bad rows skipped {len(result.skipped)}",
            markup=False,
        )
        if result.skipped:
            table = _table("Row", "Reason")
            for row, reason in result.skipped:
                table.add_row(_cell(row), _cell(reason))
            console.print(table)

    return render


def _print_departments(departments: Sequence[Department]) -> None:
    if not departments:
        console.print("no departments yet; add one with: zhifa dept add CODE NAME --region 330100")
        return
    table = _table("Code", "Name", "Region")
    for d in departments:
        table.add_row(_cell(d.code), _cell(d.name), _cell(d.region_code))
    console.print(table)


def _print_officers(officers: Sequence[Officer]) -> None:
    if not officers:
        console.print("no officers; add them with zhifa officer add or zhifa officer import")
        return
    table = _table(
        "ID", "Name", "Dept", "Roles", "Certificate", "Valid to", "Specialties", "Regions"
    )
    for o in officers:
        table.add_row(
            _cell(o.id),
            _cell(o.name),
            _cell(o.department_code),
            _cell(", ".join(sorted(o.role_set))),
            _cell(o.certificate_no),
            _cell(o.certificate_valid_to),
            _cell(", ".join(directory.split_codes(o.specialties))),
            _cell(", ".join(directory.split_codes(o.regions))),
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
    table = _table("Valid from", "Name", "Dept", "Roles", "Certificate", "Recorded by")
    for v in history.versions:
        certificate = (
            f"{v.certificate_no} ({v.certificate_valid_from} to {v.certificate_valid_to})"
            if v.certificate_no is not None
            else None
        )
        table.add_row(
            _cell(_since(v.valid_from)),
            _cell(v.name),
            _cell(v.department_code),
            _cell(", ".join(sorted(v.role_set))),
            _cell(certificate),
            _cell(v.recorded_by),
        )
    console.print(table)


def _print_entities(entities: Sequence[Entity], total: int) -> None:
    if not entities:
        console.print("no entities match; add them with zhifa entity add or zhifa entity import")
        return
    table = _table(
        "ID",
        "USCC",
        "Name",
        "Kind",
        "Region",
        "Industry",
        "Credit",
        "Risk",
        keys=2,
    )
    for e in entities:
        table.add_row(
            _cell(e.id),
            _cell(e.uscc),
            _cell(e.name),
            _cell(e.kind),
            _cell(e.region_code),
            _cell(e.industry),
            _cell(e.credit_class),
            _cell(e.risk_level),
        )
    console.print(table)
    if total > len(entities):
        console.print(f"showing {len(entities)} of {total}; use --limit to see more", markup=False)


ENTITY_LABELS = {
    "id": "ID",
    "uscc": "USCC 统一社会信用代码",
    "name": "Name 名称",
    "kind": "Kind 主体类型",
    "region_code": "Region 行政区划",
    "industry": "Industry 行业",
    "credit_class": "Credit class 信用等级",
    "risk_level": "Risk level 风险等级",
    "registered_on": "Registered on 登记日期",
    "key_supervision": "Key supervision 重点监管",
}


def render_entity(entity: Entity) -> None:
    """Print one entity as a two-column table (what ``zhifa entity show`` prints)."""
    table = Table(show_header=False, show_edge=False)
    table.add_column(style="bold")
    table.add_column()
    for key, value in directory.entity_as_dict(entity).items():
        shown = ("yes 是" if value else "no 否") if key == "key_supervision" else value
        table.add_row(ENTITY_LABELS.get(key, key), _cell(shown))
    console.print(table)


# ---------------------------------------------------------------------------------------------
# zhifa dept


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
    with opened(db) as store:
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
    """
    with opened(db) as store:
        with progress(f"importing {file.name}") as (_total, advance):
            result = directory.import_departments(store, file, skip_bad=skip_bad, progress=advance)
        emit(as_json, result.as_dict(), _render_import(result, "departments"))


@dept_app.command("list")
def dept_list(db: DbOption = None, as_json: JsonOption = False) -> None:
    """List every department, by code."""
    with opened(db) as store:
        departments = directory.list_departments(store)
        payload = {"departments": [directory.department_as_dict(d) for d in departments]}
        emit(as_json, payload, lambda: _print_departments(departments))


# ---------------------------------------------------------------------------------------------
# zhifa officer


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
    with opened(db) as store:
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
    """
    with opened(db) as store:
        with progress(f"importing {file.name}") as (_total, advance):
            result = directory.import_officers(store, file, skip_bad=skip_bad, progress=advance)
        emit(as_json, result.as_dict(), _render_import(result, "officers"))


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
    """
    with opened(db) as store:
        with progress(f"exporting {file.name}") as (total, advance):
            result = directory.export_officers(
                store, file, department=department, force=force, progress=advance, total=total
            )
        emit(as_json, result.as_dict(), _render_export(result, "officers"))


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
    """
    with opened(db) as store:
        with progress(f"importing {file.name}") as (_total, advance):
            result = directory.import_conflicts(store, file, skip_bad=skip_bad, progress=advance)
        emit(as_json, result.as_dict(), _render_import(result, "conflicts"))


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
    """
    with opened(db) as store:
        with progress(f"exporting {file.name}") as (total, advance):
            result = directory.export_conflicts(
                store, file, force=force, progress=advance, total=total
            )
        emit(as_json, result.as_dict(), _render_export(result, "conflicts"))


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


# ---------------------------------------------------------------------------------------------
# zhifa entity


@entity_app.command("add")
def entity_add(
    uscc: Annotated[
        str,
        typer.Argument(help="Unified social credit code (统一社会信用代码), 18 characters."),
    ],
    name: Annotated[str, typer.Option("--name", help="Registered name (名称).")],
    kind: Annotated[
        str,
        typer.Option(
            "--kind", help="Entity type (主体类型), e.g. 企业, 个体工商户, 农民专业合作社."
        ),
    ],
    region: Annotated[
        str,
        typer.Option("--region", help="6-digit administrative division code, e.g. 330102."),
    ],
    industry: Annotated[str, typer.Option("--industry", help="Industry (行业), e.g. 餐饮服务.")],
    credit_class: Annotated[
        str | None,
        typer.Option("--credit-class", help="Credit class (信用等级), letters A–E."),
    ] = None,
    risk: Annotated[
        str | None,
        typer.Option("--risk", help="Risk level (风险等级): low, medium, high or 低, 中, 高."),
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add a market entity (市场主体).

    The USCC is checked against GB 32100 (length, alphabet, region digits, check character) and
    stored upper case. Fails if the USCC exists already; to change an entity, use
    zhifa entity import, which updates existing USCCs.
    """
    with opened(db) as store:
        entity = directory.add_entity(
            store,
            uscc=uscc,
            name=name,
            kind=kind,
            region_code=region,
            industry=industry,
            credit_class=credit_class,
            risk_level=risk,
        )
        emit(
            as_json,
            directory.entity_as_dict(entity),
            lambda: console.print(
                f"added entity {entity.id}: {entity.uscc} {entity.name}", markup=False
            ),
        )


@entity_app.command("import")
def entity_import(
    file: FileArgument,
    skip_bad: SkipBadOption = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add or update market entities from a .csv or .xlsx file, keyed by USCC.

    Columns (English or Chinese header): uscc/统一社会信用代码, name/名称/企业名称,
    kind/类型/主体类型, region_code/行政区划/区划代码, industry/行业, and optionally
    credit_class/信用等级, risk_level/风险等级, registered_on/成立日期/登记日期 and
    key_supervision/重点监管 (是/否). Rows whose USCC exists already update that entity;
    optional columns the file leaves out keep their stored values.

    If any row is bad nothing is imported and every bad row is listed with its row number (the
    header is row 1); with --skip-bad the good rows are imported and the bad ones listed.
    """
    with opened(db) as store:
        with progress(f"importing {file.name}") as (_total, advance):
            result = directory.import_entities(store, file, skip_bad=skip_bad, progress=advance)
        emit(as_json, result.as_dict(), _render_import(result, "entities"))


@entity_app.command("export")
def entity_export(
    file: ExportFileArgument,
    region: Annotated[
        str | None,
        typer.Option(
            "--region", help="A 6-digit region code, or a prefix: 33 (浙江省), 3301 (杭州市)."
        ),
    ] = None,
    industry: Annotated[
        str | None, typer.Option("--industry", help="Only this industry (exact match).")
    ] = None,
    force: ForceOption = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write the market entities (the target directory, 检查对象名录库) to a .xlsx or .csv file.

    The suffix chooses the format. The entities come in the order they were added, filtered
    like zhifa entity list; the columns are those zhifa entity import reads (uscc, name, kind,
    region_code, industry, credit_class, risk_level, registered_on, key_supervision), dates as
    YYYY-MM-DD and key supervision as 是/否, so the file imports back unchanged. Rows are read
    in batches, so a directory of a million entities exports in constant memory. An existing
    FILE is kept unless --force; a failed export leaves no file. With --json:
    {"file", "format", "rows"}.
    """
    with opened(db) as store:
        with progress(f"exporting {file.name}") as (total, advance):
            result = directory.export_entities(
                store,
                file,
                region=region,
                industry=industry,
                force=force,
                progress=advance,
                total=total,
            )
        emit(as_json, result.as_dict(), _render_export(result, "entities"))


@entity_app.command("list")
def entity_list(
    region: Annotated[
        str | None,
        typer.Option(
            "--region", help="A 6-digit region code, or a prefix: 33 (浙江省), 3301 (杭州市)."
        ),
    ] = None,
    industry: Annotated[
        str | None, typer.Option("--industry", help="Only this industry (exact match).")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="Show at most this many.")] = 100,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """List market entities in the order they were added.

    With --json the output is {"total": N, "entities": [...]}, where total counts every match
    and entities holds at most --limit of them.
    """
    with opened(db) as store:
        entities = directory.list_entities(store, region=region, industry=industry, limit=limit)
        total = directory.count_entities(store, region=region, industry=industry)
        payload = {"total": total, "entities": [directory.entity_as_dict(e) for e in entities]}
        emit(as_json, payload, lambda: _print_entities(entities, total))


@entity_app.command("show")
def entity_show(
    key: Annotated[
        str,
        typer.Argument(
            metavar="USCC_OR_ID", help="The entity's USCC or its id from zhifa entity list."
        ),
    ],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show one market entity, found by USCC (any case, spaces ignored) or id.

    Shows the id, USCC, name, kind, region, industry, credit class, risk level, registration
    date (登记日期) and whether it is under key supervision (重点监管); --json gives the same
    fields (registered_on as YYYY-MM-DD or null, key_supervision true or false).
    """
    with opened(db) as store:
        entity = directory.get_entity(store, key)
        emit(as_json, directory.entity_as_dict(entity), lambda: render_entity(entity))
