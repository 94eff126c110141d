"""Which plugins each department uses: ``zhifa.toml`` (or the file ``$ZHIFA_CONFIG`` names).

By default every loaded plugin applies to every department. A department may switch plugins off
(``disabled``) or name the only ones it uses (``enabled``); the national baseline always applies::

    [departments.HZXH]          # 西湖区市场监督管理局
    disabled = ["safety"]       # plugin names as `zhifa plugins` lists them

    [departments.HZAJ]          # 西湖区应急管理局
    enabled = ["safety"]

A plugin a department does not use contributes nothing to that department's matters: its
workflows cannot be opened there, its before/after hooks and reporting sinks are not called for
them, its violation catalogue and sampling policy are not offered.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zhifa.errors import InputError

CONFIG_ENV = "ZHIFA_CONFIG"
DEFAULT_FILE = "zhifa.toml"


@dataclass(frozen=True, slots=True)
class DepartmentPlugins:
    enabled: frozenset[str] | None = None  # None: every plugin not disabled
    disabled: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class PluginConfig:
    """Per-department plugin choices; ``source`` is the file they came from (or empty)."""

    departments: Mapping[str, DepartmentPlugins] = field(default_factory=dict)
    source: str = ""

    def allows(self, plugin: str, department: str | None, always: frozenset[str]) -> bool:
        """Whether ``plugin`` applies to ``department`` (plugins in ``always`` always do)."""
        if plugin in always or department is None:
            return True
        choice = self.departments.get(department)
        if choice is None:
            return True
        if choice.enabled is not None and plugin not in choice.enabled:
            return False
        return plugin not in choice.disabled

    def check_names(self, known: set[str]) -> None:
        """Every plugin the file names is loaded (a typo would silently change nothing)."""
        for dept, choice in self.departments.items():
            named = (choice.enabled or frozenset()) | choice.disabled
            unknown = sorted(named - known)
            if unknown:
                raise InputError(
                    f"{self.source}: department {dept} names plugin {', '.join(unknown)}, which is "
                    f"not loaded (loaded: {', '.join(sorted(known))}); see `zhifa plugins`"
                )


def load_config(path: Path | None = None) -> PluginConfig:
    """Read the configuration: ``path``, else ``$ZHIFA_CONFIG``, else ``zhifa.toml`` here if any."""
    if path is None:
        env = os.environ.get(CONFIG_ENV)
        path = Path(env) if env else Path(DEFAULT_FILE)
        if not env and not path.exists():
            return PluginConfig()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read the configuration {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path} is not valid TOML: {exc}") from None
    return parse_config(raw, str(path))


def parse_config(raw: Mapping[str, Any], source: str) -> PluginConfig:
    unknown = sorted(set(raw) - {"departments"})
    if unknown:
        raise InputError(f"{source}: unknown section {', '.join(unknown)}; known: departments")
    departments: dict[str, DepartmentPlugins] = {}
    for dept, spec in (raw.get("departments") or {}).items():
        where = f"{source}: [departments.{dept}]"
        if not isinstance(spec, Mapping):
            raise InputError(f"{where} must be a table with enabled or disabled")
        extra = sorted(set(spec) - {"enabled", "disabled"})
        if extra:
            raise InputError(f"{where}: unknown key {', '.join(extra)}; use enabled or disabled")
        lists = {}
        for key in ("enabled", "disabled"):
            value = spec.get(key)
            if value is not None and (
                not isinstance(value, list) or not all(isinstance(v, str) for v in value)
            ):
                raise InputError(f'{where}: {key} must be a list of plugin names, e.g. ["safety"]')
            lists[key] = value
        if lists["enabled"] is not None and lists["disabled"]:
            raise InputError(f"{where}: give enabled or disabled, not both")
        departments[str(dept)] = DepartmentPlugins(
            enabled=frozenset(lists["enabled"]) if lists["enabled"] is not None else None,
            disabled=frozenset(lists["disabled"] or ()),
        )
    return PluginConfig(departments, source)
