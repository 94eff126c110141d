"""Inspection checklists (检查事项清单): the items a department's plugin declares, and the one
loader every plugin uses for its checklist file.

A checklist file is YAML in one of two shapes:

* a list of items, each a mapping with ``code``, ``name``, ``basis`` and optionally ``method``,
  ``kind`` and ``scope``::

      - code: AQ-1.1
        name: 全员安全生产责任制已建立
        basis: 安全生产法 第二十二条
        method: documentary
        kind: general
        scope: general_industry

* or, when the plugin passes ``scopes``, a mapping from scope to such a list (the items then take
  their scope from the key, and an unknown scope is refused)::

      catering:
        - {code: CY-1, name: 持有效食品经营许可证, basis: 食品安全法 第三十五条, kind: key}

Every fault names the file, the item (index and code) and what is wrong.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from zhifa.errors import CatalogueError

METHODS = ("on_site", "documentary", "online")  # 现场检查 / 书面检查 / 网络检查
ITEM_KINDS = ("general", "key")  # 一般项目 / 重点项目
ITEM_KEYS = ("code", "name", "basis", "method", "kind", "scope")
"""The keys an item of a checklist file may have."""


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    """One inspection item of a department's checklist (检查事项).

    ``scope`` names the kind of business it applies to (e.g. ``food_production``,
    ``food_sales``, ``catering``); ``kind`` is a general item or a key item (重点项目, which the
    random-inspection rules never cap).
    """

    code: str
    name: str
    basis: str
    method: str = "on_site"
    kind: str = "general"
    scope: str = ""
    department: str = ""  # the plugin that declares it (filled at load)

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise CatalogueError(
                f"checklist item {self.code}: method {self.method!r} is not one of "
                f"{', '.join(METHODS)}"
            )
        if self.kind not in ITEM_KINDS:
            raise CatalogueError(
                f"checklist item {self.code}: kind {self.kind!r} is not one of "
                f"{', '.join(ITEM_KINDS)}"
            )
        if not self.code or not self.name or not self.basis:
            raise CatalogueError(
                f"checklist item {self.code or '?'}: code, name and basis are all needed"
            )


def load_checklist(
    path: Path, department: str = "", *, scopes: Iterable[str] | None = None
) -> list[ChecklistItem]:
    """Read a checklist YAML file: a list of items, or with ``scopes`` a mapping scope → items.

    ``department`` marks every item with the plugin that declares it (left empty, the plugin
    manager fills in the plugin's name). Raises :class:`~zhifa.errors.CatalogueError` naming the
    file, the item and the fault.
    """
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogueError(f"cannot read the checklists in {path}: {exc}") from None
    if scopes is None:
        if not isinstance(raw, list):
            raise CatalogueError(f"{path}: a checklist is a list of items")
        return [_item(entry, f"{path}[{i}]", department, "") for i, entry in enumerate(raw)]
    allowed = tuple(scopes)
    if not isinstance(raw, Mapping):
        raise CatalogueError(f"{path}: checklists are a mapping of scope → list of items")
    unknown = sorted(set(map(str, raw)) - set(allowed))
    if unknown:
        raise CatalogueError(
            f"{path}: unknown scope {', '.join(unknown)}; the scopes are {', '.join(allowed)}"
        )
    items: list[ChecklistItem] = []
    for scope, entries in raw.items():
        if not isinstance(entries, list):
            raise CatalogueError(f"{path}: {scope} is a list of items")
        items.extend(
            _item(entry, f"{path}:{scope}[{i}]", department, str(scope))
            for i, entry in enumerate(entries)
        )
    return items


def _item(raw: Any, where: str, department: str, scope: str) -> ChecklistItem:
    if not isinstance(raw, Mapping):
        raise CatalogueError(f"{where}: an item is a mapping with code, name and basis")
    here = f"{where} ({raw['code']})" if raw.get("code") else where
    keys = set(ITEM_KEYS) - ({"scope"} if scope else set())
    unknown = sorted(set(map(str, raw)) - keys)
    if unknown:
        raise CatalogueError(f"{here}: unknown key {', '.join(unknown)}")
    missing = [k for k in ("code", "name", "basis") if not raw.get(k)]
    if missing:
        raise CatalogueError(
            f"{here}: {', '.join(missing)} missing (code, name and basis are all needed)"
        )
    values = {k: str(v) for k, v in raw.items() if v is not None}
    if scope:
        values["scope"] = scope
    try:
        return ChecklistItem(**values, department=department)
    except CatalogueError as exc:
        raise CatalogueError(f"{here}: {exc.message}") from None
