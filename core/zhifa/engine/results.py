"""What the engine takes and gives back: an :class:`Opening` for :meth:`Engine.open_many`, the
:class:`StepResult` of a step, the :class:`TriggerOption` s of a matter, the :class:`DueItem` s of
``zhifa due`` (a page of them: :class:`DueList`) and the :class:`DeliveryReport` of an outbox delivery."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from zhifa.hooks.types import EventRecord, MatterView
from zhifa.identity import Session
from zhifa.workflow.deadlines import ClockState
from zhifa.workflow.definitions import FieldSpec
from zhifa.workflow.fields import field_help


@dataclass(frozen=True, slots=True)
class Opening:
    """One matter for :meth:`Engine.open_many`: who opens it, its opening fields, the entity
    (by id), the department (default: the officer's) and the title (default: the summary)."""

    actor: str | Session
    data: Mapping[str, Any]
    entity_id: int | None = None
    department: str | None = None
    title: str | None = None


@dataclass(frozen=True, slots=True)
class StepResult:
    """What a step produced: the matter after it and the event that records it."""

    matter: MatterView
    event: EventRecord
    clocks: tuple[ClockState, ...] = ()


@dataclass(frozen=True, slots=True)
class TriggerOption:
    """Whether an officer may take a trigger now, and every reason why not."""

    name: str
    label: str
    allowed: bool
    reasons: tuple[str, ...]
    waiting_for: tuple[str, ...]  # checks that run once the step's fields are given
    fields: tuple[FieldSpec, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        return {
            "trigger": self.name,
            "label": self.label,
            "allowed": self.allowed,
            "reasons": list(self.reasons),
            "checked_with_data": list(self.waiting_for),
            "fields": [field_help(f) for f in self.fields],
        }


@dataclass(frozen=True, slots=True)
class DueItem:
    """A running statutory clock of a matter, or a follow-up matter it owes (``follow_up``: the
    workflow to open following it), as seen on a given day."""

    matter: MatterView
    clock: ClockState
    follow_up: str | None = None  # the workflow of a matter still to be opened following it

    def as_dict(self) -> dict[str, Any]:
        return {
            "matter": self.matter.id,
            "workflow": self.matter.workflow,
            "state": self.matter.state,
            "title": self.matter.title,
            "department": self.matter.department,
            "follow_up": self.follow_up,
            **self.clock.as_dict(),
        }


class DueList(list[DueItem]):
    """A page of a due list: its :class:`DueItem` s, soonest first; ``more``: items follow this
    page; ``stale``: stored provisional deadlines that fall in a year the calendar now has data
    for (the list is right all the same; :meth:`Engine.refresh_deadlines` stores them again)."""

    def __init__(self, items: Iterable[DueItem] = (), *, more: bool = False, stale: int = 0):
        super().__init__(items)
        self.more = more
        self.stale = stale


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What one run of :meth:`Engine.deliver_outbox` did: the messages delivered, those that
    failed (to be retried), and the undelivered ones left."""

    delivered: int
    failed: int
    pending: int
