"""Edges an attacker (or a slip) reaches: a --db that is not a database, a binary workflow file,
data nested deeper than anything reads recursively, the Python API given the wrong kind of data
or time. Each is one sentence with its exit code, and nothing is written."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.helpers import counts, make_engine, open_clue, run
from zhifa.engine import Opening
from zhifa.errors import ConflictError, DatabaseError, DefinitionError, FieldError, InputError
from zhifa.store import Store
from zhifa.workflow.definitions import FieldSpec, Label, StepSpec, load_file
from zhifa.workflow.fields import MAX_NESTING, nesting, validate

DEEP = 10_000  # far past what json.loads, repr or json.dumps can recurse through


def nested(levels: int, leaf: Any = 1) -> Any:
    """A value nesting lists ``levels`` deep, built without recursion."""
    value = leaf
    for _ in range(levels):
        value = [value]
    return value


def clue_data(**extra: Any) -> dict[str, Any]:
    return {"source": "complaint", "summary": "过期食品", **extra}


# --- a. --db that is not a database ---------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "what"),
    [(b"hello, I am a text file\n", "text"), (bytes(range(256)) * 16, "random bytes")],
)
def test_db_that_is_not_a_database_is_refused_naming_the_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: bytes, what: str
) -> None:
    path = tmp_path / "x.db"
    path.write_bytes(content)
    for args in (["matter", "list"], ["db", "upgrade"]):
        code, _out, err = run(capsys, *args, "--db", f"sqlite:///{path}")
        assert code == 2, (what, err)
        assert f"{path} is not a zhifa database" in err
        assert "internal error" not in err and "Traceback" not in err
    assert path.read_bytes() == content  # nothing written
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("x.db")] == ["x.db"]


def test_db_that_is_a_directory_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = tmp_path / "d.db"
    folder.mkdir()
    code, out, _err = run(capsys, "matter", "list", "--db", f"sqlite:///{folder}", "--json")
    assert code == 2
    payload = json.loads(out)
    assert payload["error"] == "DatabaseError"
    assert f"{folder} is a directory, not a database file" in payload["message"]
    assert list(folder.iterdir()) == []


def test_store_ping_refuses_a_text_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("not sqlite")
    store = Store(f"sqlite:///{path}")
    with pytest.raises(DatabaseError, match="not a zhifa database"):
        store.ping()
    store.dispose()


# --- b. a binary workflow file --------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "fault"),
    [
        (b"name: clue\n\xff\xfe\x00bad", "is not UTF-8 text (byte 0xff at offset 11)"),
        (b"name: clue\nversion: 1\x00\n", "holds a NUL byte at offset 21"),
        (b"\x89PNG\r\n\x1a\n" + bytes(64), "is not UTF-8 text"),
    ],
)
def test_binary_workflow_file_is_a_definition_error_naming_it(
    tmp_path: Path, content: bytes, fault: str
) -> None:
    path = tmp_path / "evil.yaml"
    path.write_bytes(content)
    with pytest.raises(DefinitionError) as info:
        load_file(path)
    assert info.value.exit_code == 2
    assert str(path) in info.value.message and fault in info.value.message


def test_workflow_file_nested_too_deep_is_a_definition_error(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("name: " + "[" * DEEP + "]" * DEEP + "\n", "utf-8")
    with pytest.raises(DefinitionError, match="nests lists or mappings far too deep"):
        load_file(path)


# --- c. data nested too deep ----------------------------------------------------------------


def test_nesting_is_counted_without_recursion() -> None:
    assert nesting("text") == 0
    assert nesting([]) == 1
    assert nesting({"a": [{"b": 1}]}) == 3
    assert nesting(nested(DEEP)) == MAX_NESTING + 1  # counting stops past the limit


STEP = StepSpec(
    name="record",
    label=Label("记录", "Record"),
    moves={None: "recorded"},
    roles=frozenset({"head"}),
    guards=(),
    certificate=False,
    fields={"items": FieldSpec(name="items", type="json", label=Label("项", "Items"))},
)


@pytest.mark.parametrize("as_text", [False, True])
def test_json_field_nesting_boundary(as_text: bool) -> None:
    def given(levels: int) -> Any:
        value = nested(levels)
        return json.dumps(value) if as_text else value

    assert validate(STEP, {"items": given(MAX_NESTING)}) == {"items": nested(MAX_NESTING)}
    for levels in (MAX_NESTING + 1, DEEP):
        # json.dumps itself cannot write the deepest one as text
        text = "[" * DEEP + "]" * DEEP if as_text and levels == DEEP else given(levels)
        with pytest.raises(FieldError) as info:
            validate(STEP, {"items": text})
        assert f"more than {MAX_NESTING} levels deep" in info.value.problems["items"]


def test_api_data_nested_too_deep_names_the_field(sqlite_bureau: Store) -> None:
    engine, _ = make_engine(sqlite_bureau)
    before = counts(sqlite_bureau)
    with pytest.raises(FieldError) as info:
        engine.open("clue", "C1", clue_data(summary=nested(DEEP)))
    assert set(info.value.problems) == {"summary"}
    assert f"at most {MAX_NESTING} levels" in info.value.problems["summary"]
    matter = open_clue(engine)
    with pytest.raises(FieldError) as info:
        engine.advance(matter, "assign", "H1", {"verifiers": ["C1"], "extra": nested(DEEP)})
    assert set(info.value.problems) == {"extra"}
    assert counts(sqlite_bureau) == (before[0] + 1, before[1] + 1)


@pytest.mark.parametrize("levels", [MAX_NESTING + 1, DEEP])
def test_cli_data_nested_too_deep_names_the_field(
    capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path, levels: int
) -> None:
    text = '{"source": "complaint", "summary": ' + "[" * levels + "]" * levels + "}"
    file = tmp_path / "data.json"
    file.write_text(text, "utf-8")
    for data in (text, f"@{file}"):
        code, _out, err = run(
            capsys, "matter", "open", "clue", "--actor", "C1", "--db", db, "--data", data
        )
        assert code == 2, err
        assert "summary" in err and f"{MAX_NESTING} levels" in err
        assert "internal error" not in err and "Traceback" not in err
    assert json.loads(run(capsys, "matter", "list", "--db", db, "--json")[1]) == []


# --- d. the Python API given the wrong kind of data or time --------------------------------


@pytest.mark.parametrize(
    ("data", "given"),
    [
        ([("source", "complaint")], "a list ([('source', 'complaint')])"),
        ("source=complaint", "a str ('source=complaint')"),
        (42, "a int (42)"),
    ],
)
def test_api_data_that_is_not_a_mapping_is_refused(
    sqlite_bureau: Store, data: Any, given: str
) -> None:
    engine, _ = make_engine(sqlite_bureau)
    matter = open_clue(engine)
    before = counts(sqlite_bureau)
    calls: list[Callable[[], object]] = [
        lambda: engine.open("clue", "C1", data),
        lambda: engine.advance(matter, "assign", "H1", data),
        lambda: engine.open_many("clue", [Opening("C1", clue_data()), Opening("C1", data)]),
    ]
    for call in calls:
        with pytest.raises(InputError) as info:
            call()
        assert type(info.value) is InputError
        message = info.value.message
        assert "data must be a mapping of field names to values" in message
        assert f"but {given} was given" in message
    assert "matter 2 of 2 to open" in message  # open_many says which opening
    assert counts(sqlite_bureau) == before


def test_no_data_is_no_fields_for_one_opening_and_for_many(sqlite_bureau: Store) -> None:
    """``None`` as data means no fields, in ``open`` and ``open_many`` alike: both are refused
    for the clue's required fields, with the same FieldError, and nothing is written."""
    engine, _ = make_engine(sqlite_bureau)
    before = counts(sqlite_bureau)
    with pytest.raises(FieldError) as one:
        engine.open("clue", "C1", None)
    with pytest.raises(FieldError) as many:
        engine.open_many("clue", [Opening("C1", None)])  # type: ignore[arg-type]
    assert set(one.value.problems) == set(many.value.problems) >= {"source", "summary"}
    assert counts(sqlite_bureau) == before


@pytest.mark.parametrize(
    ("at", "fragment"),
    [
        ("2026-02-10T09:00", "but a str ('2026-02-10T09:00') was given"),
        (date(2026, 2, 10), "for that day write datetime(2026, 2, 10, 9, 0)"),
        (1_770_000_000, "but a int (1770000000) was given"),
    ],
)
def test_api_at_that_is_not_a_datetime_is_refused(
    sqlite_bureau: Store, at: Any, fragment: str
) -> None:
    engine, _ = make_engine(sqlite_bureau)
    matter = open_clue(engine)
    before = counts(sqlite_bureau)
    calls: list[Callable[[], object]] = [
        lambda: engine.open("clue", "C1", clue_data(), at),
        lambda: engine.advance(matter, "assign", "H1", {"verifiers": ["C1"]}, at),
        lambda: engine.open_many("clue", [Opening("C1", clue_data())], at),
    ]
    for call in calls:
        with pytest.raises(InputError) as info:
            call()
        assert "at must be a datetime in Beijing time" in info.value.message
        assert fragment in info.value.message
    assert counts(sqlite_bureau) == before
    # the boundary: a datetime is taken
    assert engine.advance(matter, "assign", "H1", {"verifiers": ["C1"]}, datetime(2026, 2, 10, 9))


# --- f. a transaction the database aborts for a concurrent one ------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize("sqlstate", ["40001", "40P01"])
def test_a_transaction_aborted_for_a_concurrent_one_is_a_conflict(
    pg_url: str, sqlstate: str
) -> None:
    store = Store(pg_url)
    try:
        with pytest.raises(ConflictError, match="reload and try again"), store.transaction() as tx:
            tx.connection.exec_driver_sql(
                f"DO $$ BEGIN RAISE EXCEPTION 'lost' USING ERRCODE = '{sqlstate}'; END $$"
            )
        # any other database error stays what it is
        with pytest.raises(sa.exc.DBAPIError), store.transaction() as tx:
            tx.connection.exec_driver_sql("DO $$ BEGIN RAISE EXCEPTION 'other'; END $$")
    finally:
        store.dispose()
