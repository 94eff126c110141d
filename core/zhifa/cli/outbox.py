"""``zhifa outbox``: the messages for reporting sinks — delivered, failing with the error, or
queued — ``--deliver``, which delivers what is due now, and ``--deliver --loop``, a long-running
worker (any number of them may run against one database: see :mod:`zhifa.engine.outbox`) that
logs each delivery as JSON lines and stops cleanly on SIGTERM or SIGINT."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from types import FrameType
from typing import Annotated

import typer
from rich.table import Table

from zhifa.cli._common import DbOption, JsonOption, console, emit, open_engine
from zhifa.engine import DeliveryReport, Engine
from zhifa.engine.outbox import run_worker
from zhifa.engine.outbox_listing import (
    OutboxCounts,
    OutboxEntry,
    outbox_counts,
    outbox_messages,
    sinks_named,
)
from zhifa.errors import InputError
from zhifa.logs import configure as configure_logs
from zhifa.logs import get_logger

DELIVERY_BATCH = 100
LOOP_INTERVAL = 5.0
LONGEST_INTERVAL = 3600.0
LARGEST_BATCH = 10_000

log = get_logger("zhifa.outbox")


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


def _deliver_due(engine: Engine, sink: str | None, batch: int) -> DeliveryReport:
    """Deliver every message due now, in batches; a failed one waits for its next attempt."""
    delivered = failed = 0
    while True:
        report = engine.deliver_outbox(sink=sink, limit=batch)
        delivered += report.delivered
        failed += report.failed
        if report.delivered + report.failed < batch:
            return DeliveryReport(delivered, failed, report.pending)


@contextmanager
def _stopped_by_signals() -> Iterator[threading.Event]:
    """An event set by SIGTERM or SIGINT while the block runs (the handlers before it are put
    back after it)."""
    stop = threading.Event()

    def handle(signum: int, _frame: FrameType | None) -> None:
        log.info("outbox worker stopping", extra={"signal": signal.Signals(signum).name})
        stop.set()

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _check_loop_options(
    deliver: bool, loop: bool, interval: float | None, batch: int | None
) -> None:
    if loop and not deliver:
        raise InputError("--loop runs the delivery worker, so it needs --deliver: add --deliver")
    if interval is not None and not loop:
        raise InputError(
            "--interval is the pause of the --loop worker between polls; add --deliver --loop, "
            "or leave --interval out"
        )
    if batch is not None and not deliver:
        raise InputError("--batch sizes a delivery; add --deliver, or leave --batch out")
    if interval is not None and not 0 < interval <= LONGEST_INTERVAL:
        raise InputError(
            f"--interval must be more than 0 and at most {LONGEST_INTERVAL:g} seconds, got "
            f"{interval:g}; e.g. --interval 5"
        )
    if batch is not None and not 1 <= batch <= LARGEST_BATCH:
        raise InputError(
            f"--batch must be between 1 and {LARGEST_BATCH}, got {batch}; e.g. --batch 100"
        )


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
    loop: Annotated[
        bool,
        typer.Option(
            "--loop",
            help="With --deliver: keep running as a delivery worker, delivering messages as they "
            "fall due and logging each delivery and failure to stderr ($ZHIFA_LOG_FORMAT json or "
            "text, $ZHIFA_LOG_LEVEL); stops on SIGTERM or SIGINT after the message in hand.",
        ),
    ] = False,
    interval: Annotated[
        float | None,
        typer.Option(
            "--interval",
            metavar="S",
            help=f"With --loop: seconds to wait when nothing is due (default {LOOP_INTERVAL:g}).",
            show_default=False,
        ),
    ] = None,
    batch: Annotated[
        int | None,
        typer.Option(
            "--batch",
            metavar="N",
            help=f"With --deliver: messages delivered per round (default {DELIVERY_BATCH}).",
            show_default=False,
        ),
    ] = None,
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
    `zhifa outbox --deliver`: run it every minute from cron, or run `zhifa outbox --deliver
    --loop` workers (as many as needed, on any machines: each message is claimed by one worker
    at a time, for its sink's timeout plus 60 s; a worker that dies mid-delivery leaves it to
    the next one after that). With --json the listing is {"counts": {...}, "messages": [...]},
    --deliver prints {"delivered": N, "failed": N, "pending": N}, and --loop prints the same for
    the whole run when it stops (exit 0: failed messages are retried).
    """
    if limit < 1:
        raise InputError(f"--limit must be 1 or more, got {limit}; e.g. --limit 20")
    _check_loop_options(deliver, loop, interval, batch)
    # a bad $ZHIFA_LOG_LEVEL or $ZHIFA_LOG_FORMAT is refused before any work
    handler = configure_logs() if loop else None
    try:
        _run(db, pending, sink, deliver, loop, interval, batch, limit, as_json)
    finally:
        if handler is not None:
            logging.getLogger().removeHandler(handler)


def _run(
    db: str | None,
    pending: bool,
    sink: str | None,
    deliver: bool,
    loop: bool,
    interval: float | None,
    batch: int | None,
    limit: int,
    as_json: bool,
) -> None:
    engine = open_engine(db)
    try:
        if sink is not None:
            _check_sink(engine, sink)
        if loop:
            _loop_command(engine, sink, interval or LOOP_INTERVAL, batch or DELIVERY_BATCH, as_json)
        elif deliver:
            _deliver_command(engine, sink, batch or DELIVERY_BATCH, as_json)
        else:
            _list_command(engine, pending, sink, limit, as_json)
    finally:
        engine.store.dispose()


def _deliver_command(engine: Engine, sink: str | None, batch: int, as_json: bool) -> None:
    report = _deliver_due(engine, sink, batch)
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


def _loop_command(
    engine: Engine, sink: str | None, interval: float, batch: int, as_json: bool
) -> None:
    """Run the delivery worker until SIGTERM or SIGINT; print what it did."""
    outbox = engine.outbox
    with _stopped_by_signals() as stop:
        totals = run_worker(outbox, stop, interval=interval, batch=batch, sink=sink)
    emit(
        as_json,
        totals.as_dict(),
        lambda: console.print(
            f"{totals.delivered} delivered, {totals.failed} failed (retried later), "
            f"{totals.pending} not delivered yet"
        ),
    )


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
