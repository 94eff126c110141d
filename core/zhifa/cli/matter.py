"""``zhifa matter``: open matters, advance them one lawful step at a time, and look at them."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Annotated, Any, cast

import sqlalchemy as sa
import typer
from rich.table import Table

from zhifa.cli._common import (
    DbOption,
    JsonOption,
    console,
    emit,
    err_console,
    json_object,
    open_engine,
)
from zhifa.cli._identity import acting
from zhifa.cli.evidence import Attachments
from zhifa.engine import Engine, StepResult
from zhifa.errors import ConflictError, InputError
from zhifa.hooks.types import EventRecord, MatterView
from zhifa.record import Evidence
from zhifa.store.tables import Entity, Matter
from zhifa.timekeeping import parse_moment
from zhifa.workflow.deadlines import ClockState
from zhifa.workflow.fields import help_line

matter_app = typer.Typer(help="Open, advance and inspect matters.", no_args_is_help=True)

ActorOption = Annotated[
    str | None,
    typer.Option(
        "--actor",
        help="Id of the officer taking the step. Default: the logged-in officer (zhifa login or "
        "$ZHIFA_TOKEN); without a login, only on a database that does not require one.",
        show_default=False,
    ),
]
DataOption = Annotated[
    str | None,
    typer.Option(
        "--data", help='Step fields as a JSON object, or @file.json. Example: \'{"reason": "…"}\''
    ),
]
FieldOption = Annotated[
    list[str] | None,
    typer.Option(
        "--field",
        "-f",
        help="One field as NAME=VALUE, or one key of a JSON field as NAME.KEY=VALUE "
        "(repeatable; officer lists comma-separated). `zhifa matter triggers ID` shows each "
        "field's format, allowed values and an example.",
    ),
]
AtOption = Annotated[
    str | None,
    typer.Option(
        "--at", help="When the step happened (Beijing time), e.g. 2026-03-02T09:30. Default: now."
    ),
]
EvidenceOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--evidence",
        help="A file backing the step kept elsewhere: only its SHA-256 is recorded, the file is "
        "not kept (repeatable; --attach keeps it).",
    ),
]
AttachOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--attach",
        metavar="FILE",
        help="A file backing the step, checked against the department's evidence policy, kept "
        "in the evidence store and recorded by its SHA-256 (repeatable).",
    ),
]


def _data(data: str | None, field: list[str] | None) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if data:
        values.update(json_object(data, "--data", '{"reason": "…"}'))
    for item in field or ():
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise InputError(f"--field {item!r} must be written NAME=VALUE")
        if "." not in name:
            values[name] = value
            continue
        # NAME.KEY=VALUE: one key of a JSON field, so nobody types the JSON object
        outer, _, key = name.partition(".")
        target = values.setdefault(outer, {})
        if not outer or not key or "." in key or not isinstance(target, dict):
            raise InputError(
                f"--field {item!r}: write one key of a JSON field as NAME.KEY=VALUE, and give "
                f"{outer or 'the field'} either whole or key by key, not both"
            )
        target[key] = _json_value(value)
    return values


def _json_value(text: str) -> Any:
    """A JSON field's key given on the command line: a number, true/false, null, a list or an
    object when the text is one in JSON, else the text itself."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _evidence(paths: list[Path] | None) -> list[Evidence]:
    out = []
    for path in paths or ():
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read evidence file {path}: {exc.strerror}") from None
        out.append(Evidence(path.name, hashlib.sha256(content).hexdigest(), len(content)))
    return out


def _clock_line(c: ClockState) -> str:
    unit = "working days" if c.spec.unit == "working_days" else "days"
    prov = " (provisional: calendar data for that year not yet published)" if c.provisional else ""
    if c.status == "running":
        left = (
            f"OVERDUE by {-(c.remaining or 0)} {unit}"
            if c.overdue
            else f"{c.remaining} {unit} left"
        )
        text = f"due {c.due_on}{prov}, {left}"
    elif c.status == "paused":
        text = f"paused since {c.pauses[-1].began}, {c.remaining} {unit} left when it resumes"
    else:
        text = f"{c.status} — stopped {c.stopped_on}, was due {c.due_on}{prov}"
    extras = []
    if c.started_from:
        extras.append(f"counted from {c.started_from} {c.started_on}")
    if c.extensions:
        extras.append(f"extended {c.extensions}×")
    if c.paused_days:
        extras.append(f"paused {c.paused_days} {unit}")
    more = f" [{'; '.join(extras)}]" if extras else ""
    return f"{c.spec.label}: {c.allowed} {unit} — {text}{more} · {c.spec.basis}"


def _print_step(engine: Engine, result: StepResult) -> None:
    m, ev = result.matter, result.event
    defn = engine.definition(m.workflow, m.workflow_version)
    frm = f"{ev.from_state} → " if ev.from_state else ""
    console.print(
        f"matter {m.id} ({m.workflow}): {frm}{m.state} {defn.states[m.state].label} "
        f"· step {ev.seq} by {ev.actor_id} at {ev.occurred_at:%Y-%m-%d %H:%M} · hash {ev.hash[:12]}…"
    )
    for c in result.clocks:
        console.print(f"  {_clock_line(c)}", markup=False)


def _step_payload(result: StepResult) -> dict[str, Any]:
    return {
        "matter": result.matter.as_dict(),
        "event": result.event.as_dict(),
        "clocks": [c.as_dict() for c in result.clocks],
    }


@matter_app.command("open")
def open_matter(
    workflow: Annotated[str, typer.Argument(help="Workflow name, e.g. clue.")],
    actor: ActorOption = None,
    data: DataOption = None,
    field: FieldOption = None,
    at: AtOption = None,
    title: Annotated[
        str | None, typer.Option(help="A short title (default: from the data).")
    ] = None,
    entity: Annotated[str | None, typer.Option(help="USCC of the market entity concerned.")] = None,
    dept: Annotated[
        str | None, typer.Option(help="Department code (default: the actor's).")
    ] = None,
    evidence: EvidenceOption = None,
    attach: AttachOption = None,
    follows: Annotated[
        int | None,
        typer.Option(
            "--follows",
            metavar="ID",
            help="The matter this one comes from (e.g. the clue a case is opened on); linked.",
        ),
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Open a matter on the newest version of WORKFLOW (for a clue: register it on receipt)."""
    engine = open_engine(db)
    who = acting(engine, actor)
    values = _data(data, field)
    files = (
        (Attachments(engine, dept, attach) if dept else Attachments.of_officer(engine, who, attach))
        if attach
        else None
    )
    result = engine.open(
        workflow,
        who,
        values,
        parse_moment(at) if at else None,
        title=title,
        department=dept,
        entity=entity,
        evidence=_evidence(evidence) + (files.evidence if files else []),
        follows=follows,
    )
    if files:
        files.list(result.event.recorded_at)
    emit(as_json, _step_payload(result), lambda: _print_step(engine, result))


@matter_app.command("advance")
def advance(
    matter_id: Annotated[int, typer.Argument(metavar="ID", help="Matter id.")],
    trigger: Annotated[str, typer.Argument(help="The step to take, e.g. assign.")],
    actor: ActorOption = None,
    data: DataOption = None,
    field: FieldOption = None,
    at: AtOption = None,
    expect_version: Annotated[
        int | None,
        typer.Option(help="Refuse if the matter is no longer at this version (what you last saw)."),
    ] = None,
    evidence: EvidenceOption = None,
    attach: AttachOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Take one step on a matter. Refused steps (exit 1) and bad input (exit 2) write nothing."""
    engine = open_engine(db)
    values = _data(data, field)
    target: int | MatterView = matter_id
    if expect_version is not None:
        current = engine.load(matter_id)
        if current.version != expect_version:
            raise ConflictError(
                f"matter {matter_id} is at version {current.version}, not {expect_version} as you "
                "expected; reload it with `zhifa matter show` and try again"
            )
        target = current
    who = acting(engine, actor)
    files = None
    if attach:
        department = target.department if isinstance(target, MatterView) else None
        files = Attachments(engine, department or engine.load(matter_id).department, attach)
    result = engine.advance(
        target,
        trigger,
        who,
        values,
        parse_moment(at) if at else None,
        evidence=_evidence(evidence) + (files.evidence if files else []),
    )
    if files:
        files.list(result.event.recorded_at)
    emit(as_json, _step_payload(result), lambda: _print_step(engine, result))


@matter_app.command("triggers")
def triggers(
    matter_id: Annotated[int, typer.Argument(metavar="ID", help="Matter id.")],
    actor: ActorOption = None,
    at: AtOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """What this officer may do on the matter now, and why not the other steps."""
    engine = open_engine(db)
    options = engine.available_triggers(
        matter_id, acting(engine, actor), parse_moment(at) if at else None
    )

    def render() -> None:
        table = Table("trigger", "step", "may take it?", "why not / checked with the data")
        for o in options:
            why = (
                "\n".join(o.reasons)
                if o.reasons
                else "\n".join(f"(checked: {w})" for w in o.waiting_for)
            )
            fields = (
                "\n".join(help_line(f) for f in o.fields)
                if o.allowed
                else ", ".join(f.name + ("*" if f.required else "") for f in o.fields)
            )
            table.add_row(
                o.name,
                o.label + (f"\nfields (* required):\n{fields}" if fields else ""),
                "yes" if o.allowed else "no",
                why,
            )
        console.print(table)

    emit(as_json, [o.as_dict() for o in options], render)


def _history_rows(defn_states: dict[str, Any], events: list[EventRecord]) -> Table:
    table = Table("#", "when", "step", "from → to", "by", "data", "hash")
    for ev in events:
        data = {k: v for k, v in ev.data.items() if not k.startswith("_")}
        table.add_row(
            str(ev.seq),
            f"{ev.occurred_at:%Y-%m-%d %H:%M}",
            ev.trigger,
            f"{ev.from_state or '∅'} → {ev.to_state}",
            ev.actor_id,
            json.dumps(data, ensure_ascii=False)[:120],
            ev.hash[:12],
        )
    return table


@matter_app.command("show")
def show(
    matter_id: Annotated[int, typer.Argument(metavar="ID", help="Matter id.")],
    actor: Annotated[
        str | None,
        typer.Option(
            "--actor",
            help="Who is looking, on a database without authentication (else the logged-in "
            "officer).",
        ),
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """A matter's state, data, statutory clocks (with pauses and extensions), full history, and
    the story of linked matters it belongs to (what it came from, what followed it).

    Confidential fields (a complainant's or reporter's identity) show only to an officer who
    handles the matter — took a step on it or is named in it — and read (confidential) for
    everyone else."""
    engine = open_engine(db)
    viewer = actor if actor is not None else next(iter(engine.signed.officers), None)
    matter, history = engine.as_seen_by(viewer, engine.load(matter_id), engine.history(matter_id))
    defn = engine.definition(matter.workflow, matter.workflow_version)
    clocks = engine.clocks(matter)
    owed = engine.expected(matter)
    story = engine.story(matter_id)
    entity = None
    if matter.entity_id is not None:
        with engine.store.read() as session:
            row = session.get(Entity, matter.entity_id)
            entity = {"uscc": row.uscc, "name": row.name} if row else None

    def render() -> None:
        state = defn.states[matter.state]
        console.print(
            f"[bold]matter {matter.id}[/] · {defn.label} v{defn.version} · {matter.title}\n"
            f"state: {matter.state} {state.label}{' (closed)' if state.terminal else ''} · "
            f"department {matter.department} · version {matter.version}"
            + (f"\nentity: {entity['name']} ({entity['uscc']})" if entity else "")
        )
        for c in clocks:
            console.print(f"  ⏱ {_clock_line(c)}", markup=False)
        for d in owed:
            console.print(
                f"  ➜ owes a {d.follow_up} matter: {_clock_line(d.clock)} — open it with "
                f"`zhifa matter open {d.follow_up} --follows {matter.id}`",
                markup=False,
            )
        console.print(_history_rows(dict(defn.states), history))
        if len(story) > 1:
            console.print("linked matters:")
            for depth, m in story:
                mark = "▶ " if m.id == matter.id else "  "
                label = engine.definition(m.workflow, m.workflow_version).states[m.state].label
                console.print(
                    f"  {'   ' * depth}{mark}#{m.id} {m.workflow}: {m.state} {label} · {m.title}",
                    markup=False,
                )

    emit(
        as_json,
        {
            "matter": matter.as_dict(),
            "entity": entity,
            "clocks": [c.as_dict() for c in clocks],
            "owed": [d.as_dict() for d in owed],
            "history": [e.as_dict() for e in history],
            "story": [
                {"depth": depth, "id": m.id, "workflow": m.workflow, "state": m.state}
                for depth, m in story
            ],
        },
        render,
    )


@matter_app.command("list")
def list_matters(
    state: Annotated[str | None, typer.Option(help="Only matters in this state.")] = None,
    workflow: Annotated[str | None, typer.Option(help="Only matters of this workflow.")] = None,
    due: Annotated[
        bool,
        typer.Option(
            "--due",
            help="Only matters with a running clock or an owed follow-up, soonest deadline first.",
        ),
    ] = False,
    within: Annotated[
        int | None,
        typer.Option(
            help="With --due: only deadlines within N days from today (overdue included)."
        ),
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many rows.")] = 200,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """List matters, newest first; with --due, their running statutory clocks and the follow-up
    matters they owe, soonest deadline first (the same items as `zhifa due`)."""
    if within is not None and not due:
        raise InputError("--within goes with --due; e.g. zhifa matter list --due --within 5")
    if within is not None and within < 0:
        raise InputError(f"--within must be 0 or more days, got {within}; e.g. --within 5")
    engine = open_engine(db)
    items: list[dict[str, Any]] = []
    if due:
        page = engine.due(within=within, workflow=workflow, state=state, limit=limit)
        if page.more:
            err_console.print(f"more than {limit} deadlines: raise --limit", markup=False)
        for d in page:
            m, c = d.matter, d.clock
            items.append(
                {
                    "id": m.id,
                    "workflow": m.workflow,
                    "state": m.state,
                    "title": m.title,
                    "department": m.department,
                    "updated_at": m.updated_at.isoformat(),
                    "clock": c.spec.name,
                    "follow_up": d.follow_up,
                    "due_on": c.due_on.isoformat() if c.due_on else None,
                    "overdue": c.overdue,
                    "provisional": c.provisional,
                }
            )
        items = items[:limit]
    else:
        matters_t = cast(sa.Table, Matter.__table__)
        query = sa.select(
            matters_t.c.id,
            matters_t.c.workflow,
            matters_t.c.state,
            matters_t.c.title,
            matters_t.c.department_code,
            matters_t.c.updated_at,
        ).order_by(matters_t.c.id.desc())
        if state:
            query = query.where(matters_t.c.state == state)
        if workflow:
            query = query.where(matters_t.c.workflow == workflow)
        with engine.store.read() as session:
            rows = session.execute(query.limit(limit)).all()
        items = [
            {
                "id": r.id,
                "workflow": r.workflow,
                "state": r.state,
                "title": r.title,
                "department": r.department_code,
                "updated_at": r.updated_at.isoformat(),
            }
            for r in rows
        ]

    def render() -> None:
        cols = ["id", "workflow", "state", "title", "dept"] + (
            ["clock", "due", ""] if due else ["updated"]
        )
        table = Table(*cols)
        for i in items:
            row = [str(i["id"]), i["workflow"], i["state"], i["title"][:40], i["department"]]
            if due:
                flag = "OVERDUE" if i["overdue"] else ("provisional" if i["provisional"] else "")
                clock = f"open {i['follow_up']}" if i["follow_up"] else i["clock"]
                row += [clock, i["due_on"] or "", flag]
            else:
                row.append(i["updated_at"][:16])
            table.add_row(*row)
        console.print(table)

    emit(as_json, items, render)


def register(app: typer.Typer) -> None:
    app.add_typer(matter_app, name="matter")
