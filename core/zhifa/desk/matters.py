"""``/matters/{id}``: a matter — state, the linked story, clocks, history as this officer may see
it, documents and evidence — and the steps this officer may take now as forms generated from the
workflow's field declarations (``POST /matters/{id}/steps/{trigger}``); ``/matters/new``: opening a
matter with the workflow's opening form.

A step is taken with the logged-in officer's session as the actor. The form carries the matter's
version: a step on a matter changed meanwhile is refused with the :class:`ConflictError` sentence
instead of overwriting what the other officer did. A refused step or bad input shows the page again
with the sentence (and each guard's reason with its article) beside the form, the values entered
kept; nothing is written. Files attached to a step are checked against the department's evidence
policy before the step, kept in the evidence store, and recorded by the step's event.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from starlette.responses import Response

from zhifa.desk import forms
from zhifa.desk.web import Page, Pages, may_see, officers_of
from zhifa.errors import ConflictError, FieldError, InputError, NotFoundError, ZhifaError
from zhifa.evidence import attach, prepare
from zhifa.hooks.types import MatterView
from zhifa.record import Evidence
from zhifa.store.tables import Document, Entity
from zhifa.timekeeping import parse_moment
from zhifa.workflow.definitions import Definition, StepSpec

pages = Pages()

DOCUMENTS = cast(sa.Table, Document.__table__)


@pages.get("/matters/{matter_id:int}", name="matter")
def matter_page(p: Page) -> Response:
    return _show(p, int(p.request.path_params["matter_id"]))


@pages.post("/matters/{matter_id:int}/steps/{trigger}", name="matter_step")
def take_step(p: Page) -> Response:
    matter_id = int(p.request.path_params["matter_id"])
    trigger = str(p.request.path_params["trigger"])
    matter = p.matter(matter_id)
    defn = p.engine.definition(matter.workflow, matter.workflow_version)
    step = defn.triggers.get(trigger)
    if step is None:
        raise NotFoundError(
            f"the workflow {matter.workflow} has no step {trigger!r}; choose one of the steps "
            "shown on the matter's page"
        )
    data = forms.posted(list(step.fields.values()), p.form)
    try:
        expected = _version(p)
        if expected != matter.version:
            raise ConflictError(
                f"matter {matter_id} was changed by another step after you opened it (version "
                f"{matter.version}, not {expected}); reload the page, check what changed and "
                "take the step again"
            )
        at = _moment(p)
        evidence = _evidence(p, matter.department)
        p.engine.advance(matter, trigger, p.actor, data, at, evidence=[e for e, _ in evidence])
    except ZhifaError as exc:
        return _show(p, matter_id, failed=trigger, entered=data, exc=exc)
    _keep(p, matter.department, evidence, at)
    label = p.label(step.label)
    return p.redirect(f"/matters/{matter_id}", flash=f"{label} ✓")


def _version(p: Page) -> int:
    raw = p.value("version")
    try:
        return int(raw)
    except ValueError:
        raise InputError(
            "the form does not say which version of the matter it was filled in on; reload the "
            "page and take the step again"
        ) from None


def _moment(p: Page) -> datetime | None:
    raw = p.value("at").strip()
    return parse_moment(raw) if raw else None


def _evidence(p: Page, department: str) -> list[tuple[Evidence, bytes]]:
    """The files attached to the form, each checked against ``department``'s evidence policy
    (nothing is kept yet: one bad file refuses the step)."""
    out = []
    with p.desk.store.engine.connect() as conn:
        for upload in p.files("evidence"):
            content = upload.file.read()
            found, _ = prepare(conn, department, upload.filename or "file", content)
            out.append((found, content))
    return out


def _keep(
    p: Page, department: str, files: Sequence[tuple[Evidence, bytes]], at: datetime | None
) -> None:
    """Keep the files of a step that was taken, and list them in the evidence store."""
    if not files:
        return
    moment = at or p.engine.clock.now()
    with p.desk.store.engine.begin() as conn:
        for ev, content in files:
            attach(conn, p.desk.blobs, department, ev.name, content, moment)


def _documents(p: Page, matter_id: int) -> list[Any]:
    with p.desk.store.engine.connect() as conn:
        return list(
            conn.execute(
                sa.select(DOCUMENTS)
                .where(DOCUMENTS.c.matter_id == matter_id)
                .order_by(DOCUMENTS.c.issued_at, DOCUMENTS.c.id)
            )
        )


def _step_form(
    p: Page,
    defn: Definition,
    spec: StepSpec,
    officers: Sequence[tuple[str, str]],
    entered: Mapping[str, Any] | None = None,
    problems: Mapping[str, str] | None = None,
) -> list[forms.Input]:
    fields = list(spec.fields.values())
    return forms.inputs(fields, p.lang, entered=entered, problems=problems, officers=officers)


def _show(
    p: Page,
    matter_id: int,
    *,
    failed: str | None = None,
    entered: Mapping[str, Any] | None = None,
    exc: ZhifaError | None = None,
) -> Response:
    matter = p.matter(matter_id)
    engine = p.engine
    defn = engine.definition(matter.workflow, matter.workflow_version)
    shown, history = engine.as_seen_by(p.actor, matter, engine.history(matter_id))
    officers = officers_of(p.desk, matter.department)
    options = (
        [] if defn.states[matter.state].terminal else engine.available_triggers(matter, p.actor)
    )
    problems = exc.problems if isinstance(exc, FieldError) else None
    steps = []
    for o in options:
        spec = defn.triggers[o.name]
        mine = o.name == failed
        steps.append(
            {
                "name": o.name,
                "label": p.label(spec.label),
                "allowed": o.allowed,
                "reasons": o.reasons,
                "waiting_for": o.waiting_for,
                "description": spec.description,
                "basis": spec.basis,
                "inputs": _step_form(
                    p, defn, spec, officers, entered if mine else None, problems if mine else None
                ),
                "error": exc if mine else None,
            }
        )
    if failed is not None and not any(s["name"] == failed for s in steps):
        steps.insert(
            0,
            {
                "name": failed,
                "label": p.label(defn.triggers[failed].label),
                "allowed": False,
                "reasons": (),
                "waiting_for": (),
                "description": "",
                "basis": "",
                "inputs": [],
                "error": exc,
            },
        )
    story = [
        (depth, m, p.label(engine.definition(m.workflow, m.workflow_version).states[m.state].label))
        for depth, m in engine.story(matter_id)
        if may_see(p.me, m)
    ]
    entity = None
    if matter.entity_id is not None:
        with p.desk.store.read() as session:
            row = session.get(Entity, matter.entity_id)
            entity = {"uscc": row.uscc, "name": row.name} if row else None
    status = 200
    if exc is not None:
        from zhifa.desk.web import status_of

        status = status_of(exc)
    return p.render(
        "matter.html",
        {
            "m": shown,
            "defn": defn,
            "state": defn.states[matter.state],
            "entity": entity,
            "clocks": engine.clocks(matter),
            "owed": engine.expected(matter),
            "story": story,
            "history": [
                (e, _step_label(p, defn, e.trigger), _data_lines(p, defn, e.trigger, e.data))
                for e in history
            ],
            "documents": _documents(p, matter_id),
            "steps": steps,
            "failed": failed,
        },
        status=status,
    )


def _step_label(p: Page, defn: Definition, trigger: str) -> str:
    try:
        return p.label(defn.step(trigger).label)
    except KeyError:
        return trigger


def _data_lines(
    p: Page, defn: Definition, trigger: str, data: Mapping[str, Any]
) -> list[tuple[str, str]]:
    """A step's recorded data as (label, value) lines, the values of enum fields by their label."""
    try:
        spec = defn.step(trigger)
    except KeyError:
        spec = None
    lines = []
    for name, value in data.items():
        if name.startswith("_"):
            continue
        f = spec.fields.get(name) if spec is not None else None
        if f is not None and f.choices and isinstance(value, str) and value in f.choices:
            shown = f"{p.label(f.choices[value])} ({value})"
        elif isinstance(value, bool):
            shown = p.t("yes") if value else p.t("no")
        elif isinstance(value, list | tuple):
            shown = ", ".join(str(v) for v in value)
        else:
            shown = str(value)
        lines.append((p.label(f.label) if f is not None else name, shown))
    return lines


# --- opening a matter ---------------------------------------------------------------------------


@pages.get("/matters/new", name="matter_new")
def new_matter(p: Page) -> Response:
    name = p.query("workflow")
    if not name:
        flows = [(d.name, p.label(d.label), d.description) for d in p.engine.workflows()]
        return p.render("new.html", {"flows": flows, "defn": None})
    return _new_form(p, p.engine.definition(name))


def _new_form(
    p: Page,
    defn: Definition,
    *,
    entered: Mapping[str, Any] | None = None,
    extra: Mapping[str, str] | None = None,
    exc: ZhifaError | None = None,
) -> Response:
    from zhifa.desk.web import status_of

    problems = exc.problems if isinstance(exc, FieldError) else None
    inputs = forms.inputs(
        list(defn.open.fields.values()),
        p.lang,
        entered=entered,
        problems=problems,
        officers=officers_of(p.desk, p.me.department),
    )
    return p.render(
        "new.html",
        {
            "flows": [],
            "defn": defn,
            "step_label": p.label(defn.open.label),
            "inputs": inputs,
            "extra": extra or {},
            "error": exc,
        },
        status=status_of(exc) if exc is not None else 200,
    )


@pages.post("/matters/new", name="matter_open")
def open_matter(p: Page) -> Response:
    defn = p.engine.definition(p.value("workflow"))
    data = forms.posted(list(defn.open.fields.values()), p.form)
    extra = {k: p.value(k).strip() for k in ("title", "entity", "follows", "at")}
    try:
        follows: int | MatterView | None = None
        if extra["follows"]:
            try:
                number = int(extra["follows"].lstrip("#"))
            except ValueError:
                raise InputError(
                    f"the matter this one follows must be a matter number, got "
                    f"{extra['follows']!r}; e.g. 12"
                ) from None
            follows = p.matter(number)
        at = parse_moment(extra["at"]) if extra["at"] else None
        evidence = _evidence(p, p.me.department)
        result = p.engine.open(
            defn.name,
            p.actor,
            data,
            at,
            title=extra["title"] or None,
            entity=extra["entity"] or None,
            evidence=[e for e, _ in evidence],
            follows=follows,
        )
    except ZhifaError as exc:
        return _new_form(p, defn, entered=data, extra=extra, exc=exc)
    _keep(p, result.matter.department, evidence, at)
    return p.redirect(f"/matters/{result.matter.id}", flash=f"{p.label(defn.open.label)} ✓")
