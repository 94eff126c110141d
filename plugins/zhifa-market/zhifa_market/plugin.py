"""The market-regulation plugin's hooks: its violation catalogue and its inspection checklists.

Both live as data next to this module: ``violations.yaml`` in the format of
:func:`zhifa.rules.load_catalogue`, ``checklists.yaml`` as items grouped by the kind of
business they apply to (``food_production``, ``food_sales``, ``catering``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from zhifa import hookimpl
from zhifa.rules import CatalogueError, ChecklistItem, Violation, load_catalogue

NAME = "zhifa-market"
HERE = Path(__file__).parent
VIOLATIONS = HERE / "violations.yaml"
CHECKLISTS = HERE / "checklists.yaml"
SCOPES = ("food_production", "food_sales", "catering")
ITEM_KEYS = {"code", "name", "basis", "method", "kind"}


def load_checklists(path: Path = CHECKLISTS) -> list[ChecklistItem]:
    """The checklist items of ``path``; a fault names the file, the item and what is wrong."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogueError(f"cannot read the checklists {path}: {exc}") from None
    if not isinstance(raw, Mapping):
        raise CatalogueError(f"{path}: checklists are a mapping of scope → list of items")
    unknown = sorted(set(raw) - set(SCOPES))
    if unknown:
        raise CatalogueError(
            f"{path}: unknown scope {', '.join(map(str, unknown))}; the scopes are "
            f"{', '.join(SCOPES)}"
        )
    items: list[ChecklistItem] = []
    for scope, entries in raw.items():
        if not isinstance(entries, list):
            raise CatalogueError(f"{path}: {scope} is a list of items")
        items.extend(_item(entry, f"{path}:{scope}[{i}]", scope) for i, entry in enumerate(entries))
    return items


def _item(raw: Any, where: str, scope: str) -> ChecklistItem:
    if not isinstance(raw, Mapping):
        raise CatalogueError(f"{where}: an item is a mapping with code, name, basis, method, kind")
    here = f"{where} ({raw['code']})" if raw.get("code") else where
    unknown = sorted(set(raw) - ITEM_KEYS)
    if unknown:
        raise CatalogueError(f"{here}: unknown key {', '.join(map(str, unknown))}")
    try:
        return ChecklistItem(
            code=str(raw.get("code") or ""),
            name=str(raw.get("name") or ""),
            basis=str(raw.get("basis") or ""),
            method=str(raw.get("method", "on_site")),
            kind=str(raw.get("kind", "general")),
            scope=scope,
            department=NAME,
        )
    except CatalogueError as exc:
        raise CatalogueError(f"{here}: {exc.message}") from None


@hookimpl
def zhifa_violations() -> list[Violation]:
    """The bureau's food-safety violation catalogue (食品安全法, 2021 text) with its benchmarks."""
    return load_catalogue(VIOLATIONS, NAME)


@hookimpl
def zhifa_checklists() -> list[ChecklistItem]:
    """Food production, food sales and catering inspection items."""
    return load_checklists()
