"""What guards and ``zhifa_before_transition`` see of a step's transaction: reads only.

A :class:`ReadOnlyStep` wraps one step's plugin code that judges the step. Its :attr:`view` is the
step's context, whose transaction is a read-only one while the section lasts (the step's own is
put back when it ends):

* ``ctx.connection`` offers ``execute``, ``scalar`` and ``scalars`` of SELECT statements (and
  ``exec_driver_sql`` of read text), nothing else;
* ``ctx.session`` is an ORM session of its own on the step's connection whose flush is refused, and
  whatever a guard leaves in it is a refused write, never flushed with the step;
* on first use of either, the database itself is put in read-only mode for the step's connection,
  so that a write through the driver's own cursor fails too: SQLite's ``PRAGMA query_only``
  (with the connection's change counter and schema version compared after each call), on
  PostgreSQL a savepoint with ``SET TRANSACTION READ ONLY`` that is rolled back afterwards, taking
  anything a plugin did inside it along;
* every statement the plugin's thread sends through SQLAlchemy is checked as well
  (:mod:`zhifa.plugins.isolation`).

Each call runs within its plugin's time limit. One that overruns it has the step's connection
discarded (:func:`zhifa.plugins.isolation.abandon`): the transaction is rolled back and, on
SQLite, the write lock released at once, while the plugin's thread runs on without a database.

What a call declares with ``ctx.effect`` is stamped with its plugin and, once every guard and
hook passed, becomes the step's ``ctx.effects``, which the event records (``"_effects"``).

None of this makes plugin code harmless: it runs in zhifa's process and could, with a database
driver of its own, open a connection zhifa never sees. It makes the step's transaction refuse
what a guard writes, and says who tried; the hash chains and signed checkpoints remain what
shows a record changed behind zhifa's back.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.elements import TextClause

from zhifa.errors import PluginError, PluginWriteRefused
from zhifa.hooks.types import EFFECTS_KEY, Effect, StepContext
from zhifa.plugins import Plugins
from zhifa.plugins.isolation import abandon, is_read, run_plugin_code, running
from zhifa.record import canonical_json
from zhifa.store import Transaction

T = TypeVar("T")

SAVEPOINT = "zhifa_read_only"
MAX_EFFECT_BYTES = 65536
"""The most JSON one plugin's effects of one step may take."""


class _ReadOnlySession(Session):
    """A guard's ORM session: its flush is refused (see the listener below)."""


@event.listens_for(_ReadOnlySession, "before_flush")
def _refuse_flush(session: Session, _context: Any, _instances: Any) -> None:
    _refuse("a flush of rows added to ctx.session")


def _refuse(what: str) -> None:
    """Refuse ``what`` the plugin code running in this thread tried to write (raises)."""
    call = running()
    if call is not None:
        call.refused = call.refused or what
    raise PluginWriteRefused(
        call.plugin if call is not None else "?", call.what if call is not None else "a guard", what
    )


class ReadOnlyConnection:
    """The step's connection as guards see it: reads only."""

    __slots__ = ("_step",)

    def __init__(self, step: ReadOnlyStep) -> None:
        self._step = step

    def _checked(self, statement: Any) -> sa.Connection:
        if isinstance(statement, UpdateBase | sa.schema.ExecutableDDLElement) or (
            isinstance(statement, TextClause) and not is_read(statement.text)
        ):
            _refuse(" ".join(str(statement).split())[:80])
        return self._step.connection()

    def execute(self, statement: Any, parameters: Any = None, **kwargs: Any) -> Any:
        return self._checked(statement).execute(statement, parameters, **kwargs)

    def scalar(self, statement: Any, parameters: Any = None, **kwargs: Any) -> Any:
        return self._checked(statement).scalar(statement, parameters, **kwargs)

    def scalars(self, statement: Any, parameters: Any = None, **kwargs: Any) -> Any:
        return self._checked(statement).scalars(statement, parameters, **kwargs)

    def exec_driver_sql(self, statement: str, parameters: Any = None, **kwargs: Any) -> Any:
        return self._checked(sa.text(statement)).exec_driver_sql(statement, parameters, **kwargs)

    @property
    def dialect(self) -> sa.Dialect:
        return self._step.connection().dialect

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(
            f"a guard's connection only reads: it offers execute, scalar and scalars of SELECT "
            f"statements, not {name}"
        )


class ReadOnlyTransaction:
    """The step's transaction as guards see it (in place of :class:`~zhifa.store.Transaction`)."""

    __slots__ = ("_step",)

    def __init__(self, step: ReadOnlyStep) -> None:
        self._step = step

    @property
    def connection(self) -> ReadOnlyConnection:
        self._step.connection()
        return ReadOnlyConnection(self._step)

    @property
    def session(self) -> Session:
        return self._step.session()

    def flush(self) -> None:
        """Nothing to write: a guard's session never flushes."""

    def close(self) -> None:
        """Closed with its step."""


class ReadOnlyStep:
    """The guards and ``zhifa_before_transition`` of one step (see the module's docstring)."""

    def __init__(self, ctx: StepContext, plugins: Plugins) -> None:
        self.tx = ctx.transaction
        self.plugins = plugins
        # the step's own context, with a read-only transaction until the section closes (a
        # copy would cost more than the guards of most steps)
        self.view = ctx
        ctx.transaction = cast(Transaction, ReadOnlyTransaction(self))
        ctx.declared = []
        self.effects: list[Effect] = []
        self._session: _ReadOnlySession | None = None
        self._mode = False  # the database's read-only mode is on
        self._marks: tuple[int, int] = (0, 0)  # SQLite: changes and schema version when it began
        self._user = ""  # the last plugin that used the connection
        self._open = True
        self._abandoned = False

    # -- what the plugin code uses -----------------------------------------------------------

    def connection(self) -> sa.Connection:
        """The step's connection, in the database's read-only mode."""
        if not self._open:
            raise RuntimeError(
                "a guard's view of the step's connection ends when the guard returns"
            )
        call = running()
        self._user = call.plugin if call is not None else self._user
        if not self._mode:
            self._read_only_mode(True)
        return self.tx.connection

    def session(self) -> Session:
        conn = self.connection()
        if self._session is None:
            self._session = _ReadOnlySession(
                bind=conn, join_transaction_mode="rollback_only", expire_on_commit=False
            )
        return self._session

    # -- running it --------------------------------------------------------------------------

    def call(self, plugin: str, what: str, fn: Callable[[], T]) -> T:
        """``fn()``, code of ``plugin``, read-only and within the plugin's time limit; the effects
        it declares are the plugin's."""
        declared = self.view.declared
        assert declared is not None
        had_key = EFFECTS_KEY in self.view.derived
        result = run_plugin_code(
            plugin,
            what,
            fn,
            limit=self.plugins.time_limit(plugin),
            read_only=True,
            on_timeout=self.abandon,
        )
        session = self._session
        if session is not None and (session.new or session.dirty or session.deleted):
            session.expunge_all()
            raise PluginWriteRefused(plugin, what, "rows added to or changed in ctx.session")
        if self._mode and self.tx.connection.dialect.name == "sqlite" and self._sqlite_changed():
            raise PluginWriteRefused(plugin, what, "a write through the driver's connection")
        if not had_key and EFFECTS_KEY in self.view.derived:
            problem = ValueError(
                f"{EFFECTS_KEY!r} is the engine's; declare effects with ctx.effect"
            )
            raise PluginError(plugin, what, problem)
        mine = [dataclasses.replace(e, plugin=plugin) for e in declared]
        declared.clear()
        if mine:
            try:
                size = len(canonical_json([e.as_dict() for e in mine]).encode("utf-8"))
            except (TypeError, ValueError, RecursionError) as exc:
                raise PluginError(plugin, f"{what} (ctx.effect)", exc) from None
            if size > MAX_EFFECT_BYTES:
                problem = ValueError(f"its effects take {size} bytes; at most {MAX_EFFECT_BYTES}")
                raise PluginError(plugin, f"{what} (ctx.effect)", problem)
            self.effects += mine
        return result

    def abandon(self) -> None:
        """Plugin code overran its limit: discard the step's connection (see the module)."""
        self._abandoned = True
        self._open = False
        self.view.declared = None
        abandon(self.tx.connection)

    def close(self) -> None:
        """Leave the database's read-only mode (checking that nothing changed), and close the
        guards' session; the view refuses to be used afterwards."""
        self._open = False
        self.view.declared = None
        self.view.transaction = self.tx
        if self._session is not None:
            self._session.close()
            self._session = None
        if self._mode and not self._abandoned:
            self._read_only_mode(False)

    # -- the database's own read-only mode ---------------------------------------------------

    def _raw(self) -> Any:
        return self.tx.connection.connection.dbapi_connection

    def _sqlite_changed(self) -> bool:
        raw = self._raw()
        schema = raw.execute("PRAGMA schema_version").fetchone()[0]
        on = raw.execute("PRAGMA query_only").fetchone()[0]
        return (raw.total_changes, schema) != self._marks or not on

    def _read_only_mode(self, on: bool) -> None:
        raw = self._raw()
        if self.tx.connection.dialect.name == "sqlite":
            if on:
                schema = raw.execute("PRAGMA schema_version").fetchone()[0]
                self._marks = (raw.total_changes, schema)
            raw.execute(f"PRAGMA query_only={int(on)}")
        else:
            cursor = raw.cursor()
            try:
                if on:
                    cursor.execute(f"SAVEPOINT {SAVEPOINT}; SET TRANSACTION READ ONLY")
                else:
                    try:
                        cursor.execute(
                            f"ROLLBACK TO SAVEPOINT {SAVEPOINT}; RELEASE SAVEPOINT {SAVEPOINT}"
                        )
                    except Exception as exc:  # a plugin ended the savepoint or the transaction
                        self._mode = False
                        abandon(self.tx.connection)
                        raise PluginWriteRefused(
                            self._user or "?", "a guard", "a change of the step's transaction"
                        ) from exc
            finally:
                cursor.close()
        self._mode = on


@contextmanager
def read_only(ctx: StepContext, plugins: Plugins) -> Iterator[ReadOnlyStep]:
    """The read-only section of a step (see :class:`ReadOnlyStep`); the database leaves its
    read-only mode when it ends, also on an error (else its connection is discarded)."""
    step = ReadOnlyStep(ctx, plugins)
    try:
        yield step
    except BaseException:
        try:
            step.close()
        except Exception:
            abandon(step.tx.connection)
        raise
    step.close()
