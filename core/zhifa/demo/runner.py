"""``run``: seed the bureau, set the simulated clock to 10 February 2026 and tell the stories in
order on one engine, then verify the record."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from zhifa.audit import verify
from zhifa.demo.accountability import tell_accountability
from zhifa.demo.bureau import ENTITIES, seed
from zhifa.demo.case import tell_case
from zhifa.demo.clues import tell_clues
from zhifa.demo.credit import tell_credit
from zhifa.demo.credit_lists import tell_credit_lists
from zhifa.demo.credit_repair import tell_credit_repair
from zhifa.demo.inspection import tell_inspection
from zhifa.demo.narrator import Narrator
from zhifa.demo.publication import tell_publication
from zhifa.demo.unpaid_fine import tell_unpaid_fine
from zhifa.engine import Engine
from zhifa.plugins import Plugins
from zhifa.store import Store
from zhifa.timekeeping import FixedClock


def run(store: Store, out: Callable[[str], None]) -> bool:
    """Walk the demo matters on ``store`` (migrated, empty); True when the record verifies."""
    seed(store)
    clock = FixedClock(datetime(2026, 2, 10, 9, 0))
    engine = Engine(store, plugins=Plugins(autoload=False), clock=clock)
    s = Narrator(engine, clock, out)
    noodle = ENTITIES[1][0]

    juice_clue = tell_clues(s)
    case = tell_case(s, juice_clue)
    tell_unpaid_fine(s, noodle)
    publication = tell_publication(s, case)
    tell_credit_repair(s, publication)
    tell_inspection(s)
    tell_accountability(s, noodle)
    tell_credit_lists(s, ENTITIES[0][0])
    tell_credit(s, ENTITIES[0][0])

    out("")
    report = verify(store)
    out(
        f"audit: {report.matters} matters, {report.events} events, "
        + ("record intact" if report.intact else f"BROKEN: {report.breaks}")
    )
    return report.intact
