"""random draws: the inspection tasks a draw created, and entities' requests to be inspected

New tables: ``draw_tasks`` (one row per inspection matter a draw created: the draw, the visit
shared by the tasks of one joint visit, the entity, the department and the plan's year; one task per draw, visit and department; the
source of "random inspections this year" in the target directory) and ``inspection_requests``
(an entity's request to be inspected in a year, which lifts the 无事不扰 exemption of its class
for that year). The downgrade drops both.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "draw_tasks",
        sa.Column("matter_id", sa.Integer(), nullable=False),
        sa.Column("draw_id", sa.Integer(), nullable=False),
        sa.Column("visit", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("department_code", sa.String(length=32), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_code"],
            ["departments.code"],
            name=op.f("fk_draw_tasks_department_code_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["draw_id"], ["draws.id"], name=op.f("fk_draw_tasks_draw_id_draws")
        ),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["entities.id"], name=op.f("fk_draw_tasks_entity_id_entities")
        ),
        sa.ForeignKeyConstraint(
            ["matter_id"], ["matters.id"], name=op.f("fk_draw_tasks_matter_id_matters")
        ),
        sa.PrimaryKeyConstraint("matter_id", name=op.f("pk_draw_tasks")),
        sa.UniqueConstraint(
            "draw_id", "visit", "department_code", name=op.f("uq_draw_tasks_draw_id")
        ),
    )
    with op.batch_alter_table("draw_tasks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_draw_tasks_entity_id"), ["entity_id"], unique=False)
    op.create_table(
        "inspection_requests",
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("requested_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["entities.id"], name=op.f("fk_inspection_requests_entity_id_entities")
        ),
        sa.PrimaryKeyConstraint("entity_id", "year", name=op.f("pk_inspection_requests")),
    )


def downgrade() -> None:
    op.drop_table("inspection_requests")
    with op.batch_alter_table("draw_tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_draw_tasks_entity_id"))
    op.drop_table("draw_tasks")
