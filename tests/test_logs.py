"""Structured logs: one JSON object per line with the time's offset and the ``extra`` fields, a
text format, the level and format from the environment, secrets and a reporter's identity never
written, other libraries quiet below WARNING, nothing written before ``configure``."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from zhifa.errors import InputError
from zhifa.logs import REDACTED, configure, get_logger, is_sensitive


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    """Where the test's logs go; the handler ``configure`` installs is removed afterwards."""
    root, zhifa = logging.getLogger(), logging.getLogger("zhifa")
    handlers, levels = list(root.handlers), (root.level, zhifa.level)
    yield io.StringIO()
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
    root.setLevel(levels[0])
    zhifa.setLevel(levels[1])


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_record_is_one_json_line_with_time_level_logger_message_and_fields(
    stream: io.StringIO,
) -> None:
    configure("INFO", "json", stream)
    when = datetime(2026, 3, 2, 9, 30)
    get_logger("zhifa.desk").info(
        "request",
        extra={
            "request_id": "r-1",
            "officer": "XH-011",
            "matter": 7,
            "trigger": "assign",
            "event_id": 12,
            "duration_ms": 12.5,
            "summary": "售卖过期食品",
            "at": when,
        },
    )
    assert stream.getvalue().count("\n") == 1
    (entry,) = lines(stream)
    assert list(entry)[:4] == ["time", "level", "logger", "message"]
    moment = datetime.fromisoformat(entry["time"])
    assert moment.utcoffset() == timedelta(hours=8)
    assert abs(moment.timestamp() - datetime.now().timestamp()) < 60
    assert {k: v for k, v in entry.items() if k != "time"} == {
        "level": "INFO",
        "logger": "zhifa.desk",
        "message": "request",
        "request_id": "r-1",
        "officer": "XH-011",
        "matter": 7,
        "trigger": "assign",
        "event_id": 12,
        "duration_ms": 12.5,
        "summary": "售卖过期食品",
        "at": "2026-03-02T09:30:00",
    }
    assert "售卖过期食品" in stream.getvalue()  # Chinese as written, not escaped


SECRETS: dict[str, Any] = {
    "password": "hunter2-pw",
    "new_password": "hunter3-pw",
    "Authorization": "Bearer abc-auth",
    "token": "zft_secret-token",
    "session_token": "zft_session-token",
    "X-Api-Key": "key-api-123",
    "client_secret": "s3cr3t-value",
    "cookie": "sid=cookie-value",
    "reporter": {"name": "举报人甲", "phone": "13900000000"},
    "reporter_name": "举报人乙",
    "ReporterPhone": "13911111111",
    "complainant_contact": "13922222222",
}


def test_secrets_and_a_reporters_identity_are_redacted_at_any_depth(stream: io.StringIO) -> None:
    configure("INFO", "json", stream)
    nested = {"data": {"summary": "过期食品", "reporter_id_no": "110101199001011234"}}
    listed = [{"password": "in-a-list-pw", "kept": 1}]
    get_logger("zhifa.desk").info("login", extra={**SECRETS, "body": nested, "items": listed})
    text = stream.getvalue()
    for value in ("hunter2", "hunter3", "abc-auth", "secret-token", "session-token", "key-api"):
        assert value not in text
    for value in ("s3cr3t", "cookie-value", "举报人", "139", "110101199001011234", "in-a-list"):
        assert value not in text
    (entry,) = lines(stream)
    assert all(entry[key] == REDACTED for key in SECRETS)
    assert entry["body"] == {"data": {"summary": "过期食品", "reporter_id_no": REDACTED}}
    assert entry["items"] == [{"password": REDACTED, "kept": 1}]


def test_redaction_in_the_text_format_too(stream: io.StringIO) -> None:
    configure("INFO", "text", stream)
    get_logger("zhifa.desk").warning("login failed", extra={"officer": "A1", "password": "pw-1"})
    (line,) = stream.getvalue().splitlines()
    stamp, rest = line.split(" ", 1)
    assert datetime.fromisoformat(stamp).utcoffset() == timedelta(hours=8)
    assert rest == f"WARNING zhifa.desk login failed officer=A1 password={REDACTED}"


@pytest.mark.parametrize(
    ("key", "sensitive"),
    [
        ("reporter", True),
        ("reporter_phone", True),
        ("report", False),  # a report is not its reporter
        ("reported_at", False),
        ("officer", False),
        ("pass", False),
        ("passwd", True),
        ("x-auth-token", True),
        ("PRIVATE-KEY", True),
    ],
)
def test_which_field_names_are_sensitive(key: str, sensitive: bool) -> None:
    assert is_sensitive(key) is sensitive


def test_an_exception_is_one_line_with_its_traceback_as_a_field(stream: io.StringIO) -> None:
    configure("INFO", "json", stream)
    try:
        raise ConnectionError("platform unreachable")
    except ConnectionError:
        get_logger("zhifa.outbox").exception("delivery failed", extra={"sink": "publicity"})
    (entry,) = lines(stream)
    assert entry["exception"] == "ConnectionError: platform unreachable"
    assert entry["traceback"].startswith("Traceback") and entry["sink"] == "publicity"


def test_level_and_format_come_from_the_environment(
    stream: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZHIFA_LOG_LEVEL", "warning")
    monkeypatch.setenv("ZHIFA_LOG_FORMAT", "TEXT")
    configure(stream=stream)
    log = get_logger("zhifa.outbox")
    log.info("not shown")
    log.warning("shown")
    (line,) = stream.getvalue().splitlines()
    assert line.endswith(" WARNING zhifa.outbox shown")


def test_an_explicit_level_wins_over_the_environment(
    stream: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZHIFA_LOG_LEVEL", "ERROR")
    configure("DEBUG", "json", stream)
    get_logger("zhifa.x").debug("shown")
    assert [e["message"] for e in lines(stream)] == ["shown"]


def test_the_default_is_info_as_json(stream: io.StringIO, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ZHIFA_LOG_LEVEL", raising=False)
    monkeypatch.delenv("ZHIFA_LOG_FORMAT", raising=False)
    configure(stream=stream)
    get_logger("zhifa.x").debug("hidden")
    get_logger("zhifa.x").info("shown")
    assert [e["message"] for e in lines(stream)] == ["shown"]


def test_other_libraries_log_from_warning_up(stream: io.StringIO) -> None:
    configure("DEBUG", "json", stream)
    get_logger("alembic.runtime.migration").info("Context impl SQLiteImpl.")
    get_logger("alembic.runtime.migration").warning("a warning")
    assert [e["message"] for e in lines(stream)] == ["a warning"]


def test_configuring_again_replaces_the_handler(stream: io.StringIO) -> None:
    other = io.StringIO()
    configure("INFO", "json", other)
    configure("INFO", "json", stream)
    get_logger("zhifa.x").info("once")
    assert other.getvalue() == "" and len(lines(stream)) == 1


@pytest.mark.parametrize(
    ("env", "args", "fragment"),
    [
        ({"ZHIFA_LOG_LEVEL": "LOUD"}, {}, "$ZHIFA_LOG_LEVEL 'LOUD' is not a log level; use one of"),
        ({"ZHIFA_LOG_FORMAT": "xml"}, {}, "$ZHIFA_LOG_FORMAT 'xml' is not a log format; use one"),
        ({}, {"level": "verbose"}, "level 'verbose' is not a log level"),
        ({}, {"fmt": "yaml"}, "format 'yaml' is not a log format; use one of json, text"),
    ],
)
def test_a_bad_level_or_format_is_one_sentence_and_installs_nothing(
    stream: io.StringIO,
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
    args: dict[str, str],
    fragment: str,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    before = list(logging.getLogger().handlers)
    with pytest.raises(InputError) as info:
        configure(stream=stream, **args)
    assert fragment in info.value.message and "\n" not in info.value.message
    assert logging.getLogger().handlers == before


def test_nothing_is_written_before_configure() -> None:
    code = (
        "import logging, zhifa.logs; "
        "logging.getLogger('zhifa.outbox').warning('outbox delivery failed', "
        "extra={'password': 'pw'})"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert (done.stdout, done.stderr) == ("", "")
