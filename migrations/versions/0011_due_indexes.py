"""indexes for the due lists: running clocks by stored deadline, follow-ups owed by workflow

``ix_clocks_due`` (status, provisional, due_on, matter_id, name) lets ``zhifa due`` read the
stored running clocks of a window in the list's order, the exact ones and the provisional ones as
two ordered index ranges, and stop after a page; ``ix_matters_id_department`` (id,
department_code) keeps the department's among them without reading the matter rows.
``ix_matters_workflow_department``
(workflow, department_code, id) narrows the matters that may owe a follow-up to one
department's matters of the earlier workflow. ``ix_matters_owes_*`` index the value of a
shipped expectation's selective condition (workflow, value, department_code): an inspection
whose result found a clue (``record_result.clue_to_open``), a real-name report
(``open.real_name``), so the owed follow-ups are read from the few matters that meet it. The
expressions are those ``zhifa.engine.reads.json_value`` writes: ``json_extract(data,
'$."t"."f"')`` on SQLite, ``data -> 't' ->> 'f'`` on PostgreSQL. The downgrade drops them all.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

OWES = {
    "ix_matters_owes_found_clue": ("record_result", "clue_to_open"),
    "ix_matters_owes_real_name": ("open", "real_name"),
}


def where(dialect: str, trigger: str, name: str) -> sa.TextClause:
    if dialect == "sqlite":
        return sa.text(f'json_extract(data, \'$."{trigger}"."{name}"\') = 1')
    return sa.text(f"((data -> '{trigger}') ->> '{name}') = 'true'")


def upgrade() -> None:
    op.create_index(
        "ix_clocks_due", "clocks", ["status", "provisional", "due_on", "matter_id", "name"]
    )
    op.create_index("ix_matters_id_department", "matters", ["id", "department_code"])
    op.create_index(
        "ix_matters_workflow_department", "matters", ["workflow", "department_code", "id"]
    )
    dialect = op.get_bind().dialect.name
    for index, (trigger, name) in OWES.items():
        op.create_index(
            index,
            "matters",
            ["workflow", "department_code", "id"],
            **{f"{dialect}_where": where(dialect, trigger, name)},
        )


def downgrade() -> None:
    for index in reversed(OWES):
        op.drop_index(index, table_name="matters")
    op.drop_index("ix_matters_workflow_department", table_name="matters")
    op.drop_index("ix_matters_id_department", table_name="matters")
    op.drop_index("ix_clocks_due", table_name="clocks")
