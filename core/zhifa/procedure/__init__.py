"""The national baseline procedure's rules for each workflow, one module per workflow.

Every module in this package that defines ``GUARDS`` (a sequence of :class:`zhifa.hooks.types.Guard`)
has them registered by the baseline plugin, beside the shared guards of :mod:`zhifa.procedure.common`. A
new workflow's rules go in a module of their own here; nothing else needs to change.
"""

from __future__ import annotations

import importlib
import pkgutil

from zhifa.hooks.types import Guard


def guards() -> tuple[Guard, ...]:
    """The guards of every module in this package, in module-name order."""
    found: list[Guard] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        found.extend(getattr(module, "GUARDS", ()))
    return tuple(found)
