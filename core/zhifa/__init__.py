"""zhifa 执法 — a plugin-based workflow engine for the administrative-enforcement lifecycle.

The public surface is listed in ``__all__``; everything else is internal.
"""

from __future__ import annotations

import pluggy

from zhifa.calendar import CalendarAddition, WorkCalendar
from zhifa.engine import Engine, StepResult, TriggerOption
from zhifa.errors import (
    ConflictError,
    DatabaseError,
    DefinitionError,
    FieldError,
    GuardRefused,
    ImportFileError,
    InputError,
    IntegrityError,
    NotFoundError,
    PermissionRefused,
    PluginConflict,
    PluginError,
    RefusedError,
    ZhifaError,
)
from zhifa.hooks.types import (
    Actor,
    EventRecord,
    Guard,
    MatterView,
    OutboxDelivery,
    ReportingSink,
    StepContext,
)
from zhifa.plugins import Plugins
from zhifa.record import Evidence
from zhifa.store import Store
from zhifa.timekeeping import FixedClock, SystemClock

hookimpl = pluggy.HookimplMarker("zhifa")
"""Marker for plugin hook implementations: ``@zhifa.hookimpl``."""

__all__ = [
    "Actor",
    "CalendarAddition",
    "ConflictError",
    "DatabaseError",
    "DefinitionError",
    "Engine",
    "EventRecord",
    "Evidence",
    "FieldError",
    "FixedClock",
    "Guard",
    "GuardRefused",
    "ImportFileError",
    "InputError",
    "IntegrityError",
    "MatterView",
    "NotFoundError",
    "OutboxDelivery",
    "PermissionRefused",
    "PluginConflict",
    "PluginError",
    "Plugins",
    "RefusedError",
    "ReportingSink",
    "StepContext",
    "StepResult",
    "Store",
    "SystemClock",
    "TriggerOption",
    "WorkCalendar",
    "ZhifaError",
    "hookimpl",
]
