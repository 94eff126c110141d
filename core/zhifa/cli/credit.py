"""``zhifa credit``: credit-risk classes (信用风险分类) computed from the entities' credit files,
and the scheme that computes them."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from zhifa.cli._common import DbOption, JsonOption, console, emit, opened
from zhifa.cli._identity import session
from zhifa.cli._import_export import (
    ExportFileArgument,
    FileArgument,
    ForceOption,
    SkipBadOption,
    run_import,
)
from zhifa.errors import InputError
from zhifa.identity import administering
from zhifa.plugins import Plugins
from zhifa.rules.credit import CreditScheme
from zhifa.timekeeping import SystemClock

credit_app = typer.Typer(
    name="credit",
    help="Credit supervision (信用监管): every entity's credit-risk class A–D computed from its "
    "credit file (一户一档) by the department's scheme, dated and explained. The class is "
    "internal: it sets the random draws' ratios and is never published.",
    short_help="Credit-risk classes (信用风险分类) from the credit files.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

DeptOption = Annotated[
    str | None,
    typer.Option(
        "--dept",
        metavar="CODE",
        help="Use this department's scheme (from its plugin); default: the national scheme.",
    ),
]
AsOfOption = Annotated[
    str | None,
    typer.Option("--as-of", metavar="DATE", help="The day classified (YYYY-MM-DD; default today)."),
]


def register(app: typer.Typer) -> None:
    """Add ``credit`` to the ``zhifa`` command."""
    app.add_typer(credit_app, name="credit")


def as_of_day(text: str | None) -> date:
    """The ``--as-of`` day, today when not given; a bad date is one sentence."""
    if not text:
        return SystemClock().now().date()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"--as-of {text!r} is not a date; write YYYY-MM-DD") from None


def scheme_of(dept: str | None) -> CreditScheme:
    """The scheme of ``--dept`` (the national one without it)."""
    return Plugins().credit_scheme(dept)


@credit_app.command("classify")
def credit_classify(
    dept: DeptOption = None,
    as_of: AsOfOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Classify every entity on a day and store each class with its score and reasons.

    Brings every entity's credit file up to date with the record, counts what the scheme's
    indicators count in their windows, and stores the class, score, scheme name and version and
    the counts behind it. Running it again for the same day and scheme replaces that day's
    classes; other days stay as the class history. The newest classification sets each
    entity's current class, which the next snapshot of a random draw takes. Where
    authentication is on, an administrator runs it (it changes what the draws sample).
    """
    from zhifa.credit import classify

    day = as_of_day(as_of)
    scheme = scheme_of(dept)
    with (
        opened(db) as store,
        administering(store, session(store), f"classify entities as of {day} ({scheme.name})"),
    ):
        done = classify(store, scheme, day, SystemClock().now(), dept or "")

    def render() -> None:
        counts = ", ".join(f"{k} {v}" for k, v in done.by_class.items())
        console.print(
            f"classified {done.entities} entities as of {day} with scheme {scheme.name} "
            f"{scheme.version}: {counts}; {done.records_added} new credit records from the record",
            markup=False,
        )
        if not done.current:
            console.print(
                "a later classification is stored, so the entities' current classes were kept",
                markup=False,
            )

    emit(as_json, done.as_dict(), render)


@credit_app.command("scheme")
def credit_scheme(dept: DeptOption = None, as_json: JsonOption = False) -> None:
    """Show the classification scheme: base score, indicators (kind, flag, window, points, cap),
    bands and overrides, with their legal basis."""
    scheme = scheme_of(dept)

    def render() -> None:
        console.print(
            f"{scheme.name} {scheme.version} — base {scheme.base:g}; {scheme.basis}", markup=False
        )
        table = Table("code", "counts", "window", "points", "cap", "label")
        for i in scheme.indicators:
            what = i.kind + (f"[{i.flag}]" if i.flag else "")
            cap = "" if i.cap is None else f"{i.cap:g}"
            table.add_row(i.code, what, f"{i.months} months", f"{i.points:g}", cap, i.label)
        console.print(table)
        bands = "; ".join(
            f"{c} from {low:g}" if low is not None else f"{c} below" for c, low in scheme.bands
        )
        console.print(f"bands: {bands}", markup=False)
        for o in scheme.overrides:
            console.print(
                f"override → {o.credit_class}: {o.reason} ({o.kind}, {o.months} months)",
                markup=False,
            )
        for key, note in scheme.notes.items():
            console.print(f"note ({key}): {note}", markup=False)

    emit(as_json, scheme.as_dict(), render)


@credit_app.command("import")
def credit_import(
    file: FileArgument,
    source: Annotated[
        str,
        typer.Option(
            "--source",
            help="The body the records come from, e.g. 杭州市中级人民法院 (kept with each record).",
        ),
    ],
    skip_bad: SkipBadOption = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Import credit records from another body (a court's judgment-defaulter list, another
    department's penalties, a 信用中国 export) into the entities' credit files.

    Columns: uscc/统一社会信用代码, on/认定日期 (the day of the finding), reference/文号 (the
    source's own number, unique within the source), summary/内容, and optionally flags/标记
    (codes such as dishonest, which a scheme may count) and basis/依据. Each entity must be in
    the directory. Every row is checked before anything is written; importing the same file
    again updates its records. Where authentication is on, an administrator imports (the
    records change the entities' classes).
    """
    from zhifa.credit.importing import import_external

    now = SystemClock().now()

    def importer(store: Any, path: Path, *, skip_bad: bool, progress: Any) -> Any:
        return import_external(store, path, source, now, skip_bad=skip_bad, progress=progress)

    run_import(importer, "credit records", file, skip_bad, db, as_json, administrative=True)


@credit_app.command("check")
def credit_check(
    entity: Annotated[str, typer.Argument(metavar="ENTITY", help="USCC or entity id.")],
    activity: Annotated[
        str,
        typer.Option(
            "--for",
            metavar="ACTIVITY",
            help="government_procurement, bidding, land_transfer, honours, commitment, "
            "food_permit, permit or inspection.",
        ),
    ],
    on: Annotated[
        str | None,
        typer.Option(
            "--on", metavar="DATE", help="The day asked about (YYYY-MM-DD; default today)."
        ),
    ] = None,
    dept: Annotated[
        str | None,
        typer.Option(
            "--dept",
            metavar="CODE",
            help="Add the measures of this department's plugins to the national ones.",
        ),
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Which joint measures (联合奖惩措施) apply to an entity for an activity, and why.

    Answers from the entity's credit file as it stands on the day: each measure concerning the
    activity whose trigger a record meets (a listing until its removal, a heavier penalty within
    three years, a revoked permit within five) and that no record of its "unless" kinds keeps
    off, with its content, legal basis, implementer and the records behind it: punishments
    (失信惩戒) first, then incentives (守信激励). With --dept, the department's plugins' measures
    join the national ones. Exit 0 whether or not a measure applies; --json says restricted and
    rewarded true or false.
    """
    from zhifa.credit.measures import check

    try:
        day = date.fromisoformat(on) if on else SystemClock().now().date()
    except ValueError:
        raise InputError(f"--on {on!r} is not a date; write YYYY-MM-DD") from None
    measures = Plugins().credit_measures(dept)
    with opened(db) as store:
        found = check(store, entity, activity, day, SystemClock().now(), measures)

    def render() -> None:
        who = f"{found.entity.name} ({found.entity.uscc})"
        if not found.applies:
            console.print(
                f"no joint measure applies to {who} for {activity} on {day}", markup=False
            )
            return
        console.print(f"{who} for {activity} on {day}:", markup=False)
        for a in sorted(found.applies, key=lambda a: a.measure.effect != "punishment"):
            m = a.measure
            word = "restricts" if m.effect == "punishment" else "rewards"
            console.print(f"  {m.code} ({word}): {m.content}", markup=False)
            console.print(f"    basis {m.basis}; implemented by {m.implementer}", markup=False)
            for r in a.records:
                console.print(f"    because {r.on} {r.kind}: {r.summary}", markup=False)

    emit(as_json, found.as_dict(), render)


@credit_app.command("export")
def credit_export(
    entity: Annotated[str, typer.Argument(metavar="ENTITY", help="USCC or entity id.")],
    file: ExportFileArgument,
    dept: DeptOption = None,
    as_of: AsOfOption = None,
    force: ForceOption = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write an entity's credit file (一户一档) to a workbook: the entity, its matters, its
    credit records, its class on the day with the reasons, and its class history.

    .xlsx gives one sheet each; .csv one file each beside FILE. Text a spreadsheet would run as
    a formula is written as text. The file holds the internal class: hand it to the officers and
    the entity, not to the public.
    """
    from zhifa.credit import entity_file
    from zhifa.credit.export import export_file

    day = as_of_day(as_of)
    scheme = scheme_of(dept)
    with opened(db) as store:
        found = entity_file(store, entity, scheme, day, SystemClock().now())
    result = export_file(found, file, force=force)
    emit(
        as_json,
        result.as_dict(),
        lambda: console.print(
            f"wrote the credit file of {found.entity.name} ({len(found.records)} records) to "
            f"{', '.join(str(p) for p in result.files)} ({result.format})",
            markup=False,
        ),
    )


@credit_app.command("report")
def credit_report(
    entity: Annotated[str, typer.Argument(metavar="ENTITY", help="USCC or entity id.")],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            metavar="FILE.docx",
            help="The Word document to write (its name must end in .docx).",
            show_default=False,
        ),
    ],
    public: Annotated[
        bool,
        typer.Option(
            "--public",
            help="The edition for the entity itself or a third party: no class, no score, no "
            "internal notes.",
        ),
    ] = False,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            metavar="DATE",
            help="The day the report speaks as of (YYYY-MM-DD, not after today; default today).",
        ),
    ] = None,
    dept: Annotated[
        str | None,
        typer.Option(
            "--dept",
            metavar="CODE",
            help="The department issuing the report (named on it), whose scheme gives the "
            "class; default: the national scheme and no department named.",
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Replace the --out file if it exists (else it is kept)."),
    ] = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write an entity's credit report (信用报告) as a Word document to hand over, and print its
    SHA-256.

    The report gives the entity (name, unified social credit code, registration), the day it
    speaks as of, when it was made and its number, then a section each for the basic
    information, administrative penalties, inspections, lists (abnormal operation, serious
    violation and any other) with entry and removal, commitments and their outcome,
    publications and repairs, complaints and reports received (counts and dates only, never
    who made them), and records of other bodies with their source named; a section with
    nothing in it says so. The internal edition (the default) adds the credit-risk class on the
    day, its score, the indicators that decided it and its history, with the note that the
    class is internal (国市监信发〔2022〕6号). --public gives the edition for the entity or a third
    party, without any of that. --as-of gives the file as it stood on that day. Keep the
    SHA-256 printed (and in --json) to prove the file unchanged.
    """
    from zhifa.credit.report import write_report

    day = as_of_day(as_of)
    now = SystemClock().now()
    scheme = scheme_of(dept)
    with opened(db) as store:
        done = write_report(
            store, entity, scheme, day, now, out, public=public, department=dept, force=force
        )
    report = done.report

    def render() -> None:
        edition = "public" if public else "internal"
        console.print(
            f"wrote the {edition} credit report {report.number} of {report.name} "
            f"({report.uscc}) as of {day} to {done.path} ({done.size} bytes)",
            markup=False,
        )
        console.print(f"SHA-256 {done.sha256}", markup=False)

    emit(as_json, done.as_dict(), render)
