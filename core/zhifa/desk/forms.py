"""Forms generated from a workflow's field declarations: one :class:`Input` per field, described
by :func:`zhifa.workflow.fields.field_help` (type, format, allowed values with their labels,
bounds, example, help text), and the posted form read back into step data.

Field ``NAME`` is posted as ``f.NAME`` (officer lists as repeated values), so a field never
collides with the form's own fields (``csrf_token``, ``version``, ``at``). The values are handed
to the engine as text: the engine validates and converts them, and its sentence names the field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from zhifa.desk import i18n
from zhifa.workflow.definitions import FieldSpec
from zhifa.workflow.fields import field_help, json_keys, key_value

PREFIX = "f."

i18n.add({"forms_list": ("多项以逗号分隔", "items separated by commas")})
MAX_OFFICER_CHOICES = 200
"""Above this many officers in a department an officer list is typed (comma-separated)."""


@dataclass(frozen=True, slots=True)
class Input:
    """One field of a generated form."""

    name: str  # the posted name, f.NAME
    key: str  # the field's name
    widget: str  # text, textarea, number, date, datetime, select, multiselect, json
    label: str
    required: bool
    format: str
    description: str
    placeholder: str
    value: str
    chosen: tuple[str, ...] = ()
    choices: tuple[tuple[str, str], ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None
    step: str | None = None
    problem: str | None = None
    parts: tuple[Input, ...] = ()  # the declared keys of a JSON object field, one input each


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def inputs(
    fields: Sequence[FieldSpec],
    lang: str,
    *,
    entered: Mapping[str, Any] | None = None,
    problems: Mapping[str, str] | None = None,
    officers: Sequence[tuple[str, str]] = (),
) -> list[Input]:
    """The inputs of ``fields`` in ``lang``, holding the ``entered`` values and ``problems``."""
    out = []
    for spec in fields:
        h = field_help(spec)
        widget = "text"
        choices: tuple[tuple[str, str], ...] = ()
        step = None
        kind = spec.type
        if kind == "text":
            widget = "textarea"
        elif kind == "json":
            widget = "json"
        elif kind == "enum":
            widget = "select"
            choices = tuple((k, f"{i18n.label(v, lang)}") for k, v in spec.choices.items())
        elif kind == "boolean":
            widget = "select"
            choices = (("true", i18n.text("yes", lang)), ("false", i18n.text("no", lang)))
        elif kind == "integer":
            widget, step = "number", "1"
        elif kind in ("decimal", "money"):
            widget, step = "number", "0.01" if kind == "money" else "any"
        elif kind == "date":
            widget = "date"
        elif kind == "datetime":
            widget = "datetime"
        elif kind in ("officer", "officers") and 0 < len(officers) <= MAX_OFFICER_CHOICES:
            widget = "select" if kind == "officer" else "multiselect"
            choices = tuple((oid, f"{oid} {name}") for oid, name in officers)
        raw = (entered or {}).get(spec.name)
        chosen = tuple(str(v) for v in raw) if isinstance(raw, list | tuple) else ()
        if widget == "multiselect" and not chosen and isinstance(raw, str):
            chosen = tuple(v.strip() for v in raw.split(",") if v.strip())
        example = str(h.get("example", ""))
        placeholder = example.split("=", 1)[1] if "=" in example and kind != "json" else ""
        parts: tuple[Input, ...] = ()
        fmt = str(h["format"])
        if kind == "json":
            keys = json_keys(spec)
            placeholder = "{…}"
            if keys:
                widget, fmt = "object", ""
                given = raw if isinstance(raw, Mapping) else {}
                parts = tuple(
                    _key_input(spec.name, k, schema, given.get(k), lang) for k, schema in keys
                )
        elif kind in ("officers", "officer", "boolean", "enum") and choices:
            fmt = ""  # a drop-down says it all
        out.append(
            Input(
                name=PREFIX + spec.name,
                key=spec.name,
                widget=widget,
                label=i18n.label(spec.label, lang),
                required=spec.required,
                format=fmt,
                description=spec.description,
                placeholder=placeholder,
                value=_shown(raw),
                chosen=chosen,
                choices=choices,
                minimum=spec.minimum if kind in ("integer", "decimal", "money") else None,
                maximum=spec.maximum if kind in ("integer", "decimal", "money") else None,
                max_length=spec.max_length or (200 if kind == "string" else None),
                step=step,
                problem=(problems or {}).get(spec.name),
                parts=parts,
            )
        )
    return out


def _key_input(field: str, key: str, schema: Mapping[str, Any], value: Any, lang: str) -> Input:
    """The input of one declared key of a JSON object field, posted as ``f.FIELD.KEY``."""
    declared = schema.get("type", [])
    kinds = {declared} if isinstance(declared, str) else set(declared)
    numeric = bool(kinds & {"integer", "number"}) and "string" not in kinds
    listed = "array" in kinds
    return Input(
        name=f"{PREFIX}{field}.{key}",
        key=key,
        widget="number" if numeric else "text",
        label=key,
        required=False,
        format=i18n.text("forms_list", lang) if listed else "",
        description="",
        placeholder="",
        value=_shown(value),
        minimum=schema.get("minimum") if numeric else None,
        step="1" if "integer" in kinds and numeric else ("any" if numeric else None),
    )


def posted(fields: Sequence[FieldSpec], form: Any) -> dict[str, Any]:
    """The step data a posted ``form`` gives for ``fields``: only declared fields, empty ones left
    out, officer lists from repeated values or a comma-separated text."""
    data: dict[str, Any] = {}
    if form is None:
        return data
    for spec in fields:
        key = PREFIX + spec.name
        if spec.type == "officers":
            values = [v for v in form.getlist(key) if isinstance(v, str)]
            if len(values) == 1 and "," in values[0]:
                values = values[0].split(",")
            cleaned = [v.strip() for v in values if v.strip()]
            if cleaned:
                data[spec.name] = cleaned
            continue
        keys = json_keys(spec)
        if keys:
            obj = {}
            for name, schema in keys:
                part = form.get(f"{key}.{name}")
                if isinstance(part, str) and part.strip():
                    obj[name] = key_value(schema, part)
            if obj:
                data[spec.name] = obj
                continue
        value = form.get(key)
        if isinstance(value, str) and value.strip():
            data[spec.name] = value if spec.type == "text" else value.strip()
    return data
