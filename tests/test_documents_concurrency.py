"""Eight officers' steps issuing documents of one department and kind at the same moment on
PostgreSQL: the numbers are 1..N with no gap and no duplicate, also when one step is refused after
its number was taken."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import DEPT, ENTITY, seed_bureau
from tests.helpers import make_engine
from tests.test_documents import OPEN_DATA, counter
from zhifa import hookimpl
from zhifa.errors import PluginError
from zhifa.hooks.types import EventRecord, StepContext
from zhifa.store import Store
from zhifa.store.tables import Document

WRITERS = 8
EACH = 4
REFUSED = "拒绝归档的当事人"
NOW = datetime(2026, 3, 2, 9, 0)


class RefuseAfterIssuing:
    """Fails a step after it was written (its document numbered and rendered), for one party."""

    __name__ = "refuse-after-issuing"

    @hookimpl
    def zhifa_after_transition(self, ctx: StepContext, event: EventRecord) -> None:
        if ctx.data.get("party_name") == REFUSED:
            raise ValueError("archive refused")


@pytest.mark.postgres
def test_eight_writers_get_numbers_without_gaps(pg_url: str) -> None:
    store = Store(pg_url)
    seed_bureau(store)
    engines = [make_engine(store, RefuseAfterIssuing(), at=NOW)[0] for _ in range(WRITERS)]
    start = threading.Barrier(WRITERS)
    errors: list[BaseException] = []
    refused: list[int] = []

    def writer(n: int) -> None:
        engine = engines[n]
        start.wait()
        for i in range(EACH):
            party = REFUSED if (n, i) == (0, 1) else f"当事人{n}-{i}"
            data: dict[str, Any] = {**OPEN_DATA, "party_name": party}
            try:
                engine.open("case", "H1", data, NOW, entity=ENTITY)
            except PluginError:
                refused.append(n)
            except BaseException as exc:  # reported below, with the thread's failure
                errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert errors == []
        assert refused == [0]
        total = WRITERS * EACH - 1
        with store.read() as s:
            rows = s.execute(sa.select(Document.seq, Document.number)).all()
        assert sorted(r.seq for r in rows) == list(range(1, total + 1))
        assert len({r.number for r in rows}) == total
        assert counter(store, DEPT, 2026, "filing_approval") == total
    finally:
        store.dispose()
