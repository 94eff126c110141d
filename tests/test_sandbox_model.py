"""The sandbox's firm model and sweeps: the same seeds give the same numbers in this process, in
local processes and on a Dask cluster; the model reads the engine's rules (a plugin's policy or
a reform changes the result); capacity binds; the outcomes, the workbook and the commands."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from openpyxl import load_workbook

from tests.helpers import run, run_json
from tests.plugins.sampling import CountyPolicy
from zhifa.errors import InputError
from zhifa.plugins import Plugins
from zhifa.sandbox import outcomes
from zhifa.sandbox.model import Scenario, simulate
from zhifa.sandbox.population import synthetic
from zhifa.sandbox.reform import BASELINE, load_reform
from zhifa.sandbox.rules import Installed
from zhifa.sandbox.sweep import sweep

START = date(2027, 1, 1)
SCENARIO = Scenario(start=START, years=3, warmup=1)


@pytest.fixture(scope="module")
def installed() -> Installed:
    return Installed.load(Plugins(), ["HZXH"], START)


@pytest.fixture(scope="module")
def pop() -> object:
    return synthetic(20_000, 3, start=START)


def _same(a: object, b: object) -> None:
    for name, values in a.stats.items():  # type: ignore[attr-defined]
        assert np.array_equal(values, b.stats[name]), name  # type: ignore[attr-defined]


def test_the_same_seed_gives_the_same_run_and_another_seed_another(
    installed: Installed, pop: object
) -> None:
    a = simulate(installed, pop, SCENARIO, 11)  # type: ignore[arg-type]
    _same(a, simulate(installed, pop, SCENARIO, 11))  # type: ignore[arg-type]
    other = simulate(installed, pop, SCENARIO, 12)  # type: ignore[arg-type]
    assert not np.array_equal(a.stats["found"], other.stats["found"])


def test_a_sweep_gives_the_same_numbers_locally_in_processes_and_on_dask(
    installed: Installed, pop: object
) -> None:
    from distributed import Client, LocalCluster

    reform = load_reform({"name": "r", "changes": {"sampling.HZXH.ratio.B": 0.2}}, installed.params)
    here = sweep(installed, pop, SCENARIO, [BASELINE, reform], 3, 5)  # type: ignore[arg-type]
    procs = sweep(installed, pop, SCENARIO, [BASELINE, reform], 3, 5, workers=2)  # type: ignore[arg-type]
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        dask = sweep(installed, pop, SCENARIO, [BASELINE, reform], 3, 5, scheduler=client)  # type: ignore[arg-type]
    for name in ("baseline", "r"):
        for x, y, z in zip(here.runs[name], procs.runs[name], dask.runs[name], strict=True):
            _same(x, y)
            _same(x, z)
    # replication i of the reform meets the same draws as replication i of the baseline
    assert here.runs["baseline"][0].years == here.runs["r"][0].years


def test_the_model_reads_the_plugins_rule(pop: object) -> None:
    """The county's plugin exempts class A in HZXH: no class-A firm is drawn there."""
    county = Installed.load(Plugins([CountyPolicy()], autoload=False), ["HZXH"], START)
    plain = Installed.load(Plugins([], autoload=False), ["HZXH"], START)
    scenario = Scenario(start=START, years=2, warmup=0, complaint_rate=0.0, violations={})
    drawn_a = [simulate(i, pop, scenario, 1).by_class[:, 0].sum() for i in (plain, county)]  # type: ignore[arg-type]
    assert drawn_a[0] > 0 and drawn_a[1] == 0


def test_a_reform_changes_the_draws_from_its_day(installed: Installed, pop: object) -> None:
    scenario = Scenario(start=START, years=3, warmup=0, complaint_rate=0.0)
    reform = load_reform(
        {"name": "r", "changes": {"sampling.HZXH.ratio.C": {"2028-01-01": 1}}}, installed.params
    )
    base = simulate(installed, pop, scenario, 4)  # type: ignore[arg-type]
    after = simulate(installed, pop, scenario, 4, reform)  # type: ignore[arg-type]
    assert base.stats["drawn"][0] == after.stats["drawn"][0]  # 2027: not yet in force
    assert after.by_class[1, 2] == after.classes[0, 2]  # 2028: every class-C firm drawn


def test_capacity_binds_the_draws(installed: Installed, pop: object) -> None:
    scenario = Scenario(start=START, years=2, warmup=0, complaint_rate=0.0)
    tight = load_reform(
        {"name": "t", "changes": {"capacity.HZXH.officer_days": 100}}, installed.params
    )
    base = simulate(installed, pop, scenario, 2)  # type: ignore[arg-type]
    bound = simulate(installed, pop, scenario, 2, tight)  # type: ignore[arg-type]
    assert base.stats["officer_days"][0] > 100
    assert bound.stats["capacity_days"][0] == 100
    # 50 visits expected (100 officer-days, 2 per visit); drawn is binomial around it
    assert abs(bound.stats["drawn"][0] - 50) < 4 * np.sqrt(50)


def test_bad_scenarios_and_sweeps(installed: Installed, pop: object) -> None:
    with pytest.raises(InputError, match="detect must be a share"):
        Scenario(detect=1.5)
    with pytest.raises(InputError, match="not in the loaded catalogues"):
        simulate(installed, pop, Scenario(violations={"零售": "NO-SUCH"}), 1)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="reps must be"):
        sweep(installed, pop, SCENARIO, [BASELINE], 0, 1)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="different names"):
        sweep(installed, pop, SCENARIO, [BASELINE, BASELINE], 1, 1)  # type: ignore[arg-type]


def test_outcomes_with_intervals_and_a_workbook(
    installed: Installed, pop: object, tmp_path: Path
) -> None:
    reform = load_reform({"name": "r", "changes": {"sampling.HZXH.ratio.B": 0.2}}, installed.params)
    found = sweep(installed, pop, SCENARIO, [BASELINE, reform], 4, 9)  # type: ignore[arg-type]
    summary = outcomes.summarise(found, installed.departments)
    mean, low, high = summary["reforms"]["r"]["inspections_B"]["total"]
    assert low < mean < high
    base_mean = summary["reforms"]["baseline"]["inspections_B"]["total"][0]
    diff = summary["differences"]["r"]["inspections_B"]
    assert diff[0] == pytest.approx(mean - base_mean) and diff[1] > 0  # more class-B visits
    header, rows = outcomes.table(summary)
    assert header == ["outcome", "baseline", "r", "r − baseline"]
    target = outcomes.to_xlsx(summary, tmp_path / "结果.xlsx", {"seed": 9})
    wb = load_workbook(target)
    assert wb.sheetnames == ["总表", "baseline", "r", "说明"]
    assert wb["总表"]["A2"].value == rows[0][0]
    with pytest.raises(InputError, match=r"must end in \.xlsx"):
        outcomes.to_xlsx(summary, tmp_path / "x.csv", {})
    figure = outcomes.plot(summary, "violation_rate")
    assert len(figure.axes[0].lines) == 2


# -- the commands ---------------------------------------------------------------------------------


def test_sandbox_commands(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    listed = run_json(capsys, "sandbox", "params", "--dept", "HZXH", "--match", "ratio.D")
    assert [p["path"] for p in listed] == ["sampling.HZXH.ratio.D"]
    reform = tmp_path / "r.yaml"
    reform.write_text("name: r\nchanges:\n  sampling.HZXH.ratio.B: {2027-01-01: 0.2}\n", "utf-8")
    checked = run_json(
        capsys, "sandbox", "check", str(reform), "--dept", "HZXH", "--day", "2027-01-01"
    )
    assert checked["differences"][0]["b"] == "0.2"
    out = tmp_path / "run.xlsx"
    result = run_json(
        capsys, "sandbox", "run", str(reform), "--dept", "HZXH", "--population", "5000",
        "--reps", "2", "--years", "2", "--start", "2027-01-01", "--out", str(out),
    )  # fmt: skip
    assert set(result["results"]["reforms"]) == {"baseline", "r"} and out.exists()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"changes": {"sampling.HZXH.ratio.B": 2}}), "utf-8")
    code, _, err = run(capsys, "sandbox", "run", str(bad), "--dept", "HZXH", "--population", "100")
    assert code == 2 and "a share must be between 0 and 1, not 2" in err
    code, _, err = run(
        capsys, "sandbox", "run", str(reform), "--population", "5", "--db", "sqlite:///x.db"
    )
    assert code == 2 and "not both" in err


def test_run_and_replay_on_a_database(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """On the demo's database: the run takes its directory, the replay reads its cases (which
    name no catalogue code, so each is skipped with the reason), and neither writes."""
    target = tmp_path / "demo.db"
    run_json(capsys, "demo", "--path", str(target))
    url = f"sqlite:///{target}"
    before = target.read_bytes()
    reform = tmp_path / "r.yaml"
    reform.write_text("name: r\nchanges:\n  publication.short_months: 1\n", "utf-8")
    result = run_json(
        capsys, "sandbox", "run", str(reform), "--db", url, "--reps", "1", "--years", "1",
        "--start", "2027-01-01",
    )  # fmt: skip
    assert result["population"].startswith(f"database {url} (3 entities)")
    assert result["departments"] == ["HZXH-SJ"]
    replayed = run_json(capsys, "sandbox", "replay", str(reform), "--db", url)
    assert replayed["totals"]["cases"] == 0 and replayed["totals"]["skipped"] >= 1
    assert all("violation" in s["reason"] or "code" in s["reason"] for s in replayed["skipped"])
    from zhifa.sandbox.population import from_database
    from zhifa.sandbox.replay import read_only_store

    store = read_only_store(url)
    try:
        directory = from_database(store, 1, label="demo")
    finally:
        store.dispose()
    # the supermarket's fine and the noodle shop's spot fine; the supermarket's targeted check
    # and the noodle shop's drawn inspection
    assert directory.cases is not None and directory.inspections is not None
    assert directory.cases.tolist() == [1, 1, 0]
    assert directory.inspections.tolist() == [1, 1, 0]
    assert target.read_bytes() == before
