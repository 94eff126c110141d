"""The plugin manager: the baseline procedure, entry-point plugins and any passed in directly.

Entry points in the ``zhifa`` group are loaded unless ``ZHIFA_DISABLE_PLUGIN_AUTOLOAD`` is set.
zhifa calls each hook implementation itself so that an exception names the plugin that raised,
and each call of a step hook within the plugin's time limit (:mod:`zhifa.plugins.isolation`).

**A broken plugin** — its module fails to import, a hook zhifa calls at start
(``zhifa_workflows``, ``zhifa_guards``, ``zhifa_reporting_sinks``, ``zhifa_calendar_additions``,
``zhifa_violations``, ``zhifa_checklists``) raises, or one of its workflow files is malformed or
requires a guard no working plugin provides — is disabled: it contributes nothing, and
:attr:`Plugins.broken` says why. A department that uses it (:mod:`zhifa.plugins.config`) is
refused with :class:`~zhifa.errors.PluginBroken` when it opens or steps a matter, asks for its
catalogue or its sampling policy; the other departments work. When no department is spared (the
configuration leaves the plugin on everywhere, as by default, or it is the baseline) there is no
department to keep working, so zhifa stops at start with the plugin's own error, naming the
plugin, as before. ``zhifa plugins`` lists broken plugins with the reason either way. Two plugins
that register one name are not broken but in conflict: that stays an error at start
(:class:`~zhifa.errors.PluginConflict`).
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib.metadata import entry_points, version
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pluggy

from zhifa.calendar import CalendarAddition, WorkCalendar
from zhifa.errors import DefinitionError, PluginBroken, PluginConflict, PluginError, ZhifaError
from zhifa.hooks import specs as hookspecs
from zhifa.plugins.config import PluginConfig, load_config
from zhifa.plugins.isolation import abandon, run_plugin_code
from zhifa.rules import DEFAULT_POLICY, ChecklistItem, SamplingPolicy, Violation
from zhifa.rules.credit import NATIONAL_SCHEME, CreditScheme
from zhifa.rules.measures import NATIONAL_MEASURES, Measure

if TYPE_CHECKING:
    from zhifa.hooks.types import Guard, ReportingSink, StepContext
    from zhifa.workflow.definitions import Definition

BASELINE = "zhifa.baseline"
ALWAYS = frozenset({BASELINE})  # applies to every department whatever the configuration
AUTOLOAD_ENV = "ZHIFA_DISABLE_PLUGIN_AUTOLOAD"
STEP_HOOKS = frozenset({"zhifa_before_transition", "zhifa_after_transition"})
"""Hooks called inside a step's transaction: each call runs within its plugin's time limit."""


@dataclass(frozen=True, slots=True)
class PluginInfo:
    """A plugin as ``zhifa plugins`` lists it; ``broken`` says why it is disabled (None: it
    works), ``time_limit`` the seconds a call of its guards and step hooks may take (None: none)."""

    name: str
    distribution: str
    version: str
    hooks: tuple[str, ...]
    broken: str | None = None
    time_limit: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "distribution": self.distribution,
            "version": self.version,
            "hooks": list(self.hooks),
            "broken": self.broken,
            "time_limit": self.time_limit,
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
        # plugin → why it is disabled, and the error that says so (see the module's docstring)
        self.broken: dict[str, str] = {}
        self._failures: dict[str, ZhifaError] = {}
        self._strict = True  # stop at a broken plugin no department is spared from
        self._loaded: _Loaded | None = None
        # implementations by hook, department and number of broken plugins; limits by plugin
        self._impls: dict[tuple[str, str | None, int], list[tuple[str, Callable[..., Any]]]] = {}
        self._limits: dict[str, float | None] = {}
        self._register(baseline, BASELINE, ("zhifa", version("zhifa")))
        if autoload is None:
            autoload = not os.environ.get(AUTOLOAD_ENV)
        if autoload:
            self._load_entry_points()
        for i, plugin in enumerate(extra):
            name = getattr(plugin, "__name__", None) or f"{type(plugin).__name__}-{i}"
            self._register(plugin, name, ("(passed in)", ""))
        self.config = config if config is not None else load_config()
        dists = {d for d, _ in self._dists.values() if d and not d.startswith("(")}
        self.config.check_names(set(self._dists) | dists)

    # -- which plugins apply where -----------------------------------------------------------

    def uses(self, plugin: str, department: str | None) -> bool:
        """Whether the configuration has ``department`` use ``plugin`` (broken or not; see
        :mod:`zhifa.plugins.config`); a distribution name (``zhifa-market``) in the configuration
        stands for its plugins."""
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

    def allows(self, plugin: str, department: str | None) -> bool:
        """Whether ``plugin`` applies to ``department``'s matters: the department uses it and it is
        not broken."""
        return plugin not in self.broken and self.uses(plugin, department)

    def spared(self, plugin: str) -> bool:
        """Whether some department does not use ``plugin`` (and keeps working if it breaks)."""
        return plugin not in ALWAYS and any(
            not self.uses(plugin, dept) for dept in self.config.departments
        )

    def require(self, department: str | None) -> None:
        """Refuse ``department`` with :class:`PluginBroken` when it uses a broken plugin."""
        self._load()
        if department is None or not self.broken:
            return
        for plugin in sorted(self.broken):
            if self.uses(plugin, department):
                raise PluginBroken(plugin, self.broken[plugin], department)

    def time_limit(self, plugin: str) -> float | None:
        """The seconds one call of ``plugin``'s guards and step hooks may take (None: no limit);
        see :mod:`zhifa.plugins.config`."""
        if plugin not in self._limits:
            dist = self._dists.get(plugin, ("", ""))[0]
            dist = "" if dist.startswith("(") else dist
            self._limits[plugin] = self.config.time_limit(plugin, dist, ALWAYS)
        return self._limits[plugin]

    def source(self, defn: Definition) -> str:
        """The plugin that ships ``defn`` (after :meth:`definitions`)."""
        return self._sources.get(defn.key, BASELINE)

    # -- broken plugins ----------------------------------------------------------------------

    def broke(self, plugin: str, error: ZhifaError, reason: str) -> None:
        """Disable ``plugin`` because of ``error`` (``reason`` says it in a few words). When no
        department is spared from it, raise ``error`` instead, naming the plugin."""
        self.broken.setdefault(plugin, reason)
        self._failures.setdefault(plugin, error)
        if self._strict and not self.spared(plugin):
            raise _named(plugin, self._failures[plugin])

    def check(self) -> dict[str, str]:
        """Call every hook zhifa calls at start, without stopping at a broken plugin (two plugins
        in conflict still stop it); the broken plugins, each with why (``zhifa plugins``)."""
        strict, self._strict = self._strict, False
        try:
            self.definitions()
            self.guards()
            self.sinks()
            self.calendar()
            self.violations()
            self.checklists()
        finally:
            self._strict = strict
        return dict(self.broken)

    def _register(self, plugin: object, name: str, dist: tuple[str, str]) -> None:
        try:
            self.pm.register(plugin, name=name)
        except (ValueError, pluggy.PluginValidationError) as exc:
            raise PluginError(name, "register", exc) from None
        self._dists[name] = dist

    def _load_entry_points(self) -> None:
        for ep in entry_points(group="zhifa"):
            if self.pm.has_plugin(ep.name) or self.pm.is_blocked(ep.name) or ep.name in self.broken:
                continue
            dist = (ep.dist.name, ep.dist.version) if ep.dist else ("(unknown)", "")
            try:
                self._register(ep.load(), ep.name, dist)
            except PluginError as exc:
                self._dists[ep.name] = dist
                self.broken[ep.name] = f"it cannot be registered: {exc.cause}"
                self._failures[ep.name] = exc
            except Exception as exc:
                self._dists[ep.name] = dist
                self.broken[ep.name] = f"it fails to import: {type(exc).__name__}: {exc}"
                self._failures[ep.name] = PluginError(ep.name, "import", exc)

    # -- calls -------------------------------------------------------------------------------

    def implementations(
        self, hook: str, for_department: str | None = None
    ) -> list[tuple[str, Callable[..., Any]]]:
        """(plugin, function) for every working implementation of ``hook`` in call order (only
        of the plugins ``for_department`` uses, when given: :class:`PluginBroken` if one of them
        is broken); each function takes the hook's arguments by name and passes on those its
        implementation names."""
        if for_department is not None:
            self.require(for_department)
        key = (hook, for_department, len(self.broken))
        found = self._impls.get(key)
        if found is None:
            found = []
            for impl in reversed(getattr(self.pm.hook, hook).get_hookimpls()):
                if impl.plugin_name in self.broken:
                    continue
                if for_department is not None and not self.uses(impl.plugin_name, for_department):
                    continue
                found.append((impl.plugin_name, _taking(impl.function, tuple(impl.argnames))))
            if len(self._impls) < 4096:  # hooks × departments: a cache, never a leak
                self._impls[key] = found
        return list(found)

    def call(
        self, hook: str, *, for_department: str | None = None, **kwargs: Any
    ) -> list[tuple[str, Any]]:
        """Call every implementation of ``hook`` (only the plugins ``for_department`` uses, when
        given); an exception becomes :class:`PluginError`. A step hook runs within its plugin's
        time limit: one that overruns it discards the step's connection (``ctx``) and is
        :class:`~zhifa.errors.PluginTimeout`."""
        ctx: StepContext | None = kwargs.get("ctx")

        def release() -> None:
            if ctx is not None:
                abandon(ctx.transaction.connection)

        results: list[tuple[str, Any]] = []
        for plugin, function in self.implementations(hook, for_department):
            run = functools.partial(function, **kwargs)
            if hook in STEP_HOOKS:
                result = run_plugin_code(
                    plugin,
                    hook,
                    run,
                    limit=self.time_limit(plugin),
                    read_only=hook == "zhifa_before_transition",
                    on_timeout=release,
                )
            else:
                try:
                    result = run()
                except Exception as exc:
                    raise PluginError(plugin, hook, exc) from exc
            if result is not None:
                results.append((plugin, result))
        return results

    def listing(self) -> list[PluginInfo]:
        """Every plugin, the broken ones too (after :meth:`check`, also those whose hooks fail)."""
        out = []
        names = [name for name, plugin in self.pm.list_name_plugin() if plugin is not None]
        for name in [*names, *sorted(set(self.broken) - set(names))]:
            plugin = self.pm.get_plugin(name)
            callers = self.pm.get_hookcallers(plugin) if plugin is not None else None
            hooks = tuple(sorted(h.name for h in callers or ()))
            dist, ver = self._dists.get(name, ("", ""))
            limit = self.time_limit(name)
            out.append(PluginInfo(name, dist, ver, hooks, self.broken.get(name), limit))
        return out

    # -- what they contribute at start ---------------------------------------------------------

    def _collect(self, hook: str) -> list[tuple[str, list[Any]]]:
        """Each working plugin's answer to a hook called at start, as a list; a plugin whose hook
        raises is broken."""
        answers: list[tuple[str, list[Any]]] = []
        for plugin, function in self.implementations(hook):
            try:
                answer = function()
                answers.append((plugin, [] if answer is None else list(answer)))
            except Exception as exc:
                reason = f"its hook {hook} raised {type(exc).__name__}: {exc}"
                self.broke(plugin, PluginError(plugin, hook, exc), reason)
        return answers

    def _each(self, hook: str, use: Callable[[str, list[Any]], None]) -> None:
        """``use(plugin, items)`` for each working plugin's answer to ``hook``, after the
        workflows and guards loaded; what a plugin hands back that cannot be used (not a
        conflict with another plugin) breaks it."""
        self._load()
        for plugin, items in self._collect(hook):
            try:
                use(plugin, items)
            except ZhifaError:
                raise
            except Exception as exc:
                reason = f"its hook {hook} returned what zhifa cannot use: {exc}"
                self.broke(plugin, PluginError(plugin, hook, exc), reason)

    def _load(self) -> _Loaded:
        """Every working plugin's workflow definitions and guards, loaded once. A plugin that
        failed to import, whose hook raises, whose workflow file is malformed or requires a guard
        no working plugin provides is broken."""
        if self._loaded is not None:
            return self._loaded
        for plugin in sorted(self._failures):  # those that failed to import
            if self._strict and not self.spared(plugin):
                raise _named(plugin, self._failures[plugin])
        from zhifa.workflow.definitions import load_file  # on use: listing plugins stays cheap

        definitions: list[tuple[str, Definition]] = []
        for plugin, paths in self._collect("zhifa_workflows"):
            try:
                definitions += [(plugin, load_file(Path(path))) for path in paths]
            except ZhifaError as exc:
                self.broke(plugin, exc, f"a workflow file it ships is malformed: {exc.message}")
            except Exception as exc:
                reason = f"its hook zhifa_workflows returned what is not a file: {exc}"
                self.broke(plugin, PluginError(plugin, "zhifa_workflows", exc), reason)
        guards = self._collect("zhifa_guards")
        for plugin, found in guards:
            bad = [g for g in found if not isinstance(getattr(g, "name", None), str)]
            if bad:
                reason = f"its hook zhifa_guards returned {bad[0]!r}, not a Guard"
                self.broke(plugin, PluginError(plugin, "zhifa_guards", TypeError(reason)), reason)
        while True:  # a definition needs guards of working plugins; breaking one may break more
            provided = {g.name for p, found in guards if p not in self.broken for g in found}
            missing = [
                (plugin, defn, problem)
                for plugin, defn in definitions
                if plugin not in self.broken and (problem := _missing_guard(defn, provided))
            ]
            for plugin, _defn, problem in missing:
                self.broke(plugin, problem, f"a workflow file it ships is malformed: {problem}")
            if not missing:
                break
        self._loaded = _Loaded(
            [(p, d) for p, d in definitions if p not in self.broken],
            [(p, g) for p, g in guards if p not in self.broken],
        )
        return self._loaded

    def definitions(self) -> list[Definition]:
        """Every workflow definition file the working plugins ship, validated."""
        seen: dict[tuple[str, int], tuple[str, Definition]] = {}
        for plugin, defn in self._load().definitions:
            if plugin in self.broken:
                continue
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
        for plugin, guards in self._load().guards:
            if plugin in self.broken:
                continue
            for guard in guards:
                if guard.name in out:
                    raise PluginConflict(plugin, out[guard.name][0], f"guard {guard.name!r}")
                out[guard.name] = (plugin, guard)
        return out

    def sinks(self) -> dict[str, tuple[str, ReportingSink]]:
        out: dict[str, tuple[str, ReportingSink]] = {}

        def use(plugin: str, sinks: list[ReportingSink]) -> None:
            names = [str(sink.name) for sink in sinks]
            for name, sink in zip(names, sinks, strict=True):
                if name in out:
                    raise PluginConflict(plugin, out[name][0], f"reporting sink {name!r}")
                out[name] = (plugin, sink)

        self._each("zhifa_reporting_sinks", use)
        return out

    def calendar(self) -> WorkCalendar:
        additions: list[CalendarAddition] = []

        def use(_plugin: str, items: list[CalendarAddition]) -> None:
            if not all(isinstance(i, CalendarAddition) for i in items):
                raise TypeError("each addition must be a zhifa.CalendarAddition")
            additions.extend(items)

        self._each("zhifa_calendar_additions", use)
        return WorkCalendar(additions)

    def violations(self) -> dict[str, list[Violation]]:
        """Violation code → its catalogue entries (one per period in force), each marked with the
        plugin that declares it; a code declared by two plugins is refused, naming both, and a
        plugin whose entries of one code overlap in time is broken."""
        out: dict[str, list[Violation]] = {}
        owner: dict[str, str] = {}

        def use(plugin: str, entries: list[Violation]) -> None:
            mine = [dataclasses.replace(entry, department=plugin) for entry in entries]
            for v in mine:
                first = owner.setdefault(v.code, plugin)
                if first != plugin:
                    raise PluginConflict(plugin, first, f"violation {v.code!r}")
            for v in mine:
                out.setdefault(v.code, []).append(v)

        self._each("zhifa_violations", use)
        for code, entries in list(out.items()):
            problem = _overlap(code, entries)
            if problem is not None:
                error = PluginError(owner[code], "zhifa_violations", ValueError(problem))
                self.broke(owner[code], error, f"its catalogue is inconsistent: {problem}")
        return {
            code: kept
            for code, entries in out.items()
            if (kept := [v for v in entries if v.department not in self.broken])
        }

    def checklists(self) -> dict[str, ChecklistItem]:
        """Checklist item code → item, marked with its plugin; a code declared twice is refused."""
        out: dict[str, ChecklistItem] = {}

        def use(plugin: str, items: list[ChecklistItem]) -> None:
            for item in items:
                if item.code in out:
                    raise PluginConflict(
                        plugin, out[item.code].department, f"checklist item {item.code!r}"
                    )
                out[item.code] = dataclasses.replace(item, department=plugin)

        self._each("zhifa_checklists", use)
        return {code: item for code, item in out.items() if item.department not in self.broken}

    def sampling_policy(self, department: str) -> SamplingPolicy:
        """The first policy a plugin gives for ``department``, else the documented default."""
        found = self.call("zhifa_sampling_policy", for_department=department, department=department)
        for _plugin, policy in found:
            return cast(SamplingPolicy, policy)
        return DEFAULT_POLICY

    def credit_scheme(self, department: str | None = None) -> CreditScheme:
        """The first credit scheme a plugin gives for ``department``, else the national one
        (also when no department is named)."""
        if department is None:
            return NATIONAL_SCHEME
        found = self.call("zhifa_credit_scheme", for_department=department, department=department)
        return next((_scheme(p, s) for p, s in found), NATIONAL_SCHEME)

    def credit_measures(self, department: str | None = None) -> tuple[Measure, ...]:
        """The joint measures of every plugin ``department`` uses, the baseline's national ones
        among them (only those when no department is named): :func:`_measures`."""
        if department is None:
            return tuple(NATIONAL_MEASURES)
        found = self.call("zhifa_credit_measures", for_department=department, department=department)
        return _measures(found)


def _overlap(code: str, entries: list[Violation]) -> str | None:
    """Sort ``entries`` (one violation code's) by start; the fault of two in force at once."""
    entries.sort(key=lambda v: v.in_force_from)
    for a, b in itertools.pairwise(entries):
        if a.in_force_to is None or a.in_force_to >= b.in_force_from:
            return (
                f"violation {code} has entries in force at the same time (from "
                f"{a.in_force_from} and from {b.in_force_from}); end the earlier one "
                "the day before the later one begins (in_force_to)"
            )
    return None


def _measures(found: list[tuple[str, Any]]) -> tuple[Measure, ...]:
    """The measures each plugin returned, in order; a code two plugins declare is refused, naming
    both, and a plugin returning something other than measures is named."""
    out: list[Measure] = []
    owner: dict[str, str] = {}
    for plugin, value in found:
        if value is None:
            continue
        if not isinstance(value, Sequence) or not all(isinstance(m, Measure) for m in value):
            cause = TypeError(f"returned {type(value).__name__}, not a list of zhifa.Measure")
            raise PluginError(plugin, "zhifa_credit_measures", cause)
        for m in value:
            first = owner.setdefault(m.code, plugin)
            if first != plugin:
                raise PluginConflict(plugin, first, f"joint measure {m.code!r}")
            out.append(m)
    return tuple(out)


def _scheme(plugin: str, value: object) -> CreditScheme:
    """``value``, which ``plugin`` returned from ``zhifa_credit_scheme``, if it is a scheme."""
    if not isinstance(value, CreditScheme):
        kind = type(value).__name__
        cause = TypeError(f"returned {kind}, not a zhifa.rules.credit.CreditScheme")
        raise PluginError(plugin, "zhifa_credit_scheme", cause)
    return value


@dataclass(frozen=True, slots=True)
class _Loaded:
    """What the working plugins contribute first: their definitions and their guards."""

    definitions: list[tuple[str, Definition]]
    guards: list[tuple[str, list[Guard]]]


def _taking(function: Callable[..., Any], argnames: tuple[str, ...]) -> Callable[..., Any]:
    """``function`` called with the arguments it names, of those given by name."""

    def call(**kwargs: Any) -> Any:
        return function(**{name: kwargs[name] for name in argnames})

    return call


def _missing_guard(defn: Definition, provided: set[str]) -> DefinitionError | None:
    """The fault of ``defn`` requiring a guard that is not in ``provided``, if any."""
    from zhifa.workflow.definitions import OPEN

    for step in (defn.open, *defn.triggers.values()):
        for ref in step.guards:
            if ref.name not in provided:
                path = "open" if step.name == OPEN else f"triggers.{step.name}"
                return DefinitionError(
                    defn.source_name,
                    f"{path}.guards",
                    f"guard {ref.name!r} is not provided by any loaded plugin "
                    f"(known: {', '.join(sorted(provided))})",
                )
    return None


def _named(plugin: str, error: ZhifaError) -> ZhifaError:
    """``error`` with its message naming ``plugin`` and what turning it off would do."""
    if f"{plugin!r}" in error.message:
        return error
    error.message = (
        f"{error.message} (in plugin {plugin!r}: fix it, or turn it off in zhifa.toml for the "
        "departments that do not need it, and they work without it)"
    )
    error.args = (error.message,)
    return error
