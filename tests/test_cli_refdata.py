"""``zhifa dept``, ``zhifa officer`` and ``zhifa entity`` driven through the real entry point."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from zhifa import directory
from zhifa.cli import main
from zhifa.store import Store

DEPT = "HZXH"
A, B, C = "91110000600037341L", "91350100M000100Y43", "91110108551385082Q"


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


Run = Callable[..., Outcome]


@pytest.fixture
def zhifa(capsys: pytest.CaptureFixture[str], sqlite_url: str) -> Run:
    """Run ``zhifa ARGS --db URL`` through :func:`zhifa.cli.main`; exit code, stdout, stderr."""

    def run(*args: str | Path, db: bool = True) -> Outcome:
        argv = [str(a) for a in args] + (["--db", sqlite_url] if db else [])
        capsys.readouterr()
        try:
            main(argv)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
        out, err = capsys.readouterr()
        return Outcome(code, out, err)

    return run


@pytest.fixture
def seeded(sqlite_url: str) -> Iterator[Store]:
    """Department HZXH, officer C1 and entity A."""
    store = Store(sqlite_url)
    directory.add_department(store, code=DEPT, name="西湖区市场监管局", region_code="330106")
    directory.add_officer(store, id="C1", name="李明", department=DEPT, roles="inspector")
    directory.add_entity(
        store, uscc=A, name="某食品有限公司", kind="企业", region_code="330106", industry="食品销售"
    )
    yield store
    store.dispose()


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def assert_one_sentence(outcome: Outcome, fragment: str) -> None:
    """Exit 2, nothing on stdout, and one line on stderr: the error sentence, no traceback."""
    assert outcome.code == 2, outcome
    assert outcome.out == ""
    lines = outcome.err.strip().splitlines()
    assert len(lines) == 1, outcome.err
    assert lines[0].startswith("error: ")
    assert fragment in lines[0]
    assert "Traceback" not in outcome.err


def test_add_list_and_show(zhifa: Run) -> None:
    added = zhifa("dept", "add", DEPT, "西湖区市场监管局", "--region", "330106")
    assert added.code == 0
    assert added.out.strip() == "added department HZXH 西湖区市场监管局 (region 330106)"
    assert zhifa("dept", "list", "--json").json() == {
        "departments": [{"code": DEPT, "name": "西湖区市场监管局", "region_code": "330106"}]
    }

    officer = zhifa(
        "officer", "add", "C1", "--name", "李明", "--dept", DEPT,
        "--roles", "inspector,case_handler", "--certificate", "ZF-1",
        "--valid-from", "2024-01-01", "--valid-to", "2027/12/31", "--json",
    )  # fmt: skip
    assert officer.code == 0
    assert officer.json() == {
        "id": "C1",
        "name": "李明",
        "department": DEPT,
        "roles": ["case_handler", "inspector"],
        "certificate_no": "ZF-1",
        "certificate_valid_from": "2024-01-01",
        "certificate_valid_to": "2027-12-31",
        "specialties": [],
        "regions": [],
    }
    assert [
        o["id"] for o in zhifa("officer", "list", "--dept", DEPT, "--json").json()["officers"]
    ] == ["C1"]

    entity = zhifa(
        "entity", "add", A.lower(), "--name", "某食品有限公司", "--kind", "企业",
        "--region", "330106", "--industry", "食品销售", "--credit-class", "b", "--risk", "中",
        "--json",
    )  # fmt: skip
    assert entity.code == 0
    shown = entity.json()
    assert (shown["uscc"], shown["credit_class"], shown["risk_level"]) == (A, "B", "medium")
    assert zhifa("entity", "show", f" {A.lower()} ", "--json").json()["entity"] == shown
    assert zhifa("entity", "show", str(shown["id"]), "--json").json()["entity"] == shown
    listed = zhifa("entity", "list", "--region", "33", "--json").json()
    assert listed == {"total": 1, "entities": [shown]}

    for args, expected in [
        (("dept", "list"), "西湖区市场监管局"),
        (("officer", "list"), "李明"),
        (("entity", "list"), A),
        (("entity", "show", A), "USCC 统一社会信用代码"),
    ]:
        human = zhifa(*args)
        assert human.code == 0
        assert expected in human.out
        assert human.err == ""


def test_empty_lists_say_how_to_add(zhifa: Run) -> None:
    for args, hint in [
        (("dept", "list"), "zhifa dept add"),
        (("officer", "list"), "zhifa officer import"),
        (("entity", "list"), "zhifa entity import"),
    ]:
        outcome = zhifa(*args)
        assert (outcome.code, hint in outcome.out) == (0, True)


BAD_INPUT = [
    pytest.param(
        ["entity", "add", A[:17] + "0", "--name", "x", "--kind", "企业",
         "--region", "330106", "--industry", "零售"],
        "invalid unified social credit code: the check character",
        id="entity-bad-uscc",
    ),
    pytest.param(
        ["entity", "add", B, "--name", "x", "--kind", "企业", "--region", "3301",
         "--industry", "零售"],
        "region_code is '3301', not a 6-digit",
        id="entity-bad-region",
    ),
    pytest.param(
        ["entity", "add", A, "--name", "x", "--kind", "企业", "--region", "330106",
         "--industry", "零售"],
        "already exists; to change it, import a file",
        id="entity-exists",
    ),
    pytest.param(
        ["officer", "add", "C9", "--name", "x", "--dept", "NOPE", "--roles", "inspector"],
        "department 'NOPE' does not exist; add it with `zhifa dept add",
        id="officer-unknown-department",
    ),
    pytest.param(
        ["officer", "add", "C9", "--name", "x", "--dept", DEPT, "--roles", "boss"],
        "unknown role boss",
        id="officer-unknown-role",
    ),
    pytest.param(
        ["officer", "add", "C9", "--name", "x", "--dept", DEPT, "--roles", "inspector",
         "--certificate", "ZF-9"],
        "the certificate fields go together",
        id="officer-partial-certificate",
    ),
    pytest.param(
        ["officer", "add", "C9", "--name", "x", "--dept", DEPT, "--roles", "inspector",
         "--certificate", "ZF-9", "--valid-from", "soon", "--valid-to", "2027-01-01"],
        "'soon' is not a date",
        id="officer-bad-date",
    ),
    pytest.param(
        ["officer", "add", "C1", "--name", "x", "--dept", DEPT, "--roles", "inspector"],
        "officer 'C1' already exists",
        id="officer-exists",
    ),
    pytest.param(["officer", "list", "--dept", "NOPE"], "department 'NOPE'", id="list-unknown-dept"),
    pytest.param(["officer", "show", "C9"], "no officer has the id 'C9'; check the id with",
                 id="show-unknown-officer"),
    pytest.param(
        ["dept", "add", DEPT, "x", "--region", "330106"], "already exists", id="dept-exists"
    ),
    pytest.param(["dept", "add", "N", "x", "--region", "33"], "6-digit", id="dept-bad-region"),
    pytest.param(["entity", "show", B], f"no entity has the unified social credit code {B}",
                 id="entity-unknown"),
    pytest.param(["entity", "show", "nonsense"], "is neither an entity id", id="entity-bad-key"),
    pytest.param(["entity", "list", "--region", "3x"], "is not a region code", id="bad-region"),
    pytest.param(["entity", "list", "--limit", "0"], "limit must be at least 1", id="bad-limit"),
    pytest.param(["entity", "import", "entities.xls"], "use .csv or .xlsx", id="xls"),
    pytest.param(["officer", "import", "missing.csv"], "does not exist", id="missing-file"),
]  # fmt: skip


@pytest.mark.parametrize(("args", "fragment"), BAD_INPUT)
def test_bad_input_exits_2_with_one_sentence(
    zhifa: Run, seeded: Store, args: list[str], fragment: str
) -> None:
    assert_one_sentence(zhifa(*args), fragment)


@pytest.mark.parametrize(("args", "fragment"), BAD_INPUT[:4])
def test_bad_input_with_json_prints_the_error_object(
    zhifa: Run, seeded: Store, args: list[str], fragment: str
) -> None:
    outcome = zhifa(*args, "--json")
    assert outcome.code == 2
    error = outcome.json()
    assert error["exit_code"] == 2
    assert fragment in error["message"]
    assert error["error"] in {"InputError", "NotFoundError"}


def test_usage_errors_exit_2_without_a_traceback(zhifa: Run) -> None:
    outcome = zhifa("officer", "add", "C1", "--name", "李明")
    assert outcome.code == 2
    assert "Missing option '--dept'" in outcome.err
    assert "Traceback" not in outcome.err


def test_import_refuses_bad_rows_then_skip_bad_imports_the_good(
    zhifa: Run, seeded: Store, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "主体.csv",
        [
            ["统一社会信用代码", "企业名称", "主体类型", "行政区划", "行业", "风险等级"],
            [B, "小吃店", "个体工商户", "330106", "餐饮服务", "高"],
            [C, "合作社", "农民专业合作社", "3301", "农业", ""],
            [A, "某食品有限公司（更名）", "企业", "330106", "食品销售", "低"],
            [B.lower(), "小吃店二", "个体工商户", "330106", "餐饮服务", ""],
        ],
        encoding="gb18030",
    )
    refused = zhifa("entity", "import", path)
    assert refused.code == 2
    assert refused.out == ""
    lines = refused.err.strip().splitlines()
    assert lines[0] == (
        "error: 主体.csv has 2 bad rows out of 4, so no entities were written; correct the rows "
        "listed below, or use --skip-bad to import only the good rows"
    )
    assert [line.split(":")[0] for line in lines[1:]] == ["  - row 3", "  - row 5"]
    assert "Traceback" not in refused.err
    assert zhifa("entity", "list", "--json").json()["total"] == 1

    done = zhifa("entity", "import", path, "--skip-bad", "--json")
    assert done.code == 0
    result = done.json()
    assert (result["file"], result["created"], result["updated"]) == ("主体.csv", 1, 1)
    assert [row["row"] for row in result["skipped"]] == [3, 5]
    assert "is also on row 2" in result["skipped"][1]["reason"]
    assert zhifa("entity", "show", A, "--json").json()["entity"]["risk_level"] == "low"

    again = zhifa("entity", "import", path, "--skip-bad")
    assert again.code == 0
    assert "entities created 0, updated 2; bad rows skipped 2" in again.out


def test_officer_and_department_import(zhifa: Run, seeded: Store, tmp_path: Path) -> None:
    depts = write_csv(
        tmp_path / "depts.csv", [["code", "name", "region_code"], ["HZSC", "上城区", "330102"]]
    )
    assert zhifa("dept", "import", depts, "--json").json()["created"] == 1
    officers = write_csv(
        tmp_path / "officers.csv",
        [
            ["工号", "姓名", "所属部门", "角色", "执法证号", "发证日期", "有效期至"],
            ["C1", "李明", DEPT, "办案人员、检查人员", "ZF-1", "2024/1/1", "2027/12/31"],
            ["X1", "外局长", "HZSC", "head", "", "", ""],
        ],
        encoding="utf-8-sig",
    )
    outcome = zhifa("officer", "import", officers)
    assert outcome.code == 0
    assert "officers created 1, updated 1; bad rows skipped 0" in outcome.out
    listed = zhifa("officer", "list", "--json").json()["officers"]
    assert [(o["id"], o["roles"], o["certificate_valid_to"]) for o in listed] == [
        ("C1", ["case_handler", "inspector"], "2027-12-31"),
        ("X1", ["head"], None),
    ]


def test_officer_show_lists_every_version_of_the_record(
    zhifa: Run, seeded: Store, tmp_path: Path
) -> None:
    renewal = write_csv(
        tmp_path / "renewal.csv",
        [
            ["id", "name", "department", "roles", "certificate_no", "valid_from", "valid_to"],
            ["C1", "李明", DEPT, "inspector,case_handler", "ZF-1", "2024-01-01", "2027-12-31"],
        ],
    )
    assert zhifa("officer", "import", renewal).code == 0
    assert zhifa("officer", "import", renewal).code == 0  # the same data again: no new version
    shown = zhifa("officer", "show", "C1", "--json")
    assert shown.code == 0
    payload = shown.json()
    assert payload["officer"]["roles"] == ["case_handler", "inspector"]
    history = payload["history"]
    assert [(v["recorded_by"], v["roles"], v["certificate_no"]) for v in history] == [
        ("officer add", ["inspector"], None),
        ("import renewal.csv row 2", ["case_handler", "inspector"], "ZF-1"),
    ]
    assert history[0]["valid_from"] <= history[1]["valid_from"]

    human = zhifa("officer", "show", "C1")
    assert human.code == 0 and human.err == ""
    assert human.out.startswith(
        "officer C1 李明 (HZXH): roles case_handler, inspector; certificate ZF-1 valid "
        "2024-01-01 to 2027-12-31"
    )
    assert "officer add" in human.out and "renewal.csv" in human.out


def test_officer_show_says_when_no_history_is_kept(zhifa: Run, seeded: Store) -> None:
    from zhifa.store.tables import Officer

    with seeded.write() as session:
        session.add(Officer(id="X1", name="外局长", department_code=DEPT, roles="head"))
    assert zhifa("officer", "show", "X1", "--json").json()["history"] == []
    human = zhifa("officer", "show", "X1")
    assert "no versions are recorded of officer X1" in human.out


COMMANDS = [
    ("dept", "add"),
    ("dept", "import"),
    ("dept", "list"),
    ("officer", "add"),
    ("officer", "import"),
    ("officer", "list"),
    ("officer", "show"),
    ("entity", "add"),
    ("entity", "import"),
    ("entity", "list"),
    ("entity", "show"),
    ("entity", "export"),
    ("officer", "export"),
    ("officer", "conflict-import"),
    ("officer", "conflict-export"),
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_documents_itself_and_takes_db_and_json(
    zhifa: Run, command: tuple[str, str]
) -> None:
    outcome = zhifa(*command, "--help", db=False)
    assert outcome.code == 0
    assert f"Usage: zhifa {' '.join(command)}" in outcome.out
    assert "--db" in outcome.out
    assert "--json" in outcome.out
    summary = outcome.out.split("\n\n")[1].strip()
    assert summary.endswith(".") and len(summary) > 20


def test_the_installed_command_in_a_subprocess(sqlite_url: str, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "entities.csv",
        [["uscc", "name", "kind", "region_code", "industry"], [A, "甲", "企业", "330106", "零售"]],
    )
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    env.pop("ZHIFA_DEBUG", None)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "zhifa", *args, "--db", sqlite_url],
            capture_output=True,
            text=True,
            encoding="utf-8",
            env=env,
            timeout=120,
            check=False,
        )

    imported = run("entity", "import", str(path), "--json")
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout)["created"] == 1
    missing = run("entity", "show", B)
    assert missing.returncode == 2
    assert missing.stdout == ""
    assert missing.stderr.count("\n") == 1
    assert missing.stderr.startswith("error: no entity has the unified social credit code")


# --- declared conflicts of interest (回避) ---------------------------------------------------------


def test_a_declared_conflict_is_recorded_listed_and_keeps_the_officer_out_of_draws(
    zhifa: Run, seeded: Store
) -> None:
    from zhifa.inspections import inspector_directory

    done = zhifa(
        "officer", "conflict", "C1", A, "--reason", "近亲属在该企业任职", "--on", "2026-03-02"
    )
    assert done.code == 0 and "declared a conflict" in done.out
    listed = json.loads(zhifa("officer", "conflicts", "C1", "--json").out)
    assert listed == [
        {"officer": "C1", "entity": A, "declared_on": "2026-03-02", "reason": "近亲属在该企业任职"}
    ]
    with seeded.read() as session:
        directory = inspector_directory(session)
    assert len(directory.conflict_entity) == 1  # the draw's inspector directory carries it


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("C1", A, "--reason", "  "), "give the reason of the conflict"),
        (("C9", A, "--reason", "x"), "no officer has the id 'C9'"),
        (("C1", B, "--reason", "x"), "no entity has the unified social credit code"),
        (("C1", A, "--reason", "x", "--on", "2026-02-30"), "--on must be a date"),
    ],
)
def test_a_bad_conflict_is_one_sentence_and_writes_nothing(
    zhifa: Run, seeded: Store, args: tuple[str, ...], fragment: str
) -> None:
    assert_one_sentence(zhifa("officer", "conflict", *args), fragment)
    assert json.loads(zhifa("officer", "conflicts", "--json").out) == []


def test_a_conflict_is_declared_once(zhifa: Run, seeded: Store) -> None:
    assert zhifa("officer", "conflict", "C1", A, "--reason", "x").code == 0
    assert_one_sentence(
        zhifa("officer", "conflict", "C1", A, "--reason", "y"), "already declared a conflict"
    )


def test_a_file_of_conflicts_is_checked_whole_then_imported_and_reimported(
    zhifa: Run, seeded: Store, tmp_path: Path
) -> None:
    zhifa("officer", "add", "C2", "--name", "王芳", "--dept", DEPT, "--roles", "inspector")
    zhifa("entity", "import", write_csv(tmp_path / "b.csv", [
        ["uscc", "name", "kind", "region_code", "industry"], [B, "小吃店", "个体", "330106", "餐饮"]
    ]))  # fmt: skip
    bad = write_csv(
        tmp_path / "回避.csv",
        [
            ["工号", "统一社会信用代码", "声明日期", "回避事由"],
            ["C1", A, "2026-03-01", "近亲属在该企业任职"],
            ["C9", A, "2026-03-01", "近亲属"],
            ["C2", C, "2026/3/1", "近亲属"],
            ["C2", "2", "tomorrow", ""],
        ],
    )
    refused = zhifa("officer", "conflict-import", bad)
    assert refused.code == 2 and refused.out == ""
    lines = refused.err.strip().splitlines()
    assert lines[0] == (
        "error: 回避.csv has 3 bad rows out of 4, so no conflicts were written; correct the rows "
        "listed below, or use --skip-bad to import only the good rows"
    )
    assert [line.split(":")[0] for line in lines[1:]] == ["  - row 3", "  - row 4", "  - row 5"]
    assert "no officer has the id 'C9'" in lines[1]
    assert f"no entity has the unified social credit code {C}" in lines[2]
    assert "'tomorrow' is not a date" in lines[3] and "reason is empty" in lines[3]
    assert zhifa("officer", "conflicts", "--json").json() == []

    good = write_csv(
        tmp_path / "good.csv",
        [
            ["officer", "entity", "declared_on", "reason"],
            ["C1", A, "2026-03-01", "近亲属在该企业任职"],
            ["C2", "2", "2026/3/2", "曾在该企业任职"],
        ],
    )
    done = zhifa("officer", "conflict-import", good)
    assert done.code == 0
    assert "good.csv: conflicts created 2, updated 0; bad rows skipped 0" in done.out
    again = zhifa("officer", "conflict-import", good, "--json").json()
    assert (again["created"], again["updated"], again["skipped"]) == (0, 2, [])
    assert zhifa("officer", "conflicts", "--json").json() == [
        {"officer": "C1", "entity": A, "declared_on": "2026-03-01", "reason": "近亲属在该企业任职"},
        {"officer": "C2", "entity": B, "declared_on": "2026-03-02", "reason": "曾在该企业任职"},
    ]


def test_officer_specialties_and_regions_by_option_and_file(
    zhifa: Run, seeded: Store, tmp_path: Path
) -> None:
    added = zhifa(
        "officer", "add", "C2", "--name", "王芳", "--dept", DEPT, "--roles", "inspector",
        "--specialty", "food", "--specialty", "drugs, food", "--region", "330106", "--json",
    )  # fmt: skip
    assert added.code == 0
    assert (added.json()["specialties"], added.json()["regions"]) == (["drugs", "food"], ["330106"])
    path = write_csv(
        tmp_path / "officers.csv",
        [
            ["工号", "姓名", "所属部门", "角色", "专业领域", "检查区域"],
            ["C1", "李明", DEPT, "检查人员", "特种设备、食品", "330106，330102"],
        ],
    )
    assert zhifa("officer", "import", path).code == 0
    officers = zhifa("officer", "list", "--json").json()["officers"]
    assert [(o["id"], o["specialties"], o["regions"]) for o in officers] == [
        ("C1", ["特种设备", "食品"], ["330102", "330106"]),
        ("C2", ["drugs", "food"], ["330106"]),
    ]
    human = zhifa("officer", "list")
    assert human.code == 0 and "特种设备" in human.out  # the table folds at 80 columns
    assert_one_sentence(
        zhifa(
            "officer", "add", "C3", "--name", "x", "--dept", DEPT, "--roles", "inspector",
            "--region", "3301",
        ),
        "regions '3301' is not a 6-digit administrative division code",
    )  # fmt: skip


def test_entity_show_and_list_give_the_registration_date_and_key_supervision(
    zhifa: Run, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "entities.csv",
        [
            ["统一社会信用代码", "名称", "类型", "行政区划", "行业", "登记日期", "重点监管"],
            [A, "某食品有限公司", "企业", "330106", "食品销售", "2020/5/1", "是"],
            [B, "小吃店", "个体工商户", "330102", "餐饮服务", "", ""],
        ],
    )
    assert zhifa("entity", "import", path).code == 0
    shown = zhifa("entity", "show", A, "--json").json()["entity"]
    assert shown == {
        "id": 1,
        "uscc": A,
        "name": "某食品有限公司",
        "kind": "企业",
        "region_code": "330106",
        "industry": "食品销售",
        "credit_class": None,
        "risk_level": None,
        "registered_on": "2020-05-01",
        "key_supervision": True,
    }
    listed = zhifa("entity", "list", "--json").json()
    assert listed["entities"][0] == shown
    assert (listed["entities"][1]["registered_on"], listed["entities"][1]["key_supervision"]) == (
        None,
        False,
    )
    human = zhifa("entity", "show", A).out
    assert "Registered on 登记日期" in human and "2020-05-01" in human
    assert "Key supervision 重点监管" in human and "yes 是" in human
    assert "no 否" in zhifa("entity", "show", B).out
