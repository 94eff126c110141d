"""The write of one step, shared by opening and advancing: the step's time, its hashed event (with
the effects its plugins declared, under ``"_effects"``), the matter row (``version = version + 1``
only where the version is still the one loaded, else :class:`~zhifa.errors.ConflictError`), the
recomputed clocks, the queued outbox messages and the plugins' ``zhifa_after_transition``."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from types import MappingProxyType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError as SAIntegrityError

from zhifa.calendar import WorkCalendar
from zhifa.documents import Issuer
from zhifa.documents.issuing import Pending
from zhifa.documents.kinds import OPEN, may_issue
from zhifa.documents.render import Source
from zhifa.engine.outbox import Outbox
from zhifa.engine.results import StepResult
from zhifa.engine.statements import (
    INSERT_EVENT,
    SELECT_MATTER,
    UPDATE_MATTER,
    UPDATE_OPENED,
    matter_view,
    run_write,
    upsert_clocks,
)
from zhifa.errors import ConflictError, InputError
from zhifa.hooks.types import EFFECTS_KEY, EventRecord, StepContext
from zhifa.plugins import Plugins
from zhifa.record import Evidence, canonical_json, event_hash
from zhifa.store import Transaction
from zhifa.timekeeping import to_beijing
from zhifa.workflow.deadlines import ClockState, Step, compute
from zhifa.workflow.definitions import Definition

FUTURE_TOLERANCE = timedelta(minutes=5)


def step_moment(at: datetime | None, recorded: datetime, last: datetime | None) -> datetime:
    """The step's time: not in the future, not before the matter's last recorded step."""
    moment = to_beijing(at) if at is not None else recorded
    if moment > recorded + FUTURE_TOLERANCE:
        raise InputError(
            f"the step's time {moment:%Y-%m-%d %H:%M} is in the future "
            f"(now {recorded:%Y-%m-%d %H:%M}); record a step when it has happened"
        )
    if last is not None and moment < last:
        raise InputError(
            f"the step's time {moment:%Y-%m-%d %H:%M} is before the matter's last recorded "
            f"step ({last:%Y-%m-%d %H:%M}); steps are recorded in the order they happened"
        )
    return moment


def recorded_effects(ctx: StepContext) -> dict[str, Any]:
    """What the step's event data holds of the effects its plugins declared (none: nothing)."""
    if not ctx.effects:
        return {}
    return {EFFECTS_KEY: [e.as_dict() for e in ctx.effects]}


def conflict(matter_id: int, loaded: int, current: int | None) -> ConflictError:
    """The error of a step on a matter that changed since ``loaded``."""
    now = f" (now at version {current})" if current is not None else ""
    return ConflictError(
        f"matter {matter_id} was changed by someone else after you loaded version {loaded}{now}; "
        "reload it, check its state, and try again"
    )


class StepWriter:
    """Writes a checked step in its transaction."""

    def __init__(
        self,
        plugins: Plugins,
        calendar: WorkCalendar,
        outbox: Outbox,
        issuer: Issuer | None = None,
    ) -> None:
        self.plugins = plugins
        self.calendar = calendar
        self.outbox = outbox
        self.issuer = issuer

    def check_bulk(self, defn: Definition) -> None:
        """Refuse opening ``defn``'s matters in bulk when their opening issues documents."""
        if self.issuer is not None and may_issue(defn.name, OPEN):
            raise InputError(
                f"opening a {defn.name} matter issues enforcement documents, which are numbered "
                "one step at a time; open these matters one by one (Engine.open)"
            )

    def documents(
        self,
        conn: sa.Connection,
        defn: Definition,
        ctx: StepContext,
        matter_id: int,
        values: Mapping[str, Any],
        extra: Mapping[str, Any] | None,
        matter_data: Mapping[str, Any] | None,
        moment: datetime,
        recorded: datetime,
    ) -> list[Pending]:
        """Number, render and keep the documents the step issues (none for most steps: a
        look-up decides), before its event is hashed (see :mod:`zhifa.documents.issuing`)."""
        if self.issuer is None or not may_issue(defn.name, ctx.step.name):
            return []
        current = ctx.matter
        opening = {k: v for k, v in (extra or {}).items() if k != "_matter"}
        record = matter_data if matter_data is not None else {OPEN: {**values, **opening}}
        marker = (extra or {}).get("_matter") or {}
        src = Source(
            definition=defn,
            trigger=ctx.step.name,
            matter_id=matter_id,
            department=str(current.department if current is not None else ctx.department),
            entity_id=current.entity_id if current is not None else ctx.entity_id,
            title=current.title if current is not None else str(marker.get("title") or ""),
            record=record,
            moment=moment,
            actor_id=ctx.actor.id,
            opened_at=current.opened_at if current is not None else moment,
            catalogue=ctx.catalogue,
        )
        return self.issuer.prepare(conn, src, recorded)

    def append(
        self,
        tx: Transaction,
        defn: Definition,
        ctx: StepContext,
        matter_id: int,
        version: int,
        prev_hash: str,
        to_state: str,
        values: Mapping[str, Any],
        moment: datetime,
        recorded: datetime,
        evidence: Sequence[Evidence],
        steps: list[Step],
        *,
        extra: Mapping[str, Any] | None = None,
        matter_data: Mapping[str, Any] | None = None,
        from_state: str | None = None,
    ) -> tuple[StepResult, Step]:
        """Write the step's event and the matter row, recompute the clocks, queue the outbox and
        call the after-transition hooks; the step as the clocks see it comes back too."""
        conn = tx.connection
        seq = version + 1
        issued = self.documents(
            conn, defn, ctx, matter_id, values, extra, matter_data, moment, recorded
        )
        if issued:  # the documents are part of the step's evidence, so of its hash
            evidence = [*evidence, *(d.evidence for d in issued)]
        data_text = canonical_json({**values, **(extra or {}), **recorded_effects(ctx)})
        evidence_text = canonical_json([e.as_dict() for e in evidence])
        digest = event_hash(
            matter_id=matter_id,
            seq=seq,
            trigger=ctx.step.name,
            from_state=from_state,
            to_state=to_state,
            actor_id=ctx.actor.id,
            occurred_at=moment,
            recorded_at=recorded,
            data=data_text,
            evidence=evidence_text,
            prev_hash=prev_hash,
            auth=ctx.actor.auth,
        )
        try:
            event_id = run_write(
                conn,
                INSERT_EVENT,
                {
                    "matter_id": matter_id,
                    "seq": seq,
                    "trigger": ctx.step.name,
                    "from_state": from_state,
                    "to_state": to_state,
                    "actor_id": ctx.actor.id,
                    "occurred_at": moment,
                    "recorded_at": recorded,
                    "data": data_text,
                    "evidence": evidence_text,
                    "prev_hash": prev_hash,
                    "hash": digest,
                    "auth": ctx.actor.auth,
                },
            ).inserted_primary_key_id
        except SAIntegrityError:
            raise conflict(matter_id, version, None) from None
        if issued and self.issuer is not None:
            self.issuer.record(conn, issued, matter_id, event_id)
        changes: dict[str, Any] = {
            "z_id": matter_id,
            "z_version": version,
            "z_new_version": seq,
            "z_hash": digest,
            "z_updated_at": recorded,
        }
        if from_state is not None:
            changes |= {"z_state": to_state, "z_data": matter_data}
        updated = run_write(conn, UPDATE_OPENED if from_state is None else UPDATE_MATTER, changes)
        if updated.rowcount != 1:
            raise conflict(matter_id, version, None)
        event = EventRecord(
            id=event_id,
            matter_id=matter_id,
            workflow=defn.name,
            seq=seq,
            trigger=ctx.step.name,
            from_state=from_state,
            to_state=to_state,
            actor_id=ctx.actor.id,
            occurred_at=moment,
            recorded_at=recorded,
            data=json.loads(data_text),
            evidence=[e.as_dict() for e in evidence],
            prev_hash=prev_hash,
            hash=digest,
            auth=ctx.actor.auth,
        )
        # the step's own copy of the data: the event's dict goes to plugins and callers
        step = Step(moment.date(), ctx.step.name, to_state, MappingProxyType(json.loads(data_text)))
        clock_states = self.write_clocks(conn, defn, matter_id, [*steps, step], recorded.date())
        current = ctx.matter
        if current is None:  # just opened: read back what the database filled in
            row = conn.execute(SELECT_MATTER, {"z_id": matter_id}).one()
            after = matter_view(row)
        else:
            after = dataclasses.replace(
                current,
                state=to_state,
                version=seq,
                head_hash=digest,
                updated_at=recorded,
                data=matter_data if matter_data is not None else current.data,
            )
        self.outbox.queue(conn, event, after, recorded, defn)
        self.plugins.call(
            "zhifa_after_transition",
            for_department=ctx.matter.department if ctx.matter is not None else ctx.department,
            ctx=ctx,
            event=event,
        )
        return StepResult(after, event, tuple(clock_states)), step

    def write_clocks(
        self,
        conn: sa.Connection,
        defn: Definition,
        matter_id: int,
        steps: Sequence[Step],
        today: date,
    ) -> list[ClockState]:
        """Recompute the matter's clocks and store them (a clock, once started, never goes away,
        so an upsert per clock keeps the rows current)."""
        if not defn.clocks:
            return []
        states = [
            s
            for spec in defn.clocks.values()
            if (s := compute(spec, steps, self.calendar, today)) is not None
        ]
        if states:
            conn.execute(
                upsert_clocks(conn.dialect.name),
                [
                    {
                        "matter_id": matter_id,
                        "name": s.spec.name,
                        "status": s.status,
                        "started_on": s.started_on,
                        "due_on": s.due_on,
                        "stopped_on": s.stopped_on,
                        "provisional": s.provisional,
                        "paused_days": s.paused_days,
                        "extensions": s.extensions,
                    }
                    for s in states
                ],
            )
        return states
