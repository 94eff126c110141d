"""Exporting the directories of the random draws (一单两库) as .csv and .xlsx, and importing them
back: export → import into a fresh database → export gives the same bytes, and the draws'
target and inspector directories built from both databases have the same digest."""

from __future__ import annotations

import inspect
import itertools
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, insert

from tests.conftest import DEPT, ENTITY, OTHER_DEPT
from tests.helpers import make_uscc, run, run_json
from zhifa import directory, inspections
from zhifa.directory import export as directory_export
from zhifa.errors import InputError, NotFoundError
from zhifa.ids import ALPHABET, uscc_check_char
from zhifa.roles import ROLES
from zhifa.store import Store
from zhifa.store.tables import Department, Entity, Officer, OfficerConflict

KINDS = ("entities", "officers", "conflicts")
YEAR = 2026


def fresh_url(template: Path, folder: Path) -> str:
    """A new migrated SQLite database in ``folder``."""
    path = folder / f"fresh-{uuid.uuid4().hex[:8]}.db"
    path.write_bytes(template.read_bytes())
    return f"sqlite:///{path}"


def copy_departments(source: Store, target: Store) -> None:
    for dept in directory.list_departments(source):
        directory.add_department(
            target, code=dept.code, name=dept.name, region_code=dept.region_code
        )


def export_all(store: Store, folder: Path, suffix: str) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = {kind: folder / f"{kind}{suffix}" for kind in KINDS}
    directory.export_entities(store, paths["entities"])
    directory.export_officers(store, paths["officers"])
    directory.export_conflicts(store, paths["conflicts"])
    return paths


def import_all(store: Store, paths: dict[str, Path]) -> None:
    directory.import_entities(store, paths["entities"])
    directory.import_officers(store, paths["officers"])
    directory.import_conflicts(store, paths["conflicts"])


def target_directory(store: Store) -> Any:
    """The draws' target directory (``year`` is passed when the function takes one)."""
    with store.read() as session:
        if "year" in inspect.signature(inspections.target_directory).parameters:
            return inspections.target_directory(session, YEAR)
        return inspections.target_directory(session)  # type: ignore[call-arg]


def digests(store: Store) -> tuple[str, str]:
    """The digests of the draws' target and inspector directories."""
    with store.read() as session:
        inspectors = inspections.inspector_directory(session)
    return target_directory(store).digest(), inspectors.digest()


def assert_round_trip(source: Store, template: Path, folder: Path, suffix: str) -> Store:
    """Export ``source`` as ``suffix``, import into a fresh database, and check that CSV exports
    of both are byte-identical and the draws' directories have the same digests."""
    first = export_all(source, folder / "first", suffix)
    copy = Store(fresh_url(template, folder))
    copy_departments(source, copy)
    import_all(copy, first)
    before = export_all(source, folder / "before", ".csv")
    after = export_all(copy, folder / "after", ".csv")
    for kind in KINDS:
        assert after[kind].read_bytes() == before[kind].read_bytes(), kind
        if suffix == ".csv":
            assert first[kind].read_bytes() == before[kind].read_bytes(), kind
    assert digests(copy) == digests(source)
    return copy


# ---------------------------------------------------------------------------------------------
# A seeded directory


@dataclass(frozen=True)
class Seeded:
    store: Store
    entities: int
    officers: int
    conflicts: int


def seed_directories(store: Store) -> Seeded:
    """The seeded bureau (7 officers, one entity) and: specialties and regions written the way
    other tools write them, 40 entities with every column, names that need quoting, and four
    declared conflicts."""
    with store.write() as session:
        session.add(
            Officer(
                id="I1",
                name='钱"检查"',
                department_code=OTHER_DEPT,
                roles="inspector",
                certificate_no="ZF-I1",
                certificate_valid_from=date(2025, 1, 1),
                certificate_valid_to=date(2029, 12, 31),
                specialties=" food, drugs ,food",  # as another tool might leave it
                regions="330102",
            )
        )
        for officer in session.query(Officer).filter(Officer.id.in_(["C1", "C2"])):
            officer.specialties = "food"
            officer.regions = "330106,330102"
        names = ["某食品有限公司", "甲,乙 合伙", '“老字号”"小吃"', "=1+1 商行", "  前后  空格  "]
        for n in range(40):
            session.add(
                Entity(
                    uscc=make_uscc(n + 1, ("330106", "330102", "320100")[n % 3]),
                    name=names[n % len(names)].strip() + str(n),
                    kind=("企业", "个体工商户", "农民专业合作社")[n % 3],
                    region_code=("330106", "330102", "320100")[n % 3],
                    industry=("食品销售", "餐饮服务", "特种设备")[n % 3],
                    credit_class=("A", "B", "C", "D", "E", None)[n % 6],
                    risk_level=("low", "medium", "high", None)[n % 4],
                    registered_on=date(2020, 1, 1 + n % 28) if n % 2 else None,
                    key_supervision=n % 5 == 0,
                )
            )
    for officer, entity, day in [
        ("C1", ENTITY, date(2026, 3, 1)),
        ("C2", 5, date(2026, 2, 1)),
        ("I1", 3, date(2025, 12, 31)),
        ("H1", 10, date(2026, 1, 15)),
    ]:
        directory.declare_conflict(
            store, officer, entity, reason="近亲属在该企业任职", declared_on=day
        )
    return Seeded(store, entities=41, officers=8, conflicts=4)


@pytest.fixture
def seeded(db: str) -> Iterator[Seeded]:
    store = Store(db)
    yield seed_directories(store)
    store.dispose()


@pytest.fixture
def bureau_directories(bureau: Store) -> Seeded:
    return seed_directories(bureau)


# ---------------------------------------------------------------------------------------------
# Round trips


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_export_import_export_gives_the_same_bytes_and_directories(
    bureau_directories: Seeded, sqlite_template: Path, tmp_path: Path, suffix: str
) -> None:
    """On SQLite and PostgreSQL: what is exported imports into a fresh SQLite database whose
    exports are byte-identical and whose draw directories have the same digests."""
    copy = assert_round_trip(bureau_directories.store, sqlite_template, tmp_path, suffix)
    try:
        officer = directory.get_officer(copy, "I1")
        assert (officer.specialties, officer.regions) == ("drugs,food", "330102")
        assert directory.entity_as_dict(directory.get_entity(copy, make_uscc(2, "330102"))) == {
            **directory.entity_as_dict(
                directory.get_entity(bureau_directories.store, make_uscc(2, "330102"))
            ),
        }
    finally:
        copy.dispose()


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_the_commands_round_trip(
    capsys: pytest.CaptureFixture[str],
    seeded: Seeded,
    db: str,
    sqlite_template: Path,
    tmp_path: Path,
    suffix: str,
) -> None:
    files = {kind: tmp_path / f"{kind}{suffix}" for kind in KINDS}
    commands = {
        "entities": ("entity", "export"),
        "officers": ("officer", "export"),
        "conflicts": ("officer", "conflict-export"),
    }
    for kind, command in commands.items():
        result = run_json(capsys, *command, str(files[kind]), "--db", db)
        assert result == {
            "file": str(files[kind]),
            "format": suffix[1:],
            "rows": getattr(seeded, kind),
        }
    fresh = fresh_url(sqlite_template, tmp_path)
    copy = Store(fresh)
    copy_departments(seeded.store, copy)
    imports = {
        "entities": ("entity", "import"),
        "officers": ("officer", "import"),
        "conflicts": ("officer", "conflict-import"),
    }
    for kind, command in imports.items():
        result = run_json(capsys, *command, str(files[kind]), "--db", fresh)
        assert (result["created"], result["updated"], result["skipped"]) == (
            getattr(seeded, kind),
            0,
            [],
        )
    for kind, command in commands.items():
        for name, url in (("before", db), ("after", fresh)):
            code, out, err = run(
                capsys, *command, str(tmp_path / f"{name}-{kind}.csv"), "--db", url
            )
            assert code == 0, err
            assert out.strip().startswith(f"exported {getattr(seeded, kind)} {kind} to ")
        before = (tmp_path / f"before-{kind}.csv").read_bytes()
        assert (tmp_path / f"after-{kind}.csv").read_bytes() == before, kind
    assert digests(copy) == digests(seeded.store)
    # importing the same files again changes nothing
    for kind, command in imports.items():
        result = run_json(capsys, *command, str(files[kind]), "--db", fresh)
        assert result["created"] == 0
    assert digests(copy) == digests(seeded.store)
    copy.dispose()


_TEXT = (
    st.text(alphabet="某食品店甲乙,\"'= ;、abcXYZ019", min_size=1, max_size=12)
    .map(str.strip)
    .filter(bool)
)
_DAY = st.dates(min_value=date(1990, 1, 1), max_value=date(2035, 12, 31))
_REGIONS = ("330106", "330102", "320100")


@st.composite
def directories(draw: st.DrawFn) -> dict[str, list[dict[str, Any]]]:
    """Rows for the entities, officers and conflicts tables, as any tool may have written them."""
    bodies = draw(
        st.lists(
            st.tuples(st.sampled_from(_REGIONS), st.text(ALPHABET, min_size=9, max_size=9)),
            max_size=25,
            unique_by=lambda t: t,
        )
    )
    entities = [
        {
            "uscc": f"91{region}{tail}" + uscc_check_char(f"91{region}{tail}"),
            "name": draw(_TEXT),
            "kind": draw(st.sampled_from(["企业", "个体工商户"])),
            "region_code": region,
            "industry": draw(st.sampled_from(["食品销售", "餐饮,服务", "特种设备"])),
            "credit_class": draw(st.sampled_from([None, "A", "B", "C", "D", "E", "AB"])),
            "risk_level": draw(st.sampled_from([None, "low", "medium", "high"])),
            "registered_on": draw(st.none() | _DAY),
            "key_supervision": draw(st.booleans()),
        }
        for region, tail in bodies
    ]
    ids = draw(st.lists(st.text("CHX0179", min_size=1, max_size=4), max_size=10, unique=True))
    codes = st.lists(st.sampled_from(["food", "drugs", "食品", "special_equipment"]), max_size=4)
    officers = []
    for officer_id in ids:
        certificate = draw(
            st.none() | st.tuples(_TEXT, _DAY, _DAY).map(lambda t: (t[0], *sorted(t[1:])))
        )
        officers.append(
            {
                "id": officer_id,
                "name": draw(_TEXT),
                "department_code": draw(st.sampled_from([DEPT, OTHER_DEPT])),
                "roles": ",".join(
                    draw(st.lists(st.sampled_from(list(ROLES)), min_size=1, max_size=3))
                ),
                "certificate_no": certificate[0] if certificate else None,
                "certificate_valid_from": certificate[1] if certificate else None,
                "certificate_valid_to": certificate[2] if certificate else None,
                "specialties": " , ".join(draw(codes)),
                "regions": ",".join(draw(st.lists(st.sampled_from(_REGIONS), max_size=3))),
            }
        )
    pairs = list(itertools.product(ids, range(1, len(entities) + 1)))
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=8)) if pairs else []
    conflicts = [
        {"officer_id": o, "entity_id": e, "declared_on": draw(_DAY), "reason": draw(_TEXT)}
        for o, e in chosen
    ]
    return {"entities": entities, "officers": officers, "conflicts": conflicts}


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=directories(), suffix=st.sampled_from([".csv", ".xlsx"]))
def test_any_directory_round_trips(
    sqlite_template: Path, tmp_path: Path, data: dict[str, list[dict[str, Any]]], suffix: str
) -> None:
    folder = tmp_path / uuid.uuid4().hex[:8]
    folder.mkdir()
    source = Store(fresh_url(sqlite_template, folder))
    with source.write() as session:
        session.execute(
            insert(Department),
            [
                {"code": DEPT, "name": "西湖区市场监管局", "region_code": "330106"},
                {"code": OTHER_DEPT, "name": "上城区市场监管局", "region_code": "330102"},
            ],
        )
        for model, rows in ((Entity, data["entities"]), (Officer, data["officers"])):
            if rows:
                session.execute(insert(model), rows)
        if data["conflicts"]:
            session.execute(insert(OfficerConflict), data["conflicts"])
    copy = assert_round_trip(source, sqlite_template, folder, suffix)
    copy.dispose()
    source.dispose()


# ---------------------------------------------------------------------------------------------
# The files


def test_headers_are_the_field_names_the_imports_accept() -> None:
    for kind, columns in [
        ("entities", directory.ENTITY_COLUMNS),
        ("officers", directory.OFFICER_COLUMNS),
        ("conflicts", directory.CONFLICT_COLUMNS),
    ]:
        assert columns == tuple(directory.accepted_headers(kind)), kind


def test_csv_has_a_bom_crlf_lines_and_iso_dates(seeded: Seeded, tmp_path: Path) -> None:
    path = tmp_path / "officers.csv"
    assert directory.export_officers(seeded.store, path).rows == seeded.officers
    data = path.read_bytes()
    note = f"# {directory_export.EXPORT_NOTE}\r\n".encode()  # the first line: not for the public
    assert data.startswith(b"\xef\xbb\xbf" + note + b"id,name,department,roles,")
    lines = data.decode("utf-8-sig").split("\r\n")
    assert lines[-1] == "" and len(lines) == seeded.officers + 3
    assert (
        'C1,李明,HZXH,"case_handler,inspector",ZF-C1,2024-01-01,2027-12-31,food,"330102,330106"'
        in lines
    )
    assert 'I1,"钱""检查""",HZSC,inspector,ZF-I1,2025-01-01,2029-12-31,"drugs,food",330102' in lines


def test_xlsx_has_date_cells_and_keeps_text_as_text(seeded: Seeded, tmp_path: Path) -> None:
    path = tmp_path / "entities.xlsx"
    directory.export_entities(seeded.store, path)
    book = openpyxl.load_workbook(path, read_only=True)
    rows = [list(row) for row in book.worksheets[0].iter_rows()]
    book.close()
    assert [c.value for c in rows[0]] == list(directory.ENTITY_COLUMNS)
    by_uscc = {row[0].value: row for row in rows[1:]}
    formula_like = by_uscc[make_uscc(4)]  # n = 3: "=1+1 商行3"
    assert (formula_like[1].value, formula_like[1].data_type) == ("=1+1 商行3", "s")
    registered = by_uscc[make_uscc(2, "330102")][7]
    assert registered.value == datetime(2020, 1, 2) and registered.number_format == "yyyy-mm-dd"
    assert [by_uscc[ENTITY][8].value, by_uscc[make_uscc(1)][8].value] == ["否", "是"]


def test_filters_choose_the_rows(seeded: Seeded, tmp_path: Path) -> None:
    def usccs(path: Path) -> list[str]:
        lines = path.read_text("utf-8-sig").splitlines()[2:]  # after the note and the header
        return [line.split(",")[0] for line in lines]

    region = directory.export_entities(seeded.store, tmp_path / "a.csv", region="3301")
    assert region.rows == 1 + 27  # the bureau's entity and n % 3 in (0, 1)
    assert ENTITY in usccs(tmp_path / "a.csv")  # its region_code is 330106, whatever the USCC says
    assert all(u[2:6] == "3301" for u in usccs(tmp_path / "a.csv") if u != ENTITY)
    both = directory.export_entities(
        seeded.store, tmp_path / "b.csv", region="330102", industry="餐饮服务"
    )
    assert both.rows == 13 and set(usccs(tmp_path / "b.csv")) == {
        make_uscc(n + 1, "330102") for n in range(40) if n % 3 == 1
    }
    officers = directory.export_officers(seeded.store, tmp_path / "o.csv", department=OTHER_DEPT)
    assert (officers.rows, usccs(tmp_path / "o.csv")) == (2, ["I1", "X1"])


def test_large_exports_stream_in_batches(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(directory_export, "EXPORT_BATCH", 1000)
    store = Store(sqlite_url)
    rows = [
        {
            "uscc": make_uscc(n),
            "name": f"主体{n}",
            "kind": "企业",
            "region_code": "330106",
            "industry": "零售",
            "registered_on": date(2020, 1, 1),
        }
        for n in range(4500)
    ]
    with store.write() as session:
        session.execute(insert(Entity), rows)
    statements: list[str] = []
    event.listen(store.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    totals: list[int] = []
    steps: list[int] = []
    for suffix in (".csv", ".xlsx"):
        steps.clear()
        result = directory.export_entities(
            store, tmp_path / f"big{suffix}", progress=steps.append, total=totals.append
        )
        assert result.rows == 4500
        assert steps == [1000, 1000, 1000, 1000, 500]
    assert totals == [4500, 4500]
    assert len([s for s in statements if "FROM entities" in s]) == 4  # one count, one select each
    store.dispose()


# ---------------------------------------------------------------------------------------------
# Refusals: exit 2, one sentence, nothing written


def assert_refused(outcome: tuple[int, str, str], fragment: str) -> None:
    code, out, err = outcome
    assert code == 2, (code, out, err)
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0], err


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("entity", "export", "e.txt"), "e.txt has the suffix .txt, but exports are written as"),
        (("entity", "export", "entities"), "entities has no suffix"),
        (("officer", "export", "o.xls"), "end the file name with .xlsx or .csv"),
        (("officer", "conflict-export", "c.json"), "exports are written as .xlsx or .csv"),
        (("entity", "export", "e.csv", "--region", "3x"), "region '3x' is not a region code"),
        (
            ("officer", "export", "o.xlsx", "--department", "NOPE"),
            "department 'NOPE' does not exist",
        ),
        (("officer", "export", "o.csv", "--dept", "NOPE"), "department 'NOPE' does not exist"),
        (("entity", "export", "missing/e.csv"), "does not exist; create it or choose another"),
    ],
)
def test_bad_exports_write_nothing(
    capsys: pytest.CaptureFixture[str],
    db: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
    fragment: str,
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    monkeypatch.chdir(folder)
    assert_refused(run(capsys, *args, "--db", db), fragment)
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize(
    "command",
    [("entity", "export"), ("officer", "export"), ("officer", "conflict-export")],
    ids=" ".join,
)
@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_an_existing_file_is_replaced_only_with_force(
    capsys: pytest.CaptureFixture[str],
    seeded: Seeded,
    db: str,
    tmp_path: Path,
    command: tuple[str, str],
    suffix: str,
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    path = folder / f"out{suffix}"
    path.write_bytes(b"keep me")
    assert_refused(
        run(capsys, *command, str(path), "--db", db), "exists already, so nothing was written"
    )
    assert path.read_bytes() == b"keep me"
    result = run_json(capsys, *command, str(path), "--force", "--db", db)
    assert result["rows"] > 0 and path.read_bytes() != b"keep me"
    assert sorted(p.name for p in folder.iterdir()) == [f"out{suffix}"]  # no temporary file


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_failed_export_leaves_no_file(
    seeded: Seeded, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    monkeypatch.setattr(directory_export, "EXPORT_BATCH", 10)
    written: list[int] = []

    def broken(row: Any) -> list[Any]:
        written.append(1)
        if len(written) > 25:
            raise RuntimeError("disk full")
        return [row.uscc] * len(directory.ENTITY_COLUMNS)

    monkeypatch.setattr(directory_export, "_entity_row", broken)
    folder = tmp_path / "out"
    folder.mkdir()
    path = folder / f"e{suffix}"
    with pytest.raises(RuntimeError, match="disk full"):
        directory.export_entities(seeded.store, path)
    assert list(folder.iterdir()) == []
    # and an existing file survives a failed --force export untouched
    path.write_bytes(b"old")
    written.clear()
    with pytest.raises(RuntimeError):
        directory.export_entities(seeded.store, path, force=True)
    assert [p.name for p in folder.iterdir()] == [path.name]
    assert path.read_bytes() == b"old"


def test_a_control_character_cannot_go_into_xlsx(sqlite_url: str, tmp_path: Path) -> None:
    store = Store(sqlite_url)
    with store.write() as session:
        session.add(
            Entity(uscc=ENTITY, name="坏\x01名", kind="企业", region_code="330106", industry="零售")
        )
    with pytest.raises(InputError, match="row 2 holds a control character"):
        directory.export_entities(store, tmp_path / "e.xlsx")
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith("zhifa.db")] == []
    assert directory.export_entities(store, tmp_path / "e.csv").rows == 1
    store.dispose()


def test_library_refusals(seeded: Seeded, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="department 'NOPE' does not exist"):
        directory.export_officers(seeded.store, tmp_path / "o.csv", department="NOPE")
    folder = tmp_path / "sub.csv"
    folder.mkdir()
    with pytest.raises(InputError, match="is a folder"):
        directory.export_entities(seeded.store, folder, force=True)
    assert json.dumps(
        directory.ExportResult(tmp_path / "x.csv", "csv", 3).as_dict(), ensure_ascii=False
    ).endswith('"rows": 3}')
