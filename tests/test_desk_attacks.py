"""The desk from a hostile user's side: forged, replayed and fixed cookies; CSRF on every POST
route the app has (enumerated, so a new route without it fails here); no GET route that writes;
every route with an id in its path refused to another department's officer and to a logged-out
visitor, the same answer whether the object exists or not; script typed into every field coming
back escaped; file names that try to break the download header or the evidence store; uploads
too large, too many or disguised; an overall request-size limit, also on bodies sent without a
length; the public page's rate limit not reset by a forged ``X-Forwarded-For``."""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.routing import Route

from tests.conftest import ENTITY
from tests.helpers import counts
from tests.test_desk import PASSWORD, TestClient, desk_for, log_in, open_clue, token_of
from tests.test_desk_public import REPORTER, intake_token
from tests.test_draws import make_plan, seed_targets
from zhifa import identity, inspections
from zhifa.desk import public
from zhifa.desk.app import create_app
from zhifa.errors import InputError
from zhifa.evidence.policy import MB, set_policy
from zhifa.store import Store
from zhifa.store.tables import Base, Document, Entity

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
World = dict[str, Any]
XSS = '"><script>alert(1)</script><img src=x onerror=alert(2)>'


def all_rows(store: Store) -> dict[str, int]:
    """How many rows each table holds (the access log aside: reading is logged by design)."""
    with store.read() as s:
        return {
            t.name: int(s.scalar(sa.select(sa.func.count()).select_from(t)) or 0)
            for t in Base.metadata.sorted_tables
            if t.name != "access_log"
        }


def version_of(client: TestClient, matter_id: int) -> str:
    found = re.search(r'name="version" value="(\d+)"', client.get(f"/matters/{matter_id}").text)
    assert found
    return found.group(1)


def routes(app: Any) -> list[Route]:
    return [r for r in app.routes if isinstance(r, Route)]


@pytest.fixture
def world(sqlite_bureau: Store) -> World:
    """HZXH holds one of everything a path can name: a matter with an evidence file and a
    document, a plan and its draw."""
    seed_targets(sqlite_bureau)
    plan_id = inspections.create_plan(sqlite_bureau, make_plan())
    app, engine, clock = desk_for(sqlite_bureau)
    head = TestClient(app)
    csrf = log_in(head, "H1")
    matter = open_clue(head, csrf, title="秘密线索")
    step = head.post(
        f"/matters/{matter}/steps/assign",
        data={"csrf_token": csrf, "version": version_of(head, matter), "f.verifiers": "C1"},
        files=[("evidence", ("现场照片.pdf", PDF, "application/pdf"))],
        follow_redirects=False,
    )
    assert step.status_code == 303, step.text
    blob = app.state.desk.blobs.put(b"PK\x03\x04 a document")
    with sqlite_bureau.write() as s:
        doc = Document(
            matter_id=matter,
            event_id=None,
            kind="lian_shenpi",
            department_code="HZXH",
            year=2026,
            seq=1,
            number="西市监立〔2026〕1号",
            sha256=blob.sha256,
            size=blob.size,
            issued_at=clock.now(),
        )
        s.add(doc)
        s.flush()
        doc_id = doc.id
    assert head.post(f"/plans/{plan_id}/publish", data={"csrf_token": csrf}).status_code == 200
    taken = clock.now() + timedelta(hours=1)
    from zhifa.timekeeping import FixedClock

    targets, inspectors = inspections.take_snapshots(sqlite_bureau, FixedClock(taken))
    clock.advance(hours=3)
    drawn = head.post(
        f"/plans/{plan_id}/draw",
        data={
            "csrf_token": csrf,
            "public_value": "2026-03-02 福彩3D 517",
            "value_published_at": (taken + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "target_snapshot": str(targets),
            "inspector_snapshot": str(inspectors),
        },
    )
    assert drawn.status_code == 200, drawn.text
    [draw] = inspections.plan_draws(sqlite_bureau, plan_id)
    return {
        "app": app,
        "engine": engine,
        "clock": clock,
        "store": sqlite_bureau,
        "head": (head, csrf),
        "ids": {
            "matter_id": matter,
            "document_id": doc_id,
            "plan_id": plan_id,
            "draw_id": draw.id,
            "sha256": hashlib.sha256(PDF).hexdigest(),
            "trigger": "hand_over",
            "key": ENTITY,
        },
    }


def fill(route: Route, ids: dict[str, Any], missing: bool = False) -> str:
    """The route's path with the world's ids (or ids that name nothing)."""
    values = {}
    for name in route.param_convertors:
        value = ids[name]
        if missing and name not in ("trigger", "key"):
            value = 999_999 if isinstance(value, int) else "0" * 64
        values[name] = value
    return route.url_path_for(route.name, **values)


# -- session -----------------------------------------------------------------------------------


def test_a_cookie_from_another_secret_or_with_a_rewritten_payload_is_no_session(
    world: World,
) -> None:
    app, store = world["app"], world["store"]
    client, _ = world["head"]
    cookie = client.cookies["zhifa_desk"]
    # the same database, another desk secret: its cookies are not this desk's
    other = create_app(engine=world["engine"], secret="another-desk-secret")
    stranger = TestClient(other)
    stranger.cookies.set("zhifa_desk", cookie)
    assert stranger.get("/", follow_redirects=False).status_code == 303
    # the payload rewritten under the old signature
    payload, _, signature = cookie.partition(".")
    forged = TestClient(app)
    forged.cookies.set("zhifa_desk", payload[:-2] + "AA." + signature)
    assert forged.get("/", follow_redirects=False).status_code == 303
    assert store is not None


def test_a_cookie_acts_no_more_after_the_password_is_changed(world: World) -> None:
    app, store = world["app"], world["store"]
    client = TestClient(app)
    log_in(client, "C1")
    kept = client.cookies["zhifa_desk"]
    identity.set_password(store, "C1", "a new long passphrase", by=None)
    replay = TestClient(app)
    replay.cookies.set("zhifa_desk", kept)
    answer = replay.get("/", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")


def test_the_login_reissues_the_cookie_and_the_csrf_token(world: World) -> None:
    app = world["app"]
    victim = TestClient(app)
    planted = token_of(victim.get("/login").text)
    before = victim.cookies["zhifa_desk"]
    csrf = log_in(victim, "C1")
    assert victim.cookies["zhifa_desk"] != before and csrf != planted
    # whoever kept the cookie from before the login is not logged in by it
    attacker = TestClient(app)
    attacker.cookies.set("zhifa_desk", before)
    assert attacker.get("/", follow_redirects=False).status_code == 303
    assert victim.post("/logout", data={"csrf_token": planted}).status_code == 403


def test_login_csrf_a_token_from_another_browser_logs_no_one_in(world: World) -> None:
    app = world["app"]
    attacker = TestClient(app)
    token = token_of(attacker.get("/login").text)
    victim = TestClient(app)
    victim.get("/login")
    answer = victim.post(
        "/login",
        data={"officer": "X1", "password": PASSWORD, "next": "/", "csrf_token": token},
        follow_redirects=False,
    )
    assert answer.status_code == 403
    assert victim.get("/", follow_redirects=False).status_code == 303


# -- CSRF and methods --------------------------------------------------------------------------


def test_every_post_route_refuses_a_missing_or_forged_csrf_token(world: World) -> None:
    app, store, ids = world["app"], world["store"], world["ids"]
    posts = [r for r in routes(app) if r.methods and "POST" in r.methods]
    assert len(posts) >= 10
    officer = TestClient(app)
    log_in(officer, "H1")
    anonymous = TestClient(app)
    anonymous.get("/login")
    before = all_rows(store)
    for route in posts:
        path = fill(route, ids)
        for client in (officer, anonymous):
            for data in ({}, {"csrf_token": "forged"}):
                answer = client.post(path, data=data, follow_redirects=False)
                if client is anonymous and answer.status_code == 303:
                    assert answer.headers["location"].startswith("/login"), path
                    continue
                assert answer.status_code == 403, (path, answer.status_code)
    assert all_rows(store) == before


def test_no_get_route_writes_anything(intake: World) -> None:
    world = intake
    app, store, ids = world["app"], world["store"], world["ids"]
    gets = [r for r in routes(app) if r.methods and "GET" in r.methods]
    for route in gets:
        assert set(route.methods or ()) <= {"GET", "HEAD"}, route.path
    head, _ = world["head"]
    before = all_rows(store)
    for route in gets:
        answer = head.get(fill(route, ids), follow_redirects=False)
        assert answer.status_code < 500, route.path
    after = all_rows(store)
    # the entity's file brings its credit records up to date from the events (a projection the
    # credit module keeps, written whenever a file is read): nothing a user asked to change
    after.pop("credit_records"), before.pop("credit_records")
    assert after == before


# -- authorisation -----------------------------------------------------------------------------


def test_every_route_with_an_id_is_refused_to_another_department_and_to_a_stranger(
    world: World,
) -> None:
    app, store, ids = world["app"], world["store"], world["ids"]
    outsider = TestClient(app)
    theirs = log_in(outsider, "X1")
    stranger = TestClient(app)
    with_ids = [r for r in routes(app) if r.param_convertors and r.name != "entity"]
    assert {r.name for r in with_ids} >= {
        "matter",
        "matter_step",
        "document",
        "evidence",
        "plan",
        "plan_publish",
        "plan_draw",
        "draw_verify",
        "draw_tasks",
    }
    before = all_rows(store)
    for route in with_ids:
        path, nowhere = fill(route, ids), fill(route, ids, missing=True)
        method = "POST" if "POST" in (route.methods or ()) else "GET"
        data = {"csrf_token": theirs, "version": "1"} if method == "POST" else None
        seen = outsider.request(method, path, data=data)
        unknown = outsider.request(method, nowhere, data=data)
        assert seen.status_code in (403, 404), (path, seen.status_code)
        assert seen.status_code == unknown.status_code, path
        # guessing ids tells nothing: the same page whether the object exists or not
        assert re.sub(r"[0-9a-f]{64}|\d+", "N", seen.text) == re.sub(
            r"[0-9a-f]{64}|\d+", "N", unknown.text
        ), path
        assert "秘密线索" not in seen.text and PDF not in seen.content
        gone = stranger.request(method, path, data=data, follow_redirects=False)
        assert gone.status_code == 303 and gone.headers["location"].startswith("/login"), path
    # a "hash" that walks out of the evidence store names nothing
    head, _ = world["head"]
    matter = ids["matter_id"]
    for sneaky in ("..%2F..%2Fetc%2Fpasswd", "%2E%2E", "0" * 64):
        assert head.get(f"/matters/{matter}/evidence/{sneaky}").status_code == 404
    assert all_rows(store) == before


def test_entity_search_and_due_list_nothing_of_another_department(world: World) -> None:
    app, ids = world["app"], world["ids"]
    outsider = TestClient(app)
    log_in(outsider, "X1")
    matter = ids["matter_id"]
    entity = outsider.get(f"/entities/{ENTITY}")
    assert entity.status_code == 200 and "秘密线索" not in entity.text
    assert f"/matters/{matter}" not in entity.text
    for q in ("秘密", str(matter), f"#{matter}", "西市监立〔2026〕1号", "H1", ENTITY, "C1"):
        found = outsider.get("/search", params={"q": q}).text
        assert "秘密线索" not in found and f"/matters/{matter}" not in found, q
        assert f"/documents/{ids['document_id']}.docx" not in found, q
    assert outsider.get("/due", params={"dept": "HZXH"}).status_code == 403
    assert "秘密线索" not in outsider.get("/due").text


# -- injection ---------------------------------------------------------------------------------


def test_script_typed_into_any_field_comes_back_escaped(world: World) -> None:
    app, store = world["app"], world["store"]
    with store.write() as s:
        s.execute(sa.update(Entity).where(Entity.uscc == ENTITY).values(name=XSS))
    client, csrf = world["head"]
    matter = open_clue(client, csrf, title=XSS, **{"f.summary": XSS})
    step = client.post(
        f"/matters/{matter}/steps/assign",
        data={"csrf_token": csrf, "version": version_of(client, matter), "f.verifiers": "C1"},
        files=[("evidence", (XSS.replace("/", "") + ".txt", b"plain text", "text/plain"))],
        follow_redirects=False,
    )
    assert step.status_code == 303, step.text
    pages = [
        client.get(f"/matters/{matter}"),
        client.get(f"/entities/{ENTITY}"),
        client.get("/search", params={"q": XSS}),
        client.get("/search", params={"q": "alert", XSS: XSS}),
        client.get("/"),
        client.get("/due", params={"dept": XSS}),
        client.get("/due", params={"within": XSS}),
        client.get("/", params={"lang": XSS}),
        client.get("/matters/new", params={"workflow": XSS}),
        TestClient(app).get("/login", params={"next": "/" + XSS}),
    ]
    for page in pages:
        assert "<script>alert(1)" not in page.text and "<img src=x" not in page.text, page.url
    assert "&lt;script&gt;" in pages[0].text


def test_a_file_name_cannot_break_the_download_header_or_leave_the_store(world: World) -> None:
    store = world["store"]
    client, csrf = world["head"]
    matter = open_clue(client, csrf)
    name = '..\\../../etc/a"; filename=evil.exe;.txt'
    data = b"evidence text"
    step = client.post(
        f"/matters/{matter}/steps/assign",
        data={"csrf_token": csrf, "version": version_of(client, matter), "f.verifiers": "C1"},
        files=[("evidence", (name, data, "text/plain"))],
        follow_redirects=False,
    )
    assert step.status_code == 303, step.text
    got = client.get(f"/matters/{matter}/evidence/{hashlib.sha256(data).hexdigest()}")
    assert got.status_code == 200 and got.content == data
    header = got.headers["content-disposition"]
    # one quoted ASCII name (the quote and semicolons replaced) and one percent-encoded name
    assert re.fullmatch(
        r"attachment; filename=\"a_[A-Za-z0-9._-]+\"; filename\*=UTF-8''[A-Za-z0-9%._~-]+", header
    ), header
    # a line break in a name reaches the desk encoded by the browser, and the header stays one line
    other = open_clue(client, csrf)
    crlf = b"second file"
    sent = client.post(
        f"/matters/{other}/steps/assign",
        data={"csrf_token": csrf, "version": version_of(client, other), "f.verifiers": "C1"},
        files=[("evidence", ("a\r\nSet-Cookie: x=1.txt", crlf, "text/plain"))],
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    got = client.get(f"/matters/{other}/evidence/{hashlib.sha256(crlf).hexdigest()}")
    assert "set-cookie" not in {k.lower() for k in got.headers if k.lower() != "set-cookie"}
    assert "\n" not in got.headers["content-disposition"]
    assert "x=1" not in got.headers.get("set-cookie", "")
    assert store is not None


# -- uploads -----------------------------------------------------------------------------------


def _attach(world: World, files: list[Any], **kw: Any) -> Any:
    client = TestClient(world["app"])
    token = log_in(client, "H1")
    matter = open_clue(client, token)
    return client.post(
        f"/matters/{matter}/steps/assign",
        data={"csrf_token": token, "version": version_of(client, matter), "f.verifiers": "C1"},
        files=files,
        follow_redirects=False,
        **kw,
    )


def test_a_file_at_the_departments_limit_is_taken_and_one_byte_more_refused(world: World) -> None:
    store = world["store"]
    with store.engine.begin() as conn:
        set_policy(conn, "HZXH", max_mb=1)
    exact = _attach(world, [("evidence", ("at-limit.txt", b"a" * MB, "text/plain"))])
    assert exact.status_code == 303, exact.text
    before = counts(store)
    over = _attach(world, [("evidence", ("over.txt", b"a" * (MB + 1), "text/plain"))])
    assert over.status_code == 400 and "more than the 1 MB" in over.text
    # the clue opened (one matter, one event); the step with the file did not
    assert counts(store) == (before[0] + 1, before[1] + 1)


def test_a_renamed_program_is_refused(world: World) -> None:
    store = world["store"]
    before = counts(store)
    answer = _attach(world, [("evidence", ("现场照片.jpg", b"MZ\x90\x00" * 64, "image/jpeg"))])
    assert answer.status_code == 400 and "renamed file" in answer.text
    assert counts(store)[1] == before[1] + 1  # the clue opened; the step with the file did not


def test_more_files_than_allowed_get_their_own_sentence_not_a_csrf_refusal(world: World) -> None:
    from zhifa.desk.web import MAX_UPLOAD_FILES

    files = [("evidence", (f"p{i}.pdf", PDF, "application/pdf")) for i in range(MAX_UPLOAD_FILES)]
    assert _attach(world, files).status_code == 303
    store = world["store"]
    before = counts(store)
    too_many = _attach(world, [*files, ("evidence", ("one-more.pdf", PDF, "application/pdf"))])
    assert too_many.status_code == 413, too_many.text
    assert f"最多提交{MAX_UPLOAD_FILES}个文件" in too_many.text
    assert counts(store)[1] == before[1] + 1


def test_an_overall_request_size_limit_refuses_large_bodies_declared_or_not(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from zhifa.desk import web

    monkeypatch.setenv(web.MAX_BODY_ENV, "1")
    app = create_app(engine=world["engine"], secret="desk-tests-secret")
    client = TestClient(app)
    csrf = log_in(client, "H1")
    store = world["store"]
    before = all_rows(store)
    big = b"a" * (MB + 1)
    declared = client.post(
        "/matters/new",
        data={"csrf_token": csrf, "workflow": "clue"},
        files=[("evidence", ("big.txt", big, "text/plain"))],
    )
    assert declared.status_code == 413 and "不超过1 MB" in declared.text

    def chunks() -> Any:
        yield b"csrf_token=" + csrf.encode() + b"&workflow=clue&f.summary="
        for _ in range(17):
            yield b"a" * 65536

    streamed = client.post(
        "/matters/new",
        content=chunks(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert streamed.status_code == 413
    assert all_rows(store) == before
    # the default is there without the setting; a setting that is no size says so
    monkeypatch.delenv(web.MAX_BODY_ENV)
    assert web.max_body() == web.DEFAULT_MAX_BODY_MB * MB
    for bad in ("0", "-5", "ten", "1.5"):
        monkeypatch.setenv(web.MAX_BODY_ENV, bad)
        with pytest.raises(InputError, match="whole number of megabytes"):
            create_app(engine=world["engine"], secret="desk-tests-secret")


# -- the public page ---------------------------------------------------------------------------


@pytest.fixture
def intake(world: World, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv(public.INTAKE_ENV, intake_token(world["store"], world["clock"]))
    return world


def test_a_public_body_sent_without_a_length_is_limited_too(intake: World) -> None:
    app, store = intake["app"], intake["store"]
    client = TestClient(app)
    csrf = token_of(client.get("/public/report").text)
    before = all_rows(store)

    def chunks() -> Any:
        yield f"csrf_token={csrf}&kind=report&business=x&what=".encode()
        for _ in range(4):
            yield b"a" * 8192

    answer = client.post(
        "/public/report",
        content=chunks(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 413 and "不能超过32KB" in answer.text
    assert all_rows(store) == before


def test_every_field_at_its_longest_in_chinese_is_accepted(intake: World) -> None:
    client = TestClient(intake["app"])
    csrf = token_of(client.get("/public/report").text)
    fields = {
        "kind": "report",
        "what": "过" * public.MAX_WHAT,
        "business": "某" * public.MAX_BUSINESS,
        "name": "张" * public.MAX_NAME,
        "contact": "杭" * public.MAX_CONTACT,
        "real_name": "1",
        "csrf_token": csrf,
    }
    answer = client.post("/public/report", data=fields)
    assert answer.status_code == 200, answer.text
    # one character more than allowed: the sentence, not a size refusal
    fields["what"] += "过"
    assert "2001 characters" in client.post("/public/report", data=fields).text


def test_a_forged_x_forwarded_for_does_not_reset_the_rate_limit(intake: World) -> None:
    client = TestClient(intake["app"])
    csrf = token_of(client.get("/public/follow").text)
    for _ in range(public.FOLLOW_BUCKET.capacity):
        assert (
            client.post("/public/follow", data={"code": "X", "csrf_token": csrf}).status_code == 404
        )
    for n in range(5):
        answer = client.post(
            "/public/follow",
            data={"code": "X", "csrf_token": csrf},
            headers={"x-forwarded-for": f"203.0.113.{n}", "x-real-ip": f"198.51.100.{n}"},
        )
        assert answer.status_code == 429


def test_ipv6_addresses_of_one_network_share_a_bucket(intake: World) -> None:
    client = TestClient(intake["app"], client=("2001:db8:1:2::1", 1234))
    csrf = token_of(client.get("/public/follow").text)
    for _ in range(public.FOLLOW_BUCKET.capacity):
        assert (
            client.post("/public/follow", data={"code": "X", "csrf_token": csrf}).status_code == 404
        )
    same_net = TestClient(intake["app"], client=("2001:db8:1:2:ffff::9", 1234))
    same_net.cookies.update(client.cookies)
    assert (
        same_net.post("/public/follow", data={"code": "X", "csrf_token": csrf}).status_code == 429
    )
    other_net = TestClient(intake["app"], client=("2001:db8:1:3::1", 1234))
    other_net.cookies.update(client.cookies)
    assert (
        other_net.post("/public/follow", data={"code": "X", "csrf_token": csrf}).status_code == 404
    )


def test_the_reporter_is_in_no_public_answer_log_line_or_other_officers_page(
    intake: World, caplog: pytest.LogCaptureFixture
) -> None:
    app = intake["app"]
    citizen = TestClient(app)
    csrf = token_of(citizen.get("/public/report").text)
    with caplog.at_level(logging.DEBUG):
        filed = citizen.post(
            "/public/report",
            data={
                "kind": "report",
                "business": "某食品有限公司",
                "what": "过期熟食仍在销售。",
                "name": REPORTER,
                "contact": "13800001234",
                "real_name": "1",
                "csrf_token": csrf,
            },
        )
        assert filed.status_code == 200 and REPORTER not in filed.text
        code = re.search(r'id="receipt-code">([A-Z2-7-]+)<', filed.text)
        assert code
        followed = citizen.post("/public/follow", data={"code": code.group(1), "csrf_token": csrf})
        assert followed.status_code == 200 and REPORTER not in followed.text
        wrong = citizen.post("/public/follow", data={"code": REPORTER, "csrf_token": csrf})
        assert REPORTER not in wrong.text
        other = TestClient(app)
        log_in(other, "C2")
        found = other.get("/search", params={"q": REPORTER}).text
        # the search box echoes what the officer typed, and nothing else has the name
        assert found.count(REPORTER) == 1 and f'value="{REPORTER}"' in found
    for record in caplog.records:
        assert REPORTER not in record.getMessage() + repr(record.__dict__)


def test_one_address_cannot_spray_logins_across_every_officer(sqlite_bureau) -> None:
    """Each officer's lockout counts that officer's failures; the address limit stops one client
    guessing a few passwords for every officer (or locking them all out at will)."""
    from zhifa.desk.auth import LOGIN_BUCKET

    app, _, clock = desk_for(sqlite_bureau)
    client = TestClient(app)

    def attempt(officer: str, password: str) -> int:
        token = token_of(client.get("/login").text)
        return client.post(
            "/login",
            data={"officer": officer, "password": password, "next": "/", "csrf_token": token},
            follow_redirects=False,
        ).status_code

    # guesses at many officer ids (none locked out: each is tried once)
    for n in range(LOGIN_BUCKET.capacity):  # the last allowed attempt is refused only as wrong
        assert attempt(f"Z{n:03d}", f"guess {n}") == 401
    assert attempt("C1", PASSWORD) == 429  # the next one, even with the right password
    clock.advance(seconds=LOGIN_BUCKET.refill_seconds - 1)
    assert attempt("C1", PASSWORD) == 429
    clock.advance(seconds=1)
    assert attempt("C1", PASSWORD) == 303
