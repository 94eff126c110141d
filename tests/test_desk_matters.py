"""The desk's matter pages over HTTP: a full ordinary-procedure case from the clue to the closing
through the generated forms, refused steps shown inline with their rule (values kept, nothing
written), a stale form refused as a conflict, files attached and downloaded, and every page and form
refused to another department's officer, to a logged-out visitor and without the CSRF token."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Any

import pytest
from starlette.applications import Starlette

from tests.conftest import ENTITY
from tests.helpers import counts
from tests.test_desk import TestClient, desk_for, log_in, open_clue
from zhifa.engine import Engine
from zhifa.store import Store
from zhifa.store.tables import Document, Matter
from zhifa.timekeeping import FixedClock

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


class Officers:
    """One logged-in browser per officer on one desk."""

    def __init__(self, app: Starlette) -> None:
        self.app = app
        self.clients: dict[str, tuple[TestClient, str]] = {}

    def __getitem__(self, officer: str) -> tuple[TestClient, str]:
        if officer not in self.clients:
            client = TestClient(self.app)
            self.clients[officer] = (client, log_in(client, officer))
        return self.clients[officer]

    def step(
        self,
        officer: str,
        matter_id: int,
        trigger: str,
        fields: dict[str, Any],
        *,
        version: int | None = None,
        files: list[Any] | None = None,
        csrf: str | None = None,
    ) -> Any:
        client, token = self[officer]
        if version is None:
            page = client.get(f"/matters/{matter_id}").text
            found = re.search(r'name="version" value="(\d+)"', page)
            version = int(found.group(1)) if found else 0
        data: dict[str, Any] = {"version": str(version)}
        if csrf != "":
            data["csrf_token"] = csrf or token
        for name, value in fields.items():
            data[f"f.{name}"] = value
        return client.post(
            f"/matters/{matter_id}/steps/{trigger}",
            data=data,
            files=files,
            follow_redirects=False,
        )


@pytest.fixture
def world(sqlite_bureau: Store) -> tuple[Officers, Engine, FixedClock, Store]:
    app, engine, clock = desk_for(sqlite_bureau, at=datetime(2026, 3, 2, 9, 0))
    return Officers(app), engine, clock, sqlite_bureau


def _open_clue(officers: Officers, who: str = "C1", **more: Any) -> int:
    client, token = officers[who]
    return open_clue(client, token, **more)


def _matter(store: Store, matter_id: int) -> Matter:
    with store.read() as s:
        found = s.get(Matter, matter_id)
        assert found is not None
        s.expunge(found)
        return found


def test_an_ordinary_case_from_the_clue_to_the_closing_through_the_forms(world) -> None:
    officers, engine, clock, store = world
    clue = _open_clue(officers)
    form = officers["H1"][0].get(f"/matters/{clue}").text
    # the forms come from the declarations: a multi-select of the department's officers
    assert 'name="f.verifiers" multiple' in form and '<option value="C2">C2 王芳</option>' in form
    assert officers.step("H1", clue, "assign", {"verifiers": ["C1"]}).status_code == 303
    assert _matter(store, clue).state == "verifying"
    opening = {"act_date": "2026-02-20", "handlers": ["C1", "C2"], "violation": "销售过期食品"}
    assert officers.step("H1", clue, "open_case", opening).status_code == 303
    assert _matter(store, clue).state == "case_opened"

    client, token = officers["H1"]
    page = client.get(f"/matters/new?workflow=case&follows={clue}").text
    assert 'name="f.procedure"' in page and f'value="{clue}"' in page
    answer = client.post(
        "/matters/new",
        data={
            "csrf_token": token,
            "workflow": "case",
            "follows": str(clue),
            "f.procedure": "ordinary",
            "f.party_kind": "organisation",
            "f.party_name": "某食品有限公司",
            "f.act_date": "2026-02-20",
            "f.handlers": ["C1", "C2"],
            "f.violation": "销售过期食品",
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    case = int(answer.headers["location"].rsplit("/", 1)[1])

    walk = [
        (3, "C1", "conclude_investigation", {"violation": "销售超过保质期的食品", "proposed_outcome": "penalty"}),
        (4, "C1", "notify", {"penalty_kind": "fine", "fine": "10000", "hearing_eligible": "false", "reasons": "事实"}),
        (12, "H1", "decide_penalty", {"penalty_kind": "fine", "fine": "10000", "reasons": "事实、理由、依据"}),
        (13, "C1", "serve", {"method": "in_person"}),
        (16, "C1", "record_payment", {"paid_on": "2026-03-16", "amount_paid": "10000"}),
        (17, "H1", "close", {"summary": "罚没款已缴清，结案"}),
    ]  # fmt: skip
    for day, who, trigger, fields in walk:
        clock.set(datetime(2026, 3, day, 10, 0))
        officers.clients.clear()  # a login lasts a working day: log in again each day
        answer = officers.step(who, case, trigger, fields)
        assert answer.headers.get("location") == f"/matters/{case}", (trigger, answer.text)
    assert _matter(store, case).state == "closed"
    shown = officers["C1"][0].get(f"/matters/{case}").text
    assert "已结案" in shown or "closed" in shown
    # the whole story on the page: the clue it came from, linked
    assert f'href="/matters/{clue}"' in shown
    # each step recorded as the officer logged in, with the login session
    history = engine.history(case)
    assert [e.actor_id for e in history][-1] == "H1"
    assert all(e.auth and e.auth.startswith("login#") for e in history)


def test_a_refused_step_shows_the_rule_and_its_article_keeps_the_values_and_writes_nothing(
    world,
) -> None:
    officers, _, _, store = world
    clue = _open_clue(officers)
    officers.step("H1", clue, "assign", {"verifiers": ["C1"]})
    before = counts(store)
    late = {"act_date": "2023-01-05", "handlers": ["C1", "C2"], "violation": "超期违法行为"}
    answer = officers.step("H1", clue, "open_case", late)
    assert answer.status_code == 409
    assert "第三十六条" in answer.text  # the limitation period's article
    assert 'value="2023-01-05"' in answer.text and "超期违法行为" in answer.text
    assert counts(store) == before
    # bad input: the field named beside its input, the other values kept
    answer = officers.step(
        "H1", clue, "open_case", {**late, "act_date": "5 Jan", "handlers": ["C1"]}
    )
    assert answer.status_code == 400
    assert 'class="problem"' in answer.text and "超期违法行为" in answer.text
    assert counts(store) == before


def test_a_step_on_a_matter_changed_meanwhile_is_a_conflict_not_a_lost_update(world) -> None:
    officers, _, _, store = world
    clue = _open_clue(officers)
    stale = _matter(store, clue).version
    assert officers.step("H1", clue, "assign", {"verifiers": ["C1"]}).status_code == 303
    before = counts(store)
    answer = officers.step("H1", clue, "hand_over", {}, version=stale)
    assert answer.status_code == 409 and "was changed by another step" in answer.text
    assert counts(store) == before


def test_another_departments_officer_can_neither_see_nor_act(world) -> None:
    officers, _, _, store = world
    clue = _open_clue(officers, **{})
    outsider, _ = officers["X1"]
    missing = outsider.get("/matters/999999")
    page = outsider.get(f"/matters/{clue}")
    assert page.status_code == 404 and missing.status_code == 404
    # the same sentence whether the matter exists or not
    assert re.sub(r"\d+", "N", page.text) == re.sub(r"\d+", "N", missing.text)
    before = counts(store)
    answer = officers.step("X1", clue, "hand_over", {}, version=_matter(store, clue).version)
    assert answer.status_code == 404 and counts(store) == before
    assert f"#{clue}" not in outsider.get("/search?q=过期").text
    assert f"/matters/{clue}" not in outsider.get(f"/search?q={clue}").text
    assert outsider.get("/due?dept=HZXH").status_code == 403
    # the entity's file shows the officer's own department's matters, and counts the others
    file = outsider.get(f"/entities/{ENTITY}")
    assert file.status_code == 200 and f"/matters/{clue}" not in file.text
    assert "1 more matters" in outsider.get(f"/entities/{ENTITY}?lang=en").text


def test_logged_out_and_csrf_less_posts_write_nothing(world) -> None:
    officers, _, _, store = world
    clue = _open_clue(officers)
    before = counts(store)
    version = _matter(store, clue).version
    for csrf in ("", "forged-token"):
        answer = officers.step(
            "H1", clue, "assign", {"verifiers": ["C1"]}, version=version, csrf=csrf
        )
        assert answer.status_code == 403
    stranger = TestClient(officers.app)
    answer = stranger.post(
        f"/matters/{clue}/steps/assign",
        data={"version": str(version), "f.verifiers": "C1"},
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
    opened = stranger.post("/matters/new", data={"workflow": "clue"}, follow_redirects=False)
    assert opened.status_code == 303
    assert counts(store) == before


def test_evidence_attached_to_a_step_is_downloaded_only_by_the_department(world) -> None:
    officers, _, _, store = world
    clue = _open_clue(officers)
    files = [("evidence", ("现场照片.pdf", PDF, "application/pdf"))]
    answer = officers.step("H1", clue, "assign", {"verifiers": ["C1"]}, files=files)
    assert answer.status_code == 303, answer.text
    sha = hashlib.sha256(PDF).hexdigest()
    page = officers["C1"][0].get(f"/matters/{clue}").text
    assert f"/matters/{clue}/evidence/{sha}" in page
    got = officers["C1"][0].get(f"/matters/{clue}/evidence/{sha}")
    assert got.status_code == 200 and got.content == PDF
    assert "attachment" in got.headers["content-disposition"]
    outsider = officers["X1"][0]
    assert outsider.get(f"/matters/{clue}/evidence/{sha}").status_code == 404
    # a hash this matter does not record: the same 404
    assert officers["C1"][0].get(f"/matters/{clue}/evidence/{'0' * 64}").status_code == 404
    # a file the policy refuses: the step is refused, nothing written
    before = counts(store)
    bad = [("evidence", ("run.exe", b"MZ\x90\x00", "application/octet-stream"))]
    refused = officers.step("H1", clue, "hand_over", {}, files=bad)
    assert refused.status_code == 400 and counts(store) == before


def test_an_issued_document_downloads_verified_and_only_for_the_department(
    world,
) -> None:
    officers, _engine, _, store = world
    clue = _open_clue(officers)
    app_desk = officers.app.state.desk
    content = b"PK\x03\x04 a document"
    blob = app_desk.blobs.put(content)
    with store.write() as s:
        doc = Document(
            matter_id=clue,
            event_id=None,
            kind="lian_shenpi",
            department_code="HZXH",
            year=2026,
            seq=1,
            number="西市监立〔2026〕1号",
            sha256=blob.sha256,
            size=blob.size,
            issued_at=datetime(2026, 3, 2, 9, 30),
        )
        s.add(doc)
        s.flush()
        doc_id = doc.id
    mine = officers["C1"][0]
    page = mine.get(f"/matters/{clue}").text
    assert f"/documents/{doc_id}.docx" in page and "西市监立〔2026〕1号" in page
    got = mine.get(f"/documents/{doc_id}.docx")
    assert got.status_code == 200 and got.content == content
    found = mine.get("/search", params={"q": "西市监立〔2026〕1号"}).text
    assert f"/documents/{doc_id}.docx" in found
    outsider = officers["X1"][0]
    assert outsider.get(f"/documents/{doc_id}.docx").status_code == 404
    assert outsider.get(f"/documents/{doc_id + 1}.docx").status_code == 404
    assert (
        f"/documents/{doc_id}.docx"
        not in outsider.get("/search", params={"q": "西市监立〔2026〕1号"}).text
    )


def test_my_desk_lists_what_i_handle_with_the_steps_i_may_take_and_what_is_due(world) -> None:
    officers, _, clock, _ = world
    clue = _open_clue(officers)
    head = officers["H1"][0]
    desk = head.get("/").text
    assert f'href="/matters/{clue}#step-assign"' not in desk  # H1 has not handled it yet
    mine = officers["C1"][0].get("/").text
    assert f'href="/matters/{clue}"' in mine
    officers.step("H1", clue, "assign", {"verifiers": ["C2"]})
    named = officers["C2"][0].get("/?within=30").text  # named in the assignment, not a step taker
    assert f'href="/matters/{clue}"' in named
    assert "第" in named or "basis" in named.lower()  # the rule behind the deadline
    assert f'href="/matters/{clue}#step-open_case"' in head.get("/").text
    # boundary of "within": the verification deadline (15 working days) is shown from that far
    clock.set(datetime(2026, 3, 2, 10, 0))
    page_due = officers["H1"][0].get("/due?within=0").text
    assert f'/matters/{clue}"' not in page_due
    assert f'/matters/{clue}"' in officers["H1"][0].get("/due").text


def test_search_finds_by_title_entity_officer_and_number(world) -> None:
    officers, _, _, _ = world
    clue = _open_clue(officers)
    client = officers["C1"][0]
    assert f"/matters/{clue}" in client.get("/search", params={"q": "过期"}).text
    assert f"/entities/{ENTITY}" in client.get("/search", params={"q": ENTITY.lower()}).text
    assert f"/entities/{ENTITY}" in client.get("/search", params={"q": "食品有限"}).text
    by_officer = client.get("/search", params={"q": "C1"}).text
    assert "李明" in by_officer and f"/matters/{clue}" in by_officer
    assert f"/matters/{clue}" in client.get("/search", params={"q": f"#{clue}"}).text
    assert "没有找到" in client.get("/search", params={"q": "%_%"}).text
    assert client.get("/search?page=0&q=x").status_code == 400
