"""``zhifa outbox``: the messages for reporting sinks — delivered, failing with the error, or
queued — and ``--deliver``, which delivers what is due now."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table

from zhifa.cli._common import DbOption, JsonOption, console, emit, open_engine
from zhifa.engine import DeliveryReport, Engine
from zhifa.engine.outbox import (
    OutboxCounts,
    OutboxEntry,
    outbox_counts,
    outbox_messages,
    sinks_named,
)
from zhifa.errors import InputError

DELIVERY_BATCH = 100


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S}"


def _check_sink(engine: Engine, sink: str) -> None:
    """``sink`` is loaded or named by some message (a sink whose plugin is gone keeps its rows)."""
    known = set(engine.plugins.sinks()) | set(sinks_named(engine.store))
    if sink not in known:
        raise InputError(
            f"no reporting sink {sink!r} is loaded or named by an outbox message; "
            f"name one of: {', '.join(sorted(known)) or '(none)'}"
        )


def _deliver_due(engine: Engine, sink: str | None) -> DeliveryReport:
    """Deliver every message due now, in batches; a failed one waits for its next attempt."""
    delivered = failed = 0
    while True:
        report = engine.deliver_outbox(sink=sink, limit=DELIVERY_BATCH)
        delivered += report.delivered
        failed += report.failed
        if report.delivered + report.failed < DELIVERY_BATCH:
            return DeliveryReport(delivered, failed, report.pending)


def _render_messages(entries: list[OutboxEntry], counts: OutboxCounts) -> None:
    """A table of the messages, then each undelivered message's last error on its own line
    (errors are long and must not be cut)."""
    table = Table("id", "sink", "matter", "step", "status", "tries", "delivered / next attempt")
    for e in entries:
        when = _when(e.delivered_at) if e.delivered_at else f"next {_when(e.next_attempt_at)}"
        table.add_row(
            str(e.id),
            e.sink,
            f"#{e.matter_id} {e.workflow}",
            e.trigger,
            e.status,
            str(e.attempts),
            when,
        )
    console.print(table)
    for e in entries:
        if e.last_error and e.delivered_at is None:
            console.print(f"message {e.id} ({e.sink}): {e.last_error}", markup=False)
    console.print(
        f"{counts.delivered} delivered, {counts.failing} failing, {counts.queued} queued"
        f" (showing {len(entries)})"
    )


def outbox(
    pending: Annotated[
        bool, typer.Option("--pending", help="Only messages not delivered yet.")
    ] = False,
    sink: Annotated[
        str | None, typer.Option("--sink", metavar="NAME", help="Only this sink's messages.")
    ] = None,
    deliver: Annotated[
        bool,
        typer.Option(
            "--deliver",
            help="Deliver the messages due now (of --sink), print how many were delivered, "
            "failed and remain; exit 1 when a delivery failed (it is retried later).",
        ),
    ] = False,
    limit: Annotated[
        int, typer.Option("--limit", metavar="N", help="Show at most N messages, newest first.")
    ] = 100,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """The outbox of reporting sinks: each message's sink, matter and step, its status
    (delivered, failing or queued), attempts, last error, next attempt and delivery time.

    Messages are queued with each step a sink wants and delivered right after its commit, each
    within its sink's timeout (10 s unless the sink declares one). A message that failed or timed
    out is retried when due (30 s after the first failure, doubling, at most 1 hour apart) by
    `zhifa outbox --deliver`: run it every minute from cron. With --json the listing is
    {"counts": {...}, "messages": [...]} and --deliver prints {"delivered": N, "failed": N,
    "pending": N}.
    """
    if limit < 1:
        raise InputError(f"--limit must be 1 or more, got {limit}; e.g. --limit 20")
    engine = open_engine(db)
    try:
        if sink is not None:
            _check_sink(engine, sink)
        if deliver:
            _deliver_command(engine, sink, as_json)
        else:
            _list_command(engine, pending, sink, limit, as_json)
    finally:
        engine.store.dispose()


def _deliver_command(engine: Engine, sink: str | None, as_json: bool) -> None:
    report = _deliver_due(engine, sink)
    payload = {"delivered": report.delivered, "failed": report.failed, "pending": report.pending}
    emit(
        as_json,
        payload,
        lambda: console.print(
            f"{report.delivered} delivered, {report.failed} failed (retried later), "
            f"{report.pending} not delivered yet"
        ),
    )
    if report.failed:
        raise typer.Exit(1)


def _list_command(
    engine: Engine, pending: bool, sink: str | None, limit: int, as_json: bool
) -> None:
    entries = outbox_messages(engine.store, pending=pending, sink=sink, limit=limit)
    counts = outbox_counts(engine.store, sink=sink)
    emit(
        as_json,
        {"counts": counts.as_dict(), "messages": [e.as_dict() for e in entries]},
        lambda: _render_messages(entries, counts),
    )


def register(app: typer.Typer) -> None:
    app.command("outbox")(outbox)
