"""The results of a draw's tasks as published: the table 抽查结果, one row per task.

Each task's events are read in one streamed query for the whole draw and folded in order
(:class:`_Story`): the team, the inspectors on site, the start, the results, the publication,
corrections and rechecks. :func:`item_result` and :func:`verdict` word the results in Chinese.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from zhifa.engine import Engine
from zhifa.errors import ZhifaError
from zhifa.inspections.publishing._common import BATCH, Cell, _day, _department, _Officers
from zhifa.procedure.inspection import RESULTS, officer_ids, parse_checklist, parse_results
from zhifa.store.tables import DrawTask, Entity, Event, Matter

ITEM_RESULTS: Mapping[str, str] = {
    "pass": "未发现问题",
    "rectified": "发现问题，已当场整改",
    "rectify": "发现问题，已责令限期整改",
    "violation": "发现问题，涉嫌违法，待后续处理",
    "not_found": "通过登记的住所（经营场所）无法联系",
    "not_applicable": "不适用",
}
"""How each result code of :data:`zhifa.procedure.inspection.RESULTS` is published."""

OVERALL_ORDER = ("violation", "rectify", "rectified", "not_found", "pass")
"""The overall result is the first of these any item has (all ``not_applicable``: none)."""
NOTHING_TO_CHECK = "未发现开展本次抽查涉及的经营活动"

RECHECKS = {"rectified": "复查：已整改到位", "not_rectified": "复查：未按期整改"}
PUBLISH, PUBLISH_LATE = "publish", "publish_late"

RESULT_COLUMNS = (
    "联合检查编号",
    "任务编号",
    "市场主体名称",
    "统一社会信用代码",
    "检查部门",
    "检查事项",
    "检查人员",
    "执法证号",
    "检查日期",
    "检查结果（逐项）",
    "检查结论",
    "公示状态",
    "公示日期",
    "是否按期公示",
    "更正说明",
)


@dataclass(slots=True)
class _Story:
    """What a task's events say, folded in order."""

    team: list[str] = field(default_factory=list)
    checklist: str = ""
    assigned: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)
    started: datetime | None = None
    results: str = ""
    published: datetime | None = None
    late: bool = False
    pending: tuple[str, str] | None = None  # a correction awaiting sign-off: results, reason
    correction: str = ""
    recheck: str = ""

    @property
    def inspectors(self) -> list[str]:
        return self.present or self.assigned or self.team


_READ = frozenset(
    {
        "open",
        "assign",
        "start",
        "record_result",
        "recheck",
        PUBLISH,
        PUBLISH_LATE,
        "request_correction",
        "sign_off_correction",
        "reject_correction",
    }
)


def _fold(story: _Story, trigger: str, at: datetime, text: str) -> None:
    if trigger not in _READ:
        return
    data = json.loads(text) if text else {}
    if not isinstance(data, dict):
        data = {}
    if trigger == "open":
        story.team = officer_ids(data.get("team"))
        story.checklist = str(data.get("checklist") or "")
    elif trigger == "assign":
        story.assigned = officer_ids(data.get("inspectors"))
    elif trigger == "start":
        story.present = officer_ids(data.get("present"))
        story.started = at
    elif trigger == "record_result":
        story.results = str(data.get("results") or "")
    elif trigger == "recheck":
        story.recheck = RECHECKS.get(str(data.get("outcome")), "")
    elif trigger in (PUBLISH, PUBLISH_LATE):
        if story.published is None:
            story.published, story.late = at, trigger == PUBLISH_LATE
    elif trigger == "request_correction":
        story.pending = (str(data.get("results") or ""), str(data.get("reason") or ""))
    elif trigger == "sign_off_correction" and story.pending is not None:
        story.results, reason = story.pending
        story.correction = f"{at:%Y-%m-%d} 经负责人签批更正：{reason}"
        story.pending = None
    elif trigger == "reject_correction":
        story.pending = None


def item_result(code: str) -> str:
    """A result code as published."""
    return ITEM_RESULTS.get(code) or RESULTS.get(code, code).split(" (")[0]


def verdict(results_text: str, recheck: str = "") -> tuple[str, str]:
    """The per-item results and the overall result of a ``results`` text as published
    (``recheck``: the outcome of the last recheck, added to a result ordering rectification)."""
    results, _problems = parse_results(results_text)
    per_item = "；".join(f"{r.code}：{item_result(r.result)}" for r in results.values())
    found = {r.result for r in results.values()}
    overall = next((item_result(code) for code in OVERALL_ORDER if code in found), "")
    if not overall and found:
        overall = NOTHING_TO_CHECK
    if overall and recheck and "rectify" in found:
        overall = f"{overall}（{recheck}）"
    return per_item, overall


class _Labels:
    """State labels (Chinese) of the workflow versions the tasks run on, one lookup each."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.cache: dict[tuple[str, int], Mapping[str, str]] = {}

    def __call__(self, workflow: str, version: int, state: str) -> str:
        key = (workflow, version)
        labels = self.cache.get(key)
        if labels is None:
            try:
                states = self.engine.definition(workflow, version).states
                labels = {name: spec.label.zh for name, spec in states.items()}
            except ZhifaError:
                labels = {}
            self.cache[key] = labels
        return labels.get(state, state)


def _items(checklist: str, cache: dict[str, str]) -> str:
    shown = cache.get(checklist)
    if shown is None:
        items, _problems = parse_checklist(checklist)
        shown = cache[checklist] = "；".join(f"{code} {what}" for code, what in items.items())
    return shown


def _read_tasks(session: Session, draw_id: int) -> tuple[Sequence[Any], dict[int, _Story]]:
    """The draw's tasks with their matter and entity, and each task's events folded."""
    t, m, e = DrawTask.__table__.c, Matter.__table__.c, Entity.__table__.c
    tasks = session.execute(
        sa.select(
            t.matter_id,
            t.visit,
            t.department_code,
            m.workflow,
            m.workflow_version,
            m.state,
            e.uscc,
            e.name,
        )
        .join(Matter.__table__, m.id == t.matter_id)
        .join(Entity.__table__, e.id == t.entity_id)
        .where(t.draw_id == draw_id)
        .order_by(t.visit, t.department_code, t.matter_id)
    ).all()
    stories: dict[int, _Story] = {row.matter_id: _Story() for row in tasks}
    ev = Event.__table__.c
    events = session.execute(
        sa.select(ev.matter_id, ev.trigger, ev.occurred_at, ev.data)
        .join(DrawTask.__table__, t.matter_id == ev.matter_id)
        .where(t.draw_id == draw_id)
        .order_by(ev.matter_id, ev.seq)
        .execution_options(yield_per=BATCH)
    )
    for matter_id, trigger, at, text in events:
        story = stories.get(matter_id)
        if story is not None:
            _fold(story, trigger, at, text)
    return tasks, stories


def _result_rows(
    tasks: Sequence[Any],
    stories: Mapping[int, _Story],
    officers: _Officers,
    departments: Mapping[str, str],
    label: Callable[[str, int, str], str],
) -> Iterator[tuple[Cell, ...]]:
    checklists: dict[str, str] = {}
    for task in tasks:
        story = stories[task.matter_id]
        # the team stays undisclosed until it is on site: known in advance, it could be approached
        people = (
            [officers.at(oid, story.started) for oid in story.inspectors] if story.started else []
        )
        state = label(task.workflow, task.workflow_version, task.state)
        per_item = overall = published = on_time = correction = None
        if story.published is not None:
            per_item, overall = verdict(story.results, story.recheck)
            status = state if state.startswith("已公示") else f"已公示（{state}）"
            published = _day(story.published)
            on_time = "逾期公示" if story.late else "按期公示"
            correction = story.correction or None
        else:
            status = f"未公示（{state}）"
        yield (
            task.visit,
            task.matter_id,
            task.name,
            task.uscc,
            _department(departments, task.department_code),
            _items(story.checklist, checklists) or None,
            "、".join(name for name, _cert in people) or None,
            "、".join(cert or "无" for _name, cert in people) or None,
            _day(story.started),
            per_item or None,
            overall or None,
            status,
            published,
            on_time,
            correction,
        )
