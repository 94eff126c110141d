"""Plugin code inside a step: within its plugin's time limit and, for the code that only judges a
step (guards and ``zhifa_before_transition``), without writing.

**Time limits.** A call with a limit (:meth:`zhifa.plugins.Plugins.time_limit`; 2 s unless
``zhifa.toml`` says otherwise, none for the baseline) runs in a worker thread while the caller
waits at most that long. A call still running then is abandoned: Python cannot stop a thread, so
the worker goes on, but the caller's ``on_timeout`` discards the step's connection
(:func:`abandon`: the statement it may be running is interrupted and the connection closed, so
its transaction rolls back and its locks are released now, not when the plugin returns), the
caller gets :class:`~zhifa.errors.PluginTimeout`, and every statement the abandoned call sends
through SQLAlchemy afterwards is refused. Idle workers are kept for the next call; a worker whose
call was abandoned ends when (if ever) that call returns.

**Reads only.** While code that only judges a step runs, its thread is marked, and a listener on
every SQLAlchemy engine (``before_cursor_execute``) refuses any statement from that thread that
is not a read (:func:`is_read`), whichever connection it uses: the refusal is recorded, so it
becomes :class:`~zhifa.errors.PluginWriteRefused` even when the plugin catches it. The engine adds
what SQLAlchemy cannot see (the driver's own cursor): see :mod:`zhifa.engine.checks`.

The same holds for plugin code that runs without a limit (the baseline's, in the caller's
thread): the mark is the thread's while the call runs. Importing this module loads no database
code.
"""

from __future__ import annotations

import contextlib
import queue
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from zhifa.errors import PluginError, PluginTimeout, PluginWriteRefused

T = TypeVar("T")

IDLE_WORKERS = 16
"""At most this many idle worker threads are kept for the next calls."""


# -- what runs where --------------------------------------------------------------------------


@dataclass(slots=True)
class Running:
    """One call of plugin code: whose, what, whether it may only read, and what it was refused."""

    plugin: str
    what: str
    read_only: bool
    refused: str | None = None  # the first statement refused (a write, or anything once expired)
    expired: bool = False  # it ran past its time limit: every statement it sends is refused

    def refuse(self, statement: str) -> None:
        """Record and refuse ``statement`` (raises)."""
        shown = " ".join(statement.split())
        shown = shown if len(shown) <= 80 else shown[:77] + "..."
        if self.refused is None:
            self.refused = shown
        if self.expired:
            raise RuntimeError(f"{self.what} of plugin {self.plugin!r} ran past its time limit")
        raise PluginWriteRefused(self.plugin, self.what, shown)


_RUNNING: dict[int, Running] = {}
"""Thread id → the plugin call that thread runs now."""


def running() -> Running | None:
    """The plugin call the current thread runs, if any."""
    return _RUNNING.get(threading.get_ident())


def _marked(call: Running, fn: Callable[[], T]) -> Callable[[], T]:
    """``fn``, run with its thread marked as running ``call``."""

    def go() -> T:
        ident = threading.get_ident()
        before = _RUNNING.get(ident)
        _RUNNING[ident] = call
        try:
            return fn()
        finally:
            if before is None:
                _RUNNING.pop(ident, None)
            else:
                _RUNNING[ident] = before

    return go


# -- the statement check ----------------------------------------------------------------------

_SKIPPED = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|/\*.*?\*/", re.DOTALL)
_CHANGES = re.compile(
    r"\b(INSERT|UPDATE|DELETE|MERGE|UPSERT|CREATE|DROP|ALTER|TRUNCATE|GRANT|REVOKE|ATTACH|DETACH"
    r"|VACUUM|REINDEX|ANALYZE|COPY|INTO|PRAGMA|SET|RESET|LOCK|CALL|EXECUTE|PREPARE|NOTIFY|LISTEN"
    r"|SAVEPOINT|RELEASE|ROLLBACK|COMMIT|SHARE|SET_CONFIG|NEXTVAL|SETVAL|LOAD_EXTENSION"
    r"|PG_(?:TRY_)?ADVISORY_\w+|PG_NOTIFY|LO_\w+|DBLINK\w*|PG_TERMINATE_BACKEND|PG_CANCEL_BACKEND"
    r"|PG_RELOAD_CONF|PG_FILE_WRITE)\b",
    re.IGNORECASE,
)
_READS = frozenset({"SELECT", "WITH", "VALUES", "SHOW"})


def is_read(statement: str) -> bool:
    """Whether ``statement`` only reads: a SELECT (or WITH, VALUES, SHOW) naming nothing that
    changes data, takes locks or changes the session (no INSERT, UPDATE, FOR UPDATE/SHARE, INTO,
    SET, nextval(), advisory locks…; words inside quotes and comments do not count), or the plain
    ``BEGIN`` of a new read transaction. A read may be refused for a word it names (better than
    letting a write through); it is then the plugin's to rephrase."""
    text = _SKIPPED.sub(" ", statement).lstrip(" \t\r\n(")
    first = text.split(None, 1)[0].upper() if text else ""
    if first == "BEGIN":
        return " ".join(text.split()).upper().rstrip(";") in {"BEGIN", "BEGIN DEFERRED"}
    return first in _READS and _CHANGES.search(text) is None


def _check_statement(
    conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
) -> None:
    """``before_cursor_execute`` on every SQLAlchemy engine: refuse a statement of plugin code
    that may only read, or that ran past its time limit."""
    call = _RUNNING.get(threading.get_ident())
    if call is not None and (call.expired or (call.read_only and not is_read(statement))):
        call.refuse(statement)


_INSTALLED: list[bool] = []
_INSTALL_LOCK = threading.Lock()


def install_statement_check() -> None:
    """Listen to every SQLAlchemy engine, once per process (it costs a dictionary lookup per
    statement for code that is not a plugin's)."""
    if _INSTALLED:
        return
    with _INSTALL_LOCK:
        if _INSTALLED:
            return
        import sqlalchemy as sa  # on use: importing zhifa.plugins stays free of database code
        from sqlalchemy import event

        event.listen(sa.Engine, "before_cursor_execute", _check_statement)
        _INSTALLED.append(True)


# -- worker threads ---------------------------------------------------------------------------


class _Job:
    __slots__ = ("done", "error", "fn", "result")

    def __init__(self, fn: Callable[[], Any]) -> None:
        self.fn = fn
        self.done = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.result = self.fn()
        except BaseException as exc:  # a plugin's sys.exit() fails its call, not the worker
            self.error = exc
        finally:
            self.done.set()


class _Worker:
    __slots__ = ("jobs",)

    def __init__(self) -> None:
        self.jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        threading.Thread(target=self._loop, name="zhifa-plugin", daemon=True).start()

    def _loop(self) -> None:
        while (job := self.jobs.get()) is not None:
            job.run()


_IDLE: list[_Worker] = []
_IDLE_LOCK = threading.Lock()


def run_within(limit: float, fn: Callable[[], Any]) -> _Job | None:
    """Run ``fn()`` in a worker thread, waiting at most ``limit`` seconds: the finished job (its
    ``result`` or ``error``), or None when it is still running (it is abandoned)."""
    with _IDLE_LOCK:
        worker = _IDLE.pop() if _IDLE else None
    if worker is None:
        worker = _Worker()
    job = _Job(fn)
    worker.jobs.put(job)
    if not job.done.wait(limit):
        worker.jobs.put(None)  # the worker ends once the abandoned call returns
        return None
    with _IDLE_LOCK:
        if len(_IDLE) < IDLE_WORKERS:
            _IDLE.append(worker)
        else:
            worker.jobs.put(None)
    return job


# -- one call ---------------------------------------------------------------------------------


READ_ONLY_REFUSALS = ("25006", "readonly database", "read-only transaction")
"""How the databases refuse a write in their read-only mode: PostgreSQL's SQLSTATE (read-only SQL
transaction) and the words of both messages."""


def _refused_by_database(exc: BaseException) -> str | None:
    """The database's refusal of a write in its read-only mode, if ``exc`` is (or wraps) one."""
    seen: BaseException | None = exc
    for _ in range(8):  # the exception, and what it was raised from
        if seen is None:
            break
        orig = getattr(seen, "orig", None) or seen
        text = f"{getattr(orig, 'sqlstate', '')} {orig}"
        if any(word in text for word in READ_ONLY_REFUSALS):
            return " ".join(str(orig).split())[:80]
        seen = seen.__cause__ or seen.__context__
    return None


def _failure(call: Running, exc: BaseException) -> PluginError:
    """What the caller gets for ``exc`` raised by the plugin code of ``call``."""
    if call.refused is None and call.read_only:
        call.refused = _refused_by_database(exc)
    if call.refused is not None:
        if isinstance(exc, PluginWriteRefused):
            return exc
        return PluginWriteRefused(call.plugin, call.what, call.refused)
    if isinstance(exc, PluginError):
        return exc
    return PluginError(call.plugin, call.what, exc)


def run_plugin_code(
    plugin: str,
    what: str,
    fn: Callable[[], T],
    *,
    limit: float | None,
    read_only: bool,
    on_timeout: Callable[[], None] | None = None,
) -> T:
    """Call ``fn`` (code of ``plugin``; ``what`` names it: ``guard NAME`` or a hook's name) within
    ``limit`` seconds (None: in this thread, without a limit), refusing its writes if
    ``read_only``.

    Raises :class:`PluginTimeout` after calling ``on_timeout`` (which must release what the
    abandoned call holds), :class:`PluginWriteRefused` when the call tried to write (even if it
    caught the refusal), and :class:`PluginError` naming the plugin for anything else it raised.
    """
    install_statement_check()
    call = Running(plugin, what, read_only)
    if limit is None:  # in this thread: marked while it runs
        ident = threading.get_ident()
        before = _RUNNING.get(ident)
        _RUNNING[ident] = call
        try:
            result = fn()
        except Exception as exc:
            raise _failure(call, exc) from exc
        finally:
            if before is None:
                del _RUNNING[ident]
            else:
                _RUNNING[ident] = before
    else:
        done = run_within(limit, _marked(call, fn))
        if done is None:
            call.expired = True
            if on_timeout is not None:
                on_timeout()
            raise PluginTimeout(plugin, what, limit)
        if done.error is not None:  # a plugin's sys.exit() in a worker fails its call too
            raise _failure(call, done.error) from done.error
        result = done.result
    if call.refused is not None:
        raise PluginWriteRefused(plugin, what, call.refused)
    return result


def abandon(connection: Any) -> None:
    """Discard the SQLAlchemy ``connection`` of a step whose plugin code overran its limit: stop
    the statement the plugin may be running on it (SQLite's ``interrupt``, psycopg's cancel) and
    invalidate it, which closes the driver connection: the transaction is rolled back and its
    locks released at once, and the pool opens a fresh connection next time."""
    try:
        raw = connection.connection.dbapi_connection
        stop = getattr(raw, "interrupt", None) or getattr(raw, "cancel_safe", None)
        stop = stop or getattr(raw, "cancel", None)
        if stop is not None:
            stop()
    except Exception:  # already closed, or the driver cannot: invalidating is what matters
        pass
    with contextlib.suppress(Exception):
        connection.invalidate()
