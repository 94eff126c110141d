"""``zhifa plan``: random-inspection plans (双随机) — create, import, update, publish and show
them, record entities' requests to be inspected, and export a plan to publish it (一公开)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import sqlalchemy as sa
import typer

from zhifa import inspections
from zhifa.cli._common import DbOption, JsonOption, console, dumps, emit, open_engine, opened
from zhifa.cli._publicity import ForceOption, file_argument, written
from zhifa.errors import InputError
from zhifa.inspections import Plan, PlanItem, canonical_json
from zhifa.plugins import Plugins
from zhifa.store import Store
from zhifa.store.tables import Department
from zhifa.timekeeping import SystemClock

plan_app = typer.Typer(help="Random-inspection plans: create, publish, show.", no_args_is_help=True)

PlanFile = Annotated[Path, file_argument("a .csv file (UTF-8 with BOM)")]


def register(app: typer.Typer) -> None:
    """Add ``plan`` to the ``zhifa`` command."""
    app.add_typer(plan_app, name="plan")


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


@plan_app.command("export")
def plan_export(
    plan_id: Annotated[int, typer.Argument(metavar="PLAN")],
    file: PlanFile,
    force: ForceOption = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write a plan as the table 抽查计划 (.xlsx or .csv), to publish it before the draw."""
    engine = open_engine(db)
    try:
        result = inspections.export_plan(
            engine.store, plan_id, file, catalogue=engine.plugins.checklists(), force=force
        )
    finally:
        engine.store.dispose()
    emit(as_json, result.as_dict(), written(result))
