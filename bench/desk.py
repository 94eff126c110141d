"""The officer's desk at a city's scale: the due list, the matter list and search, against plain SQL.

    python bench/desk.py [--matters 1000000] [--sqlite-only] [--rebuild] [--repeat 20] [--json OUT]

Builds once, and keeps, a database of N matters (about 5 events each) on SQLite
(``bench/.desk/desk-N.db``, git-ignored) and, unless ``--sqlite-only``, on the local PostgreSQL
server (database ``zhifa_bench_desk_N``). The rows are written in bulk (executemany on SQLite, COPY
on PostgreSQL), not through the engine, but they are the rows the engine would write: shipped
workflows and states, events whose steps recompute to the stored clocks (a sample is checked
after every build), follow-up matters linked to the clues they follow. Then, for each database:

1. **due**: ``Engine.due(department=D, within=5, limit=50)`` warm (median and p95 of
   ``--repeat`` calls) against one plain SQL query returning the same rows (the stored running
   clocks of D due within 5 days, overdue first, first page); cold: one fresh
   ``zhifa due --dept D --within 5 --json`` process (wall time and peak RSS), next to a fresh
   ``zhifa matter show 1`` (what any command costs before its request);
2. **matter list --due**: ``zhifa matter list --due --within 5`` in a fresh process, every
   department;
3. **memory**: the peak Python allocation (tracemalloc) of one ``Engine.due`` request;
4. **search**: a credit code, an entity name and a matter title text, through plain SQL on the
   indexes the desk uses (the floor a search page cannot beat);
5. **desk pages**: GET /, /matters/{id}, /due and /search?q=… (a matter number, an entity name,
   a credit code, a title text) of ``zhifa.desk.create_app`` through Starlette's TestClient,
   logged in as officer BD01-001 (given a password by each run), median and p95 against the
   plain SQL of each page, and the peak allocation of one request.

Targets (checked and printed, never asserted): the due list of one department in under 200 ms,
a desk page's p95 under 300 ms, one request under 100 MB.

Times are reported, never asserted in tests. See bench/README.md.
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
import random
import sqlite3
import statistics
import subprocess
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from types import MappingProxyType
from typing import Any

import sqlalchemy as sa

from zhifa.calendar import WorkCalendar
from zhifa.ids import uscc_check_char
from zhifa.record import GENESIS, canonical_json, event_hash
from zhifa.store import Store, migrate
from zhifa.timekeeping import SystemClock
from zhifa.workflow.deadlines import Step, compute
from zhifa.workflow.definitions import Definition, builtin_workflow_files, load_file

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
CACHE = _HERE / ".desk"
SEED = 20261206
CHUNK = 20_000  # matters generated and loaded per batch
DEPARTMENTS = 16
OFFICERS_PER_DEPARTMENT = 40
ENTITY_RATIO = 5  # one entity per this many matters
TARGET_MS = 200.0
DESK_TARGET_MS = 300.0  # p95 of a desk page
TARGET_MB = 100.0
MIB = 1024 * 1024
BUILD_VERSION = "1"

SUMMARIES = (
    "售卖过期食品",
    "未按规定公示营业执照",
    "虚假宣传商品功效",
    "无证经营食品",
    "计量器具未经检定",
    "价格欺诈",
    "销售不合格电器",
    "餐饮服务环境不洁",
    "侵犯注册商标专用权",
    "未明码标价",
)
DISTRICTS = ("上城", "拱墅", "西湖", "滨江", "萧山", "余杭", "临平", "钱塘")
TRADES = ("食品", "餐饮", "商贸", "电器", "科技", "药房", "超市", "服饰")


def dept_code(i: int) -> str:
    return f"BD{i + 1:02d}"


def officer_id(dept: int, i: int) -> str:
    return f"{dept_code(dept)}-{i + 1:03d}"


def uscc(i: int) -> str:
    body = f"91330100MA{i:07d}"
    return body + uscc_check_char(body)


def entity_name(i: int) -> str:
    return f"杭州{DISTRICTS[i % 8]}{TRADES[(i // 8) % 8]}{i}号有限公司"


# -- the rows of one batch -----------------------------------------------------------------------


@dataclass
class Batch:
    matters: list[tuple[Any, ...]]
    events: list[tuple[Any, ...]]
    clocks: list[tuple[Any, ...]]
    links: list[tuple[Any, ...]]


MATTER_COLUMNS = [
    "id",
    "workflow",
    "workflow_version",
    "state",
    "version",
    "department_code",
    "entity_id",
    "title",
    "data",
    "opened_at",
    "updated_at",
    "head_hash",
]
EVENT_COLUMNS = [
    "id",
    "matter_id",
    "seq",
    "trigger",
    "from_state",
    "to_state",
    "actor_id",
    "occurred_at",
    "recorded_at",
    "data",
    "evidence",
    "prev_hash",
    "hash",
    "auth",
]
CLOCK_COLUMNS = [
    "matter_id",
    "name",
    "status",
    "started_on",
    "due_on",
    "stopped_on",
    "provisional",
    "paused_days",
    "extensions",
]
LINK_COLUMNS = ["id", "source_id", "target_id", "kind"]


class Generator:
    """Deterministic matters, events, clocks and links; ``today`` is the day of the build."""

    def __init__(self, matters: int, today: date, defs: dict[str, Definition]) -> None:
        self.total = matters
        self.today = today
        self.defs = defs
        self.calendar = WorkCalendar()
        self.entities = max(1, matters // ENTITY_RATIO)

    def moment(self, rng: random.Random, day: date) -> datetime:
        return datetime(day.year, day.month, day.day, 9) + timedelta(minutes=rng.randrange(480))

    def batch(self, first: int, count: int, first_event: int, first_link: int) -> Batch:
        rng = random.Random(SEED * 1000 + first)
        out = Batch([], [], [], [])
        mid = first
        end = first + count
        self._event_id = first_event
        self._link_id = first_link
        while mid < end:
            dept = rng.randrange(DEPARTMENTS)
            kind = rng.random()
            if kind < 0.5:
                notice = self.clue(rng, out, mid, dept, room=end - mid)
                mid += 2 if notice else 1
            elif kind < 0.8:
                self.inspection(rng, out, mid, dept)
                mid += 1
            else:
                self.complaint(rng, out, mid, dept)
                mid += 1
        return out

    def _life(self, rng: random.Random) -> tuple[str, date]:
        """finished, running (recent) or stale (running, long overdue), and the opening day."""
        r = rng.random()
        if r < 0.045:
            return "running", self.today - timedelta(days=rng.randrange(0, 36))
        if r < 0.048:
            return "stale", self.today - timedelta(days=rng.randrange(60, 400))
        return "finished", self.today - timedelta(days=rng.randrange(40, 3 * 365))

    def _write(
        self,
        out: Batch,
        rng: random.Random,
        mid: int,
        workflow: str,
        dept: int,
        steps: list[tuple[str, str, dict[str, Any], date]],
        title: str,
    ) -> None:
        defn = self.defs[workflow]
        prev = GENESIS
        state: str | None = None
        data: dict[str, Any] = {}
        clock_steps: list[Step] = []
        opened_at = recorded = datetime.min
        officers = [officer_id(dept, rng.randrange(OFFICERS_PER_DEPARTMENT)) for _ in range(2)]
        for seq, (trigger, to_state, values, day) in enumerate(steps, start=1):
            at = self.moment(rng, day)
            recorded = at + timedelta(minutes=2)
            if seq == 1:
                opened_at = at
            text = canonical_json(values)
            digest = event_hash(
                matter_id=mid,
                seq=seq,
                trigger=trigger,
                from_state=state,
                to_state=to_state,
                actor_id=officers[seq % 2],
                occurred_at=at,
                recorded_at=recorded,
                data=text,
                evidence="[]",
                prev_hash=prev,
            )
            out.events.append(
                (
                    self._event_id,
                    mid,
                    seq,
                    trigger,
                    state,
                    to_state,
                    officers[seq % 2],
                    at,
                    recorded,
                    text,
                    "[]",
                    prev,
                    digest,
                    None,
                )
            )
            self._event_id += 1
            prev, state = digest, to_state
            data[trigger] = values
            clock_steps.append(Step(at.date(), trigger, to_state, MappingProxyType(values)))
        assert state is not None
        entity = 1 + (mid * 7919) % self.entities
        out.matters.append(
            (
                mid,
                workflow,
                defn.version,
                state,
                len(steps),
                dept_code(dept),
                entity,
                title,
                json.dumps(data),
                opened_at,
                recorded,
                prev,
            )
        )
        for spec in defn.clocks.values():
            st = compute(spec, clock_steps, self.calendar, self.today)
            if st is not None:
                out.clocks.append(
                    (
                        mid,
                        spec.name,
                        st.status,
                        st.started_on,
                        st.due_on,
                        st.stopped_on,
                        st.provisional,
                        st.paused_days,
                        st.extensions,
                    )
                )

    def _next(self, rng: random.Random, day: date, lo: int, hi: int) -> date:
        return min(self.today, day + timedelta(days=rng.randrange(lo, hi + 1)))

    def clue(self, rng: random.Random, out: Batch, mid: int, dept: int, room: int) -> bool:
        """A clue; a real-name report decided is told to the reporter by a reporter_notice
        matter (id ``mid + 1``) in most cases. Returns whether that matter was written."""
        life, day = self._life(rng)
        summary = rng.choice(SUMMARIES)
        source = rng.choice(("complaint", "inspection", "referral", "data", "report", "report"))
        opening: dict[str, Any] = {"source": source, "summary": f"{summary}（{mid}）"}
        if source == "report":
            opening["real_name"] = rng.random() < 0.1
        steps: list[tuple[str, str, dict[str, Any], date]] = [("open", "received", opening, day)]
        if life == "running" and rng.random() < 0.15:
            self._write(out, rng, mid, "clue", dept, steps, opening["summary"])
            return False
        day = self._next(rng, day, 0, 2)
        verifiers = [officer_id(dept, rng.randrange(OFFICERS_PER_DEPARTMENT)) for _ in range(2)]
        steps.append(("assign", "verifying", {"verifiers": verifiers}, day))
        state = "verifying"
        for _ in range(rng.choice((0, 1, 1, 2, 2))):
            day = self._next(rng, day, 1, 5)
            steps.append(("start_testing", "testing", {"kind": "检验", "body": "省质检院"}, day))
            if life != "finished" and rng.random() < 0.3:
                self._write(out, rng, mid, "clue", dept, steps, opening["summary"])
                return False
            day = self._next(rng, day, 3, 12)
            steps.append(("finish_testing", "verifying", {"result": "不合格"}, day))
        if rng.random() < 0.08:
            day = self._next(rng, day, 3, 10)
            steps.append(("extend", "verifying_extended", {"reason": "案情复杂"}, day))
            state = "verifying_extended"
        if life != "finished":
            self._write(out, rng, mid, "clue", dept, steps, opening["summary"])
            return False
        day = self._next(rng, day, 2, 12)
        r = rng.random()
        if r < 0.3:
            values: dict[str, Any] = {
                "act_date": (day - timedelta(days=30)).isoformat(),
                "serious_harm": False,
                "handlers": verifiers,
                "violation": "FS-124-1-05",
            }
            steps.append(("open_case", "case_opened", values, day))
        elif r < 0.9:
            steps.append(("decline", "not_opened", {"ground": "no_violation"}, day))
        else:
            other = dept_code((dept + 1) % DEPARTMENTS)
            steps.append(
                ("hand_over", "handed_over", {"to_department": other, "reason": "管辖"}, day)
            )
        del state
        self._write(out, rng, mid, "clue", dept, steps, opening["summary"])
        decided = steps[-1][0] in ("open_case", "decline")
        if not (decided and opening.get("real_name") and room >= 2 and rng.random() < 0.95):
            return False
        told = self._next(rng, day, 0, 4)
        notice: list[tuple[str, str, dict[str, Any], date]] = [
            ("open", "given", {"told_by": "phone"}, told),
            ("file_proof", "filed", {"proof": "通话记录"}, self._next(rng, told, 0, 3)),
        ]
        self._write(out, rng, mid + 1, "reporter_notice", dept, notice, f"告知举报人（{mid}）")
        out.links.append((self._link_id, mid, mid + 1, "follows"))
        self._link_id += 1
        return True

    def inspection(self, rng: random.Random, out: Batch, mid: int, dept: int) -> None:
        """An inspection task: assigned, on site, result recorded, rectification ordered and
        rechecked, published; a result that found a clue owes a clue matter (left unopened in
        a few of them)."""
        life, day = self._life(rng)
        title = f"{rng.choice(TRADES)}经营者日常监督检查（{mid}）"
        team = [officer_id(dept, rng.randrange(OFFICERS_PER_DEPARTMENT)) for _ in range(2)]
        steps: list[tuple[str, str, dict[str, Any], date]] = [
            ("open", "planned", {"item": "SP-01", "summary": title}, day),
        ]
        day = self._next(rng, day, 0, 3)
        steps.append(("assign", "assigned", {"inspectors": team}, day))
        day = self._next(rng, day, 1, 10)
        steps.append(("start", "on_site", {"present": team}, day))
        day = self._next(rng, day, 0, 1)
        found = rng.random() < 0.004
        result = {"results": [{"item": "SP-01-1", "outcome": "pass"}], "clue_to_open": found}
        steps.append(("record_result", "inspected", result, day))
        if life != "finished" and rng.random() < 0.6:
            self._write(out, rng, mid, "inspection", dept, steps, title)
            return
        if rng.random() < 0.3:
            day = self._next(rng, day, 0, 3)
            steps.append(("order_rectification", "rectifying", {"items": ["SP-01-1"]}, day))
            if life != "finished":
                self._write(out, rng, mid, "inspection", dept, steps, title)
                return
            day = self._next(rng, day, 3, 10)
            steps.append(("recheck", "inspected", {"outcome": "rectified"}, day))
        if life != "finished":
            self._write(out, rng, mid, "inspection", dept, steps, title)
            return
        day = self._next(rng, day, 1, 15)
        steps.append(("publish", "published", {"text": "检查合格"}, day))
        self._write(out, rng, mid, "inspection", dept, steps, title)

    def complaint(self, rng: random.Random, out: Batch, mid: int, dept: int) -> None:
        life, day = self._life(rng)
        summary = f"消费者投诉：{rng.choice(SUMMARIES)}（{mid}）"
        steps: list[tuple[str, str, dict[str, Any], date]] = [
            ("open", "received", {"channel": "12315", "summary": summary}, day)
        ]
        if life != "finished" and rng.random() < 0.3:
            self._write(out, rng, mid, "complaint", dept, steps, summary)
            return
        day = self._next(rng, day, 1, 6)
        if life == "finished" and rng.random() < 0.2:
            steps.append(("not_accept", "not_accepted", {"ground": "不属于管辖"}, day))
            self._write(out, rng, mid, "complaint", dept, steps, summary)
            return
        steps.append(("accept", "accepted", {"told_by": "phone"}, day))
        if life != "finished" and rng.random() < 0.5:
            self._write(out, rng, mid, "complaint", dept, steps, summary)
            return
        day = self._next(rng, day, 1, 5)
        steps.append(("start_mediation", "mediating", {"complainant_consents": True}, day))
        if life != "finished":
            self._write(out, rng, mid, "complaint", dept, steps, summary)
            return
        if rng.random() < 0.3:
            day = self._next(rng, day, 1, 5)
            steps.append(("start_testing", "testing", {"kind": "检测", "body": "区检测所"}, day))
            day = self._next(rng, day, 3, 12)
            steps.append(("finish_testing", "mediating", {"result": "合格"}, day))
        day = self._next(rng, day, 5, 40)
        steps.append(("agree", "mediated", {"agreement": "退一赔三"}, day))
        self._write(out, rng, mid, "complaint", dept, steps, summary)


# -- the two databases ---------------------------------------------------------------------------


def sqlite_path(matters: int) -> Path:
    return CACHE / f"desk-{matters}.db"


def postgres_url(admin_url: str, matters: int) -> str:
    name = f"zhifa_bench_desk_{matters}"
    return sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def built_marker(url: str) -> dict[str, Any] | None:
    """The build's description stored in the database, or None when it is not (fully) built."""
    try:
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            value = conn.scalar(sa.text("SELECT value FROM settings WHERE key = 'bench_desk'"))
        engine.dispose()
    except sa.exc.SQLAlchemyError:
        return None
    return json.loads(value) if value else None


class Loader:
    """Writes batches to one database: sqlite3 executemany, or psycopg COPY."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.sqlite = url.startswith("sqlite")
        if self.sqlite:
            path = sa.make_url(url).database
            assert path is not None
            self.conn: Any = sqlite3.connect(path)
            self.conn.execute("PRAGMA synchronous=OFF")
        else:
            import psycopg

            plain = sa.make_url(url).set(drivername="postgresql").render_as_string(False)
            self.conn = psycopg.connect(plain)

    def rows(self, table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        if self.sqlite:
            marks = ",".join("?" * len(columns))
            fixed = [tuple(_sqlite_value(v) for v in r) for r in rows]
            self.conn.executemany(
                f"INSERT INTO {table} ({','.join(columns)}) VALUES ({marks})", fixed
            )
        else:
            sql = f"COPY {table} ({','.join(columns)}) FROM STDIN"
            with self.conn.cursor() as cur, cur.copy(sql) as copy:
                for r in rows:
                    copy.write_row(r)

    def sql(self, text: str, params: tuple[Any, ...] = ()) -> None:
        if self.sqlite:
            self.conn.execute(text, params)
        else:
            self.conn.execute(text.replace("?", "%s"), params)

    def commit(self) -> None:
        self.conn.commit()

    def close(self) -> None:
        self.conn.close()


def _sqlite_value(v: Any) -> Any:
    if isinstance(v, datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, date):
        return v.isoformat()
    return v


def build(urls: list[str], matters: int, log: Callable[[str], None]) -> None:
    """Migrate each database and fill it with the same generated rows."""
    today = SystemClock().now().date()
    defs = {
        d.name: d for d in (load_file(p) for p in builtin_workflow_files()) if d.name in WORKFLOWS
    }
    for url in urls:
        migrate.upgrade(Store(url))
    loaders = [Loader(u) for u in urls]
    now = SystemClock().now().replace(tzinfo=None)
    for ld in loaders:
        for defn in defs.values():
            ld.sql(
                "INSERT INTO workflow_versions (name, version, digest, source, registered_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (defn.name, defn.version, defn.digest, defn.source_text, _sqlite_value(now)),
            )
        for d in range(DEPARTMENTS):
            ld.sql(
                "INSERT INTO departments (code, name, region_code) VALUES (?, ?, ?)",
                (dept_code(d), f"第{d + 1}执法局", "330100"),
            )
        officers = [
            (
                officer_id(d, i),
                f"执法员{d + 1}-{i + 1}",
                dept_code(d),
                "case_handler,head,inspector",
                f"ZF{d:02d}{i:04d}",
                date(2024, 1, 1),
                date(2030, 12, 31),
                "",
                "",
            )
            for d in range(DEPARTMENTS)
            for i in range(OFFICERS_PER_DEPARTMENT)
        ]
        ld.rows(
            "officers",
            [
                "id",
                "name",
                "department_code",
                "roles",
                "certificate_no",
                "certificate_valid_from",
                "certificate_valid_to",
                "specialties",
                "regions",
            ],
            officers,
        )
        gen_entities = max(1, matters // ENTITY_RATIO)
        for start in range(0, gen_entities, 100_000):
            ld.rows(
                "entities",
                [
                    "id",
                    "uscc",
                    "name",
                    "kind",
                    "region_code",
                    "industry",
                    "registered_on",
                    "key_supervision",
                ],
                [
                    (
                        i + 1,
                        uscc(i + 1),
                        entity_name(i + 1),
                        "company",
                        "330106",
                        TRADES[(i + 1) // 8 % 8],
                        date(2015, 1, 1),
                        False,
                    )
                    for i in range(start, min(gen_entities, start + 100_000))
                ],
            )
        ld.commit()
    gen = Generator(matters, today, defs)
    event_id, link_id, started = 1, 1, time.perf_counter()
    events = 0
    for first in range(1, matters + 1, CHUNK):
        batch = gen.batch(first, min(CHUNK, matters + 1 - first), event_id, link_id)
        event_id, link_id = gen._event_id, gen._link_id
        events += len(batch.events)
        for ld in loaders:
            ld.rows("matters", MATTER_COLUMNS, batch.matters)
            ld.rows("events", EVENT_COLUMNS, batch.events)
            ld.rows("clocks", CLOCK_COLUMNS, batch.clocks)
            ld.rows("matter_links", LINK_COLUMNS, batch.links)
            ld.commit()
        done = first + CHUNK - 1
        if done % 100_000 < CHUNK:
            log(
                f"  {min(done, matters):,} matters, {events:,} events ({time.perf_counter() - started:.0f} s)"
            )
    marker = json.dumps(
        {
            "matters": matters,
            "events": events,
            "built_on": today.isoformat(),
            "version": BUILD_VERSION,
        }
    )
    for ld in loaders:
        if not ld.sqlite:
            for table in ("matters", "events", "entities", "matter_links"):
                ld.sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
        ld.sql("INSERT INTO settings (key, value) VALUES ('bench_desk', ?)", (marker,))
        ld.commit()
        if ld.sqlite:
            ld.conn.execute("ANALYZE")
        else:
            ld.conn.autocommit = True
            ld.conn.execute("VACUUM ANALYZE")
        ld.close()


WORKFLOWS = ("clue", "complaint", "inspection", "reporter_notice")


def verify_sample(url: str, size: int = 300) -> int:
    """Recompute the clocks of ``size`` random matters through the engine and compare them with
    the stored rows; returns the number of clocks compared (raises on a difference)."""
    from zhifa import Engine

    engine = Engine(Store(url))
    with engine.store.read() as session:
        top = session.scalar(sa.text("SELECT max(id) FROM matters")) or 0
        rng = random.Random(SEED)
        ids = sorted({rng.randrange(1, top + 1) for _ in range(size)})
        stored = {
            (r.matter_id, r.name): (r.status, r.due_on, r.provisional)
            for r in session.execute(
                sa.text(
                    "SELECT matter_id, name, status, due_on, provisional FROM clocks "
                    "WHERE matter_id IN :ids"
                )
                .bindparams(sa.bindparam("ids", expanding=True))
                .columns(due_on=sa.Date, provisional=sa.Boolean),
                {"ids": ids},
            )
        }
    compared = 0
    for mid in ids:
        built = {k[1]: v for k, v in stored.items() if k[0] == mid}
        for st in engine.clocks(mid):
            if st.status in ("running", "paused") and built.get(st.spec.name) != (
                st.status,
                st.due_on,
                st.provisional,
            ):
                raise SystemExit(
                    f"matter {mid} clock {st.spec.name}: stored {built.get(st.spec.name)}, "
                    f"recomputed {(st.status, st.due_on, st.provisional)}"
                )
            compared += 1
    engine.store.engine.dispose()
    return compared


def ensure_built(urls: list[str], matters: int, rebuild: bool, log: Callable[[str], None]) -> None:
    """Build the databases that are not built yet (all of them with ``rebuild``)."""
    todo = [u for u in urls if rebuild or built_marker(u) is None]
    if not todo:
        return
    for url in todo:
        if url.startswith("sqlite"):
            path = Path(sa.make_url(url).database or "")
            path.parent.mkdir(parents=True, exist_ok=True)
            for extra in ("", "-wal", "-shm"):
                Path(f"{path}{extra}").unlink(missing_ok=True)
        else:
            name = sa.make_url(url).database
            admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
            admin.dispose()
    log(f"building {matters:,} matters in {', '.join(_describe(u) for u in todo)}")
    started = time.perf_counter()
    build(todo, matters, log)
    log(f"built in {time.perf_counter() - started:.0f} s")
    for url in todo:
        log(f"  {_describe(url)}: {verify_sample(url)} sampled clocks recompute to the stored rows")


def _describe(url: str) -> str:
    return "SQLite" if url.startswith("sqlite") else "PostgreSQL"


ADMIN_URL = DEFAULT_POSTGRES_URL


# -- the measurements ----------------------------------------------------------------------------

PLAIN_DUE = """
SELECT c.matter_id, c.name, c.due_on FROM clocks c JOIN matters m ON m.id = c.matter_id
WHERE c.status = 'running' AND c.due_on <= :horizon AND m.department_code = :dept
ORDER BY c.due_on, c.matter_id, c.name LIMIT :limit
"""
SEARCHES = {
    "credit code": "SELECT id, name FROM entities WHERE uscc = :q",
    "entity name": "SELECT id, name FROM entities WHERE name LIKE :q || '%' ORDER BY id LIMIT 50",
    "title text": "SELECT id, title FROM matters WHERE title LIKE '%' || :q || '%' "
    "ORDER BY id DESC LIMIT 50",
}


def rows_of(conn: sa.Connection, sql: str, params: dict[str, Any]) -> list[Any]:
    return list(conn.execute(sa.text(sql), params).all())


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """Median and p95 in ms of ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        gc.collect()
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.95))]


def cli(url: str, *args: str) -> tuple[float, float]:
    """Wall ms and peak RSS (MiB) of one fresh ``zhifa`` process (its own rusage, from wait4)."""
    t = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "zhifa", *args, "--db", url, "--json"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "ZHIFA_DATABASE_URL": url},
    )
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = (time.perf_counter() - t) * 1000
    if proc.returncode != 0:
        raise SystemExit(f"zhifa {' '.join(args)} failed: {err.strip()}")
    return wall, usage.ru_maxrss / 1024


def measure(url: str, repeat: int, log: Callable[[str], None]) -> dict[str, Any]:
    from zhifa import Engine

    name = _describe(url)
    engine = Engine(Store(url))
    today = engine.clock.now().date()
    dept = dept_code(0)
    out: dict[str, Any] = {"database": name, "today": today.isoformat(), "department": dept}
    page = engine.due(department=dept, within=5, limit=50)
    out["due_rows"] = len(page)
    plain_sql = sa.text(PLAIN_DUE)
    params = {"horizon": today + timedelta(days=5), "dept": dept, "limit": 50}
    with engine.store.engine.connect() as conn:
        plain = [tuple(r) for r in conn.execute(plain_sql, params)]
        out["due_ms"] = timed(lambda: engine.due(department=dept, within=5, limit=50), repeat)
        out["plain_ms"] = timed(lambda: conn.execute(plain_sql, params).all(), repeat)
        for label, query in SEARCHES.items():
            q = {
                "credit code": uscc(4242),
                "entity name": entity_name(4242)[:8],
                "title text": "虚假宣传",
            }[label]
            out[f"search {label} ms"] = timed(partial(rows_of, conn, query, {"q": q}), 5)
    mine = [(i.matter.id, i.clock.spec.name, i.clock.due_on) for i in page if not i.follow_up]
    out["same_rows_as_plain"] = (
        mine
        == [(m, n, d if isinstance(d, date) else date.fromisoformat(d)) for m, n, d in plain][
            : len(mine)
        ]
    )
    gc.collect()
    tracemalloc.start()
    engine.due(department=dept, within=5, limit=50)
    out["due_peak_mb"] = tracemalloc.get_traced_memory()[1] / MIB
    tracemalloc.stop()
    t = time.perf_counter()
    engine.refresh_deadlines()
    out["refresh_s"] = time.perf_counter() - t
    # a process that reads one matter: what any `zhifa` command costs before its request
    out["cold_show_ms"], out["cold_show_rss_mb"] = cli(url, "matter", "show", "1")
    out["cold_due_ms"], out["cold_due_rss_mb"] = cli(url, "due", "--dept", dept, "--within", "5")
    out["cold_list_ms"], out["cold_list_rss_mb"] = cli(
        url, "matter", "list", "--due", "--within", "5"
    )
    out["desk"] = desk_pages(url, repeat)
    engine.store.engine.dispose()
    log(json.dumps(out, default=str))
    return out


DESK_PASSWORD = "bench desk password"
DESK_SECRET = "bench-desk-secret"
PLAIN_HOME = """
SELECT m.id, m.title FROM matters m WHERE m.department_code = :dept
AND m.id IN (SELECT e.matter_id FROM events e WHERE e.actor_id = :officer)
ORDER BY m.id DESC LIMIT 26
"""
PLAIN_MATTER = "SELECT e.seq, e.trigger, e.data FROM events e WHERE e.matter_id = :m ORDER BY e.seq"


def give_password(url: str, officer: str) -> None:
    """Give ``officer`` :data:`DESK_PASSWORD`: directly on SQLite (no authentication required),
    as the database owner making them an administrator on PostgreSQL."""
    from zhifa import identity

    store = Store(url)
    if store.dialect == "sqlite":
        identity.set_password(store, officer, DESK_PASSWORD, by=None)
    else:
        identity.bootstrap(store, officer, DESK_PASSWORD)
    store.dispose()


def desk_pages(url: str, repeat: int) -> dict[str, Any]:
    """The desk's pages (GET /, /matters/{id}, /due and /search?q=… for a matter number, an
    entity name, a credit code and a title text) through Starlette's TestClient, logged in as
    an officer of the first department: median and p95 in ms against the plain SQL of each page
    (the rows it shows, read directly), and the peak Python allocation of one request."""
    import re
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
        from starlette.testclient import TestClient

    from zhifa.desk.app import create_app

    dept = dept_code(0)
    officer = officer_id(0, 0)
    give_password(url, officer)
    app = create_app(url, secret=DESK_SECRET)
    client = TestClient(app)
    form = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None, "the login page has no CSRF token"
    answer = client.post(
        "/login",
        data={
            "officer": officer,
            "password": DESK_PASSWORD,
            "next": "/",
            "csrf_token": token.group(1),
        },
        follow_redirects=False,
    )
    if answer.status_code != 303:
        raise SystemExit(f"bench login failed ({answer.status_code}): {answer.text[:300]}")
    engine = sa.create_engine(url)
    today = SystemClock().now().date()
    with engine.connect() as conn:
        matter = conn.scalar(
            sa.text(
                "SELECT e.matter_id FROM events e JOIN matters m ON m.id = e.matter_id "
                "WHERE e.actor_id = :o AND m.department_code = :d ORDER BY e.matter_id DESC "
                "LIMIT 1"
            ),
            {"o": officer, "d": dept},
        )
        title = "虚假宣传"
        pages: dict[str, tuple[str, str, dict[str, Any]]] = {
            "/": (
                "/",
                PLAIN_HOME,
                {"dept": dept, "officer": officer},
            ),
            "/matters/{id}": (f"/matters/{matter}", PLAIN_MATTER, {"m": matter}),
            "/due": (
                "/due?within=5",
                PLAIN_DUE,
                {"horizon": today + timedelta(days=5), "dept": dept, "limit": 25},
            ),
            "/search?q=number": (
                f"/search?q={matter}",
                "SELECT id, title FROM matters WHERE id = :q AND department_code = :dept",
                {"q": matter, "dept": dept},
            ),
            "/search?q=name": (
                f"/search?q={entity_name(4242)[:8]}",
                SEARCHES["entity name"],
                {"q": entity_name(4242)[:8]},
            ),
            "/search?q=credit code": (
                f"/search?q={uscc(4242)}",
                SEARCHES["credit code"],
                {"q": uscc(4242)},
            ),
            "/search?q=title": (f"/search?q={title}", SEARCHES["title text"], {"q": title}),
        }
        out: dict[str, Any] = {}
        for name, (path, plain, params) in pages.items():
            first = client.get(path)
            if first.status_code != 200:
                raise SystemExit(f"GET {path}: {first.status_code} {first.text[:300]}")
            page = timed(partial(client.get, path), repeat)
            sql = timed(partial(rows_of, conn, plain, params), repeat)
            gc.collect()
            tracemalloc.start()
            client.get(path)
            peak = tracemalloc.get_traced_memory()[1] / MIB
            tracemalloc.stop()
            out[name] = {"page_ms": page, "plain_ms": sql, "peak_mb": peak}
    engine.dispose()
    client.close()
    return out


def report(figures: list[dict[str, Any]], matters: int, log: Callable[[str], None]) -> None:
    log("")
    log(f"desk at {matters:,} matters ({platform.python_version()}, {platform.machine()})")
    for f in figures:
        median, p95 = f["due_ms"]
        plain = f["plain_ms"][0]
        ok = "OK" if p95 < TARGET_MS else "MISSED"
        mem = "OK" if f["due_peak_mb"] < TARGET_MB else "MISSED"
        log(
            f"{f['database']:<10} due {median:7.1f} ms (p95 {p95:.1f}; target {TARGET_MS:.0f}: "
            f"{ok}), plain SQL {plain:.2f} ms, ratio {median / plain:.0f}; "
            f"peak {f['due_peak_mb']:.1f} MB (target {TARGET_MB:.0f}: {mem}); "
            f"cold `zhifa due` {f['cold_due_ms']:.0f} ms, RSS {f['cold_due_rss_mb']:.0f} MB "
            f"(`zhifa matter show`: {f['cold_show_ms']:.0f} ms, {f['cold_show_rss_mb']:.0f} MB); "
            f"cold `matter list --due` {f['cold_list_ms']:.0f} ms; refresh {f['refresh_s']:.1f} s; "
            f"same rows as plain: {f['same_rows_as_plain']}"
        )
        for k, v in f.items():
            if k.startswith("search"):
                log(f"{'':<10} {k}: median {v[0]:.2f} ms")
        for page, d in f["desk"].items():
            p95 = d["page_ms"][1]
            ok = "OK" if p95 < DESK_TARGET_MS else "MISSED"
            mem = "OK" if d["peak_mb"] < TARGET_MB else "MISSED"
            log(
                f"{'':<10} GET {page:<22} median {d['page_ms'][0]:6.1f} ms, p95 {p95:6.1f} "
                f"(target {DESK_TARGET_MS:.0f}: {ok}); plain SQL {d['plain_ms'][0]:.2f} ms, "
                f"ratio {d['page_ms'][0] / max(d['plain_ms'][0], 0.01):.0f}; "
                f"peak {d['peak_mb']:.1f} MB ({mem})"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--matters", type=int, default=1_000_000)
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES_URL, help="the server (admin URL)")
    parser.add_argument("--rebuild", action="store_true", help="build the databases again")
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args(argv)
    global ADMIN_URL
    ADMIN_URL = args.postgres

    def log(text: str) -> None:
        print(text, flush=True)

    urls = [f"sqlite:///{sqlite_path(args.matters)}"]
    if not args.sqlite_only:
        urls.append(postgres_url(args.postgres, args.matters))
    ensure_built(urls, args.matters, args.rebuild, log)
    if args.build_only:
        return 0
    load = os.getloadavg()[0]
    figures = [measure(url, args.repeat, log) for url in urls]
    report(figures, args.matters, log)
    log(
        f"load average {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end "
        f"({os.cpu_count()} CPUs; above that, every time is inflated)"
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
