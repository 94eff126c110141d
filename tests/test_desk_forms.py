"""The desk's generated forms: a JSON object field with declared keys is one input per key (so
no officer types JSON), and what is posted becomes the value its schema declares."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.datastructures import FormData

from zhifa.desk.forms import inputs, posted
from zhifa.workflow.definitions import builtin_workflow_files, load_file
from zhifa.workflow.fields import key_value, validate


def _decide_penalty() -> Any:
    path = next(p for p in builtin_workflow_files() if p.stem == "case")
    return load_file(path).triggers["decide_penalty"]


def test_the_facts_of_a_decision_are_one_input_per_declared_key() -> None:
    step = _decide_penalty()
    facts = next(i for i in inputs(step.fields.values(), "zh") if i.key == "facts")
    assert facts.widget == "object"
    assert [p.name for p in facts.parts] == [
        "f.facts.goods_value",
        "f.facts.illegal_gains",
        "f.facts.original_fine",
        "f.facts.days",
        "f.facts.circumstances",
    ]
    days = next(p for p in facts.parts if p.key == "days")
    assert (days.widget, days.step, days.minimum) == ("number", "1", 0)
    circumstances = next(p for p in facts.parts if p.key == "circumstances")
    assert circumstances.widget == "text" and circumstances.format  # says how to separate items
    penalty_kind = next(i for i in inputs(step.fields.values(), "zh") if i.key == "penalty_kind")
    assert penalty_kind.widget == "select" and penalty_kind.format == ""


def test_posted_keys_become_the_object_the_engine_validates() -> None:
    step = _decide_penalty()
    form = FormData(
        [
            ("f.penalty_kind", "fine"),
            ("f.fine", "10000"),
            ("f.reasons", "事实"),
            ("f.facts.goods_value", "8000"),
            ("f.facts.illegal_gains", "1234.5"),
            ("f.facts.days", "0"),
            ("f.facts.circumstances", "recalled，first_offence、 "),
            ("f.facts.original_fine", ""),
        ]
    )
    data = posted(list(step.fields.values()), form)
    assert data["facts"] == {
        "goods_value": 8000,
        "illegal_gains": 1234.5,
        "days": 0,
        "circumstances": ["recalled", "first_offence"],
    }
    assert validate(step, data)["facts"]["goods_value"] == 8000


def test_a_bad_key_is_left_as_typed_for_the_field_check_to_name() -> None:
    step = _decide_penalty()
    form = FormData([("f.facts.days", "-1"), ("f.facts.goods_value", "八千")])
    data = posted(list(step.fields.values()), form)
    assert data["facts"] == {"days": -1, "goods_value": "八千"}
    with pytest.raises(Exception, match="facts"):
        validate(step, {"penalty_kind": "fine", "reasons": "x", **data})


@pytest.mark.parametrize(
    ("schema", "text", "value"),
    [
        ({"type": "integer"}, "3", 3),
        ({"type": "integer"}, "3.5", "3.5"),
        ({"type": ["number", "string"]}, "2.50", 2.5),
        ({"type": ["number", "string"]}, "1e3", 1000.0),
        ({"type": ["number", "string"]}, "约八千", "约八千"),
        ({"type": "boolean"}, "是", True),
        ({"type": "boolean"}, "no", False),
        ({"type": "array", "items": {"type": "integer"}}, "1, 2,3", [1, 2, 3]),
        ({"type": "string"}, " 文本 ", "文本"),
    ],
)
def test_key_value(schema: dict[str, Any], text: str, value: Any) -> None:
    assert key_value(schema, text) == value
