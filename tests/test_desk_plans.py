"""The desk's random-inspection plans and draws over HTTP: the department's plans listed, a plan
published, drawn, its draw verified and its tasks created through the POST forms (each once, the
second time refused with the rule's sentence), bad draw input shown with nothing written, and
every page and form refused to a logged-out visitor, to another department's officer and without
the CSRF token."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from starlette.applications import Starlette

from tests.test_desk import TestClient, desk_for, log_in
from tests.test_draws import make_plan, seed_targets
from zhifa import inspections
from zhifa.engine import Engine
from zhifa.store import Store
from zhifa.store.tables import Draw, DrawTask
from zhifa.timekeeping import FixedClock

World = tuple[Starlette, Engine, FixedClock, Store, int]


@pytest.fixture
def world(sqlite_bureau: Store) -> World:
    seed_targets(sqlite_bureau)
    plan_id = inspections.create_plan(sqlite_bureau, make_plan())
    app, engine, clock = desk_for(sqlite_bureau)
    return app, engine, clock, sqlite_bureau, plan_id


def status(store: Store, plan_id: int) -> str:
    return inspections.get_plan(store, plan_id).status


def draws(store: Store) -> int:
    with store.read() as s:
        return int(s.scalar(sa.select(sa.func.count()).select_from(Draw)) or 0)


def tasks(store: Store) -> int:
    with store.read() as s:
        return int(s.scalar(sa.select(sa.func.count()).select_from(DrawTask)) or 0)


def snapshots(store: Store, clock: FixedClock) -> dict[str, str]:
    """Snapshots taken an hour after the desk's clock, the value published an hour later; the
    desk's clock then stands an hour after that."""
    taken = FixedClock(clock.now() + timedelta(hours=1))
    targets, inspectors = inspections.take_snapshots(store, taken)
    published = clock.now() + timedelta(hours=2)
    clock.advance(hours=3)
    return {
        "public_value": "2026-03-02 福彩3D 517",
        "value_published_at": published.strftime("%Y-%m-%dT%H:%M"),
        "target_snapshot": str(targets),
        "inspector_snapshot": str(inspectors),
    }


def test_a_plan_is_published_drawn_verified_and_tasked_through_the_forms(world: World) -> None:
    app, engine, clock, store, plan_id = world
    head = TestClient(app)
    csrf = log_in(head, "H1")
    listed = head.get("/plans")
    assert listed.status_code == 200 and f'href="/plans/{plan_id}"' in listed.text
    page = head.get(f"/plans/{plan_id}").text
    assert 'id="plan-publish"' in page and 'id="plan-draw"' not in page

    answer = head.post(
        f"/plans/{plan_id}/publish", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert answer.status_code == 303 and status(store, plan_id) == "published"
    again = head.post(f"/plans/{plan_id}/publish", data={"csrf_token": csrf})
    assert again.status_code == 409 and "already published" in again.text

    form = snapshots(store, clock)
    # bad input: the sentence, the values kept, nothing drawn
    bad = head.post(
        f"/plans/{plan_id}/draw", data={**form, "public_value": " ", "csrf_token": csrf}
    )
    assert bad.status_code == 400 and "public random value" in bad.text
    assert form["value_published_at"] in bad.text and draws(store) == 0
    late = {
        **form,
        "value_published_at": (clock.now() - timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M"),
    }
    refused = head.post(f"/plans/{plan_id}/draw", data={**late, "csrf_token": csrf})
    assert refused.status_code in (400, 409) and draws(store) == 0

    drawn = head.post(
        f"/plans/{plan_id}/draw", data={**form, "csrf_token": csrf}, follow_redirects=False
    )
    assert drawn.status_code == 303, drawn.text
    [info] = inspections.plan_draws(store, plan_id)
    assert info.drawn_by == "H1" and info.auth and info.auth.startswith("login#")
    twice = head.post(f"/plans/{plan_id}/draw", data={**form, "csrf_token": csrf})
    assert twice.status_code == 409 and draws(store) == 1

    verified = head.post(f"/draws/{info.id}/verify", data={"csrf_token": csrf})
    assert verified.status_code == 200 and f"抽取{info.id}已复核" in verified.text

    made = head.post(f"/draws/{info.id}/tasks", data={"csrf_token": csrf})
    assert made.status_code == 200 and "项检查任务" in made.text
    rows = len(info.record["visits"]["rows"])
    assert tasks(store) == rows > 0
    with store.read() as s:
        first = s.scalar(sa.select(sa.func.min(DrawTask.matter_id)))
    assert f'href="/matters/{first}"' in made.text
    assert engine.load(int(first or 0)).workflow == "inspection"
    again = head.post(f"/draws/{info.id}/tasks", data={"csrf_token": csrf})
    assert again.status_code == 409 and "once" in again.text and tasks(store) == rows


def test_a_tampered_draw_does_not_verify_on_the_desk(world: World) -> None:
    app, _, clock, store, plan_id = world
    head = TestClient(app)
    csrf = log_in(head, "H1")
    head.post(f"/plans/{plan_id}/publish", data={"csrf_token": csrf})
    head.post(f"/plans/{plan_id}/draw", data={**snapshots(store, clock), "csrf_token": csrf})
    [info] = inspections.plan_draws(store, plan_id)
    with store.write() as s:
        s.execute(sa.update(Draw).where(Draw.id == info.id).values(public_value="forged"))
    answer = head.post(f"/draws/{info.id}/verify", data={"csrf_token": csrf})
    assert answer.status_code == 409 and "does not verify" in answer.text
    made = head.post(f"/draws/{info.id}/tasks", data={"csrf_token": csrf})
    assert made.status_code == 409 and tasks(store) == 0


@pytest.mark.parametrize("path", ["/plans", "/plans/1"])
def test_logged_out_visitors_go_to_the_login(world: World, path: str) -> None:
    answer = TestClient(world[0]).get(path, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next=")


def test_logged_out_and_csrf_less_posts_change_nothing(world: World) -> None:
    app, _, _, store, plan_id = world
    stranger = TestClient(app)
    answer = stranger.post(f"/plans/{plan_id}/publish", data={}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
    head = TestClient(app)
    log_in(head, "H1")
    for csrf in ("", "forged-token"):
        data = {"csrf_token": csrf} if csrf else {}
        assert head.post(f"/plans/{plan_id}/publish", data=data).status_code == 403
    assert status(store, plan_id) == "draft"


def test_another_departments_officer_neither_sees_nor_acts(world: World) -> None:
    app, _, clock, store, plan_id = world
    head = TestClient(app)
    csrf = log_in(head, "H1")
    outsider = TestClient(app)
    theirs = log_in(outsider, "X1")
    assert f"/plans/{plan_id}" not in outsider.get("/plans").text
    seen = outsider.get(f"/plans/{plan_id}")
    missing = outsider.get("/plans/99999")
    assert seen.status_code == missing.status_code == 404
    assert re.sub(r"\d+", "N", seen.text) == re.sub(r"\d+", "N", missing.text)
    assert (
        outsider.post(f"/plans/{plan_id}/publish", data={"csrf_token": theirs}).status_code == 404
    )
    assert status(store, plan_id) == "draft"
    head.post(f"/plans/{plan_id}/publish", data={"csrf_token": csrf})
    form = snapshots(store, clock)
    refused = outsider.post(f"/plans/{plan_id}/draw", data={**form, "csrf_token": theirs})
    assert refused.status_code == 404 and draws(store) == 0
    head.post(f"/plans/{plan_id}/draw", data={**form, "csrf_token": csrf})
    [info] = inspections.plan_draws(store, plan_id)
    for action in ("verify", "tasks"):
        answer = outsider.post(f"/draws/{info.id}/{action}", data={"csrf_token": theirs})
        assert answer.status_code == 404
    assert tasks(store) == 0
