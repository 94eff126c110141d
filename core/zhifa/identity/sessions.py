"""Authenticated sessions, and the check every act makes of them.

A :class:`Session` is what :func:`~zhifa.identity.login` or :func:`~zhifa.identity.from_token`
returns: the officer, the credential behind it and the token itself. Holding a session is not
trusted on its own: :func:`check` reads the credential again in the act's transaction (revoked?
expired? the secret's hash?), so a hand-made or stale session acts for nobody."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from zhifa.errors import AuthError
from zhifa.identity.policy import auth_required
from zhifa.identity.secrets import parse_token, same_secret, token_text
from zhifa.store.tables import Credential

UNAUTHENTICATED = "none"
"""How an act on a store without authentication is marked in its event."""


@dataclass(frozen=True, slots=True)
class Session:
    """An officer proven by a credential: ``kind`` is ``session`` (opened by a password login)
    or ``token`` (a personal API token)."""

    officer_id: str
    credential_id: int
    kind: str
    expires_at: datetime | None
    secret: str = field(repr=False)

    @property
    def token(self) -> str:
        """The token text (``zhifa_ID_SECRET``) to store or hand to ``$ZHIFA_TOKEN``."""
        return token_text(self.credential_id, self.secret)

    @property
    def mark(self) -> str:
        """How acts taken in this session are marked in the record: ``login#ID`` / ``token#ID``."""
        return f"{'login' if self.kind == 'session' else 'token'}#{self.credential_id}"


def credential_problem(row: Any, secret: str, at: datetime) -> str | None:
    """Why the credential ``row`` does not prove anything at ``at`` with ``secret`` (None: it does)."""
    if (
        row is None
        or row.kind not in ("session", "token")
        or not same_secret(row.secret_hash, secret)
    ):
        return "the token is not valid (wrong or unknown); log in again with `zhifa login`"
    what = "login session" if row.kind == "session" else "token"
    if row.revoked_at is not None:
        return (
            f"the {what} #{row.id} of officer {row.officer_id} was revoked on "
            f"{row.revoked_at:%Y-%m-%d %H:%M}; log in again with `zhifa login`"
        )
    if row.expires_at is not None and row.expires_at <= at:
        return (
            f"the {what} #{row.id} of officer {row.officer_id} expired on "
            f"{row.expires_at:%Y-%m-%d %H:%M}; log in again with `zhifa login`"
        )
    return None


def check(conn: sa.Connection, session: Session, at: datetime) -> None:
    """:class:`AuthError` unless ``session``'s credential still proves its officer at ``at``."""
    row = conn.execute(
        sa.select(Credential.__table__).where(Credential.id == session.credential_id)
    ).first()
    if row is not None and row.officer_id != session.officer_id:
        row = None
    problem = credential_problem(row, session.secret, at)
    if problem:
        raise AuthError(problem)


def session_of(conn: sa.Connection, token: str, at: datetime) -> Session:
    """The session ``token`` proves at ``at``; :class:`AuthError` when it proves none."""
    credential_id, secret = parse_token(token)
    row = conn.execute(
        sa.select(Credential.__table__).where(Credential.id == credential_id)
    ).first()
    problem = credential_problem(row, secret, at)
    if problem or row is None:
        raise AuthError(problem or "the token is not valid")
    return Session(row.officer_id, row.id, row.kind, row.expires_at, secret)


class Signed:
    """The sessions an engine acts for, one per officer, and the rule for who acts:

    * a :class:`Session` given as the actor acts for its officer, once checked;
    * an officer id acts through the session held for that officer, once checked;
    * with sessions held, any other officer id is refused (signed in as one officer, you cannot
      act as another);
    * with none, an officer id acts unauthenticated, marked ``none`` — only where the store does
      not require authentication."""

    def __init__(self, sessions: Iterable[Session] = ()) -> None:
        self._by_officer: dict[str, Session] = {}
        for s in sessions:
            self.add(s)

    def add(self, session: Session) -> None:
        if not isinstance(session, Session):
            raise TypeError("sign in with a zhifa.identity.Session (from login or from_token)")
        self._by_officer[session.officer_id] = session

    @property
    def officers(self) -> list[str]:
        return sorted(self._by_officer)

    def session_for(self, officer_id: str) -> Session | None:
        return self._by_officer.get(officer_id)

    def acting(self, conn: sa.Connection, actor: str | Session, at: datetime) -> tuple[str, str]:
        """The officer id that acts and how it is marked in the record."""
        if isinstance(actor, Session):
            check(conn, actor, at)
            return actor.officer_id, actor.mark
        if not isinstance(actor, str):
            raise AuthError(
                f"the actor must be an officer id or a zhifa.identity.Session, not "
                f"{type(actor).__name__}"
            )
        held = self._by_officer.get(actor)
        if held is not None:
            check(conn, held, at)
            return actor, held.mark
        if self._by_officer:
            raise AuthError(
                f"you are signed in as {', '.join(self._by_officer)}, not as {actor}; an officer "
                f"acts only with their own credential — {actor} logs in with `zhifa login`"
            )
        if auth_required(conn):
            raise AuthError(
                f"this database requires every act to be taken by an authenticated officer and "
                f"{actor} has not logged in; run `zhifa login --officer {actor}` or set "
                "$ZHIFA_TOKEN (Python: pass a zhifa.identity.Session as the actor)"
            )
        return actor, UNAUTHENTICATED
