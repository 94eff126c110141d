"""A publication that follows a case shares the case's facts, on SQLite and PostgreSQL: the
party's name and credit code (the case's entity), the procedure, the decision date (the day of the
case's decide_penalty step) and the penalty (its kind, fine and confiscation) are the case's, and a
decision is registered for publication once (市场监督管理行政处罚信息公示规定 第四条、第九条、第十一条).
Seen from the attacker's side: a re-keyed value is refused with the field, the value given and the
recorded one, and nothing is written."""

from __future__ import annotations

import contextlib
import threading
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from tests.conftest import ENTITY
from tests.helpers import counts, make_engine, make_uscc
from tests.test_workflow_case import (
    CONCLUDE,
    Walk,
    notice,
    open_case,
    penalty,
    seed_case_officers,
)
from zhifa import hookimpl
from zhifa.engine import Engine
from zhifa.errors import GuardRefused
from zhifa.hooks.types import MatterView, StepContext
from zhifa.procedure.publication import Penalty, publicity_end
from zhifa.store import Store

D = date
DECIDED = D(2026, 3, 4)  # Wednesday: the case's decide_penalty step
REGISTERED = datetime(2026, 3, 5, 9, 0)
PARTY = "某食品有限公司"  # the name of the case's entity (tests/conftest.py)


@pytest.fixture
def engine(bureau: Store) -> Engine:
    seed_case_officers(bureau)
    return make_engine(bureau, at=datetime(2026, 12, 31, 18, 0))[0]


def decided_case(engine: Engine, fine: str = "5000", **more: Any) -> Walk:
    """A case notified on 3 Mar 2026 and decided on 4 Mar with ``fine`` (and ``more``, each also
    notified)."""
    walk = open_case(engine, D(2026, 3, 2))
    walk.do("conclude_investigation", "C1", D(2026, 3, 2), CONCLUDE)
    walk.do("notify", "C1", D(2026, 3, 3), {**notice(fine), **more})
    walk.do("decide_penalty", "H1", DECIDED, penalty(fine, **more))
    return walk


def publication(**changes: Any) -> dict[str, Any]:
    """The case's decision as recorded; a change of None leaves the field out."""
    data: dict[str, Any] = {
        "decision_no": "杭西市监处罚〔2026〕12号",
        "decision_date": DECIDED.isoformat(),
        "procedure": "ordinary",
        "party_name": PARTY,
        "party": ENTITY,
        "violation": "经营超过保质期的食品",
        "fine_amount": "5000",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def open_publication(
    engine: Engine, case: MatterView, at: datetime = REGISTERED, **changes: Any
) -> MatterView:
    return engine.open("publication", "C1", publication(**changes), at, follows=case).matter


def refused(engine: Engine, store: Store, case: MatterView, **changes: Any) -> list[str]:
    before = counts(store)
    with pytest.raises(GuardRefused) as err:
        open_publication(engine, case, **changes)
    assert counts(store) == before  # nothing written
    return err.value.reasons


def test_the_recorded_values_are_accepted(engine: Engine) -> None:
    case = decided_case(engine).matter
    p = open_publication(engine, case)
    assert p.entity_id == case.entity_id and p.data["open"]["fine_amount"] == "5000.00"


def test_the_entity_code_may_be_left_out(engine: Engine) -> None:
    case = decided_case(engine).matter
    assert open_publication(engine, case, party=None).state == "pending"


@pytest.mark.parametrize(
    ("changes", "fragments"),
    [
        ({"party_name": "某某公司"}, ["party_name 某某公司", PARTY, "case's entity"]),
        ({"party_name": " 某食品有限公司 "}, None),  # the same name, spaced
        ({"party": make_uscc(7)}, [f"party {make_uscc(7)}", ENTITY, "case's entity"]),
        ({"decision_date": "2026-03-03"}, ["decision_date 2026-03-03", "2026-03-04"]),
        ({"decision_date": "2026-03-05"}, ["decision_date 2026-03-05", "2026-03-04"]),
        ({"decision_date": "2026-03-04"}, None),  # the recorded date, the boundary
        ({"fine_amount": "5"}, ["fine_amount 5.00 yuan", "5000.00 yuan", "decide_penalty"]),
        ({"fine_amount": "5000.00"}, None),  # the same amount
        ({"fine_amount": "5000.01"}, ["fine_amount 5000.01 yuan", "5000.00 yuan"]),
        ({"fine_amount": None}, ["fine_amount is missing", "5000.00 yuan"]),
        ({"permit_revoked": True}, ["permit_revoked is not a penalty the case's decision"]),
        ({"confiscated_amount": "800"}, ["confiscated_amount 800.00 yuan"]),
    ],
    ids=[
        "other-name",
        "same-name-spaced",
        "other-code",
        "date-a-day-before",
        "date-a-day-after",
        "recorded-date",
        "fine-5-for-5000",
        "same-fine-written-otherwise",
        "fine-a-fen-more",
        "fine-left-out",
        "penalty-kind-added",
        "confiscation-not-decided",
    ],
)
def test_a_contradicting_value_is_refused(
    engine: Engine, bureau: Store, changes: dict[str, Any], fragments: list[str] | None
) -> None:
    case = decided_case(engine).matter
    if fragments is None:
        assert open_publication(engine, case, **changes).state == "pending"
        return
    # the reasons of the comparison with the case (an empty penalty is also refused on its own)
    reasons = [r for r in refused(engine, bureau, case, **changes) if "第四条" in r]
    assert len(reasons) == 1, reasons
    assert all(f in reasons[0] for f in fragments), reasons


def test_every_contradiction_is_a_reason(engine: Engine, bureau: Store) -> None:
    case = decided_case(engine).matter
    reasons = refused(
        engine, bureau, case, party_name="某某公司", decision_date="2026-03-03", fine_amount="5"
    )
    assert [r.split()[0] for r in reasons] == ["party_name", "decision_date", "fine_amount"]


def test_a_recorded_penalty_kind_left_out_is_refused(engine: Engine, bureau: Store) -> None:
    case = decided_case(engine, confiscation="800").matter
    (reason,) = refused(engine, bureau, case)
    assert "imposes confiscation" in reason and "give confiscation" in reason
    p = open_publication(engine, case, confiscation=True, confiscated_amount="800")
    assert p.state == "pending"


def test_a_publication_following_nothing_is_not_compared(engine: Engine) -> None:
    data = publication(party_name="另一家公司", fine_amount="5")
    assert engine.open("publication", "C1", data, REGISTERED, entity=ENTITY).matter.id


# -- one publication per decision (第九条、第十一条) ------------------------------------------------


def test_a_second_publication_of_the_same_case_is_refused(engine: Engine, bureau: Store) -> None:
    case = decided_case(engine).matter
    first = open_publication(engine, case)
    (reason,) = refused(engine, bureau, case)
    assert f"publication matter {first.id} (pending)" in reason
    assert f"case matter {case.id}" in reason and "第九条" in reason
    # published, it still blocks a second one
    day = D(2026, 3, 6)
    ends = publicity_end(day, Penalty.from_data(first.data["open"]))
    at = datetime(2026, 3, 6, 10)
    engine.advance(first, "publish", "C1", {"publicity_ends_on": ends.isoformat()}, at)
    (reason,) = refused(engine, bureau, case)
    assert f"publication matter {first.id} (published)" in reason


def test_another_case_may_be_published(engine: Engine) -> None:
    one, two = decided_case(engine).matter, decided_case(engine).matter
    assert open_publication(engine, one).id != open_publication(engine, two).id


def _changed(engine: Engine, p: MatterView, day: date) -> MatterView:
    data = {"change": "changed", "changed_on": day.isoformat()}
    return engine.advance(
        p, "decision_changed", "C1", data, datetime(day.year, day.month, day.day, 11)
    ).matter


def test_a_changed_decision_is_registered_again_once_cancelled(engine: Engine) -> None:
    case = decided_case(engine).matter
    first = _changed(engine, open_publication(engine, case), D(2026, 3, 5))
    assert first.state == "cancelled"
    second = open_publication(engine, case, at=datetime(2026, 3, 5, 15))
    assert second.id != first.id


def test_a_changed_decision_is_registered_again_once_withdrawn(
    engine: Engine, bureau: Store
) -> None:
    case = decided_case(engine).matter
    first = open_publication(engine, case)
    day = D(2026, 3, 6)
    ends = publicity_end(day, Penalty.from_data(first.data["open"]))
    at = datetime(2026, 3, 6, 10)
    first = engine.advance(
        first, "publish", "C1", {"publicity_ends_on": ends.isoformat()}, at
    ).matter
    first = _changed(engine, first, D(2026, 3, 9))
    assert first.state == "withdrawing"
    (reason,) = refused(engine, bureau, case)  # still shown until withdrawn
    assert "(withdrawing)" in reason
    at = datetime(2026, 3, 9, 14)
    first = engine.advance(first, "withdraw", "C1", {"reason": "处罚决定已变更"}, at).matter
    assert first.state == "withdrawn"
    later = open_publication(engine, case, at=at + timedelta(hours=1))
    assert later.state == "pending"


class Meet:
    """Holds every opening that passed the guards until all of them have, or a second passed:
    without the lock on the followed case, racing openings would all pass and all be written."""

    __name__ = "meet"

    def __init__(self, parties: int) -> None:
        self.barrier = threading.Barrier(parties)
        # the case is read with the publication's guards, on a fresh copy per opening
        self.seen: list[int | None] = []

    @hookimpl
    def zhifa_before_transition(self, ctx: StepContext) -> None:
        if ctx.matter is None and ctx.definition.name == "publication":
            self.seen.append(ctx.follows.id if ctx.follows is not None else None)
            with contextlib.suppress(threading.BrokenBarrierError):
                self.barrier.wait(timeout=1.5)


def test_publications_racing_for_one_case_open_one(engine: Engine, bureau: Store) -> None:
    """Openings racing on one case: the case's row is locked while each is checked and written,
    so one is opened and the others then see it and are refused."""
    # another case's publication first: the first use of a workflow version registers it, and
    # openings racing to register it would wait for each other there
    open_publication(engine, decided_case(engine).matter)
    case = decided_case(engine).matter
    meet = Meet(3)
    engines = [make_engine(bureau, meet, at=datetime(2026, 12, 31, 18, 0))[0] for _ in range(3)]
    results: list[str] = []
    start = threading.Barrier(len(engines))

    def race(e: Engine) -> None:
        start.wait()
        try:
            open_publication(e, case)
            results.append("opened")
        except GuardRefused as err:
            assert "already registers the decision" in " ".join(err.reasons)
            results.append("refused")

    threads = [threading.Thread(target=race, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["opened", "refused", "refused"]
    assert meet.seen == [case.id]  # the hook saw the case through ctx.follows, once
