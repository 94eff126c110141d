"""Logging in, passwords, personal API tokens, revocation and lockout.

* :func:`login` checks an officer's password and opens a :class:`~zhifa.identity.Session`
  backed by a session credential that expires (``DEFAULT_LIFETIME``). After ``MAX_FAILURES``
  failed logins in a row the officer's password logins are refused for ``LOCKOUT`` from the last
  failure, right password or not; each failure, the lockout and each refused attempt are logged.
* :func:`from_token` turns a token into a session (and logs its use).
* :func:`issue_token` gives the signed-in officer a personal API token with an expiry (at most
  ``MAX_TOKEN_LIFETIME``); the token is shown once, only its hash is kept.
* :func:`set_password` sets an officer's password (their own, or anyone's for an administrator)
  and revokes their open login sessions; :func:`revoke` revokes one credential.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa

from zhifa.errors import AuthError, InputError, LockedOut, NotFoundError
from zhifa.identity import log
from zhifa.identity.admin import administer
from zhifa.identity.secrets import (
    check_password_text,
    hash_password,
    needs_rehash,
    new_secret,
    password_matches,
)
from zhifa.identity.sessions import Session, check, session_of
from zhifa.store import Store
from zhifa.store.tables import Credential, Officer
from zhifa.timekeeping import Clock, SystemClock

MAX_FAILURES = 5
"""Failed password logins in a row after which the officer is locked out."""
LOCKOUT = timedelta(minutes=15)
"""How long a lockout lasts, from the last failed login."""
DEFAULT_LIFETIME = timedelta(hours=12)
"""How long a login session lasts (a working day)."""
MAX_TOKEN_LIFETIME = timedelta(days=366)

CREDENTIALS = cast(sa.Table, Credential.__table__)


def _now(clock: Clock | None) -> datetime:
    return (clock or SystemClock()).now()


def _officer_exists(conn: sa.Connection, officer_id: str) -> bool:
    return conn.scalar(sa.select(Officer.id).where(Officer.id == officer_id)) is not None


def _lock_state(conn: sa.Connection, officer_id: str, at: datetime) -> tuple[int, datetime | None]:
    """Failed logins in a row (since the last success or lockout's end) and when the current
    lockout ends (None: not locked)."""
    rows = conn.execute(
        sa.select(log.ACCESS_LOG.c.what, log.ACCESS_LOG.c.at)
        .where(
            log.ACCESS_LOG.c.officer_id == officer_id,
            log.ACCESS_LOG.c.what.in_(("login", "login_failed", "password_set")),
        )
        .order_by(log.ACCESS_LOG.c.id.desc())
        .limit(MAX_FAILURES)
    ).all()
    failures = 0
    for what, _ in rows:
        if what != "login_failed":
            break
        failures += 1
    if failures >= MAX_FAILURES:
        ends = rows[0].at + LOCKOUT
        if ends > at:
            return failures, ends
        return 0, None  # the lockout is over: the count starts again
    return failures, None


def login(
    store: Store,
    officer_id: str,
    password: str,
    *,
    lifetime: timedelta = DEFAULT_LIFETIME,
    clock: Clock | None = None,
) -> Session:
    """Check ``officer_id``'s password and open a login session; :class:`AuthError` (one
    sentence, the same for an unknown officer and a wrong password) or :class:`LockedOut`."""
    at = _now(clock)
    if not timedelta(minutes=1) <= lifetime <= MAX_TOKEN_LIFETIME:
        raise InputError(
            "a login session lasts between one minute and 366 days; give another lifetime"
        )
    refused: AuthError | None = None
    with store.transaction() as tx:
        conn = tx.connection
        failures, locked_until = _lock_state(conn, officer_id, at)
        if locked_until is not None:
            log.record(conn, "login_refused_locked", at, officer_id=officer_id)
            refused = LockedOut(
                f"officer {officer_id} is locked out after {MAX_FAILURES} failed logins in a row, "
                f"until {locked_until:%Y-%m-%d %H:%M}; try again then, or ask an administrator "
                "to set a new password"
            )
        else:
            row = (
                conn.execute(
                    sa.select(CREDENTIALS).where(
                        CREDENTIALS.c.officer_id == officer_id,
                        CREDENTIALS.c.kind == "password",
                        CREDENTIALS.c.revoked_at.is_(None),
                    )
                ).first()
                if _officer_exists(conn, officer_id)
                else None
            )
            if not password_matches(row.secret_hash if row else None, password):
                log.record(conn, "login_failed", at, officer_id=officer_id)
                if failures + 1 >= MAX_FAILURES:
                    log.record(
                        conn, "locked", at, officer_id=officer_id, detail=f"until {at + LOCKOUT}"
                    )
                refused = AuthError(
                    f"wrong officer id or password for {officer_id!r} (failed logins in a row: "
                    f"{failures + 1} of {MAX_FAILURES} before a {int(LOCKOUT.total_seconds() // 60)}-"
                    "minute lockout); check both, or ask an administrator to set a new password"
                )
            else:
                assert row is not None
                if needs_rehash(row.secret_hash):
                    conn.execute(
                        sa.update(CREDENTIALS)
                        .where(CREDENTIALS.c.id == row.id)
                        .values(secret_hash=hash_password(password))
                    )
                conn.execute(
                    sa.update(CREDENTIALS).where(CREDENTIALS.c.id == row.id).values(last_used_at=at)
                )
                session = _issue(
                    conn, officer_id, "session", "login", at, at + lifetime, officer_id
                )
                log.record(
                    conn,
                    "login",
                    at,
                    officer_id=officer_id,
                    by=officer_id,
                    credential_id=session.credential_id,
                    auth=session.mark,
                )
    if refused is not None:
        raise refused
    return session


def _issue(
    conn: sa.Connection,
    officer_id: str,
    kind: str,
    label: str,
    at: datetime,
    expires_at: datetime,
    by: str,
) -> Session:
    secret, digest = new_secret()
    key = conn.execute(
        sa.insert(CREDENTIALS).values(
            officer_id=officer_id,
            kind=kind,
            secret_hash=digest,
            label=label,
            created_at=at,
            created_by=by,
            expires_at=expires_at,
        )
    ).inserted_primary_key
    assert key is not None
    return Session(officer_id, int(key[0]), kind, expires_at, secret)


def from_token(store: Store, token: str, *, clock: Clock | None = None) -> Session:
    """The session ``token`` proves now; its use is logged. :class:`AuthError` when it proves
    none (wrong, revoked, expired), logged too."""
    at = _now(clock)
    refused: AuthError | None = None
    with store.transaction() as tx:
        conn = tx.connection
        try:
            session = session_of(conn, token, at)
        except AuthError as exc:
            log.record(conn, "token_refused", at, detail=exc.message[:300])
            refused = exc
        else:
            conn.execute(
                sa.update(CREDENTIALS)
                .where(CREDENTIALS.c.id == session.credential_id)
                .values(last_used_at=at)
            )
            log.record(
                conn,
                "token_used",
                at,
                officer_id=session.officer_id,
                by=session.officer_id,
                credential_id=session.credential_id,
                auth=session.mark,
            )
    if refused is not None:
        raise refused
    return session


def issue_token(
    store: Store,
    session: Session,
    *,
    label: str,
    lifetime: timedelta,
    clock: Clock | None = None,
) -> Session:
    """A personal API token for ``session``'s officer, valid for ``lifetime``."""
    at = _now(clock)
    label = label.strip()
    if not label or len(label) > 100:
        raise InputError(
            'give the token a label of 1 to 100 characters (what it is for: "nightly sealing")'
        )
    if not timedelta(minutes=1) <= lifetime <= MAX_TOKEN_LIFETIME:
        raise InputError("a token lasts between one minute and 366 days; give --days within that")
    with store.transaction() as tx:
        conn = tx.connection
        check(conn, session, at)
        token = _issue(
            conn, session.officer_id, "token", label, at, at + lifetime, session.officer_id
        )
        log.record(
            conn,
            "token_issued",
            at,
            officer_id=session.officer_id,
            by=session.officer_id,
            credential_id=token.credential_id,
            auth=session.mark,
            detail=label,
        )
    return token


def set_password(
    store: Store,
    officer_id: str,
    password: str,
    *,
    by: Session | None,
    clock: Clock | None = None,
) -> None:
    """Set ``officer_id``'s password: by that officer's own session, or by an administrator's
    (or by anyone on a store without authentication). Open login sessions of the officer are
    revoked; personal tokens stay."""
    check_password_text(password)
    at = _now(clock)
    digest = hash_password(password)
    with store.transaction() as tx:
        conn = tx.connection
        if not _officer_exists(conn, officer_id):
            raise NotFoundError(
                f"officer {officer_id!r} does not exist; list officers with `zhifa officer list`"
            )
        own = by is not None and by.officer_id == officer_id
        if own:
            assert by is not None
            check(conn, by, at)
            mark: str = by.mark
        else:
            mark = administer(conn, by, f"set the password of officer {officer_id}", at)
        conn.execute(
            sa.update(CREDENTIALS)
            .where(
                CREDENTIALS.c.officer_id == officer_id,
                CREDENTIALS.c.kind.in_(("password", "session")),
                CREDENTIALS.c.revoked_at.is_(None),
            )
            .values(revoked_at=at, revoked_by=by.officer_id if by else None)
        )
        conn.execute(
            sa.insert(CREDENTIALS).values(
                officer_id=officer_id,
                kind="password",
                secret_hash=digest,
                label="password",
                created_at=at,
                created_by=by.officer_id if by else "none",
            )
        )
        log.record(
            conn,
            "password_set",
            at,
            officer_id=officer_id,
            by=by.officer_id if by else None,
            auth=mark,
        )


def revoke(
    store: Store, credential_id: int, *, by: Session | None, clock: Clock | None = None
) -> None:
    """Revoke one credential: one's own, or anyone's for an administrator."""
    at = _now(clock)
    with store.transaction() as tx:
        conn = tx.connection
        row = conn.execute(sa.select(CREDENTIALS).where(CREDENTIALS.c.id == credential_id)).first()
        if row is None:
            raise NotFoundError(
                f"credential #{credential_id} does not exist; list them with `zhifa auth token list`"
            )
        if row.revoked_at is not None:
            raise InputError(
                f"credential #{credential_id} was already revoked on {row.revoked_at:%Y-%m-%d %H:%M}"
            )
        if by is not None and by.officer_id == row.officer_id:
            check(conn, by, at)
            mark = by.mark
        else:
            mark = administer(
                conn, by, f"revoke credential #{credential_id} of officer {row.officer_id}", at
            )
        conn.execute(
            sa.update(CREDENTIALS)
            .where(CREDENTIALS.c.id == credential_id)
            .values(revoked_at=at, revoked_by=by.officer_id if by else None)
        )
        log.record(
            conn,
            "revoked",
            at,
            officer_id=row.officer_id,
            by=by.officer_id if by else None,
            credential_id=credential_id,
            auth=mark,
            detail=row.kind,
        )


@dataclass(frozen=True, slots=True)
class CredentialInfo:
    id: int
    officer_id: str
    kind: str
    label: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    def status(self, at: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= at:
            return "expired"
        return "active"

    def as_dict(self) -> dict[str, Any]:
        def iso(v: datetime | None) -> str | None:
            return v.isoformat() if v else None

        return {
            "id": self.id,
            "officer": self.officer_id,
            "kind": self.kind,
            "label": self.label,
            "created_at": iso(self.created_at),
            "expires_at": iso(self.expires_at),
            "revoked_at": iso(self.revoked_at),
            "last_used_at": iso(self.last_used_at),
        }


def credentials_of(store: Store, officer_id: str | None = None) -> list[CredentialInfo]:
    """Credentials (of ``officer_id``), newest first; never their secrets."""
    query = sa.select(CREDENTIALS).order_by(CREDENTIALS.c.id.desc())
    if officer_id is not None:
        query = query.where(CREDENTIALS.c.officer_id == officer_id)
    with store.engine.connect() as conn:
        return [
            CredentialInfo(
                r.id,
                r.officer_id,
                r.kind,
                r.label,
                r.created_at,
                r.expires_at,
                r.revoked_at,
                r.last_used_at,
            )
            for r in conn.execute(query)
        ]
