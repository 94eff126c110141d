"""Withdrawal of a case handler (回避, 行政处罚法 Art 43) on SQLite and PostgreSQL: who may
withdraw, that at least two handlers remain (Art 42), that the officer who withdrew takes no
further step, and that the case is concluded anew after it."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.helpers import make_engine
from tests.test_workflow_case import CONCLUDE, NOW, notice, open_case, penalty, seed_case_officers
from zhifa.engine import Engine
from zhifa.errors import GuardRefused, RefusedError
from zhifa.store import Store

D = date
ART_42 = "行政处罚法 第四十二条"
ART_43 = "行政处罚法 第四十三条"


@pytest.fixture
def engine(bureau: Store) -> Engine:
    seed_case_officers(bureau)
    return make_engine(bureau, at=NOW)[0]


def recusal(officer: str = "C2", **more: Any) -> dict[str, Any]:
    return {"officer": officer, "kind": "applied", "reason": "系当事人近亲属", **more}


def test_a_handler_withdraws_and_takes_no_further_step(engine: Engine) -> None:
    walk = open_case(engine, D(2026, 3, 2))
    assert walk.do("recuse", "H1", D(2026, 3, 3), recusal()).state == "handlers_withdrawn"
    assert walk.do("name_handlers", "H1", D(2026, 3, 3), {"handlers": ["R2"]}).state == (
        "investigating"
    )
    with pytest.raises(GuardRefused) as err:
        walk.do("conclude_investigation", "C2", D(2026, 3, 4), CONCLUDE)
    (reason,) = err.value.reasons
    assert "withdrew from matter" in reason and ART_43 in reason
    assert walk.do("conclude_investigation", "C1", D(2026, 3, 4), CONCLUDE).state == "investigated"
    assert walk.clock("decision", D(2026, 3, 4)).paused_days == 0  # the decision period runs on


@pytest.mark.parametrize(
    ("named", "fragment", "article"),
    [
        ([], "would have 1 handler(s) (C1)", ART_42),
        (["C2"], "C2 withdrew from this case and cannot be named", ART_43),
        (["R2"], None, None),
    ],
)
def test_at_least_two_handlers_after_a_withdrawal(
    engine: Engine, named: list[str], fragment: str | None, article: str | None
) -> None:
    walk = open_case(engine, D(2026, 3, 2))
    walk.do("recuse", "H1", D(2026, 3, 3), recusal())
    if fragment is None:
        assert walk.do("name_handlers", "H1", D(2026, 3, 3), {"handlers": named}).state == (
            "investigating"
        )
        return
    reasons = walk.refused("name_handlers", "H1", D(2026, 3, 3), {"handlers": named})
    assert any(fragment in r and str(article) in r for r in reasons), reasons


def test_only_a_handler_withdraws(engine: Engine) -> None:
    walk = open_case(engine, D(2026, 3, 2))
    (reason,) = walk.refused("recuse", "H1", D(2026, 3, 3), recusal(officer="R2"))
    assert "R2 is not a handler of this case (C1, C2)" in reason and ART_43 in reason


def test_three_handlers_need_no_replacement(engine: Engine) -> None:
    walk = open_case(engine, D(2026, 3, 2), handlers=["C1", "C2", "R2"])
    walk.do("recuse", "H1", D(2026, 3, 3), recusal())
    assert walk.do("name_handlers", "H1", D(2026, 3, 3), {}).state == "investigating"


def test_a_second_withdrawal_counts_the_first(engine: Engine) -> None:
    walk = open_case(engine, D(2026, 3, 2))
    walk.do("recuse", "H1", D(2026, 3, 3), recusal())
    walk.do("name_handlers", "H1", D(2026, 3, 3), {"handlers": ["R2"]})
    walk.do("recuse", "H1", D(2026, 3, 4), recusal(officer="C1"))
    reasons = walk.refused("name_handlers", "H1", D(2026, 3, 4), {"handlers": ["C2"]})
    assert any("C2 withdrew from this case" in r for r in reasons)
    assert any("would have 1 handler(s) (R2)" in r for r in reasons)


def test_a_handler_named_instead_counts_as_an_investigator(engine: Engine) -> None:
    walk = open_case(engine, D(2026, 3, 2))
    walk.do("recuse", "H1", D(2026, 3, 3), recusal())
    walk.do("name_handlers", "H1", D(2026, 3, 3), {"handlers": ["R2"]})
    walk.do("conclude_investigation", "C1", D(2026, 3, 4), {**CONCLUDE, "complex": True})
    reasons = walk.refused("pass_review", "R2", D(2026, 3, 5), {"opinion": "同意"})
    assert any("行政处罚法 第五十八条" in r for r in reasons)


def test_after_a_withdrawal_the_case_is_notified_anew(engine: Engine) -> None:
    walk = open_case(engine, D(2026, 3, 2))
    walk.do("conclude_investigation", "C1", D(2026, 3, 3), CONCLUDE)
    walk.do("notify", "C1", D(2026, 3, 4), notice())
    walk.do("recuse", "H1", D(2026, 3, 5), recusal())
    walk.do("name_handlers", "H1", D(2026, 3, 5), {"handlers": ["R2"]})
    walk.do("conclude_investigation", "C1", D(2026, 3, 6), CONCLUDE)
    with pytest.raises(RefusedError) as err:
        walk.do("decide_penalty", "H1", D(2026, 3, 9), penalty())
    assert "possible now" in str(err.value)  # from investigated a penalty needs a new notice
