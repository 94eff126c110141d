"""Random walks through the case workflow (行政处罚案件): whatever steps random officers attempt,
with valid or missing data and at random times, the recorded history of the case keeps the
procedural safeguards of the 行政处罚法.

Each example opens one case (ordinary or simple procedure, with handlers that may include R2, a
case handler who is also a legal reviewer) and then attempts up to ``MAX_STEPS`` steps. Most
attempts pick a trigger possible from the current state and an officer holding one of its roles,
so walks reach notices, hearings, reviews, decisions and payments; the rest pick any trigger and
any officer (wrong role, other department, no or expired certificate, a reviewer or hearing chair
who handles the case). Refusals are expected. After every attempt the whole history is checked:

1. a decision follows a concluded investigation, and a penalty decision (decide_penalty) follows a
   notice (notify) given after that conclusion (Art 44). Lawful exceptions written into case.yaml:
   the on-the-spot decision of the simple procedure (decide_on_the_spot, Art 51, the matter's
   first step after opening a simple-procedure matter), and the decisions that impose no penalty
   (decide_no_penalty, decide_soft: their ``from`` lists include ``investigated``, they carry no
   notice guard, and their basis does not cite Art 44, whose notice concerns a proposed penalty);
2. where Art 58 applies (a conclusion flagged major public interest, complex or major rights, or a
   hearing held since the conclusion) a decision follows a passed legal review recorded after the
   conclusion and after that hearing; a complex case or major violation is penalised only after
   the heads' collective discussion (Art 57 (2));
3. no legal review (passed or failed) is recorded by one of the case's handlers, and no hearing is
   scheduled or held with a handler as chair (Art 58, Art 64 (4));
4. every event is an edge of the definition, changes the state and follows the previous event;
5. a refused attempt writes nothing: same state, version, data and number of events.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.conftest import ENTITY, OFFICERS
from tests.helpers import make_engine
from tests.test_workflow_case import EXTRA, seed_case_officers
from zhifa.audit import verify
from zhifa.errors import ConflictError, InputError, RefusedError
from zhifa.hooks.types import EventRecord
from zhifa.procedure.case import INVESTIGATION_STEPS
from zhifa.store import Store
from zhifa.workflow.definitions import Definition

MAX_STEPS = 30
START = datetime(2026, 3, 2, 9, 0)  # Monday; C3's certificate ends that day

ROLES: dict[str, frozenset[str]] = {
    **{oid: frozenset(spec[2].split(",")) for oid, spec in OFFICERS.items()},
    **{oid: frozenset(roles.split(",")) for oid, (_, roles) in EXTRA.items()},
}
ACTORS = sorted(ROLES)  # C1 C2 C3 C4 H1 H2 L1 R2 X1
UNQUALIFIED = {"C3", "C4", "X1"}  # certificate expired on the first day, none, other department

HANDLER_SETS = [["C1", "C2"], ["C1", "R2"], ["R2", "C2"], ["C1", "C2", "R2"]]
CHAIRS = ["L1", "H2", "H1", "C1", "C2", "R2"]  # includes handlers: a chair who investigated
PARTICIPANTS = [["H1", "H2"], ["H1", "H2"], ["H1", "C1"], ["H1", "X1"]]
AMOUNTS = ["1000", "5000", "10000", "100000"]
NOTIFIED = "as notified"  # a decided penalty field drawn as this takes the notice's value

PENALTY_DECISIONS = ("decide_penalty", "decide_on_the_spot")
NO_PENALTY_DECISIONS = ("decide_no_penalty", "decide_soft")
DECISIONS = (*PENALTY_DECISIONS, *NO_PENALTY_DECISIONS)
ART58_FLAGS = ("major_public_interest", "complex", "major_rights")
ART57_FLAGS = ("complex", "major_violation")
REVIEWS = ("pass_review", "fail_review")
CHAIRED = ("schedule_hearing", "hold_hearing")
FORWARD = {  # the steps of an ordinary case towards its decision and closing, from each state
    "investigating": ["conclude_investigation", "decide_on_the_spot"],
    "investigated": ["notify", "notify", "pass_review", "discuss"],
    "reviewed": ["notify", "discuss", "decide_penalty"],
    "discussed": ["notify", "pass_review", "decide_penalty"],
    "notified": ["request_hearing", "pass_review", "discuss", "decide_penalty", "decide_penalty"],
    "hearing_requested": ["schedule_hearing"],
    "hearing_scheduled": ["hold_hearing"],
    "heard": ["pass_review", "decide_penalty", "discuss"],
    "decided": ["serve"],
    "served": ["record_payment", "close", "apply_for_review", "serve_demand"],
    "contested": ["conclude_review", "record_payment"],
    "demanded": ["record_payment", "decide_enforcement", "apply_to_court"],
    "enforcing": ["record_enforced", "suspend_execution"],
    "court_applied": ["court_orders_enforcement", "court_refuses"],
    "execution_ended": ["close"],
    "handlers_withdrawn": ["name_handlers"],
    "executed": ["close"],
}
ENDINGS = ("terminate", "transfer")  # attempted only when drawn from all triggers
WEIGHT = {  # how much more often a walk attempts the steps towards a decision than detours
    **dict.fromkeys(("conclude_investigation", "notify", "pass_review", "discuss"), 10),
    **dict.fromkeys(("request_hearing", "schedule_hearing", "hold_hearing"), 10),
    **dict.fromkeys(("decide_penalty", "decide_on_the_spot", "serve", "record_payment"), 10),
    **dict.fromkeys(("finish_testing", "end_public_notice", "resume", "take_back"), 6),
    **dict.fromkeys((*NO_PENALTY_DECISIONS, "apply_for_review", "conclude_review"), 3),
    **dict.fromkeys(("close", "extend", "fail_review"), 3),
}

text = st.sampled_from(["事实清楚", "证据确凿", "说明"])
flag = st.booleans()


def some(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """A dict with ``fields``; a value drawn as None is left out (an optional field not given)."""
    return st.fixed_dictionaries(fields).map(
        lambda d: {k: v for k, v in d.items() if v is not None}
    )


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


# Valid data for each trigger. Dates that depend on the time of the step are drawn as day offsets
# (keys starting with "+" or "-") and turned into ISO dates when the step is attempted; penalty
# fields drawn as NOTIFIED copy the latest notice, so that decisions within it are tried often.
DATA: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "decide_on_the_spot": some(
        facts_conclusive=st.sampled_from([True, True, False]),
        legal_basis=text,
        penalty_kind=st.sampled_from(["warning", "fine"]),
        fine=maybe(st.sampled_from(["50", "200", "200.01", "3000", "3001"])),
        education=maybe(text),
    ),
    "suspend": some(
        ground=st.sampled_from(["party_unavailable", "awaiting_other_case", "force_majeure"]),
        reason=text,
    ),
    "resume": some(reason=text),
    "start_testing": some(kind=st.sampled_from(["testing", "appraisal"]), body=text),
    "finish_testing": some(result=text),
    "start_public_notice": some(purpose=text),
    "end_public_notice": some(outcome=text),
    "extend": some(reason=text),
    "extend_further": some(
        participants=st.sampled_from(PARTICIPANTS), days=st.sampled_from([15, 30, 60]), reason=text
    ),
    "conclude_investigation": some(
        violation=text,
        proposed_outcome=st.sampled_from(["penalty", "no_penalty", "soft_enforcement"]),
        major_public_interest=maybe(flag),
        complex=maybe(flag),
        major_rights=maybe(flag),
        major_violation=maybe(flag),
        suspected_crime=maybe(flag),
    ),
    "pass_review": some(opinion=text),
    "fail_review": some(opinion=text),
    "discuss": some(participants=st.sampled_from(PARTICIPANTS), conclusion=text),
    "notify": some(
        penalty_kind=st.sampled_from(
            ["fine", "fine", "fine", "warning", "confiscation", "closure"]
        ),
        fine=st.one_of(st.sampled_from(AMOUNTS), st.none()),
        confiscation=maybe(st.sampled_from(AMOUNTS)),
        hearing_eligible=st.sampled_from([True, True, False]),
        reasons=text,
    ),
    "request_hearing": some(request=maybe(text)),
    "withdraw_hearing": some(reason=text),
    "schedule_hearing": some(
        **{"+hearing_date": st.sampled_from([3, 10, 14])}, chair=st.sampled_from(CHAIRS)
    ),
    "hold_hearing": some(chair=st.sampled_from(CHAIRS), record=text),
    "decide_penalty": some(
        penalty_kind=st.sampled_from(["fine", "fine", "warning", "confiscation", NOTIFIED]),
        fine=maybe(st.sampled_from(["1000", *AMOUNTS, NOTIFIED])),
        confiscation=maybe(st.sampled_from([*AMOUNTS, NOTIFIED])),
        reasons=text,
        rights_waived=maybe(flag),
        education=maybe(text),
    ),
    "decide_no_penalty": some(
        ground=st.sampled_from(
            [
                "minor_corrected_no_harm",
                "first_violation_slight_harm",
                "no_fault",
                "facts_not_established",
            ]
        ),
        corrected=maybe(flag),
        first_violation=maybe(flag),
        harm=st.sampled_from(["none", "slight", "more"]),
        explanation=text,
        education=text,
    ),
    "decide_soft": some(
        measure=st.sampled_from(["guidance", "interview", "order_to_correct"]),
        correction_deadline=maybe(st.just("2026-12-31")),
        education=text,
    ),
    "serve": some(method=st.sampled_from(["in_person", "mail", "electronic"])),
    "apply_for_review": some(kind=st.sampled_from(["administrative_review", "lawsuit"]), body=text),
    "conclude_review": some(outcome=st.sampled_from(["upheld", "changed", "revoked"])),
    "record_payment": some(
        **{"-paid_on": st.sampled_from([0, 0, 3, 30])},
        amount_paid=st.sampled_from(["50", "200", *AMOUNTS]),
        surcharge_paid=maybe(st.sampled_from(["0", "6", "300", "100000"])),
    ),
    "recuse": some(
        officer=st.sampled_from(["C1", "C2", "R2"]),
        kind=st.sampled_from(["declared", "applied", "decided"]),
        reason=text,
    ),
    "name_handlers": some(handlers=maybe(st.sampled_from([["R2"], ["C1"], ["C2", "R2"], []]))),
    "serve_demand": some(
        fine_due=st.sampled_from(["200", *AMOUNTS]),
        surcharge_due=st.sampled_from(["0", "6", "300"]),
        **{"+deadline": st.sampled_from([0, 7])},
        method=text,
        rights_told=flag,
    ),
    "decide_enforcement": some(
        power_basis=text, measure=st.sampled_from(["auction", "transfer_deposits"]), statements=text
    ),
    "apply_to_court": some(court=text, statements=text),
    "court_orders_enforcement": some(ruling_no=text),
    "court_refuses": some(ruling_no=text, reason=text),
    "suspend_execution": some(ground=st.sampled_from(["unable_to_pay", "other"]), explanation=text),
    "resume_execution": some(explanation=text),
    "record_enforced": some(
        **{"-recovered_on": st.sampled_from([0, 3])},
        fine_recovered=st.sampled_from(["200", *AMOUNTS]),
        surcharge_recovered=maybe(st.sampled_from(["0", "200"])),
        agreement=maybe(text),
    ),
    "end_execution": some(
        ground=st.sampled_from(["person_died", "object_lost", "suspended_three_years"]),
        explanation=text,
    ),
    "transfer": some(organ=text, reason=text),
    "take_back": some(reason=text),
    "terminate": some(
        ground=st.sampled_from(["party_died", "organisation_dissolved", "converted", "other"]),
        explanation=text,
    ),
    "close": some(summary=text),
}

OPENING = st.fixed_dictionaries(
    {
        "procedure": st.sampled_from(["ordinary", "ordinary", "ordinary", "simple"]),
        "party_kind": st.sampled_from(["person", "organisation"]),
        "party_name": st.just("某食品有限公司"),
        "act_date": st.just("2026-01-10"),
        "handlers": st.sampled_from(HANDLER_SETS),
        "violation": st.just("销售超过保质期的食品"),
    }
)


def resolve(data: Mapping[str, Any], day: date, notified: Mapping[str, Any]) -> dict[str, Any]:
    """Turn the day offsets of drawn data into ISO dates relative to ``day``, and the fields
    drawn as ``NOTIFIED`` into the values of the latest notice (left out if it had none)."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key[0] in "+-":
            sign = 1 if key[0] == "+" else -1
            out[key[1:]] = (day + timedelta(days=sign * value)).isoformat()
        elif value == NOTIFIED:
            if notified.get(key) is not None:
                out[key] = notified[key]
        else:
            out[key] = value
    return out


# -- the invariants ------------------------------------------------------------------------------


def _last(history: Sequence[EventRecord], triggers: Sequence[str], before: int) -> int | None:
    for i in range(before - 1, -1, -1):
        if history[i].trigger in triggers:
            return i
    return None


def _any_between(
    history: Sequence[EventRecord], triggers: Sequence[str], after: int, before: int
) -> bool:
    return any(ev.trigger in triggers for ev in history[after + 1 : before])


def check_history(defn: Definition, history: Sequence[EventRecord]) -> None:
    """Assert invariants 1–4 on a case's whole recorded history."""
    opened = history[0]
    assert (opened.trigger, opened.from_state, opened.to_state) == ("open", None, defn.initial)
    assert [ev.seq for ev in history] == list(range(1, len(history) + 1))
    handlers = set(opened.data["handlers"])
    simple = opened.data["procedure"] == "simple"

    # 4. on the graph, every event changes the state and follows the previous one
    for prev, ev in itertools.pairwise(history):
        where = f"event {ev.seq} {ev.trigger}"
        assert ev.from_state == prev.to_state, where
        assert ev.from_state != ev.to_state, where
        assert defn.triggers[ev.trigger].moves.get(ev.from_state) == ev.to_state, where

    for i, ev in enumerate(history):
        where = f"event {ev.seq} {ev.trigger} by {ev.actor_id}"
        # 3. independence of the legal reviewer and of the hearing chair from everyone who
        # investigated so far: the named handlers and whoever took a step of the investigation
        investigators = handlers | {
            e.actor_id for e in history[:i] if e.trigger in INVESTIGATION_STEPS
        }
        if ev.trigger in REVIEWS:
            assert ev.actor_id not in investigators, f"{where}: the reviewer investigated"
        if ev.trigger in CHAIRED:
            assert ev.data["chair"] not in investigators, f"{where}: the chair investigated"
        if ev.trigger not in DECISIONS:
            continue
        assert ev.to_state == ("served" if ev.trigger == "decide_on_the_spot" else "decided")
        # 1. notice before a penalty, except the simple procedure's on-the-spot decision
        if ev.trigger == "decide_on_the_spot":
            assert simple and i == 1, f"{where}: on the spot only as a simple matter's first step"
            continue
        concluded = _last(history, ("conclude_investigation",), i)
        assert concluded is not None, f"{where}: decided without a concluded investigation"
        assert not simple, f"{where}: a simple-procedure matter decided as an ordinary one"
        if ev.trigger == "decide_penalty":
            assert _any_between(history, ("notify",), concluded, i), (
                f"{where}: a penalty decided without a notice since the conclusion"
            )
        # 2. legal review where Art 58 requires it, after the conclusion and any hearing since
        conclusion = history[concluded].data
        heard = _last(history, ("hold_hearing",), i)
        heard = heard if heard is not None and heard > concluded else None
        if heard is not None or any(conclusion.get(f) for f in ART58_FLAGS):
            since = heard if heard is not None else concluded
            assert _any_between(history, ("pass_review",), since, i), (
                f"{where}: no passed legal review since event {history[since].seq}"
            )
        if ev.trigger == "decide_penalty" and any(conclusion.get(f) for f in ART57_FLAGS):
            assert _any_between(history, ("discuss",), concluded, i), (
                f"{where}: no collective discussion for a complex case or major violation"
            )


# -- the walk ------------------------------------------------------------------------------------


@pytest.fixture
def case_bureau(sqlite_bureau: Store) -> Store:
    """The seeded SQLite bureau with H2 (a second head) and R2 (a case handler who is also a
    legal reviewer)."""
    seed_case_officers(sqlite_bureau)
    return sqlite_bureau


def odds(yes: int, no: int) -> st.SearchStrategy[bool]:
    """True ``yes`` times in ``yes + no`` (not biased towards either as integers would be)."""
    return st.sampled_from([True] * yes + [False] * no)


def choose(
    data: st.DataObject, defn: Definition, state: str
) -> tuple[str, str, dict[str, Any] | None, int]:
    """An attempt: trigger, actor, drawn data (None: no data at all), days to wait first.

    Mostly a step of ``FORWARD`` or another trigger possible from ``state`` (the steps that move
    a case towards its decision weigh more than detours and endings) taken by a certified officer of the department holding
    one of its roles; sometimes any trigger, or an officer with the role but no valid certificate
    or of another department, or any officer."""
    possible = sorted(t.name for t in defn.triggers_from(state))
    weighted = [t for t in possible if t not in ENDINGS for _ in range(WEIGHT.get(t, 1))]
    pool = data.draw(
        st.sampled_from([FORWARD.get(state, weighted)] * 10 + [weighted] * 7 + [[]] * 3)
    )
    trigger = data.draw(st.sampled_from(pool or sorted(defn.triggers)), label="trigger")
    fitting = [a for a in ACTORS if ROLES[a] & defn.triggers[trigger].roles]
    qualified = [a for a in fitting if a not in UNQUALIFIED]
    tier = data.draw(st.sampled_from([qualified] * 14 + [fitting] * 3 + [ACTORS] * 3))
    actor = data.draw(st.sampled_from(tier or ACTORS), label="actor")
    values = data.draw(DATA[trigger], label="data") if data.draw(odds(19, 1)) else None
    wait = data.draw(st.sampled_from([0, 0, 0, 1, 2, 3, 5, 8, 12]), label="days")
    return trigger, actor, values, wait


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    opening=OPENING,
    steps=st.integers(min_value=MAX_STEPS // 3, max_value=MAX_STEPS),
    data=st.data(),
)
def test_random_case_walks_keep_the_safeguards(
    case_bureau: Store, opening: dict[str, Any], steps: int, data: st.DataObject
) -> None:
    engine, clock = make_engine(case_bureau)
    defn = engine.definition("case")
    moment = START
    clock.set(moment)
    opener = "H1" if opening["procedure"] == "ordinary" else "C1"
    matter = engine.open("case", opener, opening, entity=ENTITY).matter
    check_history(defn, engine.history(matter.id))
    for _ in range(steps):
        if defn.states[matter.state].terminal:
            break
        trigger, actor, values, wait = choose(data, defn, matter.state)
        moment += timedelta(days=wait, minutes=7)
        clock.set(moment)
        before = engine.load(matter.id)
        events = len(engine.history(matter.id))
        try:
            notified = before.data.get("notify") or {}
            step_data = resolve(values, moment.date(), notified) if values is not None else {}
            result = engine.advance(before, trigger, actor, step_data)
        except (RefusedError, InputError) as refusal:
            # 5. a refused step writes nothing
            assert not isinstance(refusal, ConflictError)
            after = engine.load(matter.id)
            assert (after.state, after.version, after.data) == (
                before.state,
                before.version,
                before.data,
            )
            assert len(engine.history(matter.id)) == events
            matter = after
            continue
        matter = result.matter
        history = engine.history(matter.id)
        assert len(history) == events + 1 == matter.version == before.version + 1
        assert (history[-1].trigger, history[-1].actor_id) == (trigger, actor)
        assert history[-1].to_state == matter.state == engine.load(matter.id).state
        check_history(defn, history)
    for ev in engine.history(matter.id)[1:]:
        event(f"took {ev.trigger}")
    assert verify(case_bureau).intact
