"""Opening matters: one (:meth:`Opener.open`, possibly following an earlier matter) or many in
one transaction (:meth:`Opener.open_many`, the tasks of a random draw, with their ids allocated
up front and their rows written in bulk). Both check the workflow's plugin, the officer, the
fields and the guards as a step does."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from types import MappingProxyType
from typing import Any

import sqlalchemy as sa

from zhifa.engine.actors import named_in, named_officers, permission_problems
from zhifa.engine.actors import officer as read_officer
from zhifa.engine.checks import StepChecks
from zhifa.engine.inputs import step_data, step_time
from zhifa.engine.outbox import Outbox
from zhifa.engine.registry import Registry
from zhifa.engine.results import Opening, StepResult
from zhifa.engine.statements import (
    BULK_CHUNK,
    ENTITIES,
    EVENTS,
    FOLLOWS,
    LINKS,
    MATTERS,
    SELECT_MATTER,
    allocate_ids,
    matter_steps,
    matter_view,
    run_write,
)
from zhifa.engine.writing import StepWriter, recorded_effects, step_moment
from zhifa.errors import InputError, NotFoundError, PermissionRefused, RefusedError, ZhifaError
from zhifa.hooks.types import Actor, EventRecord, MatterView, StepContext
from zhifa.identity import Session, Signed
from zhifa.plugins import Plugins
from zhifa.record import GENESIS, Evidence, canonical_json, event_hash
from zhifa.store import Store
from zhifa.store.tables import Entity
from zhifa.timekeeping import Clock
from zhifa.workflow import fields as fieldval
from zhifa.workflow.deadlines import Step
from zhifa.workflow.definitions import OPEN, Definition


class Opener:
    """Opens matters, one or many at a time."""

    def __init__(
        self,
        store: Store,
        plugins: Plugins,
        registry: Registry,
        checks: StepChecks,
        writer: StepWriter,
        outbox: Outbox,
        clock: Clock,
        signed: Signed,
    ) -> None:
        self.store = store
        self.signed = signed
        self.plugins = plugins
        self.registry = registry
        self.checks = checks
        self.writer = writer
        self.outbox = outbox
        self.clock = clock

    # -- checks ------------------------------------------------------------------------------

    def may_open(self, defn: Definition, officer: Actor, dept: str, day: date) -> None:
        """Refuse to open a ``defn`` matter in ``dept`` by ``officer`` on ``day``: a workflow of a
        plugin the department does not use, or an officer without the role, department or
        certificate the opening step needs."""
        source = self.plugins.source(defn)
        if not self.plugins.allows(source, dept):
            raise RefusedError(
                f"workflow {defn.name} comes from plugin {source!r}, which department {dept} "
                f"does not use ({self.plugins.config.source}); open it in a department that "
                "uses the plugin, or enable the plugin there"
            )
        problems = permission_problems(defn.open, officer, dept, day)
        if problems:
            raise PermissionRefused(
                f"{officer.label()} may not open a {defn.name} matter", problems
            )

    @staticmethod
    def parent(conn: sa.Connection, follows: int | MatterView, moment: datetime) -> MatterView:
        """The matter a new one follows, which began no later than ``moment``.

        Its row stays locked until the new matter is committed (PostgreSQL; SQLite writes one
        transaction at a time), so the guards that compare the new matter with it, or count the
        matters already following it, see it as it is when the new one is written."""
        parent_id = follows.id if isinstance(follows, MatterView) else follows
        row = conn.execute(SELECT_MATTER.with_for_update(), {"z_id": parent_id}).first()
        if row is None:
            raise NotFoundError(
                f"matter {parent_id} does not exist, so nothing can follow it; "
                "list matters with `zhifa matter list`"
            )
        parent = matter_view(row)
        if moment < parent.opened_at:
            raise InputError(
                f"the new matter would begin at {moment:%Y-%m-%d %H:%M}, before matter "
                f"{parent.id} it follows began ({parent.opened_at:%Y-%m-%d %H:%M}); check --at"
            )
        return parent

    def may_follow(self, defn: Definition, parent: MatterView) -> None:
        """Refuse a ``defn`` matter following ``parent`` unless ``defn.follows`` allows it."""
        allowed = defn.follows.get(parent.workflow)
        if allowed is None:
            raise RefusedError(
                f"a {defn.name} matter follows only a {' or '.join(sorted(defn.follows))} matter; "
                f"matter {parent.id} is a {parent.workflow}"
            )
        if parent.state not in allowed:
            other = self.registry.definition(parent.workflow, parent.workflow_version)
            wanted = ", ".join(f"{s} {other.states[s].label}" for s in sorted(allowed))
            raise RefusedError(
                f"matter {parent.id} is {parent.state} "
                f"{other.states[parent.state].label}; a {defn.name} follows a {parent.workflow} "
                f"only once it is {wanted}"
            )

    # -- one matter --------------------------------------------------------------------------

    def open(
        self,
        workflow: str,
        actor: str | Session,
        data: Mapping[str, Any] | None = None,
        at: datetime | None = None,
        *,
        title: str | None = None,
        department: str | None = None,
        entity: str | None = None,
        evidence: Sequence[Evidence] = (),
        follows: int | MatterView | None = None,
    ) -> tuple[StepResult, Step]:
        """Open a matter and commit it; the opening step as the clocks see it comes back with
        the result (see :meth:`zhifa.engine.Engine.open`)."""
        fields = step_data(data)
        defn = self.registry.definition(workflow)
        recorded = self.clock.now()
        moment = step_moment(step_time(at), recorded, None)
        with self.store.transaction() as tx:
            conn = tx.connection
            defn = self.registry.definition_for(tx, defn.name, defn.version, register=True)
            actor_id, auth = self.signed.acting(conn, actor, recorded)
            officer = dataclasses.replace(read_officer(conn, actor_id), auth=auth)
            parent = self.parent(conn, follows, moment) if follows is not None else None
            if parent is not None and defn.follows:
                self.may_follow(defn, parent)
            dept = department or officer.department
            entity_id: int | None = None
            if entity is not None:
                code = "".join(entity.split()).upper()
                entity_id = conn.scalar(sa.select(Entity.id).where(Entity.uscc == code))
                if entity_id is None:
                    raise NotFoundError(
                        f"no market entity with code {code}; add it with `zhifa entity add` first"
                    )
            if parent is not None:
                if entity_id is not None and parent.entity_id not in (None, entity_id):
                    raise InputError(
                        f"matter {parent.id} concerns another market entity than {entity}; "
                        "a matter that follows another concerns the same entity — leave --entity out"
                    )
                entity_id = entity_id if entity_id is not None else parent.entity_id
                if parent.department != dept:
                    raise InputError(
                        f"matter {parent.id} belongs to {parent.department}, not {dept}; a "
                        "department opens follow-up matters only on its own matters"
                    )
            self.may_open(defn, officer, dept, moment.date())
            values = fieldval.validate(defn.open, fields)
            officers = named_officers(conn, defn.open, values)
            ctx = self.checks.context(
                tx,
                defn,
                defn.open,
                officer,
                values,
                moment,
                None,
                (),
                officers,
                entity_id,
                dept,
                follows=parent,
                follows_history=matter_steps(conn, parent.id) if parent is not None else (),
            )
            self.checks.check_guards(ctx)
            name = (title or str(values.get("summary") or defn.label.zh)).strip()[:300]
            matter_id = run_write(
                conn,
                sa.insert(MATTERS).values(
                    workflow=defn.name,
                    workflow_version=defn.version,
                    state=defn.initial,
                    version=0,
                    department_code=dept,
                    entity_id=entity_id,
                    title=name,
                    data={OPEN: values},
                    opened_at=moment,
                    updated_at=recorded,
                    head_hash=GENESIS,
                ),
            ).inserted_primary_key_id
            marker: dict[str, Any] = {
                "workflow": defn.name,
                "workflow_version": defn.version,
                "department": dept,
                "entity": entity,
                "title": name,
            }
            if parent is not None:
                marker["follows"] = {"matter": parent.id, "workflow": parent.workflow}
                conn.execute(
                    sa.insert(LINKS),
                    {"source_id": parent.id, "target_id": matter_id, "kind": FOLLOWS},
                )
            result, taken = self.writer.append(
                tx,
                defn,
                ctx,
                matter_id,
                0,
                GENESIS,
                defn.initial,
                values,
                moment,
                recorded,
                evidence,
                [],
                extra={"_matter": marker},
            )
        return result, taken

    # -- many matters ------------------------------------------------------------------------

    def open_many(
        self,
        workflow: str,
        openings: Sequence[Opening],
        at: datetime | None = None,
        *,
        also: Callable[[sa.Connection, Sequence[int]], None] | None = None,
    ) -> tuple[list[int], set[int]]:
        """Open ``openings`` and commit them (see :meth:`zhifa.engine.Engine.open_many`); the
        events whose steps queued outbox messages come back with the new ids."""
        count = len(openings)
        checked: list[Opening] = []
        for n, opening in enumerate(openings, 1):
            try:  # None is no fields, as for one opening
                checked.append(dataclasses.replace(opening, data=step_data(opening.data)))
            except InputError as exc:
                raise InputError(f"matter {n} of {count} to open: {exc.message}") from None
        openings = checked
        defn = self.registry.definition(workflow)
        self.writer.check_bulk(defn)
        recorded = self.clock.now()
        moment = step_moment(step_time(at), recorded, None)
        day = moment.date()
        with self.store.transaction() as tx:
            conn = tx.connection
            defn = self.registry.definition_for(tx, defn.name, defn.version, register=True)
            actors: dict[str | Session, Actor] = {}
            for a in sorted({o.actor for o in openings}, key=str):
                actor_id, auth = self.signed.acting(conn, a, recorded)
                actors[a] = dataclasses.replace(read_officer(conn, actor_id), auth=auth)
            codes = self.entity_codes(conn, {o.entity_id for o in openings})
            named = named_in(conn, defn.open, openings)
            allowed: set[tuple[str, str]] = set()
            contexts: list[StepContext] = []
            for n, opening in enumerate(openings, 1):
                officer = actors[opening.actor]
                dept = opening.department or officer.department
                try:
                    if (officer.id, dept) not in allowed:
                        self.may_open(defn, officer, dept, day)
                        allowed.add((officer.id, dept))
                    values = fieldval.validate(defn.open, opening.data)
                    ctx = self.checks.context(
                        tx,
                        defn,
                        defn.open,
                        officer,
                        values,
                        moment,
                        None,
                        (),
                        named,
                        opening.entity_id,
                        dept,
                    )
                    self.checks.check_guards(ctx)
                except ZhifaError as exc:
                    exc.args = (f"matter {n} of {count} to open: {exc.message}",)
                    exc.message = exc.args[0]
                    raise
                contexts.append(ctx)
            titles = [
                (o.title or str(c.data.get("summary") or defn.label.zh)).strip()[:300]
                for o, c in zip(openings, contexts, strict=True)
            ]
            # ids are taken before the rows are written, so each opening event is hashed first
            # and every row is written once, in two plain bulk inserts
            ids = allocate_ids(conn, MATTERS, count)
            event_ids = allocate_ids(conn, EVENTS, count)
            events = []
            for matter_id, event_id, ctx, title in zip(
                ids, event_ids, contexts, titles, strict=True
            ):
                marker = {
                    "workflow": defn.name,
                    "workflow_version": defn.version,
                    "department": ctx.department,
                    "entity": codes.get(ctx.entity_id) if ctx.entity_id is not None else None,
                    "title": title,
                }
                event: dict[str, Any] = {
                    "matter_id": matter_id,
                    "seq": 1,
                    "trigger": OPEN,
                    "from_state": None,
                    "to_state": defn.initial,
                    "actor_id": ctx.actor.id,
                    "occurred_at": moment,
                    "recorded_at": recorded,
                    "data": canonical_json(
                        {**ctx.data, "_matter": marker, **recorded_effects(ctx)}
                    ),
                    "evidence": "[]",
                    "prev_hash": GENESIS,
                    "auth": ctx.actor.auth,
                }
                event["hash"] = event_hash(**event)
                event["id"] = event_id
                events.append(event)
            conn.execute(
                sa.insert(MATTERS),
                [
                    {
                        "id": matter_id,
                        "workflow": defn.name,
                        "workflow_version": defn.version,
                        "state": defn.initial,
                        "version": 1,
                        "department_code": c.department,
                        "entity_id": c.entity_id,
                        "title": title,
                        "data": {OPEN: dict(c.data)},
                        "opened_at": moment,
                        "updated_at": recorded,
                        "head_hash": e["hash"],
                    }
                    for matter_id, c, title, e in zip(ids, contexts, titles, events, strict=True)
                ],
            )
            conn.execute(sa.insert(EVENTS), events)
            self.write_opening_clocks(conn, defn, ids, events, recorded.date())
            if also is not None:
                also(conn, ids)
            queued_before = set(self.outbox.queued)
            for matter_id, event_id, event, ctx, title in zip(
                ids, event_ids, events, contexts, titles, strict=True
            ):
                record = EventRecord(
                    id=event_id,
                    matter_id=matter_id,
                    workflow=defn.name,
                    seq=1,
                    trigger=OPEN,
                    from_state=None,
                    to_state=defn.initial,
                    actor_id=ctx.actor.id,
                    occurred_at=moment,
                    recorded_at=recorded,
                    data=json.loads(event["data"]),
                    evidence=[],
                    prev_hash=GENESIS,
                    hash=event["hash"],
                    auth=ctx.actor.auth,
                )
                view = MatterView(
                    id=matter_id,
                    workflow=defn.name,
                    workflow_version=defn.version,
                    state=defn.initial,
                    version=1,
                    department=str(ctx.department),
                    entity_id=ctx.entity_id,
                    title=title,
                    data={OPEN: dict(ctx.data)},
                    opened_at=moment,
                    updated_at=recorded,
                    head_hash=event["hash"],
                )
                self.outbox.queue(conn, record, view, recorded, defn)
                self.plugins.call(
                    "zhifa_after_transition", for_department=ctx.department, ctx=ctx, event=record
                )
            queued = set(self.outbox.queued) - queued_before
        return ids, queued

    @staticmethod
    def entity_codes(conn: sa.Connection, ids: Iterable[int | None]) -> dict[int, str]:
        """The code (USCC) of each entity id; :class:`NotFoundError` for an unknown id."""
        wanted = sorted(i for i in ids if i is not None)
        found: dict[int, str] = {}
        for start in range(0, len(wanted), BULK_CHUNK):
            chunk = wanted[start : start + BULK_CHUNK]
            query = sa.select(ENTITIES.c.id, ENTITIES.c.uscc).where(ENTITIES.c.id.in_(chunk))
            found.update((i, code) for i, code in conn.execute(query))
        missing = [i for i in wanted if i not in found]
        if missing:
            raise NotFoundError(
                f"no market entity with id {missing[0]}"
                + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
                + "; list entities with `zhifa entity list`"
            )
        return found

    def write_opening_clocks(
        self,
        conn: sa.Connection,
        defn: Definition,
        ids: Sequence[int],
        events: Sequence[Mapping[str, Any]],
        today: date,
    ) -> None:
        """The clocks of just-opened matters (most workflows start none on opening)."""
        if not defn.clocks:
            return
        for matter_id, event in zip(ids, events, strict=True):
            opened = event["occurred_at"]
            step = Step(
                opened.date(), OPEN, defn.initial, MappingProxyType(json.loads(event["data"]))
            )
            self.writer.write_clocks(conn, defn, matter_id, [step], today)
