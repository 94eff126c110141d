"""initial schema: reference data, workflows, matters, the append-only event record, clocks, outbox

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "departments",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_departments")),
    )
    op.create_table(
        "entities",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=50), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("industry", sa.String(length=100), nullable=False),
        sa.Column("credit_class", sa.String(length=8), nullable=True),
        sa.Column("risk_level", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entities")),
        sa.UniqueConstraint("uscc", name=op.f("uq_entities_uscc")),
    )
    with op.batch_alter_table("entities", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_entities_region_code"), ["region_code"], unique=False)

    op.create_table(
        "workflow_versions",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("registered_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", "version", name=op.f("pk_workflow_versions")),
    )
    op.create_table(
        "matters",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("workflow", sa.String(length=64), nullable=False),
        sa.Column("workflow_version", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("department_code", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_code"],
            ["departments.code"],
            name=op.f("fk_matters_department_code_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["entities.id"], name=op.f("fk_matters_entity_id_entities")
        ),
        sa.ForeignKeyConstraint(
            ["workflow", "workflow_version"],
            ["workflow_versions.name", "workflow_versions.version"],
            name=op.f("fk_matters_workflow_workflow_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_matters")),
    )
    with op.batch_alter_table("matters", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_matters_department_code"), ["department_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_matters_entity_id"), ["entity_id"], unique=False)
        batch_op.create_index("ix_matters_workflow_state", ["workflow", "state"], unique=False)

    op.create_table(
        "officers",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("department_code", sa.String(length=32), nullable=False),
        sa.Column("roles", sa.String(length=200), nullable=False),
        sa.Column("certificate_no", sa.String(length=64), nullable=True),
        sa.Column("certificate_valid_from", sa.Date(), nullable=True),
        sa.Column("certificate_valid_to", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["department_code"],
            ["departments.code"],
            name=op.f("fk_officers_department_code_departments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_officers")),
    )
    with op.batch_alter_table("officers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_officers_department_code"), ["department_code"], unique=False
        )

    op.create_table(
        "clocks",
        sa.Column("matter_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("stopped_on", sa.Date(), nullable=True),
        sa.Column("provisional", sa.Boolean(), nullable=False),
        sa.Column("paused_days", sa.Integer(), nullable=False),
        sa.Column("extensions", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["matter_id"], ["matters.id"], name=op.f("fk_clocks_matter_id_matters")
        ),
        sa.PrimaryKeyConstraint("matter_id", "name", name=op.f("pk_clocks")),
    )
    with op.batch_alter_table("clocks", schema=None) as batch_op:
        batch_op.create_index("ix_clocks_status_due_on", ["status", "due_on"], unique=False)

    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("matter_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(length=64), nullable=False),
        sa.Column("from_state", sa.String(length=64), nullable=True),
        sa.Column("to_state", sa.String(length=64), nullable=False),
        sa.Column("actor_id", sa.String(length=32), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["officers.id"], name=op.f("fk_events_actor_id_officers")
        ),
        sa.ForeignKeyConstraint(
            ["matter_id"], ["matters.id"], name=op.f("fk_events_matter_id_matters")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("matter_id", "seq", name=op.f("uq_events_matter_id")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_events_actor_id"), ["actor_id"], unique=False)

    op.create_table(
        "matter_links",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"], ["matters.id"], name=op.f("fk_matter_links_source_id_matters")
        ),
        sa.ForeignKeyConstraint(
            ["target_id"], ["matters.id"], name=op.f("fk_matter_links_target_id_matters")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_matter_links")),
        sa.UniqueConstraint(
            "source_id", "target_id", "kind", name=op.f("uq_matter_links_source_id")
        ),
    )
    with op.batch_alter_table("matter_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_matter_links_source_id"), ["source_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_matter_links_target_id"), ["target_id"], unique=False)

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("sink", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_outbox_event_id_events")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("event_id", "sink", name=op.f("uq_outbox_event_id")),
        sa.UniqueConstraint("key", name=op.f("uq_outbox_key")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_pending", ["delivered_at", "next_attempt_at"], unique=False
        )

    _make_events_append_only()


def downgrade() -> None:
    _drop_events_append_only()
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_pending")

    op.drop_table("outbox")
    with op.batch_alter_table("matter_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_matter_links_target_id"))
        batch_op.drop_index(batch_op.f("ix_matter_links_source_id"))

    op.drop_table("matter_links")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_actor_id"))

    op.drop_table("events")
    with op.batch_alter_table("clocks", schema=None) as batch_op:
        batch_op.drop_index("ix_clocks_status_due_on")

    op.drop_table("clocks")
    with op.batch_alter_table("officers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_officers_department_code"))

    op.drop_table("officers")
    with op.batch_alter_table("matters", schema=None) as batch_op:
        batch_op.drop_index("ix_matters_workflow_state")
        batch_op.drop_index(batch_op.f("ix_matters_entity_id"))
        batch_op.drop_index(batch_op.f("ix_matters_department_code"))

    op.drop_table("matters")
    op.drop_table("workflow_versions")
    with op.batch_alter_table("entities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_entities_region_code"))

    op.drop_table("entities")
    op.drop_table("departments")


APPEND_ONLY = "events are append-only: the record of a matter cannot be changed or deleted"


def _make_events_append_only() -> None:
    """The database itself refuses UPDATE and DELETE on events (全过程记录)."""
    if op.get_context().dialect.name == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER events_no_{action.lower()} BEFORE {action} ON events "
                f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
            )
    else:
        op.execute(
            "CREATE FUNCTION zhifa_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events "
            "FOR EACH ROW EXECUTE FUNCTION zhifa_events_append_only()"
        )
        op.execute(
            "CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events "
            "FOR EACH STATEMENT EXECUTE FUNCTION zhifa_events_append_only()"
        )


def _drop_events_append_only() -> None:
    if op.get_context().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS events_no_update")
        op.execute("DROP TRIGGER IF EXISTS events_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS events_no_truncate ON events")
        op.execute("DROP TRIGGER IF EXISTS events_append_only ON events")
        op.execute("DROP FUNCTION IF EXISTS zhifa_events_append_only()")
