"""Which plugins each department uses: ``zhifa.toml`` (or the file ``$ZHIFA_CONFIG`` names).

By default every loaded plugin applies to every department. A department may switch plugins off
(``disabled``) or name the only ones it uses (``enabled``); the national baseline always applies::

    [departments.HZXH]          # 西湖区市场监督管理局
    disabled = ["safety"]       # plugin names as `zhifa plugins` lists them

    [departments.HZAJ]          # 西湖区应急管理局
    enabled = ["safety"]

A plugin a department does not use contributes nothing to that department's matters: its
workflows cannot be opened there, its before/after hooks and reporting sinks are not called for
them, its violation catalogue and sampling policy are not offered. A plugin that fails to load is
disabled, and a department that uses it is refused (see :mod:`zhifa.plugins.manager`): switching
the plugin off for a department here lets that department work again.

Each call of a plugin's guard or step hook (``zhifa_before_transition``,
``zhifa_after_transition``) runs within the plugin's time limit, in seconds
(:data:`DEFAULT_TIME_LIMIT`, 2 s, unless ``time_limits`` says otherwise; ``"*"`` sets it for
every plugin the table does not name). The national baseline ships with zhifa and runs without a
limit, in the calling thread, unless the table names it::

    [time_limits]
    market = 0.5                # a plugin or distribution name
    "*" = 5                     # every other plugin
    "zhifa.baseline" = 10       # the baseline too
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zhifa.errors import InputError

CONFIG_ENV = "ZHIFA_CONFIG"
DEFAULT_FILE = "zhifa.toml"
DEFAULT_TIME_LIMIT = 2.0
"""Seconds one call of a plugin's guard or step hook may take unless ``time_limits`` says otherwise."""
EVERY_PLUGIN = "*"
"""The ``time_limits`` key for every plugin the table does not name."""


@dataclass(frozen=True, slots=True)
class DepartmentPlugins:
    enabled: frozenset[str] | None = None  # None: every plugin not disabled
    disabled: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class PluginConfig:
    """Per-department plugin choices; ``source`` is the file they came from (or empty)."""

    departments: Mapping[str, DepartmentPlugins] = field(default_factory=dict)
    source: str = ""
    # seconds per call of a plugin's guard or step hook, by plugin or distribution name or "*"
    time_limits: Mapping[str, float] = field(default_factory=dict)

    def time_limit(self, plugin: str, distribution: str, always: frozenset[str]) -> float | None:
        """The seconds one call of ``plugin``'s guards and step hooks may take; None: no limit
        (the plugins in ``always``, unless the table names them)."""
        for name in (plugin, distribution):
            if name and name in self.time_limits:
                return self.time_limits[name]
        if plugin in always:
            return None
        return self.time_limits.get(EVERY_PLUGIN, DEFAULT_TIME_LIMIT)

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
        unknown = sorted(set(self.time_limits) - known - {EVERY_PLUGIN})
        if unknown:
            raise InputError(
                f"{self.source}: [time_limits] names plugin {', '.join(unknown)}, which is not "
                f"loaded (loaded: {', '.join(sorted(known))}); see `zhifa plugins`"
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


def parse_time_limits(raw: Any, source: str) -> dict[str, float]:
    """The ``[time_limits]`` table: plugin name (or ``"*"``) → seconds, a positive number."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise InputError(f'{source}: [time_limits] must be a table such as market = 0.5, "*" = 2')
    limits: dict[str, float] = {}
    for name, value in raw.items():
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not 0 < value < math.inf
        ):
            raise InputError(
                f"{source}: [time_limits] {name} = {value!r} is not a number of seconds above "
                "zero, e.g. 0.5"
            )
        limits[str(name)] = float(value)
    return limits


def parse_config(raw: Mapping[str, Any], source: str) -> PluginConfig:
    unknown = sorted(set(raw) - {"departments", "time_limits"})
    if unknown:
        raise InputError(
            f"{source}: unknown section {', '.join(unknown)}; known: departments, time_limits"
        )
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
    return PluginConfig(departments, source, parse_time_limits(raw.get("time_limits"), source))
