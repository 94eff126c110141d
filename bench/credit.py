"""Credit-risk classes of every entity and one entity's credit file: zhifa against plain SQL.

    python bench/credit.py [--entities 1000000] [--records 10] [--sqlite-only] [--json OUT]

Every figure is measured in the same run, on the same rows: a temporary SQLite file and, unless
``--sqlite-only``, a temporary PostgreSQL database, each migrated by ``zhifa.store.migrate`` and
filled directly with N entities and their credit records (bulk inserts; no events, no matters):

1. **classify**: ``zhifa.credit.classify(store, NATIONAL_SCHEME, as_of, now)`` end to end (sync,
   one grouped count per indicator and override, NumPy scoring, one ``credit_classes`` row per
   entity, ``entities.credit_class`` set), against a **baseline** written directly with
   sqlite3 / psycopg: one grouped count per indicator and override (plain SQL), NumPy scoring
   of the same scheme, an ``executemany`` INSERT of the same class rows and an
   ``executemany`` UPDATE of ``entities.credit_class``. Each run happens in a fresh child process
   (its peak RSS is reported) from the same state (no class rows, no current class). The rows
   both write must be identical (exit 1 otherwise).
2. **entity file**: ``zhifa.credit.entity_file`` of an entity with 1,000 records, repeated
   (median and p95), against one plain SELECT of that entity's records.

Times are reported, never asserted. See bench/README.md for how to read the figures.
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
import hashlib
import json
import multiprocessing as mp
import os
import platform
import resource
import signal
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

import numpy as np
import sqlalchemy as sa

from zhifa.ids import uscc_check_char
from zhifa.rules import CREDIT_CLASSES
from zhifa.rules.credit import NATIONAL_SCHEME, CreditScheme, window_start
from zhifa.store import Store, migrate, resolve_url
from zhifa.store.tables import CreditRecord

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
AS_OF = date(2026, 5, 25)
NOW = datetime(2026, 5, 25, 18, 0)
DAYS = 4 * 365  # records are dated over the last four years
CHUNK = 50_000  # entities generated and loaded per batch
SEED = 20260525

TARGET_RATIO = 3.0
TARGET_SQLITE_SECONDS = 60.0
TARGET_FILE_MS = 100.0
MIB = 1024 * 1024

# (kind, flags, source, summary, details, weight): the mix of a credit file. Kinds the national
# scheme does not count (no_penalty, publication, ...) are in the file too, as in a real one.
EXTERNAL_COURT = "最高人民法院失信被执行人名单"
EXTERNAL_TAX = "国家税务总局纳税信用"
VARIANTS: tuple[tuple[str, str, str, str, str, float], ...] = (
    (
        "inspection",
        ",clean,",
        "zhifa",
        "no problem found",
        '{"items": 2, "rectify": [], "violations": []}',
        0.24,
    ),
    (
        "inspection",
        ",rectify,",
        "zhifa",
        "rectification ordered (SP-02)",
        '{"items": 2, "rectify": ["SP-02"], "violations": []}',
        0.06,
    ),
    (
        "inspection",
        ",violation,",
        "zhifa",
        "violation found (SP-01)",
        '{"items": 2, "rectify": [], "violations": ["SP-01"]}',
        0.03,
    ),
    ("complaint", ",complaint,", "zhifa", "complaint received", '{"source": "complaint"}', 0.09),
    ("complaint", ",report,", "zhifa", "report received", '{"source": "report"}', 0.03),
    (
        "penalty",
        ",",
        "zhifa",
        "fine, fine 3000 yuan, ordinary tier",
        '{"fine": "3000", "heavier": false, "penalty_kind": "fine", "tier": "ordinary"}',
        0.07,
    ),
    (
        "penalty",
        ",heavier,",
        "zhifa",
        "fine, fine 200000 yuan, heavier tier",
        '{"fine": "200000", "heavier": true, "penalty_kind": "fine", "tier": "heavier"}',
        0.015,
    ),
    (
        "penalty",
        ",heavier,revocation,",
        "zhifa",
        "permit_revocation",
        '{"fine": "0", "heavier": true, "penalty_kind": "permit_revocation", "tier": null}',
        0.002,
    ),
    ("no_penalty", ",", "zhifa", "decision not to penalise", "{}", 0.03),
    ("soft_enforcement", ",", "zhifa", "soft enforcement decided", "{}", 0.03),
    ("publication", ",", "zhifa", "penalty published", "{}", 0.06),
    ("publication_end", ",", "zhifa", "publication expired", "{}", 0.04),
    ("compulsory_enforcement", ",", "zhifa", "enforcement decided", "{}", 0.01),
    ("transfer", ",", "zhifa", "transferred to judicial organs", "{}", 0.002),
    ("repair", ",", "zhifa", "credit repair approved", "{}", 0.006),
    ("external", ",dishonest,", EXTERNAL_COURT, "失信被执行人", '{"list": "dishonest"}', 0.025),
    ("external", ",", EXTERNAL_TAX, "纳税信用 B 级", '{"grade": "B"}', 0.15),
)

ENTITY_COLUMNS = (
    "id",
    "uscc",
    "name",
    "kind",
    "region_code",
    "industry",
    "registered_on",
    "key_supervision",
)
RECORD_COLUMNS = (
    "id",
    "entity_id",
    "on",
    "kind",
    "flags",
    "source",
    "matter_id",
    "event_id",
    "summary",
    "details",
    "recorded_at",
)
CLASS_COLUMNS = (
    "entity_id",
    "as_of",
    "credit_class",
    "score",
    "scheme",
    "scheme_version",
    "department_code",
    "reasons",
    "computed_at",
)
REGIONS = ("330102", "330105", "330106", "330108", "330109", "330110", "330111", "330112")
INDUSTRIES = ("catering", "food_production", "food_sales", "manufacturing", "retail")


class PostgresUnavailable(Exception):
    """The PostgreSQL server could not be reached."""


def _terminate(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


# -- the databases -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Database:
    """One migrated database: its zhifa URL, and how the plain baseline connects to it."""

    name: str  # SQLite | PostgreSQL
    url: str  # as zhifa takes it

    @property
    def dialect(self) -> str:
        return "sqlite" if self.name == "SQLite" else "postgresql"

    @property
    def path(self) -> str:
        """The SQLite file."""
        return cast(str, sa.make_url(self.url).database)

    @property
    def conninfo(self) -> str:
        """The PostgreSQL URL as libpq takes it."""
        return sa.make_url(self.url).set(drivername="postgresql").render_as_string(False)

    def connect(self) -> Any:
        """A plain DB-API connection with the settings zhifa's store uses (SQLite: WAL,
        ``synchronous=NORMAL``, foreign keys on; transactions begun explicitly)."""
        if self.dialect == "sqlite":
            conn = sqlite3.connect(self.path, isolation_level=None)
            for pragma in (
                "foreign_keys=ON",
                "busy_timeout=60000",
                "journal_mode=WAL",
                "synchronous=NORMAL",
            ):
                conn.execute(f"PRAGMA {pragma}")
            return conn
        import psycopg

        return psycopg.connect(self.conninfo)

    @property
    def mark(self) -> str:
        return "?" if self.dialect == "sqlite" else "%s"


@contextmanager
def postgres_database(admin_url: str) -> Iterator[Database]:
    """An empty temporary database on the server, dropped on the way out, even on error."""
    resolved = resolve_url(admin_url)
    admin = sa.create_engine(resolved, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
        admin.dispose()
        reason = str(getattr(exc, "orig", exc) or exc).strip().splitlines()[0][:200]
        raise PostgresUnavailable(reason) from None
    name = f"zhifa_bench_credit_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = sa.make_url(resolved).set(database=name).render_as_string(hide_password=False)
        yield Database("PostgreSQL", url)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


# -- the rows ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Workload:
    entities: int
    records: int  # per entity
    file_records: int  # of the one entity whose file is read
    seed: int

    @property
    def file_entity(self) -> int:
        """The id of the entity with ``file_records`` records (in the middle of the ids)."""
        return self.entities // 2 + 1

    @property
    def total_records(self) -> int:
        return (self.entities - 1) * self.records + self.file_records


def uscc(entity_id: int) -> str:
    """A valid USCC (GB 32100 check character) made from the id."""
    body = f"91330106{entity_id:09d}"
    return body + uscc_check_char(body)


def entity_batches(w: Workload) -> Iterator[list[tuple[Any, ...]]]:
    """The entities, ``CHUNK`` at a time, ids 1 to N (seeded: the same rows on every database)."""
    rng = np.random.default_rng([w.seed, 1])
    for first in range(1, w.entities + 1, CHUNK):
        ids = range(first, min(first + CHUNK, w.entities + 1))
        registered = rng.integers(0, 20 * 365, len(ids)).tolist()
        yield [
            (
                i,
                uscc(i),
                f"某某食品有限公司{i}",
                "企业",
                REGIONS[i % len(REGIONS)],
                INDUSTRIES[i % len(INDUSTRIES)],
                AS_OF - timedelta(days=d),
                False,
            )
            for i, d in zip(ids, registered, strict=True)
        ]


def record_batches(w: Workload) -> Iterator[dict[str, list[Any]]]:
    """The credit records, ``CHUNK * 10`` at a time (seeded: the same rows on every database).
    They are stored as a live file grows, oldest first (ids increase with the day, the entities
    of one day in random order), not entity by entity."""
    rng = np.random.default_rng([w.seed, 2])
    weights = np.array([v[5] for v in VARIANTS])
    weights /= weights.sum()
    columns = {
        name: np.array([v[i] for v in VARIANTS], dtype=object)
        for i, name in enumerate(("kind", "flags", "source", "summary", "details"))
    }
    per = np.full(w.entities, w.records, dtype=np.int64)
    per[w.file_entity - 1] = w.file_records
    owners = np.repeat(np.arange(1, w.entities + 1, dtype=np.int64), per)
    n = owners.shape[0]
    variant = rng.choice(len(VARIANTS), size=n, p=weights).astype(np.int8)
    back = rng.integers(0, DAYS + 1, n).astype(np.int16)  # days before AS_OF
    shuffled = rng.permutation(n)
    order = shuffled[np.argsort(-back[shuffled], kind="stable")]
    owners, variant, back = owners[order], variant[order], back[order]
    del shuffled, order
    step = CHUNK * 10
    for first in range(0, n, step):
        part = slice(first, min(first + step, n))
        yield {
            "id": list(range(first + 1, part.stop + 1)),
            "entity_id": owners[part].tolist(),
            "back": back[part].tolist(),
            **{k: v[variant[part]].tolist() for k, v in columns.items()},
        }


def _load_sqlite(db: Database, w: Workload) -> None:
    days = [(AS_OF - timedelta(days=d)).isoformat() for d in range(DAYS + 1)]
    recorded = NOW.isoformat(sep=" ", timespec="microseconds")  # as SQLAlchemy stores it
    conn = sqlite3.connect(db.path, isolation_level=None)
    try:
        conn.execute("PRAGMA synchronous=OFF")  # a load, not a workload
        conn.execute("BEGIN")
        for entities in entity_batches(w):
            conn.executemany(
                f"INSERT INTO entities ({', '.join(ENTITY_COLUMNS)}) VALUES "
                f"({', '.join('?' * len(ENTITY_COLUMNS))})",
                [(*e[:6], e[6].isoformat(), 0) for e in entities],
            )
        for r in record_batches(w):
            conn.executemany(
                'INSERT INTO credit_records (id, entity_id, "on", kind, flags, source, matter_id, '
                "event_id, summary, details, recorded_at) "
                "VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?, ?)",
                zip(
                    r["id"],
                    r["entity_id"],
                    (days[b] for b in r["back"]),
                    r["kind"],
                    r["flags"],
                    r["source"],
                    r["summary"],
                    r["details"],
                    (recorded for _ in r["id"]),
                    strict=True,
                ),
            )
        conn.execute("COMMIT")
    finally:
        conn.close()


def _load_postgres(db: Database, w: Workload) -> None:
    import psycopg

    days = [(AS_OF - timedelta(days=d)).isoformat() for d in range(DAYS + 1)]
    recorded = NOW.isoformat(sep=" ")
    with psycopg.connect(db.conninfo) as conn, conn.cursor() as cur:
        for entities in entity_batches(w):
            with cur.copy(f"COPY entities ({', '.join(ENTITY_COLUMNS)}) FROM STDIN") as copy:
                for e in entities:
                    copy.write_row(e)
        for r in record_batches(w):
            text = "".join(
                f"{i}\t{e}\t{days[b]}\t{k}\t{f}\t{s}\t\\N\t\\N\t{m}\t{d}\t{recorded}\n"
                for i, e, b, k, f, s, m, d in zip(
                    r["id"],
                    r["entity_id"],
                    r["back"],
                    r["kind"],
                    r["flags"],
                    r["source"],
                    r["summary"],
                    r["details"],
                    strict=True,
                )
            )
            with cur.copy(
                'COPY credit_records (id, entity_id, "on", kind, flags, source, matter_id, '
                "event_id, summary, details, recorded_at) FROM STDIN"
            ) as copy:
                copy.write(text)
        for table in ("entities", "credit_records"):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )


def fill(db: Database, w: Workload) -> dict[str, float]:
    """Migrate the database, then load the rows with the driver: the credit file's indexes
    are dropped for the load and made again after it, as the migration defines them. Returns
    the seconds of each part."""
    took: dict[str, float] = {}
    began = time.perf_counter()
    store = Store(db.url)
    try:
        migrate.upgrade(store)
        indexes = sorted(cast(sa.Table, CreditRecord.__table__).indexes, key=lambda i: str(i.name))
        with store.engine.begin() as conn:
            for index in indexes:
                index.drop(conn)
        took["migrate"] = time.perf_counter() - began
        began = time.perf_counter()
        (_load_sqlite if db.dialect == "sqlite" else _load_postgres)(db, w)
        took["load"] = time.perf_counter() - began
        began = time.perf_counter()
        with store.engine.begin() as conn:
            for index in indexes:
                index.create(conn)
        took["indexes"] = time.perf_counter() - began
    finally:
        store.dispose()
    began = time.perf_counter()
    analyze(db)
    took["analyze"] = time.perf_counter() - began
    return took


def analyze(db: Database) -> None:
    """Leave the database as a live one is after a load. PostgreSQL's autovacuum gathers the
    planner's statistics by itself after a bulk load; the benchmark runs ``VACUUM (ANALYZE)``
    instead of waiting for it. A zhifa SQLite file has no statistics (zhifa never runs
    ``ANALYZE``), so none are gathered there: only the WAL is checkpointed."""
    if db.dialect == "sqlite":
        conn = db.connect()
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
    else:
        import psycopg

        with psycopg.connect(db.conninfo, autocommit=True) as conn:
            conn.execute("VACUUM (ANALYZE) entities")
            conn.execute("VACUUM (ANALYZE) credit_records")
            conn.execute("VACUUM (ANALYZE) credit_classes")


def reset(db: Database) -> None:
    """Back to the state after the load: no class rows, no current class (not timed)."""
    conn = db.connect()
    try:
        if db.dialect == "sqlite":
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("DELETE FROM credit_classes")
            conn.execute("UPDATE entities SET credit_class = NULL")
            conn.execute("COMMIT")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            with conn.transaction():
                conn.execute("TRUNCATE credit_classes")
                conn.execute("UPDATE entities SET credit_class = NULL")
    finally:
        conn.close()
    if db.dialect == "postgresql":
        import psycopg

        with psycopg.connect(db.conninfo, autocommit=True) as conn:
            conn.execute("VACUUM (ANALYZE) entities")
            conn.execute("VACUUM (ANALYZE) credit_classes")


def stored(db: Database) -> dict[str, Any]:
    """What a run left (not timed): the class rows' SHA-256 in entity order, and the count of
    each current class on ``entities``."""
    conn = db.connect()
    try:
        digest = hashlib.sha256()
        cur = conn.cursor()
        cur.execute(
            f"SELECT {', '.join(CLASS_COLUMNS)} FROM credit_classes ORDER BY entity_id, as_of"
        )
        rows = 0
        while True:
            chunk = cur.fetchmany(100_000)
            if not chunk:
                break
            rows += len(chunk)
            for row in chunk:
                entity, as_of, cls, score, scheme, version, dept, reasons, at = row
                digest.update(
                    f"{entity}|{as_of}|{cls}|{score!r}|{scheme}|{version}|{dept}|{reasons}|"
                    f"{str(at)[:19]}\n".encode()
                )
        cur.execute("SELECT credit_class, count(*) FROM entities GROUP BY credit_class")
        current = {str(k): int(v) for k, v in cur.fetchall()}
        return {"class_rows": rows, "sha256": digest.hexdigest(), "entities_by_class": current}
    finally:
        conn.close()


# -- 1. classify: zhifa and the baseline, each in a child process ---------------------------------


def _rss_mib() -> float:
    """This process's peak resident set so far, MiB. On Linux it is read from
    ``/proc/self/status`` (``VmHWM``): ``getrusage``'s ``ru_maxrss`` keeps, across the fork and
    exec that start a child, the parent's resident set at the fork, which would hide the
    child's own peak."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def classify_zhifa(db: Database) -> dict[str, Any]:
    from zhifa.credit import classify

    store = Store(db.url)
    try:
        with store.engine.connect() as conn:  # connected before the clock starts, as the baseline
            conn.exec_driver_sql("SELECT 1")
        rss = _rss_mib()
        cpu = time.process_time()
        began = time.perf_counter()
        done = classify(store, NATIONAL_SCHEME, AS_OF, NOW)
        seconds = time.perf_counter() - began
        cpu = time.process_time() - cpu
    finally:
        store.dispose()
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "rss_before_mib": rss,
        "peak_rss_mib": _rss_mib(),
        "entities": done.entities,
        "by_class": dict(done.by_class),
        "records_added": done.records_added,
        "current": done.current,
    }


def count_queries(scheme: CreditScheme, mark: str, sqlite: bool) -> list[tuple[str, list[Any]]]:
    """One grouped count per indicator and override over the records of its window: what the
    ``(kind, on)`` index of the credit file serves. (One pass counting every indicator at once,
    ``count(*) FILTER (WHERE …)`` grouped by entity, took as long on PostgreSQL and 2 to 4 times
    as long on SQLite, where it walks the entity index or sorts the whole window.)"""
    out = []
    for item in scheme.counted:
        sql = (
            f'SELECT entity_id, count(*) FROM credit_records WHERE kind = {mark} AND "on" >= {mark} '
            f'AND "on" <= {mark}'
        )
        params: list[Any] = [item.kind, window_start(AS_OF, item.months), AS_OF]
        if item.flag:
            sql += f" AND flags LIKE {mark}"
            params.append(f"%,{item.flag},%")
        if item.ended_by:  # a record of this kind of the same matter, on or before AS_OF, ends it
            sql += (
                " AND NOT EXISTS (SELECT 1 FROM credit_records AS ended WHERE ended.matter_id = "
                f'credit_records.matter_id AND ended.kind = {mark} AND ended."on" <= {mark})'
            )
            params += [item.ended_by, AS_OF]
        if sqlite:
            params = [p.isoformat() if isinstance(p, date) else p for p in params]
        out.append((sql + " GROUP BY entity_id", params))
    return out


def classify_baseline(db: Database) -> dict[str, Any]:
    """The same classification written plainly on the driver: a grouped count per indicator and
    override, NumPy scoring of the scheme's numbers, the same rows inserted and the current
    class updated, in one transaction."""
    scheme = NATIONAL_SCHEME
    codes = [item.code for item in scheme.counted]
    sqlite = db.dialect == "sqlite"
    m = db.mark
    conn = db.connect()
    try:
        rss = _rss_mib()
        phases: dict[str, float] = {}
        cpu = time.process_time()
        began = lap = time.perf_counter()
        cur = conn.cursor()
        if sqlite:
            cur.execute("BEGIN IMMEDIATE")
        queries = count_queries(scheme, m, sqlite)  # the windows on AS_OF, from the scheme
        found = []
        for sql, params in queries:
            cur.execute(sql, params)
            found.append(cur.fetchall())
        cur.execute("SELECT id FROM entities ORDER BY id")
        ids = np.fromiter((r[0] for r in cur.fetchall()), dtype=np.int64)
        now = time.perf_counter()
        phases["count"], lap = now - lap, now

        n = ids.shape[0]
        matrix = np.zeros((n, len(codes)), dtype=np.int64)
        for j, rows in enumerate(found):
            if rows:
                pairs = np.array(rows, dtype=np.int64)
                matrix[np.searchsorted(ids, pairs[:, 0]), j] = pairs[:, 1]
        score = np.full(n, scheme.base, dtype=np.float64)
        for j, ind in enumerate(scheme.indicators):
            raw = matrix[:, j].astype(np.float64) * ind.points
            if ind.cap is not None:
                raw = np.maximum(raw, ind.cap) if ind.points < 0 else np.minimum(raw, ind.cap)
            score += raw
        cls = np.full(n, CREDIT_CLASSES.index(scheme.bands[-1][0]), dtype=np.uint8)
        for name, lowest in reversed(scheme.bands[:-1]):
            cls[score >= cast(float, lowest)] = CREDIT_CLASSES.index(name)
        for j, ov in enumerate(scheme.overrides, start=len(scheme.indicators)):
            hit = matrix[:, j] > 0
            cls[hit] = np.maximum(cls[hit], CREDIT_CLASSES.index(ov.credit_class))
        reasons = ["{}"] * n
        for i in np.flatnonzero(matrix.any(axis=1)).tolist():
            row = matrix[i]
            reasons[i] = json.dumps({codes[j]: int(row[j]) for j in np.flatnonzero(row)})
        labels = [CREDIT_CLASSES[k] for k in cls.tolist()]
        now = time.perf_counter()
        phases["score"], lap = now - lap, now

        day = AS_OF.isoformat() if sqlite else AS_OF
        at_ = NOW.isoformat(sep=" ", timespec="microseconds") if sqlite else NOW
        cur.execute(
            f"DELETE FROM credit_classes WHERE as_of = {m} AND scheme = {m} AND department_code = {m}",
            (day, scheme.name, ""),
        )
        cur.executemany(
            f"INSERT INTO credit_classes ({', '.join(CLASS_COLUMNS)}) "
            f"VALUES ({', '.join([m] * len(CLASS_COLUMNS))})",
            zip(
                ids.tolist(),
                (day for _ in range(n)),
                labels,
                score.tolist(),
                (scheme.name for _ in range(n)),
                (scheme.version for _ in range(n)),
                ("" for _ in range(n)),
                reasons,
                (at_ for _ in range(n)),
                strict=True,
            ),
        )
        now = time.perf_counter()
        phases["insert"], lap = now - lap, now
        cur.executemany(
            f"UPDATE entities SET credit_class = {m} WHERE id = {m}",
            zip(labels, ids.tolist(), strict=True),
        )
        now = time.perf_counter()
        phases["update"], lap = now - lap, now
        if sqlite:
            cur.execute("COMMIT")
        else:
            conn.commit()
        now = time.perf_counter()
        phases["commit"] = now - lap
        seconds = now - began
        cpu = time.process_time() - cpu
    finally:
        conn.close()
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "rss_before_mib": rss,
        "peak_rss_mib": _rss_mib(),
        "entities": int(n),
        "by_class": {c: labels.count(c) for c in CREDIT_CLASSES},
        "phases": {k: round(v, 3) for k, v in phases.items()},
    }


def _child(send: Any, which: str, db: Database) -> None:
    try:
        run = classify_zhifa if which == "zhifa" else classify_baseline
        send.send(("ok", run(db)))
    except BaseException as exc:  # reported to the parent, which raises it
        send.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        send.close()


def in_child(which: str, db: Database) -> dict[str, Any]:
    """Run one classification in a fresh process (spawned: nothing inherited but the
    arguments), so its peak RSS is its own; the child is ended if the parent is interrupted."""
    ctx = mp.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(send, which, db), name=f"credit-{which}")
    child.start()
    send.close()
    try:
        status, value = receive.recv()
        child.join()
    finally:
        if child.is_alive():
            child.terminate()
            child.join()
    if status != "ok":
        raise RuntimeError(f"{which} classification on {db.name} failed: {value}")
    return cast(dict[str, Any], value)


# -- 2. one entity's file ------------------------------------------------------------------------


def _quantile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def entity_file_times(db: Database, w: Workload, repeats: int) -> dict[str, Any]:
    """``entity_file`` of the entity with ``file_records`` records against one plain SELECT of
    its records, alternating, ``repeats`` times each after two untimed calls of each."""
    from zhifa.credit import entity_file

    store = Store(db.url)
    conn = db.connect()
    sql = (
        f"SELECT {', '.join(f'{chr(34)}{c}{chr(34)}' for c in RECORD_COLUMNS)} "
        f'FROM credit_records WHERE entity_id = {db.mark} ORDER BY "on", id'
    )
    key = uscc(w.file_entity)

    def zhifa() -> int:
        found = entity_file(store, key, NATIONAL_SCHEME, AS_OF, NOW)
        return len(found.records)

    def baseline() -> int:
        cur = conn.cursor()
        cur.execute(sql, (w.file_entity,))
        rows = cur.fetchall()
        conn.rollback()  # ends the read transaction (psycopg); a no-op for sqlite3 here
        return len(rows)

    times: dict[str, list[float]] = {"zhifa": [], "baseline": []}
    sizes: dict[str, int] = {}
    try:
        calls: tuple[tuple[str, Callable[[], int]], ...] = (
            ("zhifa", zhifa),
            ("baseline", baseline),
        )
        for name, call in calls:
            for _ in range(2):
                sizes[name] = call()
        for _ in range(repeats):
            for name, call in calls:
                began = time.perf_counter()
                call()
                times[name].append((time.perf_counter() - began) * 1000.0)
        explained = entity_file(store, key, NATIONAL_SCHEME, AS_OF, NOW).now
    finally:
        conn.close()
        store.dispose()
    if sizes["zhifa"] != w.file_records or sizes["baseline"] != w.file_records:
        raise RuntimeError(f"{db.name}: the file held {sizes}, expected {w.file_records} records")
    out: dict[str, Any] = {"records": w.file_records, "repeats": repeats}
    for name, ms in times.items():
        out[name] = {
            "median_ms": round(statistics.median(ms), 3),
            "p95_ms": round(_quantile(ms, 0.95), 3),
            "min_ms": round(min(ms), 3),
            "max_ms": round(max(ms), 3),
        }
    out["ratio"] = round(out["zhifa"]["median_ms"] / out["baseline"]["median_ms"], 2)
    out["class_now"] = {"class": explained.credit_class, "score": explained.score}
    return out


# -- one database --------------------------------------------------------------------------------


def measure(db: Database, w: Workload, rounds: int, repeats: int) -> dict[str, Any]:
    print(
        f"{db.name}: loading {w.entities:,} entities and {w.total_records:,} credit records ...",
        flush=True,
    )
    setup = fill(db, w)
    print(
        "  "
        + ", ".join(f"{k} {v:.1f} s" for k, v in setup.items())
        + f"; load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    runs: dict[str, list[dict[str, Any]]] = {"zhifa": [], "baseline": []}
    left: dict[str, dict[str, Any]] = {}
    for r in range(rounds):
        order = ("baseline", "zhifa") if r % 2 == 0 else ("zhifa", "baseline")
        for which in order:
            reset(db)
            print(f"  round {r + 1}/{rounds}: {which} classify ...", end=" ", flush=True)
            got = in_child(which, db)
            after = stored(db)
            got["stored"] = after
            runs[which].append(got)
            left[which] = after
            print(
                f"{got['seconds']:.2f} s, peak RSS {got['peak_rss_mib']:.0f} MiB",
                flush=True,
            )
    z_runs, b_runs = runs["zhifa"], runs["baseline"]
    z = statistics.median(x["seconds"] for x in z_runs)
    b = statistics.median(x["seconds"] for x in b_runs)
    problems = []
    by_class = {k: x["by_class"] for k, x in (("zhifa", z_runs[-1]), ("baseline", b_runs[-1]))}
    if by_class["zhifa"] != by_class["baseline"]:
        problems.append(
            f"class counts differ: zhifa {by_class['zhifa']}, baseline {by_class['baseline']}"
        )
    if left["zhifa"]["sha256"] != left["baseline"]["sha256"]:
        problems.append("the stored class rows differ between zhifa and the baseline")
    for which, got in left.items():
        if got["class_rows"] != w.entities:
            problems.append(f"{which} stored {got['class_rows']:,} class rows, not {w.entities:,}")
        current = {k: v for k, v in got["entities_by_class"].items() if v}
        expected = {k: v for k, v in by_class[which].items() if v}
        if current != expected:
            problems.append(f"{which}: entities.credit_class {current}, classified {expected}")
    print(f"  entity file ({w.file_records:,} records) x {repeats} ...", end=" ", flush=True)
    file = entity_file_times(db, w, repeats)
    print(f"median {file['zhifa']['median_ms']:.1f} ms", flush=True)
    return {
        "database": db.name,
        "entities": w.entities,
        "records": w.total_records,
        "setup_seconds": {k: round(v, 2) for k, v in setup.items()},
        "classify": {
            "rounds": rounds,
            "zhifa": _summary(z_runs),
            "baseline": _summary(b_runs),
            "ratio": round(z / b, 2),
            "cpu_ratio": round(
                statistics.median(x["cpu_seconds"] for x in z_runs)
                / statistics.median(x["cpu_seconds"] for x in b_runs),
                2,
            ),
            "by_class": by_class["zhifa"],
            "same_rows": left["zhifa"]["sha256"] == left["baseline"]["sha256"],
            "problems": problems,
        },
        "entity_file": file,
    }


def _summary(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    secs = [x["seconds"] for x in runs]
    out: dict[str, Any] = {
        "seconds": [round(s, 3) for s in secs],
        "median_seconds": round(statistics.median(secs), 3),
        "cpu_seconds": round(statistics.median(x["cpu_seconds"] for x in runs), 3),
        "peak_rss_mib": round(max(x["peak_rss_mib"] for x in runs), 1),
        "rss_before_mib": round(max(x["rss_before_mib"] for x in runs), 1),
    }
    out["peak_growth_mib"] = round(out["peak_rss_mib"] - out["rss_before_mib"], 1)
    if "phases" in runs[-1]:
        out["phases_last_run"] = runs[-1]["phases"]
    return out


# -- report --------------------------------------------------------------------------------------


def targets(results: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for r in results:
        c, f = r["classify"], r["entity_file"]
        if r["database"] == "SQLite":
            s = c["zhifa"]["median_seconds"]
            out.append(
                {
                    "target": f"SQLite classify of {r['entities']:,} entities",
                    "wanted": f"< {TARGET_SQLITE_SECONDS:.0f} s",
                    "got": f"{s:.1f} s",
                    "met": s < TARGET_SQLITE_SECONDS,
                }
            )
        out.append(
            {
                "target": f"{r['database']} classify zhifa / baseline",
                "wanted": f"≤ {TARGET_RATIO:.0f}×",
                "got": f"{c['ratio']:.2f}×",
                "met": c["ratio"] <= TARGET_RATIO,
            }
        )
        ms = f["zhifa"]["median_ms"]
        out.append(
            {
                "target": f"{r['database']} entity file, {f['records']:,} records (median)",
                "wanted": f"< {TARGET_FILE_MS:.0f} ms",
                "got": f"{ms:.1f} ms",
                "met": ms < TARGET_FILE_MS,
            }
        )
    return out


def print_table(results: Sequence[dict[str, Any]], goals: Sequence[dict[str, Any]]) -> None:
    header = f"{'':44} {'zhifa':>12} {'baseline':>12} {'zhifa/base':>12}"
    print("\n" + header)
    print("-" * len(header))
    for r in results:
        c, f = r["classify"], r["entity_file"]
        z, b = c["zhifa"], c["baseline"]
        name = f"{r['database']} classify {r['entities']:,} entities, s"
        print(
            f"{name:44} {z['median_seconds']:12.2f} {b['median_seconds']:12.2f} {c['ratio']:12.2f}"
        )
        print(
            f"{'  CPU s (client process)':44} {z['cpu_seconds']:12.2f} {b['cpu_seconds']:12.2f} "
            f"{c['cpu_ratio']:12.2f}"
        )
        print(
            f"{'  peak RSS, MiB':44} {z['peak_rss_mib']:12.0f} {b['peak_rss_mib']:12.0f} "
            f"{z['peak_rss_mib'] / b['peak_rss_mib']:12.2f}"
        )
        print(
            f"{'  peak RSS growth during the call, MiB':44} {z['peak_growth_mib']:12.0f} "
            f"{b['peak_growth_mib']:12.0f} "
            f"{z['peak_growth_mib'] / max(b['peak_growth_mib'], 1):12.2f}"
        )
        zf, bf = f["zhifa"], f["baseline"]
        name = f"{r['database']} entity file, {f['records']:,} records, ms"
        print(
            f"{name + ' (median)':44} {zf['median_ms']:12.2f} {bf['median_ms']:12.2f} {f['ratio']:12.2f}"
        )
        print(
            f"{'  p95, ms':44} {zf['p95_ms']:12.2f} {bf['p95_ms']:12.2f} "
            f"{zf['p95_ms'] / bf['p95_ms']:12.2f}"
        )
        shares = ", ".join(f"{k} {v}" for k, v in c["by_class"].items())
        same = "identical" if c["same_rows"] else "DIFFERENT"
        print(f"  classes {shares}; stored rows of zhifa and baseline {same}")
    print("\nTargets (reported, not asserted)")
    for t in goals:
        mark = "met" if t["met"] else "MISSED"
        print(f"  {t['target']:52} wanted {t['wanted']:>8}  got {t['got']:>9}  {mark}")


def environment() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "sqlalchemy": sa.__version__,
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "started": datetime.now().isoformat(timespec="seconds"),
    }


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="zhifa credit classification and entity file against plain SQL baselines"
    )
    p.add_argument("--entities", type=int, default=1_000_000, help="entities (1000000)")
    p.add_argument("--records", type=int, default=10, help="credit records per entity (10)")
    p.add_argument(
        "--file-records", type=int, default=1000, help="records of the entity whose file is read"
    )
    p.add_argument("--rounds", type=int, default=1, help="classify runs of each side (1)")
    p.add_argument("--repeats", type=int, default=50, help="timed entity-file reads (50)")
    p.add_argument("--seed", type=int, default=SEED, help="seed of the synthetic rows")
    p.add_argument("--sqlite-only", action="store_true", help="leave out PostgreSQL")
    p.add_argument(
        "--postgres-url",
        default=os.environ.get("ZHIFA_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help="server to create the temporary database on (ZHIFA_BENCH_POSTGRES_URL)",
    )
    p.add_argument(
        "--require-postgres", action="store_true", help="exit 2 when PostgreSQL is unreachable"
    )
    p.add_argument("--json", type=Path, metavar="OUT", help="also write the figures as JSON")
    args = p.parse_args(argv)
    if args.entities < 2 or args.records < 0 or args.file_records < 1:
        p.error("--entities must be at least 2, --records not negative, --file-records positive")
    if min(args.rounds, args.repeats) < 1:
        p.error("--rounds and --repeats must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    env = environment()
    print(
        f"zhifa credit benchmark: Python {env['python']}, NumPy {env['numpy']}, SQLite "
        f"{env['sqlite']}, {env['cpus']} CPUs, load average {env['load_average'][0]}"
    )
    w = Workload(args.entities, args.records, args.file_records, args.seed)
    began = time.perf_counter()
    results: list[dict[str, Any]] = []
    postgres_note: str | None = None
    with tempfile.TemporaryDirectory(prefix="zhifa_bench_") as tmp:  # removed also on error
        sqlite_db = Database("SQLite", f"sqlite:///{Path(tmp) / 'credit.db'}")
        results.append(measure(sqlite_db, w, args.rounds, args.repeats))
    if not args.sqlite_only:
        try:
            with postgres_database(args.postgres_url) as db:
                results.append(measure(db, w, args.rounds, args.repeats))
        except PostgresUnavailable as exc:
            postgres_note = f"PostgreSQL not reachable at {args.postgres_url}: {exc}"
            print(postgres_note + "; PostgreSQL figures left out")
            if args.require_postgres:
                return 2
    goals = targets(results)
    print_table(results, goals)
    problems = [f"{r['database']}: {p}" for r in results for p in r["classify"]["problems"]]
    for p in problems:
        print(f"! {p}")
    seconds = time.perf_counter() - began
    load = os.getloadavg()[0]
    print(
        f"\nran {seconds:.0f} s; load average {env['load_average'][0]} at start, {load:.2f} at end"
    )
    if args.json:
        report = {
            "environment": env,
            "seconds": round(seconds, 1),
            "load_average_at_end": round(load, 2),
            "workload": {
                "entities": w.entities,
                "records_per_entity": w.records,
                "file_entity_records": w.file_records,
                "records": w.total_records,
                "seed": w.seed,
                "as_of": AS_OF.isoformat(),
                "scheme": f"{NATIONAL_SCHEME.name} {NATIONAL_SCHEME.version}",
            },
            "results": results,
            "targets": goals,
            "problems": problems,
            "postgres_note": postgres_note,
        }
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
        print(f"\nwrote {args.json}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
