"""zhifa.tabular: the one writer of .xlsx and .csv tables behind the directory and publicity
exports (their CLI behaviour is pinned in test_refdata_export.py and test_draw_publicity.py)."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from zhifa import tabular
from zhifa.errors import InputError
from zhifa.tabular import Cell, Table

HEADER = ("name", "born", "count")
ROWS: list[tuple[Cell, ...]] = [("甲", date(2020, 1, 2), 3), ("=1+1", None, 0)]


def table(rows: Iterable[Sequence[Cell]] = ROWS) -> Table:
    return Table("people", "people", HEADER, rows)


def write(
    path: Path,
    tables: Sequence[Table] | None = None,
    *,
    escape_formulas: bool = False,
    strip_control: bool = False,
    force: bool = False,
    progress: tabular.Progress | None = None,
    batch: int = tabular.BATCH,
) -> tabular.ExportResult:
    return tabular.write(
        path,
        tables or [table()],
        escape_formulas=escape_formulas,
        strip_control=strip_control,
        force=force,
        progress=progress,
        batch=batch,
    )


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def failing(after: int) -> Iterator[tuple[Cell, ...]]:
    for n in range(after):
        yield (f"row {n}", None, n)
    raise RuntimeError("disk full")


# -- refusals --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("out.txt", "out.txt has the suffix .txt, but exports are written as .xlsx or .csv"),
        ("out", "out has no suffix"),
        ("out.xls", "end the file name with .xlsx or .csv"),
    ],
)
def test_other_suffixes_are_refused_in_one_sentence(
    tmp_path: Path, name: str, fragment: str
) -> None:
    with pytest.raises(InputError, match=re.escape(fragment)) as caught:
        write(tmp_path / name)
    assert "\n" not in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_the_suffix_is_case_blind(tmp_path: Path) -> None:
    assert tabular.file_format(tmp_path / "a.XLSX") == "xlsx"
    assert write(tmp_path / "a.CSV").format == "csv"


def test_a_missing_folder_and_a_folder_in_the_way_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist; create it or choose another"):
        write(tmp_path / "missing" / "out.csv")
    (tmp_path / "dir.xlsx").mkdir()
    with pytest.raises(InputError, match="is a folder; give the name of the file to write"):
        write(tmp_path / "dir.xlsx", force=True)


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_an_existing_file_is_kept_without_force(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"out{suffix}"
    path.write_bytes(b"keep me")
    with pytest.raises(InputError, match="exists already, so nothing was written; give --force"):
        write(path)
    assert path.read_bytes() == b"keep me"
    result = write(path, force=True)
    assert result.files == (path,) and path.read_bytes() != b"keep me"
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file


def test_any_existing_csv_of_several_tables_stops_all(tmp_path: Path) -> None:
    (tmp_path / "out-b.csv").write_text("mine", "utf-8")
    tables = [Table("A", "a", HEADER, ROWS), Table("B", "b", HEADER, ROWS)]
    with pytest.raises(InputError, match=r"out-b\.csv exists already"):
        write(tmp_path / "out.csv", tables)
    assert [p.name for p in tmp_path.iterdir()] == ["out-b.csv"]


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_a_file_made_by_someone_else_meanwhile_is_left_alone(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"out{suffix}"

    def rows() -> Iterator[tuple[Cell, ...]]:
        yield ("a", None, 1)
        path.write_bytes(b"theirs")

    with pytest.raises(InputError, match="was created by someone else during the export"):
        write(path, [table(rows())])
    assert path.read_bytes() == b"theirs"
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


# -- failures --------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_a_failure_leaves_no_file_and_keeps_an_existing_one(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"out{suffix}"
    with pytest.raises(RuntimeError, match="disk full"):
        write(path, [table(failing(5))])
    assert list(tmp_path.iterdir()) == []
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="disk full"):
        write(path, [table(failing(5))], force=True)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]
    assert path.read_bytes() == b"old"


def test_a_failure_in_a_later_csv_table_writes_none_of_them(tmp_path: Path) -> None:
    tables = [Table("A", "a", HEADER, ROWS), Table("B", "b", HEADER, failing(3))]
    with pytest.raises(RuntimeError):
        write(tmp_path / "out.csv", tables)
    assert list(tmp_path.iterdir()) == []


# -- CSV -------------------------------------------------------------------------------------------


def test_csv_is_utf8_with_bom_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    result = write(path)
    data = path.read_bytes()
    assert data.startswith("\ufeff".encode())
    assert data.count(b"\r\n") == 3 and b"\n" not in data.replace(b"\r\n", b"")
    assert read_csv(path) == [list(HEADER), ["甲", "2020-01-02", "3"], ["=1+1", "", "0"]]
    assert result.as_dict() == {"files": [str(path)], "format": "csv", "rows": {"people": 2}}


FORMULAS = ["=SUM(A1)", "+1", "-1", "@x", "\tx", "\rx"]


def test_csv_text_is_kept_exactly_without_formula_escaping(tmp_path: Path) -> None:
    rows = [(text, None, None) for text in [*FORMULAS, "a=b", "'quoted"]]
    write(tmp_path / "out.csv", [table(rows)], escape_formulas=False)
    assert [row[0] for row in read_csv(tmp_path / "out.csv")[1:]] == [r[0] for r in rows]


def test_csv_text_that_looks_like_a_formula_gets_a_quote_when_escaped(tmp_path: Path) -> None:
    rows = [(text, None, -5) for text in [*FORMULAS, "a=b"]]
    write(tmp_path / "out.csv", [table(rows)], escape_formulas=True)
    read = read_csv(tmp_path / "out.csv")[1:]
    assert [row[0] for row in read] == [f"'{t}" for t in FORMULAS] + ["a=b"]
    assert {row[2] for row in read} == {"-5"}  # numbers are not text, so never escaped


# -- xlsx ------------------------------------------------------------------------------------------


def test_xlsx_dates_text_and_header(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    result = write(path, escape_formulas=True)  # escaping is for CSV; xlsx stores text as text
    assert result.format == "xlsx" and result.rows == {"people": 2}
    sheet = load_workbook(path)["people"]
    assert sheet.freeze_panes == "A2"
    head = sheet["A1"]
    assert head.value == "name" and head.font.bold
    born = sheet["B2"]
    assert born.value == datetime(2020, 1, 2) and born.number_format == "yyyy-mm-dd"
    assert sheet["C2"].value == 3 and sheet["B3"].value is None
    formula = sheet["A3"]
    assert formula.value == "=1+1" and formula.data_type == "s"


def test_xlsx_refuses_a_control_character_unless_told_to_drop_it(tmp_path: Path) -> None:
    rows: list[tuple[Cell, ...]] = [("ok", None, 1), ("坏\x01名", None, 2)]
    with pytest.raises(InputError, match=r"row 3 holds a control character.*export to a \.csv"):
        write(tmp_path / "out.xlsx", [table(rows)])
    assert list(tmp_path.iterdir()) == []
    write(tmp_path / "out.xlsx", [table(rows)], strip_control=True)
    assert load_workbook(tmp_path / "out.xlsx")["people"]["A3"].value == "坏名"


def test_xlsx_column_widths_count_wide_characters_twice(tmp_path: Path) -> None:
    header = ("id", "a_rather_long_name", "检查结果（逐项）")
    write(tmp_path / "out.xlsx", [Table("t", "t", header, [])])
    widths = load_workbook(tmp_path / "out.xlsx")["t"].column_dimensions
    assert [widths[c].width for c in "ABC"] == [12, 22, 20]


# -- several tables, progress ----------------------------------------------------------------------


def test_several_tables_are_sheets_of_one_workbook(tmp_path: Path) -> None:
    tables = [Table("计划", "plan", HEADER, ROWS), Table("结果", "results", ("x",), [("y",)])]
    result = write(tmp_path / "out.xlsx", tables)
    assert result.files == (tmp_path / "out.xlsx",)
    assert result.rows == {"计划": 2, "结果": 1}
    book = load_workbook(tmp_path / "out.xlsx")
    assert book.sheetnames == ["计划", "结果"]
    assert [c.value for c in book["结果"][2]] == ["y"]


def test_several_tables_are_csv_files_named_by_slug(tmp_path: Path) -> None:
    tables = [Table("计划", "plan", HEADER, ROWS), Table("结果", "results", ("x",), [("y",)])]
    result = write(tmp_path / "名录.csv", tables)
    assert result.files == (tmp_path / "名录-plan.csv", tmp_path / "名录-results.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["名录-plan.csv", "名录-results.csv"]
    assert read_csv(tmp_path / "名录-results.csv") == [["x"], ["y"]]
    assert tabular.outputs(tmp_path / "one.csv", ["plan"], force=False) == [tmp_path / "one.csv"]


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_progress_counts_the_rows_of_counted_tables_in_batches(tmp_path: Path, suffix: str) -> None:
    many: Iterator[tuple[Cell, ...]] = ((f"r{n}", None, n) for n in range(25))
    tables = [Table("few", "few", HEADER, ROWS), Table("many", "many", HEADER, many, True)]
    steps: list[int] = []
    result = write(tmp_path / f"out{suffix}", tables, progress=steps.append, batch=10)
    assert steps == [10, 10, 5]
    assert result.rows == {"few": 2, "many": 25}
