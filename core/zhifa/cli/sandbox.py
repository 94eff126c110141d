"""``zhifa sandbox``: the policy sandbox from the terminal — the parameters a reform may change,
reforms checked and compared, simulated runs against the baseline, and the real record replayed
under a reform."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from zhifa.cli._common import DbOption, JsonOption, console, emit
from zhifa.errors import InputError

sandbox_app = typer.Typer(
    name="sandbox",
    help="The policy sandbox: reforms as dated overrides of zhifa's own rules (sampling ratios, "
    "fines, no-penalty lists, publication and repair periods, credit schemes, capacity), how "
    "firms respond to them in simulation, and the real record replayed under a reform. Nothing "
    "in a database is ever changed.",
    short_help="Reforms simulated and replayed against the rules as installed.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

DeptsOption = Annotated[
    list[str] | None,
    typer.Option(
        "--dept",
        metavar="CODE",
        help="A department whose rules (its plugins' sampling policy and credit scheme) are "
        "varied; repeat for several. Default: the departments of --db, else one named default.",
    ),
]
ReformArgument = Annotated[
    Path, typer.Argument(metavar="REFORM", help="A reform file (YAML or JSON).", show_default=False)
]
DayOption = Annotated[
    str | None,
    typer.Option(
        "--day", metavar="DATE", help="The day the parameters are read as of (default today)."
    ),
]


def register(app: typer.Typer) -> None:
    """Add ``sandbox`` to the ``zhifa`` command."""
    app.add_typer(sandbox_app, name="sandbox")


def _day(text: str | None, option: str = "--day") -> date:
    if not text:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{option} {text!r} is not a date; write YYYY-MM-DD") from None


def _departments(depts: list[str] | None, db: str | None) -> list[str]:
    if depts:
        return depts
    if db:
        import sqlalchemy as sa

        from zhifa.sandbox.replay import read_only_store
        from zhifa.store.tables import Department

        store = read_only_store(db)
        try:
            with store.read() as s:
                found = list(s.scalars(sa.select(Department.code).order_by(Department.code)))
        finally:
            store.dispose()
        if found:
            return found
    return ["default"]


def _installed(depts: list[str], day: date) -> Any:
    from zhifa.plugins import Plugins
    from zhifa.sandbox.rules import Installed

    return Installed.load(Plugins(), depts, day)


@sandbox_app.command("params")
def sandbox_params(
    dept: DeptsOption = None,
    match: Annotated[
        str | None, typer.Option("--match", metavar="TEXT", help="Only paths containing TEXT.")
    ] = None,
    day: DayOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Every rule value a reform may change: its path, kind, unit, current value and legal
    basis, read from the rules as installed (department plugins included)."""
    installed = _installed(_departments(dept, db), _day(day))
    items = [p for p in installed.params.values() if not match or match in p.path]

    def render() -> None:
        table = Table("path", "kind", "unit", "value", "basis")
        for p in items:
            value = p.as_dict()["value"]
            table.add_row(p.path, p.kind, p.unit, str(value), p.basis)
        console.print(table)
        console.print(f"{len(items)} parameters", markup=False)

    emit(as_json, [p.as_dict() for p in items], render)


@sandbox_app.command("check")
def sandbox_check(
    reform: ReformArgument,
    other: Annotated[
        Path | None,
        typer.Option("--against", metavar="REFORM", help="Another reform to compare it with."),
    ] = None,
    dept: DeptsOption = None,
    day: DayOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Check a reform whole (every bad path or value is named, exit 2) and list what it changes,
    against the baseline or another reform."""
    from zhifa.sandbox.reform import BASELINE, diff, load_reform

    when = _day(day)
    installed = _installed(_departments(dept, db), when)
    a = load_reform(reform, installed.params)
    base = load_reform(other, installed.params) if other else BASELINE
    found = diff(base, a, installed.params, [when])

    def render() -> None:
        console.print(f"{a.name}: valid, {len(a.changes)} parameters changed", markup=False)
        table = Table("path", "from", base.name, a.name)
        for d in found:
            table.add_row(d["path"], d["day"], str(d["a"]), str(d["b"]))
        console.print(table)

    emit(as_json, {"reform": a.as_dict(), "against": base.name, "differences": found}, render)


@sandbox_app.command("run")
def sandbox_run(
    reforms: Annotated[
        list[Path],
        typer.Argument(metavar="REFORM...", help="Reform files, each compared with the baseline."),
    ],
    population: Annotated[
        int | None,
        typer.Option(
            "--population", metavar="N", help="A synthetic population of N firms (default 100,000)."
        ),
    ] = None,
    db: Annotated[
        str | None,
        typer.Option("--db", help="Run on the entities of this database instead (read only)."),
    ] = None,
    years: Annotated[int, typer.Option("--years", help="Years simulated.")] = 5,
    reps: Annotated[int, typer.Option("--reps", help="Replications of each reform.")] = 10,
    seed: Annotated[int, typer.Option("--seed", help="The seed of the population and runs.")] = 1,
    start: Annotated[
        str | None,
        typer.Option(
            "--start", metavar="DATE", help="The first day simulated (default next 1 January)."
        ),
    ] = None,
    dept: DeptsOption = None,
    workers: Annotated[int, typer.Option("--workers", help="Local processes.")] = 1,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler", metavar="ADDRESS", help="Run on a Dask cluster (tcp://host:8786)."
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", metavar="FILE.xlsx", help="Also write the results as a workbook."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Simulate how firms respond to each reform and to the baseline, and print each outcome's
    total with its 95 % interval and the difference from the baseline."""
    from zhifa.sandbox import outcomes
    from zhifa.sandbox.model import Scenario
    from zhifa.sandbox.population import from_database, synthetic
    from zhifa.sandbox.reform import BASELINE, load_reform
    from zhifa.sandbox.sweep import sweep

    if population is not None and db is not None:
        raise InputError("give --population N or --db URL, not both")
    today = date.today()
    first = _day(start, "--start") if start else date(today.year + 1, 1, 1)
    depts = _departments(dept, db)
    installed = _installed(depts, first)
    loaded = [load_reform(r, installed.params) for r in reforms]
    if db is not None:
        from zhifa.sandbox.replay import read_only_store
        from zhifa.store.database import describe

        store = read_only_store(db)
        try:
            pop = from_database(store, seed, label=describe(db))  # no password shown
        finally:
            store.dispose()
    else:
        pop = synthetic(population or 100_000, seed, start=first)
    scenario = Scenario(start=first, years=years)
    result = sweep(
        installed, pop, scenario, [BASELINE, *loaded], reps, seed,
        workers=workers, scheduler=scheduler, progress=not as_json,
    )  # fmt: skip
    summary = outcomes.summarise(result, installed.departments)
    about = {
        "population": pop.source,
        "scenario": scenario.as_dict(),
        "reps": reps,
        "seed": seed,
        "departments": list(depts),
        "reforms": [r.as_dict() for r in loaded],
    }
    if out is not None:
        outcomes.to_xlsx(summary, out, about)

    def render() -> None:
        header, rows = outcomes.table(summary)
        table = Table(*header)
        for row in rows:
            table.add_row(*row)
        console.print(table)
        if out is not None:
            console.print(f"wrote {out}", markup=False)

    emit(as_json, {**about, "results": outcomes.as_json(summary)}, render)


@sandbox_app.command("replay")
def sandbox_replay(
    reform: ReformArgument,
    db: DbOption = None,
    dept: DeptsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Re-evaluate every recorded case under a reform: fines outside the new range, cases that
    would be no-penalty, publications ending earlier or later, repairs eligible when. The
    database is opened read only."""
    from zhifa.sandbox.reform import load_reform
    from zhifa.sandbox.replay import COLUMNS, read_only_store, replay

    store = read_only_store(db)
    try:
        depts = dept or _departments(None, store.url)
        installed = _installed(depts, date.today())
        loaded = load_reform(reform, installed.params)
        found = replay(store, installed, loaded, departments=dept)
    finally:
        store.dispose()

    def render() -> None:
        table = Table(*COLUMNS)
        for row in found.rows():
            table.add_row(*("" if v is None else str(v) for v in row))
        console.print(table)
        for key, value in found.totals.items():
            console.print(f"{key}: {value}", markup=False)
        for s in found.skipped:
            console.print(f"skipped case {s.matter_id}: {s.reason}", markup=False)

    emit(as_json, found.as_dict(), render)
