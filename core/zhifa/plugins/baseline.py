"""The national baseline procedure, registered as a plugin like any department's."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from zhifa.hooks.specs import hookimpl
from zhifa.hooks.types import Guard, GuardResult, ReportingSink, StepContext
from zhifa.procedure import guards as procedure_guards
from zhifa.procedure.shared import withdrawn_actor
from zhifa.reporting.publicity import PublicitySink
from zhifa.workflow.definitions import builtin_workflow_files


@hookimpl
def zhifa_workflows() -> Iterable[Path]:
    return builtin_workflow_files()


@hookimpl
def zhifa_guards() -> Iterable[Guard]:
    """Every guard of the baseline procedure (see :func:`zhifa.procedure.guards`)."""
    return procedure_guards()


@hookimpl
def zhifa_reporting_sinks() -> Iterable[ReportingSink]:
    """The publicity sink (双公示): published penalty decisions as CSV and JSON records for the
    credit information publicity platform, in ``$ZHIFA_PUBLICITY_DIR`` (see zhifa.reporting.publicity)."""
    return (PublicitySink(),)


@hookimpl
def zhifa_before_transition(ctx: StepContext) -> GuardResult:
    """In a workflow with a ``recuse`` step, an officer who withdrew takes no further step."""
    return withdrawn_actor(ctx)
