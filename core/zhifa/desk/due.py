"""``/due``: the running statutory clocks and owed follow-ups of a department, soonest first,
overdue ones included (:meth:`Engine.due`), one page of ``PAGE_SIZE`` read at a time. An officer sees their own department's
list; asking for another department's is refused."""

from __future__ import annotations

from starlette.responses import Response

from zhifa.desk.web import PAGE_SIZE, Page, Pages
from zhifa.errors import PermissionRefused

pages = Pages()


@pages.get("/due", name="due")
def due(p: Page) -> Response:
    me = p.me
    dept = p.query("dept").strip() or me.department
    if dept != me.department:
        raise PermissionRefused(
            f"officer {me.id} belongs to {me.department}, so may not see the deadlines of "
            f"{dept}; ask an officer of {dept}"
        )
    raw_within = p.query("within").strip()
    within = p.int_query("within", 0, 0, 3660) if raw_within else None
    page = p.int_query("page", 1, 1)
    start = (page - 1) * PAGE_SIZE
    # one page read from the stored deadlines (Engine.due pages in SQL), never the whole list
    items = p.engine.due(department=dept, within=within, limit=PAGE_SIZE, offset=start)
    shown = f"{start + 1}–{start + len(items)}" if items else "0"
    return p.render(
        "due.html",
        {
            "dept": dept,
            "within": raw_within,
            "items": items,
            "total": shown + ("+" if items.more else ""),
            "page": page,
            "more": items.more,
        },
    )
