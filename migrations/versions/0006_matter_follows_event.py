"""a matter row follows its events: state, version and head hash change only with their event

A trigger on ``matters`` refuses an UPDATE that changes ``state``, ``version`` or ``head_hash``
unless the matter has an event with ``seq`` = the new version, ``hash`` = the new head hash and
``to_state`` = the new state, and the new version is not below the old one. So a state change
comes with the event that records it (the engine writes the event first, then the row), and the
row never moves back to an earlier event. Updates that leave the three columns as they are (or
touch only other columns) are not checked. The downgrade drops the trigger.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

FOLLOWS_EVENT = (
    "a matter''s state, version and head hash change only with the event that records the step "
    "(write the event first; a matter never moves back to an earlier event)"
)
"""The refusal, quoted for SQL (``''`` is one apostrophe)."""

TRIGGER = "matters_follow_events"
FUNCTION = "zhifa_matters_follow_events"

_CHANGED = (
    "NEW.state IS NOT OLD.state OR NEW.version IS NOT OLD.version "
    "OR NEW.head_hash IS NOT OLD.head_hash"
)
_CHANGED_PG = (
    "NEW.state IS DISTINCT FROM OLD.state OR NEW.version IS DISTINCT FROM OLD.version "
    "OR NEW.head_hash IS DISTINCT FROM OLD.head_hash"
)
_REFUSED = (
    "NEW.version < OLD.version OR NOT EXISTS (SELECT 1 FROM events WHERE events.matter_id = NEW.id "
    "AND events.seq = NEW.version AND events.hash = NEW.head_hash AND events.to_state = NEW.state)"
)


def upgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        op.execute(
            f"CREATE TRIGGER {TRIGGER} BEFORE UPDATE OF state, version, head_hash ON matters "
            f"FOR EACH ROW WHEN {_CHANGED} "
            f"BEGIN SELECT RAISE(ABORT, '{FOLLOWS_EVENT}') WHERE {_REFUSED}; END"
        )
    else:
        op.execute(
            f"CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN IF {_REFUSED} THEN RAISE EXCEPTION '{FOLLOWS_EVENT}' "
            "USING DETAIL = format('matter %s: version %s -> %s, state %s -> %s', NEW.id, "
            "OLD.version, NEW.version, OLD.state, NEW.state); "
            "END IF; RETURN NEW; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {TRIGGER} BEFORE UPDATE OF state, version, head_hash ON matters "
            f"FOR EACH ROW WHEN ({_CHANGED_PG}) EXECUTE FUNCTION {FUNCTION}()"
        )


def downgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        op.execute(f"DROP TRIGGER IF EXISTS {TRIGGER}")
    else:
        op.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON matters")
        op.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")
