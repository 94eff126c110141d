"""The desk's cookie: a signed session (itsdangerous) holding the officer's credential token, the
CSRF token and the chosen language.

The cookie is signed with the desk's secret (:func:`desk_secret`: ``$ZHIFA_DESK_SECRET``, else one
generated once and kept in the ``settings`` table so that several server processes on one
database share it), ``HttpOnly``, ``SameSite=Lax``, and ``Secure`` when the request came over
https (or always, when the app is told so). Its content is signed, not encrypted: it holds nothing
the officer's browser may not hold (the login session's token is the officer's own credential,
re-checked on every request, and revoked at logout).
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from http.cookies import SimpleCookie
from typing import Any, cast

import sqlalchemy as sa
from itsdangerous import BadSignature, TimestampSigner
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from zhifa.store import Store
from zhifa.store.tables import Setting

ENV_SECRET = "ZHIFA_DESK_SECRET"
"""The environment variable that gives the desk's signing secret."""
SECRET_KEY = "desk_secret"
"""The ``settings`` row that keeps the generated secret."""
COOKIE = "zhifa_desk"
MAX_AGE = 12 * 3600
"""How long a cookie is accepted after it was last set (seconds): a working day, like a login."""

SETTINGS = cast(sa.Table, Setting.__table__)


def desk_secret(store: Store) -> str:
    """The secret the desk signs its cookies with: ``$ZHIFA_DESK_SECRET``, else the one kept in
    the database (generated and stored by the first server that needs it)."""
    given = os.environ.get(ENV_SECRET, "").strip()
    if given:
        return given
    query = sa.select(SETTINGS.c.value).where(SETTINGS.c.key == SECRET_KEY)
    with store.engine.connect() as conn:
        found = conn.scalar(query)
    if found:
        return str(found)
    try:
        with store.engine.begin() as conn:
            conn.execute(
                sa.insert(SETTINGS).values(key=SECRET_KEY, value=secrets.token_urlsafe(48))
            )
    except sa.exc.IntegrityError:
        pass  # another server stored one first: use theirs
    with store.engine.connect() as conn:
        return str(conn.scalar(query))


class CookieSessions:
    """ASGI middleware giving ``request.session`` from the signed cookie and writing it back."""

    def __init__(self, app: ASGIApp, secret: str, *, https_only: bool | None = None) -> None:
        self.app = app
        self.signer = TimestampSigner(secret, salt="zhifa.desk.session")
        self.https_only = https_only

    def _load(self, raw: str | None) -> dict[str, Any]:
        if not raw:
            return {}
        try:
            payload = self.signer.unsign(raw.encode("ascii"), max_age=MAX_AGE)
            data = json.loads(base64.urlsafe_b64decode(payload))
        except (BadSignature, ValueError, UnicodeError):
            return {}
        return data if isinstance(data, dict) else {}

    def _cookie(self, value: str, secure: bool, max_age: int) -> str:
        flags = f"; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax"
        return f"{COOKIE}={value}{flags}{'; Secure' if secure else ''}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        raw: str | None = None
        for name, value in scope.get("headers", ()):
            if name == b"cookie":
                jar: SimpleCookie = SimpleCookie()
                try:
                    jar.load(value.decode("latin-1"))
                except Exception:  # a malformed Cookie header is no session
                    continue
                if COOKIE in jar:
                    raw = jar[COOKIE].value
        had = bool(raw)
        scope["session"] = self._load(raw)
        secure = self.https_only if self.https_only is not None else scope["scheme"] == "https"

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                session = scope["session"]
                if session:
                    text = base64.urlsafe_b64encode(json.dumps(session).encode()).decode("ascii")
                    signed = self.signer.sign(text).decode("ascii")
                    headers.append("set-cookie", self._cookie(signed, secure, MAX_AGE))
                elif had:
                    headers.append("set-cookie", self._cookie("", secure, 0))
            await send(message)

        await self.app(scope, receive, send_with_cookie)
