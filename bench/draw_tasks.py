"""Creating a draw's inspection tasks in bulk: ``Engine.open_many`` against raw Core inserts.

    python bench/draw_tasks.py [--tasks 10000,50000] [--rounds 3] [--postgres URL] [--json OUT]

Every figure is measured in the same run, on the same database: SQLite (a fresh copy of one
template file per timed run) and, with ``--postgres URL``, PostgreSQL (a database created from one
template database per timed run), so every run writes into the same state:

1. **zhifa**: ``Engine.open_many("inspection", ...)`` of N tasks as ``zhifa.inspections.create_tasks``
   builds them (source ``random_draw``, draw, visit, team of two, a two-item checklist): per
   task the opening officer's permission, the fields, the guards and the plugins'
   ``zhifa_before_transition``; then the matters, their hashed opening events and clocks in
   bulk, ``zhifa_after_transition`` per task, one commit.
2. **baseline**: the same matter and event rows, built before the clock starts, written with two
   Core ``executemany`` inserts in one transaction — the floor of writing those rows at all
   (no checks, no hashing, no hooks).

Runs alternate for ``--rounds`` rounds per size; medians are reported with zhifa ÷ baseline and
the scaling of each between the smallest and the largest size.
"""

# ruff: noqa: E402
from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, bench/ comes first on sys.path and bench/transitions.py would stand in for the
# `transitions` package that zhifa's state machine imports.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import argparse
import gc
import json
import os
import platform
import shutil
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from zhifa.engine import Engine, Opening
from zhifa.identity import Session
from zhifa.plugins import Plugins
from zhifa.store import Store, migrate, resolve_url
from zhifa.store.tables import Department, Entity, Event, Matter, Officer, WorkflowVersion
from zhifa.timekeeping import FixedClock

NOW = datetime(2026, 5, 25, 9, 0)
CERT = (date(2024, 1, 1), date(2028, 12, 31))
VERSION = 2  # of the inspection workflow
CHECKLIST = "SP-01: 食品生产许可情况\nSP-02: 原料进货查验"


def fill(store: Store, entities: int) -> Session:
    """Migrate ``store`` and add a department, a head, two inspectors and ``entities``; the head
    signed in (a personal token issued directly, as the tests' ``signed_in`` does). Every copy of
    the template holds that credential, so the one session acts on each."""
    migrate.upgrade(store)
    with store.write() as session:
        session.add(Department(code="SCJG", name="市场监督管理局", region_code="330106"))
        session.flush()
        for oid, roles in (("H1", "head"), ("I1", "inspector"), ("I2", "inspector")):
            session.add(
                Officer(
                    id=oid,
                    name=oid,
                    department_code="SCJG",
                    roles=roles,
                    certificate_no=f"ZF-{oid}",
                    certificate_valid_from=CERT[0],
                    certificate_valid_to=CERT[1],
                )
            )
        session.execute(
            sa.insert(Entity),
            [
                {
                    "uscc": f"E{i:017d}",
                    "name": f"主体{i}",
                    "kind": "企业",
                    "region_code": "330106",
                    "industry": "food_production",
                }
                for i in range(entities)
            ],
        )
    engine = Engine(store, plugins=Plugins(), clock=FixedClock(NOW))
    defn = engine.definition("inspection")
    with store.write() as session:  # the workflow version the matters run on, as opening does
        session.add(
            WorkflowVersion(
                name=defn.name,
                version=defn.version,
                digest=defn.digest,
                source=defn.source_text,
                registered_at=NOW,
            )
        )
    from zhifa.identity.credentials import _issue

    with store.transaction() as tx:
        head = _issue(tx.connection, "H1", "token", "bench", NOW, NOW + timedelta(days=3650), "H1")
    store.dispose()
    return head


class SQLite:
    """Each run writes into a copy of one template file."""

    name = "SQLite"

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def template(self, entities: int) -> tuple[Path, Session]:
        path = self.directory / f"template-{entities}.db"
        return path, fill(Store(f"sqlite:///{path}"), entities)

    def copy(self, template: Any, name: str) -> Store:
        target = self.directory / f"{name}.db"
        shutil.copyfile(template, target)
        return Store(f"sqlite:///{target}")

    def drop(self, template: Any) -> None:
        pass


class PostgreSQL:
    """Each run writes into a database created from one template database."""

    name = "PostgreSQL"

    def __init__(self, url: str) -> None:
        self.url = sa.make_url(resolve_url(url))  # postgresql:// means psycopg (3), as in zhifa
        self.admin = sa.create_engine(self.url, isolation_level="AUTOCOMMIT")
        self.made: list[str] = []

    def _create(self, name: str, template: str | None = None) -> str:
        suffix = f' TEMPLATE "{template}"' if template else ""
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"{suffix}')
        self.made.append(name)
        return self.url.set(database=name).render_as_string(hide_password=False)

    def template(self, entities: int) -> tuple[str, Session]:
        name = f"zhifa_bench_tpl_{entities}_{os.getpid()}"
        return name, fill(Store(self._create(name)), entities)

    def copy(self, template: Any, name: str) -> Store:
        return Store(self._create(f"zhifa_bench_{name}_{os.getpid()}".replace("-", "_"), template))

    def drop(self, template: Any) -> None:
        with self.admin.connect() as conn:
            for name in reversed(self.made):
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.made.clear()


def openings(n: int, head: Session) -> list[Opening]:
    return [
        Opening(
            head,
            {
                "source": "random_draw",
                "draw": "1",
                "visit": f"1-{i + 1}",
                "team": ["I1", "I2"],
                "summary": "2026年双随机抽查（抽查批次 1）",
                "checklist": CHECKLIST,
            },
            i + 1,
            "SCJG",
        )
        for i in range(n)
    ]


def timed_zhifa(store: Store, tasks: list[Opening]) -> float:
    engine = Engine(store, plugins=Plugins(), clock=FixedClock(NOW))  # the actor is a Session
    engine.definition("inspection")
    gc.collect()
    began = time.perf_counter()
    ids = engine.open_many("inspection", tasks)
    took = time.perf_counter() - began
    if len(ids) != len(tasks):
        raise RuntimeError("open_many did not open every task")
    return took


def timed_baseline(store: Store, tasks: list[Opening]) -> float:
    # the session's mark, written as zhifa writes it; the baseline does not check the credential
    auth = tasks[0].actor.mark if isinstance(tasks[0].actor, Session) else "none"
    matters = [
        {
            "id": n,
            "workflow": "inspection",
            "workflow_version": VERSION,
            "state": "planned",
            "version": 1,
            "department_code": "SCJG",
            "entity_id": t.entity_id,
            "title": t.data["summary"],
            "data": {"open": dict(t.data)},
            "opened_at": NOW,
            "updated_at": NOW,
            "head_hash": "0" * 64,
        }
        for n, t in enumerate(tasks, 1)
    ]
    events = [
        {
            "matter_id": n,
            "seq": 1,
            "trigger": "open",
            "from_state": None,
            "to_state": "planned",
            "actor_id": "H1",
            "auth": auth,
            "occurred_at": NOW,
            "recorded_at": NOW,
            "data": json.dumps(dict(t.data), ensure_ascii=False, sort_keys=True),
            "evidence": "[]",
            "prev_hash": "0" * 64,
            "hash": "0" * 64,
        }
        for n, t in enumerate(tasks, 1)
    ]
    gc.collect()
    began = time.perf_counter()
    with store.engine.begin() as conn:
        conn.execute(sa.insert(Matter), matters)
        conn.execute(sa.insert(Event), events)
    return time.perf_counter() - began


def measure(size: int, rounds: int, backend: SQLite | PostgreSQL) -> dict[str, Any]:
    print(f"{size:,} tasks on {backend.name}: building the template ...", flush=True)
    source: Any = None
    zhifa, baseline = [], []
    try:  # the databases made are dropped also when a run fails
        source, head = backend.template(size)
        tasks = openings(size, head)
        for r in range(rounds):
            for kind, runs, run in (
                ("zhifa", zhifa, timed_zhifa),
                ("baseline", baseline, timed_baseline),
            ):
                store = backend.copy(source, f"{kind}-{size}-{r}")
                try:
                    runs.append(run(store, tasks))
                finally:
                    store.dispose()
    finally:
        backend.drop(source)
    z, b = statistics.median(zhifa), statistics.median(baseline)
    return {
        "database": backend.name,
        "tasks": size,
        "zhifa_seconds": round(z, 4),
        "baseline_seconds": round(b, 4),
        "zhifa_tasks_per_second": round(size / z),
        "baseline_rows_per_second": round(size / b),
        "ratio": round(z / b, 2),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", default="10000,50000", help="Comma-separated task counts.")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path, help="Also write the figures as JSON.")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="Also measure on PostgreSQL (a server URL; databases are created and dropped).",
    )
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.tasks.split(",") if s.strip()]
    print(
        f"python {platform.python_version()} · {platform.machine()} · {os.cpu_count()} cores · "
        f"load {os.getloadavg()[0]:.2f} · SQLite {sqlite3.sqlite_version}"
    )
    backends: list[SQLite | PostgreSQL] = []
    with tempfile.TemporaryDirectory() as tmp:
        backends.append(SQLite(Path(tmp)))
        if args.postgres:
            backends.append(PostgreSQL(args.postgres))
        results = [measure(size, args.rounds, b) for b in backends for size in sizes]
    print(
        f"\n{'database':>10} {'tasks':>8} {'zhifa s':>9} {'baseline s':>11} {'zhifa/s':>9} "
        f"{'ratio':>6}"
    )
    for r in results:
        print(
            f"{r['database']:>10} {r['tasks']:>8,} {r['zhifa_seconds']:>9.3f} "
            f"{r['baseline_seconds']:>11.3f} {r['zhifa_tasks_per_second']:>9,} {r['ratio']:>6.2f}"
        )
    for name in dict.fromkeys(r["database"] for r in results):
        mine = [r for r in results if r["database"] == name]
        if len(mine) < 2:
            continue
        first, last = mine[0], mine[-1]
        times = last["tasks"] / first["tasks"]
        print(
            f"\n{name} scaling ×{times:g} tasks: zhifa ×{last['zhifa_seconds'] / first['zhifa_seconds']:.2f}, "
            f"baseline ×{last['baseline_seconds'] / first['baseline_seconds']:.2f}"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), "utf-8")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
