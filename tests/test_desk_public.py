"""The public complaint and report page over HTTP: filing without a login becomes a clue of the
intake officer's department with a receipt whose code is kept only as a hash; following it by its
code (right, mistyped, unknown, another report's); refused without an intake token, without the
CSRF token, over the size limits and past the rate limit (the last allowed filing and the next),
each time with nothing written; the reporter's identity kept from officers who do not handle the
clue and out of the logs."""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from starlette.applications import Starlette

from tests.conftest import ENTITY
from tests.helpers import counts
from tests.test_desk import PASSWORD, TestClient, desk_for, log_in, token_of
from zhifa import identity
from zhifa.desk import public
from zhifa.engine import Engine
from zhifa.store import Store
from zhifa.store.tables import Receipt
from zhifa.timekeeping import FixedClock

REPORTER = "张三丰"
CONTACT = "13800001234"
CODE = re.compile(r'<code id="receipt-code">([A-Z2-7]{4}(?:-[A-Z2-7]{4}){5})</code>')


def intake_token(store: Store, clock: FixedClock, officer: str = "C1") -> str:
    session = identity.login(store, officer, PASSWORD, clock=clock)
    return identity.issue_token(
        store, session, label="public intake", lifetime=timedelta(days=30), clock=clock
    ).token


Desk = tuple[Starlette, Engine, FixedClock, Store, str]


@pytest.fixture
def desk(sqlite_bureau: Store, monkeypatch: pytest.MonkeyPatch) -> Desk:
    app, engine, clock = desk_for(sqlite_bureau)
    token = intake_token(sqlite_bureau, clock)
    monkeypatch.setenv(public.INTAKE_ENV, token)
    return app, engine, clock, sqlite_bureau, token


def receipts(store: Store) -> list[Receipt]:
    with store.read() as s:
        return list(s.scalars(sa.select(Receipt).order_by(Receipt.id)))


def file(client: TestClient, csrf: str | None = None, **fields: str) -> object:
    data = {
        "kind": "report",
        "business": "某食品有限公司",
        "what": "2026年3月1日在店内购买的熟食已过保质期，仍在销售。",
        "name": REPORTER,
        "contact": CONTACT,
        "real_name": "1",
    }
    data.update(fields)
    if csrf is None:
        csrf = token_of(client.get("/public/report").text)
    if csrf:
        data["csrf_token"] = csrf
    return client.post("/public/report", data=data)


def code_of(answer: object) -> str:
    found = CODE.search(answer.text)  # type: ignore[attr-defined]
    assert found, answer.text  # type: ignore[attr-defined]
    return found.group(1)


def look_up(client: TestClient, code: str) -> object:
    csrf = token_of(client.get("/public/follow").text)
    return client.post("/public/follow", data={"code": code, "csrf_token": csrf})


# -- filing ---------------------------------------------------------------------------------------


def test_anyone_files_a_report_that_becomes_a_clue_with_a_hashed_receipt(desk: Desk) -> None:
    app, engine, _, store, _ = desk
    client = TestClient(app)
    form = client.get("/public/report", follow_redirects=False)
    assert form.status_code == 200 and 'name="what"' in form.text
    answer = file(client)
    assert answer.status_code == 200  # type: ignore[attr-defined]
    assert answer.headers["cache-control"] == "no-store"  # type: ignore[attr-defined]
    code = code_of(answer)
    [receipt] = receipts(store)
    assert receipt.code_hash == hashlib.sha256(code.replace("-", "").encode()).hexdigest()
    clue = engine.load(receipt.matter_id)
    assert (clue.workflow, clue.state, clue.department) == ("clue", "received", "HZXH")
    assert clue.data["open"]["source"] == "report" and clue.data["open"]["real_name"] is True
    assert clue.data["open"]["reporter"] == f"{REPORTER}，{CONTACT}"
    assert "过保质期" in clue.data["open"]["summary"] and clue.entity_id is not None
    [opening] = engine.history(clue.id)
    assert opening.actor_id == "C1" and opening.auth and opening.auth.startswith("token#")
    # the code itself is nowhere in the database
    with store.read() as s:
        dumped = "".join(str(r) for r in s.execute(sa.text("SELECT * FROM receipts")).all())
    assert code.replace("-", "") not in dumped and code not in dumped


def test_an_anonymous_complaint_by_code_links_the_entity_and_keeps_no_reporter(desk: Desk) -> None:
    app, engine, _, store, _ = desk
    answer = file(
        TestClient(app),
        kind="complaint",
        business="",
        uscc=ENTITY.lower(),
        name="",
        contact="",
        real_name="",
    )
    code_of(answer)
    clue = engine.load(receipts(store)[0].matter_id)
    assert clue.data["open"]["source"] == "complaint" and "reporter" not in clue.data["open"]
    assert clue.data["open"]["real_name"] is False and clue.title == "投诉：某食品有限公司"


def test_a_business_not_in_the_directory_is_filed_without_an_entity(desk: Desk) -> None:
    app, engine, _, store, _ = desk
    code_of(file(TestClient(app), business="无名小吃店"))
    clue = engine.load(receipts(store)[0].matter_id)
    assert clue.entity_id is None and "无名小吃店" in clue.data["open"]["summary"]
    assert "名录库未找到" in clue.data["open"]["summary"]


def test_the_clue_goes_to_the_department_of_the_business_region(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, engine, clock, store, token = desk
    other = intake_token(store, clock, "X1")  # HZSC, region 330102, listed first
    monkeypatch.setenv(public.INTAKE_ENV, f"{other}, {token}")
    client = TestClient(app)
    code_of(file(client))  # 某食品有限公司 is in region 330106: HZXH
    code_of(file(client, business="无名小吃店"))  # not in the directory: the first intake
    first, second = receipts(store)
    assert engine.load(first.matter_id).department == "HZXH"
    assert engine.load(second.matter_id).department == "HZSC"


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"what": "  "}, "say what happened"),
        ({"what": "x" * 2001}, "2001 characters long"),
        ({"business": "", "uscc": ""}, "name the business"),
        ({"uscc": "91110000600037341X"}, "check character"),
        ({"kind": "gossip"}, "complaint or a report"),
        ({"contact": ""}, "real-name report needs your name and a contact"),
        ({"name": "名" * 51}, "at most 50 characters"),
    ],
)
def test_bad_input_is_one_sentence_and_nothing_is_written(
    desk: Desk, fields: dict[str, str], words: str
) -> None:
    app, _, _, store, _ = desk
    before = counts(store)
    answer = file(TestClient(app), **fields)
    assert answer.status_code == 400  # type: ignore[attr-defined]
    assert words in answer.text  # type: ignore[attr-defined]
    assert counts(store) == before and receipts(store) == []


def test_the_longest_description_allowed_is_accepted(desk: Desk) -> None:
    app, engine, _, store, _ = desk
    code_of(file(TestClient(app), what="x" * 2000))
    assert len(engine.load(receipts(store)[0].matter_id).data["open"]["summary"]) == 2000


def test_a_body_over_the_size_limit_is_refused_unread(desk: Desk) -> None:
    app, _, _, store, _ = desk
    before = counts(store)
    answer = file(TestClient(app), padding="x" * public.MAX_BODY)
    assert answer.status_code == 413  # type: ignore[attr-defined]
    assert counts(store) == before and receipts(store) == []


@pytest.mark.parametrize("csrf", ["", "forged-token"])
def test_filing_without_the_csrf_token_writes_nothing(desk: Desk, csrf: str) -> None:
    app, _, _, store, _ = desk
    client = TestClient(app)
    client.get("/public/report")
    before = counts(store)
    answer = file(client, csrf=csrf)
    assert answer.status_code == 403  # type: ignore[attr-defined]
    assert counts(store) == before and receipts(store) == []


def test_without_an_intake_officer_the_page_says_why(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, _, _, store, _ = desk
    client = TestClient(app)
    csrf = token_of(client.get("/public/follow").text)
    monkeypatch.delenv(public.INTAKE_ENV)
    answer = client.get("/public/report")
    assert answer.status_code == 503 and "ZHIFA_INTAKE_TOKEN" in answer.text
    before = counts(store)
    assert file(client, csrf=csrf).status_code == 503  # type: ignore[attr-defined]
    assert counts(store) == before and receipts(store) == []


def test_a_revoked_intake_token_files_nothing(desk: Desk) -> None:
    app, _, clock, store, token = desk
    client = TestClient(app)
    csrf = token_of(client.get("/public/report").text)
    admin = identity.from_token(store, token, clock=clock)
    identity.revoke(store, admin.credential_id, by=admin, clock=clock)
    before = counts(store)
    answer = file(client, csrf=csrf)
    assert answer.status_code == 503  # type: ignore[attr-defined]
    assert "no longer works" in answer.text or "已失效" in answer.text  # type: ignore[attr-defined]
    assert counts(store) == before and receipts(store) == []


def test_the_rate_limit_allows_five_filings_then_refuses_until_a_token_refills(
    desk: Desk,
) -> None:
    app, _, clock, store, _ = desk
    client = TestClient(app)
    csrf = token_of(client.get("/public/report").text)
    for _ in range(public.REPORT_BUCKET.capacity):  # the last allowed is the fifth
        assert file(client, csrf=csrf).status_code == 200  # type: ignore[attr-defined]
    before = counts(store)
    refused = file(client, csrf=csrf)
    assert refused.status_code == 429  # type: ignore[attr-defined]
    assert refused.headers["retry-after"] == "721"  # type: ignore[attr-defined]
    assert counts(store) == before and len(receipts(store)) == 5
    # another address is not held back
    elsewhere = TestClient(app, client=("203.0.113.9", 40000))
    assert file(elsewhere).status_code == 200  # type: ignore[attr-defined]
    # one second short of a new token: still refused; at the refill: allowed once
    clock.advance(seconds=public.REPORT_BUCKET.refill_seconds - 1)
    assert file(client, csrf=csrf).status_code == 429  # type: ignore[attr-defined]
    clock.advance(seconds=1)
    assert file(client, csrf=csrf).status_code == 200  # type: ignore[attr-defined]
    assert file(client, csrf=csrf).status_code == 429  # type: ignore[attr-defined]


# -- following ------------------------------------------------------------------------------------


def test_a_receipt_shows_its_state_and_dates_and_nothing_internal(desk: Desk) -> None:
    app, engine, clock, store, _ = desk
    citizen = TestClient(app)
    code = code_of(file(citizen))
    clue_id = receipts(store)[0].matter_id
    seen = look_up(citizen, code)
    assert seen.status_code == 200  # type: ignore[attr-defined]
    assert "已登记，等待核查" in seen.text and "2026-03-02" in seen.text  # type: ignore[attr-defined]
    # officers act on the clue; the citizen sees the state change, not the officers' words
    clock.advance(days=1)
    engine.advance(clue_id, "assign", officer_session(store, clock, "H1"), {"verifiers": ["C2"]})
    clock.advance(days=2)
    engine.advance(
        clue_id,
        "decline",
        officer_session(store, clock, "H1"),
        {"ground": "insufficient_evidence", "explanation": "内部说明：现场未见过期食品"},
    )
    seen = look_up(citizen, code.lower().replace("-", " "))
    text = seen.text  # type: ignore[attr-defined]
    assert "经核查，决定不予立案" in text
    assert "2026-03-03 开始核查" in text and "2026-03-05 作出决定" in text
    for secret in ("内部说明", "insufficient", "证据不足", REPORTER, CONTACT, "过保质期", "C2"):
        assert secret not in text


def officer_session(store: Store, clock: FixedClock, officer: str) -> identity.Session:
    return identity.login(store, officer, PASSWORD, clock=clock)


def test_a_wrong_code_and_an_unknown_code_get_the_same_answer(desk: Desk) -> None:
    app, _, _, _, _ = desk
    client = TestClient(app)
    code = code_of(file(client))
    wrong = code[:-1] + ("A" if code[-1] != "A" else "B")
    answers = [look_up(client, c) for c in (wrong, public.new_code(), "", "!!!")]
    assert {a.status_code for a in answers} == {404}  # type: ignore[attr-defined]
    bodies = {re.sub(r'value="[^"]+"', "", a.text) for a in answers}  # type: ignore[attr-defined]
    assert len(bodies) == 1 and "没有与该回执码对应的投诉举报" in bodies.pop()


def test_a_code_shows_its_own_report_only(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    app, _, clock, store, token = desk
    other = intake_token(store, clock, "X1")
    monkeypatch.setenv(public.INTAKE_ENV, f"{token},{other}")
    client = TestClient(app)
    mine = code_of(file(client))  # HZXH
    clock.advance(days=3)
    theirs = code_of(file(client, business="无名小吃店"))  # no region match: first intake, HZXH
    seen_mine = look_up(client, mine).text  # type: ignore[attr-defined]
    seen_theirs = look_up(client, theirs).text  # type: ignore[attr-defined]
    assert "2026-03-02" in seen_mine and "2026-03-05" not in seen_mine
    assert "2026-03-05" in seen_theirs and "2026-03-02" not in seen_theirs


def test_following_needs_the_csrf_token_and_is_rate_limited(desk: Desk) -> None:
    app, _, _, _, _ = desk
    client = TestClient(app)
    client.get("/public/follow")
    assert client.post("/public/follow", data={"code": "AAAA"}).status_code == 403
    csrf = token_of(client.get("/public/follow").text)
    for _ in range(public.FOLLOW_BUCKET.capacity):
        answer = client.post("/public/follow", data={"code": "AAAA", "csrf_token": csrf})
        assert answer.status_code == 404
    answer = client.post("/public/follow", data={"code": "AAAA", "csrf_token": csrf})
    assert answer.status_code == 429


# -- the reporter's identity ----------------------------------------------------------------------


def test_the_reporter_is_shown_only_to_officers_handling_the_clue(desk: Desk) -> None:
    app, _, _, store, _ = desk
    code_of(file(TestClient(app)))
    clue_id = receipts(store)[0].matter_id
    pages = {}
    for officer in ("C1", "C2", "X1"):
        client = TestClient(app)
        log_in(client, officer)
        pages[officer] = client.get(f"/matters/{clue_id}")
    assert pages["C1"].status_code == 200 and REPORTER in pages["C1"].text  # the intake officer
    assert pages["C2"].status_code == 200 and "过保质期" in pages["C2"].text
    assert REPORTER not in pages["C2"].text and CONTACT not in pages["C2"].text
    assert pages["X1"].status_code == 404 and REPORTER not in pages["X1"].text


def test_the_reporter_never_reaches_the_logs(desk: Desk, caplog: pytest.LogCaptureFixture) -> None:
    app, _, _, _, _ = desk
    client = TestClient(app)
    with caplog.at_level(logging.DEBUG):
        code = code_of(file(client))
        look_up(client, code)
    assert caplog.records, "the desk logs every request"
    for record in caplog.records:
        text = record.getMessage() + repr(vars(record))
        assert REPORTER not in text and CONTACT not in text
        assert code not in text and code.replace("-", "") not in text


def test_receipt_codes_are_long_random_and_read_back_however_typed() -> None:
    codes = {public.new_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert re.fullmatch(r"[A-Z2-7]{4}(-[A-Z2-7]{4}){5}", code)
        assert public.code_hash(code) == public.code_hash(code.lower().replace("-", " "))
