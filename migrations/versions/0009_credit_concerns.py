"""credit records that concern another: objections (异议) and repairs of one record

``credit_records.concerns`` is the id of the record an objection or a record's repair is about,
set on the record of the matter's opening (the objection received, the repair applied for); the
outcome records of the same matter (upheld, rejected, repaired, revoked) are found through their
matter. The index answers "is this record corrected or repaired" in one probe. A plain integer
(SQLite adds no foreign key with a column). The downgrade drops both.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("credit_records", sa.Column("concerns", sa.Integer(), nullable=True))
    op.create_index("ix_credit_records_concerns", "credit_records", ["concerns", "kind"])


def downgrade() -> None:
    op.drop_index("ix_credit_records_concerns", table_name="credit_records")
    with op.batch_alter_table("credit_records") as batch:
        batch.drop_column("concerns")
