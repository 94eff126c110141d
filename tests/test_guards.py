"""The baseline guards at their boundaries: the limitation period (行政处罚法 第三十六条), certified
officers (第四十二条) and extensions before a clock runs out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, cast

import pytest
import sqlalchemy as sa

from zhifa.calendar import WorkCalendar
from zhifa.hooks.types import Actor, GuardResult, MatterView, StepContext
from zhifa.procedure.shared import (
    ART_36,
    ART_42,
    BASELINE_GUARDS,
    clock_not_expired,
    limitation_ends,
    officers_certified,
    within_limitation_period,
)
from zhifa.store import Transaction
from zhifa.workflow.deadlines import Step
from zhifa.workflow.definitions import OPEN, Definition, builtin_workflow_files, load_file

D = date
DEPT = "SAMR-HD"
CERT_FROM = D(2024, 1, 1)
CERT_TO = D(2028, 12, 31)
RECEIVED = D(2026, 3, 2)


@pytest.fixture(scope="module")
def clue() -> Definition:
    (path,) = [p for p in builtin_workflow_files() if p.name == "clue.yaml"]
    return load_file(path)


def reasons(result: GuardResult) -> list[str]:
    """A guard's result as the engine reads it."""
    if result is None:
        return []
    if isinstance(result, str):
        return [result]
    return [str(r) for r in result]


def officer(
    oid: str = "o1",
    *,
    department: str = DEPT,
    roles: Sequence[str] = ("case_handler",),
    valid_from: date | None = CERT_FROM,
    valid_to: date | None = CERT_TO,
    certificate_no: str | None = "ZF-0001",
) -> Actor:
    return Actor(
        id=oid,
        name=f"Officer {oid}",
        department=department,
        roles=frozenset(roles),
        certificate_no=certificate_no,
        certificate_valid_from=valid_from,
        certificate_valid_to=valid_to,
    )


HEAD = officer("head", roles=("head",))


def matter(received: date, department: str = DEPT) -> MatterView:
    opened = datetime(received.year, received.month, received.day, 9, 0)
    return MatterView(
        id=1,
        workflow="clue",
        workflow_version=1,
        state="verifying",
        version=2,
        department=department,
        entity_id=None,
        title="线索",
        data={},
        opened_at=opened,
        updated_at=opened,
        head_hash="0" * 64,
    )


def ctx(
    definition: Definition,
    trigger: str,
    on: date,
    *,
    data: Mapping[str, Any] | None = None,
    received: date | None = RECEIVED,
    officers: Sequence[Actor] = (),
    history: Sequence[Step] = (),
    actor: Actor = HEAD,
) -> StepContext:
    return StepContext(
        transaction=Transaction(cast(sa.Connection, None)),  # these guards read no database
        definition=definition,
        step=definition.step(trigger),
        actor=actor,
        data=dict(data or {}),
        at=datetime(on.year, on.month, on.day, 10, 0),
        calendar=WorkCalendar(),
        matter=matter(received) if received is not None else None,
        history=history,
        officers={o.id: o for o in officers},
    )


def test_baseline_guards_are_registered() -> None:
    assert [g.name for g in BASELINE_GUARDS] == [
        "within_limitation_period",
        "officers_certified",
        "clock_not_expired",
        "on_time_or_explained",
    ]
    assert {g.name: g.basis for g in BASELINE_GUARDS}["within_limitation_period"] == ART_36


# --- within_limitation_period -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("act", "serious", "discovered", "ok"),
    [
        (D(2024, 3, 2), False, D(2026, 3, 2), True),  # the last day of the two years
        (D(2024, 3, 2), False, D(2026, 3, 3), False),  # the first day past
        (D(2024, 3, 2), None, D(2026, 3, 3), False),  # no answer: two years
        (D(2024, 3, 2), True, D(2026, 3, 3), True),  # serious harm: five years
        (D(2021, 3, 2), True, D(2026, 3, 2), True),  # the last day of the five years
        (D(2021, 3, 2), True, D(2026, 3, 3), False),
        (D(2021, 3, 2), False, D(2023, 3, 2), True),
        (D(2024, 2, 29), False, D(2026, 2, 28), True),  # 29 Feb: ends on 28 Feb
        (D(2024, 2, 29), False, D(2026, 3, 1), False),
        (D(2024, 2, 29), True, D(2029, 2, 28), True),
        (D(2024, 2, 29), True, D(2029, 3, 1), False),
        (D(2026, 3, 2), False, D(2026, 3, 2), True),  # the act on the day of receipt
    ],
)
def test_limitation_boundary(
    clue: Definition, act: date, serious: bool | None, discovered: date, ok: bool
) -> None:
    data: dict[str, Any] = {"act_date": act.isoformat()}
    if serious is not None:
        data["serious_harm"] = serious
    # The step is taken well after receipt: the date that counts is the receipt.
    result = reasons(
        within_limitation_period(
            ctx(clue, "open_case", D(2030, 1, 7), data=data, received=discovered)
        )
    )
    if ok:
        assert result == []
    else:
        (reason,) = result
        assert ART_36 in reason
        years = 5 if serious else 2
        assert f"{years}-year limitation period ended on {limitation_ends(act, bool(serious))}" in (
            reason
        )
        assert "beyond_limitation" in reason


@pytest.mark.parametrize(
    ("act", "received", "ok"),
    [(D(2026, 3, 2), D(2026, 3, 2), True), (D(2026, 3, 3), D(2026, 3, 2), False)],
)
def test_act_after_receipt_is_refused(
    clue: Definition, act: date, received: date, ok: bool
) -> None:
    c = ctx(
        clue, "open_case", D(2026, 3, 10), data={"act_date": act.isoformat()}, received=received
    )
    result = reasons(within_limitation_period(c))
    if ok:
        assert result == []
    else:
        (reason,) = result
        assert f"act date {act} is after {received}, the day the matter was received" in reason


def test_missing_act_date_is_refused_citing_article_36(clue: Definition) -> None:
    (reason,) = reasons(within_limitation_period(ctx(clue, "open_case", D(2026, 3, 10))))
    assert "act_date" in reason
    assert ART_36 in reason


def test_limitation_without_a_matter_counts_from_the_step_date(clue: Definition) -> None:
    data = {"act_date": "2024-03-02"}
    assert (
        reasons(within_limitation_period(ctx(clue, OPEN, D(2026, 3, 2), data=data, received=None)))
        == []
    )
    assert reasons(
        within_limitation_period(ctx(clue, OPEN, D(2026, 3, 3), data=data, received=None))
    )


def test_limitation_reads_named_fields(clue: Definition) -> None:
    data = {"ended": "2021-03-02", "harm": True}
    c = ctx(clue, "open_case", D(2026, 3, 2), data=data, received=D(2026, 3, 2))
    assert reasons(within_limitation_period(c, act_field="ended", harm_field="harm")) == []
    assert reasons(within_limitation_period(c, act_field="ended", harm_field="nothing"))


# --- officers_certified -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("valid_from", "valid_to", "on", "problem"),
    [
        (D(2024, 1, 1), D(2026, 3, 2), D(2026, 3, 2), None),  # valid_to == step date
        (D(2024, 1, 1), D(2026, 3, 2), D(2026, 3, 3), "expired on 2026-03-02"),
        (D(2026, 3, 2), D(2028, 1, 1), D(2026, 3, 2), None),  # valid_from == step date
        (D(2026, 3, 2), D(2028, 1, 1), D(2026, 3, 1), "is valid only from 2026-03-02"),
    ],
)
def test_certificate_validity_boundary(
    clue: Definition, valid_from: date, valid_to: date, on: date, problem: str | None
) -> None:
    handlers = [officer("o1", valid_from=valid_from, valid_to=valid_to), officer("o2")]
    c = ctx(clue, "open_case", on, data={"handlers": ["o1", "o2"]}, officers=handlers)
    result = reasons(officers_certified(c, field="handlers", role="case_handler"))
    if problem is None:
        assert result == []
    else:
        (reason,) = result
        assert reason.startswith("handlers: ")
        assert problem in reason
        assert str(on) in reason
        assert ART_42 in reason


def test_officer_without_certificate(clue: Definition) -> None:
    handlers = [officer("o1", certificate_no=None, valid_from=None, valid_to=None), officer("o2")]
    c = ctx(clue, "open_case", D(2026, 3, 2), data={"handlers": ["o1", "o2"]}, officers=handlers)
    (reason,) = reasons(officers_certified(c, field="handlers"))
    assert "holds no enforcement certificate" in reason
    assert ART_42 in reason


def test_wrong_department(clue: Definition) -> None:
    handlers = [officer("o1", department="OTHER"), officer("o2")]
    c = ctx(clue, "open_case", D(2026, 3, 2), data={"handlers": ["o1", "o2"]}, officers=handlers)
    (reason,) = reasons(officers_certified(c, field="handlers"))
    assert f"belongs to OTHER, not {DEPT}" in reason


def test_department_without_a_matter_is_the_actors(clue: Definition) -> None:
    handlers = [officer("o1", department="OTHER")]
    data = {"handlers": ["o1"]}
    other_head = officer("head", department="OTHER", roles=("head",))
    same = ctx(
        clue,
        "open_case",
        D(2026, 3, 2),
        data=data,
        officers=handlers,
        received=None,
        actor=other_head,
    )
    assert reasons(officers_certified(same, field="handlers")) == []
    other = ctx(clue, "open_case", D(2026, 3, 2), data=data, officers=handlers, received=None)
    assert reasons(officers_certified(other, field="handlers"))


@pytest.mark.parametrize(
    ("roles", "ok"),
    [(("case_handler",), True), (("inspector", "case_handler"), True), (("inspector",), False)],
)
def test_missing_role(clue: Definition, roles: tuple[str, ...], ok: bool) -> None:
    handlers = [officer("o1", roles=roles), officer("o2")]
    c = ctx(clue, "open_case", D(2026, 3, 2), data={"handlers": ["o1", "o2"]}, officers=handlers)
    result = reasons(officers_certified(c, field="handlers", role="case_handler"))
    if ok:
        assert result == []
    else:
        assert result == ["handlers: Officer o1 (o1) does not hold the role case_handler"]
    # Without the role argument any role will do.
    assert reasons(officers_certified(c, field="handlers")) == []


def test_unknown_officer(clue: Definition) -> None:
    c = ctx(
        clue, "open_case", D(2026, 3, 2), data={"handlers": ["o1", "ghost"]}, officers=[officer()]
    )
    assert reasons(officers_certified(c, field="handlers")) == [
        "handlers: officer 'ghost' does not exist"
    ]


def test_every_problem_is_listed(clue: Definition) -> None:
    handlers = [
        officer("o1", valid_to=D(2026, 3, 1), department="OTHER"),
        officer("o2", roles=("inspector",)),
    ]
    c = ctx(clue, "open_case", D(2026, 3, 2), data={"handlers": ["o1", "o2"]}, officers=handlers)
    result = reasons(officers_certified(c, field="handlers", role="case_handler"))
    assert len(result) == 3
    assert "expired on 2026-03-01" in result[0]
    assert "belongs to OTHER" in result[1]
    assert "o2" in result[2] and "case_handler" in result[2]


def test_without_field_checks_every_officer_field_of_the_step(clue: Definition) -> None:
    verifiers = [officer("o1", valid_to=D(2026, 3, 1))]
    c = ctx(clue, "assign", D(2026, 3, 2), data={"verifiers": ["o1"]}, officers=verifiers)
    (reason,) = reasons(officers_certified(c))
    assert reason.startswith("verifiers: ")


# --- clock_not_expired ------------------------------------------------------------------------


def history(receipt: date) -> list[Step]:
    return [Step(receipt, "open", "received"), Step(receipt, "assign", "verifying")]


@pytest.mark.parametrize(
    ("receipt", "on", "due", "ok"),
    [
        (D(2026, 2, 10), D(2026, 3, 6), D(2026, 3, 9), True),
        (D(2026, 2, 10), D(2026, 3, 9), D(2026, 3, 9), True),  # on the due day
        (D(2026, 2, 10), D(2026, 3, 10), D(2026, 3, 9), False),  # the next working day
        (D(2026, 3, 6), D(2026, 3, 27), D(2026, 3, 27), True),  # due on a Friday
        (D(2026, 3, 6), D(2026, 3, 28), D(2026, 3, 27), False),  # the Saturday after
        (D(2026, 3, 6), D(2026, 3, 30), D(2026, 3, 27), False),  # the next working day
    ],
)
def test_extension_before_the_clock_runs_out(
    clue: Definition, receipt: date, on: date, due: date, ok: bool
) -> None:
    c = ctx(clue, "extend", on, data={"reason": "x"}, history=history(receipt), received=receipt)
    result = reasons(clock_not_expired(c, clock="verification"))
    if ok:
        assert result == []
    else:
        (reason,) = result
        assert f"ended on {due}" in reason
        assert "市场监督管理行政处罚程序规定 第十八条" in reason


def test_extension_refused_while_the_clock_is_paused(clue: Definition) -> None:
    steps = [*history(D(2026, 2, 10)), Step(D(2026, 3, 2), "start_testing", "testing")]
    c = ctx(clue, "extend", D(2026, 3, 3), history=steps, received=D(2026, 2, 10))
    (reason,) = reasons(clock_not_expired(c, clock="verification"))
    assert "is not running" in reason


def test_extension_refused_when_the_clock_never_started(clue: Definition) -> None:
    c = ctx(clue, "extend", D(2026, 3, 3), history=[])
    (reason,) = reasons(clock_not_expired(c, clock="verification"))
    assert "verification is not running" in reason
