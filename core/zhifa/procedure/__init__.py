"""The national baseline procedure's rules for each workflow, one module (or package) per workflow.

- :mod:`~zhifa.procedure.shared`: the guards any workflow may require (limitation period,
  certified officers, a running clock) and the withdrawal of an officer (回避);
- :mod:`~zhifa.procedure.accountability`: the accountability review (尽职免责 / 失职问责);
- :mod:`~zhifa.procedure.case`: the penalty case (行政处罚案件), one module per stage;
- :mod:`~zhifa.procedure.credit_repair`: credit repair (信用修复), ending a publication early;
- :mod:`~zhifa.procedure.execution`: a case's compulsory enforcement (行政强制法);
- :mod:`~zhifa.procedure.inspection`: the inspection task (检查任务);
- :mod:`~zhifa.procedure.publication`: publication of penalty decisions (行政处罚信息公示);
- :mod:`~zhifa.procedure.transfer`: the transfer of a suspected crime (移送).

A guard is a function marked ``@guard(description, basis)`` (:func:`zhifa.hooks.types.guard`)
where it is defined; its name is the function's name, the one workflow definitions require. Each
module collects its own in ``GUARDS`` (the shared module in ``BASELINE_GUARDS``), a package those
of its modules, and :func:`guards` hands them all to the baseline plugin. A new workflow's rules go
in a module of their own here, ending with ``GUARDS = guards_in(globals())``; nothing else needs
to change.
"""

from __future__ import annotations

import importlib
import pkgutil

from zhifa.hooks.types import Guard
from zhifa.procedure.shared import BASELINE_GUARDS


def guards() -> tuple[Guard, ...]:
    """Every guard of the baseline procedure: the shared ones (``BASELINE_GUARDS``) first, then the
    ``GUARDS`` of every module and subpackage of this package, in module-name order."""
    found: list[Guard] = list(BASELINE_GUARDS)
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        found.extend(getattr(module, "GUARDS", ()))
    return tuple(found)


__all__ = ["guards"]
