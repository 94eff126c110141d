"""The national baseline procedure, registered as a plugin like any department's."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from zhifa import hookimpl
from zhifa.context import Guard
from zhifa.definitions import builtin_workflow_files
from zhifa.guards import BASELINE_GUARDS
from zhifa.procedure import guards as procedure_guards


@hookimpl
def zhifa_workflows() -> Iterable[Path]:
    return builtin_workflow_files()


@hookimpl
def zhifa_guards() -> Iterable[Guard]:
    return (*BASELINE_GUARDS, *procedure_guards())
