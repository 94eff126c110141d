"""The `zhifa` command as a legal officer, an auditor and a department's IT staff meet it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ENTITY
from tests.helpers import run, run_json
from zhifa.cli import docgen
from zhifa.store import Store


def test_open_advance_show_and_verify(capsys: pytest.CaptureFixture[str], db: str) -> None:
    opened = run_json(
        capsys,
        "matter",
        "open",
        "clue",
        "--actor",
        "C1",
        "--db",
        db,
        "--at",
        "2026-02-10T09:00",
        "-f",
        "source=complaint",
        "-f",
        "summary=售卖过期食品",
        "--entity",
        ENTITY,
    )
    mid = str(opened["matter"]["id"])
    assert opened["clocks"][0]["due_on"] == "2026-03-09"
    step = run_json(
        capsys,
        "matter",
        "advance",
        mid,
        "assign",
        "--actor",
        "H1",
        "--db",
        db,
        "--at",
        "2026-02-11T10:00",
        "--data",
        '{"verifiers": ["C1", "C2"]}',
        "--expect-version",
        "1",
    )
    assert step["matter"]["state"] == "verifying"
    shown = run_json(capsys, "matter", "show", mid, "--db", db)
    assert [e["trigger"] for e in shown["history"]] == ["open", "assign"]
    assert shown["entity"]["uscc"] == ENTITY
    code, out, _ = run(capsys, "matter", "show", mid, "--db", db)
    assert code == 0 and "核查中" in out and "核查期限" in out
    listed = run_json(capsys, "matter", "list", "--due", "--db", db)
    assert [(i["id"], i["due_on"]) for i in listed] == [(int(mid), "2026-03-09")]
    code, out, _ = run(capsys, "audit", "verify", "--db", db)
    assert code == 0 and "record intact: 1 matters, 2 events" in out


def test_evidence_files_are_hashed_into_the_record(
    capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path
) -> None:
    photo = tmp_path / "现场照片.jpg"
    photo.write_bytes(b"\xff\xd8 photo bytes")
    opened = run_json(
        capsys,
        "matter",
        "open",
        "clue",
        "--actor",
        "C1",
        "--db",
        db,
        "--evidence",
        str(photo),
        "--data",
        '{"source": "inspection", "summary": "现场发现"}',
    )
    evidence = opened["event"]["evidence"]
    assert evidence == [{"name": "现场照片.jpg", "sha256": evidence[0]["sha256"], "size": 14}]


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (
            ["matter", "advance", "1", "extend", "--actor", "H1", "-f", "reason=x"],
            1,
            "cannot be taken from there",
        ),
        (
            ["matter", "advance", "1", "assign", "--actor", "C1", "-f", "verifiers=C1"],
            1,
            "this step needs head",
        ),
        (
            ["matter", "advance", "1", "assign", "--actor", "H1", "--data", "{bad"],
            2,
            "--data is not valid JSON",
        ),
        (
            ["matter", "advance", "1", "assign", "--actor", "H1", "-f", "verifiers"],
            2,
            "must be written NAME=VALUE",
        ),
        (["matter", "advance", "1", "assign", "--actor", "H1"], 2, "verifiers: is required"),
        (
            [
                "matter",
                "advance",
                "1",
                "assign",
                "--actor",
                "H1",
                "-f",
                "verifiers=C1",
                "--expect-version",
                "7",
            ],
            1,
            "not 7 as you expected",
        ),
        (["matter", "advance", "9", "assign", "--actor", "H1"], 2, "matter 9 does not exist"),
        (
            ["matter", "advance", "1", "assign", "--actor", "H1", "--at", "soon"],
            2,
            "is not a date or time",
        ),
        (["matter", "open", "permit", "--actor", "H1"], 2, "no workflow named 'permit'"),
        (["matter", "advance", "x", "assign", "--actor", "H1"], 2, "Invalid value"),
    ],
    ids=[
        "wrong-state",
        "wrong-role",
        "bad-json",
        "bad-field",
        "missing-field",
        "stale",
        "no-matter",
        "bad-time",
        "no-workflow",
        "usage",
    ],
)
def test_refusals_and_bad_input_are_one_sentence_and_write_nothing(
    capsys: pytest.CaptureFixture[str], db: str, args: list[str], code: int, fragment: str
) -> None:
    run_json(
        capsys,
        "matter",
        "open",
        "clue",
        "--actor",
        "C1",
        "--db",
        db,
        "-f",
        "source=report",
        "-f",
        "summary=s",
    )
    got, out, err = run(capsys, *args, "--db", db)
    assert got == code
    assert fragment in err + out
    assert "Traceback" not in err + out
    history = run_json(capsys, "matter", "show", "1", "--db", db)["history"]
    assert len(history) == 1


def test_json_errors_are_machine_readable(capsys: pytest.CaptureFixture[str], db: str) -> None:
    code, out, _ = run(capsys, "matter", "show", "5", "--db", db, "--json")
    assert code == 2
    assert json.loads(out)["error"] == "NotFoundError"


def test_unmigrated_database_says_how_to_fix(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path}/new.db"
    code, _, err = run(capsys, "matter", "list", "--db", url)
    assert code == 2 and "run: zhifa db upgrade" in err
    code, out, _ = run(capsys, "db", "upgrade", "--db", url)
    head = run_json(capsys, "db", "current", "--db", url)["head"]
    assert code == 0 and f"empty → {head}" in out
    assert run_json(capsys, "db", "current", "--db", url)["up_to_date"] is True
    code, _, err = run(capsys, "db", "downgrade", "--db", url)
    assert code == 2 and "--yes" in err
    code, out, _ = run(capsys, "db", "downgrade", "--to", "base", "--yes", "--db", url)
    assert code == 0 and "empty" in out


def test_broken_record_exits_1_naming_the_matter(
    capsys: pytest.CaptureFixture[str], db: str
) -> None:
    run_json(
        capsys,
        "matter",
        "open",
        "clue",
        "--actor",
        "C1",
        "--db",
        db,
        "-f",
        "source=report",
        "-f",
        "summary=s",
    )
    store = Store(db)
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER events_no_update")
        conn.exec_driver_sql("UPDATE events SET actor_id = 'C2'")
    store.dispose()
    code, _, err = run(capsys, "audit", "verify", "--db", db)
    assert code == 1 and "matter 1, event 1" in err
    code, out, _ = run(capsys, "audit", "verify", "--db", db, "--json")
    assert code == 1 and json.loads(out)["breaks"][0]["seq"] == 1


def test_triggers_lists_what_the_officer_may_do(
    capsys: pytest.CaptureFixture[str], db: str
) -> None:
    run_json(
        capsys,
        "matter",
        "open",
        "clue",
        "--actor",
        "C1",
        "--db",
        db,
        "-f",
        "source=report",
        "-f",
        "summary=s",
    )
    options = {
        o["trigger"]: o
        for o in run_json(capsys, "matter", "triggers", "1", "--actor", "H1", "--db", db)
    }
    assert options["assign"]["allowed"] and not options["extend"]["allowed"]
    code, out, _ = run(capsys, "matter", "triggers", "1", "--actor", "C1", "--db", db)
    assert code == 0 and "needs head" in out


def test_workflow_list_show_and_diagram(capsys: pytest.CaptureFixture[str]) -> None:
    listed = run_json(capsys, "workflow", "list")
    assert {"name": "clue", "versions": [4], "label": "线索 (Clue)"} in listed
    shown = run_json(capsys, "workflow", "show", "clue")
    assert shown["clocks"]["verification"]["days"] == 15
    code, out, _ = run(capsys, "workflow", "show", "clue", "--diagram", "mermaid")
    assert (
        code == 0
        and out.startswith("stateDiagram-v2")
        and "verifying --> verifying_extended" in out
    )
    code, _, err = run(capsys, "workflow", "show", "clue", "--diagram", "png")
    assert code == 2 and "use --diagram mermaid" in err


def test_demo_builds_and_verifies(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "demo.db"
    result = run_json(capsys, "demo", "--path", str(target))
    assert result["intact"] is True
    story = "\n".join(result["story"])
    for fragment in (
        "expired on 2026-01-31",
        "第三十六条",
        "changed by someone else",
        "an extension must be approved before it ends",
        "this step needs principal_head",  # transfer: only the principal head approves
        "is heavier than the 130000.00 yuan notified",  # case: 行政处罚法 第四十五条
        "→ administrative_resumed",  # transfer: the police open no criminal case
        "→ closed 已结案",  # case: paid and closed
        "the court is applied to from 2026-10-09",  # an unpaid fine: 行政强制法 第五十三条
        "→ court_applied",
        "until 2029-04-28",  # publication: the publicity end date
        "possible from 2027-04-29",  # credit repair: refused before the minimum period
        "→ stopped_early",  # ... then approved and the publication stopped early
        "team drawn: 李明 and 张伟",  # a random draw: 王芳 declared a conflict
        "confirms: yes",  # the draw verifies
        "C4 marked as a clue",  # inspection
        "nobody reviews their own conduct",  # accountability
        "→ concluded",
        "2026-04-22  class B (score 90)",  # credit: the penalty and the complaint lower the class
        "penalty            fine 130000.00 yuan",
        "not on 2026-06-30 (企业信息公示暂行条例 第八条)",  # abnormal list: after the cause only
        "→ removed 已移出",
        "→ kept 核查属实",  # the commitment, checked by a clean targeted inspection
        "2026-07-08  class C (score 90)",  # the abnormal listing overrides the score
        "2026-09-19  class B (score 93)",
        "class history: 2026-02-09 A, 2026-04-22 B, 2026-07-08 C, 2026-09-19 B, 2027-05-13 B",
        "record intact",
    ):
        assert fragment in story
    listed = run_json(capsys, "matter", "list", "--db", f"sqlite:///{target}")
    assert {m["workflow"] for m in listed} == {
        "clue",
        "case",
        "transfer",
        "publication",
        "credit_repair",
        "inspection",
        "accountability",
        "abnormal_list",
        "commitment",
    }


ENTRY_PLUGIN = """
import pluggy
from zhifa.hooks.types import Guard

hookimpl = pluggy.HookimplMarker("zhifa")


@hookimpl
def zhifa_guards():
    return [Guard("probe_guard", lambda ctx: None, "always passes")]
"""


def _plugin_site(tmp_path: Path) -> Path:
    """A real installed distribution on a path: a module and its dist-info with an entry point."""
    site = tmp_path / "site"
    dist = site / "zhifa_probe-1.2.3.dist-info"
    dist.mkdir(parents=True)
    (site / "zhifa_probe.py").write_text(textwrap.dedent(ENTRY_PLUGIN), "utf-8")
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: zhifa-probe\nVersion: 1.2.3\n", "utf-8"
    )
    (dist / "entry_points.txt").write_text("[zhifa]\nprobe = zhifa_probe\n", "utf-8")
    return site


@pytest.mark.parametrize("autoload", [True, False])
def test_entry_point_plugins_are_listed_unless_autoload_is_off(
    tmp_path: Path, autoload: bool
) -> None:
    env = {**os.environ, "PYTHONPATH": str(_plugin_site(tmp_path))}
    env.pop("ZHIFA_DISABLE_PLUGIN_AUTOLOAD", None)
    if not autoload:
        env["ZHIFA_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    out = subprocess.run(
        [sys.executable, "-m", "zhifa", "plugins", "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    names = {p["name"]: p for p in json.loads(out)}
    assert names["zhifa.baseline"]["distribution"] == "zhifa"
    if autoload:
        assert names["probe"]["version"] == "1.2.3" and names["probe"]["hooks"] == ["zhifa_guards"]
    else:
        assert "probe" not in names


def test_plugin_that_fails_to_import_is_named(tmp_path: Path) -> None:
    """`zhifa plugins` lists it as broken with the reason; with no department spared from it (no
    zhifa.toml), a command that needs the plugins stops, naming it (as before); `zhifa --help`
    does not."""
    site = _plugin_site(tmp_path)
    (site / "zhifa_probe.py").write_text("raise ImportError('needs libfoo')\n", "utf-8")
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("ZHIFA_DISABLE_PLUGIN_AUTOLOAD", None)
    env.pop("ZHIFA_CONFIG", None)

    def zhifa(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "zhifa", *args],
            env=env,
            capture_output=True,
            text=True,
            cwd=tmp_path,
        )

    listed = zhifa("plugins", "--json")
    assert listed.returncode == 0, listed.stderr
    (probe,) = [p for p in json.loads(listed.stdout) if p["name"] == "probe"]
    assert probe["broken"] == "it fails to import: ImportError: needs libfoo"
    assert (probe["distribution"], probe["version"]) == ("zhifa-probe", "1.2.3")
    assert zhifa("--help").returncode == 0
    stopped = zhifa("workflow", "list")
    assert stopped.returncode == 1
    assert "plugin 'probe' failed in hook import: ImportError: needs libfoo" in stopped.stderr
    assert "Traceback" not in stopped.stderr


def test_reference_docs_are_generated_from_the_code(monkeypatch: pytest.MonkeyPatch) -> None:
    # docgen sets COLUMNS and TERM for the help text; they are put back for the next test
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("TERM", "dumb")
    docs = Path(__file__).parent.parent / "docs"
    assert (docs / "cli.md").read_text("utf-8") == docgen.cli_reference(), "run `make docs`"
    assert (docs / "hooks.md").read_text("utf-8") == docgen.hooks_reference(), "run `make docs`"
    assert (docs / "api.md").read_text("utf-8") == docgen.api_reference(), "run `make docs`"
    for hook in docgen.hook_names():
        page = docs / "hooks" / f"{hook}.md"
        assert page.read_text("utf-8") == docgen.hook_page(hook), f"run `make docs` ({hook})"
        assert "## In the shipped plugins" in page.read_text("utf-8"), f"{hook} has no example"


@pytest.mark.slow
def test_wheel_ships_workflows_and_migrations(tmp_path: Path) -> None:
    # built from a copy of the sources: setuptools writes build/ and zhifa.egg-info beside them,
    # which in the checkout would be shared with other runs and keep modules since moved
    root = tmp_path / "source"
    here = Path(__file__).parent.parent
    skip = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for folder in ("core", "workflows", "migrations"):
        shutil.copytree(here / folder, root / folder, ignore=skip)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(here / name, root / name)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(root),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("zhifa-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "zhifa/workflows/clue.yaml",
        "zhifa/workflows/workflow.schema.json",
        "zhifa/migrations/env.py",
        "zhifa/migrations/script.py.mako",
        "zhifa/migrations/versions/0001_initial_schema.py",
        "zhifa/migrations/versions/0002_officer_versions.py",
        "zhifa/py.typed",
    ):
        assert required in names

    # The installed package, not this checkout, runs from an unrelated directory: `-S` skips the
    # editable install's path hook, the wheel is unpacked alone, the dependencies come from this
    # environment's site-packages.
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), wheel],
        check=True,
        capture_output=True,
    )
    deps = next(p for p in sys.path if p.endswith("site-packages"))
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    # The department plugins of plugins/ are installed editable in this environment; without the
    # path hook their entry points name modules that cannot be imported, and this test is about
    # zhifa's own wheel, so installed plugins are not loaded.
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(site), deps]),
        "ZHIFA_DISABLE_PLUGIN_AUTOLOAD": "1",
    }

    def run(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-S", "-m", "zhifa", *args],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    origin = subprocess.run(
        [sys.executable, "-S", "-c", "import zhifa; print(zhifa.__file__)"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert origin.startswith(str(site))
    run("db", "upgrade")
    assert (workdir / "zhifa.db").exists()
    assert "clue" in run("workflow", "list")
