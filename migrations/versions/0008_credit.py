"""credit: the entity's credit file and its computed classes

``credit_records`` holds the dated facts of each entity's credit file (一户一档): those derived
from events (``event_id`` set, unique: one record per event at most) and those imported from
another body (``source`` named, ``reference`` its own number, unique per source).
``credit_classes`` keeps every classification: class, score, the scheme and its version, the
reasons, as of which day. The downgrade drops both.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "credit_records",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("flags", sa.String(length=200), server_default=",", nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("matter_id", sa.Integer(), nullable=True),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("details", sa.Text(), server_default="{}", nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["entities.id"], name="fk_credit_records_entity_id_entities"
        ),
        sa.ForeignKeyConstraint(
            ["matter_id"], ["matters.id"], name="fk_credit_records_matter_id_matters"
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name="fk_credit_records_event_id_events"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_credit_records"),
        sa.UniqueConstraint("event_id", name="uq_credit_records_event_id"),
        sa.UniqueConstraint("source", "reference", name="uq_credit_records_source"),
    )
    op.create_index("ix_credit_records_entity_id", "credit_records", ["entity_id", "on"])
    op.create_index("ix_credit_records_kind", "credit_records", ["kind", "on"])
    # a record ended by a later record of its matter (a listing by its removal) is found by it
    op.create_index("ix_credit_records_matter_id", "credit_records", ["matter_id", "kind", "on"])
    op.create_table(
        "credit_classes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("credit_class", sa.String(length=2), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("scheme", sa.String(length=64), nullable=False),
        sa.Column("scheme_version", sa.String(length=32), nullable=False),
        sa.Column("department_code", sa.String(length=32), server_default="", nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["entities.id"], name="fk_credit_classes_entity_id_entities"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_credit_classes"),
        sa.UniqueConstraint(
            "entity_id", "as_of", "scheme", "department_code", name="uq_credit_classes_entity_id"
        ),
    )
    op.create_index(
        "ix_credit_classes_as_of", "credit_classes", ["as_of", "scheme", "department_code"]
    )


def downgrade() -> None:
    op.drop_index("ix_credit_classes_as_of", table_name="credit_classes")
    op.drop_table("credit_classes")
    op.drop_index("ix_credit_records_matter_id", table_name="credit_records")
    op.drop_index("ix_credit_records_kind", table_name="credit_records")
    op.drop_index("ix_credit_records_entity_id", table_name="credit_records")
    op.drop_table("credit_records")
