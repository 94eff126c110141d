"""Logging in and out of the desk, and the health check.

``POST /login`` checks the officer's password with :func:`zhifa.identity.login` (the lockout after
:data:`~zhifa.identity.MAX_FAILURES` failed logins in a row is the identity module's; its sentence
is shown; besides it, each client address may try :data:`LOGIN_BUCKET` logins, so nobody sprays
guesses across every officer or locks them all out at will), keeps the login session's token in the signed cookie with a fresh CSRF token, and goes
to the page asked for (``next``, only a path on this site). ``POST /logout`` revokes the login
session's credential and empties the cookie. ``GET /health`` answers without a login: whether the
database is reachable, its schema at the migration head, and how many outbox messages wait.
"""

from __future__ import annotations

import contextlib
import secrets
from typing import Any

import sqlalchemy as sa
from starlette.responses import JSONResponse, Response

from zhifa.desk import i18n
from zhifa.desk.limits import Bucket, take
from zhifa.desk.web import Page, Pages, safe_next
from zhifa.errors import AuthError, InputError, ZhifaError
from zhifa.identity import login as identity_login
from zhifa.identity import revoke
from zhifa.store import migrate
from zhifa.store.tables import OutboxMessage

pages = Pages()

LOGIN_BUCKET = Bucket("login", capacity=30, refill_seconds=20.0)
"""Login attempts per client address: 30 at once, then one every 20 seconds (an officer's own
lockout after 5 failures in a row still applies)."""

i18n.add(
    {
        "auth_too_many": (
            "此地址登录尝试过多，请 {minutes} 分钟后再试。",
            "Too many login attempts from this address; try again in {minutes} minute(s).",
        )
    }
)


@pages.get("/login", name="login", public=True)
def login_form(p: Page) -> Response:
    return p.render("login.html", {"next": safe_next(p.query("next")), "officer_id": ""})


@pages.post("/login", name="login_post", public=True)
def login(p: Page) -> Response:
    officer_id = p.value("officer").strip()
    target = safe_next(p.value("next"))
    wait = take(p, LOGIN_BUCKET)
    if wait:
        minutes = max(1, -int(-wait // 60))
        return p.render(
            "login.html",
            {
                "next": target,
                "officer_id": officer_id,
                "error": p.t("auth_too_many", minutes=minutes),
            },
            status=429,
            headers={"retry-after": str(int(wait) + 1)},
        )
    try:
        if not officer_id:
            raise InputError("give your officer id (执法人员编号) and password")
        session = identity_login(
            p.desk.store, officer_id, p.value("password"), clock=p.engine.clock
        )
    except (AuthError, InputError) as exc:
        return p.render(
            "login.html",
            {"next": target, "officer_id": officer_id, "error": exc.message},
            status=401 if isinstance(exc, AuthError) else 400,
        )
    kept = {k: v for k, v in p.request.session.items() if k == "lang"}
    p.request.session.clear()
    p.request.session.update(kept)
    p.request.session["token"] = session.token
    p.request.session["csrf"] = secrets.token_urlsafe(32)
    return p.redirect(target)


@pages.post("/logout", name="logout")
def logout(p: Page) -> Response:
    session = p.actor
    # already revoked or expired: the cookie is emptied all the same
    with contextlib.suppress(ZhifaError):
        revoke(p.desk.store, session.credential_id, by=session, clock=p.engine.clock)
    kept = {k: v for k, v in p.request.session.items() if k == "lang"}
    p.request.session.clear()
    p.request.session.update(kept)
    return p.redirect("/login", flash=p.t("logged_out"))


@pages.get("/health", name="health", public=True)
def health(p: Page) -> Response:
    report: dict[str, Any] = {"database": False, "schema": None, "schema_head": None}
    healthy = False
    store = p.desk.store
    try:
        current = migrate.current_revision(store)
        with store.engine.connect() as conn:
            pending = conn.scalar(
                sa.select(sa.func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.delivered_at.is_(None))
            )
        report.update(
            database=True,
            schema=current,
            schema_head=p.desk.schema_head,
            schema_current=current == p.desk.schema_head,
            outbox_pending=int(pending or 0),
        )
        healthy = current == p.desk.schema_head
    except (ZhifaError, sa.exc.SQLAlchemyError) as exc:
        report["error"] = exc.message if isinstance(exc, ZhifaError) else type(exc).__name__
    report["status"] = "ok" if healthy else "unavailable"
    return JSONResponse(report, status_code=200 if healthy else 503)
