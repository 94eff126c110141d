"""The hook implementations of zhifa-safety (entry point ``safety`` in the ``zhifa`` group).

The data live next to this module: ``violations.yaml`` (the catalogue, in the format read by
:func:`zhifa.load_catalogue`) and ``checklists.yaml`` (one mapping per inspection item
with the fields of :class:`zhifa.ChecklistItem`, read by :func:`zhifa.load_checklist`).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from zhifa import ChecklistItem, Violation, hookimpl, load_catalogue, load_checklist

DISTRIBUTION = "zhifa-safety"
HERE = Path(__file__).parent
VIOLATIONS = HERE / "violations.yaml"
CHECKLISTS = HERE / "checklists.yaml"


@cache
def _violations() -> tuple[Violation, ...]:
    return tuple(load_catalogue(VIOLATIONS, DISTRIBUTION))


@cache
def _checklists() -> tuple[ChecklistItem, ...]:
    return tuple(load_checklist(CHECKLISTS))


@hookimpl
def zhifa_violations() -> list[Violation]:
    """The Work Safety Law catalogue with the bureau's discretion tiers."""
    return list(_violations())


@hookimpl
def zhifa_checklists() -> list[ChecklistItem]:
    """The work-safety inspection items (AQ-…)."""
    return list(_checklists())
