"""A random draw cannot be re-rolled: a plan is drawn once, on snapshots frozen before the public
value was published; drawing it again is a recorded redraw (a reason, a head's approval, no
tasks yet), the replaced draw stays stored, and only the current draw creates tasks."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import DEPT, seed_bureau
from tests.helpers import drawer, run, run_json, sessions_where_required, signed_in
from tests.test_draws import make_plan, seed_targets
from zhifa import identity, inspections
from zhifa.engine import Engine
from zhifa.errors import AuthError, InputError, NotFoundError, PermissionRefused, RefusedError
from zhifa.inspections import records, selection
from zhifa.store import Store, migrate
from zhifa.store.tables import Draw, DrawTask, Matter, Officer
from zhifa.timekeeping import FixedClock

PUBLISHED = datetime(2026, 5, 20, 9, 0)  # the plan
FROZEN = datetime(2026, 5, 20, 17, 0)  # the snapshots
VALUE_AT = datetime(2026, 5, 20, 21, 30)  # the lottery result
DRAWN = datetime(2026, 5, 21, 9, 0)
VALUE_2_AT = datetime(2026, 5, 22, 21, 30)  # the next lottery result
REDRAWN = datetime(2026, 5, 23, 9, 0)
VALUE, VALUE_2 = "2026-05-20 福彩3D 123", "2026-05-22 福彩3D 456"


class Setup:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.clock = FixedClock(PUBLISHED)
        seed_targets(store)
        self.plan_id = inspections.create_plan(store, make_plan(), self.clock)
        inspections.publish_plan(store, self.plan_id, self.clock)
        self.clock.set(FROZEN)
        self.snapshots = inspections.take_snapshots(store, self.clock, year=2026)
        self.clock.set(DRAWN)

    def draw(self, value: str = VALUE, at: datetime = VALUE_AT) -> inspections.DrawInfo:
        self.clock.set(DRAWN)
        return inspections.run_draw(
            self.store, self.plan_id, value, *self.snapshots, value_published_at=at,
            clock=self.clock, by=drawer(self.store),
        )  # fmt: skip

    def redraw(self, **kw: Any) -> inspections.DrawInfo:
        self.clock.set(kw.pop("now", REDRAWN))
        args: dict[str, Any] = {
            "reason": "抽取时误用了上一期开奖号码",
            "approved_by": "H1",
            "value_published_at": VALUE_2_AT,
            "clock": self.clock,
            "by": drawer(self.store),
        }
        return inspections.redraw(self.store, self.plan_id, kw.pop("value", VALUE_2), **args | kw)

    def draws(self) -> int:
        with self.store.read() as session:
            return int(session.scalar(sa.select(sa.func.count()).select_from(Draw)) or 0)


@pytest.fixture
def plan(bureau: Store) -> Setup:
    return Setup(bureau)


# -- once ------------------------------------------------------------------------------------------


def test_a_plan_drawn_once_refuses_a_second_draw(plan: Setup) -> None:
    first = plan.draw()
    assert (first.generation, first.replaces, first.current) == (1, None, True)
    assert first.value_published_at == VALUE_AT
    for value in (VALUE, "another value", "a third"):
        with pytest.raises(RefusedError) as refused:
            plan.draw(value)
        assert str(refused.value).startswith(
            f"plan {plan.plan_id} has already been drawn (draw {first.id}, public value '{VALUE}'"
        )
        assert "zhifa draw redraw" in str(refused.value)
    assert plan.draws() == 1
    assert inspections.current_draw(plan.store, plan.plan_id) == first


def test_the_database_holds_one_draw_per_plan_and_generation(plan: Setup) -> None:
    first = plan.draw()
    row = {
        "plan_id": plan.plan_id,
        "target_snapshot_id": first.target_snapshot_id,
        "inspector_snapshot_id": first.inspector_snapshot_id,
        "public_value": "other",
        "seed": "0" * 64,
        "record": "{}",
        "created_at": DRAWN,
    }
    # behind zhifa's back: a second first draw
    with pytest.raises(sa.exc.IntegrityError), plan.store.write() as session:
        session.execute(sa.insert(Draw), [row])
    # two redraws of the same draw
    with pytest.raises(sa.exc.IntegrityError), plan.store.write() as session:
        session.execute(sa.insert(Draw), [{**row, "generation": 2, "replaces": first.id}])
        session.execute(sa.insert(Draw), [{**row, "generation": 3, "replaces": first.id}])
    assert plan.draws() == 1


def _racing(url: str, calls: list[Any], monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Run each call on its own store in its own thread, both past the "already drawn" check
    before either writes; returns what each returned or raised."""
    barrier = threading.Barrier(len(calls), timeout=30)
    real_draw = selection.draw

    def draw_after_both_checked(*args: Any, **kwargs: Any) -> Any:
        barrier.wait()
        return real_draw(*args, **kwargs)

    monkeypatch.setattr(records, "draw", draw_after_both_checked)
    results: list[Any] = [None] * len(calls)

    def go(n: int) -> None:
        store = Store(url)
        try:
            results[n] = calls[n](store)
        except Exception as exc:
            results[n] = exc
        finally:
            store.dispose()

    threads = [threading.Thread(target=go, args=(n,)) for n in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_two_draws_racing_on_one_plan_exactly_one_lands(
    plan: Setup, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def draw_with(value: str) -> Any:
        return lambda store: inspections.run_draw(
            store, plan.plan_id, value, *plan.snapshots, value_published_at=VALUE_AT,
            clock=FixedClock(DRAWN), by=drawer(store),
        )  # fmt: skip

    results = _racing(db_url, [draw_with("A"), draw_with("B")], monkeypatch)
    won = [r for r in results if isinstance(r, inspections.DrawInfo)]
    lost = [r for r in results if not isinstance(r, inspections.DrawInfo)]
    assert len(won) == 1 and len(lost) == 1, results
    assert type(lost[0]) is RefusedError
    assert str(lost[0]).startswith(f"plan {plan.plan_id} has already been drawn (draw {won[0].id}")
    assert plan.draws() == 1


def test_two_redraws_racing_exactly_one_lands(
    plan: Setup, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = plan.draw()

    def redraw_with(value: str) -> Any:
        return lambda store: inspections.redraw(
            store, plan.plan_id, value, reason="号码误录", approved_by="H1",
            value_published_at=VALUE_2_AT, clock=FixedClock(REDRAWN), by=drawer(store),
        )  # fmt: skip

    results = _racing(db_url, [redraw_with("A"), redraw_with("B")], monkeypatch)
    won = [r for r in results if isinstance(r, inspections.DrawInfo)]
    lost = [r for r in results if not isinstance(r, inspections.DrawInfo)]
    assert len(won) == 1 and len(lost) == 1, results
    assert type(lost[0]) is RefusedError and f"(draw {won[0].id})" in str(lost[0])
    assert won[0].replaces == first.id and plan.draws() == 2


# -- the public value comes after the snapshots and the plan ---------------------------------------


@pytest.mark.parametrize(
    ("frozen", "accepted"),
    [
        (VALUE_AT - timedelta(seconds=1), True),
        (VALUE_AT - timedelta(microseconds=1), True),
        (VALUE_AT, False),
        (VALUE_AT + timedelta(microseconds=500_000), False),  # within the same second
        (VALUE_AT + timedelta(hours=1), False),
    ],
)
def test_snapshots_must_be_taken_before_the_value_was_published(
    bureau: Store, frozen: datetime, accepted: bool
) -> None:
    plan = Setup(bureau)
    plan.clock.set(frozen)
    late = inspections.take_snapshots(bureau, plan.clock, year=2026)
    plan.clock.set(DRAWN)
    for snapshots in ((late[0], plan.snapshots[1]), (plan.snapshots[0], late[1])):
        plan.snapshots = snapshots
        if accepted:
            assert plan.draw().target_snapshot_id == snapshots[0]
            with bureau.write() as session:  # start over: the plan is drawn once
                session.execute(sa.delete(Draw))
            continue
        with pytest.raises(RefusedError, match=r"snapshot \d+ was taken at .* not before the"):
            plan.draw()
        assert plan.draws() == 0


def test_the_plan_must_be_published_before_the_value(plan: Setup) -> None:
    with pytest.raises(RefusedError, match=r"was published at 2026-05-20 09:00:00, not before"):
        plan.draw(at=PUBLISHED)
    with pytest.raises(RefusedError, match="not before the public value"):
        plan.draw(at=PUBLISHED - timedelta(days=1))
    with pytest.raises(InputError, match="is later than now"):
        plan.draw(at=DRAWN + timedelta(seconds=1))
    assert plan.draws() == 0
    assert plan.draw(at=DRAWN).value_published_at == DRAWN  # published the moment it is drawn


# -- redraw ----------------------------------------------------------------------------------------


def test_a_redraw_is_recorded_and_the_first_draw_stays(plan: Setup) -> None:
    first = plan.draw()
    second = plan.redraw()
    assert (second.generation, second.replaces, second.approved_by, second.current) == (
        2,
        first.id,
        "H1",
        True,
    )
    assert second.reason == "抽取时误用了上一期开奖号码"
    assert second.seed != first.seed
    replaced = inspections.get_draw(plan.store, first.id)
    assert (replaced.superseded_by, replaced.current) == (second.id, False)
    assert replaced.as_dict()["superseded_by"] == second.id
    assert [d.id for d in inspections.plan_draws(plan.store, plan.plan_id)] == [
        first.id,
        second.id,
    ]
    assert inspections.verify_draw(plan.store, first.id) == []  # still a true record
    assert inspections.verify_draw(plan.store, second.id) == []
    third = plan.redraw(
        now=REDRAWN + timedelta(days=2), value_published_at=REDRAWN + timedelta(days=1)
    )
    assert (third.generation, third.replaces) == (3, second.id)
    assert inspections.get_draw(plan.store, second.id).superseded_by == third.id


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"reason": "  "}, InputError, "a redraw needs a reason"),
        ({"approved_by": "C1"}, PermissionRefused, "is not a head of HZXH, the plan's lead"),
        ({"approved_by": "X1"}, PermissionRefused, "is not a head of HZXH"),  # another dept's
        ({"approved_by": "NOBODY"}, NotFoundError, "no officer has the id 'NOBODY'"),
        (  # a value already known when the draw was made cannot be chosen instead
            {"value_published_at": VALUE_AT},
            RefusedError,
            "must be published after the draw it replaces",
        ),
        ({"value_published_at": DRAWN}, RefusedError, "must be published after the draw"),
        ({"value_published_at": REDRAWN + timedelta(minutes=1)}, InputError, "later than now"),
    ],
)
def test_a_redraw_without_its_conditions_is_refused(
    plan: Setup, changes: dict[str, Any], error: type[Exception], message: str
) -> None:
    first = plan.draw()
    with pytest.raises(error, match=message):
        plan.redraw(**changes)
    assert plan.draws() == 1
    assert inspections.current_draw(plan.store, plan.plan_id) == first


def test_a_redraw_needs_a_draw_and_snapshots_older_than_its_value(plan: Setup) -> None:
    with pytest.raises(RefusedError, match="has not been drawn, so there is nothing to redraw"):
        plan.redraw()
    plan.draw()
    plan.clock.set(VALUE_2_AT)
    late = inspections.take_snapshots(plan.store, plan.clock, year=2026)
    with pytest.raises(RefusedError, match=f"targets snapshot {late[0]} was taken at"):
        plan.redraw(target_snapshot=late[0])
    plan.clock.set(VALUE_2_AT - timedelta(seconds=1))
    early = inspections.take_snapshots(plan.store, plan.clock, year=2026)
    drawn = plan.redraw(target_snapshot=early[0], inspector_snapshot=early[1])
    assert (drawn.target_snapshot_id, drawn.inspector_snapshot_id) == early


# -- tasks come from the current draw ------------------------------------------------------------------


def _engine(store: Store) -> Engine:
    return Engine(
        store,
        clock=FixedClock(datetime(2026, 5, 25, 9, 0)),
        sessions=sessions_where_required(store),
    )


def _count(store: Store, model: Any) -> int:
    with store.read() as session:
        return int(session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


def test_only_the_current_draw_creates_tasks(plan: Setup) -> None:
    first = plan.draw()
    second = plan.redraw()
    engine = _engine(plan.store)
    with pytest.raises(RefusedError) as refused:
        inspections.create_tasks(engine, first.id, {DEPT: "H1"})
    assert str(refused.value) == (
        f"draw {first.id} was redrawn and is not plan {plan.plan_id}'s current draw, which is "
        f"draw {second.id}; tasks come only from the current draw: zhifa draw tasks {second.id}"
    )
    assert (_count(plan.store, Matter), _count(plan.store, DrawTask)) == (0, 0)
    created = inspections.create_tasks(engine, second.id, {DEPT: "H1"})
    assert created.matters


def test_a_draw_with_tasks_cannot_be_redrawn(plan: Setup) -> None:
    first = plan.draw()
    created = inspections.create_tasks(_engine(plan.store), first.id, {DEPT: "H1"})
    with pytest.raises(RefusedError, match=rf"already created its {len(created.matters)} tasks"):
        plan.redraw()
    assert plan.draws() == 1


def test_tasks_racing_a_redraw_are_refused_inside_their_transaction(
    plan: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    """create_tasks read the draw as current, then the redraw landed: the tasks are refused."""
    from zhifa.inspections import tasks

    first = plan.draw()
    stale = inspections.get_draw(plan.store, first.id)
    second = plan.redraw()
    monkeypatch.setattr(tasks, "get_draw", lambda _store, _id: stale)
    with pytest.raises(RefusedError, match=f"current draw, which is draw {second.id}"):
        inspections.create_tasks(_engine(plan.store), first.id, {DEPT: "H1"})
    assert (_count(plan.store, Matter), _count(plan.store, DrawTask)) == (0, 0)


# -- CLI -------------------------------------------------------------------------------------------


@pytest.fixture
def cli_plan(sqlite_url: str) -> Iterator[str]:
    store = Store(sqlite_url)
    seed_bureau(store)
    Setup(store)
    store.dispose()
    yield sqlite_url


def test_cli_draw_once_then_redraw(capsys: pytest.CaptureFixture[str], cli_plan: str) -> None:
    db = ("--db", cli_plan)
    snaps = ("--targets", "1", "--inspectors", "2")
    drawn = run_json(
        capsys, "draw", "run", "1", "--public-value", VALUE, *snaps,
        "--value-published-at", VALUE_AT.isoformat(), *db,
    )  # fmt: skip
    code, _, err = run(
        capsys, "draw", "run", "1", "--public-value", "B", *snaps,
        "--value-published-at", VALUE_AT.isoformat(), *db,
    )  # fmt: skip
    assert code == 1 and "plan 1 has already been drawn (draw 1" in err
    assert "Traceback" not in err
    # the CLI draws at the system's time: the redraw's value is published after it, not later
    # than now
    value_2_at = datetime.fromisoformat(drawn["created_at"]) + timedelta(seconds=1)
    time.sleep(1.1)
    redraw = ("draw", "redraw", "1", "--public-value", VALUE_2, "--value-published-at",
              value_2_at.isoformat(timespec="seconds"))  # fmt: skip
    code, _, err = run(capsys, *redraw, "--reason", "误用号码", "--approved-by", "C1", *db)
    assert code == 1 and "is not a head of HZXH" in err
    code, _, err = run(capsys, *redraw, "--reason", " ", "--approved-by", "H1", *db)
    assert code == 2 and "a redraw needs a reason" in err
    code, _, err = run(capsys, *redraw, "--approved-by", "H1", *db)
    assert code == 2 and "--reason" in err
    again = run_json(capsys, *redraw, "--reason", "误用号码", "--approved-by", "H1", *db)
    assert (again["replaces"], again["approved_by"], again["reason"]) == (1, "H1", "误用号码")
    code, out, _ = run(capsys, "draw", "show", "1", *db)
    assert code == 0 and f"superseded: redrawn as draw {again['id']}" in out
    code, out, _ = run(capsys, "draw", "show", str(again["id"]), *db)
    assert "a redraw replacing draw 1, approved by H1: 误用号码" in out
    code, out, _ = run(capsys, "draw", "verify", "1", *db)
    assert code == 0 and f"not plan 1's current draw: draw {again['id']} replaced it" in out
    assert run_json(capsys, "draw", "verify", "1", *db)["superseded_by"] == again["id"]
    code, _, err = run(capsys, "draw", "tasks", "1", "--by", f"{DEPT}=H1", *db)
    assert code == 1 and f"zhifa draw tasks {again['id']}" in err
    assert drawn["id"] == 1
    code, _, err = run(capsys, "draw", "tasks", str(again["id"]), "--by", f"{DEPT}=H1", *db)
    assert code == 0, err


# -- migration -----------------------------------------------------------------------------------------


def test_migration_chains_draws_stored_before_it(sqlite_url: str, tmp_path: Path) -> None:
    """Draws of one plan stored before 0005 become a chain, the latest current."""
    store = Store(f"sqlite:///{tmp_path}/old.db")
    migrate.upgrade(store, "0004")
    with store.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO plans (id, plan, digest, status, created_at) VALUES "
                "(1, '{}', 'd', 'published', :t), (2, '{}', 'd', 'published', :t)"
            ),
            {"t": PUBLISHED},
        )
        conn.execute(
            sa.text(
                "INSERT INTO snapshots (id, kind, taken_at, rows, digest, content) VALUES "
                "(1, 'targets', :t, 0, 'd', :c), (2, 'inspectors', :t, 0, 'd', :c)"
            ),
            {"t": FROZEN, "c": b""},
        )
        for draw_id, plan_id in ((1, 1), (2, 2), (3, 1), (4, 1)):
            conn.execute(
                sa.text(
                    "INSERT INTO draws (id, plan_id, target_snapshot_id, inspector_snapshot_id, "
                    "public_value, seed, record, created_at) VALUES "
                    "(:i, :p, 1, 2, 'v', 's', '{}', :t)"
                ),
                {"i": draw_id, "p": plan_id, "t": DRAWN},
            )
    migrate.upgrade(store)
    assert [(d.id, d.generation, d.replaces, d.superseded_by) for d in
            inspections.plan_draws(store, 1)] == [(1, 1, None, 3), (3, 2, 1, 4), (4, 3, 3, None)]  # fmt: skip
    assert inspections.get_draw(store, 3).reason == "drawn again before zhifa recorded redraws"
    assert inspections.current_draw(store, 2) == inspections.get_draw(store, 2)
    migrate.downgrade(store, "0004")
    migrate.upgrade(store)
    store.dispose()


# -- who draws -----------------------------------------------------------------------------------


def test_a_draw_records_who_drew_it_and_how(plan: Setup) -> None:
    drawn = plan.draw()
    if plan.store.dialect == "sqlite":  # no authentication: nobody proven, marked none
        assert (drawn.drawn_by, drawn.auth) == (None, "none")
    else:
        assert drawn.drawn_by == "H1" and drawn.auth is not None
        assert drawn.auth.startswith("token#")


def test_an_authenticating_store_refuses_a_draw_without_a_session(plan: Setup) -> None:
    """On PostgreSQL (always) and on SQLite once authentication is on, an officer id or nobody
    does not draw: the draw is an act of a logged-in officer."""
    if plan.store.dialect == "sqlite":
        identity.bootstrap(plan.store, "H1", "a long enough password")
        identity.set_auth(plan.store, True)
    for by in (None, "H1"):
        with pytest.raises(AuthError):
            inspections.run_draw(
                plan.store, plan.plan_id, VALUE, *plan.snapshots, value_published_at=VALUE_AT,
                clock=plan.clock, by=by,
            )  # fmt: skip
    assert plan.draws() == 0


def test_on_an_authenticating_store_the_approving_head_takes_the_redraw(plan: Setup) -> None:
    if plan.store.dialect == "sqlite":
        identity.bootstrap(plan.store, "H1", "a long enough password")
        identity.set_auth(plan.store, True)
    with plan.store.write() as session:  # a second head of the department
        session.add(
            Officer(id="H2", name="副局长", department_code=DEPT, roles="head", certificate_no=None)
        )
    first = inspections.run_draw(
        plan.store, plan.plan_id, VALUE, *plan.snapshots, value_published_at=VALUE_AT,
        clock=plan.clock, by=signed_in(plan.store, ["H1"])[0],
    )  # fmt: skip
    plan.clock.set(REDRAWN)
    args: dict[str, Any] = {
        "reason": "号码误录",
        "value_published_at": VALUE_2_AT,
        "clock": plan.clock,
        "by": signed_in(plan.store, ["H2"])[0],
    }
    with pytest.raises(PermissionRefused, match="H1 approves, but H2 is logged in"):
        inspections.redraw(plan.store, plan.plan_id, VALUE_2, approved_by="H1", **args)
    second = inspections.redraw(plan.store, plan.plan_id, VALUE_2, approved_by="H2", **args)
    assert second.replaces == first.id and second.drawn_by == second.approved_by == "H2"
