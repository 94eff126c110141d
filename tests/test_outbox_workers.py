"""Several outbox workers on one database: claims with leases, delivery exactly once to a sink
that records every delivery (an append-only file, each line fsynced), a worker killed mid-delivery,
steps racing on the same matters while workers deliver, the lease at its boundary, a stale claim
replayed, the long-running worker stopping with the message in hand delivered, and
`zhifa outbox --deliver --loop` as a process stopped by SIGTERM or SIGINT."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import seed_bureau
from tests.helpers import RECEIVED, open_clue, run, sessions_where_required
from zhifa import hookimpl
from zhifa.audit import verify
from zhifa.engine import Engine
from zhifa.engine.outbox import LEASE_MARGIN, Outbox, run_worker
from zhifa.engine.results import Opening
from zhifa.errors import ConflictError, ZhifaError
from zhifa.hooks.types import EventRecord, OutboxDelivery
from zhifa.plugins import Plugins
from zhifa.store import Store
from zhifa.store.tables import Event, OutboxMessage
from zhifa.timekeeping import FixedClock, SystemClock

SINK = "file-sink"
WORKERS = 4
BACKLOG = 300


# -- the test sink ---------------------------------------------------------------------------------


def append_line(path: Path, record: dict[str, Any]) -> None:
    """Append one JSON line to ``path`` and fsync it: one write(2) with O_APPEND, so lines from
    several processes never interleave, and a line written is on disk before the sink returns."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (json.dumps(record) + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def read_lines(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


class FileSink:
    """Takes every step of every matter and appends ``{"what": "delivered", key, attempt, pid}``
    to its file. ``hang_on_first`` makes it write ``{"what": "started", …}`` for the first
    message it is given and then hang (to be killed); ``down`` makes it raise instead."""

    name = SINK

    def __init__(
        self,
        path: Path,
        *,
        timeout: float = 10.0,
        hang_on_first: bool = False,
        down: bool = False,
        pause: float = 0.0,
    ) -> None:
        self.path = path
        self.timeout = timeout
        self.hang_on_first = hang_on_first
        self.down = down
        self.pause = pause

    def wants(self, event: EventRecord) -> bool:
        return True

    def deliver(self, message: OutboxDelivery) -> None:
        if self.down:
            raise ConnectionError("platform unreachable")
        line = {"key": message.key, "attempt": message.attempt, "pid": os.getpid()}
        if self.hang_on_first:
            self.hang_on_first = False
            append_line(self.path, {"what": "started", **line})
            time.sleep(600)
        if self.pause:
            time.sleep(self.pause)
        append_line(self.path, {"what": "delivered", **line})


class FilePlugin:
    __name__ = "file-sink-plugin"

    def __init__(self, sink: FileSink) -> None:
        self.sink = sink

    @hookimpl
    def zhifa_reporting_sinks(self) -> list[FileSink]:
        return [self.sink]


def worker_outbox(store: Store, sink: FileSink, name: str, margin: timedelta) -> Outbox:
    """An outbox as a delivery worker process has it: the machine's clock, the test sink."""
    plugins = Plugins([FilePlugin(sink)], autoload=False)
    return Outbox(store, SystemClock(), plugins, plugins.sinks(), worker=name, lease_margin=margin)


def undelivered(store: Store) -> int:
    with store.read() as s:
        query = sa.select(sa.func.count()).where(OutboxMessage.delivered_at.is_(None))
        return s.scalar(query) or 0


def outbox_rows(store: Store) -> list[OutboxMessage]:
    with store.read() as s:
        return list(s.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


def wait_until(condition: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {seconds} s waiting for {what}")
        time.sleep(0.05)


def url_of(store: Store) -> str:
    return store.engine.url.render_as_string(hide_password=False)


def backlog(store: Store, path: Path, count: int) -> list[str]:
    """``count`` clues opened while the platform was down: each one's message failed once and
    waits for its retry. Returns the messages' keys."""
    engine = Engine(
        store,
        plugins=Plugins([FilePlugin(FileSink(path, down=True))], autoload=False),
        clock=FixedClock(RECEIVED),
        sessions=sessions_where_required(store),
    )
    data = {"source": "complaint", "summary": "过期食品"}
    engine.open_many("clue", [Opening("C1", data) for _ in range(count)])
    rows = outbox_rows(store)
    assert len(rows) == count
    assert {(r.attempts, r.delivered_at) for r in rows} == {(1, None)}
    return [r.key for r in rows]


@pytest.fixture
def store(pg_url: str) -> Iterator[Store]:
    """The seeded bureau on a fresh PostgreSQL database."""
    s = Store(pg_url)
    seed_bureau(s)
    yield s
    s.dispose()


# -- worker processes ------------------------------------------------------------------------------


def _worker(url: str, path: str, name: str, barrier: Any, stop: Any) -> None:
    store = Store(url)
    try:
        outbox = worker_outbox(store, FileSink(Path(path), pause=0.002), name, LEASE_MARGIN)
        barrier.wait(timeout=60)
        run_worker(outbox, stop, interval=0.05, batch=10)
    finally:
        store.dispose()


def _hanging_worker(url: str, path: str, margin: float) -> None:
    store = Store(url)
    sink = FileSink(Path(path), timeout=4.0, hang_on_first=True)
    outbox = worker_outbox(store, sink, "doomed", timedelta(seconds=margin))
    outbox.deliver(limit=1)


def _stepper(
    url: str, path: str, matters: list[int], rounds: int, barrier: Any, results: Any
) -> None:
    """Take start_testing / finish_testing on every one of ``matters`` in turn, ``rounds``
    times, racing the other steppers (and delivering each step's message after its commit, as
    the web server does); report the steps this process took, its conflicts, anything else."""
    store = Store(url)
    try:
        engine = Engine(
            store,
            plugins=Plugins([FilePlugin(FileSink(Path(path)))], autoload=False),
            sessions=sessions_where_required(store),
        )
        taken = conflicts = 0
        other: list[str] = []
        barrier.wait(timeout=60)
        for _ in range(rounds):
            for matter_id in matters:
                view = engine.load(matter_id)
                try:
                    if view.state == "verifying":
                        engine.advance(
                            view, "start_testing", "C1", {"kind": "testing", "body": "院"}
                        )
                    else:
                        engine.advance(view, "finish_testing", "C1", {"result": "合格"})
                    taken += 1
                except ConflictError:
                    conflicts += 1
                except ZhifaError as exc:
                    other.append(exc.message)
        results.put((taken, conflicts, other))
    finally:
        store.dispose()


class Workers:
    """Delivery worker processes, started together, stopped by setting ``stop``."""

    def __init__(self, ctx: Any, url: str, path: Path, count: int) -> None:
        # the barrier and the event live as long as the workers: a child unpickles them later
        self.barrier, self.stop = ctx.Barrier(count), ctx.Event()
        self.procs = [
            ctx.Process(target=_worker, args=(url, str(path), f"w{i}", self.barrier, self.stop))
            for i in range(count)
        ]
        for p in self.procs:
            p.start()

    def wait_until(self, condition: Any, seconds: float, what: str) -> None:
        """Wait for ``condition``; fail at once when a worker died."""

        def done() -> bool:
            dead = [p.exitcode for p in self.procs if p.exitcode is not None]
            assert not dead, f"a worker exited with {dead} while waiting for {what}"
            return bool(condition())

        wait_until(done, seconds, what)

    def close(self) -> None:
        self.stop.set()
        for p in self.procs:
            p.join(timeout=60)
        assert [p.exitcode for p in self.procs] == [0] * len(self.procs)


@pytest.mark.slow
@pytest.mark.postgres
def test_four_workers_deliver_a_backlog_exactly_once(
    store: Store, pg_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "deliveries.jsonl"
    keys = backlog(store, path, BACKLOG)
    ctx = mp.get_context("spawn")
    workers = Workers(ctx, pg_url, path, WORKERS)
    try:
        workers.wait_until(lambda: undelivered(store) == 0, 180, "the backlog to be delivered")
    finally:
        workers.close()
    lines = read_lines(path)
    delivered = Counter(line["key"] for line in lines if line["what"] == "delivered")
    assert sorted(delivered) == sorted(keys)  # none lost
    assert set(delivered.values()) == {1}  # none twice
    assert len({line["pid"] for line in lines}) >= 2  # the workers really shared the backlog
    rows = outbox_rows(store)
    assert all(r.delivered_at is not None and r.last_error is None for r in rows)
    assert {r.attempts for r in rows} == {2}  # the failed one while down, then one delivery
    assert {line["attempt"] for line in lines} == {2}


@pytest.mark.slow
def test_workers_on_sqlite_share_a_backlog_through_the_write_lock(
    sqlite_bureau: Store, tmp_path: Path
) -> None:
    """SQLite has no row locks: the claim's transaction holds the database's write lock
    (BEGIN IMMEDIATE), so claims are serialised and each message is still delivered once."""
    path = tmp_path / "deliveries.jsonl"
    keys = backlog(sqlite_bureau, path, 60)
    workers = Workers(mp.get_context("spawn"), sqlite_bureau.url, path, 3)
    try:
        workers.wait_until(lambda: undelivered(sqlite_bureau) == 0, 120, "the backlog")
    finally:
        workers.close()
    delivered = Counter(line["key"] for line in read_lines(path) if line["what"] == "delivered")
    assert sorted(delivered) == sorted(keys) and set(delivered.values()) == {1}


@pytest.mark.slow
@pytest.mark.postgres
def test_a_worker_killed_mid_delivery_leaves_the_message_to_another_after_the_lease(
    store: Store, pg_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "deliveries.jsonl"
    keys = backlog(store, path, 5)
    ctx = mp.get_context("spawn")
    doomed = ctx.Process(target=_hanging_worker, args=(pg_url, str(path), 1.0))
    doomed.start()
    wait_until(lambda: read_lines(path), 60, "the doomed worker to start a delivery")
    os.kill(doomed.pid or 0, signal.SIGKILL)
    doomed.join(timeout=10)
    assert doomed.exitcode == -signal.SIGKILL
    (started,) = read_lines(path)
    held = next(r for r in outbox_rows(store) if r.key == started["key"])
    assert started == {"what": "started", "key": held.key, "attempt": 2, "pid": doomed.pid}
    assert held.delivered_at is None and held.attempts == 2
    assert "in delivery by worker doomed" in (held.last_error or "")
    lease_until = held.next_attempt_at  # the sink's 2 s timeout and the 1 s margin
    workers = Workers(ctx, pg_url, path, 2)
    try:
        workers.wait_until(lambda: undelivered(store) == 0, 60, "every message to be delivered")
    finally:
        workers.close()
    delivered = [line for line in read_lines(path) if line["what"] == "delivered"]
    assert sorted(line["key"] for line in delivered) == sorted(keys)  # each once
    (again,) = [line for line in delivered if line["key"] == held.key]
    assert again["attempt"] == 3  # the sink sees the same key, one attempt further
    assert again["pid"] != doomed.pid
    after = next(r for r in outbox_rows(store) if r.key == held.key)
    assert after.attempts == 3 and after.last_error is None
    assert after.delivered_at is not None and after.delivered_at >= lease_until


@pytest.mark.slow
@pytest.mark.postgres
def test_steps_racing_on_the_same_matters_while_workers_deliver_lose_nothing(
    store: Store, pg_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "deliveries.jsonl"
    engine = Engine(
        store,
        plugins=Plugins([FilePlugin(FileSink(path))], autoload=False),
        sessions=sessions_where_required(store),
    )
    matters = []
    for _ in range(4):
        clue = open_clue(engine)
        matters.append(engine.advance(clue, "assign", "H1", {"verifiers": ["C1"]}).matter.id)
    ctx = mp.get_context("spawn")
    workers = Workers(ctx, pg_url, path, 2)
    steppers, rounds = 3, 8
    barrier, results = ctx.Barrier(steppers), ctx.Queue()
    racing = [
        ctx.Process(
            target=_stepper,
            args=(pg_url, str(path), matters, rounds, barrier, results),
        )
        for _ in range(steppers)
    ]
    try:
        for p in racing:
            p.start()
        for p in racing:
            p.join(timeout=180)
        outcomes = [results.get(timeout=5) for _ in racing]
        assert [p.exitcode for p in racing] == [0] * steppers
        workers.wait_until(
            lambda: undelivered(store) == 0, 120, "every step's message to be delivered"
        )
    finally:
        workers.close()
    assert [other for _, _, other in outcomes] == [[]] * steppers  # a conflict, or a step
    taken = sum(t for t, _, _ in outcomes)
    assert taken >= rounds * len(matters)  # every round of every matter has a winner
    assert sum(c for _, c, _ in outcomes) > 0  # and the steppers did race
    with store.read() as s:
        events = s.scalar(sa.select(sa.func.count()).select_from(Event)) or 0
    assert events == 2 * len(matters) + taken  # opened, assigned, then every step taken
    assert verify(store).intact
    rows = outbox_rows(store)
    assert len(rows) == events  # every step queued its message
    delivered = Counter(line["key"] for line in read_lines(path) if line["what"] == "delivered")
    assert sorted(delivered) == sorted(r.key for r in rows) and set(delivered.values()) == {1}


# -- the lease at its boundary, and a stale claim ------------------------------------------------


def claim_one(bureau: Store, tmp_path: Path) -> tuple[Outbox, Outbox, FixedClock, FixedClock]:
    """One message that failed at RECEIVED and is due 30 s later; two workers on fixed clocks."""
    backlog(bureau, tmp_path / "d.jsonl", 1)
    due = RECEIVED + timedelta(seconds=30)
    plugins = Plugins([FilePlugin(FileSink(tmp_path / "d.jsonl", timeout=5))], autoload=False)
    first_clock, second_clock = FixedClock(due), FixedClock(due)
    first = Outbox(bureau, first_clock, plugins, plugins.sinks(), worker="first")
    second = Outbox(bureau, second_clock, plugins, plugins.sinks(), worker="second")
    return first, second, first_clock, second_clock


def test_a_message_not_yet_due_is_not_claimed_and_one_due_now_is(
    bureau: Store, tmp_path: Path
) -> None:
    first, _, clock, _ = claim_one(bureau, tmp_path)
    clock.set(RECEIVED + timedelta(seconds=30) - timedelta(microseconds=1))
    assert first.claim() is None
    clock.set(RECEIVED + timedelta(seconds=30))
    claim = first.claim()
    assert claim is not None and claim.attempt == 2


def test_a_lease_that_has_not_run_out_is_not_taken_and_one_that_has_is(
    bureau: Store, tmp_path: Path
) -> None:
    first, second, _, second_clock = claim_one(bureau, tmp_path)
    held = first.claim()
    assert held is not None
    assert held.lease_until == held.claimed_at + timedelta(seconds=5) + LEASE_MARGIN
    (row,) = outbox_rows(bureau)
    assert (row.attempts, row.next_attempt_at) == (2, held.lease_until)
    second_clock.set(held.lease_until - timedelta(microseconds=1))  # the last instant it holds
    assert second.claim() is None
    assert first.claim() is None  # nor does its own worker take it twice
    second_clock.set(held.lease_until)  # run out
    taken = second.claim()
    assert taken is not None
    assert (taken.id, taken.key, taken.attempt, taken.worker) == (held.id, held.key, 3, "second")


def test_a_stale_claim_cannot_overwrite_the_claim_that_took_over(
    bureau: Store, tmp_path: Path
) -> None:
    """The worker whose lease ran out reports back late: its failure is dropped (the newer claim
    decides), its success is recorded (the sink has the message), and nothing is delivered again."""
    first, second, _, second_clock = claim_one(bureau, tmp_path)
    stale = first.claim()
    assert stale is not None
    second_clock.set(stale.lease_until)
    current = second.claim()
    assert current is not None
    assert first.settle(stale, "ConnectionError: late") is False  # a replayed failure
    (row,) = outbox_rows(bureau)
    assert (row.attempts, row.next_attempt_at) == (3, current.lease_until)
    assert row.last_error is not None and "worker second" in row.last_error
    assert first.settle(stale, None) is True  # the sink took it after all
    assert second.settle(current, "ConnectionError: down") is False  # already delivered
    assert second.settle(current, None) is False
    (row,) = outbox_rows(bureau)
    assert row.delivered_at is not None and row.last_error is None
    second_clock.advance(days=1)
    assert second.claim() is None  # delivered: never claimed again


def test_a_failure_is_retried_after_the_backoff_counted_from_the_end_of_the_attempt(
    bureau: Store, tmp_path: Path
) -> None:
    first, _, clock, _ = claim_one(bureau, tmp_path)
    claim = first.claim()
    assert claim is not None
    ended = clock.advance(seconds=3)
    assert first.settle(claim, "ConnectionError: down") is True
    (row,) = outbox_rows(bureau)
    assert row.next_attempt_at == ended + timedelta(seconds=60)  # the second failure: 60 s
    assert row.last_error == "ConnectionError: down"


# -- the long-running worker in one process ----------------------------------------------------


class StoppingSink(FileSink):
    """Sets ``stop`` while delivering its first message (SIGTERM arriving mid-delivery)."""

    def __init__(self, path: Path, stop: threading.Event) -> None:
        super().__init__(path)
        self.stop = stop

    def deliver(self, message: OutboxDelivery) -> None:
        self.stop.set()
        time.sleep(0.1)
        super().deliver(message)


def test_a_stopped_worker_finishes_the_message_in_hand_and_claims_no_other(
    sqlite_bureau: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "d.jsonl"
    keys = backlog(sqlite_bureau, path, 3)
    stop = threading.Event()
    plugins = Plugins([FilePlugin(StoppingSink(path, stop))], autoload=False)
    outbox = Outbox(sqlite_bureau, SystemClock(), plugins, plugins.sinks(), worker="w")
    with caplog.at_level("INFO", logger="zhifa.outbox"):
        totals = run_worker(outbox, stop, interval=10, batch=10)
    assert (totals.delivered, totals.failed, totals.pending) == (1, 0, 2)
    assert [line["key"] for line in read_lines(path)] == keys[:1]
    rows = outbox_rows(sqlite_bureau)
    assert [r.delivered_at is not None for r in rows] == [True, False, False]
    assert [r.attempts for r in rows] == [2, 1, 1]  # the others were not even claimed
    delivered = [r for r in caplog.records if r.getMessage() == "outbox message delivered"]
    (record,) = delivered
    fields = {k: getattr(record, k) for k in ("key", "sink", "attempt", "worker", "matter")}
    assert fields == {"key": keys[0], "sink": SINK, "attempt": 2, "worker": "w", "matter": 1}
    assert record.__dict__["event_id"] > 0 and record.__dict__["duration_ms"] >= 100
    assert caplog.records[-1].getMessage() == "outbox worker stopped"


def test_a_worker_logs_a_failure_with_its_error_and_next_attempt(
    sqlite_bureau: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    backlog(sqlite_bureau, tmp_path / "d.jsonl", 1)
    clock = FixedClock(RECEIVED + timedelta(seconds=30))
    plugins = Plugins([FilePlugin(FileSink(tmp_path / "d.jsonl", down=True))], autoload=False)
    outbox = Outbox(sqlite_bureau, clock, plugins, plugins.sinks(), worker="w")
    caplog.clear()  # the failure while the backlog was made
    with caplog.at_level("INFO", logger="zhifa.outbox"):
        report = outbox.deliver()
    assert (report.delivered, report.failed, report.pending) == (0, 1, 1)
    (record,) = caplog.records
    assert record.levelname == "WARNING"
    assert record.__dict__["error"] == "ConnectionError: platform unreachable"
    assert record.__dict__["retry_at"] == clock.now() + timedelta(seconds=60)


# -- zhifa outbox --deliver --loop as a process --------------------------------------------------


def zhifa(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "zhifa", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_the_loop_worker_delivers_logs_json_and_stops_on_a_signal(
    bureau: Store,
    tmp_path: Path,
    publicity_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    sig: signal.Signals,
) -> None:
    from tests.test_publicity import publish_decision

    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    monkeypatch.setenv("ZHIFA_PUBLICITY_DIR", str(blocker / "publicity"))
    publish_decision(bureau)  # the publicity directory cannot be made: the delivery failed
    (failed,) = [r for r in outbox_rows(bureau) if r.delivered_at is None]
    proc = zhifa(
        "outbox",
        "--deliver",
        "--loop",
        "--interval",
        "0.2",
        "--db",
        bureau.url,
        "--json",
        env={
            "ZHIFA_PUBLICITY_DIR": str(publicity_dir),
            "ZHIFA_DISABLE_PLUGIN_AUTOLOAD": "1",
            "ZHIFA_LOG_LEVEL": "INFO",
            "ZHIFA_LOG_FORMAT": "json",
        },
    )
    try:
        wait_until(lambda: undelivered(bureau) == 0, 60, "the worker to deliver the message")
        time.sleep(0.3)  # the worker is waiting for the next round
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert json.loads(out) == {"delivered": 1, "failed": 0, "pending": 0}
    logged = [json.loads(line) for line in err.splitlines()]
    messages = [entry["message"] for entry in logged]
    assert messages == [
        "outbox worker started",
        "outbox message delivered",
        "outbox worker stopping",
        "outbox worker stopped",
    ]
    delivered = logged[1]
    assert delivered["level"] == "INFO" and delivered["logger"] == "zhifa.outbox"
    assert delivered["key"] == failed.key and delivered["sink"] == "publicity"
    assert delivered["attempt"] == 2 and delivered["event_id"] == failed.event_id
    assert delivered["time"].endswith("+08:00")
    assert logged[2]["signal"] == sig.name
    assert len(list(publicity_dir.glob("publicity-*.jsonl"))) == 1


@pytest.mark.parametrize(
    ("args", "env", "fragment"),
    [
        (("--loop",), {}, "--loop runs the delivery worker, so it needs --deliver"),
        (("--interval", "5"), {}, "--interval is the pause of the --loop worker"),
        (("--batch", "5"), {}, "--batch sizes a delivery; add --deliver"),
        (("--deliver", "--loop", "--interval", "0"), {}, "--interval must be more than 0"),
        (("--deliver", "--loop", "--interval", "3600.5"), {}, "at most 3600 seconds"),
        (("--deliver", "--loop", "--interval", "nan"), {}, "--interval must be more than 0"),
        (("--deliver", "--batch", "0"), {}, "--batch must be between 1 and 10000, got 0"),
        (("--deliver", "--batch", "10001"), {}, "--batch must be between 1 and 10000, got 10001"),
        (("--deliver", "--loop"), {"ZHIFA_LOG_LEVEL": "LOUD"}, "$ZHIFA_LOG_LEVEL 'LOUD' is not"),
        (("--deliver", "--loop"), {"ZHIFA_LOG_FORMAT": "xml"}, "$ZHIFA_LOG_FORMAT 'xml' is not"),
    ],
)
def test_loop_bad_input_is_one_sentence_and_delivers_nothing(
    sqlite_bureau: Store,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    args: tuple[str, ...],
    env: dict[str, str],
    fragment: str,
) -> None:
    backlog(sqlite_bureau, tmp_path / "d.jsonl", 1)
    monkeypatch.setenv("ZHIFA_DISABLE_PLUGIN_AUTOLOAD", "1")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    before = [(r.attempts, r.last_error) for r in outbox_rows(sqlite_bureau)]
    code, out, err = run(capsys, "outbox", "--db", sqlite_bureau.url, *args)
    assert code == 2
    assert fragment in err and "Traceback" not in err and out == ""
    assert [(r.attempts, r.last_error) for r in outbox_rows(sqlite_bureau)] == before


@pytest.mark.parametrize(("interval", "batch"), [("3600", "10000"), ("0.001", "1")])
def test_loop_options_at_their_limits_are_taken(
    sqlite_bureau: Store, interval: str, batch: str
) -> None:
    proc = zhifa(
        "outbox",
        "--deliver",
        "--loop",
        "--interval",
        interval,
        "--batch",
        batch,
        "--db",
        sqlite_bureau.url,
        env={"ZHIFA_DISABLE_PLUGIN_AUTOLOAD": "1", "ZHIFA_LOG_FORMAT": "text"},
    )
    try:
        assert proc.stderr is not None
        first = proc.stderr.readline()  # the worker has started: the options were taken
        while first and "outbox worker started" not in first:
            first = proc.stderr.readline()
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert " INFO zhifa.outbox outbox worker started " in first
    assert f"batch={batch}" in first
    assert proc.returncode == 0
    assert out.strip() == "0 delivered, 0 failed (retried later), 0 not delivered yet"


def test_the_one_shot_delivery_takes_a_batch_size(
    sqlite_bureau: Store,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    backlog(sqlite_bureau, tmp_path / "d.jsonl", 3)
    monkeypatch.setenv("ZHIFA_DISABLE_PLUGIN_AUTOLOAD", "1")
    code, out, _ = run(
        capsys, "outbox", "--db", sqlite_bureau.url, "--deliver", "--batch", "1", "--json"
    )
    assert code == 1  # the sink is not loaded in the command: each message fails, in batches of 1
    assert json.loads(out) == {"delivered": 0, "failed": 3, "pending": 3}
