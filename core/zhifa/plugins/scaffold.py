"""``zhifa plugin new NAME``: a department plugin distribution whose own tests pass at once.

The generated distribution has a ``pyproject.toml`` with the ``zhifa`` entry point, a package with
an example of every hook (a workflow variant, a guard, before and after hooks, an effect the
before hook declares and the reporting sink applies, a local holiday, checklist items, a violation
catalogue with its discretion tiers, a sampling policy and a CLI command), tests that use the
``zhifa.testing`` fixtures, and a README.
"""

from __future__ import annotations

import re
from pathlib import Path

from zhifa.errors import InputError

NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


def names(name: str) -> tuple[str, str, str]:
    """(distribution, package, entry-point name) for NAME: ``zhifa-county`` → ``zhifa-county``,
    ``zhifa_county``, ``county``."""
    if not NAME.match(name):
        raise InputError(
            f"plugin name {name!r} must be lower-case letters, digits and single hyphens, "
            "starting with a letter, e.g. zhifa-xihu-market"
        )
    package = name.replace("-", "_")
    short = name.removeprefix("zhifa-") or name
    return name, package, short


def create(name: str, parent: Path) -> Path:
    """Write the plugin distribution into ``parent / name``; refuse to touch an existing path."""
    dist, package, short = names(name)
    root = parent / dist
    if root.exists():
        raise InputError(f"{root} already exists; choose another name or directory (--dir)")
    if not parent.is_dir():
        raise InputError(f"{parent} is not a directory; create it or give another --dir")
    files = {
        "pyproject.toml": PYPROJECT,
        "README.md": README,
        f"{package}/__init__.py": INIT,
        f"{package}/plugin.py": PLUGIN,
        f"{package}/violations.yaml": VIOLATIONS,
        f"{package}/workflows/{package}_notice.yaml": WORKFLOW,
        "tests/conftest.py": CONFTEST,
        f"tests/test_{package}.py": TESTS,
    }
    for rel, template in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        text = (
            template.replace("{{dist}}", dist)
            .replace("{{package}}", package)
            .replace("{{short}}", short)
        )
        path.write_text(text.lstrip("\n"), encoding="utf-8")
    return root


PYPROJECT = """
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "{{dist}}"
version = "0.1.0"
description = "A zhifa department plugin"
requires-python = ">=3.11"
dependencies = ["zhifa"]

[project.entry-points.zhifa]
{{short}} = "{{package}}.plugin"

[tool.setuptools]
packages = ["{{package}}"]

[tool.setuptools.package-data]
{{package}} = ["*.yaml", "workflows/*.yaml"]
"""

README = """
# {{dist}}

A department plugin for zhifa. It adds, as examples to edit:

| hook | what this plugin gives |
| --- | --- |
| `zhifa_workflows` | `{{package}}_notice`, a small workflow of its own (a workflow variant) |
| `zhifa_guards` | `{{package}}_photo_attached`, a rule a definition can require |
| `zhifa_before_transition` / `zhifa_after_transition` | a local rule checked before every step, and an effect it declares (`ctx.effect`, recorded in the step's event, applied by the sink); a count kept after |
| `zhifa_reporting_sinks` | `{{package}}-log`, a sink that records the steps it receives |
| `zhifa_calendar_additions` | a local holiday |
| `zhifa_checklists` | two inspection items |
| `zhifa_violations` | `violations.yaml`, one catalogue entry with its discretion tiers |
| `zhifa_sampling_policy` | the random-inspection shares of this department |
| `zhifa_cli` | `zhifa {{short}}-hello` |

Install it next to zhifa and check that it is loaded:

```sh
pip install ./{{dist}}
zhifa plugins
zhifa violations --plugin {{short}}
```

Run its tests (they use the fixtures of `zhifa.testing`, which come with zhifa):

```sh
pip install pytest
python -m pytest {{dist}}/tests
```
"""

INIT = '''
"""A zhifa department plugin."""
'''

PLUGIN = '''
"""The hooks of {{dist}}; each is documented in zhifa's docs/hooks.md."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from zhifa import (
    CalendarAddition,
    ChecklistItem,
    EventRecord,
    Guard,
    GuardResult,
    OutboxDelivery,
    SamplingPolicy,
    StepContext,
    Violation,
    effects_of,
    guard,
    guards_in,
    hookimpl,
    load_catalogue,
)

HERE = Path(__file__).parent
DEPARTMENT_PREFIX = ""  # the department codes this plugin's sampling policy is for ("" = all)


@hookimpl
def zhifa_workflows() -> Iterable[Path]:
    return sorted((HERE / "workflows").glob("*.yaml"))


@guard("a photo of the posted notice is attached", "本局执法文书送达规定 第三条", needs_data=True)
def {{package}}_photo_attached(ctx: StepContext, **_: Any) -> GuardResult:
    if not ctx.data.get("photo"):
        return "attach the photo of the posted notice (本局执法文书送达规定 第三条)"
    return None


@hookimpl
def zhifa_guards() -> Iterable[Guard]:
    return guards_in(globals())  # every @guard of this module, named after its function


@hookimpl
def zhifa_before_transition(ctx: StepContext) -> Iterable[str] | None:
    # reads only (a write is refused); what the step should change besides the matter is declared
    # as an effect: recorded in the step's hashed event, applied by this plugin's sink after commit
    if ctx.step.name == "post" and ctx.at.hour < 8:
        return ["notices are posted in office hours (本局执法文书送达规定 第四条)"]
    if ctx.step.name == "post":
        ctx.effect("notice_register_entry", {"photo": ctx.data.get("photo")})
    return None


STEPS_SEEN: list[str] = []


@hookimpl
def zhifa_after_transition(ctx: StepContext, event: EventRecord) -> None:
    STEPS_SEEN.append(event.trigger)


class LogSink:
    """Records the messages it receives; a real sink posts them to the bureau's platform."""

    name = "{{short}}-log"
    timeout = 10

    def __init__(self) -> None:
        self.received: dict[str, OutboxDelivery] = {}
        self.register: dict[str, Any] = {}  # the notice register a real sink would keep

    def wants(self, event: EventRecord) -> bool:
        return event.workflow == "{{package}}_notice"

    def deliver(self, message: OutboxDelivery) -> None:
        self.received[message.key] = message  # keyed: a retried delivery is kept once
        for effect in effects_of(message.event):  # what the step's plugins declared
            if effect.kind == "notice_register_entry":
                self.register.setdefault(message.key, effect.payload)


SINK = LogSink()


@hookimpl
def zhifa_reporting_sinks() -> Iterable[LogSink]:
    return [SINK]


@hookimpl
def zhifa_calendar_additions() -> Iterable[CalendarAddition]:
    return [CalendarAddition(date(2026, 5, 20), working=False, reason="本地纪念日（示例）")]


@hookimpl
def zhifa_checklists() -> Iterable[ChecklistItem]:
    return [
        ChecklistItem(
            "{{short}}-1",
            "经营许可证在有效期内",
            "食品安全法 第三十五条",
            kind="key",
            scope="food_sales",
        ),
        ChecklistItem(
            "{{short}}-2",
            "进货查验记录完整",
            "食品安全法 第五十三条",
            method="documentary",
            scope="food_sales",
        ),
    ]


@hookimpl
def zhifa_violations() -> Iterable[Violation]:
    return load_catalogue(HERE / "violations.yaml", "{{short}}")


@hookimpl
def zhifa_sampling_policy(department: str) -> SamplingPolicy | None:
    if not department.startswith(DEPARTMENT_PREFIX):
        return None
    return SamplingPolicy(
        ratios={
            "A": Decimal("0.02"),
            "B": Decimal("0.05"),
            "C": Decimal("0.10"),
            "D": Decimal("0.30"),
        },
        exempt=frozenset({"A"}),
        yearly_cap={"B": 1},
        grace_days=180,
        basis="本局“双随机、一公开”抽查工作细则（示例）",
    )


@hookimpl
def zhifa_document_templates(department: str) -> dict[str, Path] | None:
    # templates/<kind>.docx replaces zhifa's template of that kind (zhifa doc kinds) for these
    # departments; start from a copy of zhifa/documents/templates/<kind>.docx
    if not department.startswith(DEPARTMENT_PREFIX):
        return None
    return {p.stem: p for p in sorted((HERE / "templates").glob("*.docx"))}


@hookimpl
def zhifa_cli(app: Any) -> None:
    @app.command("{{short}}-hello")
    def hello() -> None:
        """Say which plugin this is."""
        print("{{dist}} is loaded")
'''

VIOLATIONS = """
# One entry of this department's violation catalogue (see zhifa.rules for the format).
- code: {{short}}-126-3
  name: 未按规定建立并遵守进货查验记录制度
  basis: 食品安全法 第五十三条
  penalty_basis: 食品安全法 第一百二十六条第一款第（三）项
  in_force_from: 2021-04-29
  measures: [责令改正，给予警告, 情节严重的，责令停产停业，直至吊销许可证]
  no_penalty: 首次违法、危害后果轻微并及时改正的，可以不予行政处罚（行政处罚法 第三十三条第一款）
  bands:
    - {low: 5000, high: 50000, when: [refused_to_correct]}
  tiers:
    lighter:
      circumstances: {corrected_quickly: 责令改正后三日内改正到位}
    heavier:
      circumstances: {repeat_within_year: 一年内因同一违法行为受过处罚}
"""

WORKFLOW = """
name: {{package}}_notice
version: 1
label: {zh: 张贴公告, en: Posted notice}
description: A notice posted at the entity's premises, then taken down.
basis: 本局执法文书送达规定 第三条
initial: drafted
states:
  drafted: {zh: 已起草, en: Drafted}
  posted: {zh: 已张贴, en: Posted}
  removed: {zh: 已撤除, en: Removed, terminal: true}
open:
  label: {zh: 起草公告, en: Draft the notice}
  roles: [case_handler]
  fields:
    summary: {type: text, required: true, label: {zh: 公告内容, en: Text}}
triggers:
  post:
    label: {zh: 张贴, en: Post}
    from: drafted
    to: posted
    roles: [case_handler]
    fields:
      photo: {type: string, label: {zh: 照片编号, en: Photo}}
    guards: [{{package}}_photo_attached]
  remove:
    label: {zh: 撤除, en: Take down}
    from: posted
    to: removed
    roles: [case_handler]
clocks:
  posting:
    label: {zh: 张贴期限, en: Posting period}
    basis: 本局执法文书送达规定 第三条 — posted within 3 working days
    unit: working_days
    days: 3
    runs_in: [drafted]
"""

CONFTEST = '''
"""The plugin under test, for the fixtures of zhifa.testing."""

import pytest

from {{package}} import plugin


@pytest.fixture
def zhifa_plugin() -> object:
    return plugin
'''

TESTS = '''
"""{{dist}}: every hook, through the fixtures of zhifa.testing."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
import typer

from zhifa import GuardRefused, effects_of
from zhifa.rules import Facts, check_decision, suggest
from {{package}} import plugin


def test_the_workflow_variant_runs_with_its_guard(zhifa_engine, zhifa_officers, zhifa_clock):
    handler = zhifa_officers["case_handler"]
    notice = zhifa_engine.open("{{package}}_notice", handler, {"summary": "停业整顿公告"}).matter
    zhifa_clock.advance(hours=1)
    with pytest.raises(GuardRefused) as err:
        zhifa_engine.advance(notice, "post", handler, {})
    assert "photo" in err.value.reasons[0]
    posted = zhifa_engine.advance(notice, "post", handler, {"photo": "IMG-001"}).matter
    assert posted.state == "posted"
    assert "post" in plugin.STEPS_SEEN
    assert any(m.event["trigger"] == "post" for m in plugin.SINK.received.values())
    # the effect declared before the step is in its hashed event, and the sink applied it
    (effect,) = effects_of(zhifa_engine.history(posted.id)[-1])
    assert (effect.kind, effect.payload) == ("notice_register_entry", {"photo": "IMG-001"})
    assert {"photo": "IMG-001"} in plugin.SINK.register.values()


def test_the_local_holiday_is_a_day_off(zhifa_engine):
    assert not zhifa_engine.calendar.is_working_day(date(2026, 5, 20))


def test_checklists_and_catalogue_load(zhifa_plugins):
    assert {i.code for i in zhifa_plugins.checklists().values()} >= {"{{short}}-1", "{{short}}-2"}
    (entry,) = zhifa_plugins.violations()["{{short}}-126-3"]
    facts = Facts(circumstances=frozenset({"refused_to_correct"}))
    found = suggest(entry, facts)
    assert found.legal == (Decimal(5000), Decimal(50000))
    assert check_decision(found, Decimal(50000))[0] == []  # the largest fine allowed
    assert check_decision(found, Decimal(50001))[0] != []  # and the next yuan


def test_sampling_policy(zhifa_plugins):
    policy = zhifa_plugins.sampling_policy("ANY")
    assert policy.ratio("A") == 0 and policy.ratio("D") == Decimal("0.30")


def test_cli_command(capsys):
    app = typer.Typer()
    plugin.zhifa_cli(app)
    assert [c.name for c in app.registered_commands] == ["{{short}}-hello"]
'''
