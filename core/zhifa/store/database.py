"""Database access: the URL, the engine, and the two kinds of transaction.

``Store.read()`` gives a session that never writes; ``Store.write()`` gives one that commits on
success and rolls back on any error; ``Store.transaction()`` is the engine's write transaction: a
bare connection (the hot path of a step), with an ORM session joined to it only when a guard or
a hook asks for one. On SQLite a write transaction starts with ``BEGIN IMMEDIATE``
so writers queue for the lock instead of failing half-way; the optimistic version check in the
engine then decides who wins.

SQLite runs in WAL mode with foreign keys on and ``synchronous=NORMAL``: a committed step survives
a crash of the program, but the last steps before a power cut may be lost (never a corrupt file).
Offices that need more run PostgreSQL.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from zhifa.errors import ConflictError, DatabaseError

DEFAULT_URL = "sqlite:///zhifa.db"
CONCURRENT_ABORTS = frozenset({"40001", "40P01"})  # serialization failure, deadlock detected
ENV_URL = "ZHIFA_DATABASE_URL"


def resolve_url(explicit: str | None = None) -> str:
    """``--db`` if given, else ``ZHIFA_DATABASE_URL``, else ``zhifa.db`` in the current directory."""
    url = explicit or os.environ.get(ENV_URL) or DEFAULT_URL
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # zhifa issues BEGIN itself (see _sqlite_begin)
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=60000")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _sqlite_begin(conn: sa.Connection) -> None:
    write = conn.get_execution_options().get("zhifa_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


class Transaction:
    """A transaction's connection, and an ORM session on the same connection made on first use.

    The session joins the transaction without owning it: it never commits, and closing it leaves
    the transaction to whoever began it.
    """

    __slots__ = ("_made", "_session", "connection")

    def __init__(self, connection: sa.Connection, session: Session | None = None) -> None:
        self.connection = connection
        self._session = session
        self._made = False

    @property
    def session(self) -> Session:
        if self._session is None:
            self._session = Session(
                bind=self.connection,
                join_transaction_mode="rollback_only",
                expire_on_commit=False,
            )
            self._made = True
        return self._session

    def flush(self) -> None:
        """Write what was added through the session, so the transaction's commit includes it."""
        if self._session is not None:
            self._session.flush()

    def close(self) -> None:
        """Close the session this transaction made (a session handed in stays its owner's)."""
        if self._made and self._session is not None:
            self._session.close()


def create_db_engine(url: str) -> sa.Engine:
    """An engine for ``url`` with zhifa's SQLite settings applied; errors become one sentence."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseError(
            f"{url!r} is not a database URL; use sqlite:///path/to/file.db or "
            "postgresql://user@host:5432/dbname"
        ) from None
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:"):
        kwargs = {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
    try:
        engine = sa.create_engine(url, **kwargs)
    except NoSuchModuleError:
        raise DatabaseError(
            f"no driver for {parsed.drivername!r}; for PostgreSQL install zhifa[postgres]"
        ) from None
    except ModuleNotFoundError as exc:
        raise DatabaseError(
            f"the database driver {exc.name!r} is not installed; "
            "for PostgreSQL run pip install 'zhifa[postgres]'"
        ) from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def describe(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


class Store:
    """The database zhifa works on."""

    def __init__(self, url: str | None = None, *, engine: sa.Engine | None = None) -> None:
        self.url = resolve_url(url) if engine is None else engine.url.render_as_string(False)
        self.engine = engine if engine is not None else create_db_engine(self.url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def ping(self) -> None:
        """Connect once; raise :class:`DatabaseError` with the reason if that fails."""
        path = self.engine.url.database if self.dialect == "sqlite" else None
        if path and path != ":memory:" and os.path.isdir(path):
            raise DatabaseError(
                f"{path} is a directory, not a database file; give --db a file, such as "
                f"sqlite:///{os.path.join(path, 'zhifa.db')}"
            )
        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
        except DBAPIError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            if path and "not a database" in reason:
                raise DatabaseError(
                    f"{path} is not a zhifa database (not even an SQLite file: {reason}); "
                    "check --db, or give a new file name and run `zhifa db upgrade` to create it"
                ) from None
            raise DatabaseError(
                f"cannot reach the database {describe(self.url)}: {reason}; check --db or {ENV_URL}"
            ) from None

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session that never writes; objects loaded in it stay readable after the block."""
        with self._sessions() as session:
            try:
                yield session
            finally:
                session.expunge_all()
                session.rollback()

    @contextmanager
    def write(self) -> Iterator[Session]:
        with self._sessions() as session:
            session.connection(execution_options={"zhifa_write": True})
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """A write transaction on one connection: committed on success, rolled back on error.
        A transaction the database aborts for a concurrent one (PostgreSQL's serialization
        failure or deadlock) is a :class:`~zhifa.errors.ConflictError`: reload and retry."""
        try:
            with self.engine.connect() as conn:
                conn.execution_options(zhifa_write=True)
                with conn.begin():
                    tx = Transaction(conn)
                    try:
                        yield tx
                        tx.flush()
                    finally:
                        tx.close()
        except DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) in CONCURRENT_ABORTS:
                raise ConflictError(
                    "the database aborted this step because another one changed the same rows "
                    "at the same time; nothing was written — reload and try again"
                ) from None
            raise

    def dispose(self) -> None:
        self.engine.dispose()
