"""Validate the data of a step against the fields its trigger declares.

Input comes from Python, JSON or the command line, so values may arrive as strings. Each value is
checked and turned into its canonical JSON form (dates as ``YYYY-MM-DD``, money as a string with two
decimals) so the record hashes the same whatever the source. All problems are reported together.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import fastjsonschema

from zhifa.errors import FieldError, InputError
from zhifa.ids import uscc_problem
from zhifa.timekeeping import parse_moment, to_beijing
from zhifa.workflow.definitions import FieldSpec, StepSpec, describe_value_error

MAX_NESTING = 32
"""How deeply a field's value may nest lists and objects (``[[1]]`` is two levels); deeper data
is refused before anything reads it recursively."""

_DEEP = (
    f"nests lists or objects more than {MAX_NESTING} levels deep; "
    f"at most {MAX_NESTING} levels are allowed"
)
_TRUE = {"true", "yes", "1", "是", "y"}
_FALSE = {"false", "no", "0", "否", "n"}


def _as_date(value: Any) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            pass
    raise ValueError("must be a date written as 2026-03-02")


def _as_datetime(value: Any) -> str:
    if isinstance(value, datetime):
        return to_beijing(value).replace(microsecond=0).isoformat()
    if isinstance(value, str):
        try:
            return parse_moment(value).replace(microsecond=0).isoformat()
        except InputError:
            pass
    raise ValueError("must be a time written as 2026-03-02T09:30")


def _as_number(value: Any, spec: FieldSpec, places: int | None) -> Any:
    if isinstance(value, bool):
        raise ValueError("must be a number, not true/false")
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise ValueError(f"must be a number, got {value!r}") from None
    if not number.is_finite():
        raise ValueError("must be a finite number")
    if spec.minimum is not None and number < Decimal(str(spec.minimum)):
        raise ValueError(f"must be at least {spec.minimum}, got {number}")
    if spec.maximum is not None and number > Decimal(str(spec.maximum)):
        raise ValueError(f"must be at most {spec.maximum}, got {number}")
    if spec.type == "integer":
        if number != number.to_integral_value():
            raise ValueError(f"must be a whole number, got {number}")
        return int(number)
    if places is not None:
        if number != number.quantize(Decimal(1).scaleb(-places)):
            raise ValueError(
                f"must have at most {places} decimal places (yuan and fen), got {number}"
            )
        return str(number.quantize(Decimal(1).scaleb(-places)))
    return format(number.normalize(), "f")


def _as_officers(value: Any, spec: FieldSpec) -> list[str]:
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise ValueError("must be a list of officer ids")
    ids = [str(i).strip() for i in items if str(i).strip()]
    if len(set(ids)) != len(ids):
        raise ValueError("names the same officer twice")
    if spec.minimum is not None and len(ids) < spec.minimum:
        raise ValueError(f"needs at least {int(spec.minimum)} officers, got {len(ids)}")
    if spec.maximum is not None and len(ids) > spec.maximum:
        raise ValueError(f"allows at most {int(spec.maximum)} officers, got {len(ids)}")
    return ids


def _as_json(value: Any, spec: FieldSpec) -> Any:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValueError(f"is not valid JSON ({exc.msg} at character {exc.pos})") from None
        except RecursionError:
            raise ValueError(_DEEP) from None
        if too_deep(value):
            raise ValueError(_DEEP)
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        raise ValueError("must be JSON: objects, lists, text, numbers, true/false") from None
    if spec.check is not None:
        try:
            spec.check(value)
        except fastjsonschema.JsonSchemaValueException as exc:
            raise ValueError(describe_value_error(exc)) from None
    return value


def convert(spec: FieldSpec, value: Any) -> Any:
    """The canonical value of one field, or ``ValueError`` saying what is wrong."""
    kind = spec.type
    if kind in ("string", "text"):
        if not isinstance(value, str) or not value.strip():
            raise ValueError("must be non-empty text")
        text = value.strip()
        limit = spec.max_length or (200 if kind == "string" else None)
        if limit is not None and len(text) > limit:
            raise ValueError(f"is {len(text)} characters long, at most {limit} are allowed")
        return text
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise ValueError("must be true or false")
    if kind == "integer":
        return _as_number(value, spec, None)
    if kind == "decimal":
        return _as_number(value, spec, None)
    if kind == "money":
        return _as_number(value, spec, 2)
    if kind == "date":
        return _as_date(value)
    if kind == "datetime":
        return _as_datetime(value)
    if kind == "enum":
        if value not in spec.choices:
            raise ValueError(f"must be one of {', '.join(spec.choices)}, got {value!r}")
        return value
    if kind == "officer":
        if not isinstance(value, str) or not value.strip():
            raise ValueError("must be an officer id")
        return value.strip()
    if kind == "officers":
        return _as_officers(value, spec)
    if kind == "json":
        return _as_json(value, spec)
    if kind == "entity":
        code = "".join(str(value).split()).upper()
        problem = uscc_problem(code)
        if problem:
            raise ValueError(problem)
        return code
    raise ValueError(f"has an unknown type {kind!r}")  # the schema prevents this


def nesting(value: Any, limit: int = MAX_NESTING) -> int:
    """How many levels of lists, tuples and mappings ``value`` nests (0 for a plain value),
    counted without recursion; counting stops once past ``limit``."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, Mapping):
            children: Any = item.values()
        elif isinstance(item, list | tuple | set | frozenset):
            children = item
        else:
            continue
        depth += 1
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        stack.extend((child, depth) for child in children)
    return deepest


def too_deep(value: Any) -> str | None:
    """The fault of a value nested deeper than :data:`MAX_NESTING`, or None."""
    return _DEEP if nesting(value) > MAX_NESTING else None


def validate(step: StepSpec, data: Mapping[str, Any]) -> dict[str, Any]:
    """Canonical data for ``step``; raise :class:`FieldError` listing every problem."""
    problems: dict[str, str] = {}
    out: dict[str, Any] = {}
    deep = {str(name): fault for name, value in data.items() if (fault := too_deep(value))}
    if deep:
        raise FieldError(
            f"step {step.name!r} cannot be taken with this data ({', '.join(deep)}); "
            "flatten the fields listed below and try again",
            deep,
        )
    for name in data:
        if name not in step.fields:
            known = ", ".join(step.fields) or "none"
            problems[name] = f"is not a field of this step (fields: {known})"
    for name, spec in step.fields.items():
        value = data.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if spec.required:
                problems[name] = f"is required ({spec.label})"
            continue
        try:
            out[name] = convert(spec, value)
        except ValueError as exc:
            problems[name] = str(exc)
    if problems:
        names = ", ".join(problems)
        raise FieldError(
            f"step {step.name!r} cannot be taken with this data ({names}); "
            "correct the fields listed below and try again",
            problems,
        )
    return out


_FORMATS = {
    "string": ("text, at most {n} characters", ""),
    "text": ("text", ""),
    "boolean": ("true or false (also yes/no, 是/否)", "true"),
    "integer": ("a whole number", "3"),
    "decimal": ("a number", "2.5"),
    "money": ("yuan, at most two decimals", "5000.00"),
    "date": ("a day, YYYY-MM-DD", "2026-03-02"),
    "datetime": ("a time in Beijing time, YYYY-MM-DDTHH:MM", "2026-03-02T09:30"),
    "enum": ("one of the allowed values", ""),
    "officer": ("an officer id", "XH-011"),
    "officers": ("officer ids, comma-separated", "XH-011,XH-012"),
    "entity": ("a unified social credit code (18 characters)", "91330106MA2B3C4D5D"),
    "json": ("JSON, or one key at a time with -f NAME.KEY=VALUE", '{"goods_value": 5000}'),
}


def field_help(spec: FieldSpec) -> dict[str, Any]:
    """What an officer needs to fill a field in: its type, whether required, the format, the
    allowed values with their labels, the bounds and an example ``-f`` value (the one source of
    this help for the command line, the desk's forms and the API)."""
    text, example = _FORMATS.get(spec.type, (spec.type, ""))
    limit = spec.max_length or (200 if spec.type == "string" else None)
    if spec.type == "string":
        text = text.format(n=limit)
    elif spec.max_length:
        text += f", at most {spec.max_length} characters"
    out: dict[str, Any] = {
        "name": spec.name,
        "type": spec.type,
        "required": spec.required,
        "label": str(spec.label),
        "format": text,
    }
    if spec.choices:
        out["choices"] = {k: str(v) for k, v in spec.choices.items()}
        example = next(iter(spec.choices))
    if spec.minimum is not None:
        out["min"] = spec.minimum
    if spec.maximum is not None:
        out["max"] = spec.maximum
    if spec.type == "json":
        keys = list((spec.schema or {}).get("properties") or {})
        example = ""
        out["example"] = f"{spec.name}.{keys[0] if keys else 'KEY'}=VALUE"
    if spec.type in ("integer", "decimal", "money") and spec.minimum is not None:
        example = format(Decimal(str(spec.minimum)).normalize(), "f")
    if "example" not in out:
        out["example"] = f"{spec.name}={example}" if example else ""
    if spec.description:
        out["description"] = spec.description
    if spec.confidential:
        out["confidential"] = True
    return out


def help_line(spec: FieldSpec) -> str:
    """One line of :func:`field_help` for a terminal table."""
    h = field_help(spec)
    parts = [f"{h['name']}{'*' if spec.required else ''} ({h['label']}): {h['format']}"]
    if "choices" in h:
        parts.append("; ".join(f"{k} {v}" for k, v in h["choices"].items()))
    bounds = [f"≥ {h['min']:g}" if "min" in h else "", f"≤ {h['max']:g}" if "max" in h else ""]
    if any(bounds):
        parts.append(" ".join(b for b in bounds if b))
    if h["example"]:
        parts.append(f"e.g. -f {h['example']}")
    return " — ".join(parts)


def json_keys(spec: FieldSpec) -> list[tuple[str, Mapping[str, Any]]]:
    """The declared keys of a JSON object field with their schemas (none: a free-form field)."""
    if spec.type != "json":
        return []
    properties = (spec.schema or {}).get("properties") or {}
    return [(k, v if isinstance(v, Mapping) else {}) for k, v in properties.items()]


def key_value(schema: Mapping[str, Any], text: str) -> Any:
    """One key of a JSON field typed as text (a form's input, a ``-f NAME.KEY=VALUE``) as the
    value its schema declares: a list from comma- or 、-separated items, a whole number or a
    number where the schema takes one and the text is one, true/false, else the text itself (the
    field's validation then names what is wrong)."""
    declared = schema.get("type", [])
    kinds = {declared} if isinstance(declared, str) else set(declared)
    text = text.strip()
    if "array" in kinds:
        items = [p.strip() for p in text.replace("、", ",").replace("，", ",").split(",")]
        item_schema = schema.get("items")
        inner = item_schema if isinstance(item_schema, Mapping) else {}
        return [key_value(inner, p) for p in items if p]
    if kinds & {"integer", "number"}:
        try:
            number = Decimal(text)
        except InvalidOperation:
            return text
        if number == number.to_integral_value() and "e" not in text.lower():
            return int(number)
        if "number" in kinds:
            return float(number)
        return text
    if "boolean" in kinds and text.lower() in ("true", "false", "yes", "no", "是", "否"):
        return text.lower() in ("true", "yes", "是")
    return text
