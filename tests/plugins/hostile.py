"""Plugins that run a given function where zhifa runs plugin code in a step — to play the
attacker (a guard that writes, hangs or forges effects) or a plugin that declares effects — and
plugins that are broken at load.

The function a test gives is called with the step's context and returns what the hook returns
(reasons, or None).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from zhifa import hookimpl
from zhifa.hooks.types import EventRecord, Guard, StepContext
from zhifa.rules import Violation

Act = Callable[[StepContext], Any]

PROBE_WORKFLOW = """
name: probe
version: 1
label: {zh: 探测, en: Probe}
initial: drafted
states:
  drafted: {zh: 已起草, en: Drafted}
  checked: {zh: 已核查, en: Checked, terminal: true}
open:
  label: {zh: 起草, en: Draft}
  roles: [case_handler, head]
triggers:
  check:
    label: {zh: 核查, en: Check}
    from: drafted
    to: checked
    roles: [case_handler, head]
    guards: [probe_guard]
"""


class GuardedBy:
    """Ships the ``probe`` workflow, whose ``check`` step requires the guard ``probe_guard``,
    which runs ``act`` (written to ``folder / "probe.yaml"``)."""

    def __init__(self, folder: Path, act: Act, name: str = "hostile") -> None:
        self.__name__ = name
        self.act = act
        self.path = folder / "probe.yaml"
        self.path.write_text(PROBE_WORKFLOW, "utf-8")

    @hookimpl
    def zhifa_workflows(self) -> list[Path]:
        return [self.path]

    @hookimpl
    def zhifa_guards(self) -> list[Guard]:
        def probe_guard(ctx: StepContext, **_: Any) -> Any:
            return self.act(ctx)

        return [Guard("probe_guard", probe_guard, "whatever the test makes it do")]


class Before:
    """``zhifa_before_transition`` runs ``act`` for every step."""

    def __init__(self, act: Act, name: str = "before") -> None:
        self.__name__ = name
        self.act = act

    @hookimpl
    def zhifa_before_transition(self, ctx: StepContext) -> Iterable[str] | None:
        result: Iterable[str] | None = self.act(ctx)
        return result


class After:
    """``zhifa_after_transition`` runs ``act`` for every step."""

    def __init__(self, act: Act, name: str = "after") -> None:
        self.__name__ = name
        self.act = act

    @hookimpl
    def zhifa_after_transition(self, ctx: StepContext, event: EventRecord) -> None:
        self.act(ctx)


class FailingCatalogue:
    """A plugin whose ``zhifa_violations`` raises when zhifa loads it."""

    def __init__(self, name: str = "failing-catalogue") -> None:
        self.__name__ = name

    @hookimpl
    def zhifa_violations(self) -> Iterable[Violation]:
        raise OSError("violations.yaml: no such file")


class FakeEntryPoint:
    """An entry point of the ``zhifa`` group that loads ``plugin`` (or raises ``error``)."""

    dist = None

    def __init__(self, name: str, plugin: object = None, error: Exception | None = None) -> None:
        self.name, self.plugin, self.error = name, plugin, error

    def load(self) -> object:
        if self.error is not None:
            raise self.error
        return self.plugin
