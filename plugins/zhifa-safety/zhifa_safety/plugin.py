"""The hook implementations of zhifa-safety (entry point ``safety`` in the ``zhifa`` group).

The data live next to this module: ``violations.yaml`` (the catalogue, in the format read by
:func:`zhifa.rules.load_catalogue`) and ``checklists.yaml`` (one mapping per inspection item
with the fields of :class:`zhifa.rules.ChecklistItem`).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from zhifa import hookimpl
from zhifa.rules import CatalogueError, ChecklistItem, Violation, load_catalogue

DISTRIBUTION = "zhifa-safety"
HERE = Path(__file__).parent
VIOLATIONS = HERE / "violations.yaml"
CHECKLISTS = HERE / "checklists.yaml"
ITEM_KEYS = frozenset({"code", "name", "basis", "method", "kind", "scope"})


@cache
def _violations() -> tuple[Violation, ...]:
    return tuple(load_catalogue(VIOLATIONS, DISTRIBUTION))


@cache
def _checklists() -> tuple[ChecklistItem, ...]:
    return tuple(load_checklists(CHECKLISTS))


def load_checklists(path: Path) -> list[ChecklistItem]:
    """Read a checklist YAML file (a list of items); errors name the file, the item and the fault."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogueError(f"cannot read the checklist {path}: {exc}") from None
    if not isinstance(raw, list):
        raise CatalogueError(f"{path}: a checklist is a list of items")
    items: list[ChecklistItem] = []
    for i, entry in enumerate(raw):
        where = f"{path}[{i}]"
        if not isinstance(entry, Mapping):
            raise CatalogueError(f"{where}: an item is a mapping with code, name and basis")
        unknown = sorted(set(entry) - ITEM_KEYS)
        if unknown:
            raise CatalogueError(f"{where} ({entry.get('code')}): unknown key {', '.join(unknown)}")
        fields: dict[str, Any] = {k: str(v) for k, v in entry.items() if v is not None}
        try:
            items.append(ChecklistItem(**fields))
        except TypeError:
            raise CatalogueError(f"{where}: code, name and basis are all needed") from None
    return items


@hookimpl
def zhifa_violations() -> list[Violation]:
    """The Work Safety Law catalogue with the bureau's discretion tiers."""
    return list(_violations())


@hookimpl
def zhifa_checklists() -> list[ChecklistItem]:
    """The work-safety inspection items (AQ-…)."""
    return list(_checklists())
