"""Credit records from other bodies: imported with their source named, checked whole before
anything is written, updated (never doubled) on a second import, counted by a scheme."""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import ENTITY
from tests.helpers import make_uscc, run, run_json
from zhifa.credit import classify, entity_file
from zhifa.credit.importing import import_external
from zhifa.errors import InputError
from zhifa.rules.credit import NATIONAL_SCHEME
from zhifa.store import Store
from zhifa.store.tables import CreditRecord

NOW = datetime(2026, 12, 5, 9, 0)
COURT = "杭州市中级人民法院"


def _csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["统一社会信用代码", "认定日期", "文号", "内容", "标记", "依据"])
        w.writerows(rows)
    return path


def _stored(store: Store) -> list[tuple[str, str, str, str, str]]:
    with store.read() as s:
        return [
            (r.source, r.reference or "", r.on.isoformat(), r.flags, r.summary)
            for r in s.scalars(sa.select(CreditRecord).order_by(CreditRecord.id))
        ]


def test_records_are_imported_once_and_counted(bureau: Store, tmp_path: Path) -> None:
    path = _csv(
        tmp_path / "court.csv",
        [
            [ENTITY, "2026-06-01", "(2026)浙01执123号", "拒不履行生效判决", "dishonest, defaulter", "最高法规定"],
            [ENTITY, "2025-01-10", "(2025)浙01执9号", "已履行", "", ""],
        ],
    )  # fmt: skip
    done = import_external(bureau, path, COURT, NOW)
    assert (done.created, done.updated, done.skipped) == (2, 0, [])
    again = import_external(bureau, path, COURT, NOW)
    assert (again.created, again.updated) == (0, 2)
    assert _stored(bureau) == [
        (COURT, "(2026)浙01执123号", "2026-06-01", ",defaulter,dishonest,", "拒不履行生效判决"),
        (COURT, "(2025)浙01执9号", "2025-01-10", ",", "已履行"),
    ]
    # the same reference from another body is another record
    assert import_external(bureau, path, "上城区人民法院", NOW).created == 2
    found = entity_file(bureau, ENTITY, NATIONAL_SCHEME, date(2026, 12, 5), NOW).now
    assert (found.score, found.credit_class) == (70.0, "C")  # two dishonest records, −15 each
    assert classify(bureau, NATIONAL_SCHEME, date(2026, 12, 5), NOW).by_class["C"] == 1


def test_a_bad_row_writes_nothing_unless_skipped(sqlite_bureau: Store, tmp_path: Path) -> None:
    stranger = make_uscc(777)
    path = _csv(
        tmp_path / "court.csv",
        [
            [ENTITY, "2026-06-01", "A-1", "失信", "dishonest", ""],
            [stranger, "2026-06-01", "A-2", "失信", "", ""],
            [ENTITY, "2026-13-01", "A-3", "", "Not A Code", ""],
            [ENTITY, "2026-06-02", "A-1", "重复", "", ""],
        ],
    )
    from zhifa.errors import ImportFileError

    with pytest.raises(ImportFileError) as err:
        import_external(sqlite_bureau, path, COURT, NOW)
    reasons = dict(err.value.rows)
    assert f"no entity has the unified social credit code {stranger}" in reasons[3]
    assert "on:" in reasons[4] and "summary is empty" in reasons[4] and "Not" in reasons[4]
    assert "reference A-1 is also on row 2" in reasons[5]
    assert _stored(sqlite_bureau) == []
    done = import_external(sqlite_bureau, path, COURT, NOW, skip_bad=True)
    assert done.created == 1 and [row for row, _ in done.skipped] == [3, 4, 5]


@pytest.mark.parametrize("source", ["zhifa", "ZHIFA", " ", "x" * 101])
def test_the_source_must_name_another_body(
    sqlite_bureau: Store, tmp_path: Path, source: str
) -> None:
    path = _csv(tmp_path / "c.csv", [[ENTITY, "2026-06-01", "A-1", "失信", "", ""]])
    with pytest.raises(InputError, match="cannot name the records' source"):
        import_external(sqlite_bureau, path, source, NOW)
    assert _stored(sqlite_bureau) == []


def test_the_command_imports_and_warns_of_formulas(
    sqlite_bureau: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _csv(tmp_path / "c.csv", [[ENTITY, "2026-06-01", "A-1", '=HYPERLINK("x")', "", ""]])
    url = sqlite_bureau.url
    done = run_json(capsys, "credit", "import", str(path), "--source", COURT, "--db", url)
    assert done["created"] == 1 and done["warnings"][0]["column"] == "summary"
    code, _, err = run(capsys, "credit", "import", str(path), "--source", "zhifa", "--db", url)
    assert code == 2 and "cannot name the records' source" in err and "Traceback" not in err
