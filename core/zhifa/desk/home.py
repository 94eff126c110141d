"""``/``, my desk: the matters I handle (took a step on or am named in), newest first and
paginated, with the steps I may take on each now (:meth:`Engine.available_triggers`), and what is
due or overdue for me with the rule behind it (:meth:`Engine.due`: its first page)."""

from __future__ import annotations

from typing import Any, cast

import sqlalchemy as sa
from starlette.responses import Response

from zhifa.desk.web import PAGE_SIZE, Page, Pages
from zhifa.engine.reads import names
from zhifa.engine.statements import matter_view
from zhifa.hooks.types import MatterView
from zhifa.store.tables import Event, Matter

pages = Pages()

MATTERS = cast(sa.Table, Matter.__table__)
EVENTS = cast(sa.Table, Event.__table__)
DEFAULT_WITHIN = 7


def handled_by(p: Page, officer: str, department: str, page: int) -> tuple[list[MatterView], bool]:
    """A page of the matters of ``department`` that ``officer`` took a step on or is named in,
    newest first, and whether there are more. The steps come from the events' actor index; a
    name in the recorded data is looked for in the text of the matter's data and confirmed."""
    acted = sa.select(EVENTS.c.matter_id).where(EVENTS.c.actor_id == officer)
    quoted = f'%"{officer}"%'
    query = (
        sa.select(MATTERS)
        .where(
            MATTERS.c.department_code == department,
            sa.or_(
                MATTERS.c.id.in_(acted),
                sa.cast(MATTERS.c.data, sa.Text).like(quoted),
            ),
        )
        .order_by(MATTERS.c.id.desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE + 1)
    )
    with p.desk.store.engine.connect() as conn:
        views = [matter_view(r) for r in conn.execute(query)]
        mine = set(
            conn.scalars(
                sa.select(EVENTS.c.matter_id).where(
                    EVENTS.c.actor_id == officer,
                    EVENTS.c.matter_id.in_([v.id for v in views]),
                )
            )
        )
    kept = [v for v in views if v.id in mine or names(v, officer)]
    return kept[:PAGE_SIZE], len(views) > PAGE_SIZE


@pages.get("/", name="home")
def home(p: Page) -> Response:
    me = p.me
    page = p.int_query("page", 1, 1)
    within = p.int_query("within", DEFAULT_WITHIN, 0, 3660)
    matters, more = handled_by(p, me.id, me.department, page)
    rows: list[dict[str, Any]] = []
    for m in matters:
        defn = p.engine.definition(m.workflow, m.workflow_version)
        state = defn.states[m.state]
        options = (
            [o for o in p.engine.available_triggers(m, p.actor) if o.allowed]
            if not state.terminal
            else []
        )
        steps = [(o.name, p.label(defn.triggers[o.name].label)) for o in options]
        rows.append({"m": m, "workflow": p.label(defn.label), "state": state, "steps": steps})
    # the first page of my department's list that concerns me; the rest is on /due
    due = p.engine.due(department=me.department, officer=me.id, within=within, limit=PAGE_SIZE)
    return p.render(
        "home.html",
        {
            "rows": rows,
            "page": page,
            "more": more,
            "due": due,
            "due_more": due.more,
            "within": within,
        },
    )
