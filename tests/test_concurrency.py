"""Eight processes advance the same matter at once: exactly one wins, the others get a conflict."""

from __future__ import annotations

import multiprocessing as mp
from datetime import datetime
from typing import Any

import pytest

from tests.helpers import make_engine, open_clue
from zhifa.audit import verify
from zhifa.store import Store

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
