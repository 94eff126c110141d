"""random draws: a plan is drawn once; a redraw is its own recorded act

``draws`` gains ``value_published_at`` (when the public value was published; both snapshots must
be older), ``generation`` (1 for a plan's first draw, one more for each redraw), ``replaces`` (the
draw a redraw replaced), ``reason`` and ``approved_by`` (why it was redrawn, and the head of the
plan's lead department who approved it). ``(plan_id, generation)`` and ``replaces`` are unique, so
two draws of one plan cannot both land as its current draw. Draws stored before this revision
that share a plan are chained in the order they were stored: each later one is recorded as
replacing the one before, with the reason ``drawn again before zhifa recorded redraws`` and no
approver; the latest is the plan's current draw. The downgrade drops the columns.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BEFORE_REDRAWS = "drawn again before zhifa recorded redraws"
"""The reason recorded for a draw stored before this revision that repeated a plan's draw."""


def upgrade() -> None:
    # plain ADD COLUMN (no batch copy: SQLite cannot drop a table other tables refer to), so
    # no foreign keys on the new columns either: zhifa checks them when it writes a redraw
    op.add_column("draws", sa.Column("value_published_at", sa.DateTime(), nullable=True))
    op.add_column(
        "draws", sa.Column("generation", sa.Integer(), server_default="1", nullable=False)
    )
    op.add_column(
        "draws",
        sa.Column("replaces", sa.Integer(), nullable=True),
    )
    op.add_column("draws", sa.Column("reason", sa.Text(), nullable=True))
    op.add_column(
        "draws",
        sa.Column("approved_by", sa.String(length=32), nullable=True),
    )
    _chain_existing_draws()
    op.create_index("ix_draws_plan_id_generation", "draws", ["plan_id", "generation"], unique=True)
    op.create_index("ix_draws_replaces", "draws", ["replaces"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_draws_replaces", table_name="draws")
    op.drop_index("ix_draws_plan_id_generation", table_name="draws")
    for column in ("approved_by", "reason", "replaces", "generation", "value_published_at"):
        op.drop_column("draws", column)


def _chain_existing_draws() -> None:
    """Number the draws of each plan in the order stored; each later one replaces the one
    before."""
    draws = sa.table(
        "draws",
        sa.column("id", sa.Integer),
        sa.column("plan_id", sa.Integer),
        sa.column("generation", sa.Integer),
        sa.column("replaces", sa.Integer),
        sa.column("reason", sa.Text),
    )
    earlier = draws.alias("earlier")
    same_plan_before = sa.and_(earlier.c.plan_id == draws.c.plan_id, earlier.c.id < draws.c.id)
    op.execute(
        draws.update().values(
            generation=sa.select(sa.func.count() + 1).where(same_plan_before).scalar_subquery(),
            replaces=sa.select(sa.func.max(earlier.c.id)).where(same_plan_before).scalar_subquery(),
        )
    )
    op.execute(draws.update().where(draws.c.replaces.is_not(None)).values(reason=BEFORE_REDRAWS))
