"""The engine's tables and SQL: the table handles, the statements of the hot path (built once),
id allocation for bulk inserts, the clock upsert, and what turns rows into
:class:`~zhifa.hooks.types.MatterView` s, :class:`~zhifa.hooks.types.EventRecord` s and steps."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import CursorResult

from zhifa.hooks.types import EventRecord, MatterView
from zhifa.store.tables import Clock as ClockRow
from zhifa.store.tables import (
    Department,
    Entity,
    Event,
    Matter,
    MatterLink,
    Officer,
    OutboxMessage,
)
from zhifa.workflow.deadlines import Step

MATTERS = cast(sa.Table, Matter.__table__)
EVENTS = cast(sa.Table, Event.__table__)
CLOCKS = cast(sa.Table, ClockRow.__table__)
OUTBOX = cast(sa.Table, OutboxMessage.__table__)
OFFICERS = cast(sa.Table, Officer.__table__)
LINKS = cast(sa.Table, MatterLink.__table__)
DEPARTMENTS = cast(sa.Table, Department.__table__)
ENTITIES = cast(sa.Table, Entity.__table__)
FOLLOWS = "follows"  # the kind of link from a matter to one opened from it
BULK_CHUNK = 5000  # ids in one IN (...) list of a bulk read

# The statements of the hot path, built once: constructing a statement costs more than running it
# from SQLAlchemy's compiled cache.
SELECT_MATTER = sa.select(MATTERS).where(MATTERS.c.id == sa.bindparam("z_id"))
SELECT_OFFICER = sa.select(OFFICERS).where(OFFICERS.c.id == sa.bindparam("z_id"))
# A step reads the matter and the acting officer in one round trip; the officer's columns are
# NULL when no such officer exists.
_ACTOR_COLUMNS = ("id", "name", "department_code", "roles", "certificate_no")
SELECT_MATTER_AND_ACTOR = (
    sa.select(
        MATTERS,
        *(OFFICERS.c[c].label(f"actor_{c}") for c in _ACTOR_COLUMNS),
        OFFICERS.c.certificate_valid_from.label("actor_certificate_valid_from"),
        OFFICERS.c.certificate_valid_to.label("actor_certificate_valid_to"),
    )
    .select_from(MATTERS.outerjoin(OFFICERS, OFFICERS.c.id == sa.bindparam("z_actor")))
    .where(MATTERS.c.id == sa.bindparam("z_id"))
)
# What an outbox message adds to its matter: the department's name, the entity's code and name (NULL
# for a matter without an entity).
SELECT_SINK_NAMES = (
    sa.select(
        DEPARTMENTS.c.name.label("department_name"),
        ENTITIES.c.uscc.label("entity_uscc"),
        ENTITIES.c.name.label("entity_name"),
    )
    .select_from(DEPARTMENTS.outerjoin(ENTITIES, ENTITIES.c.id == sa.bindparam("z_entity")))
    .where(DEPARTMENTS.c.code == sa.bindparam("z_dept"))
)
# ``occurred_at`` comes back as the driver gives it: SQLite's ISO text is parsed by
# ``datetime.fromisoformat`` (C), far cheaper per row than the generic SQLite DateTime processor.
# ``data`` is the event's canonical JSON text, parsed once per row for the step's ``data``.
SELECT_STEPS = (
    sa.select(
        sa.type_coerce(EVENTS.c.occurred_at, sa.String).label("occurred_at"),
        EVENTS.c.trigger,
        EVENTS.c.to_state,
        EVENTS.c.data,
    )
    .where(EVENTS.c.matter_id == sa.bindparam("z_id"))
    .order_by(EVENTS.c.seq)
)
INSERT_EVENT = sa.insert(EVENTS)
UPDATE_MATTER = (
    sa.update(MATTERS)
    .where(MATTERS.c.id == sa.bindparam("z_id"), MATTERS.c.version == sa.bindparam("z_version"))
    .values(
        state=sa.bindparam("z_state"),
        data=sa.bindparam("z_data", type_=MATTERS.c.data.type),
        version=sa.bindparam("z_new_version"),
        head_hash=sa.bindparam("z_hash"),
        updated_at=sa.bindparam("z_updated_at", type_=MATTERS.c.updated_at.type),
    )
)
UPDATE_OPENED = (
    sa.update(MATTERS)
    .where(MATTERS.c.id == sa.bindparam("z_id"), MATTERS.c.version == sa.bindparam("z_version"))
    .values(
        version=sa.bindparam("z_new_version"),
        head_hash=sa.bindparam("z_hash"),
        updated_at=sa.bindparam("z_updated_at", type_=MATTERS.c.updated_at.type),
    )
)


def allocate_ids(conn: sa.Connection, table: sa.Table, count: int) -> list[int]:
    """``count`` new ids of ``table`` (integer primary key ``id``) for a bulk insert in this
    transaction: on PostgreSQL drawn from the column's sequence; on SQLite the ids after the
    largest, which no other writer can take while this transaction holds the write lock
    (``BEGIN IMMEDIATE``)."""
    if conn.dialect.name == "postgresql":
        return list(
            conn.scalars(
                sa.text(
                    "SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"
                ),
                {"t": table.name, "n": count},
            )
        )
    start = conn.scalar(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0))) or 0
    return list(range(start + 1, start + 1 + count))


@functools.cache
def upsert_clocks(dialect: str) -> sa.Executable:
    """INSERT … ON CONFLICT (matter, clock) DO UPDATE, for SQLite and PostgreSQL."""
    insert = sqlite_insert(CLOCKS) if dialect == "sqlite" else pg_insert(CLOCKS)
    kept = ("status", "started_on", "due_on", "stopped_on", "provisional", "paused_days")
    return insert.on_conflict_do_update(
        index_elements=[CLOCKS.c.matter_id, CLOCKS.c.name],
        set_={name: insert.excluded[name] for name in (*kept, "extensions")},
    )


class Written:
    """The parts of a cursor result an INSERT or UPDATE needs."""

    __slots__ = ("inserted_primary_key_id", "rowcount")

    def __init__(self, result: CursorResult[Any]) -> None:
        self.rowcount = result.rowcount
        key = result.inserted_primary_key if result.context.isinsert else None
        self.inserted_primary_key_id: int = int(key[0]) if key is not None else 0


def run_write(
    conn: sa.Connection, statement: sa.Executable, params: Mapping[str, Any] | None = None
) -> Written:
    """Execute an INSERT or UPDATE; keep its row count and key."""
    return Written(cast(CursorResult[Any], conn.execute(statement, params)))


def matter_view(row: Any) -> MatterView:
    """A ``matters`` row as the engine hands it out."""
    return MatterView(
        id=row.id,
        workflow=row.workflow,
        workflow_version=row.workflow_version,
        state=row.state,
        version=row.version,
        department=row.department_code,
        entity_id=row.entity_id,
        title=row.title,
        data=row.data,
        opened_at=row.opened_at,
        updated_at=row.updated_at,
        head_hash=row.head_hash,
    )


def event_record(row: Any, workflow: str) -> EventRecord:
    """An ``events`` row of a ``workflow`` matter as the engine hands it out."""
    return EventRecord(
        id=row.id,
        matter_id=row.matter_id,
        workflow=workflow,
        seq=row.seq,
        trigger=row.trigger,
        from_state=row.from_state,
        to_state=row.to_state,
        actor_id=row.actor_id,
        occurred_at=row.occurred_at,
        recorded_at=row.recorded_at,
        data=json.loads(row.data),
        evidence=json.loads(row.evidence),
        prev_hash=row.prev_hash,
        hash=row.hash,
        auth=row.auth,
    )


def timed_steps(conn: sa.Connection, matter_id: int) -> list[tuple[Step, datetime]]:
    """The matter's steps, oldest first, each with its data and the moment it happened."""
    out = []
    loads = json.loads
    for raw, trigger, to_state, data in conn.execute(SELECT_STEPS, {"z_id": matter_id}):
        at = raw if isinstance(raw, datetime) else datetime.fromisoformat(raw)
        out.append((Step(at.date(), trigger, to_state, MappingProxyType(loads(data))), at))
    return out


def matter_steps(conn: sa.Connection, matter_id: int) -> list[Step]:
    """The matter's steps, oldest first, as the clocks see them."""
    return [s for s, _ in timed_steps(conn, matter_id)]
