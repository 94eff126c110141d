"""Joint measures (联合奖惩措施) as data: what in an entity's credit file triggers a measure,
which activities it concerns (government procurement, bidding, honours, a permit, the commitment
procedure, inspection), whether it punishes dishonesty (惩戒) or rewards trustworthiness (激励),
its content, legal basis, implementer and category.

A measure's trigger has the shape of a scheme's override (:mod:`zhifa.rules.credit`): records of
a kind, optionally with a flag, dated within a window of months, and, with ``ended_by``, only
until a record of that kind of the same matter (a listing until its removal). ``unless`` names
kinds whose records in the same window keep the measure from applying: an incentive for an
entity on a red list (守信红名单, imported from the body that keeps it) is lost by a penalty or a
listing in the window. zhifa ships the measures of the national laws it could read
(:data:`NATIONAL_MEASURES`, ``measures_national.yaml``); :func:`load_measures` reads a
department's file of the same shape, which its plugin gives through ``zhifa_credit_measures``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from zhifa.errors import InputError
from zhifa.rules.credit import RECORD_KINDS

ACTIVITIES: dict[str, str] = {
    "government_procurement": "政府采购 government procurement",
    "bidding": "工程招投标 project bidding",
    "land_transfer": "国有土地出让 transfer of state-owned land",
    "honours": "评优评先、荣誉称号 honours and awards",
    "commitment": "告知承诺制 the commitment procedure",
    "food_permit": "食品生产经营许可 a food production or business permit",
    "permit": "行政许可 an administrative permit",
    "inspection": "监督检查 inspection frequency",
}
"""The activities a measure may concern, as ``zhifa credit check --for`` names them."""

EFFECTS = {
    "punishment": "失信惩戒 restricts a dishonest entity",
    "incentive": "守信激励 rewards a trustworthy entity (a red list, a kept commitment)",
}

CATEGORIES = {
    1: "public bodies reduce rights or add duties (resting on law)",
    2: "public bodies' own management (e.g. more inspections)",
    3: "market or social bodies",
}


@dataclass(frozen=True, slots=True)
class Measure:
    """One joint measure; ``kind``/``flag``/``months``/``ended_by`` are its trigger."""

    code: str
    category: int
    kind: str
    months: int
    activities: tuple[str, ...]
    content: str
    basis: str
    implementer: str
    flag: str | None = None
    ended_by: str | None = None
    effect: str = "punishment"
    unless: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "category": self.category,
            "when": {
                "kind": self.kind,
                "flag": self.flag,
                "months": self.months,
                "ended_by": self.ended_by,
                "unless": list(self.unless),
            },
            "effect": self.effect,
            "activities": list(self.activities),
            "content": self.content,
            "basis": self.basis,
            "implementer": self.implementer,
        }


def parse_measures(raw: Any, where: str = "measures") -> tuple[Measure, ...]:
    """Measures from their list form; a fault is one sentence naming the entry."""
    if not isinstance(raw, list):
        raise InputError(f"{where}: a measures file is a list of measures")
    out: list[Measure] = []
    for i, entry in enumerate(raw):
        here = f"{where}[{i}]"
        if not isinstance(entry, Mapping) or not isinstance(entry.get("when"), Mapping):
            raise InputError(
                f"{here}: a measure is a mapping with code, category, when, activities"
            )
        when = entry["when"]
        try:
            measure = Measure(
                code=str(entry["code"]),
                category=int(entry["category"]),
                kind=str(when["kind"]),
                months=int(when["months"]),
                activities=tuple(str(a) for a in entry["activities"]),
                content=str(entry["content"]),
                basis=str(entry["basis"]),
                implementer=str(entry["implementer"]),
                flag=when.get("flag"),
                ended_by=when.get("ended_by"),
                effect=str(entry.get("effect", "punishment")),
                unless=_kinds(when.get("unless")),
            )
        except KeyError as exc:
            raise InputError(f"{here}: {exc.args[0]} is missing") from None
        except (TypeError, ValueError) as exc:
            raise InputError(f"{here}: {exc}") from None
        _check(measure, f"{here} ({measure.code})")
        out.append(measure)
    codes = [m.code for m in out]
    twice = sorted({c for c in codes if codes.count(c) > 1})
    if twice:
        raise InputError(f"{where}: measure {', '.join(twice)} is declared twice")
    return tuple(out)


def _kinds(raw: Any) -> tuple[str, ...]:
    """``unless`` as a tuple of kinds (one kind may be written alone)."""
    if raw is None:
        return ()
    if isinstance(raw, str):
        return (raw,)
    if not isinstance(raw, list):
        raise TypeError(f"unless is a list of record kinds, not {raw!r}")
    return tuple(str(k) for k in raw)


def _check(m: Measure, here: str) -> None:
    if m.category not in CATEGORIES:
        raise InputError(f"{here}: category is 1, 2 or 3, not {m.category}")
    if m.effect not in EFFECTS:
        raise InputError(f"{here}: effect is punishment or incentive, not {m.effect!r}")
    for kind in (m.kind, m.ended_by, *m.unless):
        if kind is not None and kind not in RECORD_KINDS:
            raise InputError(
                f"{here}: records of kind {kind!r} are not in the credit file; kinds are "
                f"{', '.join(RECORD_KINDS)}"
            )
    unknown = sorted(set(m.activities) - set(ACTIVITIES))
    if unknown or not m.activities:
        raise InputError(
            f"{here}: activities are {', '.join(ACTIVITIES)}, not {', '.join(unknown) or 'none'}"
        )
    if not 1 <= m.months <= 1200:
        raise InputError(f"{here}: months must be 1 to 1200, not {m.months}")


def load_measures(path: Path) -> tuple[Measure, ...]:
    """Read measures from YAML (the shape of ``measures_national.yaml``)."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the measures {path}: {exc}") from None
    return parse_measures(raw, str(path))


NATIONAL_MEASURES: Sequence[Measure] = load_measures(
    Path(__file__).with_name("measures_national.yaml")
)
"""The measures of the national laws zhifa ships (see the file for what was left out and why)."""
