"""Structured logs: one JSON object per line (or a readable line), secrets never written.

:func:`configure` installs one handler on the root logger: zhifa's records from the chosen level,
other libraries' (the database driver, the migration tool, a web server) from WARNING up::

    from zhifa import logs

    logs.configure()                                  # $ZHIFA_LOG_LEVEL, $ZHIFA_LOG_FORMAT
    log = logs.get_logger("zhifa.desk")
    log.info("request", extra={"request_id": "…", "officer": "XH-011", "duration_ms": 12.5})

In the ``json`` format (the default) each record is one line::

    {"time": "2026-03-02T09:00:00.123+08:00", "level": "INFO", "logger": "zhifa.desk",
     "message": "request", "request_id": "…", "officer": "XH-011", "duration_ms": 12.5}

with ``time`` in ISO 8601 with its offset (Beijing time, as everything zhifa records), then
``level``, ``logger``, ``message`` and every field passed as ``extra``; an exception adds
``exception`` (its type and text) and ``traceback``. The ``text`` format writes the same as
``2026-03-02T09:00:00.123+08:00 INFO zhifa.desk request request_id=… officer=XH-011``.

Whatever the format, :class:`Redact` replaces the value of every field whose name says it holds a
secret or a reporter's identity — ``password``, ``passwd``, ``token``, ``secret``, ``api_key``,
``authorization``, ``cookie``, ``credential``, ``private_key``, and any name starting with
``reporter``, ``complainant`` or ``informant`` — by ``[redacted]``, also inside nested mappings
and lists. Names are compared case-insensitively, with ``-`` read as ``_``.

Until :func:`configure` is called, zhifa's loggers write nothing (the ``zhifa`` logger has a null
handler), so a library user sees no output they did not ask for.

This module imports nothing from zhifa but :mod:`zhifa.errors`: every layer may log.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import IO, Any

from zhifa.errors import InputError

LEVEL_ENV = "ZHIFA_LOG_LEVEL"
FORMAT_ENV = "ZHIFA_LOG_FORMAT"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
FORMATS = ("json", "text")
REDACTED = "[redacted]"

SECRET_WORDS = (
    "password",
    "passwd",
    "token",
    "secret",
    "api_key",
    "apikey",
    "authorization",
    "cookie",
    "credential",
    "private_key",
)
"""A field whose name contains one of these holds a secret."""
IDENTITY_PREFIXES = ("reporter", "complainant", "informant")
"""A field whose name starts with one of these names the person who reported or complained."""

_BEIJING = timezone(timedelta(hours=8))
# the attributes every LogRecord has; anything else on a record came in through ``extra``
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}
_HANDLER_MARK = "_zhifa_handler"

logging.getLogger("zhifa").addHandler(logging.NullHandler())


def get_logger(name: str) -> logging.Logger:
    """The logger ``name`` (by convention the module's ``zhifa.…`` name)."""
    return logging.getLogger(name)


def is_sensitive(key: str) -> bool:
    """Whether a field named ``key`` holds a secret or a reporter's identity."""
    name = key.lower().replace("-", "_")
    return name.startswith(IDENTITY_PREFIXES) or any(word in name for word in SECRET_WORDS)


def redact(value: Any) -> Any:
    """``value`` with every sensitive key's value (at any depth) replaced by ``[redacted]``."""
    if isinstance(value, Mapping):
        return {
            k: REDACTED if isinstance(k, str) and is_sensitive(k) else redact(v)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


def extras(record: logging.LogRecord) -> dict[str, Any]:
    """The fields passed to the log call as ``extra``, in the order given."""
    return {k: v for k, v in record.__dict__.items() if k not in _STANDARD and k[:1] != "_"}


class Redact(logging.Filter):
    """Replaces the value of every sensitive ``extra`` field of a record (see the module's
    documentation) before any handler formats it; the record itself is kept."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in extras(record).items():
            setattr(record, key, REDACTED if is_sensitive(key) else redact(value))
        return True


def _time(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created, _BEIJING).isoformat(timespec="milliseconds")


def _plain(value: Any) -> Any:
    """``value`` as JSON can hold it (times as ISO 8601, anything else unknown as its text)."""
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line (see the module's documentation)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _time(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in extras(record).items():
            entry.setdefault(key, value)
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            entry["exception"] = f"{type(exc).__name__}: {exc}"
            entry["traceback"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=_plain)


class TextFormatter(logging.Formatter):
    """``time level logger message key=value …``, one line per record (a traceback follows on
    its own lines)."""

    def format(self, record: logging.LogRecord) -> str:
        fields = " ".join(
            f"{k}={json.dumps(v, ensure_ascii=False, default=_plain) if not isinstance(v, str) else v}"
            for k, v in extras(record).items()
        )
        line = f"{_time(record)} {record.levelname} {record.name} {record.getMessage()}"
        if fields:
            line = f"{line} {fields}"
        if record.exc_info and record.exc_info[1] is not None:
            line = f"{line}\n{self.formatException(record.exc_info)}"
        return line


def _choice(value: str | None, env: str, allowed: tuple[str, ...], default: str, what: str) -> str:
    raw = value if value is not None else os.environ.get(env) or default
    chosen = raw.strip().upper() if what == "level" else raw.strip().lower()
    if chosen not in allowed:
        source = f"${env}" if value is None else what
        raise InputError(
            f"{source} {raw!r} is not a log {what}; use one of {', '.join(allowed)}"
            + (f" (or unset ${env} for {default})" if value is None else "")
        )
    return chosen


def configure(
    level: str | None = None, fmt: str | None = None, stream: IO[str] | None = None
) -> logging.Handler:
    """Send zhifa's log records at ``level`` or above, and other libraries' at WARNING or above,
    to ``stream`` (default standard error) as ``fmt``: ``json`` (one object per line) or
    ``text``; sensitive fields redacted.

    ``level`` and ``fmt`` default to ``$ZHIFA_LOG_LEVEL`` (else ``INFO``) and
    ``$ZHIFA_LOG_FORMAT`` (else ``json``); a value neither allows is an :class:`InputError`.
    Calling it again replaces the handler it installed before (other handlers stay). Returns
    the handler.
    """
    chosen_level = _choice(level, LEVEL_ENV, LEVELS, "INFO", "level")
    chosen_fmt = _choice(fmt, FORMAT_ENV, FORMATS, "json", "format")
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter() if chosen_fmt == "json" else TextFormatter())
    handler.addFilter(Redact())
    setattr(handler, _HANDLER_MARK, True)
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    # zhifa's own records from the chosen level; other libraries' (the database driver, the
    # migration tool…) from WARNING up, unless a stricter level is chosen
    logging.getLogger("zhifa").setLevel(chosen_level)
    root.setLevel(max(logging.WARNING, logging.getLevelNamesMapping()[chosen_level]))
    return handler
