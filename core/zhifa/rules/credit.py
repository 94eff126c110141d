"""Credit-risk classification schemes (企业信用风险分类): how a department turns an entity's credit
file into a class A–D.

A scheme is data: a base score, **indicators** (each counts the entity's credit records of one
kind, optionally only those with a flag set, dated within a window of months before the day of
classification, and adds ``points`` per record up to a ``cap``), **bands** (the class of a score)
and **overrides** (a record of a kind within a window puts the entity straight into a class,
whatever its score: a revoked licence → D). Departments declare theirs through the
``zhifa_credit_scheme`` hook, or load one from YAML with :func:`load_credit_scheme`; with none,
:data:`NATIONAL_SCHEME` applies.

The classes are those the random draws use (:data:`zhifa.rules.CREDIT_CLASSES`); a scheme with
more classes (A+ to E) maps them onto A–D before it is used here. The class is internal: it
allocates supervision (抽查比例), is not published and is no basis for punishment
(国市监信发〔2022〕6号).

**Ended records.** An indicator or override with ``ended_by`` counts a record only while no
record of that kind of the same matter is dated on or before the day classified: a listing counts
until its removal.

**Windows.** A record dated ``on`` counts on the day ``as_of`` of a classification when
``on <= as_of <= add_months(on, months)``: a 12-month window of a record of 15 March 2025 covers
15 March 2026 and ends the day after (the day of the act not counted, the period ending on the
corresponding day: 民法典 第二百零一条、第二百零三条). :func:`window_start` gives the earliest ``on``
that still counts on a day, so a database can select the records of a window with one comparison.

Scoring is vectorised (:meth:`CreditScheme.classify` over NumPy arrays of counts) so that a million
entities are classified in one pass; the class of one entity is the same computation on arrays of
length one, and :meth:`CreditScheme.explain` words why.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from numpy.typing import NDArray

from zhifa.calendar import add_months
from zhifa.errors import InputError
from zhifa.rules.sampling import CREDIT_CLASSES

RECORD_KINDS: dict[str, str] = {
    "inspection": "检查结果 an inspection's recorded result (flags: violation, rectify, clean)",
    "penalty": "行政处罚决定 a penalty decision (flags: heavier for a 较重行政处罚, revocation, permit_revoked)",
    "no_penalty": "不予行政处罚决定 a decision not to penalise",
    "soft_enforcement": "柔性执法 a soft-enforcement decision (education, guidance)",
    "penalty_changed": "处罚决定被变更 a penalty changed on review or in court",
    "penalty_revoked": "处罚决定被撤销 a penalty revoked on review or in court",
    "compulsory_enforcement": "强制执行 compulsory enforcement of a decision",
    "transfer": "移送涉嫌犯罪案件 a suspected crime transferred, on which the police opened a case",
    "publication": "行政处罚信息公示 a penalty published (双公示)",
    "publication_end": "公示结束 a publication ended (expired, stopped early or withdrawn)",
    "repair": "信用修复 a credit repair approved",
    "abnormal_list": "列入经营异常名录 listed as abnormal (flag: the ground)",
    "abnormal_list_end": "移出经营异常名录 removed after the cure, or corrected on objection",
    "commitment": "信用承诺 a commitment received (flag: its kind)",
    "commitment_kept": "承诺属实 a commitment checked and found true",
    "commitment_false": "承诺不实 a commitment found false (a dishonesty record)",
    "commitment_repaired": "虚假承诺已修复 a false commitment repaired",
    "serious_list": "列入严重违法失信名单 listed as seriously dishonest (the listing day)",
    "serious_list_end": "移出严重违法失信名单 removed: at expiry, early, or revoked with the penalty",
    "attention_list": "列入重点关注名单 listed for key attention after repeated minor violations (flag: the ground)",
    "attention_list_end": "移出重点关注名单 removed: after the period without a new violation, or on rectification",
    "complaint": "投诉举报 a complaint or report received about the entity",
    "objection": "信用信息异议 an objection to a record received (it concerns the record)",
    "objection_upheld": "异议成立 the record corrected: it no longer counts anywhere",
    "objection_rejected": "异议不成立 the record confirmed",
    "record_repair": "信用信息修复申请 an application to repair a record (it concerns the record)",
    "record_repaired": "信用信息已修复 the record repaired: the measures it triggered are lifted",
    "record_repair_revoked": "修复被撤销 a repair obtained by deceit revoked: the record counts again",
    "external": "外部信用记录 a record imported from another body (its source named)",
}
"""The kinds of credit record (一户一档) an entity's file holds and an indicator may count."""

ART_CLASSES = "国市监信发〔2022〕6号（关于推进企业信用风险分类管理进一步提升监管效能的意见）"


def window_start(as_of: date, months: int) -> date:
    """The earliest day a record may be dated to count in a window of ``months`` on ``as_of``:
    the first ``on`` with ``add_months(on, months) >= as_of`` (:func:`add_months` never
    decreases, so every later day counts too)."""
    start = add_months(as_of, -months)
    while add_months(start - timedelta(days=1), months) >= as_of:
        start -= timedelta(days=1)
    while add_months(start, months) < as_of:
        start += timedelta(days=1)
    return start


@dataclass(frozen=True, slots=True)
class Indicator:
    """Points for the records of one kind in a window: ``points`` each (negative lowers the
    score), their sum bounded by ``cap`` (a floor for negative points, a ceiling for positive)."""

    code: str
    label: str
    kind: str
    months: int
    points: float
    cap: float | None = None
    flag: str | None = None  # only records whose details have this flag true
    basis: str = ""
    ended_by: str | None = None  # a record of this kind of the same matter ends it (a removal)

    def contribution(self, counts: NDArray[np.int64]) -> NDArray[np.float64]:
        """The points ``counts`` records give, capped."""
        raw = counts.astype(np.float64) * self.points
        if self.cap is None:
            return raw
        return np.maximum(raw, self.cap) if self.points < 0 else np.minimum(raw, self.cap)


@dataclass(frozen=True, slots=True)
class Override:
    """A record of ``kind`` (with ``flag``, when given) within ``months`` puts the entity in
    ``credit_class`` whatever its score; of several that apply, the worst class wins."""

    credit_class: str
    kind: str
    months: int
    reason: str
    flag: str | None = None
    basis: str = ""
    ended_by: str | None = None

    @property
    def code(self) -> str:
        return f"override:{self.kind}" + (f"[{self.flag}]" if self.flag else "")


@dataclass(frozen=True, slots=True)
class CreditScheme:
    """A classification scheme (see the module documentation); ``bands`` are (class, lowest
    score) from the best class down, the last with no lowest score."""

    name: str
    version: str
    base: float
    indicators: tuple[Indicator, ...]
    bands: tuple[tuple[str, float | None], ...]
    overrides: tuple[Override, ...] = ()
    basis: str = ""
    notes: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check(self)

    @property
    def counted(self) -> tuple[Indicator | Override, ...]:
        """What the scheme counts per entity: its indicators, then its overrides."""
        return (*self.indicators, *self.overrides)

    def classify(
        self, counts: Mapping[str, NDArray[np.int64]], n: int | None = None
    ) -> tuple[NDArray[np.float64], NDArray[np.uint8]]:
        """Scores and classes (codes into :data:`CREDIT_CLASSES`) of ``n`` entities whose
        records ``counts`` gives per indicator or override code, aligned arrays (``n`` defaults
        to their length)."""
        if n is None:
            n = len(next(iter(counts.values()))) if counts else 0
        score = np.full(n, self.base, dtype=np.float64)
        for ind in self.indicators:
            score += ind.contribution(counts[ind.code])
        classes = np.full(n, CREDIT_CLASSES.index(self.bands[-1][0]), dtype=np.uint8)
        for cls, lowest in reversed(self.bands[:-1]):
            assert lowest is not None
            classes[score >= lowest] = CREDIT_CLASSES.index(cls)
        for ov in self.overrides:
            hit = counts[ov.code] > 0
            worse = np.uint8(CREDIT_CLASSES.index(ov.credit_class))
            classes[hit] = np.maximum(classes[hit], worse)
        return score, classes

    def explain(self, counts: Mapping[str, int]) -> tuple[float, str, list[dict[str, Any]]]:
        """One entity's score, class and the reasons: every indicator with records (its count
        and points) and every override that applied, in the scheme's order."""
        arrays = {k: np.array([v], dtype=np.int64) for k, v in counts.items()}
        score, classes = self.classify(arrays, 1)
        reasons: list[dict[str, Any]] = []
        for ind in self.indicators:
            n = counts[ind.code]
            if n:
                points = float(ind.contribution(np.array([n], dtype=np.int64))[0])
                reasons.append(
                    {"code": ind.code, "label": ind.label, "records": n, "points": points}
                )
        for ov in self.overrides:
            if counts[ov.code]:
                reasons.append(
                    {
                        "code": ov.code,
                        "label": ov.reason,
                        "records": counts[ov.code],
                        "class": ov.credit_class,
                    }
                )
        return float(score[0]), CREDIT_CLASSES[int(classes[0])], reasons

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "basis": self.basis,
            "base": self.base,
            "indicators": [
                {
                    "code": i.code,
                    "label": i.label,
                    "kind": i.kind,
                    "flag": i.flag,
                    "months": i.months,
                    "points": i.points,
                    "cap": i.cap,
                    "basis": i.basis,
                    "ended_by": i.ended_by,
                }
                for i in self.indicators
            ],
            "bands": [{"class": c, "from": low} for c, low in self.bands],
            "overrides": [
                {
                    "class": o.credit_class,
                    "kind": o.kind,
                    "flag": o.flag,
                    "months": o.months,
                    "reason": o.reason,
                    "basis": o.basis,
                    "ended_by": o.ended_by,
                }
                for o in self.overrides
            ],
            "notes": dict(self.notes),
        }


def _check(s: CreditScheme) -> None:
    where = f"credit scheme {s.name!r}"
    if not s.name or not s.version:
        raise InputError(
            f"{where}: give the scheme a name and a version (it is stored with each class)"
        )
    seen: set[str] = set()
    for item in s.counted:
        what = f"{where}: {item.code}"
        if item.kind not in RECORD_KINDS:
            raise InputError(
                f"{what} counts records of kind {item.kind!r}, which the credit file does not "
                f"hold; kinds are {', '.join(RECORD_KINDS)}"
            )
        if item.ended_by is not None and item.ended_by not in RECORD_KINDS:
            raise InputError(
                f"{what} is ended by records of kind {item.ended_by!r}, which the credit file "
                f"does not hold; kinds are {', '.join(RECORD_KINDS)}"
            )
        if not 1 <= item.months <= 120:
            raise InputError(f"{what}: months must be 1 to 120, not {item.months}")
        if item.code in seen:
            raise InputError(f"{what} is declared twice; give each indicator its own code")
        seen.add(item.code)
    for ind in s.indicators:
        if ind.cap is not None and (ind.cap * ind.points < 0):
            raise InputError(
                f"{where}: {ind.code} gives {ind.points} points per record but caps them at "
                f"{ind.cap}; a cap has the sign of the points"
            )
    classes = [c for c, _ in s.bands]
    if (
        not classes
        or any(c not in CREDIT_CLASSES for c in classes)
        or len(set(classes)) != len(classes)
    ):
        raise InputError(
            f"{where}: bands name each class once, from {', '.join(CREDIT_CLASSES)}, not "
            f"{', '.join(classes) or 'none'}"
        )
    if CREDIT_CLASSES.index(classes[0]) > 0 or [CREDIT_CLASSES.index(c) for c in classes] != sorted(
        CREDIT_CLASSES.index(c) for c in classes
    ):
        raise InputError(f"{where}: bands run from the best class down (A first), not {classes}")
    lows = [low for _, low in s.bands]
    if lows[-1] is not None or any(low is None for low in lows[:-1]):
        raise InputError(
            f"{where}: every band but the last gives its lowest score (from); the last takes "
            "every score below"
        )
    numbers = [float(low) for low in lows[:-1] if low is not None]
    if any(a <= b for a, b in itertools.pairwise(numbers)):
        raise InputError(f"{where}: band scores must fall from one band to the next, not {numbers}")
    for ov in s.overrides:
        if ov.credit_class not in CREDIT_CLASSES:
            raise InputError(
                f"{where}: override {ov.code} gives class {ov.credit_class!r}, not A–D"
            )


# -- loading -----------------------------------------------------------------------------------


def load_credit_scheme(path: Path) -> CreditScheme:
    """Read a scheme from YAML (the shape of ``core/zhifa/rules/credit_national.yaml``); a
    fault is one sentence naming the file and the entry."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the credit scheme {path}: {exc}") from None
    return parse_credit_scheme(raw, str(path))


def parse_credit_scheme(raw: Any, where: str = "credit scheme") -> CreditScheme:
    """A scheme from its mapping form (as :meth:`CreditScheme.as_dict` writes it)."""
    if not isinstance(raw, Mapping):
        raise InputError(f"{where}: a credit scheme is a mapping with name, version, base, bands")
    try:
        indicators = tuple(
            Indicator(
                code=str(i["code"]),
                label=str(i.get("label") or i["code"]),
                kind=str(i["kind"]),
                months=int(i["months"]),
                points=float(i["points"]),
                cap=None if i.get("cap") is None else float(i["cap"]),
                flag=i.get("flag"),
                basis=str(i.get("basis") or ""),
                ended_by=i.get("ended_by"),
            )
            for i in _list(raw, "indicators", where)
        )
        overrides = tuple(
            Override(
                credit_class=str(o["class"]),
                kind=str(o["kind"]),
                months=int(o["months"]),
                reason=str(o["reason"]),
                flag=o.get("flag"),
                basis=str(o.get("basis") or ""),
                ended_by=o.get("ended_by"),
            )
            for o in _list(raw, "overrides", where)
        )
        bands = tuple(
            (str(b["class"]), None if b.get("from") is None else float(b["from"]))
            for b in _list(raw, "bands", where)
        )
        return CreditScheme(
            name=str(raw["name"]),
            version=str(raw["version"]),
            base=float(raw.get("base", 0)),
            indicators=indicators,
            bands=bands,
            overrides=overrides,
            basis=str(raw.get("basis") or ""),
            notes={str(k): str(v) for k, v in (raw.get("notes") or {}).items()},
        )
    except KeyError as exc:
        raise InputError(f"{where}: {exc.args[0]} is missing") from None
    except (TypeError, ValueError) as exc:
        raise InputError(f"{where}: {exc}") from None


def _list(raw: Mapping[str, Any], key: str, where: str) -> Sequence[Mapping[str, Any]]:
    value = raw.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise InputError(f"{where}: {key} is a list of mappings")
    return value


NATIONAL_SCHEME = load_credit_scheme(Path(__file__).with_name("credit_national.yaml"))
"""The baseline scheme (A–D) applied where no department's plugin gives one: see its file for the
indicators, bands and overrides, and which figures are local choices rather than national ones."""
