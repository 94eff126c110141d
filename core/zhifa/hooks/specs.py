"""Every hook a zhifa plugin can implement. The docstrings are the reference documentation.

A plugin is a module or object with functions marked ``@zhifa.hookimpl`` whose names are the hook
names below; it is found through the ``zhifa`` entry-point group (or passed to ``Plugins`` in tests).
The national baseline procedure (``zhifa.plugins.baseline``) is registered through the same manager.
zhifa calls each implementation itself, so an error is reported with the plugin's name; wrappers
(``hookwrapper=True``) are not supported.

Trust: guards and ``zhifa_before_transition`` only read (a write is refused, and the step with it,
as :class:`~zhifa.errors.PluginWriteRefused`), and what a plugin wants a step to change besides
the matter it declares with ``ctx.effect(kind, payload)``, recorded in the step's hashed event.
Guards and the hooks called in a step (``zhifa_before_transition``, ``zhifa_after_transition``)
run within the plugin's time limit (2 s unless ``zhifa.toml`` says otherwise; see
:mod:`zhifa.plugins.config`). The hooks zhifa calls at start (workflows, guards, sinks, calendar,
violations, checklists) decide whether a plugin works: one that raises, or a malformed workflow
file, disables the plugin, and the departments that use it are refused until it is fixed
(:mod:`zhifa.plugins.manager`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:  # annotations only: importing the markers stays cheap for a plugin
    from zhifa.calendar import CalendarAddition
    from zhifa.hooks.types import EventRecord, Guard, ReportingSink, StepContext
    from zhifa.rules import ChecklistItem, SamplingPolicy, Violation
    from zhifa.rules.credit import CreditScheme
    from zhifa.rules.measures import Measure

hookspec = pluggy.HookspecMarker("zhifa")
"""Marker for the hook specifications below (zhifa's own; plugins do not need it)."""

hookimpl = pluggy.HookimplMarker("zhifa")
"""Marker for plugin hook implementations: ``@zhifa.hookimpl`` (the same object)."""


@hookspec
def zhifa_workflows() -> Iterable[Path]:
    """Workflow definition files (YAML) this plugin ships.

    Each file is validated against ``workflow.schema.json`` when zhifa starts; a file with the
    same name and version as another plugin's but different content is refused, naming both.
    A department that changes a workflow gives it a new ``version``: running matters stay on the
    version they were opened on.

    Example::

        @zhifa.hookimpl
        def zhifa_workflows():
            return [Path(__file__).parent / "workflows" / "food_clue.yaml"]
    """


@hookspec
def zhifa_guards() -> Iterable[Guard]:
    """Named guards that workflow definitions can require on a step.

    A guard's ``check(ctx, **args)`` returns None to let the step go on, or one or more reasons,
    each citing the rule (law and article). The engine runs every guard of a step and reports all
    failing reasons together; nothing is written. Two plugins may not register the same name.

    A guard only reads. ``ctx.connection`` offers ``execute``, ``scalar`` and ``scalars`` of
    SELECT statements, ``ctx.session`` reads but never flushes, and the database itself is in
    read-only mode for the step's connection while the guard runs (SQLite's ``query_only``, a
    read-only savepoint on PostgreSQL): any INSERT, UPDATE, DELETE or DDL — through the
    connection, the session, the driver's own cursor or another connection from the guard's
    thread — refuses the step with :class:`~zhifa.errors.PluginWriteRefused` naming the plugin and
    the guard, also when the guard catches the error. A change the step should make besides the
    matter is declared instead: ``ctx.effect(kind, payload)`` (see
    :meth:`~zhifa.hooks.types.StepContext.effect` and ``zhifa_before_transition``).

    Each call runs within the plugin's time limit (:data:`zhifa.plugins.config.DEFAULT_TIME_LIMIT`,
    2 s, unless ``[time_limits]`` in ``zhifa.toml`` says otherwise; the baseline has none unless
    named there). A guard still running at the limit refuses the step with
    :class:`~zhifa.errors.PluginTimeout`; its thread is abandoned and the step's connection
    discarded, so the transaction and its locks are released at the limit.

    Example::

        def _sample_kept(ctx, **args):
            if not ctx.data.get("sample_id"):
                return "a sample must be kept (食品安全法 第八十七条)"
            return None

        @zhifa.hookimpl
        def zhifa_guards():
            return [Guard("sample_kept", _sample_kept, "a sample is kept", needs_data=True)]
    """


@hookspec
def zhifa_before_transition(ctx: StepContext) -> Iterable[str] | None:
    """Called for every step (including the opening one) after the workflow's own guards passed.

    Return reasons to refuse the step (they are reported like guard reasons), or None. Runs inside
    the step's transaction, read-only and within the plugin's time limit, as a guard does (see
    ``zhifa_guards``): a write refuses the step with :class:`~zhifa.errors.PluginWriteRefused`.

    **Effects.** A plugin that needs a step to change something besides the matter — register a
    sample with the laboratory, note a notice in the bureau's register — declares it, from here or
    from a guard::

        @zhifa.hookimpl
        def zhifa_before_transition(ctx):
            if ctx.step.name == "send":
                ctx.effect("sample_registered", {"sample": ctx.data["sample_id"], "copies": 2})
            return None

    Once every guard and hook passed, the engine records the effects in the step's event data
    under ``"_effects"``, each as ``{"plugin": NAME, "kind": …, "payload": …}`` in the order
    declared: they are part of the event's hash, shown in the matter's history (``zhifa matter
    show``) and verified by ``zhifa audit verify``. A refused step records none. The engine runs
    nothing and no plugin writes a table through it: the record is the effect. The plugin applies
    it where it keeps its own data from its reporting sink, which receives the committed event
    (``zhifa.effects_of(message.event, plugin)``), at least once and keyed. ``kind`` is lower
    case (letters, digits, ``_ . -``), the payload a JSON mapping, at most 64 KiB a plugin a step;
    ``_effects`` in ``ctx.derived`` is the engine's and refused.
    """


@hookspec
def zhifa_after_transition(ctx: StepContext, event: EventRecord) -> None:
    """Called inside the step's transaction after its event is appended, before commit.

    A plugin may write its own rows through ``ctx.session`` (or Core statements on
    ``ctx.connection``): they are flushed and committed with the step; if it raises, the whole step
    is rolled back with them and the error names the plugin. These rows are not part of the
    event: a change the record must show is better declared as an effect before the step (see
    ``zhifa_before_transition``); ``ctx.effects`` holds those recorded. Each call runs within the
    plugin's time limit; one that overruns it rolls the step back
    (:class:`~zhifa.errors.PluginTimeout`). Notifications to the outside world belong in a
    reporting sink, which runs after commit.
    """


@hookspec
def zhifa_reporting_sinks() -> Iterable[ReportingSink]:
    """Sinks that receive committed steps through the outbox.

    For each step, every sink whose ``wants(event)`` is true gets one outbox message in the step's
    transaction. After commit the engine calls ``deliver(message)``: ``message.event`` is the
    recorded step and ``message.matter`` the matter after it (department name, entity, data). A
    sink that raises, or does not return within its ``timeout`` (seconds, default 10), is retried
    later with backoff and never rolls back or blocks the matter; `zhifa outbox` shows its error.
    Messages carry a stable ``key`` so a sink can ignore one it has already handled (a timed-out
    delivery may still complete late). The baseline's ``publicity`` sink writes the 双公示 records.
    """


@hookspec
def zhifa_calendar_additions() -> Iterable[CalendarAddition]:
    """Local holidays (``working=False``) or working days (``working=True``) for the calendar.

    They override the official calendar on their day and count in every statutory clock.

    Example::

        @zhifa.hookimpl
        def zhifa_calendar_additions():
            return [CalendarAddition(date(2026, 9, 30), working=False, reason="地方性节日")]
    """


@hookspec
def zhifa_checklists() -> Iterable[ChecklistItem]:
    """Inspection items this department's inspections check (检查事项).

    Each item has a code (unique across the loaded plugins), a name, its legal basis, the method
    (``on_site``, ``documentary`` or ``online``), whether it is a ``general`` or a ``key`` item,
    and the kind of business it applies to (``scope``). Inspection tasks and random-inspection
    plans draw their items from here.

    Example::

        @zhifa.hookimpl
        def zhifa_checklists():
            return [
                ChecklistItem(
                    "SP-1.1", "食品经营许可证合法有效", "食品生产经营监督检查管理办法 第十三条",
                    method="on_site", kind="key", scope="food_sales",
                )
            ]
    """


@hookspec
def zhifa_violations() -> Iterable[Violation]:
    """This department's violation catalogue with its discretion benchmarks (裁量基准).

    Each :class:`~zhifa.rules.Violation` names the rule violated and the provision that sets
    the penalty, the fines as bands (fixed ranges, or multiples of the goods value or illegal
    gains, with the thresholds that switch between them), the discretion tiers with their
    circumstances, whether it is on the department's no-penalty or reduced-penalty list, its own
    hearing threshold, and the dates it is in force. A code declared by two plugins is refused at
    load, naming both. Most plugins keep the catalogue in a YAML file read by
    :func:`zhifa.rules.load_catalogue`.

    Example::

        @zhifa.hookimpl
        def zhifa_violations():
            return load_catalogue(Path(__file__).parent / "violations.yaml", "zhifa-market")
    """


@hookspec
def zhifa_sampling_policy(department: str) -> SamplingPolicy | None:
    """The random-inspection sampling policy of ``department``, or None to leave it to others.

    The first plugin that returns a policy for the department decides it; with none,
    :data:`zhifa.rules.DEFAULT_POLICY` applies. Random-inspection plans take the shares per
    credit class or risk level, the exempt classes, the yearly caps and the grace period of new
    businesses from it.

    Example::

        @zhifa.hookimpl
        def zhifa_sampling_policy(department):
            if not department.startswith("SC"):
                return None
            return SamplingPolicy(
                ratios={"A": Decimal("0.02"), "B": Decimal("0.05"), "C": Decimal("0.1"),
                        "D": Decimal("0.3")},
                exempt=frozenset({"A"}), yearly_cap={"B": 1}, grace_days=180,
                basis="某省市场监管局“双随机、一公开”抽查工作细则",
            )
    """


@hookspec
def zhifa_credit_scheme(department: str) -> CreditScheme | None:
    """The credit-risk classification scheme (企业信用风险分类) of ``department``, or None to leave
    it to others.

    The first plugin that returns a scheme for the department decides it; with none,
    :data:`zhifa.rules.credit.NATIONAL_SCHEME` applies. ``zhifa credit classify --dept`` computes
    every entity's class with it from the entity's credit file: a base score, indicators (records
    of a kind, optionally with a flag, within a window of months, points each up to a cap), score
    bands from A down to D, and overrides that put an entity straight into a class. The scheme's
    name and version are stored with every class it computes, so change the version whenever a
    figure changes. A scheme is data: build it with :class:`zhifa.rules.credit.CreditScheme` or read
    it from YAML with :func:`zhifa.rules.credit.load_credit_scheme` (faults are one sentence naming
    the file and the entry).

    Example::

        from pathlib import Path
        from zhifa import load_credit_scheme

        SCHEME = load_credit_scheme(Path(__file__).with_name("credit_scheme.yaml"))

        @zhifa.hookimpl
        def zhifa_credit_scheme(department):
            return SCHEME if department.startswith("SC") else None
    """


@hookspec
def zhifa_credit_measures(department: str | None) -> Sequence[Measure] | None:
    """The joint measures (联合奖惩措施) a plugin adds for ``department`` (None: asked for all
    departments), or None to add none.

    Every plugin the department uses contributes; the baseline's national measures
    (:data:`zhifa.rules.measures.NATIONAL_MEASURES`) come first. A measure is data: what in the
    entity's credit file triggers it (records of a kind, optionally with a flag, within a window
    of months, until a record of ``ended_by``, unless records of the ``unless`` kinds are in the
    window), the activities it concerns (as ``zhifa credit check --for`` names them), whether it
    is a punishment (失信惩戒) or an incentive (守信激励, e.g. for a red list imported from the
    body that keeps it), its content, legal basis, implementer and category 1–3. Build it with
    :class:`zhifa.rules.measures.Measure` or read a YAML list with
    :func:`zhifa.rules.measures.load_measures` (faults are one sentence naming the file and the
    entry). A code another plugin declared already is refused, naming both plugins.
    ``zhifa credit check ENTITY --for ACTIVITY --dept CODE`` answers with them.

    Example::

        from pathlib import Path
        from zhifa.rules.measures import load_measures

        MEASURES = load_measures(Path(__file__).with_name("measures.yaml"))

        @zhifa.hookimpl
        def zhifa_credit_measures(department):
            return MEASURES
    """


@hookspec
def zhifa_document_templates(department: str) -> Mapping[str, Any] | None:
    """The department's own templates of enforcement documents (执法文书): a mapping of kind code
    (``penalty_decision``, ``hearing_notice``…; ``zhifa doc kinds`` lists them) to a .docx path,
    or to a :class:`zhifa.documents.DocumentTemplate` that also sets the kind's number word; None
    (or an empty mapping) keeps the shipped templates.

    Called once per department an engine issues documents for, among the plugins the department
    uses; the first plugin to give a kind decides it. A template is a docxtpl file: Jinja tags in
    the text (``{{ number }}``, ``{{ party.name }}``, ``{{ fine_words }}``…, the names
    :mod:`zhifa.documents.render` fills in; start from the shipped one in
    ``zhifa/documents/templates/``). An unknown kind, a missing file or a number word with digits
    or brackets is :class:`~zhifa.errors.PluginError` naming the plugin; a template that fails to
    render refuses the step that issues it, naming the template and the plugin, and nothing is
    written: no number is used.

    Example::

        from pathlib import Path
        from zhifa.documents import DocumentTemplate

        HERE = Path(__file__).parent / "templates"

        @zhifa.hookimpl
        def zhifa_document_templates(department):
            if not department.startswith("HZ"):
                return None
            return {
                "penalty_decision": HERE / "decision.docx",
                "demand": DocumentTemplate(HERE / "demand.docx", word="催缴"),
            }
    """


@hookspec
def zhifa_cli(app: Any) -> None:
    """Add commands to the ``zhifa`` command line; ``app`` is its :class:`typer.Typer`.

    Commands follow zhifa's conventions: ``--db`` and ``--json`` options, errors raised as
    :class:`zhifa.errors.ZhifaError` subclasses (one sentence; exit 1 for a refusal, 2 for bad
    input), never a traceback. A plugin that fails here is named in the error.

    Example::

        @zhifa.hookimpl
        def zhifa_cli(app):
            @app.command("market-report")
            def market_report(year: int) -> None:
                \"\"\"Print the bureau's yearly penalty statistics.\"\"\"
                ...
    """
