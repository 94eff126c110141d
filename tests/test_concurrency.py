"""Races: eight processes advance the same matter at once (exactly one wins, the others get a
conflict); threads open the first matters of a workflow version nothing registered yet (all
succeed); threads advance one matter (every loser is a conflict or a refusal, never bad input or a
raw database error)."""

from __future__ import annotations

import multiprocessing as mp
import threading
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa

from tests.helpers import counts, make_engine, open_clue
from zhifa.audit import verify
from zhifa.errors import ConflictError, DefinitionError, ZhifaError
from zhifa.store import Store
from zhifa.store.tables import WorkflowVersion

WORKERS = 8


def _race(url: str, matter_id: int, barrier: Any, results: Any) -> None:
    from zhifa.errors import ConflictError, ZhifaError

    store = Store(url)
    engine, _ = make_engine(store, at=datetime(2026, 2, 11, 9))
    view = engine.load(matter_id)  # everyone loads version 1 before anyone writes
    barrier.wait(timeout=60)
    try:
        engine.advance(view, "assign", "H1", {"verifiers": ["C1"]})
        results.put("ok")
    except ConflictError:
        results.put("conflict")
    except ZhifaError as exc:
        results.put(f"other: {exc.message}")
    finally:
        store.dispose()


@pytest.mark.slow
def test_concurrent_advances_never_lose_an_update(bureau: Store) -> None:
    engine, _ = make_engine(bureau)
    matter = open_clue(engine)
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(WORKERS), ctx.Queue()
    url = bureau.engine.url.render_as_string(hide_password=False)
    procs = [
        ctx.Process(target=_race, args=(url, matter.id, barrier, results)) for _ in range(WORKERS)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    outcomes = sorted(results.get(timeout=5) for _ in procs)
    assert outcomes == ["conflict"] * (WORKERS - 1) + ["ok"]
    after = engine.load(matter.id)
    assert (after.state, after.version) == ("verifying", 2)
    assert [e.seq for e in engine.history(matter.id)] == [1, 2]
    assert verify(bureau).intact


# --- the first use of a workflow version, and lost races, from many threads at once -----------

THREADS = 12


def _threads(target: Any, count: int) -> list[str]:
    """Run ``target(i)`` in ``count`` threads started together; each one's outcome, sorted."""
    barrier = threading.Barrier(count)
    outcomes: list[str] = []

    def run(i: int) -> None:
        barrier.wait(timeout=60)
        try:
            target(i)
            outcomes.append("ok")
        except ConflictError:
            outcomes.append("conflict")
        except ZhifaError as exc:
            outcomes.append(f"{type(exc).__name__}: {exc.message}")
        except Exception as exc:  # a raw error is what this test exists to catch
            outcomes.append(f"raw {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return sorted(outcomes)


@pytest.mark.slow
def test_first_opens_of_a_fresh_workflow_version_all_succeed(bureau: Store) -> None:
    """Nothing has registered the clue workflow yet: every concurrent first open registers it
    or finds it registered, and the one stored version matches the file."""
    url = bureau.engine.url.render_as_string(hide_password=False)
    stores = [Store(url) for _ in range(THREADS)]
    engines = [make_engine(s)[0] for s in stores]
    try:
        outcomes = _threads(lambda i: open_clue(engines[i]), THREADS)
    finally:
        for s in stores:
            s.dispose()
    assert outcomes == ["ok"] * THREADS
    with bureau.read() as session:
        rows = session.scalars(sa.select(WorkflowVersion)).all()
    assert [(r.name, r.digest) for r in rows] == [("clue", engines[0].definition("clue").digest)]
    assert counts(bureau) == (THREADS, THREADS)
    assert verify(bureau).intact


def test_a_changed_file_for_a_registered_version_is_still_refused(bureau: Store) -> None:
    engine, _ = make_engine(bureau)
    open_clue(engine)
    with bureau.write() as session:
        row = session.get(WorkflowVersion, ("clue", engine.definition("clue").version))
        assert row is not None
        row.digest = "0" * 64
    fresh, _ = make_engine(bureau)
    with pytest.raises(DefinitionError, match="give the changed definition a new version"):
        open_clue(fresh)
    assert counts(bureau) == (1, 1)


@pytest.mark.slow
def test_every_loser_of_a_race_of_advances_gets_a_conflict(bureau: Store) -> None:
    """Threads with their own engines advance one matter, each from the version it loaded and
    each at its own "now": one wins, every other one is told to reload and retry — never bad
    input (a time before the winner's step) and never a raw database error."""
    engine, _ = make_engine(bureau)
    matter = open_clue(engine)
    url = bureau.engine.url.render_as_string(hide_password=False)
    stores = [Store(url) for _ in range(THREADS)]
    # each thread's clock a second apart, so a loser's "now" may be before the winner's step
    engines = [make_engine(s, at=datetime(2026, 2, 11, 9, 0, i))[0] for i, s in enumerate(stores)]
    views = [e.load(matter.id) for e in engines]
    try:
        outcomes = _threads(
            lambda i: engines[i].advance(views[i], "assign", "H1", {"verifiers": ["C1"]}),
            THREADS,
        )
    finally:
        for s in stores:
            s.dispose()
    assert outcomes == ["conflict"] * (THREADS - 1) + ["ok"]
    assert [e.seq for e in engine.history(matter.id)] == [1, 2]
    assert verify(bureau).intact


@pytest.mark.slow
def test_racing_advances_by_id_never_report_bad_input(bureau: Store) -> None:
    """The same race by matter id (nothing loaded first): the losers find the matter moved on,
    a refusal or a conflict, never an InputError about the step's time."""
    engine, _ = make_engine(bureau)
    matter = open_clue(engine)
    url = bureau.engine.url.render_as_string(hide_password=False)
    stores = [Store(url) for _ in range(THREADS)]
    engines = [
        make_engine(s, at=datetime(2026, 2, 11, 9, 0, THREADS - i))[0] for i, s in enumerate(stores)
    ]
    try:
        outcomes = _threads(
            lambda i: engines[i].advance(matter.id, "assign", "H1", {"verifiers": ["C1"]}),
            THREADS,
        )
    finally:
        for s in stores:
            s.dispose()
    assert outcomes.count("ok") == 1
    losers = [o for o in outcomes if o != "ok"]
    assert all(o == "conflict" or o.startswith("RefusedError: ") for o in losers), losers
    assert [e.seq for e in engine.history(matter.id)] == [1, 2]
