"""Guards and step hooks run within their plugin's time limit: a guard just under it passes, one
over it is refused at the limit with one sentence naming the plugin and the limit, the step
writes nothing, and another writer is not stalled for the hang's duration (its connection is
discarded at the limit, so SQLite's write lock is released then)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import ENTITY
from tests.helpers import counts, make_engine
from tests.plugins.hostile import After, Before, GuardedBy
from zhifa.errors import InputError, PluginTimeout, PluginWriteRefused
from zhifa.hooks.types import StepContext
from zhifa.plugins import BASELINE, Plugins
from zhifa.plugins.config import DEFAULT_TIME_LIMIT, PluginConfig, parse_config
from zhifa.store import Store

LIMIT = 0.2
CLUE = {"source": "complaint", "summary": "过期食品"}


def limits(**seconds: float) -> PluginConfig:
    return parse_config({"time_limits": seconds}, "zhifa.toml")


def sleeping(seconds: float) -> Any:
    def act(ctx: StepContext) -> None:
        time.sleep(seconds)

    return act


def test_the_default_limit_is_two_seconds_and_the_baseline_has_none_unless_named() -> None:
    assert DEFAULT_TIME_LIMIT == 2.0
    plugins = Plugins([Before(sleeping(0))], autoload=False, config=PluginConfig())
    assert (plugins.time_limit("before"), plugins.time_limit(BASELINE)) == (2.0, None)
    named = Plugins(
        [Before(sleeping(0))],
        autoload=False,
        config=limits(**{"before": 0.5, "*": 3, BASELINE: 10}),
    )
    assert (named.time_limit("before"), named.time_limit(BASELINE)) == (0.5, 10.0)
    assert [(p.name, p.time_limit) for p in named.listing()] == [(BASELINE, 10.0), ("before", 0.5)]


@pytest.mark.parametrize(
    ("raw", "fault"),
    [
        ({"time_limits": {"before": 0}}, "not a number of seconds above zero"),
        ({"time_limits": {"before": "2s"}}, "not a number of seconds above zero"),
        ({"time_limits": {"before": True}}, "not a number of seconds above zero"),
        ({"time_limits": 2}, "must be a table"),
    ],
)
def test_a_bad_time_limit_is_one_sentence(raw: dict[str, Any], fault: str) -> None:
    with pytest.raises(InputError, match=fault):
        parse_config(raw, "zhifa.toml")


def test_a_time_limit_for_a_plugin_that_is_not_loaded_is_refused() -> None:
    with pytest.raises(InputError, match=r"\[time_limits\] names plugin safty, which is not"):
        Plugins(autoload=False, config=limits(safty=1))


def test_a_guard_just_under_its_limit_passes(sqlite_bureau: Store, tmp_path: Path) -> None:
    engine, _ = make_engine(
        sqlite_bureau, GuardedBy(tmp_path, sleeping(LIMIT / 4)), config=limits(hostile=LIMIT)
    )
    m = engine.open("probe", "C1").matter
    assert engine.advance(m, "check", "C1").matter.state == "checked"


def test_a_guard_over_its_limit_is_refused_at_the_limit(bureau: Store, tmp_path: Path) -> None:
    engine, _ = make_engine(
        bureau, GuardedBy(tmp_path, sleeping(LIMIT * 15)), config=limits(hostile=LIMIT)
    )
    m = engine.open("probe", "C1").matter
    before = counts(bureau)
    started = time.perf_counter()
    with pytest.raises(PluginTimeout) as err:
        engine.advance(m, "check", "C1")
    took = time.perf_counter() - started
    assert LIMIT <= took < LIMIT * 5, took
    assert err.value.message.startswith(
        "plugin 'hostile' did not return from guard probe_guard within its time limit of 0.2 s"
    )
    assert (err.value.plugin, err.value.limit, err.value.exit_code) == ("hostile", LIMIT, 1)
    assert counts(bureau) == before
    assert engine.load(m.id).state == "drafted"
    # the engine goes on at once: the next matter opens and steps (the pool has a fresh connection)
    assert engine.open("clue", "C1", CLUE, entity=ENTITY).matter.state == "received"


def test_another_writer_is_not_stalled_by_a_hanging_guard(
    sqlite_bureau: Store, tmp_path: Path
) -> None:
    """Another process writes while a guard hangs for 5 s under a 0.2 s limit: it waits for the
    limit (the step's write lock is released there), not for the hang. (Before time limits, an
    8 s guard stalled other writers 7.5 s.)"""
    engine, _ = make_engine(
        sqlite_bureau, GuardedBy(tmp_path, sleeping(5)), config=limits(hostile=LIMIT)
    )
    m = engine.open("probe", "C1").matter
    outcome: list[BaseException] = []

    def step() -> None:
        try:
            engine.advance(m, "check", "C1")
        except PluginTimeout as exc:
            outcome.append(exc)

    stepping = threading.Thread(target=step)
    stepping.start()
    time.sleep(0.05)  # the step holds the write lock and waits for its guard
    path = sqlite_bureau.engine.url.database
    writer = (
        "import sqlite3, time\n"
        f"c = sqlite3.connect({path!r}, isolation_level=None, timeout=30)\n"
        "t = time.perf_counter()\n"
        "c.execute('BEGIN IMMEDIATE')\n"
        "c.execute(\"UPDATE departments SET name = name || '局'\")\n"
        "c.execute('COMMIT')\n"
        "print(time.perf_counter() - t)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", writer], capture_output=True, text=True, check=True
    )
    stepping.join()
    waited = float(done.stdout)
    assert waited < 1.5, f"the other writer waited {waited:.2f} s"
    assert outcome and isinstance(outcome[0], PluginTimeout)


def test_a_guard_that_wakes_after_its_limit_cannot_write(
    sqlite_bureau: Store, tmp_path: Path
) -> None:
    woke: list[BaseException | None] = []

    def late_writer(ctx: StepContext) -> None:
        time.sleep(LIMIT * 2)
        try:
            ctx.connection.execute(sa.text("UPDATE officers SET roles = 'head'"))
            woke.append(None)
        except BaseException as exc:
            woke.append(exc)

    engine, _ = make_engine(
        sqlite_bureau, GuardedBy(tmp_path, late_writer), config=limits(hostile=LIMIT)
    )
    m = engine.open("probe", "C1").matter
    with pytest.raises(PluginTimeout):
        engine.advance(m, "check", "C1")
    deadline = time.monotonic() + 5
    while not woke and time.monotonic() < deadline:
        time.sleep(0.05)
    assert woke and woke[0] is not None  # refused: its view of the step ended at the limit
    with sqlite_bureau.read() as s:
        assert s.scalar(sa.text("SELECT roles FROM officers WHERE id = 'C4'")) == "case_handler"


def test_a_hanging_before_transition_hook_is_refused(bureau: Store) -> None:
    engine, _ = make_engine(bureau, Before(sleeping(3)), config=limits(before=LIMIT))
    before = counts(bureau)
    with pytest.raises(PluginTimeout, match="plugin 'before' did not return from zhifa_before"):
        engine.open("clue", "C1", CLUE, entity=ENTITY)
    assert counts(bureau) == before


def test_a_hanging_after_transition_hook_rolls_the_step_back(bureau: Store) -> None:
    engine, _ = make_engine(bureau, After(sleeping(3)), config=limits(after=LIMIT))
    before = counts(bureau)
    started = time.perf_counter()
    with pytest.raises(PluginTimeout, match="plugin 'after' did not return from zhifa_after"):
        engine.open("clue", "C1", CLUE, entity=ENTITY)
    assert time.perf_counter() - started < LIMIT * 5
    assert counts(bureau) == before


def test_a_limited_guard_still_cannot_write(sqlite_bureau: Store, tmp_path: Path) -> None:
    """In a worker thread, the guard's writes are refused as in the caller's."""

    def promote(ctx: StepContext) -> None:
        ctx.connection.execute(sa.text("UPDATE officers SET roles = 'head' WHERE id = 'C4'"))

    engine, _ = make_engine(sqlite_bureau, GuardedBy(tmp_path, promote), config=limits(hostile=1.0))
    m = engine.open("probe", "C1").matter
    with pytest.raises(PluginWriteRefused, match="plugin 'hostile' tried to write"):
        engine.advance(m, "check", "C1")
