"""Who acts (身份认证): officers' credentials, authenticated sessions, the access log.

An officer proves who they are with a password (kept as an argon2id hash) or a personal API
token (kept as the SHA-256 of its secret part; revocable, with an expiry). A password login opens
a :class:`Session` backed by a short-lived session credential; a token is a session of its own.
The engine re-checks the session's credential in the transaction of every step, opening and draw,
so a session revoked or expired a moment ago acts no more.

Against PostgreSQL, and against an SQLite store where ``zhifa auth enable`` switched it on, every
act needs a session (:func:`policy.auth_required`). An SQLite store may run without: its events
are then marked ``none`` and ``zhifa audit verify`` counts them. Administration (departments,
officers, roles, credentials) needs an officer holding the ``admin`` role; the first one is made
by whoever holds the database owner's connection (:func:`admin.bootstrap`).

Modules:

* :mod:`~zhifa.identity.secrets` — hashing and checking passwords and tokens;
* :mod:`~zhifa.identity.sessions` — :class:`Session`, the credential check, :class:`Signed`
  (the sessions an engine acts for);
* :mod:`~zhifa.identity.policy` — whether a store requires authentication;
* :mod:`~zhifa.identity.log` — the append-only access log;
* :mod:`~zhifa.identity.credentials` — login, passwords, tokens, revocation, lockout;
* :mod:`~zhifa.identity.admin` — administrative acts and the first administrator.
"""

from __future__ import annotations

from zhifa.identity import log
from zhifa.identity.admin import administer, administering, bootstrap, is_owner, require_admin
from zhifa.identity.credentials import (
    LOCKOUT,
    MAX_FAILURES,
    CredentialInfo,
    credentials_of,
    from_token,
    issue_token,
    login,
    revoke,
    set_password,
)
from zhifa.identity.log import AccessRecord, access_log
from zhifa.identity.policy import auth_required, set_auth
from zhifa.identity.sessions import UNAUTHENTICATED, Session, Signed

__all__ = [
    "LOCKOUT",
    "MAX_FAILURES",
    "UNAUTHENTICATED",
    "AccessRecord",
    "CredentialInfo",
    "Session",
    "Signed",
    "access_log",
    "administer",
    "administering",
    "auth_required",
    "bootstrap",
    "credentials_of",
    "from_token",
    "is_owner",
    "issue_token",
    "log",
    "login",
    "require_admin",
    "revoke",
    "set_auth",
    "set_password",
]
