"""the desk: enforcement documents and their numbers, the evidence store's files, receipts

``document_numbers`` holds the last 文号 given per department, year and kind (taken with a row
lock in the issuing step's transaction); ``documents`` registers each issued document with the
SHA-256 of its bytes; ``evidence_blobs`` lists the files of the content-addressed evidence store;
``receipts`` maps the hash of a public complaint's receipt code to the clue it opened. The
downgrade drops all four.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "document_numbers",
        sa.Column("department_code", sa.String(length=32), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_code"],
            ["departments.code"],
            name=op.f("fk_document_numbers_department_code_departments"),
        ),
        sa.PrimaryKeyConstraint(
            "department_code", "year", "kind", name=op.f("pk_document_numbers")
        ),
    )
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("matter_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("department_code", sa.String(length=32), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=True),
        sa.Column("number", sa.String(length=100), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["matter_id"], ["matters.id"], name=op.f("fk_documents_matter_id_matters")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_documents_event_id_events")
        ),
        sa.ForeignKeyConstraint(
            ["department_code"],
            ["departments.code"],
            name=op.f("fk_documents_department_code_departments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint(
            "department_code", "year", "kind", "seq", name=op.f("uq_documents_department_code")
        ),
        sa.UniqueConstraint("number", name=op.f("uq_documents_number")),
    )
    op.create_index("ix_documents_matter_id", "documents", ["matter_id", "kind"])
    op.create_table(
        "evidence_blobs",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("stored_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_evidence_blobs")),
    )
    op.create_table(
        "receipts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("matter_id", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["matter_id"], ["matters.id"], name=op.f("fk_receipts_matter_id_matters")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receipts")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_receipts_code_hash")),
        sa.UniqueConstraint("matter_id", name=op.f("uq_receipts_matter_id")),
    )


def downgrade() -> None:
    op.drop_table("receipts")
    op.drop_table("evidence_blobs")
    op.drop_index("ix_documents_matter_id", table_name="documents")
    op.drop_table("documents")
    op.drop_table("document_numbers")
