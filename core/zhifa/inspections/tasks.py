"""Tasks: a verified draw turned into inspection matters.

:func:`create_tasks` turns a verified draw into inspection matters in bulk
(:meth:`zhifa.engine.Engine.open_many`): one per department of each visit, with the department's
plan items that apply to the entity's industry (as the target snapshot recorded it), the visit
(``DRAW-VISIT``) and the team drawn; the assignment step then names that team
(a guard of the inspection workflow's ``assign`` step holds it to that), and the result's 20-working-day publication clock runs from the
recorded result. Each task is also recorded in ``draw_tasks``, which the target directory of later
draws counts (:mod:`zhifa.inspections.sources`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError as SAIntegrityError

from zhifa.engine import Engine, Opening
from zhifa.errors import InputError, IntegrityError, RefusedError
from zhifa.identity import Session
from zhifa.inspections.plan import Plan, PlanItem
from zhifa.inspections.records import DrawInfo, _verified, current_draw, get_draw
from zhifa.store.tables import Department, Draw, DrawPlan, DrawTask

INSPECTION = "inspection"  # the workflow a task becomes


@dataclass(frozen=True, slots=True)
class TasksCreated:
    """The inspection matters a draw created: one per task, ``visits`` visits in all."""

    draw_id: int
    matters: tuple[int, ...]
    visits: int
    by_department: Mapping[str, int]

    def as_dict(self) -> dict[str, Any]:
        return {
            "draw": self.draw_id,
            "tasks": len(self.matters),
            "visits": self.visits,
            "by_department": dict(self.by_department),
            "matters": list(self.matters),
        }


def _task_items(plan: Plan, department: str, industry: str) -> list[PlanItem]:
    """The items of ``plan`` that are ``department``'s and apply to an entity of ``industry``."""
    return [
        item
        for item in plan.items
        if (item.department or plan.lead_department) == department
        and (not item.scope or item.scope == industry)
    ]


def _superseded(info: DrawInfo, current: int) -> RefusedError:
    return RefusedError(
        f"draw {info.id} was redrawn and is not plan {info.plan_id}'s current draw, which is "
        f"draw {current}; tasks come only from the current draw: zhifa draw tasks {current}"
    )


def create_tasks(
    engine: Engine,
    draw_id: int,
    by: Mapping[str, str | Session],
    at: datetime | None = None,
) -> TasksCreated:
    """Turn every task of a draw into an inspection matter (source ``random_draw``), opened by
    ``by[department]`` (an inspector or head of that department), with the plan's items that
    apply to the entity as its checklist, the visit and the team drawn; each task is also
    recorded in ``draw_tasks``. The draw is verified first: a draw whose record, plan or
    snapshots no longer agree creates nothing (:class:`IntegrityError`). A draw creates its
    tasks once; all are created or none. Only a plan's current draw creates tasks: a draw a
    redraw replaced is refused (:func:`zhifa.inspections.records.redraw`)."""
    store = engine.store
    problems, targets = _verified(store, draw_id)
    if problems or targets is None:
        problems = problems or [f"the target snapshot of draw {draw_id} cannot be read"]
        raise IntegrityError(
            f"draw {draw_id} does not verify, so it creates no tasks: {problems[0]}; "
            f"see zhifa draw verify {draw_id}"
        )
    info = get_draw(store, draw_id)
    if info.superseded_by is not None:
        current = current_draw(store, info.plan_id)
        raise _superseded(info, current.id if current else info.superseded_by)
    plan = Plan.from_dict(info.record["plan"])
    t = DrawTask.__table__.c
    with store.read() as session:
        done = session.scalar(sa.select(sa.func.count()).where(t.draw_id == draw_id))
        names = {c: n for c, n in session.execute(sa.select(Department.code, Department.name))}
    if done:
        raise RefusedError(
            f"draw {draw_id} has already created its {done} tasks; a draw creates its tasks once "
            "(list them with zhifa matter list --workflow inspection)"
        )
    rows = info.record["visits"]["rows"]
    needed = sorted({d for _entity, departments, _team in rows for d in departments})
    missing = [d for d in needed if not by.get(d)]
    if missing:
        raise InputError(
            f"no officer named to open the tasks of {', '.join(missing)}; give "
            + " ".join(f"--by {d}=OFFICER" for d in missing)
        )
    unused = sorted(set(by) - set(plan.departments))
    if unused:
        raise InputError(
            f"department {', '.join(unused)} is not in plan {info.plan_id}; leave --by "
            f"{unused[0]} out (the plan's departments: {', '.join(plan.departments)})"
        )
    checklist = engine.plugins.checklists()
    positions = np.searchsorted(targets.ids, np.array([r[0] for r in rows], dtype=np.int64))
    industries = targets.industry[positions].tolist() if rows else []
    openings: list[Opening] = []
    tasks: list[dict[str, Any]] = []
    texts: dict[tuple[str, str], str] = {}
    for visit, ((entity, departments, team), industry_no) in enumerate(
        zip(rows, industries, strict=True)
    ):
        industry = targets.industries[industry_no]
        for department in departments:
            text = texts.get((department, industry))
            if text is None:
                items = _task_items(plan, department, industry)
                text = "\n".join(
                    f"{i.code}: {checklist[i.code].name if i.code in checklist else i.code}"
                    for i in items
                )
                texts[(department, industry)] = text
            summary = (
                f"{plan.year}年双随机抽查（抽查批次 {draw_id}，"
                f"{names.get(department, department)}）"
            )
            openings.append(
                Opening(
                    actor=by[department],
                    data={
                        "source": "random_draw",
                        "draw": str(draw_id),
                        "visit": f"{draw_id}-{visit + 1}",
                        "team": list(team),
                        "summary": summary,
                        "checklist": text,
                    },
                    entity_id=int(entity),
                    department=department,
                )
            )
            tasks.append(
                {
                    "draw_id": draw_id,
                    "visit": visit + 1,
                    "entity_id": int(entity),
                    "department_code": department,
                    "year": plan.year,
                }
            )

    def record_tasks(conn: sa.Connection, ids: Sequence[int]) -> None:
        # lock the plan as redraw does, and only then look: a redraw and these tasks never both land
        p, d = DrawPlan.__table__.c, Draw.__table__.c
        conn.execute(sa.select(p.id).where(p.id == info.plan_id).with_for_update())
        later = conn.scalar(sa.select(d.id).where(d.replaces == draw_id))
        if later is not None:
            raise _superseded(info, later)
        conn.execute(
            sa.insert(DrawTask),
            [{**task, "matter_id": m} for task, m in zip(tasks, ids, strict=True)],
        )

    try:
        ids = engine.open_many(INSPECTION, openings, at, also=record_tasks)
    except SAIntegrityError:
        raise RefusedError(
            f"draw {draw_id}'s tasks were created by someone else at the same time; "
            "a draw creates its tasks once"
        ) from None
    counts: dict[str, int] = {}
    for task in tasks:
        counts[task["department_code"]] = counts.get(task["department_code"], 0) + 1
    return TasksCreated(draw_id, tuple(ids), len(rows), counts)
