"""Import paths that moved when zhifa's flat modules became packages (0.2), kept for one release.

``import zhifa.catalogue`` still works and gives the module's new home (``zhifa.rules``: the same
module object, so classes and functions are identical), with a ``DeprecationWarning`` naming the
path to use. The old paths go in the release after 0.2. Nothing here is imported until an old
path is asked for.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import warnings
from types import ModuleType

MOVED: dict[str, str] = {
    "zhifa.accountability": "zhifa.procedure.accountability.findings",
    "zhifa.baseline": "zhifa.plugins.baseline",
    "zhifa.catalogue": "zhifa.rules",
    "zhifa.clock": "zhifa.timekeeping",
    "zhifa.clocks": "zhifa.workflow.deadlines",
    "zhifa.config": "zhifa.plugins.config",
    "zhifa.context": "zhifa.hooks.types",
    "zhifa.definitions": "zhifa.workflow.definitions",
    "zhifa.docgen": "zhifa.cli.docgen",
    "zhifa.draw": "zhifa.inspections",
    "zhifa.draw_directory": "zhifa.inspections",
    "zhifa.draw_publicity": "zhifa.inspections",
    "zhifa.draw_teams": "zhifa.inspections",
    "zhifa.draws": "zhifa.inspections",
    "zhifa.fields": "zhifa.workflow.fields",
    "zhifa.guards": "zhifa.procedure.shared",
    "zhifa.hookspecs": "zhifa.hooks.specs",
    "zhifa.machine": "zhifa.workflow.machine",
    "zhifa.migrate": "zhifa.store.migrate",
    "zhifa.model": "zhifa.store.tables",
    "zhifa.outbox": "zhifa.engine.outbox",
    "zhifa.publicity": "zhifa.reporting.publicity",
    "zhifa.refdata": "zhifa.directory",
    "zhifa.refdata_export": "zhifa.directory",
    "zhifa.sampling": "zhifa.rules",
    "zhifa.scaffold": "zhifa.plugins.scaffold",
}
"""Old module path → the module (or package) that holds its public names now."""


class _Alias(importlib.abc.Loader):
    """Hands out the new module itself under the old name."""

    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        warnings.warn(
            f"{spec.name} moved to {self.target}; import from {self.target} "
            "(the old path is kept for one release only)",
            DeprecationWarning,
            stacklevel=2,
        )
        return importlib.import_module(self.target)

    def exec_module(self, module: ModuleType) -> None:
        """The target module ran when it was imported; nothing more to do."""


class _MovedFinder(importlib.abc.MetaPathFinder):
    def find_spec(
        self, fullname: str, path: object = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        new = MOVED.get(fullname)
        if new is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, _Alias(new))


def install() -> None:
    """Put the finder for old paths at the end of ``sys.meta_path`` (once)."""
    if not any(isinstance(f, _MovedFinder) for f in sys.meta_path):
        sys.meta_path.append(_MovedFinder())
