"""The plugin manager: the baseline procedure, entry-point plugins and any passed in directly.

Entry points in the ``zhifa`` group are loaded unless ``ZHIFA_DISABLE_PLUGIN_AUTOLOAD`` is set.
zhifa calls each hook implementation itself so that an exception names the plugin that raised.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import entry_points, version
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pluggy

from zhifa.calendar import CalendarAddition, WorkCalendar
from zhifa.errors import DefinitionError, PluginConflict, PluginError
from zhifa.hooks import specs as hookspecs
from zhifa.plugins.config import PluginConfig, load_config
from zhifa.rules import DEFAULT_POLICY, ChecklistItem, SamplingPolicy, Violation

if TYPE_CHECKING:
    from zhifa.hooks.types import Guard, ReportingSink
    from zhifa.workflow.definitions import Definition

BASELINE = "zhifa.baseline"
ALWAYS = frozenset({BASELINE})  # applies to every department whatever the configuration
AUTOLOAD_ENV = "ZHIFA_DISABLE_PLUGIN_AUTOLOAD"


@dataclass(frozen=True, slots=True)
class PluginInfo:
    name: str
    distribution: str
    version: str
    hooks: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "distribution": self.distribution,
            "version": self.version,
            "hooks": list(self.hooks),
        }


class Plugins:
    """The loaded plugins and what they contribute."""

    def __init__(
        self,
        extra: Iterable[object] = (),
        *,
        autoload: bool | None = None,
        config: PluginConfig | None = None,
    ) -> None:
        from zhifa.plugins import baseline

        self.pm = pluggy.PluginManager("zhifa")
        self._sources: dict[tuple[str, int], str] = {}
        self.pm.add_hookspecs(hookspecs)
        self._dists: dict[str, tuple[str, str]] = {}
        self._register(baseline, BASELINE, ("zhifa", version("zhifa")))
        if autoload is None:
            autoload = not os.environ.get(AUTOLOAD_ENV)
        if autoload:
            self._load_entry_points()
        for i, plugin in enumerate(extra):
            name = getattr(plugin, "__name__", None) or f"{type(plugin).__name__}-{i}"
            self._register(plugin, name, ("(passed in)", ""))
        self.config = config if config is not None else load_config()
        dists = {d for d, _ in self._dists.values() if not d.startswith("(")}
        self.config.check_names(set(self._dists) | dists)

    def allows(self, plugin: str, department: str | None) -> bool:
        """Whether ``plugin`` applies to ``department``'s matters (see :mod:`zhifa.plugins.config`); a
        distribution name (``zhifa-market``) in the configuration stands for its plugins."""
        if plugin in ALWAYS:
            return True
        dist = self._dists.get(plugin, ("", ""))[0]
        if self.config.departments.get(department or "", None) is not None:
            choice = self.config.departments[department or ""]
            if choice.enabled is not None:  # either name, the plugin's or its distribution's
                return bool({plugin, dist} & choice.enabled) and not (
                    {plugin, dist} & choice.disabled
                )
        return self.config.allows(plugin, department, ALWAYS) and (
            not dist or self.config.allows(dist, department, ALWAYS)
        )

    def source(self, defn: Definition) -> str:
        """The plugin that ships ``defn`` (after :meth:`definitions`)."""
        return self._sources.get(defn.key, BASELINE)

    def _register(self, plugin: object, name: str, dist: tuple[str, str]) -> None:
        try:
            self.pm.register(plugin, name=name)
        except (ValueError, pluggy.PluginValidationError) as exc:
            raise PluginError(name, "register", exc) from None
        self._dists[name] = dist

    def _load_entry_points(self) -> None:
        for ep in entry_points(group="zhifa"):
            if self.pm.has_plugin(ep.name) or self.pm.is_blocked(ep.name):
                continue
            try:
                plugin = ep.load()
            except Exception as exc:
                raise PluginError(ep.name, "import", exc) from None
            dist = ep.dist
            self._register(
                plugin, ep.name, (dist.name, dist.version) if dist else ("(unknown)", "")
            )

    def call(
        self, hook: str, *, for_department: str | None = None, **kwargs: Any
    ) -> list[tuple[str, Any]]:
        """Call every implementation of ``hook`` (only the plugins ``for_department`` uses, when
        given); an exception becomes :class:`PluginError`."""
        caller = getattr(self.pm.hook, hook)
        results: list[tuple[str, Any]] = []
        for impl in reversed(caller.get_hookimpls()):
            if for_department is not None and not self.allows(impl.plugin_name, for_department):
                continue
            args = {k: kwargs[k] for k in impl.argnames}
            try:
                result = impl.function(**args)
            except Exception as exc:
                raise PluginError(impl.plugin_name, hook, exc) from exc
            if result is not None:
                results.append((impl.plugin_name, result))
        return results

    def listing(self) -> list[PluginInfo]:
        out = []
        for name, plugin in self.pm.list_name_plugin():
            if plugin is None:
                continue
            hooks = tuple(sorted(h.name for h in self.pm.get_hookcallers(plugin) or ()))
            dist, ver = self._dists.get(name, ("", ""))
            out.append(PluginInfo(name, dist, ver, hooks))
        return out

    def definitions(self) -> list[Definition]:
        """Every workflow definition file the plugins ship, validated."""
        from zhifa.workflow.definitions import load_file  # on use: listing plugins stays cheap

        seen: dict[tuple[str, int], tuple[str, Definition]] = {}
        for plugin, paths in self.call("zhifa_workflows"):
            for path in paths:
                defn = load_file(Path(path))
                prior = seen.get(defn.key)
                if prior is not None and prior[1].digest != defn.digest:
                    raise DefinitionError(
                        defn.source_name,
                        "version",
                        f"workflow {defn.name} version {defn.version} is defined differently by "
                        f"plugins {prior[0]!r} and {plugin!r}; one of them must use a new version",
                    )
                seen[defn.key] = (plugin, defn)
        self._sources = {key: plugin for key, (plugin, _) in seen.items()}
        return [d for _, d in seen.values()]

    def guards(self) -> dict[str, tuple[str, Guard]]:
        """Guard name → (plugin name, guard)."""
        out: dict[str, tuple[str, Guard]] = {}
        for plugin, guards in self.call("zhifa_guards"):
            for guard in guards:
                if guard.name in out:
                    raise PluginConflict(plugin, out[guard.name][0], f"guard {guard.name!r}")
                out[guard.name] = (plugin, guard)
        return out

    def sinks(self) -> dict[str, tuple[str, ReportingSink]]:
        out: dict[str, tuple[str, ReportingSink]] = {}
        for plugin, sinks in self.call("zhifa_reporting_sinks"):
            for sink in sinks:
                if sink.name in out:
                    raise PluginConflict(plugin, out[sink.name][0], f"reporting sink {sink.name!r}")
                out[sink.name] = (plugin, sink)
        return out

    def calendar(self) -> WorkCalendar:
        additions: list[CalendarAddition] = []
        for _plugin, items in self.call("zhifa_calendar_additions"):
            additions.extend(items)
        return WorkCalendar(additions)

    def violations(self) -> dict[str, list[Violation]]:
        """Violation code → its catalogue entries (one per period in force), each marked with the
        plugin that declares it; a code declared by two plugins is refused, naming both."""
        out: dict[str, list[Violation]] = {}
        owner: dict[str, str] = {}
        for plugin, entries in self.call("zhifa_violations"):
            for entry in entries:
                v = dataclasses.replace(entry, department=plugin)
                first = owner.setdefault(v.code, plugin)
                if first != plugin:
                    raise PluginConflict(plugin, first, f"violation {v.code!r}")
                out.setdefault(v.code, []).append(v)
        for code, entries in out.items():
            entries.sort(key=lambda v: v.in_force_from)
            for a, b in itertools.pairwise(entries):
                if a.in_force_to is None or a.in_force_to >= b.in_force_from:
                    raise PluginError(
                        owner[code],
                        "zhifa_violations",
                        ValueError(
                            f"violation {code} has entries in force at the same time (from "
                            f"{a.in_force_from} and from {b.in_force_from}); end the earlier one "
                            "the day before the later one begins (in_force_to)"
                        ),
                    )
        return out

    def checklists(self) -> dict[str, ChecklistItem]:
        """Checklist item code → item, marked with its plugin; a code declared twice is refused."""
        out: dict[str, ChecklistItem] = {}
        for plugin, items in self.call("zhifa_checklists"):
            for item in items:
                if item.code in out:
                    raise PluginConflict(
                        plugin, out[item.code].department, f"checklist item {item.code!r}"
                    )
                out[item.code] = dataclasses.replace(item, department=plugin)
        return out

    def sampling_policy(self, department: str) -> SamplingPolicy:
        """The first policy a plugin gives for ``department``, else the documented default."""
        found = self.call("zhifa_sampling_policy", for_department=department, department=department)
        for _plugin, policy in found:
            return cast(SamplingPolicy, policy)
        return DEFAULT_POLICY
