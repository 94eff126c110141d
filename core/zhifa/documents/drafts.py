"""Drafts: a kind not issued yet on a matter, rendered from the record as it stands, marked 草稿
and without a number. A draft is never numbered, kept or registered; it shows what the document
will say when the step that issues it is taken."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import sqlalchemy as sa

from zhifa.documents.issuing import Issuer
from zhifa.documents.kinds import KINDS
from zhifa.documents.render import Source
from zhifa.errors import InputError
from zhifa.hooks.types import MatterView
from zhifa.rules import Violation
from zhifa.workflow.definitions import Definition


def draft(
    issuer: Issuer,
    conn: sa.Connection,
    definition: Definition,
    matter: MatterView,
    kind: str,
    at: datetime,
    catalogue: Mapping[str, Sequence[Violation]] | None = None,
) -> bytes:
    """The draft of ``kind`` for ``matter`` (of workflow ``definition``) as of ``at``."""
    found = KINDS.get(kind)
    if found is None:
        raise InputError(f"there is no document kind {kind!r}; the kinds are {', '.join(KINDS)}")
    issues = [i for i in found.issued_by if i.workflow == matter.workflow]
    if not issues:
        where = ", ".join(sorted({i.workflow for i in found.issued_by}))
        raise InputError(
            f"a {found.label_zh} ({kind}) is issued on {where} matters, and matter {matter.id} "
            f"is a {matter.workflow}; choose a kind its workflow issues"
        )
    triggers = issues[0].triggers
    trigger = next((t for t in reversed(triggers) if t in matter.data), triggers[0])
    src = Source(
        definition=definition,
        trigger=trigger,
        matter_id=matter.id,
        department=matter.department,
        entity_id=matter.entity_id,
        title=matter.title,
        record=matter.data,
        moment=at,
        actor_id="",
        opened_at=matter.opened_at,
        catalogue=catalogue or {},
    )
    return issuer.make(conn, found, src, None, draft=True)
