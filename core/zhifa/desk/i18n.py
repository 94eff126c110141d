"""The desk's languages: Chinese by default, English on ``?lang=en`` (remembered in the session).

Labels of workflows, states, steps, fields and allowed values come from the workflow definitions'
``{zh, en}`` labels; the desk's own words are :data:`TEXT`. A page module adds its own words with
:func:`add` (keys prefixed by the module, so two pages never clash)."""

from __future__ import annotations

from collections.abc import Mapping

from zhifa.workflow.definitions import Label

LANGS = ("zh", "en")
DEFAULT = "zh"

TEXT: dict[str, tuple[str, str]] = {
    "app": ("执法工作台", "Enforcement desk"),
    "my_desk": ("我的工作台", "My desk"),
    "due": ("期限提醒", "Deadlines"),
    "search": ("查询", "Search"),
    "search_hint": (
        "文书编号、主体名称或统一社会信用代码、执法人员、事项标题",
        "document number, entity name or USCC, officer, matter title",
    ),
    "new_matter": ("新建事项", "New matter"),
    "logout": ("退出登录", "Log out"),
    "login": ("登录", "Log in"),
    "officer_id": ("执法人员编号", "Officer id"),
    "password": ("密码", "Password"),
    "logged_in_as": ("当前用户", "Signed in as"),
    "login_needed": ("请先登录。", "Please log in first."),
    "logged_out": ("已退出登录。", "You are logged out."),
    "matter": ("事项", "Matter"),
    "matters": ("事项", "Matters"),
    "my_matters": ("我经办的事项", "Matters I handle"),
    "workflow": ("流程", "Workflow"),
    "state": ("状态", "State"),
    "title": ("标题", "Title"),
    "department": ("部门", "Department"),
    "entity": ("市场主体", "Market entity"),
    "version": ("版本", "Version"),
    "opened": ("登记时间", "Opened"),
    "updated": ("更新时间", "Updated"),
    "clocks": ("法定期限", "Statutory deadlines"),
    "owed": ("应办后续事项", "Follow-up matters owed"),
    "story": ("关联事项", "Linked matters"),
    "history": ("办理记录", "History"),
    "documents": ("执法文书", "Documents"),
    "evidence": ("证据材料", "Evidence"),
    "steps_now": ("可办理的步骤", "Steps you may take now"),
    "steps_not_now": ("暂不可办理的步骤", "Steps you may not take now"),
    "no_steps": ("当前没有您可以办理的步骤。", "There is no step you may take now."),
    "submit": ("提交", "Submit"),
    "open_it": ("登记", "Open"),
    "required": ("必填", "required"),
    "attach": ("附件（证据材料）", "Attach files (evidence)"),
    "occurred_at": ("实际发生时间（默认现在）", "When it happened (default: now)"),
    "follows": ("承接事项编号", "Follows matter #"),
    "due_on": ("到期日", "Due on"),
    "remaining": ("剩余", "Left"),
    "overdue": ("已逾期", "Overdue"),
    "provisional": ("暂定（当年节假日数据未公布）", "provisional (holiday data not yet published)"),
    "paused": ("已中止", "paused"),
    "basis": ("依据", "Basis"),
    "rule": ("期限", "Deadline"),
    "working_days": ("个工作日", "working days"),
    "calendar_days": ("日", "days"),
    "within": ("天内到期", "days ahead"),
    "show": ("显示", "Show"),
    "nothing_due": ("没有到期或逾期的期限。", "Nothing is due or overdue."),
    "none": ("无", "none"),
    "prev": ("上一页", "Previous"),
    "next": ("下一页", "Next"),
    "page": ("第{n}页", "page {n}"),
    "when": ("时间", "When"),
    "step": ("步骤", "Step"),
    "by": ("办理人", "By"),
    "data": ("内容", "Data"),
    "hash": ("哈希", "Hash"),
    "download": ("下载", "Download"),
    "number": ("文号", "Number"),
    "kind": ("种类", "Kind"),
    "issued": ("制作时间", "Issued"),
    "size": ("大小", "Size"),
    "records": ("信用记录", "Credit records"),
    "credit_class": ("信用风险分类", "Credit risk class"),
    "class_history": ("分类记录", "Classes stored"),
    "internal": ("内部使用，不对外公开", "internal, never published"),
    "other_departments": (
        "另有 {n} 件事项属于其他部门，不在此显示。",
        "{n} more matters belong to other departments and are not shown.",
    ),
    "results": ("查询结果", "Results"),
    "no_results": ("没有找到。", "Nothing found."),
    "officers": ("执法人员", "Officers"),
    "entities": ("市场主体", "Market entities"),
    "by_number": ("按文书编号", "By document number"),
    "by_title": ("按事项标题", "By matter title"),
    "acted_on": ("办理过的事项", "Matters acted on"),
    "error": ("出错了", "Something is wrong"),
    "refused": ("未获准", "Refused"),
    "choose_workflow": ("选择流程", "Choose a workflow"),
    "choose": ("请选择", "choose"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "example": ("例如", "e.g."),
    "taken": ("已办理", "Done"),
    "go": ("前往", "Go"),
    "language": ("English", "中文"),
    "csrf_refused": (
        "表单未被接受：缺少安全令牌或与本次登录不符；请刷新页面后重新提交。",
        "the form was refused: its security token is missing or does not match this session; "
        "reload the page and submit it again",
    ),
    "body_too_large": (
        "请求过大：本系统接受的请求不超过{size}；请减少或缩小附件后重新提交（上限由管理员通过 "
        "$ZHIFA_DESK_MAX_BODY_MB 设置）。",
        "the request is larger than the {size} this desk accepts; attach fewer or smaller files "
        "and submit again (an administrator sets the limit with $ZHIFA_DESK_MAX_BODY_MB)",
    ),
    "too_many_parts": (
        "表单过大：一次最多提交{files}个文件、{fields}个字段；请分次提交其余文件。",
        "the form holds more than {files} files or {fields} fields, the most one form may send; "
        "attach at most {files} files per step and take the step again for the rest",
    ),
}


def add(words: Mapping[str, tuple[str, str]]) -> None:
    """Add a page module's own words (``key: (zh, en)``); a key already defined is an error."""
    clash = sorted(set(words) & set(TEXT))
    if clash:
        raise ValueError(f"desk words defined twice: {', '.join(clash)}")
    TEXT.update(words)


def text(key: str, lang: str, **values: object) -> str:
    """The desk's word ``key`` in ``lang`` (the key itself when it is not defined)."""
    pair = TEXT.get(key)
    if pair is None:
        return key
    word = pair[1] if lang == "en" else pair[0]
    return word.format(**values) if values else word


def label(value: Label | str, lang: str) -> str:
    """A definition's ``{zh, en}`` label in ``lang`` (a plain string as it is)."""
    if isinstance(value, Label):
        return value.en if lang == "en" else value.zh
    return value
