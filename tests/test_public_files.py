"""Public files run no formulas (issue 11, item 6): someone who names a party, an entity, an
officer or a department ``=HYPERLINK(…)`` must not get a spreadsheet that opens a public file to
run it. Files for the public (the publicity sink's CSV, the random-inspection exports) escape
such text as :func:`zhifa.tabular.escape_formula` does; the directory exports, which must import
back unchanged, keep it verbatim, say so in the file, and their imports warn of it."""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa

from tests.conftest import DEPT, seed_bureau
from tests.helpers import make_uscc, run, run_json
from tests.test_draw_publicity import Drawn, _drawn, _inspect
from tests.test_draws import ITEM, make_plan
from tests.test_publicity import csv_rows, json_records, publish_decision
from zhifa import directory, inspections, tabular
from zhifa.directory import export as directory_export
from zhifa.reporting.publicity import append_once, csv_header
from zhifa.store import Store

HYPERLINK = '=HYPERLINK("http://x","点击")'
STARTS = ["=", "+", "-", "@", "\t", "\r"]
"""Every start of :data:`zhifa.tabular.FORMULA_START`, which a spreadsheet runs."""
FORMULAS = [HYPERLINK, "+1+1", "-1+1", "@SUM(1)", "\t=1+1", "\r=1+1", "-5"]
"""Formula text an attacker might give; ``-5`` is text here, so escaped as well."""
HARMLESS = ["a=1+1", "某公司=HYPERLINK(1)", "'=1", "５=1", " 前有空格"]
"""Text beginning with a safe character: never escaped, whatever follows."""


def test_the_rule_has_one_home() -> None:
    assert set(tabular.FORMULA_START) == set(STARTS)
    for text in FORMULAS:
        assert tabular.escape_formula(text) == f"'{text}"
    for text in HARMLESS:
        assert tabular.escape_formula(text) == text


# -- the publicity sink (双公示) --------------------------------------------------------------------


@pytest.mark.parametrize("text", FORMULAS)
def test_a_published_partys_formula_is_shown_not_run(
    bureau: Store, publicity_dir: Path, text: str
) -> None:
    fields = ("party_name", "legal_representative", "facts", "remarks")
    _, _, m = publish_decision(bureau, **dict.fromkeys(fields, text))
    (row,) = csv_rows(publicity_dir)
    (record,) = json_records(publicity_dir)
    for header, name in zip(
        ("行政相对人名称", "法定代表人", "违法事实", "备注"), fields, strict=True
    ):
        recorded = m.data["open"][name]  # as the matter recorded it (surrounding space dropped)
        assert recorded.startswith(tabular.FORMULA_START), recorded
        assert record[name] == recorded  # JSON lines: exactly as recorded
        assert row[header] == f"'{recorded}", header  # CSV: shown, never run
    assert row["罚款金额（万元）"] == "5.000000"  # a number, never escaped
    assert not any(value.startswith(tabular.FORMULA_START) for value in row.values())


@pytest.mark.parametrize("text", HARMLESS)
def test_text_beginning_with_a_safe_character_is_untouched(
    bureau: Store, publicity_dir: Path, text: str
) -> None:
    _, _, m = publish_decision(bureau, party_name=text)
    (row,) = csv_rows(publicity_dir)
    (record,) = json_records(publicity_dir)
    assert row["行政相对人名称"] == record["party_name"] == m.data["open"]["party_name"]


def test_a_withdrawal_reason_is_escaped_too(bureau: Store, publicity_dir: Path) -> None:
    engine, clock, m = publish_decision(bureau)
    clock.set(datetime(2026, 3, 10, 10, 0))
    m = engine.advance(
        m, "decision_changed", "C1", {"change": "revoked", "changed_on": "2026-03-10"}
    ).matter
    clock.set(datetime(2026, 3, 11, 10, 0))
    engine.advance(m, "withdraw", "C1", {"reason": HYPERLINK})
    (withdrawn,) = csv_rows(publicity_dir, "2026-03-11")
    assert withdrawn["撤回或停止公示原因"] == f"'{HYPERLINK}"
    assert json_records(publicity_dir, "2026-03-11")[0]["action_reason"] == HYPERLINK


def test_a_key_that_would_be_escaped_is_still_written_once(tmp_path: Path) -> None:
    path = tmp_path / "publicity.csv"
    line = "-7:2:publicity,publish\r\n"
    assert append_once(path, "-7:2:publicity", line, header=csv_header(), bom=True)
    written = path.read_bytes()
    path.write_bytes(written.replace(b"-7:2", b"'-7:2"))  # as csv_line writes it
    assert not append_once(path, "-7:2:publicity", line, header=csv_header(), bom=True)


# -- the random-inspection exports (双随机、一公开) ------------------------------------------------


def _poison(store: Store) -> None:
    with store.write() as session:
        session.execute(
            sa.text("UPDATE departments SET name = :n WHERE code = :c"), {"n": HYPERLINK, "c": DEPT}
        )
        session.execute(sa.text("UPDATE entities SET name = '@' || name"))
        session.execute(sa.text("UPDATE officers SET name = '-' || name"))
        session.execute(sa.text("UPDATE officer_versions SET name = '-' || name"))


def _poisoned(store: Store) -> Drawn:
    """A drawn plan whose department, entities, officers and basis hold formula text, the first
    task inspected and published."""
    seed_bureau(store)
    plan = dataclasses.replace(make_plan(), basis="+《条例》第一条")
    d = _drawn(store, prepare=_poison, plan=plan)
    _inspect(d, d.matters[0], f"{ITEM}: pass")
    d.walk(d.matters[0], (datetime(2026, 6, 2, 10), "publish", "TEAM", {"text": "未发现问题"}))
    return d


@pytest.fixture
def poisoned(db_url: str) -> Iterator[Drawn]:
    store = Store(db_url)
    yield _poisoned(store)
    store.dispose()


def _cells(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [value for row in csv.reader(handle) for value in row]


def _assert_public(paths: list[Path], *expected: str) -> None:
    """No cell of the CSV files begins as a formula, and each of ``expected`` is there, escaped."""
    cells = [value for path in paths for value in _cells(path)]
    assert cells
    running = [value for value in cells if value.startswith(tabular.FORMULA_START)]
    assert running == []
    for text in expected:
        assert any(value.startswith(f"'{text}") for value in cells), text


def test_the_plan_export_escapes_its_text(poisoned: Drawn, tmp_path: Path) -> None:
    out = tmp_path / "plan.csv"
    inspections.export_plan(poisoned.store, poisoned.plan_id, out)
    _assert_public([out], HYPERLINK, "+《条例》")


def test_the_draw_export_escapes_plan_process_and_results(poisoned: Drawn, tmp_path: Path) -> None:
    inspections.export_draw(poisoned.engine, poisoned.draw_id, tmp_path / "out.csv")
    plan, process, results = (tmp_path / f"out-{s}.csv" for s in ("plan", "draw", "results"))
    _assert_public([plan], HYPERLINK, "+《条例》")
    _assert_public([process])
    _assert_public([results], HYPERLINK, "@食品厂", "-")  # department, entity, inspectors
    inspections.export_draw(poisoned.engine, poisoned.draw_id, tmp_path / "out.xlsx")
    book = openpyxl.load_workbook(tmp_path / "out.xlsx")
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
    assert any(c.value == HYPERLINK for c in cells)
    assert all(c.data_type != "f" for c in cells)  # text stays text, never a formula


def test_the_snapshot_exports_escape_their_text(poisoned: Drawn, tmp_path: Path) -> None:
    targets, inspectors = poisoned.snapshots
    inspections.export_snapshot(poisoned.store, targets, tmp_path / "targets.csv")
    _assert_public([tmp_path / "targets.csv"], "@食品厂")
    inspections.export_snapshot(poisoned.store, inspectors, tmp_path / "people.csv")
    people = [tmp_path / "people-inspectors.csv", tmp_path / "people-conflicts.csv"]
    _assert_public(people, "-钱检查", HYPERLINK)


# -- the directory exports: verbatim, said so, warned of on import ---------------------------------


def _entities_with(store: Store, names: list[str]) -> None:
    for n, name in enumerate(names):
        directory.add_entity(
            store,
            uscc=make_uscc(n + 1),
            name=name,
            kind="企业",
            region_code="330106",
            industry="食品销售",
        )


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_directory_exports_keep_text_and_say_so(bureau: Store, tmp_path: Path, suffix: str) -> None:
    _entities_with(bureau, [HYPERLINK, "a=1"])
    path = tmp_path / f"entities{suffix}"
    assert directory.export_entities(bureau, path).rows == 3
    note = directory_export.EXPORT_NOTE
    if suffix == ".csv":
        cells = _cells(path)
        assert cells[0] == f"# {note}" and cells[1] == "uscc"
        assert HYPERLINK in cells  # verbatim: the file imports back unchanged
    else:
        book = openpyxl.load_workbook(path)
        assert book.sheetnames == ["entities", tabular.NOTE_SHEET]
        assert book[tabular.NOTE_SHEET]["A1"].value == note
        names = [row[1] for row in book["entities"].iter_rows(values_only=True)]
        assert names[0] == "name" and HYPERLINK in names
    # the import reads its own export: the note is skipped, the formula warned of, not refused
    result = directory.import_entities(bureau, path)
    assert (result.created, result.updated, result.skipped) == (0, 3, [])
    # the rows a spreadsheet shows: in .csv the note is row 1 and the header row 2
    row = 4 if suffix == ".csv" else 3
    assert [(number, column) for number, column, _ in result.warnings] == [(row, "name")]
    assert "a spreadsheet runs as a formula" in result.warnings[0][2]


def _csv_file(path: Path, lines: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(lines)
    return path


HEADER = ["uscc", "name", "kind", "region_code", "industry"]


def test_the_import_warns_of_each_formula_cell_and_imports_it(
    bureau: Store, tmp_path: Path
) -> None:
    rows = [[make_uscc(n + 1), text, "企业", "330106", "食品销售"] for n, text in enumerate(
        [*FORMULAS, *HARMLESS]
    )]  # fmt: skip
    rows[0][4] = "@行业"  # a second column of the same row
    path = _csv_file(tmp_path / "e.csv", [HEADER, *rows])
    result = directory.import_entities(bureau, path)
    assert result.created == len(rows) and result.skipped == []
    # the header is row 1; \t and \r are stripped before they are stored, so what is stored
    # begins with = or +1 and is warned of; harmless text is not
    expected = [(2, "name"), (2, "industry"), *((n + 2, "name") for n in range(1, len(FORMULAS)))]
    assert [(row, column) for row, column, _ in result.warnings] == expected
    stored = {e.uscc: e.name for e in directory.list_entities(bureau)}
    assert stored[make_uscc(1)] == HYPERLINK  # imported as given


def test_numbers_in_a_workbook_are_not_text_so_not_warned_of(bureau: Store, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    sheet.append([make_uscc(1), -5, "企业", 330106, "食品销售"])
    sheet.append([make_uscc(2), "-5", "企业", 330106, "食品销售"])
    book.save(tmp_path / "e.xlsx")
    result = directory.import_entities(bureau, tmp_path / "e.xlsx")
    assert result.created == 2
    assert [(row, column) for row, column, _ in result.warnings] == [(3, "name")]


def test_a_skipped_bad_row_is_not_warned_of(bureau: Store, tmp_path: Path) -> None:
    rows = [
        [make_uscc(1), HYPERLINK, "企业", "330106", "食品销售"],
        [make_uscc(2), HYPERLINK, "企业", "bad", "食品销售"],
    ]
    path = _csv_file(tmp_path / "e.csv", [HEADER, *rows])
    result = directory.import_entities(bureau, path, skip_bad=True)
    assert [row for row, _ in result.skipped] == [3]
    assert [row for row, _, _ in result.warnings] == [2]


def test_a_note_line_is_skipped_only_before_the_header(bureau: Store, tmp_path: Path) -> None:
    row = [make_uscc(1), "某公司", "企业", "330106", "食品销售"]
    noted = _csv_file(tmp_path / "a.csv", [["# 任何说明"], HEADER, row])
    assert directory.import_entities(bureau, noted).created == 1
    # a first cell beginning with # but other cells filled is no note: the header is refused
    wrong = _csv_file(tmp_path / "b.csv", [["# 说明", "x"], HEADER, row])
    with pytest.raises(Exception, match="header row does not fit"):
        directory.import_entities(bureau, wrong)


def test_the_import_commands_show_the_warnings(
    capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path
) -> None:
    path = _csv_file(
        tmp_path / "depts.csv", [["code", "name", "region_code"], ["X", HYPERLINK, "330100"]]
    )
    code, out, err = run(capsys, "dept", "import", str(path), "--db", db)
    assert code == 0, err
    assert "warning: 1 imported cell begins with =, +, - or @" in out
    assert "do not publish" in out
    payload: dict[str, Any] = run_json(capsys, "dept", "import", str(path), "--db", db)
    (warning,) = payload["warnings"]
    assert (warning["row"], warning["column"]) == (2, "name")
