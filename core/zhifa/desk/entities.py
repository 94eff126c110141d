"""``/entities/{uscc or id}``: a market entity's file (一户一档) — the entity, its matters, credit
records, the class its department's scheme gives now and the classes stored — read with
:func:`zhifa.credit.entity_file`, as ``zhifa entity show`` does. The matters of other departments
are counted, not listed: an officer sees the matters of their own department."""

from __future__ import annotations

from starlette.responses import Response

from zhifa.credit import entity_file
from zhifa.desk.web import Page, Pages

pages = Pages()


@pages.get("/entities/{key}", name="entity")
def entity(p: Page) -> Response:
    key = str(p.request.path_params["key"])
    me = p.me
    scheme = p.engine.plugins.credit_scheme(me.department)
    now = p.engine.clock.now()
    found = entity_file(p.desk.store, key, scheme, now.date(), now)
    mine = [m for m in found.matters if m.department == me.department]
    return p.render(
        "entity.html",
        {"f": found, "e": found.entity, "matters": mine, "others": len(found.matters) - len(mine)},
    )
