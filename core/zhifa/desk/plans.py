"""Random-inspection plans and draws (双随机、一公开) on the desk: ``/plans`` lists the plans the
officer's department leads or joins, ``/plans/{id}`` shows a plan, its draws and the tasks they
created, and POST forms publish the plan, run its draw, verify a draw and create its tasks.

Each action calls exactly what ``zhifa plan publish``, ``zhifa draw run``, ``zhifa draw verify``
and ``zhifa draw tasks`` call (:func:`zhifa.inspections.publish_plan`,
:func:`~zhifa.inspections.run_draw`, :func:`~zhifa.inspections.verify_draw`,
:func:`~zhifa.inspections.create_tasks`): the rules (a plan published once and drawn once, the
snapshots older than the public value, the draw verified before its tasks, tasks created once) are
theirs. The desk adds who may act: an officer sees the plans their department leads or joins, and
only an officer of the plan's lead department publishes it, draws it or creates its tasks (as
themself: the draw records the logged-in officer, the tasks are opened by them, so the engine
checks their role). Tasks of a plan joined by several departments need an officer of each
department: those are created with ``zhifa draw tasks --by DEPT=OFFICER …``.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from starlette.responses import Response

from zhifa import inspections
from zhifa.desk import i18n
from zhifa.desk.web import PAGE_SIZE, Page, Pages
from zhifa.errors import InputError, NotFoundError, PermissionRefused, ZhifaError
from zhifa.inspections import DrawInfo, PlanInfo
from zhifa.store.tables import DrawPlan, DrawTask, Matter
from zhifa.timekeeping import parse_moment

pages = Pages()

i18n.add(
    {
        "plans_title": ("双随机抽查计划", "Random-inspection plans"),
        "plans_none": ("本部门没有抽查计划。", "No plans of this department."),
        "plans_year": ("年度", "Year"),
        "plans_lead": ("牵头部门", "Lead department"),
        "plans_departments": ("参与部门", "Departments"),
        "plans_status": ("状态", "Status"),
        "plans_draft": ("草稿", "Draft"),
        "plans_published": ("已公布", "Published"),
        "plans_inspection_date": ("检查日期", "Inspection date"),
        "plans_items": ("抽查事项", "Items"),
        "plans_digest": ("摘要值", "Digest"),
        "plans_publish": ("公布计划", "Publish the plan"),
        "plans_publish_help": (
            "公布后计划即冻结，方可抽取。",
            "Once published the plan is frozen and can be drawn.",
        ),
        "plans_draws": ("抽取记录", "Draws"),
        "plans_no_draws": ("尚未抽取。", "Not drawn yet."),
        "plans_run_draw": ("抽取", "Run the draw"),
        "plans_public_value": ("公开随机数", "Public random value"),
        "plans_value_published_at": ("随机数公布时间", "When the value was published"),
        "plans_target_snapshot": ("检查对象名录快照", "Target directory snapshot"),
        "plans_inspector_snapshot": ("执法检查人员名录快照", "Inspector directory snapshot"),
        "plans_verify": ("复核抽取", "Verify the draw"),
        "plans_verified": (
            "抽取{draw}已复核：重新计算得到相同结果。",
            "draw {draw} confirmed: re-running it gives the recorded result",
        ),
        "plans_create_tasks": ("生成检查任务", "Create the inspection tasks"),
        "plans_tasks": ("检查任务", "Tasks"),
        "plans_entities_drawn": ("抽中主体数", "Entities drawn"),
        "plans_seed": ("种子", "Seed"),
        "plans_drawn_by": ("抽取人", "Drawn by"),
        "plans_current": ("现行", "current"),
        "plans_superseded": ("已被重抽替代", "superseded by a redraw"),
        "plans_published_flash": ("计划{plan}已公布。", "plan {plan} published"),
        "plans_drawn_flash": ("已抽取：抽取{draw}。", "drawn: draw {draw}"),
        "plans_tasks_flash": ("已生成{n}项检查任务。", "{n} inspection tasks created"),
    }
)


def _plans_of(p: Page, department: str) -> list[PlanInfo]:
    """The plans ``department`` leads or joins, newest first."""
    with p.desk.store.read() as s:
        ids = list(s.scalars(sa.select(DrawPlan.id).order_by(DrawPlan.id.desc())))
    found = []
    for plan_id in ids:
        info = inspections.get_plan(p.desk.store, plan_id)
        if department in info.plan.departments:
            found.append(info)
    return found


def _plan(p: Page, plan_id: int, *, acting: bool = False) -> PlanInfo:
    """The plan if the officer's department leads or joins it (the same sentence whether it does
    not exist or is another's); when ``acting``, only for its lead department."""
    try:
        info = inspections.get_plan(p.desk.store, plan_id)
    except NotFoundError:
        info = None
    if info is None or p.me.department not in info.plan.departments:
        raise NotFoundError(
            f"plan {plan_id} does not exist or does not concern your department; check the "
            "number on the plans page"
        )
    if acting and info.plan.lead_department != p.me.department:
        raise PermissionRefused(
            f"plan {plan_id} is led by {info.plan.lead_department}: only its officers publish "
            "it, draw it and create its tasks"
        )
    return info


def _draw(p: Page, draw_id: int, *, acting: bool = False) -> DrawInfo:
    try:
        info = inspections.get_draw(p.desk.store, draw_id)
    except NotFoundError:
        raise NotFoundError(
            f"draw {draw_id} does not exist or does not concern your department; check the "
            "number on the plan's page"
        ) from None
    try:
        _plan(p, info.plan_id, acting=acting)
    except NotFoundError:
        raise NotFoundError(
            f"draw {draw_id} does not exist or does not concern your department; check the "
            "number on the plan's page"
        ) from None
    return info


def _tasks(p: Page, draw_ids: list[int]) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = {d: [] for d in draw_ids}
    if not draw_ids:
        return out
    with p.desk.store.read() as s:
        rows = s.execute(
            sa.select(DrawTask, Matter.title, Matter.state)
            .join(Matter, Matter.id == DrawTask.matter_id)
            .where(DrawTask.draw_id.in_(draw_ids))
            .order_by(DrawTask.draw_id, DrawTask.visit, DrawTask.department_code)
        ).all()
    for task, title, state in rows:
        out[task.draw_id].append(
            {
                "matter": task.matter_id,
                "visit": task.visit,
                "department": task.department_code,
                "title": title,
                "state": state,
                "mine": task.department_code == p.me.department,
            }
        )
    return out


@pages.get("/plans", name="plans")
def plans_page(p: Page) -> Response:
    page = p.int_query("page", 1, 1)
    found = _plans_of(p, p.me.department)
    shown = found[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    return p.render(
        "plans/list.html", {"plans": shown, "page": page, "more": len(found) > page * PAGE_SIZE}
    )


def _show(
    p: Page, plan_id: int, *, error: ZhifaError | None = None, entered: dict[str, str] | None = None
) -> Response:
    info = _plan(p, plan_id)
    draws = inspections.plan_draws(p.desk.store, plan_id)
    snapshots = inspections.list_snapshots(p.desk.store)
    return p.render(
        "plans/plan.html",
        {
            "info": info,
            "plan": info.plan,
            "plan_json": json.dumps(info.plan.as_dict(), ensure_ascii=False, indent=2),
            "draws": draws,
            "tasks": _tasks(p, [d.id for d in draws]),
            "lead": info.plan.lead_department == p.me.department,
            "targets": [s for s in snapshots if s.kind == inspections.TARGETS],
            "inspectors": [s for s in snapshots if s.kind == inspections.INSPECTORS],
            "error": error,
            "entered": entered or {},
        },
        status=400 if isinstance(error, InputError) else (409 if error else 200),
    )


@pages.get("/plans/{plan_id:int}", name="plan")
def plan_page(p: Page) -> Response:
    return _show(p, int(p.request.path_params["plan_id"]))


@pages.post("/plans/{plan_id:int}/publish", name="plan_publish")
def publish(p: Page) -> Response:
    plan_id = int(p.request.path_params["plan_id"])
    _plan(p, plan_id, acting=True)
    try:
        inspections.publish_plan(p.desk.store, plan_id, clock=p.engine.clock)
    except ZhifaError as exc:
        return _show(p, plan_id, error=exc)
    return p.redirect(f"/plans/{plan_id}", flash=p.t("plans_published_flash", plan=plan_id))


def _snapshot(p: Page, name: str) -> int:
    raw = p.value(name).strip()
    if not raw.isdigit():
        raise InputError(f"choose the {name.replace('_', ' ')} to draw on (a snapshot number)")
    return int(raw)


@pages.post("/plans/{plan_id:int}/draw", name="plan_draw")
def run_draw(p: Page) -> Response:
    plan_id = int(p.request.path_params["plan_id"])
    _plan(p, plan_id, acting=True)
    entered = {
        k: p.value(k)
        for k in ("public_value", "value_published_at", "target_snapshot", "inspector_snapshot")
    }
    try:
        value = entered["public_value"].strip()
        if not value:
            raise InputError("give the public random value, exactly as it was published")
        moment = entered["value_published_at"].strip()
        if not moment:
            raise InputError(
                "give when the public value was published (e.g. 2026-05-30T21:30): a draw is "
                "refused on snapshots not taken before that moment"
            )
        info = inspections.run_draw(
            p.desk.store,
            plan_id,
            value,
            _snapshot(p, "target_snapshot"),
            _snapshot(p, "inspector_snapshot"),
            value_published_at=parse_moment(moment),
            clock=p.engine.clock,
            by=p.actor,
        )
    except ZhifaError as exc:
        return _show(p, plan_id, error=exc, entered=entered)
    return p.redirect(f"/plans/{plan_id}", flash=p.t("plans_drawn_flash", draw=info.id))


@pages.post("/draws/{draw_id:int}/verify", name="draw_verify")
def verify(p: Page) -> Response:
    draw_id = int(p.request.path_params["draw_id"])
    info = _draw(p, draw_id)
    problems = inspections.verify_draw(p.desk.store, draw_id)
    if problems:
        return p.render(
            "error.html",
            {"message": f"draw {draw_id} does not verify: {problems[0]}", "details": problems[1:]},
            status=409,
        )
    return p.redirect(f"/plans/{info.plan_id}", flash=p.t("plans_verified", draw=draw_id))


@pages.post("/draws/{draw_id:int}/tasks", name="draw_tasks")
def create_tasks(p: Page) -> Response:
    draw_id = int(p.request.path_params["draw_id"])
    info = _draw(p, draw_id, acting=True)
    try:
        created = inspections.create_tasks(p.engine, draw_id, {p.me.department: p.actor})
    except ZhifaError as exc:
        return _show(p, info.plan_id, error=exc)
    return p.redirect(
        f"/plans/{info.plan_id}", flash=p.t("plans_tasks_flash", n=len(created.matters))
    )
