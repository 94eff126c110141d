"""Workflow definitions: load a YAML file, validate it against the schema and the graph rules,
and turn it into immutable specs the engine, the CLI and the sandbox all read.

An error names the file, the path inside it and the fault, e.g.
``workflow definition clue.yaml at triggers.extend.to: state 'verifyng' is not declared``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import fastjsonschema
import yaml

from zhifa.errors import DefinitionError
from zhifa.roles import ROLES

OPEN = "open"  # the trigger name recorded for the step that opens a matter


@dataclass(frozen=True, slots=True)
class Label:
    zh: str
    en: str

    def __str__(self) -> str:
        return f"{self.zh} ({self.en})"


CONFIDENTIAL = "(confidential)"
"""What a confidential field shows to whoever does not handle the matter (投诉举报处理暂行办法 第三十三条)."""


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    type: str
    label: Label
    required: bool = False
    description: str = ""
    choices: Mapping[str, Label] = field(default_factory=dict)
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None
    schema: Mapping[str, Any] | None = None  # for type json: the JSON schema its value must meet
    check: Callable[[Any], Any] | None = field(default=None, compare=False, repr=False)
    confidential: bool = False  # personal data shown only to the officers handling the matter


@dataclass(frozen=True, slots=True)
class GuardRef:
    name: str
    args: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class StepSpec:
    """A trigger (or the opening step): who may take it, what it needs, where it goes."""

    name: str
    label: Label
    moves: Mapping[str | None, str]  # from-state → to-state; the opening step has {None: initial}
    roles: frozenset[str]
    fields: Mapping[str, FieldSpec]
    guards: tuple[GuardRef, ...]
    certificate: bool
    description: str = ""
    basis: str = ""

    @property
    def sources(self) -> tuple[str | None, ...]:
        return tuple(self.moves)


@dataclass(frozen=True, slots=True)
class StateSpec:
    name: str
    label: Label
    terminal: bool
    description: str = ""


@dataclass(frozen=True, slots=True)
class ClockSpec:
    """A statutory deadline: ``days`` working or calendar days while the matter is in ``runs_in``.

    ``starts_from`` names a date field of the step that starts the clock: the clock then counts
    from that date instead of the step's own (a step that did not record the field falls back to
    its own date). An extension adds a fixed number of days (``extended_by``) or the days its
    step records in a required integer field (``extended_by_field``).
    """

    name: str
    label: Label
    basis: str
    unit: str  # "working_days" | "calendar_days"
    days: int
    runs_in: frozenset[str]
    paused_in: frozenset[str]
    extended_by: tuple[tuple[str, int], ...] = ()  # (trigger, days added each time it is taken)
    extended_by_field: tuple[tuple[str, str], ...] = ()  # (trigger, its field giving the days)
    starts_from: str | None = None  # the starting step's date field the clock counts from

    def extension_days(self, trigger: str, data: Mapping[str, Any] | None = None) -> int:
        """Days a step with ``trigger`` and ``data`` adds to this clock (0 when it does not extend
        it): a fixed number, or the whole number of days the step recorded in the clock's
        ``days_field`` (0 when the step did not record a positive number)."""
        for name, days in self.extended_by:
            if name == trigger:
                return days
        for name, field_name in self.extended_by_field:
            if name == trigger:
                value = data.get(field_name) if data is not None else None
                return value if type(value) is int and value > 0 else 0
        return 0


EXPECTED_STATE = "expected"  # the one state of an expectation's clock: it runs until the follow-up


@dataclass(frozen=True, slots=True)
class Expectation:
    """A follow-up this workflow owes to a step of another: once a matter of ``workflow`` takes
    one of ``triggers``, a matter of this workflow must be opened following it within ``clock``
    (a penalty decision is registered for publication within 20 working days of it).

    ``when`` and ``unless`` read what the earlier matter recorded, as ``trigger.field`` → values:
    the follow-up is owed when every ``when`` field has one of its values and no ``unless`` field
    has one of its values.
    """

    workflow: str
    triggers: frozenset[str]
    clock: ClockSpec
    when: Mapping[str, frozenset[Any]] = field(default_factory=dict)
    unless: Mapping[str, frozenset[Any]] = field(default_factory=dict)

    def owed(self, data: Mapping[str, Any]) -> bool:
        """Whether an earlier matter with ``data`` (its fields by trigger) owes the follow-up."""

        def value(path: str) -> Any:
            trigger, name = path.split(".", 1)
            return (data.get(trigger) or {}).get(name)

        return all(value(p) in allowed for p, allowed in self.when.items()) and not any(
            value(p) in refused for p, refused in self.unless.items()
        )


@dataclass(frozen=True, slots=True, eq=False)
class Definition:
    """One version of a workflow, validated. Compared and hashed by identity."""

    name: str
    version: int
    label: Label
    description: str
    basis: str
    initial: str
    states: Mapping[str, StateSpec]
    open: StepSpec
    triggers: Mapping[str, StepSpec]
    clocks: Mapping[str, ClockSpec]
    source_name: str
    source_text: str
    digest: str
    # the workflows a matter of this one may follow (Engine.open(follows=)), each with the states
    # the earlier matter must be in; empty: it may follow any matter
    follows: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # follow-ups this workflow owes to steps of other workflows, with their deadlines
    expected: tuple[Expectation, ...] = ()

    @property
    def key(self) -> tuple[str, int]:
        return (self.name, self.version)

    def step(self, name: str) -> StepSpec:
        return self.open if name == OPEN else self.triggers[name]

    def triggers_from(self, state: str) -> list[StepSpec]:
        return [t for t in self.triggers.values() if state in t.moves]

    def guard_names(self) -> set[str]:
        steps = [self.open, *self.triggers.values()]
        return {g.name for s in steps for g in s.guards}

    def confidential(self, step: str) -> frozenset[str]:
        """The fields of ``step`` marked confidential (none for a step the definition lacks)."""
        spec = self.open if step == OPEN else self.triggers.get(step)
        if spec is None:
            return frozenset()
        return frozenset(n for n, f in spec.fields.items() if f.confidential)

    def redact_step(self, step: str, data: Mapping[str, Any]) -> dict[str, Any]:
        """``data`` of ``step`` with each confidential field's value replaced by
        :data:`CONFIDENTIAL` (the record keeps it; who sees it is the caller's decision)."""
        hidden = self.confidential(step)
        return {k: (CONFIDENTIAL if k in hidden and v is not None else v) for k, v in data.items()}

    def redact_data(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """A matter's data (step name → that step's values) with confidential fields redacted."""
        return {k: self.redact_step(k, v) if isinstance(v, Mapping) else v for k, v in data.items()}


@cache
def _validator() -> Callable[[Any], Any]:
    """The definition schema compiled once per process."""
    text = files("zhifa.workflows").joinpath("workflow.schema.json").read_text("utf-8")
    validate: Callable[[Any], Any] = fastjsonschema.compile(json.loads(text))
    return validate


def _value_schema(
    schema: Mapping[str, Any] | None, src: str, path: str
) -> Callable[[Any], Any] | None:
    """The compiled JSON schema of a json field, or a definition error naming its path."""
    if schema is None:
        return None
    try:
        check: Callable[[Any], Any] = fastjsonschema.compile(dict(schema))
    except fastjsonschema.JsonSchemaDefinitionException as exc:
        raise _fault(src, path, f"is not a valid JSON schema: {exc}") from None
    return check


def describe_value_error(err: fastjsonschema.JsonSchemaValueException) -> str:
    """A json field's schema violation as one phrase naming where in the value it is."""
    where = (err.name or "data").replace("data", "value", 1)
    detail = err.message.removeprefix(err.name or "").strip()
    return f"{where} {detail}"


def _label(raw: Mapping[str, str]) -> Label:
    return Label(raw["zh"], raw["en"])


_IDENT = re.compile(r"^[a-z][a-z0-9_]*$")


def _describe(err: fastjsonschema.JsonSchemaValueException) -> str:
    """One sentence naming the offending key or value for a schema violation."""
    quoted = re.findall(r"'([^']+)'", err.message)
    value = err.value
    if err.rule == "required":
        return "; ".join(f"{q!r} is a required property" for q in quoted)
    if err.rule == "additionalProperties":
        return "; ".join(f"{q!r} was unexpected (not a key allowed here)" for q in quoted)
    if err.rule == "propertyNames" and isinstance(value, dict):
        bad = [k for k in value if not (isinstance(k, str) and _IDENT.match(k))]
        names = ", ".join(repr(k) for k in bad) or "a key"
        return f"name {names} must start with a lower-case letter and use only a-z, 0-9 and _"
    if err.rule == "enum":
        return f"{value!r} is not allowed: {err.message.split(' must ', 1)[-1].replace('be one of', 'use one of')}"
    if err.rule == "not" and isinstance(value, dict) and "choices" in value:
        return "'choices' is allowed only on fields of type enum"
    if err.rule == "not" and isinstance(value, dict) and "schema" in value:
        return "'schema' is allowed only on fields of type json"
    detail = err.message.removeprefix(err.name or "").strip()
    return f"{value!r} {detail}" if isinstance(value, str | int | float) else detail


def parse_definition(text: str, source_name: str) -> Definition:
    """Parse and validate one definition; raise :class:`DefinitionError` naming the fault."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        raise DefinitionError(source_name, where, f"not valid YAML ({exc})") from None
    except RecursionError:
        raise DefinitionError(
            source_name, "", "nests lists or mappings far too deep to read; flatten it"
        ) from None
    if not isinstance(raw, dict):
        raise DefinitionError(source_name, "", "a definition must be a mapping at the top level")
    try:
        _validator()(raw)
    except fastjsonschema.JsonSchemaValueException as err:
        path = (err.name or "data").removeprefix("data").lstrip(".")
        raise DefinitionError(source_name, path, _describe(err)) from None
    return _build(raw, text, source_name)


def _fault(source: str, path: str, fault: str) -> DefinitionError:
    return DefinitionError(source, path, fault)


def _build(raw: dict[str, Any], text: str, src: str) -> Definition:
    states = {
        name: StateSpec(
            name, Label(s["zh"], s["en"]), bool(s.get("terminal")), s.get("description", "")
        )
        for name, s in raw["states"].items()
    }

    def need_state(name: str, path: str) -> str:
        if name not in states:
            raise _fault(src, path, f"state {name!r} is not declared under states")
        return name

    need_state(raw["initial"], "initial")
    if states[raw["initial"]].terminal:
        raise _fault(src, "initial", "the initial state cannot be terminal")

    def step(name: str, body: dict[str, Any], path: str, moves: dict[str | None, str]) -> StepSpec:
        for i, role in enumerate(body["roles"]):
            if role not in ROLES:
                raise _fault(
                    src, f"{path}.roles[{i}]", f"unknown role {role!r}; known: {', '.join(ROLES)}"
                )
        fields = {}
        for fname, f in (body.get("fields") or {}).items():
            fields[fname] = FieldSpec(
                name=fname,
                type=f["type"],
                label=_label(f["label"]),
                required=bool(f.get("required", False)),
                description=f.get("description", ""),
                choices={k: _label(v) for k, v in (f.get("choices") or {}).items()},
                minimum=f.get("min"),
                maximum=f.get("max"),
                max_length=f.get("max_length"),
                schema=f.get("schema"),
                check=_value_schema(f.get("schema"), src, f"{path}.fields.{fname}.schema"),
                confidential=bool(f.get("confidential", False)),
            )
        guards = tuple(
            GuardRef(g, {})
            if isinstance(g, str)
            else GuardRef(g["name"], {k: v for k, v in g.items() if k != "name"})
            for g in body.get("guards") or ()
        )
        return StepSpec(
            name=name,
            label=_label(body["label"]),
            moves=moves,
            roles=frozenset(body["roles"]),
            fields=fields,
            guards=guards,
            certificate=bool(body.get("certificate", True)),
            description=body.get("description", ""),
            basis=body.get("basis", ""),
        )

    open_body = raw["open"]
    for key in ("from", "to"):
        if key in open_body:
            raise _fault(src, f"open.{key}", "the opening step always leads to the initial state")
    open_step = step(OPEN, open_body, "open", {None: raw["initial"]})

    triggers: dict[str, StepSpec] = {}
    for tname, body in raw["triggers"].items():
        path = f"triggers.{tname}"
        sources = [body["from"]] if isinstance(body["from"], str) else list(body["from"])
        for i, s in enumerate(sources):
            need_state(s, f"{path}.from" + (f"[{i}]" if isinstance(body["from"], list) else ""))
            if states[s].terminal:
                raise _fault(src, f"{path}.from", f"state {s!r} is terminal; nothing leaves it")
        to = body["to"]
        if isinstance(to, str):
            moves: dict[str | None, str] = {s: need_state(to, f"{path}.to") for s in sources}
        else:
            if set(to) != set(sources):
                raise _fault(
                    src,
                    f"{path}.to",
                    f"the mapping must name exactly the from-states {sorted(sources)}",
                )
            moves = {s: need_state(d, f"{path}.to.{s}") for s, d in to.items()}
        for s, d in moves.items():
            if s == d:
                raise _fault(
                    src, f"{path}.to", f"{s!r} → {d!r} does not change the state; every step must"
                )
        triggers[tname] = step(tname, body, path, moves)

    clocks: dict[str, ClockSpec] = {}
    for cname, c in (raw.get("clocks") or {}).items():
        path = f"clocks.{cname}"
        for key in ("runs_in", "paused_in"):
            for i, s in enumerate(c.get(key, ())):
                need_state(s, f"{path}.{key}[{i}]")
        runs_in = frozenset(c["runs_in"])
        starts_from = c.get("starts_from")
        if starts_from is not None:
            for starter in _starters(raw["initial"], runs_in, open_step, triggers):
                problem = _field_problem(starter, starts_from, "date")
                if problem:
                    raise _fault(
                        src,
                        f"{path}.starts_from",
                        f"{problem}; the clock counts from this date field of every step that "
                        "can start it",
                    )
        fixed, recorded = _extensions(src, path, c.get("extended_by"), triggers)
        clocks[cname] = ClockSpec(
            name=cname,
            label=_label(c["label"]),
            basis=c["basis"],
            unit=c["unit"],
            days=c["days"],
            runs_in=runs_in,
            paused_in=frozenset(c.get("paused_in", ())),
            extended_by=fixed,
            extended_by_field=recorded,
            starts_from=starts_from,
        )

    _check_graph(src, raw["initial"], states, triggers)
    return Definition(
        name=raw["name"],
        version=raw["version"],
        label=_label(raw["label"]),
        description=raw.get("description", ""),
        basis=raw.get("basis", ""),
        initial=raw["initial"],
        states=states,
        open=open_step,
        triggers=triggers,
        clocks=clocks,
        source_name=src,
        source_text=text,
        digest=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        follows={w: frozenset(s) for w, s in (raw.get("follows") or {}).items()},
        expected=tuple(
            _expectation(raw["name"], e, i) for i, e in enumerate(raw.get("expected") or ())
        ),
    )


def _expectation(name: str, raw: Mapping[str, Any], index: int) -> Expectation:
    """An ``expected`` entry; its references to the other workflow are checked when the engine
    loads both (see ``zhifa.engine.registry.Registry``)."""

    def paths(key: str) -> dict[str, frozenset[Any]]:
        return {p: frozenset(v) for p, v in (raw.get(key) or {}).items()}

    after = raw["after"]
    return Expectation(
        workflow=after["workflow"],
        triggers=frozenset(after["triggers"]),
        clock=ClockSpec(
            name=f"open_{name}" + (f"_{index}" if index else ""),
            label=_label(raw["label"]),
            basis=raw["basis"],
            unit=raw["unit"],
            days=raw["days"],
            runs_in=frozenset({EXPECTED_STATE}),
            paused_in=frozenset(),
        ),
        when=paths("when"),
        unless=paths("unless"),
    )


def _starters(
    initial: str, runs_in: frozenset[str], open_step: StepSpec, triggers: Mapping[str, StepSpec]
) -> list[StepSpec]:
    """The steps that can start a clock running in ``runs_in``: the opening step when the initial
    state is one of them, else every trigger that leads into them from a state a matter can be in
    before it first enters them."""
    if initial in runs_in:
        return [open_step]
    before, todo = {initial}, [initial]
    while todo:
        here = todo.pop()
        for t in triggers.values():
            to = t.moves.get(here)
            if to is not None and to not in runs_in and to not in before:
                before.add(to)
                todo.append(to)
    return [
        t
        for t in triggers.values()
        if any(s in before and d in runs_in for s, d in t.moves.items())
    ]


def _field_problem(step: StepSpec, name: str, kind: str) -> str | None:
    """Why ``step`` has no field ``name`` of type ``kind``, or None when it has."""
    who = "the opening step" if step.name == OPEN else f"trigger {step.name!r}"
    spec = step.fields.get(name)
    if spec is None:
        return f"{who} has no field {name!r}"
    if spec.type != kind:
        return f"field {name!r} of {who} is of type {spec.type}, not {kind}"
    return None


def _extensions(
    src: str, path: str, raw: Any, triggers: Mapping[str, StepSpec]
) -> tuple[tuple[tuple[str, int], ...], tuple[tuple[str, str], ...]]:
    """A clock's ``extended_by`` (one entry or a list): the triggers adding a fixed number of days,
    and those adding the days recorded in one of their integer fields."""
    entries = [raw] if isinstance(raw, dict) else raw or []
    fixed: list[tuple[str, int]] = []
    recorded: list[tuple[str, str]] = []
    for i, e in enumerate(entries):
        where = f"{path}.extended_by" + ("" if isinstance(raw, dict) else f"[{i}]")
        name = e["trigger"]
        if name not in triggers:
            raise _fault(src, f"{where}.trigger", f"trigger {name!r} is not declared")
        if any(name == t for t, _ in (*fixed, *recorded)):
            raise _fault(src, f"{where}.trigger", f"trigger {name!r} already extends this clock")
        if ("days" in e) == ("days_field" in e):
            raise _fault(
                src,
                where,
                "give exactly one of 'days' (a fixed number) and 'days_field' (the trigger's "
                "integer field recording the days)",
            )
        if "days" in e:
            fixed.append((name, e["days"]))
            continue
        field_name = e["days_field"]
        problem = _field_problem(triggers[name], field_name, "integer")
        if problem is None and not triggers[name].fields[field_name].required:
            problem = f"field {field_name!r} of trigger {name!r} is not required"
        if problem:
            raise _fault(
                src,
                f"{where}.days_field",
                f"{problem}; each step with this trigger records the days it adds in this "
                "required integer field",
            )
        recorded.append((name, field_name))
    return tuple(fixed), tuple(recorded)


def _check_graph(
    src: str, initial: str, states: Mapping[str, StateSpec], triggers: Mapping[str, StepSpec]
) -> None:
    """Every state is reachable from the initial one, and every non-terminal state has a way out."""
    edges: dict[str, set[str]] = {s: set() for s in states}
    for t in triggers.values():
        for s, d in t.moves.items():
            assert s is not None
            edges[s].add(d)
    seen, todo = {initial}, [initial]
    while todo:
        for d in edges[todo.pop()]:
            if d not in seen:
                seen.add(d)
                todo.append(d)
    for name, spec in states.items():
        if name not in seen:
            raise _fault(
                src, f"states.{name}", "no trigger leads to this state from the initial state"
            )
        if not spec.terminal and not edges[name]:
            raise _fault(
                src, f"states.{name}", "no trigger leaves this state; mark it terminal or add one"
            )


def load_file(path: Path) -> Definition:
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise DefinitionError(str(path), "", f"cannot be read ({exc.strerror})") from None
    except UnicodeDecodeError as exc:
        raise DefinitionError(
            str(path),
            "",
            f"is not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start}); "
            "a workflow file is YAML saved as UTF-8",
        ) from None
    if "\0" in text:
        raise DefinitionError(
            str(path),
            "",
            f"holds a NUL byte at offset {text.index(chr(0))}, so it is binary, not YAML text; "
            "a workflow file is YAML saved as UTF-8",
        )
    return parse_definition(text, path.name)


def builtin_workflow_files() -> list[Path]:
    """The baseline definitions shipped with zhifa."""
    folder = files("zhifa.workflows")
    return sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith(".yaml"))
