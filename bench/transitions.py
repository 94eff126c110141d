"""Committed transitions per second and memory per loaded matter, engine against raw SQLAlchemy Core.

    python bench/transitions.py [--sqlite-only] [--n N] [--matters M] [--json OUT] [--check]

Every figure is measured in the same run, on fresh databases migrated by ``zhifa.store.migrate``:

1. SQLite: ``Engine.advance`` cycling ``start_testing`` / ``finish_testing`` over a pool of open
   ``clue`` matters, each step its own committed transaction, against a baseline of hand-written
   Core statements doing the same row writes (SELECT matter, INSERT hashed event, UPDATE matter
   WHERE id AND version, upsert its clock row, COMMIT) through the same ``Store``.
2. PostgreSQL: the same pair on temporary databases (skipped with a message when unreachable).
3. Memory: the tracemalloc peak of ``Engine.matters()`` over 100,000 matters, against loading the
   same rows as Core tuples.

See bench/README.md for how to read the figures.
"""

# ruff: noqa: E402
from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, bench/ comes first on sys.path and this file would stand in for the
# `transitions` package the engine's state machine imports.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import argparse
import cProfile
import gc
import hashlib
import json
import os
import platform
import pstats
import signal
import statistics
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa

from zhifa.engine import Engine
from zhifa.identity import Session
from zhifa.plugins import Plugins
from zhifa.store import Store, migrate, resolve_url
from zhifa.store.tables import Clock as ClockRow
from zhifa.store.tables import Department, Event, Matter, Officer
from zhifa.timekeeping import FixedClock

MATTERS = cast(sa.Table, Matter.__table__)
EVENTS = cast(sa.Table, Event.__table__)
CLOCKS = cast(sa.Table, ClockRow.__table__)

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
START = datetime(2026, 3, 2, 9, 0)
STEP_SECONDS = 2
DEPARTMENT = "D110101"
HEAD = "H0001"
HANDLER = "C0001"
SECOND_HANDLER = "C0002"
WORKFLOW = "clue"

NEXT_TRIGGER = {"verifying": "start_testing", "testing": "finish_testing"}
TO_STATE = {"start_testing": "testing", "finish_testing": "verifying"}
TRIGGER_DATA: dict[str, dict[str, Any]] = {
    "start_testing": {"kind": "testing", "body": "某市产品质量监督检验研究院"},
    "finish_testing": {"result": "检验结果：所抽样品标签标识不符合 GB 7718-2011 第4.1条"},
}
OPEN_DATA = {"source": "complaint", "summary": "消费者投诉某超市销售超过保质期的预包装食品"}

TARGET_RATIO = 0.60
TARGET_SQLITE_PER_SECOND = 1000.0
MIB = 1024 * 1024

Step = Callable[[int], None]


class PostgresUnavailable(Exception):
    """The PostgreSQL server could not be reached."""


# -- results -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Throughput:
    """One timed series of committed transitions."""

    transitions: int
    seconds: float
    cpu_seconds: float
    latencies_ms: tuple[float, ...] = field(repr=False)
    events_in_database: int

    @property
    def per_second(self) -> float:
        return self.transitions / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms(self) -> float:
        """Process CPU time (user + system) per transition, in milliseconds."""
        return self.cpu_seconds * 1000.0 / self.transitions

    @property
    def p50_ms(self) -> float:
        return statistics.median(self.latencies_ms)

    @property
    def p99_ms(self) -> float:
        if len(self.latencies_ms) < 100:
            return max(self.latencies_ms)
        return statistics.quantiles(self.latencies_ms, n=100)[98]

    def as_dict(self) -> dict[str, Any]:
        return {
            "transitions": self.transitions,
            "seconds": round(self.seconds, 4),
            "per_second": round(self.per_second, 1),
            "cpu_seconds": round(self.cpu_seconds, 4),
            "cpu_ms_per_transition": round(self.cpu_ms, 4),
            "p50_ms": round(self.p50_ms, 3),
            "p99_ms": round(self.p99_ms, 3),
            "events_in_database": self.events_in_database,
        }


@dataclass(frozen=True, slots=True)
class Comparison:
    """Engine against baseline on one database backend."""

    backend: str
    matters: int
    warmup: int
    rounds: int
    engine: Throughput
    baseline: Throughput

    @property
    def ratio(self) -> float:
        return self.engine.per_second / self.baseline.per_second

    @property
    def cpu_ratio(self) -> float:
        """Baseline CPU per transition over the engine's: the throughput ratio were CPU the limit."""
        return self.baseline.cpu_ms / self.engine.cpu_ms

    def as_dict(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "matters": self.matters,
            "warmup": self.warmup,
            "rounds": self.rounds,
            "engine": self.engine.as_dict(),
            "baseline": self.baseline.as_dict(),
            "ratio": round(self.ratio, 4),
            "cpu_ratio": round(self.cpu_ratio, 4),
        }


@dataclass(frozen=True, slots=True)
class Loaded:
    """Memory and time of loading every matter once."""

    rows: int
    peak_bytes: int
    retained_bytes: int
    seconds: float

    @property
    def peak_mib(self) -> float:
        return self.peak_bytes / MIB

    @property
    def bytes_per_matter(self) -> float:
        return self.peak_bytes / self.rows

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "peak_bytes": self.peak_bytes,
            "peak_mib": round(self.peak_mib, 2),
            "peak_bytes_per_matter": round(self.bytes_per_matter, 1),
            "retained_bytes": self.retained_bytes,
            "retained_bytes_per_matter": round(self.retained_bytes / self.rows, 1),
            "seconds_untraced": round(self.seconds, 4),
        }


@dataclass(frozen=True, slots=True)
class MemoryResult:
    matters: int
    setup: str
    setup_seconds: float
    engine: Loaded
    baseline: Loaded

    @property
    def ratio(self) -> float:
        return self.engine.peak_bytes / self.baseline.peak_bytes

    def as_dict(self) -> dict[str, Any]:
        return {
            "matters": self.matters,
            "setup": self.setup,
            "setup_seconds": round(self.setup_seconds, 2),
            "engine": self.engine.as_dict(),
            "baseline": self.baseline.as_dict(),
            "ratio": round(self.ratio, 4),
        }


@dataclass(frozen=True, slots=True)
class Target:
    name: str
    wanted: str
    got: str
    met: bool

    def as_dict(self) -> dict[str, Any]:
        return {"target": self.name, "wanted": self.wanted, "got": self.got, "met": self.met}


# -- databases -----------------------------------------------------------------------------------


def migrated_store(url: str) -> Store:
    store = Store(url)
    migrate.upgrade(store)
    return store


def seed_people(store: Store) -> list[Session]:
    """One department, its head and two certified case handlers, each signed in (a personal
    token, as ``zhifa auth token issue`` gives): the sessions the engine acts with."""
    valid = {
        "certificate_valid_from": date(2024, 1, 1),
        "certificate_valid_to": date(2030, 12, 31),
    }
    with store.write() as session:
        session.add(Department(code=DEPARTMENT, name="某市市场监督管理局", region_code="110101"))
        session.flush()
        session.add_all(
            [
                Officer(
                    id=HEAD,
                    name="王局长",
                    department_code=DEPARTMENT,
                    roles="head",
                    certificate_no="11010100001",
                    **valid,
                ),
                Officer(
                    id=HANDLER,
                    name="李执法",
                    department_code=DEPARTMENT,
                    roles="case_handler,inspector",
                    certificate_no="11010100002",
                    **valid,
                ),
                Officer(
                    id=SECOND_HANDLER,
                    name="张执法",
                    department_code=DEPARTMENT,
                    roles="case_handler,inspector",
                    certificate_no="11010100003",
                    **valid,
                ),
            ]
        )
    return sign_in(store, (HEAD, HANDLER, SECOND_HANDLER))


def sign_in(store: Store, officers: Sequence[str]) -> list[Session]:
    """A token session for each of ``officers``, valid for ten years from the benchmark's
    clock. Issued directly, as the tests' ``signed_in`` does (no password hashing): the
    benchmark measures steps, not logins. PostgreSQL requires a session for every act; the
    benchmark signs in on SQLite too, so both databases pay for the engine's credential check."""
    from zhifa.identity.credentials import _issue

    with store.transaction() as tx:
        conn = tx.connection
        return [
            _issue(conn, o, "token", "bench", START, START + timedelta(days=3650), o)
            for o in officers
        ]


def new_engine(store: Store, clock: FixedClock, sessions: Sequence[Session]) -> Engine:
    return Engine(store, plugins=Plugins(autoload=False), clock=clock, sessions=sessions)


def open_pool(engine: Engine, clock: FixedClock, count: int) -> list[int]:
    """Open ``count`` clues and assign them, so each is ``verifying`` (not timed)."""
    ids = []
    for i in range(count):
        clock.advance(seconds=1)
        opened = engine.open(WORKFLOW, HANDLER, OPEN_DATA, title=f"投诉线索 {i + 1}")
        assigned = engine.advance(
            opened.matter, "assign", HEAD, {"verifiers": [HANDLER, SECOND_HANDLER]}
        )
        ids.append(assigned.matter.id)
    return ids


def count_events(store: Store) -> int:
    with store.read() as session:
        return int(session.scalar(sa.select(sa.func.count()).select_from(EVENTS)) or 0)


@contextmanager
def postgres_databases(admin_url: str, count: int) -> Iterator[list[str]]:
    """``count`` empty temporary databases on the server, dropped on the way out, even on error."""
    resolved = resolve_url(admin_url)
    admin = sa.create_engine(resolved, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
        admin.dispose()
        reason = str(getattr(exc, "orig", exc) or exc).strip().splitlines()[0][:200]
        raise PostgresUnavailable(reason) from None
    names: list[str] = []
    try:
        for _ in range(count):
            name = f"zhifa_bench_{uuid.uuid4().hex[:12]}"
            with admin.connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
            names.append(name)
        base = sa.make_url(resolved)
        yield [base.set(database=n).render_as_string(hide_password=False) for n in names]
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


# -- the two ways of taking a step ---------------------------------------------------------------


class EngineSteps:
    """Takes step ``i`` through ``Engine.advance`` on matter ``i mod M``."""

    def __init__(self, store: Store, sessions: Sequence[Session], matters: int) -> None:
        self.store = store
        self.clock = FixedClock(START)
        self.engine = new_engine(store, self.clock, sessions)
        self.ids = open_pool(self.engine, self.clock, matters)
        self.state = dict.fromkeys(self.ids, "verifying")

    def __call__(self, i: int) -> None:
        matter_id = self.ids[i % len(self.ids)]
        trigger = NEXT_TRIGGER[self.state[matter_id]]
        at = self.clock.advance(seconds=STEP_SECONDS)
        result = self.engine.advance(matter_id, trigger, HANDLER, TRIGGER_DATA[trigger], at)
        self.state[matter_id] = result.matter.state


_SELECT_MATTER = sa.select(MATTERS).where(MATTERS.c.id == sa.bindparam("b_id"))
_INSERT_EVENT = sa.insert(EVENTS)
_UPDATE_MATTER = (
    sa.update(MATTERS)
    .where(MATTERS.c.id == sa.bindparam("b_id"), MATTERS.c.version == sa.bindparam("b_version"))
    .values(
        version=sa.bindparam("version"),
        state=sa.bindparam("state"),
        head_hash=sa.bindparam("head_hash"),
        updated_at=sa.bindparam("updated_at"),
        data=sa.bindparam("data", type_=MATTERS.c.data.type),
    )
)


def _upsert_clock(dialect: str) -> Any:
    """The clock row written as the engine writes it: one INSERT … ON CONFLICT DO UPDATE."""
    from sqlalchemy.dialects.postgresql import insert as pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    insert = sqlite_insert(CLOCKS) if dialect == "sqlite" else pg_insert(CLOCKS)
    cols = ("status", "started_on", "due_on", "stopped_on", "provisional", "paused_days")
    return insert.on_conflict_do_update(
        index_elements=[CLOCKS.c.matter_id, CLOCKS.c.name],
        set_={c: insert.excluded[c] for c in (*cols, "extensions")},
    )


_UPSERT_CLOCK = {name: _upsert_clock(name) for name in ("sqlite", "postgresql")}


class BaselineSteps:
    """Takes step ``i`` with hand-written Core statements, in a ``BEGIN IMMEDIATE`` transaction.

    The statements are built once and executed with parameters, as careful hand-written code
    would; the row writes are the engine's: SELECT the matter, INSERT a hash-chained event,
    UPDATE the matter WHERE id AND version, upsert its clock row, COMMIT.
    """

    def __init__(self, store: Store, sessions: Sequence[Session], matters: int) -> None:
        self.store = store
        self.clock = FixedClock(START)
        self.ids = open_pool(new_engine(store, self.clock, sessions), self.clock, matters)
        self.started_on = START.date()
        # how the handler's events are marked, as the engine marks them (token#ID); the
        # baseline writes the mark and hashes it but does not re-check the credential
        self.auth = next(s for s in sessions if s.officer_id == HANDLER).mark

    def __call__(self, i: int) -> None:
        matter_id = self.ids[i % len(self.ids)]
        at = self.clock.advance(seconds=STEP_SECONDS)
        recorded = self.clock.now()
        with self.store.engine.connect() as conn:
            conn.execution_options(zhifa_write=True)
            with conn.begin():
                row = conn.execute(_SELECT_MATTER, {"b_id": matter_id}).one()
                trigger = NEXT_TRIGGER[row.state]
                to_state = TO_STATE[trigger]
                values = TRIGGER_DATA[trigger]
                seq = row.version + 1
                data_text = json.dumps(
                    values, sort_keys=True, ensure_ascii=False, separators=(",", ":")
                )
                payload = json.dumps(
                    [
                        "zhifa-event-2",
                        matter_id,
                        seq,
                        trigger,
                        row.state,
                        to_state,
                        HANDLER,
                        at.isoformat(),
                        recorded.isoformat(),
                        data_text,
                        "[]",
                        row.head_hash,
                        self.auth,
                    ],
                    ensure_ascii=False,
                    separators=(",", ":"),
                )
                digest = hashlib.sha256(payload.encode("utf-8")).hexdigest()
                conn.execute(
                    _INSERT_EVENT,
                    {
                        "matter_id": matter_id,
                        "seq": seq,
                        "trigger": trigger,
                        "from_state": row.state,
                        "to_state": to_state,
                        "actor_id": HANDLER,
                        "occurred_at": at,
                        "recorded_at": recorded,
                        "data": data_text,
                        "evidence": "[]",
                        "prev_hash": row.head_hash,
                        "hash": digest,
                        "auth": self.auth,
                    },
                )
                updated = conn.execute(
                    _UPDATE_MATTER,
                    {
                        "b_id": matter_id,
                        "b_version": row.version,
                        "version": seq,
                        "state": to_state,
                        "head_hash": digest,
                        "updated_at": recorded,
                        "data": {**row.data, trigger: values},
                    },
                )
                if updated.rowcount != 1:
                    raise RuntimeError(f"baseline lost the version race on matter {matter_id}")
                paused = to_state == "testing"
                conn.execute(
                    _UPSERT_CLOCK[conn.dialect.name],
                    {
                        "matter_id": matter_id,
                        "name": "verification",
                        "status": "paused" if paused else "running",
                        "started_on": self.started_on,
                        "due_on": None if paused else self.started_on + timedelta(days=21),
                        "stopped_on": None,
                        "provisional": False,
                        "paused_days": 0,
                        "extensions": 0,
                    },
                )


def run_block(step: Step, first: int, count: int) -> tuple[float, float, list[float]]:
    """Wall seconds, process CPU seconds and per-step latencies (ms) of ``count`` steps."""
    latencies = []
    clock = time.perf_counter
    gc.collect()
    cpu = time.process_time()
    began = clock()
    for i in range(first, first + count):
        t = clock()
        step(i)
        latencies.append((clock() - t) * 1000.0)
    return clock() - began, time.process_time() - cpu, latencies


def compare(
    backend: str,
    engine_store: Store,
    baseline_store: Store,
    *,
    sessions: Sequence[Sequence[Session]],
    n: int,
    matters: int,
    warmup: int,
    rounds: int,
) -> tuple[Comparison, EngineSteps]:
    """Time ``n`` engine steps and ``n`` baseline steps, interleaved in ``rounds`` blocks."""
    engine_steps = EngineSteps(engine_store, sessions[0], matters)
    baseline_steps = BaselineSteps(baseline_store, sessions[1], matters)
    for i in range(warmup):
        engine_steps(i)
        baseline_steps(i)
    sizes = [n // rounds + (1 if r < n % rounds else 0) for r in range(rounds)]
    engine_time = baseline_time = engine_cpu = baseline_cpu = 0.0
    engine_lat: list[float] = []
    baseline_lat: list[float] = []
    first = warmup
    for size in sizes:
        seconds, cpu, lat = run_block(engine_steps, first, size)
        engine_time += seconds
        engine_cpu += cpu
        engine_lat += lat
        seconds, cpu, lat = run_block(baseline_steps, first, size)
        baseline_time += seconds
        baseline_cpu += cpu
        baseline_lat += lat
        first += size
    expected = 2 * matters + warmup + n
    found = (count_events(engine_store), count_events(baseline_store))
    if found != (expected, expected):
        raise RuntimeError(f"{backend}: expected {expected} events in each database, found {found}")
    result = Comparison(
        backend=backend,
        matters=matters,
        warmup=warmup,
        rounds=rounds,
        engine=Throughput(n, engine_time, engine_cpu, tuple(engine_lat), found[0]),
        baseline=Throughput(n, baseline_time, baseline_cpu, tuple(baseline_lat), found[1]),
    )
    return result, engine_steps


# -- profile -------------------------------------------------------------------------------------

PHASES: tuple[tuple[str, str, str], ...] = (
    ("facade.py", "advance", "Engine.advance (whole step)"),
    ("database.py", "transaction", "  Store.transaction (connection, BEGIN IMMEDIATE, COMMIT)"),
    ("base.py", "_commit_impl", "    COMMIT"),
    ("sessions.py", "acting", "  session credential re-check (SELECT credential, SHA-256)"),
    ("registry.py", "definition_for", "  definition lookup"),
    (
        "statements.py",
        "timed_steps",
        "  SELECT the matter's events (history; cached between steps)",
    ),
    ("fields.py", "validate", "  field validation"),
    ("actors.py", "named_officers", "  named officers"),
    ("checks.py", "check_guards", "  guards + before_transition hook"),
    ("machine.py", "fire", "  transitions machine fire"),
    ("writing.py", "append", "  append (event, update, clocks, outbox, hooks)"),
    ("record.py", "event_hash", "    event_hash"),
    ("writing.py", "write_clocks", "    write_clocks (compute + upsert)"),
    ("deadlines.py", "compute", "      deadlines.compute"),
    ("outbox.py", "queue", "    outbox queue"),
    ("manager.py", "call", "    Plugins.call (hooks)"),
    ("base.py", "_execute_clauseelement", "  statements executed (all)"),
)


def profile_engine(steps: EngineSteps, first: int, count: int, top: int) -> dict[str, Any]:
    """cProfile ``count`` more engine steps; print each engine phase's share and the top functions."""
    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(first, first + count):
        steps(i)
    profiler.disable()
    stats = pstats.Stats(profiler)
    raw = cast(dict[tuple[str, int, str], tuple[int, int, float, float, Any]], stats.stats)  # type: ignore[attr-defined]
    total = sum(
        ct
        for (f, _, name), (_, _, _, ct, _) in raw.items()
        if name == "advance" and f.endswith(os.path.join("zhifa", "engine", "facade.py"))
    )
    phases = []
    print(f"\nProfile of {count} engine steps on SQLite (cProfile, cumulative time per phase)")
    for file_suffix, func, label in PHASES:
        ct = sum(
            v[3]
            for (f, _, name), v in raw.items()
            if name == func and f.endswith(file_suffix) and ("zhifa" in f or "sqlalchemy" in f)
        )
        share = ct / total if total else 0.0
        phases.append({"phase": label.strip(), "seconds": round(ct, 4), "share": round(share, 4)})
        print(f"  {label:<66} {ct:8.3f} s  {share:6.1%}")
    print(f"\nTop {top} functions by own time:")
    stats.sort_stats("tottime").print_stats(top)
    return {"steps": count, "advance_seconds": round(total, 4), "phases": phases}


# -- memory --------------------------------------------------------------------------------------


def bulk_matters(store: Store, sessions: Sequence[Session], count: int) -> tuple[Engine, str]:
    """One matter opened and assigned through the engine (which registers the workflow), the rest
    bulk-inserted with Core as matter rows like it: ``verifying``, version 2, the open and assign
    data, a SHA-256 head hash. ``Engine.matters()`` reads only the matters table."""
    clock = FixedClock(START)
    engine = new_engine(store, clock, sessions)
    first = open_pool(engine, clock, 1)[0]
    defn = engine.definition(WORKFLOW)
    assign_values = {"verifiers": [HANDLER, SECOND_HANDLER]}
    chunk = 10_000
    with store.engine.begin() as conn:
        for start in range(first + 1, first + count, chunk):
            rows = []
            for matter_id in range(start, min(start + chunk, first + count)):
                opened = START + timedelta(seconds=matter_id)
                rows.append(
                    {
                        "id": matter_id,
                        "workflow": defn.name,
                        "workflow_version": defn.version,
                        "state": "verifying",
                        "version": 2,
                        "department_code": DEPARTMENT,
                        "entity_id": None,
                        "title": f"投诉线索 {matter_id}",
                        "data": {"open": OPEN_DATA, "assign": assign_values},
                        "opened_at": opened,
                        "updated_at": opened,
                        "head_hash": hashlib.sha256(f"{matter_id}:2".encode()).hexdigest(),
                    }
                )
            conn.execute(sa.insert(MATTERS), rows)
    return engine, (
        "1 matter opened and assigned through Engine.open/advance, "
        f"{count - 1:,} matter rows bulk-inserted with Core"
    )


def traced(load: Callable[[], Sequence[Any]], rows: int) -> Loaded:
    """Time ``load`` once untraced (which also warms caches), then take its tracemalloc peak."""
    gc.collect()
    began = time.perf_counter()
    result = load()
    seconds = time.perf_counter() - began
    if len(result) != rows:
        raise RuntimeError(f"loaded {len(result)} rows, expected {rows}")
    del result
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        result = load()
        retained, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del result
    gc.collect()
    return Loaded(rows, peak, retained, seconds)


def measure_memory(store: Store, sessions: Sequence[Session], count: int) -> MemoryResult:
    began = time.perf_counter()
    engine, setup = bulk_matters(store, sessions, count)
    setup_seconds = time.perf_counter() - began

    def core_rows() -> Sequence[Any]:
        with store.read() as session:
            return session.execute(sa.select(MATTERS)).all()

    engine_loaded = traced(engine.matters, count)
    baseline_loaded = traced(core_rows, count)
    return MemoryResult(count, setup, setup_seconds, engine_loaded, baseline_loaded)


# -- report --------------------------------------------------------------------------------------


def targets(comparisons: Sequence[Comparison]) -> list[Target]:
    out = []
    for c in comparisons:
        if c.backend == "sqlite":
            out.append(
                Target(
                    "SQLite engine committed transitions/s",
                    f"≥ {TARGET_SQLITE_PER_SECOND:,.0f}/s",
                    f"{c.engine.per_second:,.0f}/s",
                    c.engine.per_second >= TARGET_SQLITE_PER_SECOND,
                )
            )
        out.append(
            Target(
                f"{label(c.backend)} engine / baseline",
                f"≥ {TARGET_RATIO:.0%}",
                f"{c.ratio:.0%}",
                c.ratio >= TARGET_RATIO,
            )
        )
    return out


def label(backend: str) -> str:
    return {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(backend, backend)


def print_table(
    comparisons: Sequence[Comparison], memory: MemoryResult | None, goals: Sequence[Target]
) -> None:
    header = f"{'':44} {'engine':>12} {'baseline':>12} {'engine/base':>12}"
    print("\n" + header)
    print("-" * len(header))
    for c in comparisons:
        name = f"{label(c.backend)} transitions/s (n={c.engine.transitions:,}, M={c.matters})"
        print(
            f"{name:44} {c.engine.per_second:12,.0f} {c.baseline.per_second:12,.0f} {c.ratio:12.2f}"
        )
        print(
            f"{'  CPU ms per transition':44} {c.engine.cpu_ms:12.3f} {c.baseline.cpu_ms:12.3f} "
            f"{c.engine.cpu_ms / c.baseline.cpu_ms:12.2f}"
        )
        print(
            f"{'  p50 latency, ms':44} {c.engine.p50_ms:12.3f} {c.baseline.p50_ms:12.3f} "
            f"{c.engine.p50_ms / c.baseline.p50_ms:12.2f}"
        )
        print(
            f"{'  p99 latency, ms':44} {c.engine.p99_ms:12.3f} {c.baseline.p99_ms:12.3f} "
            f"{c.engine.p99_ms / c.baseline.p99_ms:12.2f}"
        )
    if memory is not None:
        e, b = memory.engine, memory.baseline
        print(
            f"{f'{memory.matters:,} matters loaded, peak MiB':44} {e.peak_mib:12.1f} "
            f"{b.peak_mib:12.1f} {memory.ratio:12.2f}"
        )
        print(
            f"{'  peak bytes/matter':44} {e.bytes_per_matter:12,.0f} "
            f"{b.bytes_per_matter:12,.0f} {memory.ratio:12.2f}"
        )
        print(
            f"{'  retained bytes/matter':44} {e.retained_bytes / e.rows:12,.0f} "
            f"{b.retained_bytes / b.rows:12,.0f} {e.retained_bytes / b.retained_bytes:12.2f}"
        )
        print(f"{'  load time, s (untraced)':44} {e.seconds:12.3f} {b.seconds:12.3f}")
    print("\nTargets")
    for t in goals:
        mark = "met" if t.met else "MISSED"
        print(f"  {t.name:44} wanted {t.wanted:>9}  got {t.got:>9}  {mark}")


def environment() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "sqlalchemy": sa.__version__,
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "started": datetime.now().isoformat(timespec="seconds"),
    }


# -- main ----------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="zhifa engine throughput and memory against raw SQLAlchemy Core baselines"
    )
    p.add_argument("--n", type=int, default=3000, help="timed transitions on SQLite (3000)")
    p.add_argument("--pg-n", type=int, default=1000, help="timed transitions on PostgreSQL (1000)")
    p.add_argument("--matters", type=int, default=200, help="matters the steps cycle over (200)")
    p.add_argument("--warmup", type=int, default=200, help="untimed steps before timing (200)")
    p.add_argument("--rounds", type=int, default=3, help="engine/baseline blocks, interleaved (3)")
    p.add_argument(
        "--memory-matters", type=int, default=100_000, help="matters for the memory test"
    )
    p.add_argument("--skip-memory", action="store_true", help="leave out the memory test")
    p.add_argument("--sqlite-only", action="store_true", help="leave out PostgreSQL")
    p.add_argument(
        "--postgres-url",
        default=os.environ.get("ZHIFA_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help="server to create temporary databases on (ZHIFA_BENCH_POSTGRES_URL)",
    )
    p.add_argument(
        "--require-postgres", action="store_true", help="fail when PostgreSQL is unreachable"
    )
    p.add_argument(
        "--profile",
        type=int,
        nargs="?",
        const=1000,
        default=0,
        metavar="STEPS",
        help="after timing, cProfile STEPS more engine steps on SQLite (1000)",
    )
    p.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    p.add_argument("--json", type=Path, metavar="OUT", help="also write the figures as JSON")
    args = p.parse_args(argv)
    if min(args.n, args.pg_n, args.matters, args.rounds) < 1 or args.warmup < 0:
        p.error("--n, --pg-n, --matters and --rounds must be positive, --warmup not negative")
    if args.memory_matters < 2:
        p.error("--memory-matters must be at least 2")
    return args


def _terminate(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    env = environment()
    print(
        f"zhifa transitions benchmark: Python {env['python']}, SQLAlchemy {env['sqlalchemy']}, "
        f"{env['cpus']} CPUs, load average {env['load_average'][0]}, {env['platform']}"
    )
    began = time.perf_counter()
    comparisons: list[Comparison] = []
    memory: MemoryResult | None = None
    profile: dict[str, Any] | None = None
    postgres_note: str | None = None
    with tempfile.TemporaryDirectory(prefix="zhifa_bench_") as tmp:
        print(f"SQLite: {args.n:,} transitions over {args.matters} matters ...", flush=True)
        stores = [migrated_store(f"sqlite:///{Path(tmp) / f'{n}.db'}") for n in ("e", "b")]
        try:
            signed = [seed_people(s) for s in stores]
            result, engine_steps = compare(
                "sqlite",
                *stores,
                sessions=signed,
                n=args.n,
                matters=args.matters,
                warmup=args.warmup,
                rounds=args.rounds,
            )
            comparisons.append(result)
            if args.profile:
                profile = profile_engine(engine_steps, args.warmup + args.n, args.profile, top=30)
        finally:
            for s in stores:
                s.dispose()

        if not args.sqlite_only:
            pg_n = args.pg_n
            print(f"PostgreSQL: {pg_n:,} transitions over {args.matters} matters ...", flush=True)
            try:
                with postgres_databases(args.postgres_url, 2) as urls:
                    stores = [migrated_store(u) for u in urls]
                    try:
                        signed = [seed_people(s) for s in stores]
                        comparisons.append(
                            compare(
                                "postgresql",
                                *stores,
                                sessions=signed,
                                n=pg_n,
                                matters=args.matters,
                                warmup=args.warmup,
                                rounds=args.rounds,
                            )[0]
                        )
                    finally:
                        for s in stores:
                            s.dispose()
            except PostgresUnavailable as exc:
                postgres_note = f"PostgreSQL not reachable at {args.postgres_url}: {exc}"
                print(postgres_note + "; PostgreSQL figures left out")
                if args.require_postgres:
                    return 2

        if not args.skip_memory:
            print(
                f"Memory: {args.memory_matters:,} matters through Engine.matters() ...", flush=True
            )
            store = migrated_store(f"sqlite:///{Path(tmp) / 'memory.db'}")
            try:
                memory = measure_memory(store, seed_people(store), args.memory_matters)
            finally:
                store.dispose()
            print(f"  setup: {memory.setup} in {memory.setup_seconds:.1f} s")

    goals = targets(comparisons)
    print_table(comparisons, memory, goals)
    seconds = time.perf_counter() - began
    load = os.getloadavg()[0]
    print(
        f"\nran {seconds:.0f} s; load average {env['load_average'][0]} at start, {load:.2f} at end"
    )
    if args.json:
        report = {
            "environment": env,
            "seconds": round(seconds, 1),
            "load_average_at_end": round(load, 2),
            "comparisons": [c.as_dict() for c in comparisons],
            "memory": memory.as_dict() if memory else None,
            "targets": [t.as_dict() for t in goals],
            "postgres_note": postgres_note,
            "profile": profile,
            "auth": (
                "engine and baseline act for officers signed in with token sessions on every "
                "database; the engine re-checks the credential in each step's transaction, the "
                "baseline only writes the session's mark (events.auth) and hashes it"
            ),
        }
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
        print(f"\nwrote {args.json}")
    if args.check and not all(t.met for t in goals):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
