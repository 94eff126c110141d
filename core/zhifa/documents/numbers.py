"""Document numbers (文号): ``{prefix}{word}〔{year}〕{n}号``, e.g. 杭西市监处罚〔2026〕12号.

``n`` counts per department, year (of the step's time, Beijing) and kind from 1, in
``document_numbers``. :func:`allocate` takes the next one in the transaction of the step that
issues the document, under a row lock: the counter row is inserted if missing (``INSERT … ON
CONFLICT DO NOTHING``, safe when two steps race to create it) and then incremented by an
``UPDATE … RETURNING`` that holds the row's lock until the step commits or rolls back, so on
PostgreSQL concurrent steps of one department and kind take turns, and on SQLite the step's
``BEGIN IMMEDIATE`` already serialises writers. A step that does not commit gives its number
back with everything else, so the numbers a kind gets in a year are 1, 2, 3… with no gap and no
duplicate; the unique constraints on ``documents`` (department, year, kind, seq; number) hold
whatever is done to the counter.

The prefix (机关代字) is a setting per department: ``documents.prefix.<DEPT>`` in ``settings``,
set by an administrator with ``zhifa doc prefix DEPT TEXT``. Without one it is derived from the
department's name (:func:`default_prefix`).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from zhifa.errors import InputError, NotFoundError
from zhifa.identity import Session
from zhifa.identity.admin import administer
from zhifa.store import Store
from zhifa.store.tables import Department, DocumentCounter, Setting
from zhifa.timekeeping import Clock, SystemClock

COUNTERS = cast(sa.Table, DocumentCounter.__table__)
SETTINGS = cast(sa.Table, Setting.__table__)
PREFIX_KEY = "documents.prefix."
MAX_PREFIX = 20
_BAD_PREFIX = re.compile(r"[\s〔〕\[\]()（）0-9]")
_ABBREVIATIONS = (("市场监督管理", "市监"), ("市场监管", "市监"))


def number_text(prefix: str, word: str, year: int, seq: int) -> str:
    """The number as printed: 杭西市监处罚〔2026〕12号."""
    return f"{prefix}{word}〔{year}〕{seq}号"


def default_prefix(name: str) -> str:
    """The prefix a department gets until an administrator sets one: its name with 市场监督管理
    (or 市场监管) shortened to 市监 and a final 局 dropped (西湖区市场监督管理局 → 西湖区市监)."""
    short = name.strip()
    for long, abbreviation in _ABBREVIATIONS:
        short = short.replace(long, abbreviation)
    if short.endswith("局") and len(short) > 1:
        short = short[:-1]
    return _BAD_PREFIX.sub("", short)[:MAX_PREFIX] or "执法"


def prefix(conn: sa.Connection, department: str) -> str:
    """The department's prefix: its setting, else :func:`default_prefix` of its name."""
    value = conn.scalar(
        sa.select(SETTINGS.c.value).where(SETTINGS.c.key == PREFIX_KEY + department)
    )
    if value:
        return str(value)
    name = conn.scalar(sa.select(Department.name).where(Department.code == department))
    if name is None:
        raise NotFoundError(
            f"department {department!r} does not exist; list departments with `zhifa dept list`"
        )
    return default_prefix(str(name))


def fits(text: str) -> bool:
    """Whether ``text`` may stand in a number: 1 to 20 characters without spaces, digits or
    brackets (which would make a number ambiguous)."""
    return 0 < len(text) <= MAX_PREFIX and not _BAD_PREFIX.search(text)


def check_prefix(text: str) -> str:
    """``text`` as a prefix, or :class:`InputError` saying what is wrong with it."""
    value = text.strip()
    if not fits(value):
        raise InputError(
            f"{text!r} cannot be a document prefix: give 1 to {MAX_PREFIX} characters without "
            "spaces, digits or brackets, such as 杭西市监"
        )
    return value


def set_prefix(
    store: Store, department: str, text: str, *, by: Session | None, clock: Clock | None = None
) -> str:
    """Set ``department``'s prefix (an administrative act, logged); another department's
    prefix is refused, since two departments with one prefix would print the same numbers."""
    value = check_prefix(text)
    at = (clock or SystemClock()).now()
    with store.transaction() as tx:
        conn = tx.connection
        if conn.scalar(sa.select(Department.code).where(Department.code == department)) is None:
            raise NotFoundError(
                f"department {department!r} does not exist; list departments with `zhifa dept list`"
            )
        others = conn.execute(
            sa.select(Department.code, Department.name).where(Department.code != department)
        ).all()
        for other in others:
            if prefix(conn, other.code) == value:
                raise InputError(
                    f"department {other.code} already prints its numbers with {value!r}; give "
                    f"{department} a prefix of its own so no two documents share a number"
                )
        administer(conn, by, f"set the document prefix of {department} to {value}", at)
        conn.execute(sa.delete(SETTINGS).where(SETTINGS.c.key == PREFIX_KEY + department))
        conn.execute(sa.insert(SETTINGS).values(key=PREFIX_KEY + department, value=value))
    return value


def _insert_missing(dialect: str) -> sa.Insert:
    values: dict[str, Any] = {"department_code": sa.bindparam("d"), "year": sa.bindparam("y")}
    values |= {"kind": sa.bindparam("k"), "last": 0}
    if dialect == "postgresql":
        return postgresql.insert(COUNTERS).values(values).on_conflict_do_nothing()
    return sqlite.insert(COUNTERS).values(values).on_conflict_do_nothing()


_NEXT = (
    sa.update(COUNTERS)
    .where(
        COUNTERS.c.department_code == sa.bindparam("d"),
        COUNTERS.c.year == sa.bindparam("y"),
        COUNTERS.c.kind == sa.bindparam("k"),
    )
    .values(last=COUNTERS.c.last + 1)
    .returning(COUNTERS.c.last)
)


def allocate(conn: sa.Connection, department: str, year: int, kind: str) -> int:
    """The next number of ``kind`` for ``department`` in ``year``, taken in the caller's
    transaction; the counter row stays locked until it ends."""
    params = {"d": department, "y": year, "k": kind}
    conn.execute(_insert_missing(conn.dialect.name), params)
    return int(conn.execute(_NEXT, params).scalar_one())


def year_of(moment: datetime) -> int:
    """The year a step's number counts in: that of the step's time (Beijing)."""
    return moment.year
