"""The national baseline procedure, registered as a plugin like any department's.

Each hook imports what it hands over when it is first called, so registering the baseline (as
``zhifa --help`` does) loads none of the procedure's rules or the database. Its guards and hooks
ship with zhifa: they run in the calling thread without a time limit unless ``zhifa.toml`` gives
``zhifa.baseline`` one, and read-only like any plugin's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from zhifa.hooks.specs import hookimpl

if TYPE_CHECKING:
    from zhifa.hooks.types import Guard, GuardResult, ReportingSink, StepContext
    from zhifa.rules.measures import Measure


@hookimpl
def zhifa_workflows() -> Iterable[Path]:
    from zhifa.workflow.definitions import builtin_workflow_files

    return builtin_workflow_files()


@hookimpl
def zhifa_guards() -> Iterable[Guard]:
    """Every guard of the baseline procedure (see :func:`zhifa.procedure.guards`)."""
    from zhifa.procedure import guards

    return guards()


@hookimpl
def zhifa_reporting_sinks() -> Iterable[ReportingSink]:
    """The publicity sink (双公示): published penalty decisions as CSV and JSON records for the
    credit information publicity platform, in ``$ZHIFA_PUBLICITY_DIR`` (see
    :mod:`zhifa.reporting.publicity`)."""
    from zhifa.reporting.publicity import PublicitySink

    return (PublicitySink(),)


@hookimpl
def zhifa_credit_measures(department: str | None) -> Sequence[Measure]:
    """The joint measures of the national laws (``measures_national.yaml``), for every
    department."""
    from zhifa.rules.measures import NATIONAL_MEASURES

    return NATIONAL_MEASURES


@hookimpl
def zhifa_before_transition(ctx: StepContext) -> GuardResult:
    """In a workflow with a ``recuse`` step, an officer who withdrew takes no further step."""
    from zhifa.procedure.shared import withdrawn_actor

    return withdrawn_actor(ctx)
