"""Races and crashes: a reproducible stress run of zhifa's concurrency and crash safety.

    python bench/races.py [--rounds 120] [--kills 80] [--sqlite-only] [--postgres-url URL]
                          [--json OUT]

On SQLite (a temporary file) and PostgreSQL (a temporary database), each migrated with
``zhifa.store.migrate.upgrade`` and given a department, its head and four certified case
handlers, every officer signed in with a token (so every event is authenticated):

a. **one step, K processes at once**: ``--rounds`` rounds; in each, K worker processes (K cycling
   through ``--ks``, 8, 16, 32) are released together by a start gate and all try to take the
   same step on one fresh ``clue`` matter in state ``received``: ``assign`` by the head with
   ``{"verifiers": [a case handler]}``. In half the rounds each process loaded the matter first
   (``Engine.load``; a loser must get ``ConflictError``), in the other half it passes the matter
   id (a loser gets ``ConflictError`` or ``RefusedError`` for the state). Counted per round:
   winners (exactly one), ConflictError, RefusedError, InputError (bad input: must be 0) and any
   other exception (must be 0; its type and message are printed).
b. **first use of a workflow version**: on a fresh database (no ``workflow_versions`` row yet),
   K processes open their first matter at once; failures must be 0 and one version row is
   registered.
c. **crash safety**: ``--kills`` times, a process that takes steps in a loop (opens, assigns,
   sends for testing and back) is killed with SIGKILL at a random moment. Each kill's committed
   steps are compared with the steps the process acknowledged (printed after each commit); after
   all kills ``zhifa.audit.verify`` and a row/event consistency check run on the whole database.

Counts are the result; nothing here is timed as pass or fail. Exit status 1 when an invariant is
broken (see bench/README.md), 0 otherwise.
"""

# ruff: noqa: E402
from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, bench/ comes first on sys.path and bench/transitions.py would stand in for the
# `transitions` package that zhifa's state machine imports. Spawned workers inherit this path.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import argparse
import json
import multiprocessing as mp
import os
import platform
import queue
import random
import signal
import sqlite3
import subprocess
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from zhifa.audit import verify
from zhifa.engine import Engine
from zhifa.errors import ConflictError, InputError, RefusedError, ZhifaError
from zhifa.identity import from_token
from zhifa.plugins import Plugins
from zhifa.store import Store, migrate, resolve_url
from zhifa.store.tables import Department, Officer

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
DEPARTMENT = "D110101"
HEAD = "H0001"
HANDLERS = ("C0001", "C0002", "C0003", "C0004")
WORKFLOW = "clue"
OPEN_DATA = {"source": "complaint", "summary": "消费者投诉某超市销售超过保质期的预包装食品"}
ASSIGN = {"verifiers": [HANDLERS[0]]}
CRASH_APP = "zhifa_races_crash"  # application_name of the crash workers' PostgreSQL sessions
GATE_TIMEOUT = 300.0


# -- databases -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Tokens:
    """Token texts issued in the template database (so valid in every copy of it)."""

    head: str  # the parent's head (opens nothing; kept for symmetry)
    handler: str  # the parent's case handler: opens the race matters
    slots: tuple[tuple[str, str], ...]  # per worker slot: (head token, case handler token)


def seed(store: Store, slots: int) -> Tokens:
    """Migrate, add a department, its head and four certified case handlers, and issue tokens:
    one head and one handler token per worker slot, and a pair for the parent. Issued directly
    (no password hashing), as the tests' ``signed_in`` does, valid ten years from now."""
    from zhifa.identity.credentials import _issue

    migrate.upgrade(store)
    valid = {"certificate_valid_from": date(2024, 1, 1), "certificate_valid_to": date(2030, 12, 31)}
    with store.write() as session:
        session.add(Department(code=DEPARTMENT, name="某市市场监督管理局", region_code="110101"))
        session.flush()
        session.add(
            Officer(
                id=HEAD,
                name="王局长",
                department_code=DEPARTMENT,
                roles="head",
                certificate_no="11010100001",
                **valid,
            )
        )
        for n, oid in enumerate(HANDLERS, 2):
            session.add(
                Officer(
                    id=oid,
                    name=f"执法{n}",
                    department_code=DEPARTMENT,
                    roles="case_handler,inspector",
                    certificate_no=f"110101{n:05d}",
                    **valid,
                )
            )
    now = datetime.now()
    until = now + timedelta(days=3650)
    with store.transaction() as tx:
        conn = tx.connection

        def token(officer: str, label: str) -> str:
            return _issue(conn, officer, "token", label, now, until, officer).token

        parent = (token(HEAD, "races parent"), token(HANDLERS[0], "races parent"))
        pairs = tuple(
            (token(HEAD, f"races worker {i}"), token(HANDLERS[i % len(HANDLERS)], f"w{i}"))
            for i in range(slots)
        )
    return Tokens(parent[0], parent[1], pairs)


class Backend:
    """Where the databases of one run live: a template, and fresh copies of it."""

    name = ""

    def template(self, slots: int) -> Tokens:
        raise NotImplementedError

    def fresh(self, label: str) -> str:
        """A new database copied from the template; its URL."""
        raise NotImplementedError

    def drop(self, url: str) -> None:
        pass

    def close(self) -> None:
        pass


class SQLiteBackend(Backend):
    name = "SQLite"

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / "template.db"

    def template(self, slots: int) -> Tokens:
        store = Store(f"sqlite:///{self.path}")
        try:
            return seed(store, slots)
        finally:
            store.dispose()

    def fresh(self, label: str) -> str:
        target = self.directory / f"{label}.db"
        with sqlite3.connect(self.path) as src, sqlite3.connect(target) as dst:
            src.backup(dst)
        src.close()
        dst.close()
        return f"sqlite:///{target}"

    def drop(self, url: str) -> None:
        path = Path(sa.make_url(url).database or "")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


class PostgresUnavailable(Exception):
    """The PostgreSQL server could not be reached."""


class PostgresBackend(Backend):
    name = "PostgreSQL"

    def __init__(self, server_url: str) -> None:
        self.url = sa.make_url(resolve_url(server_url))
        self.admin = sa.create_engine(self.url, isolation_level="AUTOCOMMIT")
        try:
            with self.admin.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
        except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
            self.admin.dispose()
            reason = str(getattr(exc, "orig", exc) or exc).strip().splitlines()[0][:200]
            raise PostgresUnavailable(reason) from None
        self.prefix = f"zhifa_races_{uuid.uuid4().hex[:8]}"
        self.made: list[str] = []
        self.template_name = f"{self.prefix}_tpl"

    def _create(self, name: str, template: str | None = None) -> str:
        suffix = f' TEMPLATE "{template}"' if template else ""
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"{suffix}')
        self.made.append(name)
        return self.url.set(database=name).render_as_string(hide_password=False)

    def template(self, slots: int) -> Tokens:
        store = Store(self._create(self.template_name))
        try:
            return seed(store, slots)
        finally:
            store.dispose()

    def fresh(self, label: str) -> str:
        return self._create(f"{self.prefix}_{label}", self.template_name)

    def drop(self, url: str) -> None:
        name = sa.make_url(url).database
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if name in self.made:
            self.made.remove(name)

    def crash_sessions(self, url: str) -> int:
        """Server sessions of crash workers still open on ``url``'s database."""
        with self.admin.connect() as conn:
            return int(
                conn.execute(
                    sa.text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = :d AND application_name = :a"
                    ),
                    {"d": sa.make_url(url).database, "a": CRASH_APP},
                ).scalar_one()
            )

    def close(self) -> None:
        with self.admin.connect() as conn:
            for name in reversed(self.made):
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.made.clear()
        self.admin.dispose()


def new_engine(store: Store, tokens: Sequence[str], plugins: Plugins | None = None) -> Engine:
    """An engine acting for the officers of ``tokens`` (each turned into a session with
    ``from_token``, as a process given ``$ZHIFA_TOKEN`` does), on the real clock, with the
    baseline procedure only (no entry-point plugins). Loading the plugins takes most of a second,
    so a worker loads them once and passes them to each engine it makes."""
    sessions = [from_token(store, t) for t in tokens]
    plugins = plugins if plugins is not None else Plugins(autoload=False)
    return Engine(store, plugins=plugins, sessions=sessions)


def outcome_of(exc: BaseException) -> tuple[str, str, str]:
    """(kind, exception type, message) of a loser's exception."""
    message = exc.message if isinstance(exc, ZhifaError) else str(exc)
    message = " ".join(message.split())[:400]
    if isinstance(exc, ConflictError):
        kind = "conflict"
    elif type(exc) is RefusedError:  # the state no longer allows the step
        kind = "refused"
    elif isinstance(exc, InputError):
        kind = "bad_input"
    else:  # another refusal (permission, guard), AuthError, DatabaseError, a raw error ...
        kind = "other"
    return kind, type(exc).__name__, message


# -- a and b: a pool of worker processes released together ---------------------------------------


def race_worker(wid: int, jobs: Any, results: Any, gate: Any) -> None:
    """Take jobs until None: prepare (engine, loaded matter), report ready, wait at the gate,
    act, report the outcome. A worker signs in on a database with the tokens of the first job
    it takes there, and keeps that engine for the database's later jobs."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops the pool
    engines: dict[str, tuple[Store, Engine]] = {}
    plugins = Plugins(autoload=False)
    results.put(("started", 0, wid))
    while True:
        job = jobs.get()
        if job is None:
            break
        rnd, kind, url, matter_id, loaded, dispose, tokens = job
        target: Any = matter_id
        handler = ""
        failed: tuple[str, str, str] | None = None
        try:
            if url not in engines:
                store = Store(url)
                engines[url] = (store, new_engine(store, tokens, plugins))
            engine = engines[url][1]
            handler = next(o for o in engine.signed.officers if o != HEAD)
            if kind == "step" and loaded:
                target = engine.load(matter_id)  # everyone loads version 1 before anyone writes
        except BaseException as exc:
            _, name, message = outcome_of(exc)
            failed = ("other", name, f"while preparing: {message}")
        results.put(("ready", rnd, wid))
        if not gate.wait(GATE_TIMEOUT):
            failed = failed or ("other", "Timeout", "the start gate never opened")
        if failed is not None:
            outcome = failed
        else:
            try:
                if kind == "step":
                    engine.advance(target, "assign", HEAD, ASSIGN)
                else:
                    engine.open(WORKFLOW, handler, OPEN_DATA, title=f"第一次使用 {wid}")
                outcome = ("won", "", "")
            except Exception as exc:
                outcome = outcome_of(exc)
        results.put(("done", rnd, wid, *outcome))
        if dispose and url in engines:
            engines.pop(url)[0].dispose()
    for store, _ in engines.values():
        store.dispose()


class Pool:
    """``size`` spawned worker processes, one shared job queue, one start gate; used for every
    database of the run."""

    def __init__(self, size: int) -> None:
        ctx = mp.get_context("spawn")
        self.jobs = ctx.Queue()
        self.results = ctx.Queue()
        self.gate = ctx.Event()
        self.procs = [
            ctx.Process(
                target=race_worker,
                args=(i, self.jobs, self.results, self.gate),
                daemon=True,
            )
            for i in range(size)
        ]
        for p in self.procs:
            p.start()
        self._collect("started", 0, size)  # every worker has imported zhifa and its plugins
        self.rounds = 0

    def run(
        self,
        kind: str,
        url: str,
        k: int,
        tokens: Tokens,
        *,
        matter_id: int = 0,
        loaded: bool = False,
    ) -> list[tuple[str, str, str]]:
        """One round: K jobs, wait until all K workers are ready, open the gate, collect."""
        self.rounds += 1
        rnd = self.rounds
        self.gate.clear()
        for i in range(k):
            job = (rnd, kind, url, matter_id, loaded, kind == "open", tokens.slots[i])
            self.jobs.put(job)
        self._collect("ready", rnd, k)
        self.gate.set()
        done = self._collect("done", rnd, k)
        self.gate.clear()
        return [(m[3], m[4], m[5]) for m in done]

    def _collect(self, what: str, rnd: int, k: int) -> list[tuple[Any, ...]]:
        got: list[tuple[Any, ...]] = []
        deadline = time.monotonic() + GATE_TIMEOUT
        while len(got) < k:
            try:
                msg = self.results.get(timeout=1.0)
            except queue.Empty:
                dead = [p.pid for p in self.procs if not p.is_alive()]
                if dead or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"round {rnd}: {len(got)} of {k} workers {what}; dead workers {dead}"
                    ) from None
                continue
            if msg[0] == what and msg[1] == rnd:
                got.append(msg)
        return got

    def close(self) -> None:
        for _ in self.procs:
            self.jobs.put(None)
        for p in self.procs:
            p.join(timeout=30)
        for p in self.procs:
            if p.is_alive():
                p.terminate()
                p.join(timeout=5)


@dataclass(slots=True)
class RaceRow:
    """Races of one kind (loaded view or id) at one K."""

    loaded: bool
    k: int
    rounds: int = 0
    winners: int = 0
    conflict: int = 0
    refused: int = 0
    bad_input: int = 0
    other: int = 0
    one_winner: int = 0  # rounds with exactly one winner

    def add(self, outcomes: Sequence[tuple[str, str, str]]) -> None:
        kinds = Counter(o[0] for o in outcomes)
        self.rounds += 1
        self.winners += kinds["won"]
        self.conflict += kinds["conflict"]
        self.refused += kinds["refused"]
        self.bad_input += kinds["bad_input"]
        self.other += kinds["other"]
        self.one_winner += kinds["won"] == 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "mode": "loaded" if self.loaded else "by_id",
            "k": self.k,
            "rounds": self.rounds,
            "processes": self.rounds * self.k,
            "winners": self.winners,
            "conflict_error": self.conflict,
            "refused_error": self.refused,
            "bad_input": self.bad_input,
            "other": self.other,
            "rounds_with_one_winner": self.one_winner,
        }


@dataclass(slots=True)
class Record:
    """``zhifa.audit.verify`` and the row/event consistency check of one database."""

    intact: bool
    matters: int
    events: int
    breaks: list[str]
    unauthenticated: int  # events marked none, or with no mark
    faults: dict[str, int]
    integrity: str | None = None  # SQLite's PRAGMA integrity_check

    @property
    def consistent(self) -> bool:
        return not any(self.faults.values()) and self.integrity in (None, "ok")

    def as_dict(self) -> dict[str, Any]:
        return {
            "audit_intact": self.intact,
            "matters": self.matters,
            "events": self.events,
            "breaks": self.breaks[:20],
            "unauthenticated_events": self.unauthenticated,
            "row_event_faults": self.faults,
            "sqlite_integrity_check": self.integrity,
            "consistent": self.consistent,
        }


def check_record(url: str) -> Record:
    """Verify every hash chain, and check every matter row against its events independently:
    the version is the number of events and the highest seq, the head hash is the last event's
    hash, the state its to_state; no matter without its clock row; no event past its matter."""
    store = Store(url)
    try:
        report = verify(store)
        faults = Counter[str]()
        with store.engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT m.id, m.version, m.state, m.head_hash, "
                    "(SELECT count(*) FROM events e WHERE e.matter_id = m.id) AS n, "
                    "(SELECT max(e.seq) FROM events e WHERE e.matter_id = m.id) AS top, "
                    "(SELECT count(*) FROM clocks c WHERE c.matter_id = m.id) AS clocks, "
                    "l.hash AS last_hash, l.to_state AS last_state "
                    "FROM matters m LEFT JOIN events l ON l.matter_id = m.id AND l.seq = m.version"
                )
            ).all()
            for r in rows:
                faults["version != number of events"] += r.n != r.version
                faults["version != highest seq"] += r.top != r.version
                faults["head hash != last event's hash"] += r.last_hash != r.head_hash
                faults["state != last event's to_state"] += r.last_state != r.state
                faults["matter without a clock row"] += r.clocks == 0
            faults["events past their matter's version"] = int(
                conn.execute(
                    sa.text(
                        "SELECT count(*) FROM events e JOIN matters m ON m.id = e.matter_id "
                        "WHERE e.seq > m.version"
                    )
                ).scalar_one()
            )
            integrity = None
            if store.dialect == "sqlite":
                integrity = str(conn.exec_driver_sql("PRAGMA integrity_check").scalar())
        return Record(
            report.intact,
            report.matters,
            report.events,
            [f"matter {b.matter_id} event {b.seq}: {b.reason}" for b in report.breaks],
            report.unauthenticated + report.unmarked,
            dict(faults),
            integrity,
        )
    finally:
        store.dispose()


def run_races(
    backend: Backend, pool: Pool, tokens: Tokens, rounds: int, ks: Sequence[int]
) -> dict[str, Any]:
    url = backend.fresh("races")
    store = Store(url)
    engine = new_engine(store, (tokens.handler,))
    rows: dict[tuple[bool, int], RaceRow] = {}
    others: list[str] = []
    bad: list[str] = []
    matters: list[int] = []
    began = time.perf_counter()
    try:
        for r in range(rounds):
            k = ks[r % len(ks)]
            loaded = (r // len(ks)) % 2 == 0
            matter = engine.open(WORKFLOW, HANDLERS[0], OPEN_DATA, title=f"竞争 {r + 1}").matter
            matters.append(matter.id)
            outcomes = pool.run("step", url, k, tokens, matter_id=matter.id, loaded=loaded)
            rows.setdefault((loaded, k), RaceRow(loaded, k)).add(outcomes)
            for kind, name, message in outcomes:
                line = (
                    f"round {r + 1} (K={k}, {'loaded' if loaded else 'by id'}): {name}: {message}"
                )
                if kind == "other":
                    others.append(line)
                elif kind == "bad_input":
                    bad.append(line)
            if (r + 1) % 10 == 0:
                print(f"  {r + 1}/{rounds} rounds", flush=True)
        seconds = time.perf_counter() - began
        with store.engine.connect() as conn:
            moved = conn.execute(
                sa.text(
                    "SELECT count(*) FROM matters WHERE id IN ("
                    + ",".join(str(m) for m in matters)
                    + ") AND version = 2 AND state = 'verifying'"
                )
            ).scalar_one()
    finally:
        store.dispose()
    record = check_record(url)
    backend.drop(url)
    ordered = sorted(rows.values(), key=lambda x: (not x.loaded, x.k))
    return {
        "rows": [row.as_dict() for row in ordered],
        "rounds": rounds,
        "rounds_with_one_winner": sum(row.one_winner for row in ordered),
        "bad_input": sum(row.bad_input for row in ordered),
        "other": sum(row.other for row in ordered),
        "other_messages": others[:50],
        "bad_input_messages": bad[:50],
        "matters_assigned_once": int(moved),
        "record": record.as_dict(),
        "seconds": round(seconds, 1),
    }


def run_first_use(
    backend: Backend, pool: Pool, tokens: Tokens, ks: Sequence[int], trials: int
) -> dict[str, Any]:
    rows = []
    messages: list[str] = []
    for k in ks:
        row = Counter[str]()
        for t in range(trials):
            url = backend.fresh(f"first_{k}_{t}")
            outcomes = pool.run("open", url, k, tokens)
            store = Store(url)
            try:
                with store.engine.connect() as conn:
                    versions = conn.execute(
                        sa.text("SELECT count(*) FROM workflow_versions")
                    ).scalar_one()
            finally:
                store.dispose()
            record = check_record(url)
            backend.drop(url)
            row["trials"] += 1
            row["processes"] += k
            row["opened"] += sum(o[0] == "won" for o in outcomes)
            row["failures"] += sum(o[0] != "won" for o in outcomes)
            row["trials_with_one_version_row"] += versions == 1
            row["trials_intact"] += record.intact and record.consistent and record.matters == k
            messages += [
                f"K={k} trial {t + 1}: {n}: {m}" for kind, n, m in outcomes if kind != "won"
            ]
        rows.append({"k": k, **row})
    return {
        "rows": rows,
        "failures": sum(r["failures"] for r in rows),
        "failure_messages": messages[:50],
    }


# -- c: crash safety -----------------------------------------------------------------------------


def crash_worker(url: str, out: Path, seed_value: int) -> None:
    """Take steps in a loop until killed: open clues, assign them, send them for testing and back.
    Writes ``ready`` once signed in, then ``begin`` before and ``ok`` after each committed step."""
    store = Store(url)
    tokens = (os.environ["ZHIFA_RACES_HEAD_TOKEN"], os.environ["ZHIFA_RACES_HANDLER_TOKEN"])
    engine = new_engine(store, tokens)
    handler = next(o for o in engine.signed.officers if o != HEAD)
    rng = random.Random(seed_value)
    states = {m.id: m.state for m in engine.matters(workflow=WORKFLOW)}
    nxt = {"received": "assign", "verifying": "start_testing", "testing": "finish_testing"}
    data: dict[str, dict[str, Any]] = {
        "assign": {"verifiers": [handler]},
        "start_testing": {"kind": "testing", "body": "某市产品质量监督检验研究院"},
        "finish_testing": {"result": "检验结果：所抽样品标签标识不符合 GB 7718-2011 第4.1条"},
    }
    with out.open("a", buffering=1) as f:
        f.write("ready\n")
        f.flush()
        while True:
            movable = [m for m, s in states.items() if s in nxt]
            f.write("begin\n")
            f.flush()
            if not movable or rng.random() < 0.15:
                result = engine.open(WORKFLOW, handler, OPEN_DATA, title="崩溃测试")
            else:
                matter = rng.choice(movable)
                trigger = nxt[states[matter]]
                actor = HEAD if trigger == "assign" else handler
                result = engine.advance(matter, trigger, actor, data[trigger])
            states[result.matter.id] = result.matter.state
            f.write("ok\n")
            f.flush()


def count_events(url: str) -> int:
    store = Store(url)
    try:
        with store.engine.connect() as conn:
            return int(conn.execute(sa.text("SELECT count(*) FROM events")).scalar_one())
    finally:
        store.dispose()


def run_crashes(
    backend: Backend, tokens: Tokens, kills: int, seed_value: int, window: tuple[float, float]
) -> dict[str, Any]:
    url = backend.fresh("crash")
    worker_url = url
    if isinstance(backend, PostgresBackend):
        worker_url = (
            sa.make_url(url)
            .update_query_dict({"application_name": CRASH_APP})
            .render_as_string(hide_password=False)
        )
    rng = random.Random(seed_value)
    env = dict(
        os.environ,
        ZHIFA_RACES_HEAD_TOKEN=tokens.slots[0][0],
        ZHIFA_RACES_HANDLER_TOKEN=tokens.slots[0][1],
    )
    totals = Counter[str]()
    problems: list[str] = []
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="zhifa_races_") as tmp:
        for i in range(kills):
            out = Path(tmp) / f"crash-{i}.out"
            err = Path(tmp) / f"crash-{i}.err"
            before = count_events(url)
            with err.open("w") as err_file:
                proc = subprocess.Popen(
                    [
                        sys.executable,
                        str(Path(__file__).resolve()),
                        "--crash-worker",
                        worker_url,
                        str(out),
                        str(seed_value * 1000 + i),
                    ],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=err_file,
                )
                delay = rng.uniform(*window)
                deadline = time.monotonic() + 120
                while not (out.exists() and out.read_text().startswith("ready")):
                    if proc.poll() is not None or time.monotonic() > deadline:
                        break
                    time.sleep(0.01)
                time.sleep(delay)
                if proc.poll() is None:
                    os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
            if proc.returncode != -signal.SIGKILL:
                tail = " ".join(err.read_text(errors="replace").split()[-60:])
                problems.append(
                    f"kill {i + 1}: the worker exited by itself ({proc.returncode}): {tail}"
                )
                totals["worker_exited_early"] += 1
            if isinstance(backend, PostgresBackend):  # wait until the server ended its session
                until = time.monotonic() + 30
                while backend.crash_sessions(url) and time.monotonic() < until:
                    time.sleep(0.02)
            lines = out.read_text(errors="replace").split("\n") if out.exists() else []
            complete, partial = lines[:-1], lines[-1]
            acked = complete.count("ok")
            committed = count_events(url) - before
            totals["kills"] += 1
            totals["acknowledged_steps"] += acked
            totals["committed_steps"] += committed
            in_step = (bool(complete) and complete[-1] == "begin") or partial != ""
            totals["killed_during_a_step"] += in_step
            extra = committed - acked
            if extra < 0:
                totals["acknowledged_steps_lost"] += -extra
                problems.append(f"kill {i + 1}: {acked} steps acknowledged, {committed} committed")
            elif extra == 1:
                totals["committed_not_yet_acknowledged"] += 1
            elif extra > 1:
                totals["more_than_one_unacknowledged"] += 1
                problems.append(f"kill {i + 1}: {acked} steps acknowledged, {committed} committed")
            if (i + 1) % 10 == 0:
                print(f"  {i + 1}/{kills} kills", flush=True)
    seconds = time.perf_counter() - began
    record = check_record(url)
    backend.drop(url)
    for key in (
        "worker_exited_early",
        "acknowledged_steps_lost",
        "committed_not_yet_acknowledged",
        "more_than_one_unacknowledged",
    ):
        totals.setdefault(key, 0)
    return {
        **dict(totals),
        "problems": problems[:50],
        "record": record.as_dict(),
        "seconds": round(seconds, 1),
    }


# -- report --------------------------------------------------------------------------------------


def yes(flag: bool) -> str:
    return "yes" if flag else "NO"


def faults_total(record: dict[str, Any]) -> int:
    return sum(record["row_event_faults"].values())


def record_line(record: dict[str, Any]) -> str:
    line = (
        f"audit intact {yes(record['audit_intact'])}, {record['matters']:,} matters, "
        f"{record['events']:,} events, {len(record['breaks'])} breaks, "
        f"row/event faults {faults_total(record)}, unauthenticated events "
        f"{record['unauthenticated_events']}"
    )
    if record["sqlite_integrity_check"] is not None:
        line += f", integrity_check {record['sqlite_integrity_check']}"
    return line


def print_database(name: str, result: dict[str, Any]) -> None:
    print(f"\n== {name} ==")
    a = result["races"]
    print("a. one step taken by K processes at once (assign, by the head, on a received clue)")
    print(
        f"   {'matter':<7}{'K':>3}{'rounds':>8}{'winners':>9}{'Conflict':>10}{'Refused':>9}"
        f"{'bad input':>11}{'other':>7}{'1 winner':>10}"
    )
    for r in a["rows"]:
        print(
            f"   {r['mode']:<7}{r['k']:>3}{r['rounds']:>8}{r['winners']:>9}"
            f"{r['conflict_error']:>10}{r['refused_error']:>9}{r['bad_input']:>11}"
            f"{r['other']:>7}{r['rounds_with_one_winner']:>10}"
        )
    total = {
        key: sum(r[key] for r in a["rows"])
        for key in ("winners", "conflict_error", "refused_error", "bad_input", "other")
    }
    print(
        f"   {'all':<10}{a['rounds']:>8}{total['winners']:>9}{total['conflict_error']:>10}"
        f"{total['refused_error']:>9}{total['bad_input']:>11}{total['other']:>7}"
        f"{a['rounds_with_one_winner']:>10}"
    )
    print(
        f"   exactly one winner in every round: {yes(a['rounds_with_one_winner'] == a['rounds'])}"
        f" ({a['rounds_with_one_winner']}/{a['rounds']}); matters assigned once "
        f"{a['matters_assigned_once']}/{a['rounds']}; {a['seconds']} s"
    )
    print(f"   record: {record_line(a['record'])}")
    for line in a["other_messages"] + a["bad_input_messages"]:
        print(f"   ! {line}")
    b = result["first_use"]
    print("b. first use of a workflow version: K processes open their first matter at once")
    print(
        f"   {'K':>3}{'trials':>8}{'opened':>8}{'failures':>10}{'1 version row':>15}{'intact':>8}"
    )
    for r in b["rows"]:
        print(
            f"   {r['k']:>3}{r['trials']:>8}{r['opened']:>8}{r['failures']:>10}"
            f"{r['trials_with_one_version_row']:>15}{r['trials_intact']:>8}"
        )
    for line in b["failure_messages"]:
        print(f"   ! {line}")
    c = result["crash"]
    print("c. crash safety: a stepping process killed with SIGKILL at a random moment")
    print(
        f"   kills {c['kills']} (during a step {c['killed_during_a_step']}), steps acknowledged "
        f"{c['acknowledged_steps']:,}, committed {c['committed_steps']:,}; committed but not "
        f"yet acknowledged {c['committed_not_yet_acknowledged']}, acknowledged but lost "
        f"{c['acknowledged_steps_lost']}, more than one unacknowledged "
        f"{c['more_than_one_unacknowledged']}, worker ended early {c['worker_exited_early']}; "
        f"{c['seconds']} s"
    )
    print(f"   record: {record_line(c['record'])}")
    for line in c["problems"]:
        print(f"   ! {line}")


def invariants(result: dict[str, Any]) -> list[str]:
    """What must hold; the broken ones, named."""
    a, b, c = result["races"], result["first_use"], result["crash"]
    checks = {
        "a: exactly one winner per round": a["rounds_with_one_winner"] == a["rounds"],
        "a: no other exception": a["other"] == 0,
        "a: no bad input": a["bad_input"] == 0,
        "a: record intact and consistent": a["record"]["audit_intact"]
        and a["record"]["consistent"],
        "b: no failure": b["failures"] == 0,
        "b: one version row per trial": all(
            r["trials_with_one_version_row"] == r["trials"] for r in b["rows"]
        ),
        "c: no acknowledged step lost": c["acknowledged_steps_lost"] == 0,
        "c: at most one unacknowledged commit per kill": c["more_than_one_unacknowledged"] == 0,
        "c: no worker ended early": c["worker_exited_early"] == 0,
        "c: record intact and consistent": c["record"]["audit_intact"]
        and c["record"]["consistent"],
        "all events authenticated": a["record"]["unauthenticated_events"] == 0
        and c["record"]["unauthenticated_events"] == 0,
    }
    return [name for name, ok in checks.items() if not ok]


def run_backend(backend: Backend, pool: Pool, args: argparse.Namespace) -> dict[str, Any]:
    began = time.perf_counter()

    def say(text: str) -> None:
        print(f"[{time.perf_counter() - began:6.1f} s] {backend.name}: {text}", flush=True)

    say("migrating and seeding the template ...")
    tokens = backend.template(max(args.ks))
    say(f"a. {args.rounds} races ...")
    races = run_races(backend, pool, tokens, args.rounds, args.ks)
    say(f"b. first use, {args.first_trials} trials per K ...")
    first = run_first_use(backend, pool, tokens, args.ks, args.first_trials)
    say(f"c. {args.kills} kills ...")
    crash = run_crashes(backend, tokens, args.kills, args.seed, (args.min_delay, args.max_delay))
    say("done")
    result = {"races": races, "first_use": first, "crash": crash}
    result["broken"] = invariants(result)
    result["seconds"] = round(time.perf_counter() - began, 1)
    return result


def summary(results: dict[str, dict[str, Any]]) -> None:
    print("\nSummary")
    head = f"{'database':<11}{'scenario':<34}counts"
    print(head)
    print("-" * 100)
    for name, r in results.items():
        a, b, c = r["races"], r["first_use"], r["crash"]
        losers = sum(x["conflict_error"] + x["refused_error"] for x in a["rows"])
        print(
            f"{name:<11}{'a. races (' + str(a['rounds']) + ' rounds)':<34}one winner "
            f"{a['rounds_with_one_winner']}/{a['rounds']}, losers {losers} (Conflict "
            f"{sum(x['conflict_error'] for x in a['rows'])}, Refused "
            f"{sum(x['refused_error'] for x in a['rows'])}), bad input {a['bad_input']}, "
            f"other {a['other']}"
        )
        print(
            f"{'':<11}{'b. first use of a version':<34}trials "
            f"{sum(x['trials'] for x in b['rows'])}, opened "
            f"{sum(x['opened'] for x in b['rows'])}, failures {b['failures']}"
        )
        print(
            f"{'':<11}{'c. crash (' + str(c['kills']) + ' kills)':<34}acknowledged "
            f"{c['acknowledged_steps']:,}, committed {c['committed_steps']:,}, lost "
            f"{c['acknowledged_steps_lost']}, intact {yes(c['record']['audit_intact'])}, "
            f"row/event faults {faults_total(c['record'])}"
        )
        print(f"{'':<11}{'invariants broken':<34}{', '.join(r['broken']) or 'none'}")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="zhifa races and crash safety, counted")
    p.add_argument("--rounds", type=int, default=120, help="races in scenario a (120)")
    p.add_argument("--kills", type=int, default=80, help="kills in scenario c (80)")
    p.add_argument(
        "--ks", default="8,16,32", help="processes per race, cycled (8,16,32); max = pool size"
    )
    p.add_argument(
        "--first-trials", type=int, default=3, help="fresh databases per K in scenario b (3)"
    )
    p.add_argument("--seed", type=int, default=20261204, help="seed of the kill moments")
    p.add_argument("--min-delay", type=float, default=0.02, help="earliest kill after ready, s")
    p.add_argument("--max-delay", type=float, default=0.5, help="latest kill after ready, s")
    p.add_argument("--sqlite-only", action="store_true", help="leave PostgreSQL out")
    p.add_argument(
        "--postgres-url",
        default=os.environ.get("ZHIFA_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help="server to create temporary databases on (ZHIFA_BENCH_POSTGRES_URL)",
    )
    p.add_argument(
        "--require-postgres", action="store_true", help="exit 2 when PostgreSQL is unreachable"
    )
    p.add_argument("--json", type=Path, metavar="OUT", help="also write the counts as JSON")
    p.add_argument("--crash-worker", nargs=3, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.crash_worker:
        return args
    try:
        args.ks = [int(k) for k in args.ks.split(",") if k.strip()]
    except ValueError:
        p.error("--ks takes numbers separated by commas")
    if not args.ks or min(args.ks) < 2:
        p.error("--ks needs at least one K of 2 or more")
    if args.rounds < 1 or args.kills < 0 or args.first_trials < 0:
        p.error("--rounds must be positive, --kills and --first-trials not negative")
    if not 0 <= args.min_delay <= args.max_delay:
        p.error("0 ≤ --min-delay ≤ --max-delay")
    return args


def _terminate(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


@contextmanager
def backend_of(kind: str, args: argparse.Namespace, tmp: Path) -> Iterator[Backend]:
    backend: Backend = (
        SQLiteBackend(tmp) if kind == "sqlite" else PostgresBackend(args.postgres_url)
    )
    try:
        yield backend
    finally:
        backend.close()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.crash_worker:
        url, out, seed_text = args.crash_worker
        crash_worker(url, Path(out), int(seed_text))
        return 0
    signal.signal(signal.SIGTERM, _terminate)
    env = {
        "python": platform.python_version(),
        "sqlalchemy": sa.__version__,
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "started": datetime.now().isoformat(timespec="seconds"),
    }
    print(
        f"zhifa races: Python {env['python']}, SQLite {env['sqlite']}, {env['cpus']} CPUs, "
        f"load average {env['load_average'][0]}; rounds {args.rounds}, K {args.ks}, "
        f"kills {args.kills}, seed {args.seed}"
    )
    began = time.perf_counter()
    results: dict[str, dict[str, Any]] = {}
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="zhifa_races_") as tmp:
        os.environ.setdefault("ZHIFA_PUBLICITY_DIR", str(Path(tmp) / "publicity"))
        print(f"starting {max(args.ks)} worker processes ...", flush=True)
        pool = Pool(max(args.ks))
        print(f"  started in {time.perf_counter() - began:.1f} s", flush=True)
        try:
            for kind in ("sqlite", "postgresql"):
                if kind == "postgresql" and args.sqlite_only:
                    continue
                try:
                    with backend_of(kind, args, Path(tmp)) as backend:
                        results[backend.name] = run_backend(backend, pool, args)
                        print_database(backend.name, results[backend.name])
                except PostgresUnavailable as exc:
                    note = f"PostgreSQL not reachable at {args.postgres_url}: {exc}"
                    print(note + "; PostgreSQL left out")
                    notes.append(note)
                    if args.require_postgres:
                        return 2
        finally:
            pool.close()
    summary(results)
    seconds = time.perf_counter() - began
    print(f"\nran {seconds:.0f} s; load average {os.getloadavg()[0]:.2f} at end")
    if args.json:
        report = {
            "environment": env,
            "settings": {
                "rounds": args.rounds,
                "ks": args.ks,
                "first_trials": args.first_trials,
                "kills": args.kills,
                "seed": args.seed,
                "kill_window_seconds": [args.min_delay, args.max_delay],
            },
            "seconds": round(seconds, 1),
            "databases": results,
            "notes": notes,
        }
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 1 if any(r["broken"] for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
