"""officer history: one row per version of an officer's roles, department and certificate

Accountability reviews judge each past step against the officer's record as it stood when the
step was taken, so every change to an officer is now kept as a version with the time it took
effect (``valid_from``) and what recorded it (``recorded_by``).

Existing databases have no history to recover: the upgrade seeds one version per existing
officer, a copy of the current record, with ``valid_from`` = 0001-01-01 00:00:00 (the earliest
time there is, :data:`zhifa.store.tables.HISTORY_START`) and ``recorded_by`` = "as recorded before zhifa
kept officer history". Steps taken before the upgrade are therefore judged against the only
record known, as they were before. The downgrade drops the history.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

HISTORY_START = datetime(1, 1, 1)
"""``valid_from`` of the seeded versions (kept here: a migration must not change with the code)."""
BEFORE_HISTORY = "as recorded before zhifa kept officer history"


def upgrade() -> None:
    op.create_table(
        "officer_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("officer_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("department_code", sa.String(length=32), nullable=False),
        sa.Column("roles", sa.String(length=200), nullable=False),
        sa.Column("certificate_no", sa.String(length=64), nullable=True),
        sa.Column("certificate_valid_from", sa.Date(), nullable=True),
        sa.Column("certificate_valid_to", sa.Date(), nullable=True),
        sa.Column("valid_from", sa.DateTime(), nullable=False),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["officers.id"], name=op.f("fk_officer_versions_officer_id_officers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_officer_versions")),
    )
    with op.batch_alter_table("officer_versions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_officer_versions_officer_id_valid_from", ["officer_id", "valid_from"], unique=False
        )

    _seed_current_records()


def downgrade() -> None:
    with op.batch_alter_table("officer_versions", schema=None) as batch_op:
        batch_op.drop_index("ix_officer_versions_officer_id_valid_from")

    op.drop_table("officer_versions")


_COPIED = (
    "name",
    "department_code",
    "roles",
    "certificate_no",
    "certificate_valid_from",
    "certificate_valid_to",
)


def _seed_current_records() -> None:
    """One version per existing officer: the current record, in effect since the earliest time."""
    officers = sa.table(
        "officers",
        sa.column("id", sa.String),
        *(sa.column(name) for name in _COPIED),
    )
    versions = sa.table(
        "officer_versions",
        sa.column("officer_id", sa.String),
        *(sa.column(name) for name in _COPIED),
        sa.column("valid_from", sa.DateTime),
        sa.column("recorded_by", sa.Text),
    )
    current = sa.select(
        officers.c.id,
        *(officers.c[name] for name in _COPIED),
        sa.literal(HISTORY_START, sa.DateTime),
        sa.literal(BEFORE_HISTORY, sa.Text),
    ).order_by(officers.c.id)
    op.execute(
        versions.insert().from_select(
            ["officer_id", *_COPIED, "valid_from", "recorded_by"], current
        )
    )
