"""zhifa 执法 — a plugin-based workflow engine for the administrative-enforcement lifecycle.

The public surface is listed in ``__all__``; everything else is internal. Names are resolved on
first use (PEP 562), so ``import zhifa`` and ``import zhifa.errors`` load no database code: a
plugin's import, ``zhifa --help`` and the error classes stay cheap.

Where things live (lower layers never import higher ones; ``make lint`` checks it)::

    errors ids roles calendar timekeeping record tabular   foundation
    store/          tables, sessions and transactions, migrations
    workflow/       definitions, step fields, the shared machine, statutory deadlines
    rules/          checklists, violation catalogues, discretion, sampling policies
    directory/      名录库: departments, officers, entities, conflicts; import and export
    hooks/          what plugins implement (specs, markers) and receive (types)
    procedure/      the national baseline's rules, one module or folder per workflow
    reporting/      reporting sinks: 双公示 publicity
    plugins/        the plugin manager, per-department configuration, the baseline plugin
    engine/         Engine: opening, stepping, reads and the outbox
    inspections/    双随机、一公开: plans, directories, draws, tasks, publishing
    audit/          verification of the tamper-evident record
    cli/ demo/      the ``zhifa`` command and its demo; testing: fixtures for plugin authors
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from zhifa import _moved

if TYPE_CHECKING:
    from zhifa.calendar import CalendarAddition, WorkCalendar
    from zhifa.engine import Engine, StepResult, TriggerOption
    from zhifa.errors import (
        CatalogueError,
        ConflictError,
        DatabaseError,
        DefinitionError,
        DrawMismatch,
        FieldError,
        GuardRefused,
        ImportFileError,
        InfeasibleDraw,
        InputError,
        IntegrityError,
        NotFoundError,
        PermissionRefused,
        PluginBroken,
        PluginConflict,
        PluginError,
        PluginTimeout,
        PluginWriteRefused,
        RefusedError,
        ZhifaError,
    )
    from zhifa.hooks.specs import hookimpl
    from zhifa.hooks.types import (
        Actor,
        Effect,
        EventRecord,
        Guard,
        GuardResult,
        MatterView,
        OutboxDelivery,
        ReportingSink,
        StepContext,
        effects_of,
        guard,
        guards_in,
    )
    from zhifa.plugins import Plugins
    from zhifa.record import Evidence
    from zhifa.rules import (
        ChecklistItem,
        CreditScheme,
        Measure,
        SamplingPolicy,
        Violation,
        load_catalogue,
        load_checklist,
        load_credit_scheme,
        load_measures,
    )
    from zhifa.store import Store
    from zhifa.timekeeping import FixedClock, SystemClock

_HOMES: dict[str, tuple[str, ...]] = {
    "zhifa.calendar": ("CalendarAddition", "WorkCalendar"),
    "zhifa.engine": ("Engine", "StepResult", "TriggerOption"),
    "zhifa.errors": (
        "CatalogueError",
        "ConflictError",
        "DatabaseError",
        "DefinitionError",
        "DrawMismatch",
        "FieldError",
        "GuardRefused",
        "ImportFileError",
        "InfeasibleDraw",
        "InputError",
        "IntegrityError",
        "NotFoundError",
        "PermissionRefused",
        "PluginBroken",
        "PluginConflict",
        "PluginError",
        "PluginTimeout",
        "PluginWriteRefused",
        "RefusedError",
        "ZhifaError",
    ),
    "zhifa.hooks.specs": ("hookimpl",),
    "zhifa.hooks.types": (
        "Actor",
        "Effect",
        "EventRecord",
        "Guard",
        "GuardResult",
        "MatterView",
        "OutboxDelivery",
        "ReportingSink",
        "StepContext",
        "effects_of",
        "guard",
        "guards_in",
    ),
    "zhifa.plugins": ("Plugins",),
    "zhifa.record": ("Evidence",),
    "zhifa.rules": (
        "ChecklistItem",
        "CreditScheme",
        "Measure",
        "SamplingPolicy",
        "Violation",
        "load_catalogue",
        "load_checklist",
        "load_credit_scheme",
        "load_measures",
    ),
    "zhifa.store": ("Store",),
    "zhifa.timekeeping": ("FixedClock", "SystemClock"),
}
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}

__all__ = [
    "Actor",
    "CalendarAddition",
    "CatalogueError",
    "ChecklistItem",
    "ConflictError",
    "CreditScheme",
    "DatabaseError",
    "DefinitionError",
    "DrawMismatch",
    "Effect",
    "Engine",
    "EventRecord",
    "Evidence",
    "FieldError",
    "FixedClock",
    "Guard",
    "GuardRefused",
    "GuardResult",
    "ImportFileError",
    "InfeasibleDraw",
    "InputError",
    "IntegrityError",
    "MatterView",
    "Measure",
    "NotFoundError",
    "OutboxDelivery",
    "PermissionRefused",
    "PluginBroken",
    "PluginConflict",
    "PluginError",
    "PluginTimeout",
    "PluginWriteRefused",
    "Plugins",
    "RefusedError",
    "ReportingSink",
    "SamplingPolicy",
    "StepContext",
    "StepResult",
    "Store",
    "SystemClock",
    "TriggerOption",
    "Violation",
    "WorkCalendar",
    "ZhifaError",
    "effects_of",
    "guard",
    "guards_in",
    "hookimpl",
    "load_catalogue",
    "load_checklist",
    "load_credit_scheme",
    "load_measures",
]


def __getattr__(name: str) -> Any:
    """Import a public name's home module on first use (PEP 562) and keep the name here."""
    module = _HOME_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'zhifa' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


_moved.install()
