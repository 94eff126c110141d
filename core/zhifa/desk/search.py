"""``/search?q=``: one box for a document number (文号), a matter number, a market entity (name or
unified social credit code), an officer (id or name) and matter titles.

Indexed lookups come first (a document number, a matter number, a USCC, an officer id: each one
unique-index probe); names and titles are matched with a LIKE limited to a page and ordered by id,
so an answer stays quick on a city's database. Matters — by title, by officer, behind a document —
are those of the officer's own department."""

from __future__ import annotations

from typing import Any, cast

import sqlalchemy as sa
from starlette.responses import Response

from zhifa.desk.web import PAGE_SIZE, Page, Pages
from zhifa.engine.statements import matter_view
from zhifa.hooks.types import MatterView
from zhifa.store.tables import Document, Entity, Event, Matter, Officer

pages = Pages()

MATTERS = cast(sa.Table, Matter.__table__)
EVENTS = cast(sa.Table, Event.__table__)
DOCUMENTS = cast(sa.Table, Document.__table__)
ENTITIES = cast(sa.Table, Entity.__table__)
OFFICERS = cast(sa.Table, Officer.__table__)
FEW = 10
MAX_QUERY = 200


def _matters(conn: sa.Connection, query: sa.Select[Any]) -> list[MatterView]:
    return [matter_view(r) for r in conn.execute(query)]


@pages.get("/search", name="search")
def search(p: Page) -> Response:
    q = p.query("q").strip()[:MAX_QUERY]
    page = p.int_query("page", 1, 1)
    dept = p.me.department
    found: dict[str, Any] = {"q": q, "page": page, "more": False}
    if not q:
        return p.render("search.html", found)
    compact = "".join(q.split())
    with p.desk.store.engine.connect() as conn:
        mine = MATTERS.c.department_code == dept
        # a document number: unique index
        docs = conn.execute(
            sa.select(DOCUMENTS.c.id, DOCUMENTS.c.number, DOCUMENTS.c.kind, DOCUMENTS.c.matter_id)
            .join(MATTERS, MATTERS.c.id == DOCUMENTS.c.matter_id)
            .where(DOCUMENTS.c.number == q, mine)
        ).all()
        # a matter number
        number = compact.lstrip("#")
        by_id = (
            _matters(conn, sa.select(MATTERS).where(MATTERS.c.id == int(number), mine))
            if number.isdigit() and len(number) < 12
            else []
        )
        # an entity: its USCC (unique index), else its name
        entities = (
            conn.execute(
                sa.select(ENTITIES.c.id, ENTITIES.c.uscc, ENTITIES.c.name).where(
                    ENTITIES.c.uscc == compact.upper()
                )
            ).all()
            or conn.execute(
                sa.select(ENTITIES.c.id, ENTITIES.c.uscc, ENTITIES.c.name)
                .where(ENTITIES.c.name.contains(q, autoescape=True))
                .order_by(ENTITIES.c.id)
                .limit(FEW)
            ).all()
        )
        # an officer: the id (primary key), else the name; the matters they acted on here
        officers = (
            conn.execute(
                sa.select(OFFICERS.c.id, OFFICERS.c.name, OFFICERS.c.department_code).where(
                    OFFICERS.c.id == q
                )
            ).all()
            or conn.execute(
                sa.select(OFFICERS.c.id, OFFICERS.c.name, OFFICERS.c.department_code)
                .where(OFFICERS.c.name.contains(q, autoescape=True))
                .order_by(OFFICERS.c.id)
                .limit(FEW)
            ).all()
        )
        acted: list[MatterView] = []
        if len(officers) == 1:
            acted = _matters(
                conn,
                sa.select(MATTERS)
                .where(
                    MATTERS.c.id.in_(
                        sa.select(EVENTS.c.matter_id).where(EVENTS.c.actor_id == officers[0].id)
                    ),
                    mine,
                )
                .order_by(MATTERS.c.id.desc())
                .limit(PAGE_SIZE),
            )
        # matter titles, a page at a time
        titled = _matters(
            conn,
            sa.select(MATTERS)
            .where(mine, MATTERS.c.title.contains(q, autoescape=True))
            .order_by(MATTERS.c.id.desc())
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE + 1),
        )
    found.update(
        docs=docs,
        by_id=by_id,
        entities=entities,
        officers=officers,
        acted=acted,
        titled=titled[:PAGE_SIZE],
        more=len(titled) > PAGE_SIZE,
    )
    return p.render("search.html", found)
