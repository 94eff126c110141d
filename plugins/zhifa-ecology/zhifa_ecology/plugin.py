"""The hooks of the ecology and environment plugin (entry point ``ecology`` in the ``zhifa`` group).

The catalogue is ``violations.yaml`` (the format of :func:`zhifa.rules.load_catalogue`); the
checklist is ``checklists.yaml``, a list of mappings with the fields of
:class:`zhifa.rules.ChecklistItem`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from zhifa import hookimpl
from zhifa.rules import CatalogueError, ChecklistItem, Violation, load_catalogue
from zhifa_ecology import DEPARTMENT

HERE = Path(__file__).parent
VIOLATIONS = HERE / "violations.yaml"
CHECKLISTS = HERE / "checklists.yaml"
_ITEM_FIELDS = ("code", "name", "basis", "method", "kind", "scope")


@hookimpl
def zhifa_violations() -> list[Violation]:
    return load_catalogue(VIOLATIONS, DEPARTMENT)


@hookimpl
def zhifa_checklists() -> list[ChecklistItem]:
    return load_checklist(CHECKLISTS)


def load_checklist(path: Path) -> list[ChecklistItem]:
    """Read a checklist YAML file; errors name the file, the item and the fault."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogueError(f"cannot read the checklist {path}: {exc}") from None
    if not isinstance(raw, list):
        raise CatalogueError(f"{path}: a checklist is a list of items")
    return [_item(entry, f"{path}[{i}]") for i, entry in enumerate(raw)]


def _item(raw: Any, where: str) -> ChecklistItem:
    if not isinstance(raw, Mapping):
        raise CatalogueError(f"{where}: an item is a mapping with code, name and basis")
    unknown = sorted(set(raw) - set(_ITEM_FIELDS))
    if unknown:
        raise CatalogueError(f"{where}: unknown key {', '.join(map(str, unknown))}")
    missing = [k for k in ("code", "name", "basis") if not raw.get(k)]
    if missing:
        code = f" ({raw['code']})" if raw.get("code") else ""
        raise CatalogueError(f"{where}{code}: {', '.join(missing)} missing")
    try:
        return ChecklistItem(**{k: str(v) for k, v in raw.items()}, department=DEPARTMENT)
    except CatalogueError as exc:
        raise CatalogueError(f"{where}: {exc.message}") from None
