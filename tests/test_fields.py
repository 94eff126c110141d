"""Field validation: each type's canonical value and its refusals at the boundary, and
FieldError reporting every problem of a step together."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from zhifa.errors import FieldError, InputError
from zhifa.workflow.definitions import FieldSpec, Label, StepSpec
from zhifa.workflow.fields import convert, validate

L = Label("字段", "Field")


def spec(type_: str, **kw: Any) -> FieldSpec:
    return FieldSpec(name="f", type=type_, label=L, **kw)


def refused(field: FieldSpec, value: Any, match: str | None = None) -> str:
    with pytest.raises(ValueError, match=match) as info:
        convert(field, value)
    return str(info.value)


# --- string and text --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "length", "ok"),
    [
        (spec("string"), 200, True),  # the default limit of a string
        (spec("string"), 201, False),
        (spec("string", max_length=10), 10, True),
        (spec("string", max_length=10), 11, False),
        (spec("text", max_length=2000), 2000, True),
        (spec("text", max_length=2000), 2001, False),
        (spec("text"), 100_000, True),  # text has no default limit
    ],
)
def test_text_length_boundary(field: FieldSpec, length: int, ok: bool) -> None:
    value = "字" * length
    if ok:
        assert convert(field, value) == value
    else:
        message = refused(field, value)
        assert f"is {length} characters long" in message


def test_text_is_stripped_before_counting() -> None:
    assert convert(spec("string", max_length=3), "  abc \n") == "abc"


@pytest.mark.parametrize("value", ["", "   ", 12, None, ["a"]])
@pytest.mark.parametrize("kind", ["string", "text"])
def test_text_refuses_empty_or_non_text(kind: str, value: Any) -> None:
    refused(spec(kind), value, "non-empty text")


# --- numbers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1234.5", "1234.50"),
        ("1234.56", "1234.56"),
        ("1,234.56", "1234.56"),
        (" 0.1 ", "0.10"),
        (100, "100.00"),
        (0.1, "0.10"),
        (Decimal("2.00"), "2.00"),
        ("1.230", "1.23"),  # a trailing zero is not a third decimal
        ("0", "0.00"),
    ],
)
def test_money_accepts_at_most_two_decimals(value: Any, expected: str) -> None:
    assert convert(spec("money"), value) == expected


@pytest.mark.parametrize("value", ["0.125", "1234.561", 0.001])
def test_money_refuses_three_decimals(value: Any) -> None:
    refused(spec("money"), value, "at most 2 decimal places")


@pytest.mark.parametrize("value", ["abc", "", "1.2.3", True, "NaN", "Infinity"])
@pytest.mark.parametrize("kind", ["money", "integer", "decimal"])
def test_numbers_refuse_non_numbers(kind: str, value: Any) -> None:
    refused(spec(kind), value)


@pytest.mark.parametrize(
    ("value", "ok"),
    [("-0.01", False), ("0.00", True), ("50000.00", True), ("50000.01", False)],
)
def test_money_bounds(value: str, ok: bool) -> None:
    field = spec("money", minimum=0, maximum=50000)
    if ok:
        assert convert(field, value) == value
    else:
        refused(field, value, "must be at (least|most)")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, None),
        (1, 1),
        ("1", 1),
        (5.0, 5),
        ("10", 10),
        (10, 10),
        (11, None),
        ("5.5", None),
    ],
)
def test_integer_boundaries(value: Any, expected: int | None) -> None:
    field = spec("integer", minimum=1, maximum=10)
    if expected is None:
        refused(field, value)
    else:
        result = convert(field, value)
        assert result == expected
        assert type(result) is int


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1.50", "1.5"),
        ("0.001", "0.001"),
        (2.25, "2.25"),
        ("100", "100"),  # not '1E+2'
        (1000, "1000"),
        ("120.0", "120"),
    ],
)
def test_decimal_canonical_form(value: Any, expected: str) -> None:
    assert convert(spec("decimal"), value) == expected


# --- dates and times --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-03-02", "2026-03-02"),
        (" 2026-03-02 ", "2026-03-02"),
        (date(2026, 3, 2), "2026-03-02"),
        (datetime(2026, 3, 2, 23, 59), "2026-03-02"),
        ("2024-02-29", "2024-02-29"),
    ],
)
def test_date_valid(value: Any, expected: str) -> None:
    assert convert(spec("date"), value) == expected


@pytest.mark.parametrize(
    "value", ["2026-02-29", "2026/03/02", "2 March 2026", 20260302, "2026-13-01"]
)
def test_date_invalid(value: Any) -> None:
    refused(spec("date"), value, "must be a date")


CST = timezone(timedelta(hours=8))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-03-02T09:30", "2026-03-02T09:30:00"),
        ("2026-03-02 09:30:15.123456", "2026-03-02T09:30:15"),
        ("2026-03-02T09:30:00+08:00", "2026-03-02T09:30:00"),
        ("2026-03-02T01:30:00+00:00", "2026-03-02T09:30:00"),
        ("2026-03-02T01:30:00Z", "2026-03-02T09:30:00"),
        ("2026-03-01T20:30:00-05:00", "2026-03-02T09:30:00"),
        ("2026-03-01T16:00:00Z", "2026-03-02T00:00:00"),  # midnight Beijing: the next day
        ("2026-03-02", "2026-03-02T00:00:00"),
        (datetime(2026, 3, 2, 9, 30, 15, 999), "2026-03-02T09:30:15"),
    ],
)
def test_datetime_valid_in_beijing_time(value: Any, expected: str) -> None:
    assert convert(spec("datetime"), value) == expected


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 3, 2, 1, 30, tzinfo=UTC),
        datetime(2026, 3, 2, 9, 30, tzinfo=CST),
        datetime(2026, 3, 1, 20, 30, tzinfo=timezone(timedelta(hours=-5))),
    ],
)
def test_aware_datetime_object_is_converted_to_beijing_time(value: datetime) -> None:
    # The same moment as the string '2026-03-02T01:30:00+00:00' must give the same canonical value.
    assert convert(spec("datetime"), value) == "2026-03-02T09:30:00"


@pytest.mark.parametrize("value", ["yesterday", "2026-03-02T25:00", 1700000000, True])
def test_datetime_invalid(value: Any) -> None:
    refused(spec("datetime"), value, "must be a time")


# --- booleans and enums -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        (False, False),
        ("true", True),
        ("FALSE", False),
        ("yes", True),
        (" no ", False),
        ("1", True),
        ("0", False),
        ("y", True),
        ("N", False),
        ("是", True),
        ("否", False),
    ],
)
def test_boolean_valid(value: Any, expected: bool) -> None:
    assert convert(spec("boolean"), value) is expected


@pytest.mark.parametrize("value", ["maybe", "2", "对", 1, 0, [True]])
def test_boolean_invalid(value: Any) -> None:
    refused(spec("boolean"), value, "true or false")


CHOICES = {"complaint": Label("投诉", "Complaint"), "report": Label("举报", "Report")}


@pytest.mark.parametrize(
    ("value", "ok"),
    [("complaint", True), ("report", True), ("Complaint", False), ("投诉", False), ("x", False)],
)
def test_enum(value: str, ok: bool) -> None:
    field = spec("enum", choices=CHOICES)
    if ok:
        assert convert(field, value) == value
    else:
        assert "complaint, report" in refused(field, value, "must be one of")


# --- officers and entities --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (["o1", "o2"], ["o1", "o2"]),  # exactly the minimum
        (("o1", "o2", "o3"), ["o1", "o2", "o3"]),  # exactly the maximum
        ("o1,o2", ["o1", "o2"]),
        (" o1 , o2 ,", ["o1", "o2"]),
        ([" o1", "o2 ", ""], ["o1", "o2"]),
    ],
)
def test_officers_valid(value: Any, expected: list[str]) -> None:
    assert convert(spec("officers", minimum=2, maximum=3), value) == expected


@pytest.mark.parametrize(
    ("value", "match"),
    [
        (["o1"], "at least 2 officers, got 1"),
        ("o1", "at least 2 officers, got 1"),
        (["o1", ""], "at least 2 officers, got 1"),
        (["o1", "o2", "o3", "o4"], "at most 3 officers, got 4"),
        (["o1", "o1"], "same officer twice"),
        (["o1", " o1 ", "o2"], "same officer twice"),
        (42, "list of officer ids"),
    ],
)
def test_officers_invalid(value: Any, match: str) -> None:
    refused(spec("officers", minimum=2, maximum=3), value, match)


def test_single_officer() -> None:
    assert convert(spec("officer"), " o1 ") == "o1"
    refused(spec("officer"), 7, "officer id")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("91110000600037341L", "91110000600037341L"),
        ("91350100M000100Y43", "91350100M000100Y43"),
        ("91110108551385082Q", "91110108551385082Q"),
        ("9111 0000 6000 3734 1l", "91110000600037341L"),
    ],
)
def test_entity_valid(value: str, expected: str) -> None:
    assert convert(spec("entity"), value) == expected


@pytest.mark.parametrize(
    ("value", "match"),
    [
        ("91110000600037341M", "check character"),
        ("91110000600037341", "18 characters"),
        ("91110000600037341LL", "18 characters"),
        ("9111000060003734IL", "which GB 32100 does not use"),
        ("91A10000600037341L", "region code"),
    ],
)
def test_entity_invalid(value: str, match: str) -> None:
    refused(spec("entity"), value, match)


# --- validate: a whole step -------------------------------------------------------------------


STEP = StepSpec(
    name="register",
    label=Label("登记", "Register"),
    moves={None: "received"},
    roles=frozenset({"head"}),
    fields={
        "source": FieldSpec("source", "enum", Label("来源", "Source"), True, choices=CHOICES),
        "summary": FieldSpec("summary", "text", Label("内容", "Summary"), True, max_length=20),
        "amount": FieldSpec("amount", "money", Label("金额", "Amount")),
        "harm": FieldSpec("harm", "boolean", Label("危害", "Harm")),
    },
    guards=(),
    certificate=True,
)


def test_validate_returns_canonical_values_and_omits_empty_optionals() -> None:
    data = {"source": "report", "summary": " 有人举报 ", "amount": "12.5", "harm": None}
    assert validate(STEP, data) == {"source": "report", "summary": "有人举报", "amount": "12.50"}
    assert validate(STEP, {"source": "report", "summary": "x", "amount": "  "}) == {
        "source": "report",
        "summary": "x",
    }
    assert validate(STEP, {"source": "report", "summary": "x", "harm": "是"})["harm"] is True


def test_unknown_field() -> None:
    with pytest.raises(FieldError) as info:
        validate(STEP, {"source": "report", "summary": "x", "colour": "red"})
    assert set(info.value.problems) == {"colour"}
    assert "is not a field of this step" in info.value.problems["colour"]
    assert "source, summary, amount, harm" in info.value.problems["colour"]


@pytest.mark.parametrize("missing", [None, "", "   "])
def test_missing_required(missing: str | None) -> None:
    data: dict[str, Any] = {"summary": "x"}
    if missing is not None:
        data["source"] = missing
    with pytest.raises(FieldError) as info:
        validate(STEP, data)
    assert info.value.problems == {"source": "is required (来源 (Source))"}


def test_all_problems_are_reported_together() -> None:
    data = {"colour": "red", "summary": "x" * 21, "amount": "1.234", "harm": "maybe"}
    with pytest.raises(FieldError) as info:
        validate(STEP, data)
    err = info.value
    assert isinstance(err, InputError)
    assert err.exit_code == 2
    assert set(err.problems) == {"colour", "source", "summary", "amount", "harm"}
    assert "is required" in err.problems["source"]
    assert "21 characters long, at most 20" in err.problems["summary"]
    assert "decimal places" in err.problems["amount"]
    assert "true or false" in err.problems["harm"]
    assert "'register'" in err.message
    for name in err.problems:
        assert name in err.message
    assert err.details() == [f"{n}: {p}" for n, p in err.problems.items()]
    assert err.as_dict()["error"] == "FieldError"


# --- json, checked against the schema the definition declares -----------------------------------

ITEMS_SCHEMA = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "required": ["item", "result"],
        "additionalProperties": False,
        "properties": {
            "item": {"type": "string"},
            "result": {"enum": ["ok", "problem"]},
        },
    },
}


def json_spec() -> FieldSpec:
    import fastjsonschema

    return spec("json", schema=ITEMS_SCHEMA, check=fastjsonschema.compile(ITEMS_SCHEMA))


@pytest.mark.parametrize(
    "value",
    [
        [{"item": "A1", "result": "ok"}],
        '[{"item": "A1", "result": "problem"}, {"item": "A2", "result": "ok"}]',  # from the CLI
    ],
)
def test_json_meeting_its_schema_is_kept_as_json(value: Any) -> None:
    out = convert(json_spec(), value)
    assert isinstance(out, list) and out[0]["item"] == "A1"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([], "value must contain at least 1 items"),
        ([{"item": "A1", "result": "maybe"}], r"value\[0\].result must be one of"),
        ([{"item": "A1"}], r"value\[0\] must contain \['result'\] properties"),
        ("[{", "is not valid JSON"),
        ({1, 2}, "must be JSON"),
    ],
)
def test_json_that_breaks_its_schema_names_where(value: Any, message: str) -> None:
    refused(json_spec(), value, message)
