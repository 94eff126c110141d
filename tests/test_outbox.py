"""The outbox on SQLite and PostgreSQL: sinks receive the matter with the event, a delivery runs
within its sink's timeout, old messages holding only the event still deliver, a step no sink wants
runs no delivery, and `zhifa outbox` shows what failed and why."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import DEPT, ENTITY
from tests.helpers import RECEIVED, make_engine, open_clue, run
from tests.plugins.sinks import RecordingSink, SinkPlugin, SlowSink
from zhifa.engine.outbox import retry_delay
from zhifa.hooks.types import DEFAULT_SINK_TIMEOUT, sink_timeout
from zhifa.record import canonical_json
from zhifa.store import Store
from zhifa.store.tables import OutboxMessage


def messages(store: Store) -> list[OutboxMessage]:
    with store.read() as s:
        return list(s.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


# -- the matter travels with the event ------------------------------------------------------------


def test_sink_receives_the_matter_as_it_stood_after_the_step(bureau: Store) -> None:
    sink = RecordingSink()
    engine, _ = make_engine(bureau, SinkPlugin(sink))
    m = open_clue(engine)
    engine.advance(m, "assign", "H1", {"verifiers": ["C1"]})
    opened, assigned = sink.received
    assert opened.matter is not None and assigned.matter is not None
    assert (opened.matter.state, opened.matter.version) == ("received", 1)
    after = assigned.matter
    assert (after.id, after.workflow, after.state, after.version) == (m.id, "clue", "verifying", 2)
    assert (after.department, after.department_name) == (DEPT, "西湖区市场监管局")
    assert (after.entity_uscc, after.entity_name) == (ENTITY, "某食品有限公司")
    assert after.title == "过期食品"
    assert after.data["assign"] == {"verifiers": ["C1"]}
    assert assigned.event["trigger"] == "assign" and assigned.event["seq"] == 2
    stored = json.loads(messages(bureau)[1].payload)  # one JSON document: event and matter
    assert set(stored) == {"event", "matter"}
    assert stored["matter"]["department_name"] == "西湖区市场监管局"


def test_a_matter_without_an_entity_reaches_sinks_without_one(bureau: Store) -> None:
    sink = RecordingSink()
    engine, _ = make_engine(bureau, SinkPlugin(sink))
    open_clue(engine, entity=None)
    (delivery,) = sink.received
    assert delivery.matter is not None
    assert (delivery.matter.entity_uscc, delivery.matter.entity_name) == (None, None)
    assert delivery.matter.department_name == "西湖区市场监管局"


def test_old_messages_holding_only_the_event_still_deliver(bureau: Store) -> None:
    sink = RecordingSink(fail_times=1)
    engine, clock = make_engine(bureau, SinkPlugin(sink))
    m = open_clue(engine)
    (msg,) = messages(bureau)
    event = json.loads(msg.payload)["event"]
    with bureau.write() as s:  # as zhifa stored messages before they carried the matter
        s.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.id == msg.id)
            .values(payload=canonical_json(event))
        )
    clock.advance(seconds=30)
    assert engine.deliver_outbox().delivered == 1
    (delivery,) = sink.received
    assert delivery.matter is None
    assert delivery.event == event and delivery.event["matter_id"] == m.id


def test_a_step_no_sink_wants_runs_no_delivery(
    bureau: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    sink = RecordingSink()
    engine, _ = make_engine(bureau, SinkPlugin(sink))
    calls: list[int | None] = []
    deliver = engine.deliver_outbox

    def counting(**kwargs: Any) -> Any:
        calls.append(kwargs.get("event_id"))
        return deliver(**kwargs)

    monkeypatch.setattr(engine, "deliver_outbox", counting)
    m = open_clue(engine)  # wanted: delivered after commit
    m = engine.advance(m, "assign", "H1", {"verifiers": ["C1"]}).matter  # wanted
    engine.advance(m, "start_testing", "C1", {"kind": "testing", "body": "省检验院"})  # not wanted
    assert len(calls) == 2
    assert len(messages(bureau)) == 2


# -- timeouts --------------------------------------------------------------------------------------


def test_a_sink_past_its_timeout_is_recorded_and_the_step_is_committed(bureau: Store) -> None:
    sink = SlowSink()
    engine, clock = make_engine(bureau, SinkPlugin(sink))
    started = time.monotonic()
    m = open_clue(engine)
    assert time.monotonic() - started < 3  # waited 0.2 s for the sink, not its 5 s
    assert engine.load(m.id).state == "received"  # the step stands
    (msg,) = messages(bureau)
    assert (msg.attempts, msg.delivered_at) == (1, None)
    assert msg.last_error == "timed out after 0.2 s"
    assert msg.next_attempt_at == RECEIVED + timedelta(seconds=30)
    sink.release.set()  # the first delivery completes late, as documented
    clock.advance(seconds=30)
    report = engine.deliver_outbox()
    assert (report.delivered, report.pending) == (1, 0)
    assert 2 in [d.attempt for d in sink.received]  # the retry (attempt 1 may land late too)


def test_a_sink_without_timeout_gets_ten_seconds() -> None:
    assert sink_timeout(RecordingSink()) == DEFAULT_SINK_TIMEOUT == 10.0
    assert sink_timeout(RecordingSink(timeout=2)) == 2.0


@pytest.mark.parametrize("timeout", [0, -1, "10", True, float("inf"), float("nan")])
def test_a_wrong_timeout_is_recorded_on_the_message(bureau: Store, timeout: Any) -> None:
    sink = RecordingSink(timeout=timeout)
    engine, _ = make_engine(bureau, SinkPlugin(sink))
    m = open_clue(engine)
    assert engine.load(m.id).version == 1
    (msg,) = messages(bureau)
    assert msg.delivered_at is None
    assert "declares timeout" in (msg.last_error or "") and "positive number" in (
        msg.last_error or ""
    )
    assert sink.received == []


def test_retries_wait_30_seconds_doubling_up_to_an_hour() -> None:
    waits = [retry_delay(n).total_seconds() for n in (1, 2, 3, 7, 8, 50)]
    assert waits == [30, 60, 120, 1920, 3600, 3600]


# -- zhifa outbox ----------------------------------------------------------------------------------


@pytest.fixture
def no_autoload(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZHIFA_DISABLE_PLUGIN_AUTOLOAD", "1")


def test_outbox_lists_a_failing_sink_with_its_error_and_next_attempt(
    bureau: Store, capsys: pytest.CaptureFixture[str], no_autoload: None
) -> None:
    engine, _ = make_engine(bureau, SinkPlugin(RecordingSink(fail_times=5)))
    m = open_clue(engine)
    engine.advance(m, "assign", "H1", {"verifiers": ["C1"]})
    listing = json.loads(run(capsys, "outbox", "--db", bureau.url, "--json")[1])
    assert listing["counts"] == {"delivered": 0, "failing": 2, "queued": 0}
    newest, oldest = listing["messages"]
    assert oldest == {
        "id": oldest["id"],
        "sink": "record-sink",
        "key": f"{m.id}:1:record-sink",
        "matter_id": m.id,
        "workflow": "clue",
        "trigger": "open",
        "seq": 1,
        "status": "failing",
        "attempts": 1,
        "last_error": "ConnectionError: platform unreachable",
        "next_attempt_at": "2026-02-10T09:00:30",
        "delivered_at": None,
    }
    assert newest["trigger"] == "assign"
    code, out, _ = run(capsys, "outbox", "--db", bureau.url, "--pending", "--sink", "record-sink")
    assert code == 0
    assert "ConnectionError: platform unreachable" in out and "0 delivered, 2 failing" in out
    # the CLI has no such sink loaded: its messages stay failing, each with the reason
    code, out, _ = run(capsys, "outbox", "--db", bureau.url, "--deliver", "--json")
    assert code == 1
    assert json.loads(out) == {"delivered": 0, "failed": 2, "pending": 2}
    listing = json.loads(run(capsys, "outbox", "--db", bureau.url, "--json")[1])
    assert {msg["attempts"] for msg in listing["messages"]} == {2}
    assert all("is not loaded" in msg["last_error"] for msg in listing["messages"])


def test_outbox_deliver_sends_what_is_due(
    bureau: Store,
    capsys: pytest.CaptureFixture[str],
    no_autoload: None,
    publicity_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.test_publicity import publish_decision

    blocker = publicity_dir.parent / "not-a-directory"
    blocker.write_text("")
    monkeypatch.setenv("ZHIFA_PUBLICITY_DIR", str(blocker / "publicity"))
    publish_decision(bureau)  # the publicity directory cannot be made: the delivery fails
    listing = json.loads(run(capsys, "outbox", "--db", bureau.url, "--json", "--pending")[1])
    (failing,) = listing["messages"]
    assert failing["sink"] == "publicity" and failing["trigger"] == "publish"
    assert failing["last_error"].startswith(("NotADirectoryError", "FileExistsError"))
    monkeypatch.setenv("ZHIFA_PUBLICITY_DIR", str(publicity_dir))
    code, out, _ = run(capsys, "outbox", "--db", bureau.url, "--deliver")  # due: it is later now
    assert code == 0
    assert "1 delivered, 0 failed (retried later), 0 not delivered yet" in out
    assert len(list(publicity_dir.glob("publicity-*.jsonl"))) == 1
    listing = json.loads(run(capsys, "outbox", "--db", bureau.url, "--json")[1])
    assert listing["counts"] == {"delivered": 1, "failing": 0, "queued": 0}
    assert listing["messages"][0]["next_attempt_at"] is None


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--sink", "nope"), "no reporting sink 'nope'"),
        (("--limit", "0"), "--limit must be 1 or more"),
    ],
)
def test_outbox_bad_input_is_one_sentence(
    sqlite_bureau: Store,
    capsys: pytest.CaptureFixture[str],
    no_autoload: None,
    args: tuple[str, ...],
    fragment: str,
) -> None:
    code, _, err = run(capsys, "outbox", "--db", sqlite_bureau.url, *args)
    assert code == 2
    assert fragment in err and "Traceback" not in err
