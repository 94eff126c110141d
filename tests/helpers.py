"""Helpers the tests share: an engine on a fixed clock, a clue to step through, row counts, the
`zhifa` command run in-process, valid USCCs.

Fixtures (databases, the seeded bureau) live in ``tests/conftest.py``; the plugins tests load live
in ``tests/plugins/``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import ENTITY
from zhifa.engine import Engine
from zhifa.identity import Session
from zhifa.ids import uscc_check_char
from zhifa.plugins import Plugins
from zhifa.plugins.config import PluginConfig
from zhifa.store import Store
from zhifa.store.tables import Event, Matter, Officer
from zhifa.timekeeping import FixedClock

RECEIVED = datetime(2026, 2, 10, 9, 0)
"""When the engine tests' clues are received (a Tuesday, before the 2026 Spring Festival)."""


def make_engine(
    store: Store, *plugins: object, at: datetime = RECEIVED, config: PluginConfig | None = None
) -> tuple[Engine, FixedClock]:
    """An engine on ``store`` with the baseline and ``plugins`` only (no entry points), and its
    clock, fixed at ``at`` (Beijing time)."""
    if any(isinstance(p, datetime) for p in plugins):
        raise TypeError("make_engine takes the clock's time as at=…, not as a plugin")
    clock = FixedClock(at)
    engine = Engine(
        store,
        plugins=Plugins(plugins, autoload=False, config=config),
        clock=clock,
        sessions=sessions_where_required(store),
    )
    return engine, clock


def sessions_where_required(store: Store) -> list[Session]:
    """What an engine needs to act on ``store``: on PostgreSQL, which requires authentication,
    a session for every officer in it (:func:`signed_in`); on SQLite, none."""
    return signed_in(store) if store.dialect != "sqlite" else []


def drawer(store: Store, officer: str = "H1") -> Session | None:
    """Who draws in the draw tests: on PostgreSQL a session of ``officer`` (the head, who also
    approves redraws); on SQLite nobody (the draw is recorded as unauthenticated)."""
    return signed_in(store, [officer])[0] if store.dialect != "sqlite" else None


def signed_in(store: Store, officers: Iterable[str] | None = None) -> list[Session]:
    """A session for each of ``officers`` (default: every officer in ``store``), as the officers
    would have after logging in: PostgreSQL requires one for every act. Issued directly (no
    password hashing), valid for ten years from the real clock."""
    from zhifa.identity.credentials import _issue

    now = datetime.now()
    with store.transaction() as tx:
        conn = tx.connection
        ids = list(officers) if officers is not None else list(conn.scalars(sa.select(Officer.id)))
        return [_issue(conn, o, "token", "tests", now, now + timedelta(days=3650), o) for o in ids]


def open_clue(engine: Engine, actor: str = "C1", *, entity: str | None = ENTITY) -> Any:
    """A complaint clue about expired food, opened by ``actor``; the matter after the opening."""
    data = {"source": "complaint", "summary": "过期食品"}
    return engine.open("clue", actor, data, entity=entity).matter


def counts(store: Store) -> tuple[int, int]:
    """How many matters and events ``store`` holds."""
    with store.read() as s:
        return (
            s.scalar(sa.select(sa.func.count()).select_from(Matter)) or 0,
            s.scalar(sa.select(sa.func.count()).select_from(Event)) or 0,
        )


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run `zhifa ARGS` in-process; return (exit code, stdout, stderr)."""
    from zhifa.cli import main  # the CLI only for the tests that run it

    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    out, err = capsys.readouterr()
    code = exit_info.value.code
    return (code if isinstance(code, int) else 0), out, err


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    """Run `zhifa ARGS --json`, which must succeed; return the parsed output."""
    code, out, err = run(capsys, *args, "--json")
    assert code == 0, err or out
    return json.loads(out)


def make_uscc(n: int, region: str = "330106") -> str:
    """The ``n``-th valid unified social credit code of a company registered in ``region``."""
    body = f"91{region}{n:09d}"
    return body + uscc_check_char(body)


def drop_record_triggers(store: Store, conn: sa.Connection) -> None:
    """What an attacker with DDL rights does first: drop the append-only triggers on ``events``
    and the one that ties a matter's row to its events (schema 0006)."""
    if store.dialect == "sqlite":
        conn.exec_driver_sql("DROP TRIGGER events_no_update")
        conn.exec_driver_sql("DROP TRIGGER events_no_delete")
        conn.exec_driver_sql("DROP TRIGGER matters_follow_events")
    else:
        conn.exec_driver_sql("DROP TRIGGER events_append_only ON events")
        conn.exec_driver_sql("DROP TRIGGER matters_follow_events ON matters")
