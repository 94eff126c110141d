"""Workflow definitions: the shipped clue.yaml loads, and each kind of fault is reported as a
DefinitionError naming the source, the path inside it and the fault.

Each bad definition is clue.yaml loaded with yaml, changed in one place and dumped again.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from zhifa.errors import DefinitionError, InputError
from zhifa.workflow.definitions import (
    OPEN,
    Definition,
    GuardRef,
    Label,
    builtin_workflow_files,
    load_file,
    parse_definition,
)

SOURCE = "clue.yaml"


@pytest.fixture(scope="module")
def clue_path() -> Path:
    (path,) = [p for p in builtin_workflow_files() if p.name == SOURCE]
    return path


@pytest.fixture(scope="module")
def clue_text(clue_path: Path) -> str:
    return clue_path.read_text("utf-8")


@pytest.fixture(scope="module")
def clue_raw(clue_text: str) -> dict[str, Any]:
    raw: dict[str, Any] = yaml.safe_load(clue_text)
    return raw


def dump(raw: dict[str, Any]) -> str:
    return yaml.safe_dump(raw, allow_unicode=True, sort_keys=False)


def fault_of(text: str) -> DefinitionError:
    with pytest.raises(DefinitionError) as info:
        parse_definition(text, SOURCE)
    return info.value


# --- the shipped definition -------------------------------------------------------------------


def test_clue_is_shipped_and_loads(clue_path: Path, clue_text: str) -> None:
    d = load_file(clue_path)
    assert isinstance(d, Definition)
    assert d.key == ("clue", 4)
    assert d.label == Label("线索", "Clue")
    assert d.initial == "received"
    assert d.source_name == SOURCE
    assert d.source_text == clue_text
    assert d.digest == hashlib.sha256(clue_text.encode("utf-8")).hexdigest()
    assert set(d.states) == {
        "received",
        "verifying",
        "verifying_extended",
        "testing",
        "testing_extended",
        "case_opened",
        "not_opened",
        "handed_over",
    }
    assert {n for n, s in d.states.items() if s.terminal} == {
        "case_opened",
        "not_opened",
        "handed_over",
    }
    assert set(d.triggers) == {
        "assign",
        "extend",
        "start_testing",
        "finish_testing",
        "open_case",
        "decline",
        "hand_over",
    }
    assert set(d.clocks) == {"verification"}


def test_clue_steps(clue_path: Path) -> None:
    d = load_file(clue_path)
    assert d.open.name == OPEN
    assert d.step(OPEN) is d.open
    assert d.open.moves == {None: "received"}
    assert d.open.roles == {"inspector", "case_handler", "head"}
    assert set(d.open.fields["source"].choices) == {
        "complaint",
        "report",
        "inspection",
        "referral",
        "assignment",
        "monitoring",
    }
    assert d.open.fields["summary"].max_length == 2000
    assert d.open.fields["source"].required
    assert not d.open.fields["reporter"].required
    assert d.triggers["start_testing"].moves == {
        "verifying": "testing",
        "verifying_extended": "testing_extended",
    }
    assert d.triggers["assign"].moves == {"received": "verifying"}
    assert d.triggers["hand_over"].sources == ("received", "verifying", "verifying_extended")
    handlers = d.triggers["open_case"].fields["handlers"]
    assert (handlers.type, handlers.minimum, handlers.required) == ("officers", 2, True)
    assert d.triggers["open_case"].guards == (
        GuardRef("within_limitation_period", {}),
        GuardRef("officers_certified", {"field": "handlers", "role": "case_handler"}),
    )
    assert d.triggers["extend"].guards == (
        GuardRef("clock_not_expired", {"clock": "verification"}),
    )
    assert d.guard_names() == {
        "within_limitation_period",
        "officers_certified",
        "clock_not_expired",
    }
    assert {t.name for t in d.triggers_from("verifying")} == {
        "extend",
        "start_testing",
        "open_case",
        "decline",
        "hand_over",
    }
    assert d.triggers_from("case_opened") == []
    assert all(s.certificate for s in [d.open, *d.triggers.values()])


def test_round_trip_of_the_unchanged_dict_loads(clue_raw: dict[str, Any]) -> None:
    """The bad definitions below differ from this one in one place only."""
    d = parse_definition(dump(copy.deepcopy(clue_raw)), SOURCE)
    assert d.key == ("clue", 4)


# --- faults: one change each ------------------------------------------------------------------


Mutation = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Mutation:
    def apply(raw: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = raw
        for p in parents:
            node = node[p]
        node[last] = value

    return apply


def _delete(path: str) -> Mutation:
    def apply(raw: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = raw
        for p in parents:
            node = node[p]
        del node[last]

    return apply


def _both(*mutations: Mutation) -> Mutation:
    def apply(raw: dict[str, Any]) -> None:
        for mutate in mutations:
            mutate(raw)

    return apply


LABEL = {"zh": "某", "en": "Something"}
DAYS_FIELD = {"type": "integer", "required": True, "min": 1, "label": LABEL}
CLOCK = "clocks.verification"

FAULTS: list[Any] = [
    pytest.param(_set("colour", "red"), "", "'colour' was unexpected", id="unknown-top-level-key"),
    pytest.param(_delete("triggers"), "", "'triggers' is a required property", id="missing-key"),
    pytest.param(
        _set("initial", "recieved"), "initial", "'recieved' is not declared", id="initial"
    ),
    pytest.param(
        _set("initial", "case_opened"), "initial", "cannot be terminal", id="terminal-initial"
    ),
    pytest.param(
        _set("triggers.assign.from", "recieved"),
        "triggers.assign.from",
        "'recieved' is not declared",
        id="from",
    ),
    pytest.param(
        _set("triggers.decline.from", ["verifying", "verifyng"]),
        "triggers.decline.from[1]",
        "'verifyng' is not declared",
        id="from-list",
    ),
    pytest.param(
        _set("triggers.assign.to", "verifyng"),
        "triggers.assign.to",
        "'verifyng' is not declared",
        id="to",
    ),
    pytest.param(
        _set("triggers.start_testing.to.verifying", "testng"),
        "triggers.start_testing.to.verifying",
        "'testng' is not declared",
        id="to-mapping-target",
    ),
    pytest.param(
        _set("clocks.verification.runs_in", ["received", "verifyng"]),
        "clocks.verification.runs_in[1]",
        "'verifyng' is not declared",
        id="clock-runs-in",
    ),
    pytest.param(
        _set("clocks.verification.paused_in", ["tested"]),
        "clocks.verification.paused_in[0]",
        "'tested' is not declared",
        id="clock-paused-in",
    ),
    pytest.param(
        _set("triggers.assign.to", "received"),
        "triggers.assign.to",
        "does not change the state",
        id="self-loop",
    ),
    pytest.param(
        _set(
            "triggers.start_testing.to", {"verifying": "verifying", "verifying_extended": "testing"}
        ),
        "triggers.start_testing.to",
        "'verifying' → 'verifying' does not change the state",
        id="self-loop-in-mapping",
    ),
    pytest.param(
        _set("triggers.hand_over.from", ["received", "verifying", "case_opened"]),
        "triggers.hand_over.from",
        "'case_opened' is terminal",
        id="terminal-with-trigger",
    ),
    pytest.param(
        _set(
            "triggers.reopen",
            {"label": LABEL, "roles": ["head"], "from": "not_opened", "to": "verifying"},
        ),
        "triggers.reopen.from",
        "'not_opened' is terminal",
        id="new-trigger-from-terminal",
    ),
    pytest.param(
        _set("states.archived", {"zh": "已归档", "en": "Archived", "terminal": True}),
        "states.archived",
        "no trigger leads to this state",
        id="unreachable",
    ),
    pytest.param(
        _set("states.handed_over", {"zh": "已移交", "en": "Handed over"}),
        "states.handed_over",
        "no trigger leaves this state",
        id="dead-end",
    ),
    pytest.param(
        _set("triggers.assign.roles", ["head", "boss"]),
        "triggers.assign.roles[1]",
        "unknown role 'boss'",
        id="unknown-role",
    ),
    pytest.param(
        _set("open.roles", ["chief"]), "open.roles[0]", "unknown role 'chief'", id="open-role"
    ),
    pytest.param(
        _delete("open.fields.source.choices"),
        "open.fields.source",
        "'choices' is a required property",
        id="enum-without-choices",
    ),
    pytest.param(
        _set("open.fields.summary.choices", {"a": LABEL}),
        "open.fields.summary",
        "choices",
        id="choices-on-text",
    ),
    pytest.param(
        _set("triggers.start_testing.to", {"verifying": "testing"}),
        "triggers.start_testing.to",
        "must name exactly the from-states",
        id="to-mapping-missing-source",
    ),
    pytest.param(
        _set(
            "triggers.start_testing.to",
            {
                "verifying": "testing",
                "verifying_extended": "testing_extended",
                "received": "testing",
            },
        ),
        "triggers.start_testing.to",
        "must name exactly the from-states",
        id="to-mapping-extra-source",
    ),
    pytest.param(
        _set("clocks.verification.extended_by.trigger", "extnd"),
        "clocks.verification.extended_by.trigger",
        "'extnd' is not declared",
        id="extended-by-unknown-trigger",
    ),
    pytest.param(
        _set("open.to", "verifying"), "open.to", "always leads to the initial", id="open-with-to"
    ),
    pytest.param(
        _set("clocks.verification.unit", "hours"),
        "clocks.verification.unit",
        "'hours'",
        id="clock-unit",
    ),
    pytest.param(
        _set("triggers.assign.fields.verifiers.type", "person"),
        "triggers.assign.fields.verifiers.type",
        "'person'",
        id="field-type",
    ),
    pytest.param(
        _set("triggers.decline.fields.explanation", {"type": "json", "label": LABEL}),
        "triggers.decline.fields.explanation",
        "'schema' is a required property",
        id="json-without-schema",
    ),
    pytest.param(
        _set(
            "triggers.decline.fields.explanation",
            {"type": "json", "label": LABEL, "schema": {"type": "wibble"}},
        ),
        "triggers.decline.fields.explanation.schema",
        "is not a valid JSON schema",
        id="json-bad-schema",
    ),
    pytest.param(
        _set(
            "triggers.decline.fields.explanation",
            {"type": "text", "label": LABEL, "schema": {"type": "object"}},
        ),
        "triggers.decline.fields.explanation",
        "'schema' is allowed only on fields of type json",
        id="schema-on-non-json",
    ),
    pytest.param(
        _set(f"{CLOCK}.starts_from", "received_on"),
        f"{CLOCK}.starts_from",
        "the opening step has no field 'received_on'",
        id="starts-from-unknown-field",
    ),
    pytest.param(
        _set(f"{CLOCK}.starts_from", "summary"),
        f"{CLOCK}.starts_from",
        "field 'summary' of the opening step is of type text, not date",
        id="starts-from-not-a-date",
    ),
    pytest.param(
        _both(
            _set(f"{CLOCK}.runs_in", ["verifying", "verifying_extended"]),
            _set("open.fields.received_on", {"type": "date", "label": LABEL}),
            _set(f"{CLOCK}.starts_from", "received_on"),
        ),
        f"{CLOCK}.starts_from",
        "trigger 'assign' has no field 'received_on'",
        id="starts-from-missing-on-a-starting-trigger",
    ),
    pytest.param(
        _set(f"{CLOCK}.starts_from", "Received"),
        f"{CLOCK}.starts_from",
        "'Received'",
        id="starts-from-not-a-name",
    ),
    pytest.param(
        _set(f"{CLOCK}.extended_by", {"trigger": "extend", "days": 15, "days_field": "days"}),
        f"{CLOCK}.extended_by",
        "give exactly one of 'days' (a fixed number) and 'days_field'",
        id="extension-with-days-and-days-field",
    ),
    pytest.param(
        _set(f"{CLOCK}.extended_by", [{"trigger": "extend"}]),
        f"{CLOCK}.extended_by[0]",
        "give exactly one of 'days' (a fixed number) and 'days_field'",
        id="extension-without-days",
    ),
    pytest.param(
        _set(f"{CLOCK}.extended_by", {"trigger": "extend", "days_field": "days"}),
        f"{CLOCK}.extended_by.days_field",
        "trigger 'extend' has no field 'days'",
        id="days-field-unknown",
    ),
    pytest.param(
        _set(
            f"{CLOCK}.extended_by",
            [
                {"trigger": "start_testing", "days": 5},
                {"trigger": "extend", "days_field": "reason"},
            ],
        ),
        f"{CLOCK}.extended_by[1].days_field",
        "field 'reason' of trigger 'extend' is of type text, not integer",
        id="days-field-not-an-integer",
    ),
    pytest.param(
        _both(
            _set("triggers.extend.fields.days", {**DAYS_FIELD, "required": False}),
            _set(f"{CLOCK}.extended_by", {"trigger": "extend", "days_field": "days"}),
        ),
        f"{CLOCK}.extended_by.days_field",
        "field 'days' of trigger 'extend' is not required",
        id="days-field-not-required",
    ),
    pytest.param(
        _set(
            f"{CLOCK}.extended_by",
            [{"trigger": "extend", "days": 15}, {"trigger": "extend", "days": 5}],
        ),
        f"{CLOCK}.extended_by[1].trigger",
        "trigger 'extend' already extends this clock",
        id="extension-trigger-twice",
    ),
]


@pytest.mark.parametrize(("mutate", "path", "fault"), FAULTS)
def test_fault_names_source_path_and_fault(
    clue_raw: dict[str, Any], mutate: Mutation, path: str, fault: str
) -> None:
    raw = copy.deepcopy(clue_raw)
    mutate(raw)
    err = fault_of(dump(raw))
    assert isinstance(err, InputError)
    assert err.exit_code == 2
    assert err.source == SOURCE
    assert err.path == path
    assert fault in err.fault
    where = f"{SOURCE} at {path}" if path else SOURCE
    assert str(err) == f"workflow definition {where}: {err.fault}"


@pytest.mark.parametrize(
    ("where", "name"),
    [("open", "_secret"), ("triggers.extend", "_note")],
)
def test_field_name_starting_with_underscore(
    clue_raw: dict[str, Any], where: str, name: str
) -> None:
    raw = copy.deepcopy(clue_raw)
    node = raw
    for p in where.split("."):
        node = node[p]
    node["fields"][name] = {"type": "string", "label": LABEL}
    err = fault_of(dump(raw))
    assert err.source == SOURCE
    assert err.path == f"{where}.fields"
    assert repr(name) in err.fault


def test_bad_yaml_names_the_line(clue_text: str) -> None:
    lines = clue_text.splitlines()
    n = lines.index("initial: received")
    lines[n] = "initial: received: oops"
    err = fault_of("\n".join(lines))
    assert err.source == SOURCE
    assert err.path == f"line {n + 1}"
    assert "not valid YAML" in err.fault
    assert f"{SOURCE} at line {n + 1}" in str(err)


@pytest.mark.parametrize("text", ["- a\n- b\n", "just text\n", ""])
def test_top_level_must_be_a_mapping(text: str) -> None:
    err = fault_of(text)
    assert err.source == SOURCE
    assert "mapping at the top level" in err.fault


def test_unreadable_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(DefinitionError, match="cannot be read") as info:
        load_file(missing)
    assert info.value.source == str(missing)


def test_load_file_names_the_file(tmp_path: Path, clue_raw: dict[str, Any]) -> None:
    raw = copy.deepcopy(clue_raw)
    raw["triggers"]["assign"]["to"] = "verifyng"
    bad = tmp_path / "my_clue.yaml"
    bad.write_text(dump(raw), "utf-8")
    with pytest.raises(DefinitionError) as info:
        load_file(bad)
    assert info.value.source == "my_clue.yaml"
    assert str(info.value).startswith("workflow definition my_clue.yaml at triggers.assign.to:")


def test_clock_starting_from_a_recorded_date_and_extended_by_recorded_days(
    clue_raw: dict[str, Any],
) -> None:
    raw = copy.deepcopy(clue_raw)
    raw["open"]["fields"]["received_on"] = {"type": "date", "label": LABEL}
    raw["triggers"]["extend"]["fields"]["days"] = DAYS_FIELD
    raw["clocks"]["verification"]["starts_from"] = "received_on"
    raw["clocks"]["verification"]["extended_by"] = [
        {"trigger": "extend", "days_field": "days"},
        {"trigger": "start_testing", "days": 5},
    ]
    clock = parse_definition(dump(raw), SOURCE).clocks["verification"]
    assert clock.starts_from == "received_on"
    assert clock.extended_by == (("start_testing", 5),)
    assert clock.extended_by_field == (("extend", "days"),)
    # a clock that starts on a trigger needs the field on every trigger that can start it: here
    # only assign (finish_testing leads back into verifying, but only after the clock started)
    raw["clocks"]["verification"]["runs_in"] = ["verifying", "verifying_extended"]
    raw["triggers"]["assign"]["fields"]["received_on"] = {"type": "date", "label": LABEL}
    assert parse_definition(dump(raw), SOURCE).clocks["verification"].starts_from == "received_on"


def test_shipped_publication_clock_counts_from_the_decision_date() -> None:
    (path,) = [p for p in builtin_workflow_files() if p.name == "publication.yaml"]
    assert load_file(path).clocks["publication"].starts_from == "decision_date"
