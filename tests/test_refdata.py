"""Reference data: checking values, adding, finding, and importing CSV/.xlsx files (SQLite and
PostgreSQL)."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import event, select

from tests.helpers import make_uscc
from zhifa import directory
from zhifa.errors import ImportFileError, InputError, NotFoundError
from zhifa.store import Store
from zhifa.store.tables import HISTORY_START, Entity, Officer, OfficerVersion
from zhifa.timekeeping import FixedClock

DEPT = "HZXH"
A, B, C = "91110000600037341L", "91350100M000100Y43", "91110108551385082Q"

Row = Sequence[object]
MakeFile = Callable[..., Path]


def _csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return f"{value.year}/{value.month}/{value.day}"
    return str(value)


def _csv_writer(encoding: str) -> Callable[[Path, Sequence[Row]], Path]:
    def write(base: Path, rows: Sequence[Row]) -> Path:
        path = base.with_suffix(".csv")
        with path.open("w", encoding=encoding, newline="") as handle:
            csv.writer(handle).writerows([[_csv_cell(v) for v in row] for row in rows])
        return path

    return write


def _write_xlsx(base: Path, rows: Sequence[Row]) -> Path:
    path = base.with_suffix(".xlsx")
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(list(row))
    book.save(path)
    return path


WRITERS: dict[str, Callable[[Path, Sequence[Row]], Path]] = {
    "csv-utf8": _csv_writer("utf-8"),
    "csv-utf8-bom": _csv_writer("utf-8-sig"),
    "csv-gb18030": _csv_writer("gb18030"),
    "xlsx": _write_xlsx,
}


@pytest.fixture(params=list(WRITERS))
def make_file(request: pytest.FixtureRequest, tmp_path: Path) -> MakeFile:
    """Writes rows as the format under test; dates become 2024/1/1 in CSV, date cells in .xlsx."""
    writer = WRITERS[request.param]

    def make(rows: Sequence[Row], name: str = "data") -> Path:
        return writer(tmp_path / name, rows)

    return make


@pytest.fixture
def csv_file(tmp_path: Path) -> MakeFile:
    def make(rows: Sequence[Row], name: str = "data") -> Path:
        return WRITERS["csv-utf8"](tmp_path / name, rows)

    return make


@pytest.fixture
def db(db_url: str) -> Iterator[Store]:
    """A migrated database (SQLite, then PostgreSQL) with department HZXH."""
    store = Store(db_url)
    directory.add_department(store, code=DEPT, name="西湖区市场监管局", region_code="330106")
    yield store
    store.dispose()


def stored_entities(store: Store) -> dict[str, tuple[object, ...]]:
    with store.read() as session:
        return {
            e.uscc: (e.name, e.kind, e.region_code, e.industry, e.credit_class, e.risk_level)
            for e in session.execute(select(Entity)).scalars()
        }


def stored_officers(store: Store) -> dict[str, tuple[object, ...]]:
    with store.read() as session:
        return {
            o.id: (
                o.name,
                o.department_code,
                o.roles,
                o.certificate_no,
                o.certificate_valid_from,
                o.certificate_valid_to,
            )
            for o in session.execute(select(Officer)).scalars()
        }


# ---------------------------------------------------------------------------------------------
# Values


@pytest.mark.parametrize(
    "value",
    [
        "2026-03-02",
        "2026/3/2",
        "2026.03.02",
        "2026年3月2日",
        "20260302",
        " 2026-3-2 ",
        "2026-03-02 00:00:00",
        date(2026, 3, 2),
        datetime(2026, 3, 2, 0, 0),
        20260302,
    ],
)
def test_dates_are_read_in_the_forms_offices_write(value: directory.Cell) -> None:
    assert directory.parse_date(value) == date(2026, 3, 2)


@pytest.mark.parametrize("value", ["2026-02-30", "next week", "", "3/2/2026", "2026-13-01"])
def test_a_non_date_is_refused_with_the_accepted_form(value: str) -> None:
    with pytest.raises(InputError, match="is not a date; write it as 2026-03-02"):
        directory.parse_date(value)


@pytest.mark.parametrize(
    ("given", "risk"),
    [
        ("low", "low"),
        ("Medium", "medium"),
        ("HIGH", "high"),
        ("低", "low"),
        ("中", "medium"),
        ("高", "high"),
        ("高风险", "high"),
        ("", None),
        (None, None),
    ],
)
def test_risk_levels_in_english_or_chinese_are_stored_in_english(
    given: str | None, risk: str | None
) -> None:
    entity = directory.EntityIn.parse(
        uscc=A, name="n", kind="企业", region_code="330106", industry="餐饮", risk_level=given
    )
    assert entity.risk_level == risk


def test_entity_values_are_normalised() -> None:
    entity = directory.EntityIn.parse(
        uscc=" 9111 0000 6000 3734 1l",
        name=" 某食品有限公司 ",
        kind="企业",
        region_code=330106,
        industry="食品销售",
        credit_class="b",
    )
    assert entity == directory.EntityIn(
        A, "某食品有限公司", "企业", "330106", "食品销售", "B", None
    )


GOOD_ENTITY: dict[str, directory.Cell] = {
    "uscc": A,
    "name": "某食品有限公司",
    "kind": "企业",
    "region_code": "330106",
    "industry": "食品销售",
}


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"uscc": A[:17]}, "a USCC has 18 characters"),
        ({"uscc": ""}, "uscc is empty"),
        ({"name": " "}, "name is empty"),
        ({"kind": ""}, "kind is empty"),
        ({"industry": None}, "industry is empty"),
        ({"region_code": "3301"}, "region_code is '3301', not a 6-digit"),
        ({"region_code": "33010A"}, "not a 6-digit administrative division code"),
        (
            {"credit_class": "F"},
            "credit_class 'F' is not a credit class (信用等级); use letters A–E",
        ),
        ({"credit_class": "A1"}, "use letters A–E"),
        ({"risk_level": "很高"}, "risk_level '很高' is not a risk level"),
        ({"name": "名" * 201}, "name has 201 characters, at most 200 fit"),
    ],
)
def test_each_bad_entity_value_is_named(change: dict[str, directory.Cell], fragment: str) -> None:
    with pytest.raises(InputError) as caught:
        directory.EntityIn.parse(**{**GOOD_ENTITY, **change})
    assert fragment in caught.value.message


def test_all_faults_of_a_record_are_reported_together() -> None:
    with pytest.raises(InputError) as caught:
        directory.EntityIn.parse(
            **{**GOOD_ENTITY, "name": "", "region_code": "1", "risk_level": "x"}
        )
    message = caught.value.message
    assert "name is empty" in message
    assert "region_code is '1'" in message
    assert "risk_level 'x'" in message


GOOD_OFFICER: dict[str, directory.Cell] = {
    "id": "C1",
    "name": "李明",
    "department": DEPT,
    "roles": "inspector,case_handler",
}
CERT = {
    "certificate_no": "ZF-C1",
    "certificate_valid_from": "2024-01-01",
    "certificate_valid_to": "2027/12/31",
}


@pytest.mark.parametrize(
    ("certificate", "expected"),
    [
        ({}, (None, None, None)),
        (CERT, ("ZF-C1", date(2024, 1, 1), date(2027, 12, 31))),
        (
            {**CERT, "certificate_valid_to": "2024-01-01"},
            ("ZF-C1", date(2024, 1, 1), date(2024, 1, 1)),
        ),
        (
            {**CERT, "certificate_valid_from": date(2024, 1, 1)},
            ("ZF-C1", date(2024, 1, 1), date(2027, 12, 31)),
        ),
        ({"certificate_no": "", "certificate_valid_from": None}, (None, None, None)),
    ],
)
def test_certificate_fields_all_or_none(
    certificate: dict[str, directory.Cell], expected: tuple[object, ...]
) -> None:
    officer = directory.OfficerIn.parse(**GOOD_OFFICER, **certificate)
    assert (
        officer.certificate_no,
        officer.certificate_valid_from,
        officer.certificate_valid_to,
    ) == expected
    assert officer.roles == ("case_handler", "inspector")


@pytest.mark.parametrize(
    ("certificate", "fragment"),
    [
        (
            {"certificate_no": "ZF-C1"},
            "certificate_valid_from, certificate_valid_to are missing",
        ),
        (
            {"certificate_valid_from": "2024-01-01", "certificate_valid_to": "2027-12-31"},
            "certificate_no is missing",
        ),
        ({**CERT, "certificate_valid_to": ""}, "certificate_valid_to is missing"),
        (
            {**CERT, "certificate_valid_from": "2028-01-01"},
            "certificate_valid_from 2028-01-01 is after certificate_valid_to 2027-12-31",
        ),
        ({**CERT, "certificate_valid_to": "soon"}, "certificate_valid_to: 'soon' is not a date"),
    ],
)
def test_certificate_faults(certificate: dict[str, directory.Cell], fragment: str) -> None:
    with pytest.raises(InputError) as caught:
        directory.OfficerIn.parse(**GOOD_OFFICER, **certificate)
    assert fragment in caught.value.message


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        ("inspector", ("inspector",)),
        ("case_handler；inspector", ("case_handler", "inspector")),
        ("办案人员、检查人员", ("case_handler", "inspector")),
        ("主要负责人 负责人", ("head", "principal_head")),
        (["legal_reviewer", "head"], ("head", "legal_reviewer")),
    ],
)
def test_roles_by_code_or_chinese_name(roles: Any, expected: tuple[str, ...]) -> None:
    officer = directory.OfficerIn.parse(**{**GOOD_OFFICER, "roles": roles})
    assert officer.roles == expected


@pytest.mark.parametrize(
    ("roles", "fragment"),
    [("boss", "unknown role boss"), ("", "at least one role is needed")],
)
def test_bad_roles_are_refused(roles: str, fragment: str) -> None:
    with pytest.raises(InputError, match=fragment):
        directory.OfficerIn.parse(**{**GOOD_OFFICER, "roles": roles})


# ---------------------------------------------------------------------------------------------
# Adding and finding


def test_add_and_find_entities(db: Store) -> None:
    added = directory.add_entity(
        db,
        uscc=A.lower(),
        name="某食品有限公司",
        kind="企业",
        region_code="330106",
        industry="食品销售",
        credit_class="b",
        risk_level="中",
    )
    directory.add_entity(
        db, uscc=B, name="小吃店", kind="个体工商户", region_code="330102", industry="餐饮服务"
    )
    directory.add_entity(
        db, uscc=C, name="合作社", kind="农民专业合作社", region_code="320100", industry="餐饮服务"
    )
    assert directory.entity_as_dict(added) == {
        "id": added.id,
        "uscc": A,
        "name": "某食品有限公司",
        "kind": "企业",
        "region_code": "330106",
        "industry": "食品销售",
        "credit_class": "B",
        "risk_level": "medium",
        "registered_on": None,
        "key_supervision": False,
    }
    for key in (A, A.lower(), f" {A[:9]} {A[9:]} ", added.id, str(added.id)):
        assert directory.get_entity(db, key).uscc == A

    def usccs(**filters: Any) -> list[str]:
        return [e.uscc for e in directory.list_entities(db, **filters)]

    assert usccs() == [A, B, C]
    assert usccs(region="330102") == [B]
    assert usccs(region="33") == [A, B]
    assert usccs(industry="餐饮服务") == [B, C]
    assert usccs(region="3301", industry="餐饮服务") == [B]
    assert usccs(limit=2) == [A, B]
    assert usccs(limit=None, offset=1) == [B, C]
    assert directory.count_entities(db) == 3
    assert directory.count_entities(db, region="33") == 2


@pytest.mark.parametrize(
    ("key", "error", "fragment"),
    [
        (B, NotFoundError, f"no entity has the unified social credit code {B}"),
        ("999", NotFoundError, "no entity has the id 999"),
        (999, NotFoundError, "no entity has the id 999"),
        ("99999999999999999", NotFoundError, "no entity has the id 99999999999999999"),
        (2**40, NotFoundError, f"no entity has the id {2**40}"),
        ("hello", InputError, "'hello' is neither an entity id nor a unified social credit code"),
        (A[:17] + "0", InputError, "should be 'L'"),
    ],
)
def test_get_entity_explains_a_miss(
    db: Store, key: str | int, error: type[InputError], fragment: str
) -> None:
    with pytest.raises(error) as caught:
        directory.get_entity(db, key)
    assert fragment in caught.value.message
    assert caught.value.exit_code == 2


@pytest.mark.parametrize(
    ("region", "limit"), [("3x", 10), ("1234567", 10), ("", 10), (None, 0), (None, -1)]
)
def test_list_entities_refuses_bad_filters(store: Store, region: str | None, limit: int) -> None:
    with pytest.raises(InputError):
        directory.list_entities(store, region=region, limit=limit)


def test_add_and_find_officers(db: Store) -> None:
    directory.add_department(db, code="HZSC", name="上城区市场监管局", region_code="330102")
    officer = directory.add_officer(
        db,
        id="C1",
        name="李明",
        department=DEPT,
        roles="case_handler inspector",
        certificate_no="ZF-C1",
        certificate_valid_from="2024-01-01",
        certificate_valid_to="2027-12-31",
    )
    directory.add_officer(db, id="X1", name="外局长", department="HZSC", roles=["head"])
    assert directory.officer_as_dict(officer) == {
        "id": "C1",
        "name": "李明",
        "department": DEPT,
        "roles": ["case_handler", "inspector"],
        "certificate_no": "ZF-C1",
        "certificate_valid_from": date(2024, 1, 1),
        "certificate_valid_to": date(2027, 12, 31),
        "specialties": [],
        "regions": [],
    }
    assert stored_officers(db)["C1"][2] == "case_handler,inspector"
    assert directory.get_officer(db, " C1 ").role_set == {"case_handler", "inspector"}
    assert [o.id for o in directory.list_officers(db)] == ["C1", "X1"]
    assert [o.id for o in directory.list_officers(db, department="HZSC")] == ["X1"]
    assert [d.code for d in directory.list_departments(db)] == ["HZSC", DEPT]
    assert directory.get_department(db, DEPT).name == "西湖区市场监管局"


@pytest.mark.parametrize(
    ("call", "error", "fragment"),
    [
        (
            lambda s: directory.add_officer(s, id="C9", name="某", department="NOPE", roles="head"),
            InputError,
            "department 'NOPE' does not exist; add it with `zhifa dept add",
        ),
        (
            lambda s: directory.add_officer(s, id="C1", name="某", department=DEPT, roles="head"),
            InputError,
            "officer 'C1' already exists; to change the officer, import a file",
        ),
        (
            lambda s: directory.add_entity(
                s, uscc=A.lower(), name="某", kind="企业", region_code="330106", industry="x"
            ),
            InputError,
            f"an entity with the unified social credit code {A} already exists",
        ),
        (
            lambda s: directory.add_department(s, code=DEPT, name="某", region_code="330106"),
            InputError,
            f"department '{DEPT}' already exists",
        ),
        (
            lambda s: directory.add_department(s, code="N", name="某", region_code="33"),
            InputError,
            "region_code is '33', not a 6-digit",
        ),
        (lambda s: directory.get_officer(s, "C9"), NotFoundError, "no officer has the id 'C9'"),
        (
            lambda s: directory.list_officers(s, department="NOPE"),
            NotFoundError,
            "department 'NOPE' does not exist",
        ),
        (
            lambda s: directory.get_department(s, "NOPE"),
            NotFoundError,
            "department 'NOPE' does not exist",
        ),
    ],
    ids=[
        "officer-in-unknown-department",
        "officer-id-taken",
        "entity-uscc-taken",
        "department-code-taken",
        "department-bad-region",
        "unknown-officer",
        "officers-of-unknown-department",
        "unknown-department",
    ],
)
def test_adding_and_finding_refuse_clearly_and_write_nothing(
    db: Store, call: Callable[[Store], object], error: type[InputError], fragment: str
) -> None:
    directory.add_officer(db, id="C1", name="李明", department=DEPT, roles="inspector")
    directory.add_entity(db, uscc=A, name="甲", kind="企业", region_code="330106", industry="x")
    before = (stored_officers(db), stored_entities(db), len(directory.list_departments(db)))
    with pytest.raises(error) as caught:
        call(db)
    assert fragment in caught.value.message
    assert "\n" not in caught.value.message
    assert (stored_officers(db), stored_entities(db), len(directory.list_departments(db))) == before


# ---------------------------------------------------------------------------------------------
# Importing entities

ENTITY_HEADERS = {
    "chinese": [
        "统一社会信用代码",
        "企业名称",
        "主体类型",
        "行政区划",
        "行业",
        "信用等级",
        "风险等级",
    ],
    "english": ["USCC", "Name", "Kind", "Region Code", "industry", "credit_class", "risk"],
    "variants": ["*社会信用代码", "名称", "类型", "区划代码", "所属行业", "信用分类", "risk_level"],
}
ENTITY_ROWS: list[Row] = [
    [f" {A.lower()}", "某食品有限公司", "企业", 330106, "食品销售", "b", "中"],
    [B, "张三小吃店", "个体工商户", "330102", "餐饮服务", None, "HIGH"],
    [C, "某农业专业合作社", "农民专业合作社", 330108, "农业", "A", None],
]
ENTITIES_STORED = {
    A: ("某食品有限公司", "企业", "330106", "食品销售", "B", "medium"),
    B: ("张三小吃店", "个体工商户", "330102", "餐饮服务", None, "high"),
    C: ("某农业专业合作社", "农民专业合作社", "330108", "农业", "A", None),
}


@pytest.mark.parametrize("header", list(ENTITY_HEADERS))
def test_import_entities_from_every_format_and_header(
    db: Store, make_file: MakeFile, header: str
) -> None:
    path = make_file([ENTITY_HEADERS[header], *ENTITY_ROWS])
    result = directory.import_entities(db, path)
    assert (result.created, result.updated, result.skipped) == (3, 0, [])
    assert result.source == path.name
    assert stored_entities(db) == ENTITIES_STORED


BAD_ENTITY_ROWS: list[Row] = [
    ENTITY_HEADERS["chinese"],
    [A, "甲", "企业", "330106", "食品销售", None, None],  # row 2
    [B, "乙", "企业", "3301", "餐饮服务", None, None],  # row 3: region
    [None, None, None, None, None, None, None],  # row 4: blank, skipped but counted
    [C, "丙", "企业", "330106", "餐饮服务", None, None],  # row 5
    [A[:17] + "0", "丁", "企业", "330106", "零售", None, None],  # row 6: check character
    [A.lower(), "甲二", "企业", "330106", "食品销售", None, None],  # row 7: same USCC as row 2
    [make_uscc(7), "戊", "", "330106", "零售", "F", "很高"],  # row 8: three faults
]
BAD_ENTITY_REASONS = {
    3: ["region_code is '3301'"],
    6: ["the check character of", "should be 'L'"],
    7: [f"unified social credit code {A} is also on row 2; keep one row per key"],
    8: ["kind is empty", "credit_class 'F'", "risk_level '很高'"],
}


def _assert_reasons(rows: Sequence[tuple[int, str]], expected: dict[int, list[str]]) -> None:
    assert [n for n, _ in rows] == sorted(expected)
    for number, reason in rows:
        for fragment in expected[number]:
            assert fragment in reason, (number, reason)


def test_bad_rows_are_reported_by_row_number_and_nothing_is_written(
    db: Store, make_file: MakeFile
) -> None:
    path = make_file(BAD_ENTITY_ROWS)
    with pytest.raises(ImportFileError) as caught:
        directory.import_entities(db, path)
    error = caught.value
    _assert_reasons(error.rows, BAD_ENTITY_REASONS)
    assert error.message.startswith(f"{path.name} has 4 bad rows out of 6, so no entities")
    assert "--skip-bad" in error.message
    assert error.details()[0].startswith("row 3: region_code")
    assert error.exit_code == 2
    assert stored_entities(db) == {}


def test_skip_bad_writes_the_good_rows_and_returns_the_bad(db: Store, make_file: MakeFile) -> None:
    advanced: list[int] = []
    result = directory.import_entities(
        db, make_file(BAD_ENTITY_ROWS), skip_bad=True, progress=advanced.append
    )
    assert (result.created, result.updated) == (2, 0)
    _assert_reasons(result.skipped, BAD_ENTITY_REASONS)
    assert set(stored_entities(db)) == {A, C}
    assert stored_entities(db)[A][0] == "甲"
    assert sum(advanced) == 6
    assert result.as_dict()["skipped"] == [{"row": n, "reason": r} for n, r in result.skipped]


def test_import_updates_existing_entities_and_keeps_columns_the_file_leaves_out(
    db: Store, csv_file: MakeFile
) -> None:
    old = directory.add_entity(
        db,
        uscc=A,
        name="旧名称",
        kind="企业",
        region_code="330106",
        industry="食品销售",
        credit_class="A",
        risk_level="low",
    )
    header = ["uscc", "name", "kind", "region_code", "industry", "credit_class"]
    path = csv_file(
        [
            header,
            [A, "新名称", "企业", "330108", "食品生产", ""],
            [B, "小吃店", "个体工商户", "330102", "餐饮服务", "C"],
        ]
    )
    result = directory.import_entities(db, path)
    assert (result.created, result.updated, result.skipped) == (1, 1, [])
    assert stored_entities(db) == {
        A: ("新名称", "企业", "330108", "食品生产", None, "low"),
        B: ("小吃店", "个体工商户", "330102", "餐饮服务", "C", None),
    }
    assert directory.get_entity(db, A).id == old.id
    again = directory.import_entities(db, path)
    assert (again.created, again.updated) == (0, 2)


def test_large_imports_run_in_batches_without_a_query_per_row(
    db: Store, csv_file: MakeFile
) -> None:
    count = 2 * directory.BATCH_SIZE + 100
    rows: list[Row] = [["uscc", "name", "kind", "region_code", "industry"]]
    rows += [[make_uscc(n), f"企业{n}", "企业", "330106", "零售"] for n in range(count)]
    path = csv_file(rows)
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        first = directory.import_entities(db, path)
        first_statements = len(statements)
        second = directory.import_entities(db, path)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert (first.created, first.updated) == (count, 0)
    assert (second.created, second.updated) == (0, count)
    assert directory.count_entities(db) == count
    assert first_statements < 20
    assert len(statements) - first_statements < 20


@pytest.mark.parametrize(
    ("header", "fragments"),
    [
        (
            ["统一社会信用代码", "名字", "类型", "行政区划", "行业"],
            [
                "unknown column 名字",
                "missing column name",
                "accepted headers are uscc/统一社会信用代码",
            ],
        ),
        (
            ["uscc", "name", "kind", "region_code"],
            ["(missing column industry)", "industry/行业"],
        ),
        (
            ["uscc", "名称", "企业名称", "kind", "region_code", "industry"],
            ["'名称' and '企业名称' both mean name"],
        ),
        (
            ["uscc", "name", "kind", "region_code", "industry", "colour", "size"],
            ["unknown columns colour, size", "risk_level/risk/风险等级 (optional)"],
        ),
    ],
)
def test_a_header_that_does_not_fit_names_the_columns(
    store: Store, make_file: MakeFile, header: list[str], fragments: list[str]
) -> None:
    path = make_file([header, [A, "甲", "企业", "330106", "零售", "x", "y"]])
    with pytest.raises(InputError) as caught:
        directory.import_entities(store, path)
    assert not isinstance(caught.value, ImportFileError)
    assert caught.value.message.startswith(f"{path.name}: the header row does not fit entities")
    for fragment in fragments:
        assert fragment in caught.value.message
    assert stored_entities(store) == {}


def test_leading_empty_rows_are_skipped_and_row_numbers_stay_physical(
    store: Store, make_file: MakeFile
) -> None:
    path = make_file(
        [
            [None, None],
            ["uscc", "name", "kind", "region_code", "industry"],
            [A, "甲", "企业", "33", "零售"],
        ]
    )
    with pytest.raises(ImportFileError) as caught:
        directory.import_entities(store, path)
    assert [n for n, _ in caught.value.rows] == [3]


def test_a_row_wider_than_the_header_is_bad(store: Store, csv_file: MakeFile) -> None:
    path = csv_file(
        [
            ["uscc", "name", "kind", "region_code", "industry"],
            [A, "甲", "有限", "公司", "330106", "零售"],
            [B, "乙", "企业", "330106", "零售", "", ""],
        ]
    )
    result = directory.import_entities(store, path, skip_bad=True)
    assert result.created == 1
    assert result.skipped == [
        (
            2,
            "the row has values in 6 columns but the header has 5; "
            "put quotes around values that contain commas",
        )
    ]


def _bytes_file(name: str, data: bytes) -> Callable[[Path], Path]:
    def make(tmp_path: Path) -> Path:
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return make


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (_bytes_file("entities.xls", b"x"), "entities.xls is not a .csv or .xlsx file; use .csv"),
        (_bytes_file("entities.txt", b"x"), "use .csv or .xlsx"),
        (lambda tmp: tmp / "missing.csv", "missing.csv does not exist; check the path"),
        (lambda tmp: tmp, "is not a .csv or .xlsx file"),
        (
            lambda tmp: (tmp / "folder.csv").mkdir() or tmp / "folder.csv",
            "folder.csv is not a file",
        ),
        (_bytes_file("broken.xlsx", b"not a zip"), "broken.xlsx is not a readable .xlsx workbook"),
        (_bytes_file("binary.csv", b"uscc\n\xff\xfe\xff\n"), "is neither UTF-8 nor GB18030"),
        (_bytes_file("empty.csv", b""), "empty.csv has no rows; its first row must be the header"),
        (_bytes_file("blank.csv", b",,\n\n"), "blank.csv has no rows"),
    ],
)
def test_unusable_files_are_refused_in_one_sentence(
    store: Store, tmp_path: Path, make: Callable[[Path], Path], fragment: str
) -> None:
    with pytest.raises(InputError) as caught:
        directory.import_entities(store, make(tmp_path))
    assert fragment in caught.value.message
    assert "\n" not in caught.value.message


# ---------------------------------------------------------------------------------------------
# Importing officers

OFFICER_HEADERS = {
    "chinese": ["工号", "姓名", "所属部门", "角色", "执法证号", "有效期起", "有效期止"],
    "chinese-variants": ["编号", "姓名", "部门", "角色", "执法证号", "发证日期", "有效期至"],
    "english": [
        "id",
        "name",
        "department",
        "roles",
        "certificate_no",
        "certificate_valid_from",
        "certificate_valid_to",
    ],
}
OFFICER_ROWS: list[Row] = [
    [
        1001,
        "李明",
        DEPT,
        "inspector, case_handler",
        "ZF-1001",
        date(2024, 1, 1),
        date(2027, 12, 31),
    ],
    ["C2", "王芳", DEPT, "办案人员、法制审核人员", None, None, None],
]
OFFICERS_STORED = {
    "1001": (
        "李明",
        DEPT,
        "case_handler,inspector",
        "ZF-1001",
        date(2024, 1, 1),
        date(2027, 12, 31),
    ),
    "C2": ("王芳", DEPT, "case_handler,legal_reviewer", None, None, None),
}


@pytest.mark.parametrize("header", list(OFFICER_HEADERS))
def test_import_officers_from_every_format_and_header(
    db: Store, make_file: MakeFile, header: str
) -> None:
    result = directory.import_officers(db, make_file([OFFICER_HEADERS[header], *OFFICER_ROWS]))
    assert (result.created, result.updated, result.skipped) == (2, 0, [])
    assert stored_officers(db) == OFFICERS_STORED


def test_officer_rows_are_checked_against_the_departments(db: Store, make_file: MakeFile) -> None:
    path = make_file(
        [
            OFFICER_HEADERS["english"],
            ["C1", "李明", DEPT, "inspector", None, None, None],  # row 2
            ["C2", "王芳", "NOPE", "inspector", None, None, None],  # row 3: no such department
            ["C3", "赵强", DEPT, "inspector", "ZF-3", None, None],  # row 4: certificate partial
            ["C4", "孙丽", DEPT, "head", "ZF-4", "2027-01-01", "2026-01-01"],  # row 5: from > to
            ["C1", "李明二", DEPT, "head", None, None, None],  # row 6: same id as row 2
            ["C6", "周", DEPT, "boss", None, None, None],  # row 7: unknown role
        ]
    )
    expected = {
        3: ["department 'NOPE' does not exist; add it with `zhifa dept add NOPE"],
        4: ["certificate_valid_from, certificate_valid_to are missing"],
        5: ["is after certificate_valid_to"],
        6: ["officer id C1 is also on row 2"],
        7: ["unknown role boss"],
    }
    with pytest.raises(ImportFileError) as caught:
        directory.import_officers(db, path)
    _assert_reasons(caught.value.rows, expected)
    assert stored_officers(db) == {}

    result = directory.import_officers(db, path, skip_bad=True)
    _assert_reasons(result.skipped, expected)
    assert (result.created, list(stored_officers(db))) == (1, ["C1"])


@pytest.mark.parametrize(
    ("header", "row", "certificate"),
    [
        (
            ["id", "name", "department", "roles"],
            ["C1", "李明", DEPT, "head"],
            ("ZF-1", date(2024, 1, 1), date(2027, 1, 1)),
        ),
        (
            OFFICER_HEADERS["english"],
            ["C1", "李明", DEPT, "head", "", "", ""],
            (None, None, None),
        ),
        (
            OFFICER_HEADERS["english"],
            ["C1", "李明", DEPT, "head", "ZF-2", "2025-01-01", "2030-01-01"],
            ("ZF-2", date(2025, 1, 1), date(2030, 1, 1)),
        ),
    ],
    ids=["no-certificate-columns-keeps", "empty-certificate-clears", "new-certificate"],
)
def test_import_updates_officers(
    db: Store, csv_file: MakeFile, header: list[str], row: Row, certificate: tuple[Any, ...]
) -> None:
    directory.add_officer(
        db,
        id="C1",
        name="旧名",
        department=DEPT,
        roles="inspector",
        certificate_no="ZF-1",
        certificate_valid_from="2024-01-01",
        certificate_valid_to="2027-01-01",
    )
    result = directory.import_officers(db, csv_file([header, row]))
    assert (result.created, result.updated) == (0, 1)
    assert stored_officers(db)["C1"] == ("李明", DEPT, "head", *certificate)


def test_officer_header_needs_all_certificate_columns_or_none(
    store: Store, csv_file: MakeFile
) -> None:
    path = csv_file(
        [["工号", "姓名", "部门", "角色", "执法证号"], ["C1", "李明", DEPT, "head", "Z"]]
    )
    with pytest.raises(InputError) as caught:
        directory.import_officers(store, path)
    assert "missing columns certificate_valid_from, certificate_valid_to" in caught.value.message


def test_departments_import_and_update(db: Store, csv_file: MakeFile) -> None:
    path = csv_file(
        [
            ["部门代码", "名称", "行政区划"],
            [DEPT, "杭州市西湖区市场监督管理局", "330106"],
            ["HZSC", "上城区市场监管局", 330102],
        ]
    )
    result = directory.import_departments(db, path)
    assert (result.created, result.updated) == (1, 1)
    assert [(d.code, d.name) for d in directory.list_departments(db)] == [
        ("HZSC", "上城区市场监管局"),
        (DEPT, "杭州市西湖区市场监督管理局"),
    ]


def test_accepted_headers_are_published() -> None:
    headers = directory.accepted_headers("entities")
    assert headers["uscc"][:2] == ["uscc", "统一社会信用代码"]
    assert "有效期止" in directory.accepted_headers("officers")["certificate_valid_to"]


# ---------------------------------------------------------------------------------------------
# Officer history

T0, T1, T2 = datetime(2026, 1, 5, 9), datetime(2026, 2, 1, 10), datetime(2026, 3, 2, 11)


def versions(store: Store) -> list[tuple[object, ...]]:
    """Every kept version: (officer, valid from, recorded by, roles, certificate valid to)."""
    with store.read() as session:
        query = select(OfficerVersion).order_by(OfficerVersion.id)
        return [
            (v.officer_id, v.valid_from, v.recorded_by, v.roles, v.certificate_valid_to)
            for v in session.execute(query).scalars()
        ]


def test_adding_an_officer_keeps_its_first_version(db: Store) -> None:
    directory.add_officer(
        db,
        id="C1",
        name="李明",
        department=DEPT,
        roles="inspector case_handler",
        clock=FixedClock(T0),
    )
    assert versions(db) == [("C1", T0, "officer add", "case_handler,inspector", None)]
    with pytest.raises(InputError):
        directory.add_officer(db, id="C1", name="李明", department=DEPT, roles="head")
    assert len(versions(db)) == 1


def test_imports_keep_a_version_of_each_officer_changed_and_none_of_those_unchanged(
    db: Store, csv_file: MakeFile
) -> None:
    directory.add_officer(
        db,
        id="C1",
        name="李明",
        department=DEPT,
        roles="inspector",
        certificate_no="ZF-1",
        certificate_valid_from="2024-01-01",
        certificate_valid_to="2026-03-01",
        clock=FixedClock(T0),
    )
    header = OFFICER_HEADERS["english"]
    changed = csv_file(
        [
            header,
            ["C1", "李明", DEPT, "inspector", "ZF-1", "2024-01-01", "2029-12-31"],  # renewed
            ["C2", "王芳", DEPT, "head", None, None, None],  # new
        ],
        name="renewal",
    )
    result = directory.import_officers(db, changed, clock=FixedClock(T1))
    assert (result.created, result.updated) == (1, 1)
    expected = [
        ("C1", T0, "officer add", "inspector", date(2026, 3, 1)),
        ("C1", T1, "import renewal.csv row 2", "inspector", date(2029, 12, 31)),
        ("C2", T1, "import renewal.csv row 3", "head", None),
    ]
    assert versions(db) == expected

    again = directory.import_officers(db, changed, clock=FixedClock(T2))  # identical data
    assert (again.created, again.updated) == (0, 2)
    assert versions(db) == expected

    # roles by their Chinese names are the same roles, and a file without the certificate
    # columns keeps the certificates: nothing changes
    same = csv_file(
        [
            ["工号", "姓名", "部门", "角色"],
            ["C1", "李明", DEPT, "检查人员"],
            ["C2", "王芳", DEPT, "负责人"],
        ],
        name="same",
    )
    assert directory.import_officers(db, same, clock=FixedClock(T2)).updated == 2
    assert versions(db) == expected


def test_a_refused_import_keeps_no_version_and_skip_bad_keeps_the_good_rows(
    db: Store, csv_file: MakeFile
) -> None:
    path = csv_file(
        [
            ["id", "name", "department", "roles"],
            ["C1", "李明", DEPT, "inspector"],
            ["C2", "王芳", "NOPE", "inspector"],  # row 3: no such department
            ["C3", "赵强", DEPT, "case_handler"],
        ],
        name="officers",
    )
    with pytest.raises(ImportFileError):
        directory.import_officers(db, path, clock=FixedClock(T0))
    assert versions(db) == []
    directory.import_officers(db, path, skip_bad=True, clock=FixedClock(T1))
    assert versions(db) == [
        ("C1", T1, "import officers.csv row 2", "inspector", None),
        ("C3", T1, "import officers.csv row 4", "case_handler", None),
    ]


def test_changing_an_officer_with_no_history_first_keeps_its_old_record(
    db: Store, csv_file: MakeFile
) -> None:
    """An officer written to the table by other means has no versions; the first change keeps
    its old record as in effect since the earliest time, so earlier steps are judged on it."""
    with db.write() as session:
        session.add(Officer(id="C1", name="李明", department_code=DEPT, roles="inspector"))
    header = ["id", "name", "department", "roles"]
    unchanged = csv_file([header, ["C1", "李明", DEPT, "inspector"]], name="unchanged")
    directory.import_officers(db, unchanged, clock=FixedClock(T0))
    assert versions(db) == []
    with db.read() as session:
        history = directory.officer_history(session, "C1")
    assert not history.kept
    assert history.as_of(T0).valid_from is None
    assert history.as_of(T0).recorded_by == directory.CURRENT_RECORD

    promoted = csv_file([header, ["C1", "李明", DEPT, "inspector,head"]], name="promoted")
    directory.import_officers(db, promoted, clock=FixedClock(T1))
    assert versions(db) == [
        ("C1", HISTORY_START, directory.BEFORE_HISTORY, "inspector", None),
        ("C1", T1, "import promoted.csv row 2", "head,inspector", None),
    ]


def test_officer_as_of_gives_the_version_in_effect_at_a_moment(
    db: Store, csv_file: MakeFile
) -> None:
    directory.add_officer(
        db, id="C1", name="李明", department=DEPT, roles="inspector", clock=FixedClock(T0)
    )
    path = csv_file([["id", "name", "department", "roles"], ["C1", "李明", DEPT, "head"]])
    directory.import_officers(db, path, clock=FixedClock(T1))
    second = timedelta(seconds=1)
    with db.read() as session:
        assert directory.officer_as_of(session, "C1", T1 - second).role_set == {"inspector"}
        assert directory.officer_as_of(session, "C1", T1).role_set == {"head"}
        assert directory.officer_as_of(session, " C1 ", T2).role_set == {"head"}
        # before the officer was added: the earliest record, which says when it was made
        earliest = directory.officer_as_of(session, "C1", T0 - second)
        assert (earliest.valid_from, earliest.role_set) == (T0, {"inspector"})
        with pytest.raises(NotFoundError, match="no officer has the id 'C9'"):
            directory.officer_as_of(session, "C9", T1)
        assert directory.officer_histories(session, ["C1", "C9"]).keys() == {"C1"}
    officer, history = directory.get_officer_history(db, "C1")
    assert officer.roles == "head"
    assert [(v.valid_from, v.recorded_by) for v in history.versions] == [
        (T0, "officer add"),
        (T1, "import data.csv row 2"),
    ]
    assert history.versions[0].as_dict()["roles"] == ["inspector"]


# ---------------------------------------------------------------------------------------------
# Specialties and regions (what random draws may send an inspector to check, and where)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ()),
        ("", ()),
        (" food ", ("food",)),
        ("drugs, food,food", ("drugs", "food")),
        ("food；drugs、 special_equipment", ("drugs", "food", "special_equipment")),
        ("330106 330102,330106", ("330102", "330106")),
        (330106, ("330106",)),
        (330106.0, ("330106",)),
        (["food", " drugs,food "], ("drugs", "food")),
    ],
)
def test_codes_are_stripped_deduplicated_and_sorted(value: Any, expected: tuple[str, ...]) -> None:
    assert directory.split_codes(value) == expected
    assert directory.normalize_codes(value) == ",".join(expected)


def test_officer_specialties_and_regions_are_normalised_and_checked() -> None:
    officer = directory.OfficerIn.parse(
        id="C1",
        name="李明",
        department=DEPT,
        roles="inspector",
        specialties="food, drugs，food",
        regions=["330106", "330102 330106"],
    )
    assert (officer.specialties, officer.regions) == (("drugs", "food"), ("330102", "330106"))
    assert officer.columns()["specialties"] == "drugs,food"
    assert officer.columns()["regions"] == "330102,330106"
    with pytest.raises(InputError) as caught:
        directory.OfficerIn.parse(
            id="C1",
            name="李明",
            department=DEPT,
            roles="inspector",
            specialties="x" * 501,
            regions="3301, 330106, 西湖区",
        )
    message = caught.value.message
    assert "specialties take 501 characters, at most 500 fit" in message
    assert "regions '3301', '西湖区' are not 6-digit administrative division code" in message


def test_adding_an_officer_keeps_specialties_and_regions(db: Store) -> None:
    added = directory.add_officer(
        db,
        id="C1",
        name="李明",
        department=DEPT,
        roles="inspector",
        specialties=["food", "drugs,food"],
        regions="330106",
    )
    assert (added.specialties, added.regions) == ("drugs,food", "330106")
    shown = directory.officer_as_dict(directory.get_officer(db, "C1"))
    assert (shown["specialties"], shown["regions"]) == (["drugs", "food"], ["330106"])


@pytest.mark.parametrize(
    "header",
    [["工号", "姓名", "部门", "角色", "专业领域", "检查区域"], ["id", "name", "department", "roles",
     "specialties", "regions"]],
    ids=["chinese", "english"],
)  # fmt: skip
def test_officer_import_reads_specialties_and_regions(
    db: Store, make_file: MakeFile, header: list[str]
) -> None:
    path = make_file(
        [
            header,
            ["C1", "李明", DEPT, "inspector", "食品、food, 食品", 330106],
            ["C2", "王芳", DEPT, "inspector", "", ""],
        ]
    )
    assert directory.import_officers(db, path).created == 2
    with db.read() as session:
        stored = {o.id: (o.specialties, o.regions) for o in session.scalars(select(Officer))}
    assert stored == {"C1": ("food,食品", "330106"), "C2": ("", "")}
    # a file without the columns keeps them; a file with them replaces them
    directory.import_officers(db, make_file([header[:4], ["C1", "李明", DEPT, "head"]], "keep"))
    assert directory.get_officer(db, "C1").specialties == "food,食品"
    directory.import_officers(
        db, make_file([header, ["C1", "李明", DEPT, "head", "drugs", ""]], "replace")
    )
    assert (
        directory.get_officer(db, "C1").specialties,
        directory.get_officer(db, "C1").regions,
    ) == (
        "drugs",
        "",
    )


def test_an_officer_row_with_a_bad_region_is_refused(db: Store, csv_file: MakeFile) -> None:
    path = csv_file(
        [["id", "name", "department", "roles", "regions"], ["C1", "李明", DEPT, "inspector", "33"]]
    )
    with pytest.raises(ImportFileError) as caught:
        directory.import_officers(db, path)
    _assert_reasons(caught.value.rows, {2: ["regions '33' is not a 6-digit"]})
    assert stored_officers(db) == {}


# ---------------------------------------------------------------------------------------------
# Declared conflicts of interest (回避), one or a file of them


def conflicts(store: Store) -> list[tuple[str, str, date, str]]:
    return [
        (c.officer_id, uscc, c.declared_on, c.reason) for c, uscc in directory.list_conflicts(store)
    ]


@pytest.fixture
def people(db: Store) -> Store:
    """Officers C1, C2 and entities A (id 1), B (id 2) besides department HZXH."""
    for officer_id in ("C1", "C2"):
        directory.add_officer(db, id=officer_id, name="某", department=DEPT, roles="inspector")
    for uscc in (A, B):
        directory.add_entity(
            db, uscc=uscc, name="某", kind="企业", region_code="330106", industry="食品销售"
        )
    return db


CONFLICT_HEADERS = {
    "english": ["officer", "entity", "declared_on", "reason"],
    "chinese": ["工号", "统一社会信用代码", "声明日期", "回避事由"],
}


@pytest.mark.parametrize("header", list(CONFLICT_HEADERS))
def test_import_conflicts_then_import_again_updates_them(
    people: Store, make_file: MakeFile, header: str
) -> None:
    rows: list[Row] = [
        CONFLICT_HEADERS[header],
        ["C1", A.lower(), date(2026, 3, 1), "近亲属在该企业任职"],
        ["C2", 2, "2026/3/2", "曾在该企业任职"],
    ]
    result = directory.import_conflicts(people, make_file(rows))
    assert (result.created, result.updated, result.skipped) == (2, 0, [])
    expected = [
        ("C1", A, date(2026, 3, 1), "近亲属在该企业任职"),
        ("C2", B, date(2026, 3, 2), "曾在该企业任职"),
    ]
    assert conflicts(people) == expected
    again = directory.import_conflicts(people, make_file(rows))
    assert (again.created, again.updated) == (0, 2)
    assert conflicts(people) == expected  # idempotent
    changed = directory.import_conflicts(
        people, make_file([rows[0], ["C2", B, "2026-03-05", "配偶持股"]], "changed")
    )
    assert (changed.created, changed.updated) == (0, 1)
    assert conflicts(people)[1] == ("C2", B, date(2026, 3, 5), "配偶持股")


def test_bad_conflict_rows_are_all_reported_and_nothing_is_written(
    people: Store, make_file: MakeFile
) -> None:
    path = make_file(
        [
            CONFLICT_HEADERS["english"],
            ["C1", A, "2026-03-01", "近亲属"],  # row 2: good
            ["C9", A, "2026-03-01", "近亲属"],  # row 3: unknown officer
            ["C1", C, "2026-03-01", "近亲属"],  # row 4: unknown entity (valid USCC)
            ["C2", "hello", "2026-03-01", "近亲属"],  # row 5: neither id nor USCC
            ["C2", 999, "2026-03-01", "近亲属"],  # row 6: unknown id
            ["C2", A, "2026-02-30", "近亲属"],  # row 7: no such day
            ["C2", A, None, " "],  # row 8: no day, no reason
            ["C1", 1, "2026-03-02", "again"],  # row 9: entity 1 is A, already on row 2
            ["C1", A.lower(), "2026-03-02", "again"],  # row 10: same key as row 2
            ["C9", C, "2026-03-01", "近亲属"],  # row 11: both unknown
        ]
    )
    expected = {
        3: ["no officer has the id 'C9'"],
        4: [f"no entity has the unified social credit code {C}"],
        5: ["'hello' is neither an entity id nor a unified social credit code"],
        6: ["no entity has the id 999"],
        7: ["declared_on: '2026-02-30' is not a date"],
        8: ["declared_on is empty", "reason is empty; give the reason of the conflict"],
        9: [f"officer C1 and entity {A} are also on row 2"],
        10: [f"officer / entity C1 / {A} is also on row 2"],
        11: ["no officer has the id 'C9'", "no entity has the unified social credit code"],
    }
    with pytest.raises(ImportFileError) as caught:
        directory.import_conflicts(people, path)
    _assert_reasons(caught.value.rows, expected)
    assert "has 9 bad rows out of 10, so no conflicts were written" in caught.value.message
    assert conflicts(people) == []

    result = directory.import_conflicts(people, path, skip_bad=True)
    _assert_reasons(result.skipped, expected)
    assert conflicts(people) == [("C1", A, date(2026, 3, 1), "近亲属")]


def test_declaring_one_conflict_follows_the_same_rules(people: Store) -> None:
    day = date(2026, 3, 2)
    for officer, entity, reason, error, fragment in [
        ("C1", A, " ", InputError, "reason is empty; give the reason of the conflict"),
        ("C9", A, "x", NotFoundError, "no officer has the id 'C9'"),
        ("C1", C, "x", NotFoundError, f"no entity has the unified social credit code {C}"),
        ("C1", 99, "x", NotFoundError, "no entity has the id 99"),
        ("C1", "hello", "x", InputError, "'hello' is neither an entity id"),
    ]:
        with pytest.raises(error) as caught:
            directory.declare_conflict(people, officer, entity, reason=reason, declared_on=day)
        assert fragment in caught.value.message
    assert conflicts(people) == []
    row = directory.declare_conflict(people, " C1 ", 2, reason=" 近亲属 ", declared_on=day)
    assert (row.officer_id, row.entity_id, row.reason) == ("C1", 2, "近亲属")
    with pytest.raises(InputError, match=f"officer C1 already declared a conflict with {B}"):
        directory.declare_conflict(people, "C1", B, reason="y", declared_on=day)
    assert conflicts(people) == [("C1", B, day, "近亲属")]


def test_conflict_headers_are_published() -> None:
    headers = directory.accepted_headers("conflicts")
    assert list(headers) == ["officer", "entity", "declared_on", "reason"]
    assert "统一社会信用代码" in headers["entity"]
    assert "专业领域" in directory.accepted_headers("officers")["specialties"]
    assert "检查区域" in directory.accepted_headers("officers")["regions"]
