"""``zhifa plan``, ``zhifa snapshot`` and ``zhifa draw``: random-inspection plans (双随机), the
frozen directories they are drawn from, and draws anyone can re-run."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import sqlalchemy as sa
import typer

from zhifa import inspections
from zhifa.cli._common import (
    DbOption,
    JsonOption,
    console,
    dumps,
    emit,
    open_engine,
    opened,
)
from zhifa.errors import DrawMismatch, InputError
from zhifa.inspections import Plan, PlanItem, canonical_json
from zhifa.plugins import Plugins
from zhifa.store import Store
from zhifa.store.tables import Department
from zhifa.timekeeping import SystemClock, parse_moment

plan_app = typer.Typer(help="Random-inspection plans: create, publish, show.", no_args_is_help=True)
snapshot_app = typer.Typer(
    help="Freeze the target and inspector directories for a draw.", no_args_is_help=True
)
draw_app = typer.Typer(help="Random draws: run, verify, show.", no_args_is_help=True)


def _departments(store: Store) -> set[str]:
    with store.read() as session:
        return set(session.execute(sa.select(Department.code)).scalars())


def _items(codes: list[str], lead: str, departments: set[str]) -> list[PlanItem]:
    """``CODE`` (an item of the lead department) or ``DEPT:CODE``, from the loaded checklists."""
    catalogue = Plugins().checklists()
    items = []
    for text in codes:
        dept, _, code = text.rpartition(":")
        dept = dept or lead
        if dept not in departments:
            raise InputError(
                f"--item {text}: department {dept} is neither the lead nor a --dept of the plan"
            )
        if code not in catalogue:
            raise InputError(
                f"--item {text}: no loaded checklist has an item {code!r}; see zhifa plugins"
            )
        items.append(PlanItem.from_checklist(catalogue[code], department=dept))
    return items


@plan_app.command("create")
def plan_create(
    year: Annotated[int, typer.Option("--year", help="The plan's year.")],
    lead: Annotated[str, typer.Option("--lead", metavar="DEPT", help="Lead department code.")],
    item: Annotated[
        list[str],
        typer.Option(
            "--item",
            metavar="CODE",
            help="A checklist item code (of the lead department), or DEPT:CODE; repeatable.",
        ),
    ],
    inspection_date: Annotated[
        str, typer.Option("--inspection-date", metavar="DATE", help="YYYY-MM-DD, in the year.")
    ],
    dept: Annotated[
        list[str] | None,
        typer.Option("--dept", metavar="DEPT", help="A participating department; repeatable."),
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option("--file", metavar="FILE", help="Also write the plan's JSON to FILE."),
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create a draft plan; ratios, exemptions, caps and grace days come from the lead
    department's sampling policy."""
    try:
        day = date.fromisoformat(inspection_date)
    except ValueError:
        raise InputError(
            f"--inspection-date {inspection_date!r} is not a date; write YYYY-MM-DD"
        ) from None
    with opened(db) as store:
        known = _departments(store)
        for code in [lead, *(dept or [])]:
            if code not in known:
                raise InputError(f"there is no department {code}; add it with zhifa dept add")
        plan = Plan.from_policy(
            Plugins().sampling_policy(lead),
            year=year,
            lead_department=lead,
            items=_items(item, lead, {lead, *(dept or [])}),
            inspection_date=day,
            participating=tuple(dept or ()),
        )
        plan_id = inspections.create_plan(store, plan)
        info = inspections.get_plan(store, plan_id)
    if file is not None:
        file.write_bytes(canonical_json(plan.as_dict()))
    emit(as_json, info.as_dict(), lambda: console.print(f"plan {plan_id} created (draft)"))


def _plan_file(path: Path, store: Store) -> Plan:
    """A plan from a JSON file as ``plan create --file`` writes it, its departments known."""
    try:
        raw = json.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(
            f"{path} is not a JSON plan ({exc}); write one with zhifa plan create --file"
        ) from None
    if not isinstance(raw, dict):
        raise InputError(f"{path} is not a JSON object; write one with zhifa plan create --file")
    plan = Plan.from_dict(raw)
    known = _departments(store)
    for code in plan.departments:
        if code not in known:
            raise InputError(
                f"{path} names department {code}, which does not exist; add it with zhifa dept add"
            )
    return plan


@plan_app.command("import")
def plan_import(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="A plan as JSON.")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create a draft plan from a JSON file (as plan create --file writes it), e.g. with the
    ratios, exemptions, caps and grace rule of the bureau's implementing rules (细则)."""
    with opened(db) as store:
        plan_id = inspections.create_plan(store, _plan_file(file, store))
        info = inspections.get_plan(store, plan_id)
    emit(as_json, info.as_dict(), lambda: console.print(f"plan {plan_id} created (draft)"))


@plan_app.command("update")
def plan_update(
    plan_id: Annotated[int, typer.Argument(metavar="ID")],
    file: Annotated[Path, typer.Argument(metavar="FILE", help="The plan as JSON.")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Replace a draft plan with the plan in a JSON file; a published plan is frozen."""
    with opened(db) as store:
        inspections.update_plan(store, plan_id, _plan_file(file, store))
        info = inspections.get_plan(store, plan_id)
    emit(as_json, info.as_dict(), lambda: console.print(f"plan {plan_id} updated (draft)"))


@plan_app.command("publish")
def plan_publish(
    plan_id: Annotated[int, typer.Argument(metavar="ID")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Publish a draft plan: it is frozen from now on and can be drawn."""
    with opened(db) as store:
        info = inspections.publish_plan(store, plan_id)
    emit(as_json, info.as_dict(), lambda: console.print(f"plan {plan_id} published"))


@plan_app.command("show")
def plan_show(
    plan_id: Annotated[int, typer.Argument(metavar="ID")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show a plan, its status and digest."""
    with opened(db) as store:
        info = inspections.get_plan(store, plan_id)

    def render() -> None:
        console.print(f"plan {info.id} ({info.status}) digest {info.digest}", markup=False)
        console.print(dumps(info.plan.as_dict()), markup=False)

    emit(as_json, info.as_dict(), render)


@plan_app.command("request-inspection")
def plan_request_inspection(
    entity: Annotated[str, typer.Argument(metavar="ENTITY", help="USCC code or entity id.")],
    year: Annotated[int, typer.Option("--year", help="The plan year the request is for.")],
    on: Annotated[
        str | None,
        typer.Option("--on", metavar="DATE", help="When it was made (YYYY-MM-DD; default today)."),
    ] = None,
    note: Annotated[str, typer.Option("--note", help="What the entity asked.")] = "",
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record an entity's request to be inspected in a year: a class the plans leave alone
    (无事不扰) is then drawn for it at the class's ratio."""
    try:
        day = date.fromisoformat(on) if on else SystemClock().now().date()
    except ValueError:
        raise InputError(f"--on {on!r} is not a date; write YYYY-MM-DD") from None
    with opened(db) as store:
        row = inspections.request_inspection(store, entity, year, day, note)
    payload = {"entity_id": row.entity_id, "year": row.year, "requested_on": row.requested_on}
    emit(
        as_json,
        payload | {"note": row.note},
        lambda: console.print(f"request for inspection in {year} recorded ({entity}, {day})"),
    )


@plan_app.command("requests")
def plan_requests(
    year: Annotated[int, typer.Option("--year", help="The plan year.")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """List the entities that asked to be inspected in a year."""
    with opened(db) as store:
        rows = inspections.inspection_requests(store, year)

    def render() -> None:
        if not rows:
            console.print(f"no entity asked to be inspected in {year}")
        for uscc, name, day, note in rows:
            console.print(f"{uscc}  {name}  {day}  {note}", markup=False)

    emit(
        as_json,
        [{"entity": u, "name": n, "requested_on": d, "note": t} for u, n, d, t in rows],
        render,
    )


@snapshot_app.command("take")
def snapshot_take(
    year: Annotated[
        int | None,
        typer.Option(
            "--year", help="The plan year (requests and inspections are counted per year)."
        ),
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Freeze the target and inspector directories as they are now."""
    with opened(db) as store:
        target_id, inspector_id = inspections.take_snapshots(store, year=year)
        shown = [
            inspections.snapshot_info(store, target_id, inspections.TARGETS),
            inspections.snapshot_info(store, inspector_id, inspections.INSPECTORS),
        ]

    def render() -> None:
        for s in shown:
            console.print(f"snapshot {s.id}: {s.kind}, {s.rows} rows, digest {s.digest}")

    emit(as_json, [s.as_dict() for s in shown], render)


def _summary(info: inspections.DrawInfo) -> str:
    visits = info.record.get("visits", {}).get("rows", [])
    return (
        f"draw {info.id} of plan {info.plan_id}: {len(visits)} entities drawn from "
        f"{info.record.get('directory', '?')} (snapshots {info.target_snapshot_id}, "
        f"{info.inspector_snapshot_id}); seed {info.seed}"
    )


@draw_app.command("run")
def draw_run(
    plan_id: Annotated[int, typer.Argument(metavar="PLAN")],
    public_value: Annotated[
        str,
        typer.Option("--public-value", metavar="V", help="The public random value, as published."),
    ],
    targets: Annotated[
        int | None, typer.Option("--targets", metavar="SNAPSHOT", help="Target snapshot id.")
    ] = None,
    inspectors: Annotated[
        int | None,
        typer.Option("--inspectors", metavar="SNAPSHOT", help="Inspector snapshot id."),
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Draw a published plan; without --targets and --inspectors fresh snapshots are taken."""
    if (targets is None) != (inspectors is None):
        raise InputError("give both --targets and --inspectors, or neither for fresh snapshots")
    with opened(db) as store:
        if targets is not None and inspectors is not None:
            info = inspections.run_draw(store, plan_id, public_value, targets, inspectors)
        else:
            info = inspections.draw_fresh(store, plan_id, public_value)
    emit(as_json, info.as_dict(), lambda: console.print(_summary(info), markup=False))


@draw_app.command("verify")
def draw_verify(
    draw_id: Annotated[int, typer.Argument(metavar="ID")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Re-run a draw from its plan and snapshots: exit 0 confirmed, 1 naming the differences."""
    with opened(db) as store:
        problems = inspections.verify_draw(store, draw_id)
    if as_json:
        typer.echo(dumps({"draw": draw_id, "confirmed": not problems, "differences": problems}))
        if problems:
            raise typer.Exit(1)
        return
    if not problems:
        console.print(f"draw {draw_id} confirmed: re-running it gives the recorded result")
        return
    raise DrawMismatch(f"draw {draw_id} does not verify: {problems[0]}", problems[1:])


@draw_app.command("show")
def draw_show(
    draw_id: Annotated[int, typer.Argument(metavar="ID")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show a draw and its record."""
    with opened(db) as store:
        info = inspections.get_draw(store, draw_id)

    def render() -> None:
        console.print(_summary(info), markup=False)
        console.print(json.dumps(info.record, ensure_ascii=False, indent=2), markup=False)

    emit(as_json, info.as_dict(), render)


def _by(values: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for text in values:
        dept, sep, officer = text.partition("=")
        if not sep or not dept.strip() or not officer.strip():
            raise InputError(f"--by {text!r} must be written DEPT=OFFICER, e.g. --by HZXH=H1")
        if dept.strip() in out:
            raise InputError(f"--by names department {dept.strip()} twice; give it once")
        out[dept.strip()] = officer.strip()
    return out


@draw_app.command("tasks")
def draw_tasks(
    draw_id: Annotated[int, typer.Argument(metavar="ID")],
    by: Annotated[
        list[str],
        typer.Option(
            "--by",
            metavar="DEPT=OFFICER",
            help="Who opens a department's tasks (its head or an inspector); one per department.",
        ),
    ],
    at: Annotated[
        str | None,
        typer.Option("--at", help="When the tasks were created (Beijing time). Default: now."),
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create the draw's inspection tasks: one inspection matter per department of each visit,
    with the items, the visit and the team drawn (the draw is verified first; once per draw)."""
    officers = _by(by)
    engine = open_engine(db)
    try:
        created = inspections.create_tasks(
            engine, draw_id, officers, parse_moment(at) if at else None
        )
    finally:
        engine.store.dispose()
    per_dept = ", ".join(f"{d} {n}" for d, n in sorted(created.by_department.items()))
    emit(
        as_json,
        created.as_dict(),
        lambda: console.print(
            f"draw {draw_id}: {len(created.matters)} inspection tasks created for "
            f"{created.visits} visits ({per_dept or 'none'})",
            markup=False,
        ),
    )


def register(app: typer.Typer) -> None:
    """Add ``plan``, ``snapshot`` and ``draw`` to the ``zhifa`` command."""
    app.add_typer(plan_app, name="plan")
    app.add_typer(snapshot_app, name="snapshot")
    app.add_typer(draw_app, name="draw")
