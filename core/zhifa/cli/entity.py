"""``zhifa entity``: the market entities (市场主体), part of the reference data matters run on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from zhifa import directory
from zhifa.cli._common import DbOption, JsonOption, console, emit, opened, progress
from zhifa.cli._import_export import (
    ExportFileArgument,
    FileArgument,
    ForceOption,
    SkipBadOption,
    render_export,
    run_import,
)
from zhifa.cli._tables import cell, make_table
from zhifa.store.tables import Entity

if TYPE_CHECKING:
    from zhifa.credit.file import EntityFile

entity_app = typer.Typer(
    name="entity",
    help="Market entities (市场主体): the parties matters are about, keyed by their unified "
    "social credit code (统一社会信用代码).",
    short_help="Market entities (市场主体), keyed by USCC.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def register(app: typer.Typer) -> None:
    """Add ``entity`` to the ``zhifa`` command."""
    app.add_typer(entity_app, name="entity")


def _print_entities(entities: Sequence[Entity], total: int) -> None:
    if not entities:
        console.print("no entities match; add them with zhifa entity add or zhifa entity import")
        return
    table = make_table(
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
            cell(e.id),
            cell(e.uscc),
            cell(e.name),
            cell(e.kind),
            cell(e.region_code),
            cell(e.industry),
            cell(e.credit_class),
            cell(e.risk_level),
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


def render_file(found: EntityFile) -> None:
    """Print an entity's credit file: the entity, its matters, records, class now and history."""
    render_entity(found.entity)
    if found.matters:
        table = make_table("Matter", "Workflow", "State", "Dept", "Opened", "Title", keys=1)
        for m in found.matters:
            table.add_row(
                cell(m.id), m.workflow, m.state, m.department, f"{m.opened_at:%Y-%m-%d}", m.title
            )
        console.print(table)
    else:
        console.print("no matters on record", markup=False)
    if found.records:
        table = make_table("On", "Record", "Flags", "Source", "Matter", "Summary", keys=1)
        for r in found.records:
            table.add_row(
                r.on.isoformat(),
                r.kind,
                ",".join(r.flags),
                r.source,
                cell(r.matter_id),
                r.summary,
            )
        console.print(table)
    else:
        console.print("no credit records", markup=False)
    now = found.now
    console.print(
        f"class {now.credit_class} as of {now.as_of} (score {now.score:g}, scheme {now.scheme} "
        f"{now.scheme_version}; internal, never published)",
        markup=False,
    )
    for reason in now.reasons:
        effect = (
            f"→ class {reason['class']}" if "class" in reason else f"{reason['points']:+g} points"
        )
        console.print(f"  {reason['label']}: {reason['records']} record(s) {effect}", markup=False)
    if found.history:
        stored = "; ".join(
            f"{h.as_of} {h.credit_class} ({h.score:g}, {h.scheme} {h.scheme_version})"
            for h in found.history[:10]
        )
        console.print(f"classes stored: {stored}", markup=False)


def render_entity(entity: Entity) -> None:
    """Print one entity as a two-column table (what ``zhifa entity show`` prints)."""
    table = Table(show_header=False, show_edge=False)
    table.add_column(style="bold")
    table.add_column()
    for key, value in directory.entity_as_dict(entity).items():
        shown = ("yes 是" if value else "no 否") if key == "key_supervision" else value
        table.add_row(ENTITY_LABELS.get(key, key), cell(shown))
    console.print(table)


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

    Text is imported exactly as given; a cell beginning with =, +, - or @, which a spreadsheet
    runs as a formula, is imported but listed as a warning (row, column; with --json in
    "warnings"). A note line before the header, as the exports write, is skipped.
    """
    run_import(directory.import_entities, "entities", file, skip_bad, db, as_json)


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

    The text is written exactly as stored, not escaped, so a spreadsheet may run a cell
    beginning with =, +, - or @ as a formula: the file is not for the public, and says so in
    a note (a .csv file's first line, beginning with #, before the header; an .xlsx
    workbook's last sheet, 说明), which the imports skip.
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
        emit(as_json, result.as_dict(), render_export(result, "entities"))


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
    dept: Annotated[
        str | None,
        typer.Option(
            "--dept",
            metavar="CODE",
            help="Explain the class with this department's scheme (default: the national one).",
        ),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", metavar="DATE", help="The day the class is computed for (default today)."
        ),
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show one market entity and its credit file (一户一档), found by USCC (any case, spaces
    ignored) or id.

    Prints the entity (id, USCC, name, kind, region, industry, current credit class, risk
    level, registration date, key supervision), its matters, its credit records (inspections,
    penalties and whether heavier, enforcement, transfers, publications and their end, repairs,
    complaints, records imported from other bodies), the class its scheme gives from the file
    today with the indicators and overrides that decided it, and the classes stored by
    zhifa credit classify. --json gives the same as entity, matters, records, class_now and
    class_history (dates as YYYY-MM-DD). The class is internal: never hand it to the public.
    """
    from zhifa.cli.credit import as_of_day, scheme_of
    from zhifa.credit import entity_file
    from zhifa.timekeeping import SystemClock

    day = as_of_day(as_of)
    scheme = scheme_of(dept)
    with opened(db) as store:
        found = entity_file(store, key, scheme, day, SystemClock().now())
        emit(as_json, found.as_dict(), lambda: render_file(found))
