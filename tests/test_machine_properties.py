"""Random sequences of steps by random officers never leave the declared graph, and an event is
recorded exactly when a step is taken."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import make_engine
from zhifa.audit import verify
from zhifa.errors import ZhifaError
from zhifa.store import Store

VALID_DATA: dict[str, dict[str, Any]] = {
    "assign": {"verifiers": ["C1"]},
    "extend": {"reason": "材料较多"},
    "start_testing": {"kind": "testing", "body": "检验院"},
    "finish_testing": {"result": "合格"},
    "open_case": {"act_date": "2026-01-05", "handlers": ["C1", "C2"], "violation": "v"},
    "decline": {"ground": "no_violation", "explanation": "e"},
    "hand_over": {"to_department": "d", "reason": "r"},
}
ACTORS = ["H1", "C1", "C2", "C3", "C4", "L1", "X1"]

steps = st.lists(
    st.tuples(
        st.sampled_from(sorted(VALID_DATA)),
        st.sampled_from(ACTORS),
        st.booleans(),  # send the valid data, or none
        st.integers(min_value=0, max_value=6),  # days since the previous attempt
    ),
    max_size=14,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sequence=steps)
def test_random_steps_stay_on_the_graph(
    sqlite_bureau: Store, sequence: list[tuple[str, str, bool, int]]
) -> None:
    engine, clock = make_engine(sqlite_bureau)
    defn = engine.definition("clue")
    moment = datetime(2026, 2, 10, 9)
    clock.set(moment)
    matter = engine.open("clue", "C1", {"source": "report", "summary": "s"}).matter
    taken = 1
    for trigger, actor, with_data, days in sequence:
        moment += timedelta(days=days, minutes=1)
        clock.set(moment)
        before = engine.load(matter.id)
        try:
            result = engine.advance(
                before, trigger, actor, VALID_DATA[trigger] if with_data else {}
            )
        except ZhifaError:
            after = engine.load(matter.id)
            assert (after.state, after.version) == (before.state, before.version)
            assert len(engine.history(matter.id)) == taken
            continue
        taken += 1
        ev = result.event
        assert defn.triggers[trigger].moves[before.state] == ev.to_state == result.matter.state
        assert ev.from_state == before.state != ev.to_state
        assert len(engine.history(matter.id)) == taken == result.matter.version
        assert actor in ("H1", "C1", "C2", "C3")  # only certified officers of the department act
    history = engine.history(matter.id)
    assert history[-1].to_state == engine.load(matter.id).state
    for prev, ev in itertools.pairwise(history):
        assert ev.from_state == prev.to_state
        assert defn.triggers[ev.trigger].moves[ev.from_state] == ev.to_state  # type: ignore[index]
    assert verify(sqlite_bureau).intact
