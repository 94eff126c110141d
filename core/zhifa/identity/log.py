"""The access log: logins, failed logins, lockouts, token use, credentials issued and revoked,
administrative acts. Written in the transaction of what it records (a refused login's entry in
a transaction of its own, committed before the refusal is raised); append-only in the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa

from zhifa.store import Store
from zhifa.store.tables import AccessEntry

ACCESS_LOG = cast(sa.Table, AccessEntry.__table__)

WHAT = {
    "login": "password login",
    "login_failed": "failed password login",
    "locked": "password logins locked after repeated failures",
    "login_refused_locked": "password login while locked",
    "token_used": "token used",
    "token_refused": "token refused",
    "token_issued": "token issued",
    "revoked": "credential revoked",
    "password_set": "password set",
    "admin": "administrative act",
    "bootstrap": "administrator created by the database owner",
    "auth_switched": "authentication switched on or off",
}


def record(
    conn: sa.Connection,
    what: str,
    at: datetime,
    *,
    officer_id: str | None = None,
    by: str | None = None,
    credential_id: int | None = None,
    auth: str = "none",
    detail: str = "",
) -> None:
    assert what in WHAT, what
    conn.execute(
        sa.insert(ACCESS_LOG).values(
            at=at,
            what=what,
            officer_id=officer_id[:32] if officer_id else officer_id,
            by=by,
            credential_id=credential_id,
            auth=auth,
            detail=detail,
        )
    )


@dataclass(frozen=True, slots=True)
class AccessRecord:
    id: int
    at: datetime
    what: str
    officer_id: str | None
    by: str | None
    credential_id: int | None
    auth: str
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "what": self.what,
            "officer": self.officer_id,
            "by": self.by,
            "credential": self.credential_id,
            "auth": self.auth,
            "detail": self.detail,
        }


def access_log(
    store: Store, *, officer: str | None = None, what: str | None = None, limit: int = 100
) -> list[AccessRecord]:
    """The newest ``limit`` entries, newest first (of ``officer`` and of kind ``what``)."""
    query = sa.select(ACCESS_LOG).order_by(ACCESS_LOG.c.id.desc()).limit(limit)
    if officer is not None:
        query = query.where(sa.or_(ACCESS_LOG.c.officer_id == officer, ACCESS_LOG.c.by == officer))
    if what is not None:
        query = query.where(ACCESS_LOG.c.what == what)
    with store.engine.connect() as conn:
        return [
            AccessRecord(r.id, r.at, r.what, r.officer_id, r.by, r.credential_id, r.auth, r.detail)
            for r in conn.execute(query)
        ]
