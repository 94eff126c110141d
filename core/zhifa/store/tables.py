"""The tables, as SQLAlchemy 2 typed models. Alembic migrations are the only way they are created.

All times are naive Beijing time (see :mod:`zhifa.timekeeping`). Event payloads are stored as the exact
canonical JSON text that was hashed, so verification never depends on how a database re-encodes JSON.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Department(Base):
    """An enforcement department (执法部门)."""

    __tablename__ = "departments"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[str] = mapped_column(String(6))


class Officer(Base):
    """An enforcement officer (执法人员) with roles and an enforcement certificate (执法证)."""

    __tablename__ = "officers"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"), index=True)
    roles: Mapped[str] = mapped_column(String(200))  # comma-separated role codes, sorted
    certificate_no: Mapped[str | None] = mapped_column(String(64))
    certificate_valid_from: Mapped[date | None] = mapped_column(Date)
    certificate_valid_to: Mapped[date | None] = mapped_column(Date)
    # comma-separated, sorted; empty: no specialty / every region (read by random draws)
    specialties: Mapped[str] = mapped_column(String(500), default="", server_default="")
    regions: Mapped[str] = mapped_column(String(500), default="", server_default="")

    @property
    def role_set(self) -> frozenset[str]:
        return frozenset(r for r in self.roles.split(",") if r)


HISTORY_START = datetime(1, 1, 1)
"""``valid_from`` of an officer's record kept from before zhifa recorded officer history
(migration 0002 seeds one such version per officer): the earliest time there is, so steps of any
date are judged against the only record known."""


class OfficerVersion(Base):
    """One version of an officer's record (执法人员信息变更记录): what the ``officers`` row said
    from ``valid_from`` until the officer's next version. Written by :mod:`zhifa.directory` in the
    transaction that adds or changes the officer, only when something changed; never updated."""

    __tablename__ = "officer_versions"
    __table_args__ = (
        Index("ix_officer_versions_officer_id_valid_from", "officer_id", "valid_from"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    officer_id: Mapped[str] = mapped_column(ForeignKey("officers.id"))
    name: Mapped[str] = mapped_column(String(100))
    department_code: Mapped[str] = mapped_column(String(32))
    roles: Mapped[str] = mapped_column(String(200))  # comma-separated role codes, sorted
    certificate_no: Mapped[str | None] = mapped_column(String(64))
    certificate_valid_from: Mapped[date | None] = mapped_column(Date)
    certificate_valid_to: Mapped[date | None] = mapped_column(Date)
    valid_from: Mapped[datetime] = mapped_column(DateTime)  # when this version took effect
    recorded_by: Mapped[str] = mapped_column(Text)  # "officer add", "import FILE row N"…


class Entity(Base):
    """A market entity (市场主体) identified by its unified social credit code."""

    __tablename__ = "entities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(50))
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    industry: Mapped[str] = mapped_column(String(100))
    credit_class: Mapped[str | None] = mapped_column(String(8))
    risk_level: Mapped[str | None] = mapped_column(String(16))
    registered_on: Mapped[date | None] = mapped_column(Date)
    key_supervision: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class OfficerConflict(Base):
    """A conflict of interest an officer declared with an entity (回避): the officer is never
    drawn to inspect it. One row per officer and entity."""

    __tablename__ = "officer_conflicts"

    officer_id: Mapped[str] = mapped_column(ForeignKey("officers.id"), primary_key=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"), primary_key=True)
    declared_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)


class Snapshot(Base):
    """A frozen target or inspector directory (see :mod:`zhifa.inspections` for ``content``)."""

    __tablename__ = "snapshots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))  # targets | inspectors
    taken_at: Mapped[datetime] = mapped_column(DateTime)
    rows: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)


class DrawPlan(Base):
    """A random-inspection plan: its canonical JSON (:meth:`zhifa.inspections.Plan.as_dict`) and
    digest; ``draft`` until published, then frozen."""

    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    plan: Mapped[str] = mapped_column(Text)  # canonical JSON, exactly as hashed
    digest: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # draft | published
    created_at: Mapped[datetime] = mapped_column(DateTime)
    published_at: Mapped[datetime | None] = mapped_column(DateTime)


class Draw(Base):
    """One random draw: the plan, the two snapshots, the public value, the seed and the record
    (:meth:`zhifa.inspections.DrawResult.record` as canonical JSON).

    A plan is drawn once: its first draw is generation 1, and a redraw (a recorded act with a
    reason and a head's approval) replaces the plan's current draw with generation + 1, so
    ``(plan_id, generation)`` is unique and two draws racing on one plan cannot both land. The
    current draw is the plan's highest generation; the draws it replaced stay stored."""

    __tablename__ = "draws"
    __table_args__ = (
        Index("ix_draws_plan_id_generation", "plan_id", "generation", unique=True),
        Index("ix_draws_replaces", "replaces", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), index=True)
    target_snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshots.id"))
    inspector_snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshots.id"))
    public_value: Mapped[str] = mapped_column(Text)
    seed: Mapped[str] = mapped_column(String(64))
    record: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # when the public value was published; both snapshots were taken before it (None: a draw
    # stored before zhifa recorded it)
    value_published_at: Mapped[datetime | None] = mapped_column(DateTime)
    generation: Mapped[int] = mapped_column(Integer, server_default="1")
    # a redraw: the draw it replaced, why, and the head who approved it (no foreign keys:
    # migration 0005 adds the columns without a table copy; zhifa checks them when it writes)
    replaces: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)
    approved_by: Mapped[str | None] = mapped_column(String(32))
    # who drew, and how they were authenticated (login#ID, token#ID or none; NULL before 0007)
    drawn_by: Mapped[str | None] = mapped_column(String(32))
    auth: Mapped[str | None] = mapped_column(String(40))


class DrawTask(Base):
    """One inspection task a draw created: the draw, the visit (the entity's row among the
    draw's visits, shared by the tasks of one joint visit), the entity, the department and the
    inspection matter that carries the task."""

    __tablename__ = "draw_tasks"
    __table_args__ = (
        UniqueConstraint("draw_id", "visit", "department_code", name="uq_draw_tasks_draw_id"),
    )

    matter_id: Mapped[int] = mapped_column(ForeignKey("matters.id"), primary_key=True)
    draw_id: Mapped[int] = mapped_column(ForeignKey("draws.id"))
    visit: Mapped[int] = mapped_column(Integer)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"), index=True)
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"))
    year: Mapped[int] = mapped_column(Integer)  # the plan's year


class InspectionRequest(Base):
    """A market entity's own request to be inspected in a year: an entity of a class the plan
    leaves alone (无事不扰) is drawn that year only when it asked."""

    __tablename__ = "inspection_requests"

    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    requested_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="", server_default="")


class WorkflowVersion(Base):
    """One version of a workflow definition, with the exact text matters run on."""

    __tablename__ = "workflow_versions"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(Text)
    registered_at: Mapped[datetime] = mapped_column(DateTime)


class Matter(Base):
    """A matter (事项): one run of a workflow. ``version`` is the optimistic-lock counter."""

    __tablename__ = "matters"
    __table_args__ = (
        ForeignKeyConstraint(
            ["workflow", "workflow_version"],
            ["workflow_versions.name", "workflow_versions.version"],
        ),
        Index("ix_matters_workflow_state", "workflow", "state"),
        Index("ix_matters_workflow_department", "workflow", "department_code", "id"),
        Index("ix_matters_id_department", "id", "department_code"),
        # the matters that may owe a shipped follow-up (migration 0011, zhifa.engine.due)
        *(
            Index(
                index,
                "workflow",
                "department_code",
                "id",
                sqlite_where=text(f'json_extract(data, \'$."{trigger}"."{name}"\') = 1'),
                postgresql_where=text(f"((data -> '{trigger}') ->> '{name}') = 'true'"),
            )
            for index, trigger, name in (
                ("ix_matters_owes_found_clue", "record_result", "clue_to_open"),
                ("ix_matters_owes_real_name", "open", "real_name"),
            )
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workflow: Mapped[str] = mapped_column(String(64))
    workflow_version: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"), index=True)
    entity_id: Mapped[int | None] = mapped_column(ForeignKey("entities.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    opened_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    head_hash: Mapped[str] = mapped_column(String(64))


class MatterLink(Base):
    """A link between matters: a clue that opened a case, a case that spawned a transfer…"""

    __tablename__ = "matter_links"
    __table_args__ = (UniqueConstraint("source_id", "target_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("matters.id"), index=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("matters.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))


class Event(Base):
    """One recorded step (全过程记录). Append-only: database triggers refuse UPDATE and DELETE."""

    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("matter_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    matter_id: Mapped[int] = mapped_column(ForeignKey("matters.id"))
    seq: Mapped[int] = mapped_column(Integer)
    trigger: Mapped[str] = mapped_column(String(64))
    from_state: Mapped[str | None] = mapped_column(String(64))
    to_state: Mapped[str] = mapped_column(String(64))
    actor_id: Mapped[str] = mapped_column(ForeignKey("officers.id"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime)
    recorded_at: Mapped[datetime] = mapped_column(DateTime)
    data: Mapped[str] = mapped_column(Text)  # canonical JSON, exactly as hashed
    evidence: Mapped[str] = mapped_column(Text)  # canonical JSON list of {name, sha256, size}
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # how the actor was authenticated: login#ID, token#ID or none (NULL: before schema 0007);
    # part of the hash when set
    auth: Mapped[str | None] = mapped_column(String(40))


class Clock(Base):
    """A statutory clock of a matter, recomputed from its events at every step."""

    __tablename__ = "clocks"
    __table_args__ = (
        Index("ix_clocks_status_due_on", "status", "due_on"),
        Index("ix_clocks_due", "status", "provisional", "due_on", "matter_id", "name"),
    )

    matter_id: Mapped[int] = mapped_column(ForeignKey("matters.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))  # running | paused | met | missed
    started_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date | None] = mapped_column(Date)
    stopped_on: Mapped[date | None] = mapped_column(Date)
    provisional: Mapped[bool] = mapped_column(Boolean)
    paused_days: Mapped[int] = mapped_column(Integer)
    extensions: Mapped[int] = mapped_column(Integer)


class OutboxMessage(Base):
    """A message for a reporting sink, queued in the step's transaction, delivered after commit."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("event_id", "sink"),
        Index("ix_outbox_pending", "delivered_at", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"))
    sink: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(100), unique=True)  # idempotency key for the sink
    payload: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime)


class Credential(Base):
    """A way for an officer to prove who they are (see :mod:`zhifa.identity`): a ``password``
    (argon2 hash; one current per officer), a ``session`` a password login opened, or a personal
    API ``token`` (SHA-256 of its secret part). Never deleted: revoked or expired."""

    __tablename__ = "credentials"
    __table_args__ = (Index("ix_credentials_officer_id", "officer_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    officer_id: Mapped[str] = mapped_column(ForeignKey("officers.id"))
    kind: Mapped[str] = mapped_column(String(16))  # password | session | token
    secret_hash: Mapped[str] = mapped_column(Text)
    label: Mapped[str] = mapped_column(String(100), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(32))  # an officer id, or "owner"
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_by: Mapped[str | None] = mapped_column(String(32))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)


class AccessEntry(Base):
    """One entry of the access log: a login, a failed login, a lockout, a token's use, an
    administrative act. Append-only: database triggers refuse UPDATE and DELETE."""

    __tablename__ = "access_log"
    __table_args__ = (Index("ix_access_log_officer_id_at", "officer_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    what: Mapped[str] = mapped_column(String(32))
    officer_id: Mapped[str | None] = mapped_column(String(32))  # whom the entry is about
    by: Mapped[str | None] = mapped_column(String(32))  # who acted: an officer id, or "owner"
    credential_id: Mapped[int | None] = mapped_column(Integer)
    auth: Mapped[str] = mapped_column(String(40))  # login#ID, token#ID, owner or none
    detail: Mapped[str] = mapped_column(Text, default="", server_default="")


class Setting(Base):
    """A switch of the store (``auth``: ``on`` when an SQLite store requires authentication)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class CreditRecord(Base):
    """One dated fact in an entity's credit file (一户一档). Records with an ``event_id`` are
    derived from the record by :mod:`zhifa.credit.records` (one per event at most, never typed);
    the others were imported from another body, their ``source`` named and ``reference`` (the
    source's own number for the record, unique per source) making a re-import an update. ``flags`` is a
    comma-framed list (``,heavier,revocation,``) so that a window of records with a flag is one
    indexed query."""

    __tablename__ = "credit_records"
    __table_args__ = (
        Index("ix_credit_records_entity_id", "entity_id", "on"),
        Index("ix_credit_records_kind", "kind", "on"),
        Index("ix_credit_records_matter_id", "matter_id", "kind", "on"),
        Index("ix_credit_records_concerns", "concerns", "kind"),
        UniqueConstraint("source", "reference"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"))
    on: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(32))
    flags: Mapped[str] = mapped_column(String(200), default=",", server_default=",")
    source: Mapped[str] = mapped_column(String(100))
    matter_id: Mapped[int | None] = mapped_column(ForeignKey("matters.id"))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"), unique=True)
    reference: Mapped[str | None] = mapped_column(String(100))  # the source's own number
    # the record an objection or a repair is about (on the record of its matter's opening)
    concerns: Mapped[int | None] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(Text)
    details: Mapped[str] = mapped_column(Text, default="{}", server_default="{}")
    recorded_at: Mapped[datetime] = mapped_column(DateTime)


class CreditClass(Base):
    """An entity's credit-risk class as computed on ``as_of`` by a scheme (internal: never
    published). Each classification adds rows; the entity's current class is copied to
    ``entities.credit_class``, which the random draws' snapshots read. ``department_code`` is
    empty for the national scheme."""

    __tablename__ = "credit_classes"
    __table_args__ = (
        UniqueConstraint("entity_id", "as_of", "scheme", "department_code"),
        Index("ix_credit_classes_as_of", "as_of", "scheme", "department_code"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"))
    as_of: Mapped[date] = mapped_column(Date)
    credit_class: Mapped[str] = mapped_column(String(2))
    score: Mapped[float] = mapped_column(Float)
    scheme: Mapped[str] = mapped_column(String(64))
    scheme_version: Mapped[str] = mapped_column(String(32))
    department_code: Mapped[str] = mapped_column(String(32), default="", server_default="")
    reasons: Mapped[str] = mapped_column(Text)
    computed_at: Mapped[datetime] = mapped_column(DateTime)


class DocumentCounter(Base):
    """The last number given to a kind of enforcement document (文书) by a department in a
    year. Taken with a row lock in the transaction of the step that issues the document, so
    numbers are unique and leave no gap: a step that does not commit gives its number back."""

    __tablename__ = "document_numbers"

    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


class Document(Base):
    """An enforcement document issued at a step: its number (文号, ``None`` for a kind that is
    not numbered) and the SHA-256 of the exact .docx bytes kept in the evidence store, which the
    step's event also records."""

    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("department_code", "year", "kind", "seq"),
        Index("ix_documents_matter_id", "matter_id", "kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    matter_id: Mapped[int] = mapped_column(ForeignKey("matters.id"))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"))
    kind: Mapped[str] = mapped_column(String(32))
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"))
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int | None] = mapped_column(Integer)
    number: Mapped[str | None] = mapped_column(String(100), unique=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[datetime] = mapped_column(DateTime)


class Blob(Base):
    """A file in the evidence store, named by the SHA-256 of its bytes (never overwritten)."""

    __tablename__ = "evidence_blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    media_type: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(300))  # the name it was first stored under
    stored_at: Mapped[datetime] = mapped_column(DateTime)


class Receipt(Base):
    """The receipt of a complaint or report filed on the public page: only the SHA-256 of its
    code is kept, so the table cannot be read back into codes that follow someone's report."""

    __tablename__ = "receipts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    matter_id: Mapped[int] = mapped_column(ForeignKey("matters.id"), unique=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime)
