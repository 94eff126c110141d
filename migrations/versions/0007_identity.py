"""identity: credentials, the access log, store settings; who and how on every event and draw

``credentials`` holds each officer's password (argon2 hash), the sessions a password login opens
and personal API tokens (SHA-256 of the secret part), each with its expiry and revocation.
``access_log`` records logins, failed logins, lockouts, token use and every administrative act;
like ``events`` it is append-only (triggers refuse UPDATE and DELETE). ``settings`` holds the
store's switches (``auth``: whether an SQLite store requires authentication; PostgreSQL always
does). ``events.auth`` and ``draws.auth`` say how the acting officer was authenticated
(``login#ID``, ``token#ID`` or ``none``; NULL on rows written before this revision) and
``draws.drawn_by`` who drew. The downgrade drops them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

APPEND_ONLY = "the access log is append-only: its entries cannot be changed or deleted"


def upgrade() -> None:
    op.create_table(
        "credentials",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "officer_id",
            sa.String(length=32),
            sa.ForeignKey("officers.id", name="fk_credentials_officer_id_officers"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("secret_hash", sa.Text(), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_by", sa.String(length=32), nullable=True),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_credentials"),
    )
    op.create_index("ix_credentials_officer_id", "credentials", ["officer_id", "kind"])
    op.create_table(
        "access_log",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("what", sa.String(length=32), nullable=False),
        sa.Column("officer_id", sa.String(length=32), nullable=True),
        sa.Column("by", sa.String(length=32), nullable=True),
        sa.Column("credential_id", sa.Integer(), nullable=True),
        sa.Column("auth", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False, server_default=""),
        sa.PrimaryKeyConstraint("id", name="pk_access_log"),
    )
    op.create_index("ix_access_log_officer_id_at", "access_log", ["officer_id", "at"])
    op.create_table(
        "settings",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_settings"),
    )
    op.add_column("events", sa.Column("auth", sa.String(length=40), nullable=True))
    op.add_column("draws", sa.Column("drawn_by", sa.String(length=32), nullable=True))
    op.add_column("draws", sa.Column("auth", sa.String(length=40), nullable=True))
    _make_access_log_append_only()


def downgrade() -> None:
    _drop_access_log_append_only()
    for table, column in (("draws", "auth"), ("draws", "drawn_by"), ("events", "auth")):
        op.drop_column(table, column)
    op.drop_table("settings")
    op.drop_index("ix_access_log_officer_id_at", table_name="access_log")
    op.drop_table("access_log")
    op.drop_index("ix_credentials_officer_id", table_name="credentials")
    op.drop_table("credentials")


def _make_access_log_append_only() -> None:
    if op.get_context().dialect.name == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER access_log_no_{action.lower()} BEFORE {action} ON access_log "
                f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
            )
    else:
        op.execute(
            "CREATE FUNCTION zhifa_access_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE ON access_log "
            "FOR EACH ROW EXECUTE FUNCTION zhifa_access_log_append_only()"
        )
        op.execute(
            "CREATE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON access_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION zhifa_access_log_append_only()"
        )


def _drop_access_log_append_only() -> None:
    if op.get_context().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS access_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS access_log_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS access_log_no_truncate ON access_log")
        op.execute("DROP TRIGGER IF EXISTS access_log_append_only ON access_log")
        op.execute("DROP FUNCTION IF EXISTS zhifa_access_log_append_only()")
