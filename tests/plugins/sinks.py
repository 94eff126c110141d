"""Reporting sinks that record what they are delivered, and the plugin that loads them."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from zhifa import hookimpl
from zhifa.hooks.types import EventRecord, OutboxDelivery


class RecordingSink:
    """Takes the clue's opening and assignment and keeps each delivery in ``received``; fails
    ``fail_times`` times first, raising ``ConnectionError(error)``. ``timeout``, when given, is
    the sink's declared timeout (seconds)."""

    name = "record-sink"

    def __init__(
        self, fail_times: int = 0, timeout: Any = None, error: str = "platform unreachable"
    ) -> None:
        self.fail_times = fail_times
        self.error = error
        self.received: list[OutboxDelivery] = []
        if timeout is not None:
            self.timeout = timeout

    def wants(self, event: EventRecord) -> bool:
        return event.workflow == "clue" and event.trigger in ("open", "assign")

    def deliver(self, message: OutboxDelivery) -> None:
        if self.fail_times:
            self.fail_times -= 1
            raise ConnectionError(self.error)
        self.received.append(message)


class SlowSink(RecordingSink):
    """Hangs on its first delivery until released (or 5 s), past its 0.2 s timeout."""

    timeout = 0.2

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.calls = 0

    def deliver(self, message: OutboxDelivery) -> None:
        self.calls += 1
        if self.calls == 1:
            self.release.wait(5)
        self.received.append(message)


class SinkPlugin:
    """Loads the sinks it is given."""

    __name__ = "sink-plugin"

    def __init__(self, *sinks: RecordingSink) -> None:
        self.sinks = sinks

    @hookimpl
    def zhifa_reporting_sinks(self) -> Iterable[RecordingSink]:
        return self.sinks
