"""A complainant's or reporter's identity (投诉举报处理暂行办法 第三十三条): kept in the record,
shown only to the officers handling the clue, never sent to a reporting sink or put in the credit
file; attacked from the side of another officer and of a plugin's sink."""

from __future__ import annotations

import json

import pytest

from tests.conftest import ENTITY
from tests.helpers import make_engine, run
from tests.plugins.sinks import RecordingSink, SinkPlugin
from zhifa.credit import entity_file
from zhifa.errors import AuthError
from zhifa.rules.credit import NATIONAL_SCHEME
from zhifa.store import Store
from zhifa.workflow.definitions import CONFIDENTIAL

REPORTER = "张三 13800000000"
CLUE = {"source": "report", "summary": "无证经营", "reporter": REPORTER}


def test_only_the_handlers_see_the_reporter(bureau: Store) -> None:
    engine, _ = make_engine(bureau)
    m = engine.open("clue", "C1", CLUE, entity=ENTITY).matter  # C1 registers it
    m = engine.advance(m, "assign", "H1", {"verifiers": ["C2"]}).matter  # C2 is named
    history = engine.history(m.id)
    for handler in ("C1", "H1", "C2"):
        shown, events = engine.as_seen_by(handler, m, history)
        assert shown.data["open"]["reporter"] == REPORTER
        assert events[0].data["reporter"] == REPORTER
    for outsider in ("L1", None):
        shown, events = engine.as_seen_by(outsider, m, history)
        assert shown.data["open"]["reporter"] == CONFIDENTIAL
        assert events[0].data["reporter"] == CONFIDENTIAL
        assert events[0].data["summary"] == "无证经营"  # only the confidential field is hidden
    assert engine.history(m.id)[0].hash == history[0].hash  # the record keeps it, hashed


@pytest.mark.postgres
def test_on_a_shared_database_nobody_looks_as_another(pg_url: str) -> None:
    from tests.conftest import seed_bureau
    from tests.helpers import signed_in
    from zhifa.engine import Engine
    from zhifa.plugins import Plugins

    store = Store(pg_url)
    seed_bureau(store)
    c1, l1 = signed_in(store, ["C1", "L1"])
    opener = Engine(store, plugins=Plugins(autoload=False), sessions=[c1])
    m = opener.open("clue", c1, CLUE, entity=ENTITY).matter
    outsider = Engine(store, plugins=Plugins(autoload=False), sessions=[l1])
    with pytest.raises(AuthError):
        outsider.as_seen_by("C1", m, outsider.history(m.id))  # L1 claiming to be C1
    shown, _ = outsider.as_seen_by(l1, m, outsider.history(m.id))
    assert shown.data["open"]["reporter"] == CONFIDENTIAL
    store.dispose()


def test_a_sink_never_receives_the_reporter(bureau: Store) -> None:
    sink = RecordingSink()
    engine, _ = make_engine(bureau, SinkPlugin(sink))
    m = engine.open("clue", "C1", CLUE, entity=ENTITY).matter
    engine.advance(m, "assign", "H1", {"verifiers": ["C2"]})
    engine.deliver_outbox()
    assert len(sink.received) == 2
    text = json.dumps(
        [(d.event, d.matter.data if d.matter else None) for d in sink.received], ensure_ascii=False
    )
    assert REPORTER not in text and CONFIDENTIAL in text
    found = entity_file(bureau, ENTITY, NATIONAL_SCHEME, m.opened_at.date(), m.opened_at)
    assert REPORTER not in json.dumps(found.as_dict(), ensure_ascii=False)


def test_the_command_shows_the_reporter_to_a_handler_only(
    sqlite_bureau: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    engine, _ = make_engine(sqlite_bureau)
    m = engine.open("clue", "C1", CLUE, entity=ENTITY).matter
    url = sqlite_bureau.url
    code, out, _ = run(capsys, "matter", "show", str(m.id), "--actor", "C1", "--json", "--db", url)
    assert code == 0 and REPORTER in out
    for who in (("--actor", "L1"), ()):
        code, out, _ = run(capsys, "matter", "show", str(m.id), *who, "--json", "--db", url)
        assert code == 0 and REPORTER not in out and CONFIDENTIAL in out
