"""Field help everywhere: each field's type, format, allowed values, bounds and an example from
one definition (zhifa.workflow.fields.field_help), shown by `zhifa matter triggers` and
`zhifa workflow show`; and -f NAME.KEY=VALUE fills a JSON field key by key."""

from __future__ import annotations

import pytest

from tests.helpers import run, run_json
from zhifa.cli.matter import _data
from zhifa.errors import InputError
from zhifa.plugins import Plugins
from zhifa.workflow.fields import field_help, help_line


def _fields(workflow: str, step: str) -> dict[str, object]:
    defn = next(d for d in Plugins(autoload=False).definitions() if d.name == workflow)
    spec = defn.open if step == "open" else defn.triggers[step]
    return dict(spec.fields)


def test_each_kind_says_its_format_and_an_example() -> None:
    opening = _fields("clue", "open")
    source = field_help(opening["source"])  # type: ignore[arg-type]
    assert source["type"] == "enum" and source["required"] is True
    assert "complaint" in source["choices"] and source["example"].startswith("source=")
    assert source["choices"]["complaint"].startswith("投诉")
    real_name = field_help(opening["real_name"])  # type: ignore[arg-type]
    assert (
        real_name["format"].startswith("true or false") and real_name["example"] == "real_name=true"
    )
    assert field_help(opening["reporter"])["confidential"] is True  # type: ignore[arg-type]
    assign = field_help(_fields("clue", "assign")["verifiers"])  # type: ignore[arg-type]
    assert assign["format"] == "officer ids, comma-separated" and "min" in assign
    decide = _fields("case", "decide_penalty")
    assert field_help(decide["fine"])["format"] == "yuan, at most two decimals"  # type: ignore[arg-type]
    facts = field_help(decide["facts"])  # type: ignore[arg-type]
    assert facts["type"] == "json" and facts["example"].startswith("facts.")
    line = help_line(opening["source"])  # type: ignore[arg-type]
    assert line.startswith("source* (") and "e.g. -f source=" in line


def test_json_fields_key_by_key_on_the_command_line() -> None:
    data = _data(
        None,
        [
            "facts.goods_value=5000",
            'facts.circumstances=["children"]',
            "facts.note=过期",
            "fine=200",
        ],
    )
    assert data == {
        "facts": {"goods_value": 5000, "circumstances": ["children"], "note": "过期"},
        "fine": "200",
    }
    with pytest.raises(InputError, match="either whole or key by key"):
        _data(None, ["facts={}", "facts.goods_value=1"])
    with pytest.raises(InputError, match=r"NAME\.KEY=VALUE"):
        _data(None, ["facts.a.b=1"])
    with pytest.raises(InputError, match="must be written NAME=VALUE"):
        _data(None, ["=1"])


def test_the_commands_show_the_help(capsys: pytest.CaptureFixture[str], db: str) -> None:
    shown = run_json(capsys, "workflow", "show", "clue")
    assert shown["open"]["fields"]["source"]["choices"]["report"].startswith("举报")
    code, out, _ = run(capsys, "workflow", "show", "clue")
    assert code == 0 and "e.g. -f source=" in out
    run_json(capsys, "matter", "open", "clue", "--actor", "C1", "--db", db,
             "-f", "source=report", "-f", "summary=s")  # fmt: skip
    options = {
        o["trigger"]: o
        for o in run_json(capsys, "matter", "triggers", "1", "--actor", "H1", "--db", db)
    }
    (verifiers,) = options["assign"]["fields"]
    assert verifiers["format"] == "officer ids, comma-separated"
    code, out, _ = run(capsys, "matter", "triggers", "1", "--actor", "H1", "--db", db)
    assert code == 0 and "verifiers*" in out and "comma-" in out
