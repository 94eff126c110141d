"""The register of issued documents: :func:`issued`, :func:`find`, :func:`search`, and who may
read them (:func:`may_read`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa

from zhifa.documents.kinds import KINDS
from zhifa.errors import AuthError, InputError, NotFoundError, PermissionRefused
from zhifa.identity import Session
from zhifa.identity.policy import auth_required
from zhifa.identity.sessions import check
from zhifa.store.tables import Document, Matter, Officer

DOCUMENTS = cast(sa.Table, Document.__table__)
MAX_SEARCH = 1000
_YEAR = re.compile(r"[\[(（]\s*(\d{4})\s*[\])）]")


@dataclass(frozen=True, slots=True)
class IssuedDocument:
    """A document issued at a step; its bytes are ``engine.evidence.get(sha256)``."""

    id: int
    matter_id: int
    event_id: int | None
    kind: str
    label: str
    number: str | None
    sha256: str
    size: int
    issued_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "matter_id": self.matter_id,
            "event_id": self.event_id,
            "kind": self.kind,
            "label": self.label,
            "number": self.number,
            "sha256": self.sha256,
            "size": self.size,
            "issued_at": self.issued_at.isoformat(),
        }


def _doc(row: Any) -> IssuedDocument:
    kind = KINDS.get(row.kind)
    return IssuedDocument(
        id=row.id,
        matter_id=row.matter_id,
        event_id=row.event_id,
        kind=row.kind,
        label=kind.label_zh if kind is not None else row.kind,
        number=row.number,
        sha256=row.sha256,
        size=row.size,
        issued_at=row.issued_at,
    )


_SELECT = sa.select(
    DOCUMENTS.c.id,
    DOCUMENTS.c.matter_id,
    DOCUMENTS.c.event_id,
    DOCUMENTS.c.kind,
    DOCUMENTS.c.number,
    DOCUMENTS.c.sha256,
    DOCUMENTS.c.size,
    DOCUMENTS.c.issued_at,
)


def issued(conn: sa.Connection, matter_id: int) -> list[IssuedDocument]:
    """The documents issued on ``matter_id``, in the order they were issued."""
    rows = conn.execute(_SELECT.where(DOCUMENTS.c.matter_id == matter_id).order_by(DOCUMENTS.c.id))
    return [_doc(r) for r in rows]


def normal_number(text: str) -> str:
    """``text`` with its year in 〔〕 whatever brackets it was typed with ([2026], (2026), （2026）)
    and without spaces."""
    return _YEAR.sub(r"〔\1〕", "".join(text.split()))


def find(conn: sa.Connection, number: str) -> IssuedDocument | None:
    """The document with exactly ``number`` (its year may be typed in ASCII brackets)."""
    row = conn.execute(_SELECT.where(DOCUMENTS.c.number == normal_number(number))).first()
    return _doc(row) if row is not None else None


def search(conn: sa.Connection, text: str, limit: int) -> list[IssuedDocument]:
    """Up to ``limit`` documents whose number contains ``text``, newest first."""
    needle = normal_number(text)
    if not needle:
        raise InputError("say what to look for: part of a document number, such as 处罚〔2026〕")
    if not 1 <= limit <= MAX_SEARCH:
        raise InputError(f"limit must be between 1 and {MAX_SEARCH}, not {limit}")
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows = conn.execute(
        _SELECT.where(DOCUMENTS.c.number.like(f"%{escaped}%", escape="\\"))
        .order_by(DOCUMENTS.c.id.desc())
        .limit(limit)
    )
    return [_doc(r) for r in rows]


def may_read(conn: sa.Connection, viewer: Session | None, matter_id: int, at: datetime) -> None:
    """Whether ``viewer`` may read the documents of ``matter_id``: on a store that requires
    authentication, only a signed-in officer of the matter's department; elsewhere anyone."""
    department = conn.scalar(sa.select(Matter.department_code).where(Matter.id == matter_id))
    if department is None:
        raise NotFoundError(
            f"matter {matter_id} does not exist; list matters with `zhifa matter list`"
        )
    if viewer is None:
        if auth_required(conn):
            raise AuthError(
                "this database shows documents only to a signed-in officer of the matter's "
                "department: run `zhifa login --officer ID` first"
            )
        return
    check(conn, viewer, at)
    own = conn.scalar(sa.select(Officer.department_code).where(Officer.id == viewer.officer_id))
    if own != department:
        raise PermissionRefused(
            f"officer {viewer.officer_id} may not read the documents of matter {matter_id}",
            [
                f"the matter belongs to {department} and the officer to {own}; officers read "
                "the documents of their own department's matters"
            ],
        )
