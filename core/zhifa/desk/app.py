"""The desk's application: :func:`create_app` builds the Starlette app around one
:class:`~zhifa.engine.Engine`.

Every module of :mod:`zhifa.desk` that defines ``pages`` (a :class:`~zhifa.desk.web.Pages`) has
its routes registered, so a new page is a new module and nothing else changes. Around the routes:
the signed session cookie (:mod:`zhifa.desk.sessions`), the security headers, and one log line per
request on the logger ``zhifa.desk.requests`` (request id, officer, method, path, status,
milliseconds; never a password, token or form value).
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import time
import uuid
from importlib.resources import files
from pathlib import Path

import jinja2
from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from zhifa.desk.sessions import CookieSessions, desk_secret
from zhifa.desk.web import Desk, Pages, max_body
from zhifa.engine import Engine
from zhifa.evidence import BlobStore, configured
from zhifa.store import Store, migrate

log = logging.getLogger("zhifa.desk.requests")

SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "content-security-policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
}


class RequestLog:
    """ASGI middleware: a request id (``X-Request-ID``, kept when the client sends a sane one),
    the security headers on every response, and one log line per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        given = dict(scope.get("headers", ())).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if given.isalnum() and len(given) <= 64 else uuid.uuid4().hex[:16]
        status = 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers["x-request-id"] = request_id
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            state = scope.get("state") or {}
            officer = state.get("officer") if isinstance(state, dict) else None
            log.info(
                "%s %s %s",
                scope["method"],
                scope["path"],
                status,
                extra={
                    "request_id": request_id,
                    "officer": officer,
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )


def page_routes() -> list[BaseRoute]:
    """The routes of every module of :mod:`zhifa.desk` that defines ``pages``."""
    import zhifa.desk as package

    routes: list[BaseRoute] = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if info.name.startswith("_") or info.ispkg:
            continue
        module = importlib.import_module(f"zhifa.desk.{info.name}")
        found = getattr(module, "pages", None)
        if isinstance(found, Pages):
            routes.extend(found.routes)
    return routes


def templates() -> jinja2.Environment:
    """The desk's templates (``zhifa/desk/templates``), HTML-escaped."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("zhifa.desk", "templates"),
        autoescape=jinja2.select_autoescape(("html",), default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def create_app(
    db_url: str | None = None,
    *,
    secret: str | None = None,
    engine: Engine | None = None,
    https_only: bool | None = None,
    blobs: BlobStore | None = None,
    max_body_mb: int | None = None,
) -> Starlette:
    """The desk for the database at ``db_url`` (default: ``$ZHIFA_DATABASE_URL``, else
    ``zhifa.db``), or on ``engine`` when given (the app then uses that engine's store, plugins and
    clock). The schema must be at the migration head. ``secret`` signs the cookies (default:
    ``$ZHIFA_DESK_SECRET``, else one kept in the database); ``https_only`` marks the cookie
    ``Secure`` always (True), never (False) or when the request came over https (None);
    ``max_body_mb`` is the largest request body read (default ``$ZHIFA_DESK_MAX_BODY_MB``, else
    :data:`~zhifa.desk.web.DEFAULT_MAX_BODY_MB`)."""
    if engine is None:
        store = Store(db_url)
        store.ping()
        migrate.require_current(store)
        engine = Engine(store)
    else:
        migrate.require_current(engine.store)
    evidence = blobs or getattr(engine, "evidence", None) or configured(engine.store.url)
    desk = Desk(
        engine=engine,
        templates=templates(),
        blobs=evidence,
        schema_head=migrate.head_revision(engine.store),
        max_body=max_body_mb * 1024 * 1024 if max_body_mb else max_body(),
    )
    static = Path(str(files("zhifa.desk") / "static"))
    routes = [*page_routes(), Mount("/static", StaticFiles(directory=static), name="static")]
    app = Starlette(routes=routes)
    app.state.desk = desk
    app.add_middleware(
        CookieSessions, secret=secret or desk_secret(engine.store), https_only=https_only
    )
    app.add_middleware(RequestLog)
    return app
