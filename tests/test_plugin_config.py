"""Plugins enabled or disabled per department (zhifa.toml): a plugin a department does not use
contributes nothing to its matters — no workflow to open, no hook, no catalogue entry, no sampling
policy — while other departments keep it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DEPT, OTHER_DEPT
from tests.helpers import make_engine, open_clue
from tests.plugins.catalogue import ART_124, Catalogue, entry
from tests.plugins.department import DepartmentPlugin
from tests.plugins.sampling import CountyPolicy
from tests.plugins.sinks import RecordingSink, SinkPlugin
from tests.plugins.steps import Veto
from zhifa.engine import Engine
from zhifa.errors import GuardRefused, InputError, RefusedError
from zhifa.plugins import Plugins
from zhifa.plugins.config import PluginConfig, load_config, parse_config
from zhifa.rules import DEFAULT_POLICY
from zhifa.store import Store

AT = datetime(2026, 3, 2, 9, 0)


def config(**departments: dict[str, list[str]]) -> PluginConfig:
    return parse_config({"departments": departments}, "zhifa.toml")


def engine(store: Store, cfg: PluginConfig, *plugins: object) -> Engine:
    return make_engine(store, *plugins, at=AT, config=cfg)[0]


def test_a_disabled_plugin_runs_no_hook_for_that_department(bureau: Store) -> None:
    e = engine(bureau, config(**{OTHER_DEPT: {"disabled": ["veto"]}}), Veto())
    with pytest.raises(GuardRefused, match="the rules do not allow"):
        open_clue(e)  # HZXH still uses it
    e = engine(bureau, config(**{DEPT: {"disabled": ["veto"]}}), Veto())
    assert open_clue(e).state == "received"


def test_enabled_names_the_only_plugins_a_department_uses(bureau: Store) -> None:
    e = engine(
        bureau, config(**{DEPT: {"enabled": ["county-market"]}}), Veto(), Catalogue("county-market")
    )
    assert open_clue(e).state == "received"  # veto is not among them; the baseline always is


def test_a_workflow_of_a_disabled_plugin_cannot_be_opened(bureau: Store, tmp_path: Path) -> None:
    e = engine(
        bureau, config(**{DEPT: {"disabled": ["zhifa-market-test"]}}), DepartmentPlugin(tmp_path)
    )
    with pytest.raises(
        RefusedError,
        match="comes from plugin 'zhifa-market-test', which department HZXH does not use",
    ):
        e.open("sampling", "C1", {})


def test_catalogue_and_sampling_policy_follow_the_department(bureau: Store) -> None:
    cfg = config(**{DEPT: {"disabled": ["county-market", "county-policy"]}})
    e = engine(bureau, cfg, Catalogue("county-market", entry(ART_124)), CountyPolicy())
    plugins = e.plugins
    assert e._catalogue_of(DEPT) == {}
    assert list(e._catalogue_of(OTHER_DEPT)) == ["FS-124"]
    assert plugins.sampling_policy(DEPT) is DEFAULT_POLICY
    assert config().allows("county-policy", DEPT, frozenset())


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ({"plugins": {}}, "unknown section plugins"),
        ({"departments": {"HZXH": ["x"]}}, "must be a table"),
        ({"departments": {"HZXH": {"off": ["x"]}}}, "unknown key off"),
        ({"departments": {"HZXH": {"disabled": "safety"}}}, "must be a list of plugin names"),
        ({"departments": {"HZXH": {"enabled": ["a"], "disabled": ["b"]}}}, "not both"),
    ],
)
def test_a_bad_configuration_is_one_sentence(raw: dict[str, Any], fragment: str) -> None:
    with pytest.raises(InputError, match=fragment) as err:
        parse_config(raw, "zhifa.toml")
    assert err.value.message.startswith("zhifa.toml")


def test_a_plugin_name_that_is_not_loaded_is_refused() -> None:
    with pytest.raises(InputError, match=r"names plugin safty, which is not loaded"):
        Plugins(autoload=False, config=config(HZXH={"disabled": ["safty"]}))


def test_the_file_is_found_by_env_or_in_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ZHIFA_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    assert load_config().departments == {}
    (tmp_path / "zhifa.toml").write_text('[departments.HZXH]\ndisabled = ["veto"]\n', "utf-8")
    assert load_config().departments["HZXH"].disabled == frozenset({"veto"})
    other = tmp_path / "other.toml"
    other.write_text("[departments\n", "utf-8")
    monkeypatch.setenv("ZHIFA_CONFIG", str(other))
    with pytest.raises(InputError, match="is not valid TOML"):
        load_config()
    monkeypatch.setenv("ZHIFA_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(InputError, match="cannot read the configuration"):
        load_config()


@pytest.mark.parametrize(("disabled_in", "received"), [(OTHER_DEPT, 1), (DEPT, 0)])
def test_a_disabled_plugin_sink_gets_nothing_from_that_department(
    bureau: Store, disabled_in: str, received: int
) -> None:
    sink = RecordingSink()
    e = engine(bureau, config(**{disabled_in: {"disabled": ["sink-plugin"]}}), SinkPlugin(sink))
    open_clue(e)  # a matter of HZXH
    assert len(sink.received) == received
