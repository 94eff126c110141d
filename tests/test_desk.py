"""The desk's app, login and security over HTTP (Starlette's TestClient): redirects when logged
out, no open redirect, the session cookie's flags, CSRF on every POST, lockout at its boundary, a
revoked login acting no more, logout, language, the health check, and the same login and one step
on PostgreSQL.

The helpers here (:func:`desk_for`, :func:`log_in`, :func:`token_of`) are what the other desk tests
use to stand up a desk and log in."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.applications import Starlette

from tests.conftest import ENTITY
from tests.helpers import counts
from zhifa import identity
from zhifa.desk.app import create_app
from zhifa.desk.web import safe_next
from zhifa.engine import Engine
from zhifa.identity import MAX_FAILURES
from zhifa.plugins import Plugins
from zhifa.store import Store
from zhifa.store.tables import AccessEntry, Credential, Setting
from zhifa.timekeeping import FixedClock

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

PASSWORD = "correct horse battery"
T0 = datetime(2026, 3, 2, 9, 0)
DESK_OFFICERS = ("H1", "C1", "C2", "L1", "X1")


def give_passwords(store: Store, officers: Iterable[str] = DESK_OFFICERS) -> None:
    """Give ``officers`` the password :data:`PASSWORD`: directly on SQLite (no authentication
    required), through an administrator on PostgreSQL (H1, made one by the database owner)."""
    wanted = list(officers)
    if store.dialect == "sqlite":
        for officer in wanted:
            identity.set_password(store, officer, PASSWORD, by=None)
        return
    identity.bootstrap(store, "H1", PASSWORD)
    admin = identity.login(store, "H1", PASSWORD)
    for officer in wanted:
        if officer != "H1":
            identity.set_password(store, officer, PASSWORD, by=admin)
    identity.revoke(store, admin.credential_id, by=admin)


def desk_for(
    store: Store, at: datetime = T0, officers: Iterable[str] = DESK_OFFICERS
) -> tuple[Starlette, Engine, FixedClock]:
    """A desk on ``store`` (the baseline plugin only) with its engine on a clock fixed at ``at``,
    the ``officers`` given :data:`PASSWORD`."""
    give_passwords(store, officers)
    clock = FixedClock(at)
    engine = Engine(store, plugins=Plugins(autoload=False), clock=clock)
    return create_app(engine=engine, secret="desk-tests-secret"), engine, clock


def token_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def log_in(client: TestClient, officer: str, password: str = PASSWORD) -> str:
    """Log ``officer`` in through the login form; the CSRF token of the session comes back."""
    page = client.get("/login")
    answer = client.post(
        "/login",
        data={
            "officer": officer,
            "password": password,
            "next": "/",
            "csrf_token": token_of(page.text),
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return token_of(client.get("/").text)


@pytest.fixture
def desk(sqlite_bureau: Store) -> tuple[Starlette, Engine, FixedClock]:
    return desk_for(sqlite_bureau)


def _credentials(store: Store, kind: str) -> list[Credential]:
    with store.read() as s:
        return list(s.scalars(sa.select(Credential).where(Credential.kind == kind)))


# --- logged out ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/", "/due", "/search?q=x", "/matters/1", "/matters/new", f"/entities/{ENTITY}"]
)
def test_every_officer_page_sends_a_logged_out_visitor_to_the_login(desk, path: str) -> None:
    client = TestClient(desk[0])
    answer = client.get(path, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login?next=")
    # and back to the page after the login
    token = token_of(client.get(answer.headers["location"]).text)
    target = answer.headers["location"].split("next=", 1)[1]
    from urllib.parse import unquote

    done = client.post(
        "/login",
        data={"officer": "C1", "password": PASSWORD, "next": unquote(target), "csrf_token": token},
        follow_redirects=False,
    )
    assert done.headers["location"] == path


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "javascript:alert(1)",
        "evil.example",
        "/ok\r\nSet-Cookie: x=1",
    ],
)
def test_the_login_never_redirects_to_another_site(desk, target: str) -> None:
    assert safe_next(target) == "/"
    client = TestClient(desk[0])
    token = token_of(client.get("/login").text)
    done = client.post(
        "/login",
        data={"officer": "C1", "password": PASSWORD, "next": target, "csrf_token": token},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/"


def test_the_cookie_is_signed_httponly_samesite_and_secure_over_https(desk) -> None:
    client = TestClient(desk[0])
    log_in(client, "C1")
    cookie = client.get("/").headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    secure = TestClient(desk[0], base_url="https://desk.example")
    page = secure.get("/login")
    assert "; Secure" in page.headers["set-cookie"]
    # a cookie signed with another secret is no session
    forged = TestClient(desk[0])
    forged.cookies.set("zhifa_desk", client.cookies["zhifa_desk"][:-4] + "AAAA")
    assert forged.get("/", follow_redirects=False).status_code == 303


# --- login, lockout, logout, revocation ---------------------------------------------------------


def test_a_wrong_password_shows_the_sentence_and_the_lockout_comes_after_the_allowed_failures(
    desk,
) -> None:
    app, _, clock = desk
    client = TestClient(app)

    def attempt(password: str) -> tuple[int, str]:
        token = token_of(client.get("/login").text)
        answer = client.post(
            "/login",
            data={"officer": "C1", "password": password, "next": "/", "csrf_token": token},
            follow_redirects=False,
        )
        return answer.status_code, answer.text

    for n in range(1, MAX_FAILURES):
        status, text = attempt("wrong")
        assert status == 401 and f"{n} of {MAX_FAILURES}" in text
    # the last allowed failure: the next right password still logs in
    status, _ = attempt(PASSWORD)
    assert status == 303
    client.cookies.clear()
    for _ in range(MAX_FAILURES):
        status, text = attempt("wrong")
    assert status == 401 and f"{MAX_FAILURES} of {MAX_FAILURES}" in text
    # one failure more than allowed: locked out, the right password refused with the sentence
    status, text = attempt(PASSWORD)
    assert status == 401 and "locked out after" in text and "try again then" in text
    clock.advance(minutes=16)
    assert attempt(PASSWORD)[0] == 303


def test_a_revoked_login_stops_working_and_logout_revokes_it(desk, sqlite_bureau: Store) -> None:
    app, _, _ = desk
    client = TestClient(app)
    log_in(client, "C1")
    (session,) = _credentials(sqlite_bureau, "session")
    identity.revoke(sqlite_bureau, session.id, by=None)
    answer = client.get("/", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
    assert "was revoked" in client.get(answer.headers["location"]).text

    token = log_in(client, "C1")
    assert client.get("/", follow_redirects=False).status_code == 200
    out = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303
    assert all(c.revoked_at is not None for c in _credentials(sqlite_bureau, "session"))
    assert client.get("/", follow_redirects=False).status_code == 303
    # the cookie kept from before the logout acts no more either
    stale = TestClient(app)
    log_in(stale, "C2")
    kept = stale.cookies["zhifa_desk"]
    stale_token = token_of(stale.get("/").text)
    stale.post("/logout", data={"csrf_token": stale_token})
    replay = TestClient(app)
    replay.cookies.set("zhifa_desk", kept)
    assert replay.get("/", follow_redirects=False).status_code == 303


def test_posts_without_or_with_a_wrong_csrf_token_are_refused(desk, sqlite_bureau: Store) -> None:
    app, _, _ = desk
    client = TestClient(app)
    # the login form itself: no token, no login
    refused = client.post("/login", data={"officer": "C1", "password": PASSWORD})
    assert refused.status_code == 403
    assert _credentials(sqlite_bureau, "session") == []
    token = log_in(client, "C1")
    for data in ({}, {"csrf_token": token[:-1] + ("A" if token[-1] != "A" else "B")}):
        assert client.post("/logout", data=data).status_code == 403
    assert all(c.revoked_at is None for c in _credentials(sqlite_bureau, "session"))
    # another session's token does not do either
    other = TestClient(app)
    other_token = log_in(other, "C2")
    assert client.post("/logout", data={"csrf_token": other_token}).status_code == 403


def test_language_is_chinese_by_default_english_on_request_and_remembered(desk) -> None:
    client = TestClient(desk[0])
    log_in(client, "C1")
    assert "我的工作台" in client.get("/").text
    assert "My desk" in client.get("/?lang=en").text
    assert "My desk" in client.get("/").text
    assert "我的工作台" in client.get("/?lang=zh").text


def test_the_health_check_needs_no_login_and_says_what_is_wrong(desk, sqlite_bureau: Store) -> None:
    client = TestClient(desk[0])
    answer = client.get("/health")
    assert answer.status_code == 200
    body = answer.json()
    assert body["database"] is True and body["schema_current"] is True
    assert body["outbox_pending"] == 0
    with sqlite_bureau.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0001'")
    behind = client.get("/health")
    assert behind.status_code == 503 and behind.json()["schema_current"] is False


def test_the_signing_secret_is_made_once_and_kept_in_the_database(
    sqlite_bureau: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from zhifa.desk.sessions import desk_secret

    monkeypatch.delenv("ZHIFA_DESK_SECRET", raising=False)
    first = desk_secret(sqlite_bureau)
    assert len(first) > 40 and desk_secret(sqlite_bureau) == first
    with sqlite_bureau.read() as s:
        assert s.get(Setting, "desk_secret") is not None
    monkeypatch.setenv("ZHIFA_DESK_SECRET", "from-the-environment")
    assert desk_secret(sqlite_bureau) == "from-the-environment"


def test_request_logs_never_hold_a_password_or_token(
    desk, caplog: pytest.LogCaptureFixture
) -> None:
    client = TestClient(desk[0])
    with caplog.at_level("INFO", logger="zhifa.desk.requests"):
        log_in(client, "C1")
        client.get("/")
    lines = [r for r in caplog.records if r.name == "zhifa.desk.requests"]
    assert any(getattr(r, "officer", None) == "C1" and r.status == 200 for r in lines)
    cookie = client.cookies["zhifa_desk"]
    for r in lines:
        text = r.getMessage() + repr(r.__dict__)
        assert PASSWORD not in text and "zhifa_" + "" not in text.replace("zhifa.desk", "")
        assert cookie not in text
        assert {"request_id", "method", "path", "status", "ms"} <= set(r.__dict__)


def test_access_is_logged_by_the_identity_module(desk, sqlite_bureau: Store) -> None:
    client = TestClient(desk[0])
    log_in(client, "C1")
    with sqlite_bureau.read() as s:
        whats = list(s.scalars(sa.select(AccessEntry.what).where(AccessEntry.officer_id == "C1")))
    assert "login" in whats


# --- PostgreSQL: login and one step -------------------------------------------------------------


@pytest.mark.postgres
def test_on_postgresql_an_officer_logs_in_and_takes_a_step_as_themself(pg_url: str) -> None:
    from tests.conftest import seed_bureau
    from zhifa.store.tables import Event

    store = Store(pg_url)
    try:
        seed_bureau(store)
        app, _engine, _ = desk_for(store)
        client = TestClient(app)
        token = log_in(client, "C1")
        page = client.get("/matters/new?workflow=clue")
        assert page.status_code == 200
        before = counts(store)
        done = client.post(
            "/matters/new",
            data={
                "csrf_token": token,
                "workflow": "clue",
                "f.source": "complaint",
                "f.summary": "过期食品",
                "entity": ENTITY,
            },
            follow_redirects=False,
        )
        assert done.status_code == 303, done.text
        assert counts(store) == (before[0] + 1, before[1] + 1)
        with store.read() as s:
            event = s.scalars(sa.select(Event).order_by(Event.id.desc())).first()
        assert event is not None and event.actor_id == "C1" and event.auth.startswith("login#")
        # without the token nothing is written, on PostgreSQL too
        refused = client.post(
            "/matters/new", data={"workflow": "clue", "f.source": "report", "f.summary": "x"}
        )
        assert refused.status_code == 403 and counts(store)[0] == before[0] + 1
    finally:
        store.dispose()


def open_clue(client: TestClient, csrf: str, **more: Any) -> int:
    """Open a clue about the test entity through the desk's form; its id comes back."""
    answer = client.post(
        "/matters/new",
        data={
            "csrf_token": csrf,
            "workflow": "clue",
            "f.source": "complaint",
            "f.summary": "售卖过期食品",
            "entity": ENTITY,
            **more,
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return int(answer.headers["location"].rsplit("/", 1)[1])
