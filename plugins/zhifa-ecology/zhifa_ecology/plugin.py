"""The hooks of the ecology and environment plugin (entry point ``ecology`` in the ``zhifa`` group).

The catalogue is ``violations.yaml`` (the format of :func:`zhifa.load_catalogue`); the
checklist is ``checklists.yaml``, a list of mappings with the fields of
:class:`zhifa.ChecklistItem`, read by :func:`zhifa.load_checklist`.
"""

from __future__ import annotations

from pathlib import Path

from zhifa import ChecklistItem, Violation, hookimpl, load_catalogue, load_checklist
from zhifa_ecology import DEPARTMENT

HERE = Path(__file__).parent
VIOLATIONS = HERE / "violations.yaml"
CHECKLISTS = HERE / "checklists.yaml"


@hookimpl
def zhifa_violations() -> list[Violation]:
    return load_catalogue(VIOLATIONS, DEPARTMENT)


@hookimpl
def zhifa_checklists() -> list[ChecklistItem]:
    return load_checklist(CHECKLISTS, DEPARTMENT)
