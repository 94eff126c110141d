"""Rules of the inspection task (检查任务) workflow: checklist, inspectors, results, publication.

The checklist and the results are written one item a line, so that they can be typed on the
command line and read back from the record:

* checklist (opening step): ``CODE: what is checked`` — e.g. ``A1: 食品贮存条件``;
* results: ``CODE: RESULT optional note`` — e.g. ``A1: rectify 冷藏柜温度记录缺失``.

Sources: 食品生产经营监督检查管理办法 (2021) 第二十三条 (two or more inspectors, recusal), 第三十条、
第三十一条 (recording and deciding the result), 第三十二条、第三十三条 (problems: investigation or
rectification), 第三十九条 (publication within 20 working days); 行政处罚法 第四十二条、第四十三条.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa

from zhifa.hooks.types import GuardResult, StepContext, guard, guards_in
from zhifa.procedure.shared import withdrawn_officers
from zhifa.store.tables import OfficerConflict

ART_23 = "食品生产经营监督检查管理办法 第二十三条"
ART_30_31 = "食品生产经营监督检查管理办法 第三十条、第三十一条"
ART_32_33 = "食品生产经营监督检查管理办法 第三十二条、第三十三条"
ART_33 = "食品生产经营监督检查管理办法 第三十三条第二款"
ART_39 = "食品生产经营监督检查管理办法 第三十九条"
ART_42_43 = "行政处罚法 第四十二条、第四十三条"

RESULTS: dict[str, str] = {
    "pass": "未发现问题 (no problem found)",
    "rectified": "发现问题，已当场整改 (problem found and put right on the spot)",
    "rectify": "发现问题，责令限期整改 (problem found, rectification ordered with a deadline)",
    "violation": "发现问题，涉嫌违法，作为线索 (problem that may be a violation: clue to open)",
    "not_found": "登记的住所（经营场所）无法联系 (entity not found at its registered address)",
    "not_applicable": "不适用 (item does not apply)",
}
"""The result each checklist item may be given, with its meaning."""

PROBLEM_RESULTS = frozenset({"rectified", "rectify", "violation"})

_LINE = re.compile(r"^\s*([^\s:：]+)\s*[:：]\s*(.*?)\s*$")


@dataclass(frozen=True, slots=True)
class ItemResult:
    """The result recorded for one checklist item."""

    code: str
    result: str
    note: str


def _lines(text: str) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            yield number, line


def parse_checklist(text: str) -> tuple[dict[str, str], list[str]]:
    """The checklist items (code → what is checked) and the problems found in ``text``."""
    items: dict[str, str] = {}
    problems: list[str] = []
    for number, line in _lines(text):
        match = _LINE.match(line)
        if match is None or not match.group(2):
            problems.append(
                f"checklist line {number} {line.strip()!r} must read 'CODE: what is checked'"
            )
            continue
        code, what = match.group(1), match.group(2)
        if code in items:
            problems.append(f"checklist item {code} is listed twice (line {number})")
            continue
        items[code] = what
    if not items and not problems:
        problems.append("the checklist names no item")
    return items, problems


def parse_results(text: str) -> tuple[dict[str, ItemResult], list[str]]:
    """The result of each item (code → result) and the problems found in ``text``."""
    found: dict[str, ItemResult] = {}
    problems: list[str] = []
    known = ", ".join(RESULTS)
    for number, line in _lines(text):
        match = _LINE.match(line)
        if match is None or not match.group(2):
            problems.append(
                f"result line {number} {line.strip()!r} must read 'CODE: RESULT note' "
                f"(RESULT one of {known})"
            )
            continue
        code = match.group(1)
        result, _, note = match.group(2).partition(" ")
        if result not in RESULTS:
            problems.append(
                f"item {code}: {result!r} is not a result; use one of {known} (line {number})"
            )
            continue
        if code in found:
            problems.append(f"item {code} is given a result twice (line {number})")
            continue
        found[code] = ItemResult(code, result, note.strip())
    return found, problems


def coverage_problems(checklist: Mapping[str, str], results: Mapping[str, ItemResult]) -> list[str]:
    """Items of the checklist without a result, and results for items not on it."""
    problems = [
        f"checklist item {code} ({what}) has no result; every item checked needs one ({ART_30_31})"
        for code, what in checklist.items()
        if code not in results
    ]
    problems += [
        f"item {code} is not on the task's checklist ({', '.join(checklist)}); "
        "record results only for the items planned"
        for code in results
        if code not in checklist
    ]
    return problems


def codes_with(results: Mapping[str, ItemResult], *kinds: str) -> list[str]:
    """The codes of the items whose result is one of ``kinds``, in recorded order."""
    return [code for code, r in results.items() if r.result in kinds]


def clue_problems(results: Mapping[str, ItemResult], clue_to_open: bool, summary: Any) -> list[str]:
    """Whether the "clue to open" mark agrees with the items found to be possible violations."""
    violations = codes_with(results, "violation")
    if violations and not clue_to_open:
        return [
            f"items {', '.join(violations)} may be violations; mark the result as a clue to open "
            f"(clue_to_open) so that they are investigated ({ART_32_33})"
        ]
    if clue_to_open and not violations:
        return [
            "the result is marked as a clue to open, but no item is recorded as a possible "
            f"violation (result 'violation') ({ART_32_33})"
        ]
    if clue_to_open and not summary:
        return [f"say what the suspected violation is (clue_summary) ({ART_32_33})"]
    return []


def officer_ids(value: Any) -> list[str]:
    """The officer ids a field recorded (one id, a list of ids, or nothing)."""
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


# -- guards --------------------------------------------------------------------------------------


@guard(
    "the inspection task lists its checklist items, one 'CODE: what is checked' a line",
    ART_30_31,
    needs_data=True,
)
def inspection_checklist_valid(ctx: StepContext, field: str = "checklist", **_: Any) -> GuardResult:
    """The checklist names at least one item, each once, as ``CODE: what is checked``."""
    _items, problems = parse_checklist(str(ctx.data.get(field) or ""))
    return [f"{p} ({ART_30_31})" for p in problems]


@guard("the inspection task was opened for a market entity", ART_23)
def inspection_entity_named(ctx: StepContext, **_: Any) -> GuardResult:
    """The task was opened for a market entity: an inspection is of one entity."""
    if ctx.matter is not None and ctx.matter.entity_id is None:
        return (
            "the task names no market entity; an inspection task is opened for the entity "
            f"inspected, so conflicts of interest can be judged ({ART_23})"
        )
    return None


def registered_conflicts(ctx: StepContext, officers: list[str]) -> dict[str, str]:
    """The conflicts of interest ``officers`` declared with the matter's entity in the register
    (``zhifa officer conflict``): officer id → reason."""
    if ctx.entity_id is None or not officers:
        return {}
    c = OfficerConflict.__table__.c
    rows = ctx.connection.execute(
        sa.select(c.officer_id, c.reason).where(
            c.entity_id == ctx.entity_id, c.officer_id.in_(sorted(set(officers)))
        )
    )
    return {officer: reason for officer, reason in rows}


@guard(
    "no inspector assigned has declared a conflict of interest with the entity or withdrawn "
    "from the task",
    f"{ART_23}; {ART_42_43}",
    needs_data=True,
)
def inspectors_free_of_conflict(
    ctx: StepContext,
    field: str = "inspectors",
    conflicts_field: str = "declared_conflicts",
    **_: Any,
) -> GuardResult:
    """No inspector named has declared a conflict of interest (on the step or in the register of
    declared conflicts) or withdrawn from this matter."""
    named = officer_ids(ctx.data.get(field))
    declared = set(officer_ids(ctx.data.get(conflicts_field)))
    registered = registered_conflicts(ctx, named)
    recused = withdrawn_officers(ctx)
    problems: list[str] = []
    for oid in named:
        officer = ctx.officers.get(oid)
        who = officer.label() if officer else oid
        if oid in declared or oid in registered:
            why = f" ({registered[oid]})" if oid in registered else ""
            problems.append(
                f"{field}: {who} has declared a conflict of interest with the inspected "
                f"entity{why} and must withdraw ({ART_23}; {ART_42_43})"
            )
        elif oid in recused:
            problems.append(
                f"{field}: {who} withdrew from this inspection ({recused[oid]}) and cannot be "
                f"assigned to it again ({ART_23}; {ART_42_43})"
            )
    return problems


@guard(
    "a task from a random draw is assigned to the team drawn, an officer who withdrew replaced",
    ART_23,
    needs_data=True,
)
def inspectors_as_drawn(ctx: StepContext, field: str = "inspectors", **_: Any) -> GuardResult:
    """A task from a random draw is assigned to the team drawn: every drawn inspector who has
    not withdrawn is named, and others only in place of those who withdrew (as many)."""
    team = officer_ids(ctx.earlier("open", "team"))
    if not team:
        return None
    named = officer_ids(ctx.data.get(field))
    withdrawn = withdrawn_officers(ctx)
    staying = [oid for oid in team if oid not in withdrawn]
    problems = [
        f"{field}: {oid} was drawn for this inspection and has not withdrawn; the team drawn "
        f"({', '.join(team)}) is assigned as drawn ({ART_23})"
        for oid in staying
        if oid not in named
    ]
    added = [oid for oid in named if oid not in team]
    replaced = len(team) - len(staying)
    if len(added) > replaced:
        problems.append(
            f"{field}: {', '.join(added)} {'was' if len(added) == 1 else 'were'} not drawn; "
            f"only an inspector who withdrew is replaced ({replaced} withdrew) ({ART_23})"
        )
    return problems


@guard("the officer who withdraws is an inspector of the task", ART_42_43, needs_data=True)
def recusing_officer_assigned(ctx: StepContext, field: str = "officer", **_: Any) -> GuardResult:
    """The officer who withdraws is one of the inspectors assigned to the task."""
    oid = ctx.data.get(field)
    assigned = officer_ids(ctx.earlier("assign", "inspectors"))
    if oid not in assigned:
        return (
            f"{oid} is not an inspector of this task ({', '.join(assigned)}); only an assigned "
            f"inspector withdraws ({ART_42_43})"
        )
    return None


@guard(
    "the inspectors on site were assigned to the task and include the officer recording it",
    ART_23,
    needs_data=True,
)
def inspectors_present(ctx: StepContext, field: str = "present", **_: Any) -> GuardResult:
    """Those on site were assigned to the task, and the officer recording it is one of them."""
    assigned = officer_ids(ctx.earlier("assign", "inspectors"))
    present = officer_ids(ctx.data.get(field))
    problems = [
        f"{field}: {oid} was not assigned to this inspection (assigned: {', '.join(assigned)}) "
        f"({ART_23})"
        for oid in present
        if oid not in assigned
    ]
    if ctx.actor.id not in present:
        problems.append(
            f"{ctx.actor.label()} is not among the inspectors on site; one of them records the "
            f"start of the inspection ({ART_23})"
        )
    return problems


@guard(
    "the officer recording or publishing the result was one of the inspectors on site", ART_30_31
)
def inspector_was_on_site(ctx: StepContext, **_: Any) -> GuardResult:
    """The officer taking the step was one of the inspectors on site."""
    present = officer_ids(ctx.earlier("start", "present"))
    if ctx.actor.id not in present:
        return (
            f"{ctx.actor.label()} was not on site (inspectors on site: {', '.join(present)}); "
            f"whoever inspected records and publishes the result ({ART_30_31})"
        )
    return None


@guard(
    "every checklist item has one result, and possible violations are marked as a clue",
    f"{ART_30_31}; {ART_32_33}",
    needs_data=True,
)
def results_cover_checklist(
    ctx: StepContext,
    field: str = "results",
    clue_field: str = "clue_to_open",
    summary_field: str = "clue_summary",
    **_: Any,
) -> GuardResult:
    """Every checklist item has exactly one valid result, and the clue mark agrees with them."""
    checklist, _bad = parse_checklist(str(ctx.earlier("open", "checklist") or ""))
    results, problems = parse_results(str(ctx.data.get(field) or ""))
    problems = [f"{p} ({ART_30_31})" for p in problems]
    problems += coverage_problems(checklist, results)
    problems += clue_problems(results, bool(ctx.data.get(clue_field)), ctx.data.get(summary_field))
    return problems


def _current_results(ctx: StepContext) -> dict[str, ItemResult]:
    results, _ = parse_results(str(ctx.earlier("record_result", "results") or ""))
    return results


@guard(
    "a rectification order names exactly the items found needing it, with a later deadline",
    ART_33,
    needs_data=True,
)
def rectification_matches_results(
    ctx: StepContext, field: str = "items", deadline_field: str = "deadline", **_: Any
) -> GuardResult:
    """The order names exactly the items found needing rectification, with a later deadline."""
    needed = codes_with(_current_results(ctx), "rectify")
    ordered = [c for c in re.split(r"[\s,，、;；]+", str(ctx.data.get(field) or "")) if c]
    problems = [
        f"item {code} was not found needing rectification (items with result 'rectify': "
        f"{', '.join(needed) or 'none'}) ({ART_33})"
        for code in ordered
        if code not in needed
    ]
    problems += [
        f"item {code} needs rectification but is not in the order ({ART_33})"
        for code in needed
        if code not in ordered
    ]
    raw = ctx.data.get(deadline_field)
    if raw is not None and date.fromisoformat(raw) <= ctx.at.date():
        problems.append(
            f"the rectification deadline {raw} must be after the order of {ctx.at.date()} "
            f"({ART_33})"
        )
    return problems


@guard(
    "items needing rectification were ordered to be put right before the result is published",
    ART_33,
)
def rectification_ordered_where_needed(ctx: StepContext, **_: Any) -> GuardResult:
    """A result with items needing rectification is published only after the written order."""
    needed = codes_with(_current_results(ctx), "rectify")
    if needed and not any(s.trigger == "order_rectification" for s in ctx.history):
        return (
            f"items {', '.join(needed)} need rectification; order it in writing with a deadline "
            f"(order_rectification) before the result is published ({ART_33})"
        )
    return None


@guard("the result is published within 20 working days after the inspection ended", ART_39)
def inspection_published_in_time(
    ctx: StepContext, clock: str = "publication", **_: Any
) -> GuardResult:
    """The result is published no later than the last day of the publication period."""
    state = ctx.clock(clock)
    if state is None or state.due_on is None:
        return f"the {clock} period has not started: record the inspection result first ({ART_39})"
    if ctx.at.date() > state.due_on:
        return (
            f"the result had to be published by {state.due_on}, the 20th working day after the "
            f"inspection ended on {state.started_on} ({ART_39}); publish it late with the head's "
            "explanation (publish_late)"
        )
    return None


@guard("a late publication is recorded only after the publication period has passed", ART_39)
def inspection_publication_overdue(
    ctx: StepContext, clock: str = "publication", **_: Any
) -> GuardResult:
    """Late publication is for results whose publication period has passed, and only then."""
    state = ctx.clock(clock)
    if state is not None and state.due_on is not None and ctx.at.date() <= state.due_on:
        return (
            f"the publication period runs until {state.due_on} ({ART_39}); publish the result "
            "normally (publish)"
        )
    return None


GUARDS = guards_in(globals())
"""The guards above, in the order they are defined (registered by the baseline plugin)."""
