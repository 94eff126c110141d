"""Every hook a plugin can implement (zhifa.hooks.specs), one test each, named ``test_hook_<name>``:
the test loads a plugin from tests/plugins/ and checks what the hook's docstring promises, through
the engine or the plugin manager. The last tests fail when a hook has no such test here, no page
in docs/hooks/, or a page names no hook. Edge cases stay with the feature's own tests
(test_engine.py, test_outbox.py, test_catalogue.py, test_plugin_config.py, …)."""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path

import docx
import pytest
import sqlalchemy as sa
import typer
from typer.testing import CliRunner

from tests.conftest import ENTITY
from tests.helpers import counts, make_engine, open_clue
from tests.plugins.catalogue import ART_124, ITEM, OLD, Catalogue, entry
from tests.plugins.commands import CountyReport
from tests.plugins.credit import NoScheme, WrongScheme
from tests.plugins.department import SAMPLING_WORKFLOW, DepartmentPlugin, WorkflowFiles
from tests.plugins.documents import OWN_TEXT, OwnTemplates, filing_template
from tests.plugins.holidays import LocalHoliday
from tests.plugins.sampling import COUNTY_POLICY, CountyPolicy, NoPolicy
from tests.plugins.sinks import RecordingSink, SinkPlugin
from tests.plugins.steps import NotingPlugin, Veto
from tests.test_documents import OPEN_DATA
from zhifa.calendar import CalendarAddition
from zhifa.documents import issued
from zhifa.documents.issuing import overrides
from zhifa.errors import DefinitionError, GuardRefused, PluginConflict, PluginError
from zhifa.hooks import specs
from zhifa.plugins import Plugins
from zhifa.rules import DEFAULT_POLICY
from zhifa.rules.credit import NATIONAL_SCHEME
from zhifa.rules.measures import NATIONAL_MEASURES
from zhifa.store import Store
from zhifa.store.tables import Department

HOOKS = sorted(name for name, f in vars(specs).items() if name.startswith("zhifa_") and callable(f))
PAGES = Path(__file__).parent.parent / "docs" / "hooks"
TEST_PLUGINS = Path(__file__).parent / "plugins"
CLUE = {"source": "complaint", "summary": "过期食品"}


def test_hook_zhifa_workflows(sqlite_bureau: Store, tmp_path: Path) -> None:
    """A plugin's workflow is loaded beside the baseline's, validated when the engine starts, and
    refused when another plugin ships the same name and version with other content."""
    plugin = DepartmentPlugin(tmp_path)
    engine, _ = make_engine(sqlite_bureau, plugin)
    sampling = engine.definition("sampling")
    assert (sampling.version, engine.plugins.source(sampling)) == (1, "zhifa-market-test")
    assert {"sampling", "clue"} <= {d.name for d in engine.workflows()}
    assert engine.open("sampling", "C1").matter.state == "sampled"

    broken = tmp_path / "broken" / "sampling.yaml"
    broken.parent.mkdir()
    broken.write_text(SAMPLING_WORKFLOW.replace("initial: sampled\n", ""), "utf-8")
    with pytest.raises(DefinitionError, match=r"sampling\.yaml"):
        make_engine(sqlite_bureau, WorkflowFiles("county", broken))

    changed = tmp_path / "changed" / "sampling.yaml"
    changed.parent.mkdir()
    changed.write_text(SAMPLING_WORKFLOW.replace("抽样检验", "抽检"), "utf-8")
    with pytest.raises(DefinitionError, match="defined differently by plugins") as err:
        make_engine(sqlite_bureau, plugin, WorkflowFiles("county", changed))
    assert "'zhifa-market-test'" in err.value.message and "'county'" in err.value.message


def test_hook_zhifa_guards(sqlite_bureau: Store, tmp_path: Path) -> None:
    """A workflow requires the guard by name, with arguments; its reason refuses the step and
    nothing is written. Two plugins may not register one name."""
    engine, _ = make_engine(sqlite_bureau, DepartmentPlugin(tmp_path))
    m = engine.open("sampling", "C1").matter
    before = counts(sqlite_bureau)
    with pytest.raises(GuardRefused) as err:
        engine.advance(m, "send", "C1", {})
    assert err.value.reasons == ["a sample id is needed: 2 copies are kept (食品安全法 第八十七条)"]
    assert counts(sqlite_bureau) == before
    assert engine.advance(m, "send", "C1", {"sample_id": "S-1"}).matter.state == "sent"

    second = DepartmentPlugin(tmp_path)
    second.__name__ = "zhifa-other"  # type: ignore[misc]
    with pytest.raises(PluginConflict, match="guard 'sample_kept'"):
        make_engine(sqlite_bureau, DepartmentPlugin(tmp_path), second)


def test_hook_zhifa_before_transition(sqlite_bureau: Store) -> None:
    """Asked for every step, the opening too, once the workflow's guards passed; its reasons
    refuse the step like a guard's and nothing is written."""
    veto = Veto("hand_over", reason="本局规定：移交须经法制科登记")
    engine, _ = make_engine(sqlite_bureau, veto)
    m = open_clue(engine)
    before = counts(sqlite_bureau)
    with pytest.raises(GuardRefused) as err:
        engine.advance(m, "hand_over", "H1", {"to_department": "x", "reason": "y"})
    assert err.value.reasons == ["本局规定：移交须经法制科登记"]
    assert counts(sqlite_bureau) == before
    with pytest.raises(GuardRefused, match="the rules do not allow"):
        engine.advance(m, "assign", "H1", {"verifiers": ["C4"]})  # C4 holds no certificate
    assert veto.asked == ["open", "hand_over"]  # not asked for the step its guard refused


def test_hook_zhifa_after_transition(sqlite_bureau: Store) -> None:
    """Rows a plugin adds through ``ctx.session`` commit with the step; if it raises, the step and
    its rows roll back and the error names the plugin."""

    def archived() -> set[str]:
        with sqlite_bureau.read() as s:
            return set(s.scalars(sa.select(Department.code).where(Department.code.like("N%"))))

    engine, _ = make_engine(sqlite_bureau, NotingPlugin(fail_on="assign"))
    m = open_clue(engine)
    assert archived() == {"N1"}  # written with the opening, whose event is seq 1
    before = counts(sqlite_bureau)
    with pytest.raises(PluginError) as err:
        engine.advance(m, "assign", "H1", {"verifiers": ["C1"]})
    assert err.value.plugin == "noting-plugin" and "archive full" in err.value.message
    assert archived() == {"N1"} and counts(sqlite_bureau) == before
    assert engine.load(m.id).state == "received"


def test_hook_zhifa_reporting_sinks(sqlite_bureau: Store) -> None:
    """A sink gets each committed step it wants with the matter after it; a failing delivery
    never blocks the matter and is retried later under the same key."""
    sink = RecordingSink(fail_times=1)
    engine, clock = make_engine(sqlite_bureau, SinkPlugin(sink))
    m = open_clue(engine)  # its delivery fails
    assert engine.load(m.id).state == "received" and sink.received == []
    engine.advance(m, "assign", "H1", {"verifiers": ["C1"]})
    (assigned,) = sink.received
    assert assigned.matter is not None and assigned.matter.state == "verifying"
    assert (assigned.event["trigger"], assigned.key) == ("assign", f"{m.id}:2:record-sink")
    clock.advance(seconds=30)
    assert engine.deliver_outbox().delivered == 1
    opened = sink.received[1]
    assert (opened.event["trigger"], opened.key, opened.attempt) == (
        "open",
        f"{m.id}:1:record-sink",
        2,
    )


def test_hook_zhifa_calendar_additions(sqlite_bureau: Store) -> None:
    """A local holiday or working day overrides the official calendar and moves statutory
    clocks: a clue received on 10 February 2026 is due 15 working days later, on 9 March."""
    make_up = CalendarAddition(date(2026, 3, 7), working=True, reason="调休上班")

    def due_on(*plugins: object) -> date:
        engine, _ = make_engine(sqlite_bureau, *plugins)
        return engine.open("clue", "C1", CLUE).clocks[0].due_on

    assert due_on() == date(2026, 3, 9)
    assert due_on(LocalHoliday()) == date(2026, 3, 10)  # Monday 9 March is a local holiday
    assert due_on(LocalHoliday(make_up)) == date(2026, 3, 7)  # Saturday 7 March is worked
    engine, _ = make_engine(sqlite_bureau, LocalHoliday())
    assert not engine.calendar.is_working_day(date(2026, 3, 9))


def test_hook_zhifa_checklists() -> None:
    """Items are collected with the plugin that declares them; a code declared twice is refused,
    naming both plugins."""
    plugins = Plugins([Catalogue("county-market", items=(ITEM,))], autoload=False)
    item = plugins.checklists()["SP-1"]
    assert (item.name, item.kind, item.scope) == ("许可证有效", "key", "food_sales")
    assert item.department == "county-market"
    twice = Plugins([Catalogue("a", items=(ITEM,)), Catalogue("b", items=(ITEM,))], autoload=False)
    with pytest.raises(PluginConflict) as err:
        twice.checklists()
    assert "'a'" in err.value.message and "'b'" in err.value.message


def test_hook_zhifa_violations(sqlite_bureau: Store) -> None:
    """The catalogue's entries, each period of a code, measure fines through the engine; a code
    declared by two plugins is refused when the engine loads, naming both."""
    engine, _ = make_engine(sqlite_bureau, Catalogue("county-market", OLD, entry(ART_124)))
    periods = engine.catalogue["FS-124"]
    assert [(v.in_force_from, v.department) for v in periods] == [
        (date(2015, 10, 1), "county-market"),
        (date(2021, 4, 29), "county-market"),
    ]
    found, why = engine.discretion(
        "FS-124", {"goods_value": 5000, "circumstances": ["children"]}, decided=date(2026, 3, 2)
    )
    assert tuple(map(str, found.legal)) == ("50000.00", "100000.00")
    assert found.tier.name == "heavier" and "第三十七条" in why
    with pytest.raises(PluginConflict) as err:
        make_engine(sqlite_bureau, Catalogue("a", OLD), Catalogue("b", OLD))
    assert "'a'" in err.value.message and "'b'" in err.value.message


def test_hook_zhifa_sampling_policy() -> None:
    """The plugin that returns a policy for the department decides it, whatever the order of the
    plugins; one returning None leaves it to others; with none, the default applies."""
    for loaded in ([CountyPolicy(), NoPolicy()], [NoPolicy(), CountyPolicy()]):
        plugins = Plugins(loaded, autoload=False)
        assert plugins.sampling_policy("HZXH") is COUNTY_POLICY
        assert plugins.sampling_policy("HZSC") is DEFAULT_POLICY
    abstaining = NoPolicy()
    assert Plugins([abstaining], autoload=False).sampling_policy("HZXH") is DEFAULT_POLICY
    assert abstaining.asked == ["HZXH"]


def test_hook_zhifa_credit_scheme() -> None:
    """The first plugin that gives a scheme decides it (the market plugin's food scheme); one
    returning None leaves it to others; with none, or no department named, the national scheme
    applies; a plugin returning something else is named."""
    import zhifa_market.plugin as market

    for loaded in ([market, NoScheme()], [NoScheme(), market]):
        scheme = Plugins(loaded, autoload=False).credit_scheme("HZXH")
        assert (scheme.name, scheme.bands[1]) == ("market-food", ("B", 88.0))
    assert Plugins([NoScheme()], autoload=False).credit_scheme("HZXH") is NATIONAL_SCHEME
    assert Plugins([market], autoload=False).credit_scheme(None) is NATIONAL_SCHEME
    with pytest.raises(PluginError) as err:
        Plugins([WrongScheme()], autoload=False).credit_scheme("HZXH")
    assert "zhifa_credit_scheme" in err.value.message and "returned dict" in err.value.message


def test_hook_zhifa_credit_measures() -> None:
    """Every plugin the department uses adds its measures to the national ones; with no
    department named only the national ones apply; a plugin returning something else is named."""
    import zhifa_market.plugin as market

    national = [m.code for m in NATIONAL_MEASURES]
    found = [m.code for m in Plugins([market], autoload=False).credit_measures("HZXH")]
    assert sorted(found) == sorted(
        [*national, *(m.code for m in market.zhifa_credit_measures(None))]
    )
    assert "contract-red-list-inspection" in found
    assert [m.code for m in Plugins([market], autoload=False).credit_measures(None)] == national
    with pytest.raises(PluginError) as err:
        Plugins([WrongScheme()], autoload=False).credit_measures("HZXH")
    assert "zhifa_credit_measures" in err.value.message and "returned dict" in err.value.message


def test_hook_zhifa_document_templates(sqlite_bureau: Store, tmp_path: Path) -> None:
    """The department's template is used for its documents, with its number word; another
    department keeps the shipped one (more in test_documents_hook.py)."""
    plugin = OwnTemplates("HZXH", {"filing_approval": filing_template(tmp_path)})
    engine, _ = make_engine(sqlite_bureau, plugin, at=datetime(2026, 3, 2, 9, 0))
    case = engine.open("case", "H1", OPEN_DATA, entity=ENTITY).matter
    with sqlite_bureau.engine.connect() as conn:
        (doc,) = issued(conn, case.id)
    assert doc.number == "西湖区市监立案〔2026〕1号"
    paragraphs = docx.Document(io.BytesIO(engine.evidence.get(doc.sha256))).paragraphs
    assert paragraphs[0].text == OWN_TEXT
    assert overrides(engine.plugins, "HZSC") == {}


def test_hook_zhifa_cli() -> None:
    """The plugin's command joins the command line it is given and runs with typer's parsing
    (bad input exits 2)."""
    app = typer.Typer()

    @app.callback()
    def zhifa() -> None:
        """The command line the plugin's command joins."""

    Plugins([CountyReport()], autoload=False).call("zhifa_cli", app=app)
    runner = CliRunner()
    done = runner.invoke(app, ["county-report", "2026"])
    assert (done.exit_code, done.output) == (0, "county report 2026\n")
    assert runner.invoke(app, ["county-report", "twenty"]).exit_code == 2


# -- every hook has its test and its page ------------------------------------------------------


def test_the_hooks_are_those_the_manager_registers() -> None:
    registered = {n for n in vars(Plugins(autoload=False).pm.hook) if n.startswith("zhifa_")}
    assert registered == set(HOOKS)


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_documented_and_tested(hook: str) -> None:
    assert len((getattr(specs, hook).__doc__ or "").strip()) > 80, f"{hook} needs a docstring"
    assert callable(globals().get(f"test_hook_{hook}")), (
        f"tests/test_hooks.py has no test_hook_{hook}"
    )
    assert (PAGES / f"{hook}.md").is_file(), f"docs/hooks/{hook}.md is missing: run `make docs`"
    uses = [p.name for p in TEST_PLUGINS.glob("*.py") if f"def {hook}(" in p.read_text("utf-8")]
    assert uses, f"no test plugin in tests/plugins/ implements {hook}"


def test_every_hook_page_names_a_hook() -> None:
    pages = sorted(p.stem for p in PAGES.glob("*.md"))
    assert pages, f"no hook pages in {PAGES}"
    assert [p for p in pages if p not in HOOKS] == [], "a page of a hook that is gone: `make docs`"
