"""random draws: entity and officer columns the draw reads, conflicts, snapshots, plans, draws

Entities gain ``registered_on`` (registration date, nullable) and ``key_supervision`` (重点监管,
default false); officers gain ``specialties`` and ``regions`` (comma-separated codes, default
empty: no specialty, every region). New tables: ``officer_conflicts`` (declared conflicts of
interest, one row per officer and entity), ``snapshots`` (frozen target and inspector
directories, see :mod:`zhifa.inspections` for the content format), ``plans`` (random-inspection plans,
draft or published) and ``draws`` (each draw's inputs and record). The downgrade drops them all.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ADD/DROP COLUMN (no batch copy: SQLite cannot drop a table other tables refer to)
    op.add_column("entities", sa.Column("registered_on", sa.Date(), nullable=True))
    op.add_column(
        "entities",
        sa.Column("key_supervision", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column(
        "officers",
        sa.Column("specialties", sa.String(length=500), server_default="", nullable=False),
    )
    op.add_column(
        "officers", sa.Column("regions", sa.String(length=500), server_default="", nullable=False)
    )
    op.create_table(
        "officer_conflicts",
        sa.Column("officer_id", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("declared_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["entities.id"], name=op.f("fk_officer_conflicts_entity_id_entities")
        ),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["officers.id"], name=op.f("fk_officer_conflicts_officer_id_officers")
        ),
        sa.PrimaryKeyConstraint("officer_id", "entity_id", name=op.f("pk_officer_conflicts")),
    )
    op.create_table(
        "snapshots",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("taken_at", sa.DateTime(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_snapshots")),
    )
    op.create_table(
        "plans",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("plan", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plans")),
    )
    op.create_table(
        "draws",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("target_snapshot_id", sa.Integer(), nullable=False),
        sa.Column("inspector_snapshot_id", sa.Integer(), nullable=False),
        sa.Column("public_value", sa.Text(), nullable=False),
        sa.Column("seed", sa.String(length=64), nullable=False),
        sa.Column("record", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["inspector_snapshot_id"],
            ["snapshots.id"],
            name=op.f("fk_draws_inspector_snapshot_id_snapshots"),
        ),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.id"], name=op.f("fk_draws_plan_id_plans")),
        sa.ForeignKeyConstraint(
            ["target_snapshot_id"],
            ["snapshots.id"],
            name=op.f("fk_draws_target_snapshot_id_snapshots"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_draws")),
    )
    with op.batch_alter_table("draws", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_draws_plan_id"), ["plan_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("draws", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_draws_plan_id"))
    op.drop_table("draws")
    op.drop_table("plans")
    op.drop_table("snapshots")
    op.drop_table("officer_conflicts")
    op.drop_column("officers", "regions")
    op.drop_column("officers", "specialties")
    op.drop_column("entities", "key_supervision")
    op.drop_column("entities", "registered_on")
