"""What every desk page is built with: the :class:`Desk` the app holds, a :class:`Pages` collection
of routes per module, and the :class:`Page` a handler receives.

A page module declares its routes with a :class:`Pages` named ``pages``::

    from zhifa.desk.web import Page, Pages

    pages = Pages()

    @pages.get("/plans", name="plans")
    def plans(p: Page) -> Response:
        return p.render("plans/list.html", {"plans": ...})

and :func:`zhifa.desk.app.create_app` registers the ``pages`` of every module listed in
:data:`zhifa.desk.app.PAGE_MODULES`. Each handler is a plain function run in a worker thread (so it
may call the engine); before it runs:

* an officer page (the default) makes sure an officer is logged in — the credential token kept in
  the cookie is checked against the database on every request, so a revoked or expired login acts
  no more — and redirects to ``/login?next=…`` otherwise; ``public=True`` pages need no login;
* a POST body larger than the desk's limit (:func:`max_body`, ``$ZHIFA_DESK_MAX_BODY_MB``, default
  :data:`DEFAULT_MAX_BODY_MB` MB; a route may set a smaller ``max_body``) is refused with 413 —
  when declared, before a byte is read; when sent without a length, as soon as it passes the limit
  — and a form with more than :data:`MAX_UPLOAD_FILES` files or :data:`MAX_FORM_FIELDS` fields
  with 413 and the sentence saying so;
* every POST must carry the session's CSRF token in the ``csrf_token`` field, else the request is
  refused with 403 and the handler does not run;
* a :class:`~zhifa.errors.ZhifaError` the handler lets through becomes an error page with its
  one sentence (404 for :class:`~zhifa.errors.NotFoundError`, 403 for a permission, 400 for bad
  input, 409 for a refusal), an :class:`~zhifa.errors.AuthError` a redirect to the login page.
"""

from __future__ import annotations

import hmac
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import jinja2
import sqlalchemy as sa
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import Message

from zhifa.desk import i18n
from zhifa.engine import Engine
from zhifa.engine.actors import officer as read_officer
from zhifa.errors import (
    AuthError,
    BodyTooLarge,
    ConflictError,
    InputError,
    NotFoundError,
    PermissionRefused,
    RefusedError,
    ZhifaError,
)
from zhifa.evidence import BlobStore
from zhifa.hooks.types import Actor, MatterView
from zhifa.identity import Session
from zhifa.identity.sessions import session_of
from zhifa.store import Store
from zhifa.workflow.definitions import Label

CSRF_FIELD = "csrf_token"
"""The hidden form field every POST carries (``{{ csrf_field() }}`` in a template)."""
MAX_UPLOAD_FILES = 20
MAX_FORM_FIELDS = 500
PAGE_SIZE = 25
MAX_BODY_ENV = "ZHIFA_DESK_MAX_BODY_MB"
"""The environment variable that sets the largest request body the desk reads (whole MB)."""
DEFAULT_MAX_BODY_MB = 120
"""The default limit: two files at the default evidence policy's 50 MB, and the form around them."""


def max_body() -> int:
    """The largest request body the desk reads, in bytes: ``$ZHIFA_DESK_MAX_BODY_MB`` MB, else
    :data:`DEFAULT_MAX_BODY_MB`; :class:`InputError` when the setting is not a whole number ≥ 1."""
    raw = os.environ.get(MAX_BODY_ENV, "").strip()
    if not raw:
        return DEFAULT_MAX_BODY_MB * 1024 * 1024
    if not raw.isdigit() or int(raw) < 1:
        raise InputError(
            f"${MAX_BODY_ENV} must be a whole number of megabytes, at least 1, got {raw!r}; e.g. "
            f"{MAX_BODY_ENV}={DEFAULT_MAX_BODY_MB}"
        )
    return int(raw) * 1024 * 1024


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:g} MB" if n >= 1024 * 1024 else f"{n // 1024} KB"


async def _read_form(
    request: Request, limit: int, too_large_key: str = "body_too_large"
) -> FormData | str | None:
    """The posted form; None when the body is malformed (then answered like a missing token);
    the sentence (in the page's language) when it is too large, or holds too many files or
    fields."""
    lang = language(request)
    too_large = i18n.text(too_large_key, lang, size=_size(limit))
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return too_large
    received = 0
    upstream = request.receive

    async def counted() -> Message:
        nonlocal received
        message = await upstream()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge(too_large)
        return message

    limited = Request(request.scope, counted)
    try:
        form = await limited.form(max_files=MAX_UPLOAD_FILES, max_fields=MAX_FORM_FIELDS)
    except BodyTooLarge:
        return too_large
    except HTTPException as exc:  # starlette's multipart limits and malformed bodies
        if "Too many" in str(exc.detail):
            return i18n.text("too_many_parts", lang, files=MAX_UPLOAD_FILES, fields=MAX_FORM_FIELDS)
        return None
    except Exception:  # a malformed body: answered like a missing token
        return None
    return form


@dataclass
class Desk:
    """What the app holds for its pages: one engine (and its store), the evidence store, the
    templates, the schema head the health check compares with."""

    engine: Engine
    templates: jinja2.Environment
    blobs: BlobStore
    schema_head: str
    extras: dict[str, Any] = field(default_factory=dict)
    max_body: int = DEFAULT_MAX_BODY_MB * 1024 * 1024
    """The largest request body read (bytes): :func:`max_body` when the app is made."""

    @property
    def store(self) -> Store:
        return self.engine.store


def may_see(officer: Actor, matter: MatterView) -> bool:
    """Whether ``officer`` may see ``matter`` on the desk: an officer works on the matters of
    their own department, the same condition the engine puts on every step
    (:func:`zhifa.engine.actors.permission_problems`)."""
    return officer.department == matter.department


def safe_next(target: str | None) -> str:
    """``target`` when it is a path on this site (``/…``), else ``/``: the login page never
    redirects elsewhere."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(ord(c) < 32 for c in target)
    ):
        return "/"
    return target


def login_url(request: Request) -> str:
    """``/login?next=`` the page asked for."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return "/login?" + urlencode({"next": here})


def csrf_token(request: Request) -> str:
    """The session's CSRF token (made on first use)."""
    token = request.session.get("csrf")
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def csrf_ok(request: Request, form: FormData | None) -> bool:
    """Whether ``form`` carries the session's CSRF token (compared in constant time)."""
    expected = request.session.get("csrf")
    given = form.get(CSRF_FIELD) if form is not None else None
    if not isinstance(expected, str) or not expected or not isinstance(given, str):
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


def language(request: Request) -> str:
    """The page's language: ``?lang=`` (remembered in the session), else the remembered one."""
    asked = request.query_params.get("lang")
    if asked in i18n.LANGS:
        request.session["lang"] = asked
        return asked
    kept = request.session.get("lang")
    return kept if kept in i18n.LANGS else i18n.DEFAULT


def authenticate(desk: Desk, request: Request) -> tuple[Session, Actor] | None:
    """The logged-in officer's session (its credential checked now) and record, or None; a
    cookie whose credential proves nothing any more is emptied."""
    token = request.session.get("token")
    if not isinstance(token, str) or not token:
        return None
    with desk.store.engine.connect() as conn:
        try:
            session = session_of(conn, token, desk.engine.clock.now())
            officer = read_officer(conn, session.officer_id)
        except (AuthError, NotFoundError) as exc:
            lang = request.session.get("lang")
            request.session.clear()
            request.session["flash"] = exc.message
            if lang in i18n.LANGS:
                request.session["lang"] = lang
            return None
    return session, officer


@dataclass
class Page:
    """A request as a handler sees it. ``session`` and ``officer`` are set on officer pages."""

    request: Request
    desk: Desk
    lang: str
    form: FormData | None = None
    session: Session | None = None
    officer: Actor | None = None

    # -- who ------------------------------------------------------------------------------

    @property
    def engine(self) -> Engine:
        return self.desk.engine

    @property
    def actor(self) -> Session:
        """The logged-in officer's session: the actor of every step taken on this page."""
        if self.session is None:
            raise AuthError("this page needs a logged-in officer; log in first")
        return self.session

    @property
    def me(self) -> Actor:
        """The logged-in officer's record (department, roles, certificate)."""
        if self.officer is None:
            raise AuthError("this page needs a logged-in officer; log in first")
        return self.officer

    def matter(self, matter_id: int) -> MatterView:
        """The matter, if this officer may see it; :class:`NotFoundError` otherwise — the same
        sentence whether it does not exist or belongs to another department."""
        try:
            view = self.engine.load(matter_id)
        except NotFoundError:
            view = None
        if view is None or not may_see(self.me, view):
            raise NotFoundError(
                f"matter {matter_id} does not exist or belongs to another department; "
                "check the number, or ask its department"
            )
        return view

    # -- input ----------------------------------------------------------------------------

    def value(self, name: str, default: str = "") -> str:
        """A text field of the posted form (``default`` when absent)."""
        if self.form is None:
            return default
        got = self.form.get(name)
        return got if isinstance(got, str) else default

    def values(self, name: str) -> list[str]:
        """Every text value of a repeated form field."""
        if self.form is None:
            return []
        return [v for v in self.form.getlist(name) if isinstance(v, str)]

    def files(self, name: str) -> list[UploadFile]:
        """The files uploaded in form field ``name`` (empty file inputs left out)."""
        if self.form is None:
            return []
        return [f for f in self.form.getlist(name) if isinstance(f, UploadFile) and f.filename]

    def query(self, name: str, default: str = "") -> str:
        return self.request.query_params.get(name, default)

    def int_query(self, name: str, default: int, minimum: int = 0, maximum: int = 10_000) -> int:
        """A whole-number query parameter within bounds; :class:`InputError` otherwise."""
        raw = self.request.query_params.get(name, "").strip()
        if not raw:
            return default
        try:
            number = int(raw)
        except ValueError:
            raise InputError(
                f"{name} must be a whole number, got {raw!r}; e.g. {name}={default}"
            ) from None
        if not minimum <= number <= maximum:
            raise InputError(
                f"{name} must be between {minimum} and {maximum}, got {number}; e.g. "
                f"{name}={default}"
            )
        return number

    # -- output ---------------------------------------------------------------------------

    def t(self, key: str, **values: object) -> str:
        """The desk's word ``key`` in the page's language."""
        return i18n.text(key, self.lang, **values)

    def label(self, value: Label | str) -> str:
        """A definition's label in the page's language."""
        return i18n.label(value, self.lang)

    def lang_url(self, lang: str) -> str:
        """This page in another language."""
        params = [(k, v) for k, v in self.request.query_params.multi_items() if k != "lang"]
        params.append(("lang", lang))
        return f"{self.request.url.path}?{urlencode(params)}"

    def page_url(self, page: int) -> str:
        """This page's URL with ``page`` set (for paginated lists)."""
        params = [(k, v) for k, v in self.request.query_params.multi_items() if k != "page"]
        params.append(("page", str(page)))
        return f"{self.request.url.path}?{urlencode(params)}"

    def render(
        self,
        template: str,
        context: Mapping[str, Any] | None = None,
        *,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> HTMLResponse:
        """``template`` (under ``zhifa/desk/templates``) rendered with ``context``; every template
        also sees ``p`` (this page), ``t`` (words), ``label``, ``csrf_field()`` and ``flash``."""
        flash = self.request.session.pop("flash", None)
        token = csrf_token(self.request)
        html = self.desk.templates.get_template(template).render(
            {
                "p": self,
                "t": self.t,
                "label": self.label,
                "lang": self.lang,
                "officer": self.officer,
                "csrf_token": token,
                "csrf_field": lambda: Markup(
                    f'<input type="hidden" name="{CSRF_FIELD}" value="{token}">'
                ),
                "flash": flash,
                **(context or {}),
            }
        )
        out = HTMLResponse(html, status_code=status, headers=dict(headers or {}))
        if self.officer is not None:
            out.headers["cache-control"] = "no-store"
        return out

    def redirect(self, url: str, *, flash: str | None = None) -> RedirectResponse:
        """A 303 redirect to ``url`` on this site, with a message for the next page."""
        if flash:
            self.request.session["flash"] = flash
        return RedirectResponse(safe_next(url), status_code=303)

    def error(self, exc: ZhifaError, status: int | None = None) -> Response:
        """An error page with the error's one sentence and its details."""
        return self.render(
            "error.html",
            {"message": exc.message, "details": exc.details()},
            status=status or status_of(exc),
        )


def status_of(exc: ZhifaError) -> int:
    """The HTTP status of an error the handler let through."""
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, PermissionRefused):
        return 403
    if isinstance(exc, ConflictError | RefusedError):
        return 409
    if isinstance(exc, InputError):
        return 400
    if isinstance(exc, AuthError):
        return 401
    return 500


Handler = Callable[[Page], Response]


class Pages:
    """The routes of one page module (see the module docstring)."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def get(
        self, path: str, *, name: str | None = None, public: bool = False
    ) -> Callable[[Handler], Handler]:
        return self.route(path, ("GET",), name=name, public=public)

    def post(
        self,
        path: str,
        *,
        name: str | None = None,
        public: bool = False,
        max_body: int | None = None,
        too_large: str = "body_too_large",
    ) -> Callable[[Handler], Handler]:
        """A POST route; ``max_body`` (bytes) lowers the desk's body limit for it, and
        ``too_large`` is the key of the desk word (:mod:`zhifa.desk.i18n`, ``{size}`` filled in)
        that refuses a larger body."""
        return self.route(
            path, ("POST",), name=name, public=public, max_body=max_body, too_large=too_large
        )

    def route(
        self,
        path: str,
        methods: tuple[str, ...],
        *,
        name: str | None = None,
        public: bool = False,
        max_body: int | None = None,
        too_large: str = "body_too_large",
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            async def endpoint(request: Request) -> Response:
                form: FormData | None = None
                if request.method == "POST":
                    desk: Desk = request.app.state.desk
                    limit = min(desk.max_body, max_body or desk.max_body)
                    got = await _read_form(request, limit, too_large)
                    if isinstance(got, str):
                        page = Page(request, desk, language(request))
                        return page.render(
                            "error.html",
                            {"message": got},
                            status=413,
                            headers={"connection": "close"},
                        )
                    form = got
                try:
                    return await run_in_threadpool(_run, handler, request, form, public)
                finally:
                    if form is not None:
                        await form.close()

            self.routes.append(
                Route(path, endpoint, methods=list(methods), name=name or handler.__name__)
            )
            return handler

        return register


def _run(handler: Handler, request: Request, form: FormData | None, public: bool) -> Response:
    desk: Desk = request.app.state.desk
    lang = language(request)
    page = Page(request, desk, lang, form)
    if not public:
        found = authenticate(desk, request)
        if found is None:
            if request.method == "POST":
                return RedirectResponse(login_url_for_post(request), status_code=303)
            return RedirectResponse(login_url(request), status_code=303)
        page.session, page.officer = found
        request.state.officer = page.officer.id
    if request.method == "POST" and not csrf_ok(request, form):
        return page.render(
            "error.html",
            {
                "message": page.t("csrf_refused"),
                "details": [],
            },
            status=403,
        )
    try:
        return handler(page)
    except AuthError as exc:
        if page.session is not None:
            request.session.pop("token", None)
        request.session["flash"] = exc.message
        return RedirectResponse(login_url(request), status_code=303)
    except ZhifaError as exc:
        return page.error(exc)


def login_url_for_post(request: Request) -> str:
    """Where a logged-out POST goes: the login page, then back to the page the form was on."""
    referer = request.headers.get("referer", "")
    parts = urlsplit(referer)
    back = parts.path + (f"?{parts.query}" if parts.query else "")
    same_site = parts.netloc in ("", request.url.netloc)
    return "/login?" + urlencode({"next": safe_next(back if same_site else "/")})


def officers_of(desk: Desk, department: str) -> list[tuple[str, str]]:
    """(id, name) of the officers of ``department``, by id (for officer fields' choices)."""
    from zhifa.store.tables import Officer

    with desk.store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(Officer.id, Officer.name)
            .where(Officer.department_code == department)
            .order_by(Officer.id)
        ).all()
    return [(r.id, r.name) for r in rows]
