"""Administrative acts and the first administrator.

Adding departments, officers, roles and credentials is an administrative act: where the store
requires authentication it needs a session of an officer holding the ``admin`` role, and every
act is logged with who did it and how they were authenticated (on a store without
authentication it is logged as ``none``). The first administrator is made by :func:`bootstrap`,
which only the database owner can run: on PostgreSQL the role that owns zhifa's tables (or a
superuser), on SQLite whoever can write the file."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import cast

import sqlalchemy as sa

from zhifa.errors import AuthError, InputError
from zhifa.identity import log
from zhifa.identity.policy import auth_required
from zhifa.identity.sessions import UNAUTHENTICATED, Session, check
from zhifa.store import Store
from zhifa.store.tables import Credential, Officer, OfficerVersion
from zhifa.timekeeping import Clock, SystemClock

ADMIN = "admin"


def administer(conn: sa.Connection, by: Session | None, what: str, at: datetime) -> str:
    """Check that ``by`` may do the administrative act ``what`` and log it; the mark of how
    ``by`` was authenticated comes back. :class:`AuthError` when it may not."""
    if by is None:
        if auth_required(conn):
            raise AuthError(
                f"to {what} you must be logged in as an administrator (an officer holding the "
                "admin role): run `zhifa login --officer ID` first"
            )
        log.record(conn, "admin", at, auth=UNAUTHENTICATED, detail=what)
        return UNAUTHENTICATED
    check(conn, by, at)
    roles = conn.scalar(sa.select(Officer.roles).where(Officer.id == by.officer_id)) or ""
    if ADMIN not in roles.split(","):
        raise AuthError(
            f"officer {by.officer_id} does not hold the admin role, so may not {what}; ask an "
            "administrator"
        )
    log.record(conn, "admin", at, by=by.officer_id, auth=by.mark, detail=what)
    return by.mark


def require_admin(store: Store, by: Session | None, what: str, clock: Clock | None = None) -> None:
    """:class:`AuthError` unless ``by`` may do ``what`` (an administrator's session, or none
    needed on a store without authentication); nothing is logged."""
    at = (clock or SystemClock()).now()
    with store.engine.connect() as conn:
        if by is None:
            if auth_required(conn):
                raise AuthError(
                    f"to {what} you must be logged in as an administrator (an officer holding "
                    "the admin role): run `zhifa login --officer ID` first"
                )
            return
        check(conn, by, at)
        roles = conn.scalar(sa.select(Officer.roles).where(Officer.id == by.officer_id)) or ""
        if ADMIN not in roles.split(","):
            raise AuthError(
                f"officer {by.officer_id} does not hold the admin role, so may not {what}; ask "
                "an administrator"
            )


@contextmanager
def administering(
    store: Store, by: Session | None, what: str, clock: Clock | None = None
) -> Iterator[str]:
    """Check ``by`` may do ``what``, run the block, then log the act (only when it succeeded)."""
    require_admin(store, by, what, clock)
    yield by.mark if by is not None else UNAUTHENTICATED
    with store.transaction() as tx:
        administer(tx.connection, by, what, (clock or SystemClock()).now())


def is_owner(conn: sa.Connection) -> bool:
    """Whether the connection is the database owner's: any SQLite connection (file access is
    ownership); on PostgreSQL the owner of the ``officers`` table or a superuser."""
    if conn.dialect.name == "sqlite":
        return True
    row = conn.execute(
        sa.text(
            "SELECT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser, "
            "(SELECT tableowner FROM pg_tables WHERE tablename = 'officers' "
            "AND schemaname = current_schema()) = current_user AS owner"
        )
    ).one()
    return bool(row.superuser or row.owner)


def bootstrap(
    store: Store,
    officer_id: str,
    password: str,
    *,
    clock: Clock | None = None,
) -> None:
    """Give the existing officer ``officer_id`` the admin role and a password, as the database
    owner. :class:`AuthError` when the connection is not the owner's."""
    from zhifa.identity.secrets import check_password_text, hash_password

    check_password_text(password)
    at = (clock or SystemClock()).now()
    digest = hash_password(password)
    with store.transaction() as tx:
        conn = tx.connection
        if not is_owner(conn):
            raise AuthError(
                "only the database owner can create the first administrator: connect with the "
                "owner's role (the one that ran `zhifa db upgrade`), not the application's"
            )
        roles = conn.scalar(sa.select(Officer.roles).where(Officer.id == officer_id))
        if roles is None:
            raise InputError(
                f"officer {officer_id!r} does not exist; add the officer with `zhifa officer add` "
                "first (as the owner), then run the bootstrap"
            )
        held = sorted({*roles.split(","), ADMIN} - {""})
        officers = cast(sa.Table, Officer.__table__)
        conn.execute(
            sa.update(officers).where(officers.c.id == officer_id).values(roles=",".join(held))
        )
        last = conn.execute(
            sa.select(cast(sa.Table, OfficerVersion.__table__))
            .where(OfficerVersion.officer_id == officer_id)
            .order_by(OfficerVersion.valid_from.desc(), OfficerVersion.id.desc())
            .limit(1)
        ).first()
        if last is not None and last.roles != ",".join(held):
            conn.execute(
                sa.insert(cast(sa.Table, OfficerVersion.__table__)).values(
                    officer_id=officer_id,
                    name=last.name,
                    department_code=last.department_code,
                    roles=",".join(held),
                    certificate_no=last.certificate_no,
                    certificate_valid_from=last.certificate_valid_from,
                    certificate_valid_to=last.certificate_valid_to,
                    valid_from=max(at, last.valid_from),
                    recorded_by="auth bootstrap",
                )
            )
        credentials = cast(sa.Table, Credential.__table__)
        conn.execute(
            sa.update(credentials)
            .where(
                credentials.c.officer_id == officer_id,
                credentials.c.kind.in_(("password", "session")),
                credentials.c.revoked_at.is_(None),
            )
            .values(revoked_at=at, revoked_by="owner")
        )
        conn.execute(
            sa.insert(credentials).values(
                officer_id=officer_id,
                kind="password",
                secret_hash=digest,
                label="password",
                created_at=at,
                created_by="owner",
            )
        )
        log.record(conn, "bootstrap", at, officer_id=officer_id, by="owner", auth="owner")
