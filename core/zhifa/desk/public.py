"""The public complaint and report page (投诉举报), with no login: ``/public/report`` files a
complaint (投诉) or a report (举报) about a business and shows a receipt code once;
``/public/follow`` shows, for a receipt code, the state of what was filed in plain words.

What is filed becomes a **clue** (线索, workflow ``clue``) of the department that handles the
business: ``source`` is ``complaint`` or ``report``, ``summary`` what happened (with the business
as the filer named it), ``reporter`` the filer's name and contact when they gave them (a
confidential field: the engine shows it only to the officers handling the clue, and it is never
logged), ``real_name`` whether they asked for a real-name report (then they are owed a notice of
the decision whether to open a case, 市场监督管理投诉举报处理暂行办法 第三十一条). The business is
matched against the directory by its unified social credit code, else by its exact registered
name; a match links the clue to the entity.

Who acts for the public: each department that takes filings here designates an intake officer (a
role that may register a clue: inspector, case handler or head) and gives the server a personal
API token of theirs in ``$ZHIFA_INTAKE_TOKEN`` (several departments: several tokens separated by
commas or spaces). The token is checked on every filing (a revoked or expired one acts no more)
and the clue is the intake officer's department's: the department whose region is the matched
business's region, else the first token's. Without a token the pages answer 503 with the reason.

The receipt code is 24 random base32 characters (120 bits) shown in groups of four; only its
SHA-256 is kept (table ``receipts``), so the database cannot be read back into codes. A code that
matches nothing and a mistyped one get the same answer. Both forms carry the session's CSRF token,
are limited by size (also a body sent without a length) and by a per-address token bucket kept in
this process (an IPv6 address counts as its /64 network; a desk run as several processes has one
bucket per process; behind a reverse proxy, start ``zhifa serve`` with
``--forwarded-allow-ips`` so the client's address is the one counted).
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from starlette.responses import Response

from zhifa import identity
from zhifa.desk import i18n
from zhifa.desk.limits import Bucket, take
from zhifa.desk.web import Page, Pages
from zhifa.errors import AuthError, InputError, NotFoundError, ZhifaError
from zhifa.identity import Session
from zhifa.ids import normalize_uscc, uscc_problem
from zhifa.store.tables import Department, Entity, Officer, Receipt

pages = Pages()

INTAKE_ENV = "ZHIFA_INTAKE_TOKEN"
MAX_WHAT = 2000
MAX_BUSINESS = 200
MAX_NAME = 50
MAX_CONTACT = 100
MAX_BODY = 32_768
"""The largest form body accepted (bytes): every field at its longest in Chinese (3 bytes a
character, 9 once percent-encoded: about 21 KB) fits, with room for the rest of the form."""
CODE_BYTES = 15
"""Random bytes of a receipt code: 120 bits, 24 base32 characters."""

i18n.add(
    {
        "public_title": ("投诉举报", "Complaints and reports"),
        "public_intro": (
            "向市场监督管理部门投诉或举报经营者。提交后您将获得一个受理回执码，请妥善保存，凭它查询办理进展。",
            "Complain about or report a business to market regulation. After you submit, you "
            "get a receipt code: keep it to follow what happens.",
        ),
        "public_kind": ("类型", "Kind"),
        "public_complaint": ("投诉（本人消费权益受损）", "Complaint (your own consumer rights)"),
        "public_report": ("举报（经营者涉嫌违法）", "Report (a suspected violation)"),
        "public_what": ("发生了什么", "What happened"),
        "public_what_help": (
            "时间、地点、经过；不超过2000字。",
            "When, where, what happened; at most 2000 characters.",
        ),
        "public_business": ("经营者名称", "Business name"),
        "public_uscc": ("统一社会信用代码（如知道）", "Unified social credit code (if known)"),
        "public_business_help": (
            "至少填写名称或统一社会信用代码之一。",
            "Give the name or the unified social credit code, or both.",
        ),
        "public_you": ("您的信息（可不填）", "About you (optional)"),
        "public_name": ("姓名", "Name"),
        "public_contact": ("联系方式", "Contact (phone or address)"),
        "public_real_name": (
            "实名举报：我愿意留下姓名和联系方式，以便告知是否立案",
            "Real-name report: I give my name and contact to be told whether a case is opened",
        ),
        "public_privacy": (
            "您的身份信息依法保密，仅承办人员可见。",
            "Your identity is kept confidential by law: only the officers handling it see it.",
        ),
        "public_submit": ("提交", "Submit"),
        "public_receipt_title": ("已收到", "Received"),
        "public_receipt_text": (
            "您的{kind}已登记。受理回执码（只显示这一次，请抄下或截图保存）：",
            "Your {kind} is registered. Your receipt code (shown only this once; write it down):",
        ),
        "public_follow_title": ("查询办理进展", "Follow a complaint or report"),
        "public_code": ("受理回执码", "Receipt code"),
        "public_look": ("查询", "Look up"),
        "public_no_match": (
            "没有与该回执码对应的投诉举报；请核对回执码（不区分大小写，可省略短横线）后重试。",
            "no complaint or report matches this receipt code; check the code (case and dashes "
            "do not matter) and try again",
        ),
        "public_filed_on": ("登记日期", "Registered on"),
        "public_handled_by": ("办理部门", "Handled by"),
        "public_state": ("目前状态", "State"),
        "public_history": ("进展", "Progress"),
        "public_st_received": ("已登记，等待核查", "Registered, waiting to be verified"),
        "public_st_verifying": ("正在核查", "Being verified"),
        "public_st_case_opened": ("已立案调查", "A case was opened"),
        "public_st_not_opened": ("经核查，决定不予立案", "Verified; no case was opened"),
        "public_st_handed_over": (
            "已移交有管辖权的部门办理",
            "Handed over to the competent department",
        ),
        "public_ev_open": ("登记", "Registered"),
        "public_ev_verify": ("开始核查", "Verification started"),
        "public_ev_decided": ("作出决定", "Decision made"),
        "public_follow_link": ("查询办理进展", "Follow a complaint or report"),
        "public_file_link": ("我要投诉举报", "File a complaint or report"),
        "public_unavailable": (
            "网上投诉举报暂不可用：本服务器未配置受理人员（$ZHIFA_INTAKE_TOKEN）；请联系市场监管部门，或拨打12315。",
            "online complaints and reports are unavailable: this server has no intake officer "
            "configured ($ZHIFA_INTAKE_TOKEN); contact the market regulator or call 12315",
        ),
        "public_intake_refused": (
            "网上投诉举报暂不可用：受理人员的令牌已失效；请稍后再试，或拨打12315。",
            "online complaints and reports are unavailable: the intake officer's token no longer "
            "works; try again later or call 12315",
        ),
        "public_too_many": (
            "提交过于频繁：同一地址短时间内的请求已达上限；请{minutes}分钟后再试。",
            "too many requests from your address in a short time; try again in {minutes} minutes",
        ),
        "public_too_large": (
            "提交内容过大：表单不能超过32KB；请精简描述后重新提交。",
            "the form is too large: at most 32 KB is accepted; shorten the description and "
            "submit again",
        ),
    }
)

_NOT_SEPARATOR = re.compile(r"[^A-Z2-7]")


# -- rate limit ------------------------------------------------------------------------------------


REPORT_BUCKET = Bucket("report", capacity=5, refill_seconds=720.0)
"""Filing: 5 at once, then one every 12 minutes."""
FOLLOW_BUCKET = Bucket("follow", capacity=20, refill_seconds=30.0)
"""Looking up a receipt: 20 at once, then one every 30 seconds."""


def _refuse_early(p: Page, bucket: Bucket) -> Response | None:
    """The answer to a request refused before reading it (too large, too many), else None."""
    declared = p.request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        return p.render("error.html", {"message": p.t("public_too_large")}, status=413)
    wait = take(p, bucket)
    if wait:
        minutes = max(1, int(wait // 60) + (1 if wait % 60 else 0))
        return p.render(
            "error.html",
            {"message": p.t("public_too_many", minutes=minutes)},
            status=429,
            headers={"retry-after": str(int(wait) + 1)},
        )
    return None


# -- receipts --------------------------------------------------------------------------------------


def new_code() -> str:
    """A fresh receipt code: 24 base32 characters in groups of four (``ABCD-EFGH-…``)."""
    raw = base64.b32encode(secrets.token_bytes(CODE_BYTES)).decode("ascii")
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def code_hash(code: str) -> str:
    """The SHA-256 kept for ``code``: upper-cased, everything but base32 letters dropped, so
    ``abcd efgh…`` and ``ABCD-EFGH-…`` are the same code."""
    return hashlib.sha256(_NOT_SEPARATOR.sub("", code.upper()).encode("ascii")).hexdigest()


# -- intake ----------------------------------------------------------------------------------------


def intake_tokens() -> list[str]:
    """The intake officers' tokens configured for this server (``$ZHIFA_INTAKE_TOKEN``)."""
    return [t for t in re.split(r"[\s,]+", os.environ.get(INTAKE_ENV, "")) if t]


def intake_sessions(p: Page) -> list[tuple[Session, str, str]]:
    """(session, department code, department region) of each configured intake token, checked
    now; :class:`AuthError` when one proves nothing."""
    found = []
    for token in intake_tokens():
        session = identity.from_token(p.desk.store, token, clock=p.engine.clock)
        with p.desk.store.read() as s:
            row = s.execute(
                sa.select(Officer.department_code, Department.region_code)
                .join(Department, Department.code == Officer.department_code)
                .where(Officer.id == session.officer_id)
            ).one()
        found.append((session, row.department_code, row.region_code))
    return found


@dataclass
class Filing:
    """A checked filing from the form."""

    kind: str
    what: str
    business: str
    uscc: str
    name: str
    contact: str
    real_name: bool


def read_filing(p: Page) -> Filing:
    """The form's filing, checked; :class:`InputError` naming the first problem."""
    kind = p.value("kind")
    if kind not in ("complaint", "report"):
        raise InputError("choose whether this is a complaint or a report, then submit again")
    what = p.value("what").strip()
    business = " ".join(p.value("business").split())
    uscc = normalize_uscc(p.value("uscc")) if p.value("uscc").strip() else ""
    name = " ".join(p.value("name").split())
    contact = " ".join(p.value("contact").split())
    if not what:
        raise InputError("say what happened (when, where, what), then submit again")
    if len(what) > MAX_WHAT:
        raise InputError(
            f"what happened is {len(what)} characters long, more than the {MAX_WHAT} allowed; "
            "shorten it and submit again"
        )
    if not business and not uscc:
        raise InputError(
            "name the business (its name or its unified social credit code), then submit again"
        )
    if len(business) > MAX_BUSINESS:
        raise InputError(
            f"the business name is longer than {MAX_BUSINESS} characters; give its registered name"
        )
    if uscc and (problem := uscc_problem(uscc)):
        raise InputError(
            f"the unified social credit code {uscc!r} is not valid ({problem}); check it or "
            "leave it empty and give the name"
        )
    if len(name) > MAX_NAME or len(contact) > MAX_CONTACT:
        raise InputError(
            f"the name may have at most {MAX_NAME} characters and the contact {MAX_CONTACT}; "
            "shorten them"
        )
    real_name = p.value("real_name") == "1"
    if real_name and not (name and contact):
        raise InputError(
            "a real-name report needs your name and a contact; give both, or untick real-name"
        )
    return Filing(kind, what, business, uscc, name, contact, real_name)


def match_entity(p: Page, filing: Filing) -> tuple[str, str, str] | None:
    """(USCC, name, region) of the directory's entity the filing names: by its code, else by
    its exact name when only one entity has it."""
    with p.desk.store.read() as s:
        if filing.uscc:
            rows = s.execute(
                sa.select(Entity.uscc, Entity.name, Entity.region_code).where(
                    Entity.uscc == filing.uscc
                )
            ).all()
        else:
            rows = s.execute(
                sa.select(Entity.uscc, Entity.name, Entity.region_code)
                .where(Entity.name == filing.business)
                .limit(2)
            ).all()
    if len(rows) != 1:
        return None
    return rows[0].uscc, rows[0].name, rows[0].region_code


def summary_of(filing: Filing, matched: tuple[str, str, str] | None) -> str:
    """The clue's summary: the business as named by the filer, then what happened."""
    named = "，".join(
        x
        for x in (
            f"被{'投诉' if filing.kind == 'complaint' else '举报'}经营者：{filing.business}"
            if filing.business
            else "",
            f"统一社会信用代码：{filing.uscc}" if filing.uscc else "",
            "（名录库未找到）" if matched is None else "",
        )
        if x
    )
    text = f"{named}。\n{filing.what}"
    return text[:MAX_WHAT]


# -- pages -----------------------------------------------------------------------------------------


def _unavailable(p: Page) -> Response:
    return p.render("error.html", {"message": p.t("public_unavailable")}, status=503)


@pages.get("/public/report", name="public_report", public=True)
def report_form(p: Page) -> Response:
    if not intake_tokens():
        return _unavailable(p)
    return p.render("public/report.html", {"entered": {"kind": "report"}})


@pages.post(
    "/public/report",
    name="public_file",
    public=True,
    max_body=MAX_BODY,
    too_large="public_too_large",
)
def file_report(p: Page) -> Response:
    if not intake_tokens():
        return _unavailable(p)
    refused = _refuse_early(p, REPORT_BUCKET)
    if refused is not None:
        return refused
    entered = {
        k: p.value(k) for k in ("kind", "what", "business", "uscc", "name", "contact", "real_name")
    }
    try:
        filing = read_filing(p)
    except InputError as exc:
        return p.render(
            "public/report.html", {"entered": entered, "error": exc.message}, status=400
        )
    try:
        intakes = intake_sessions(p)
    except AuthError:
        return p.render("error.html", {"message": p.t("public_intake_refused")}, status=503)
    matched = match_entity(p, filing)
    session = intakes[0][0]
    if matched is not None:
        session = next((s for s, _, region in intakes if region == matched[2]), session)
    data: dict[str, Any] = {
        "source": filing.kind,
        "summary": summary_of(filing, matched),
        "real_name": filing.real_name,
    }
    if filing.name or filing.contact:
        data["reporter"] = "，".join(x for x in (filing.name, filing.contact) if x)
    title = f"{'投诉' if filing.kind == 'complaint' else '举报'}：" + (
        matched[1] if matched else filing.business or filing.uscc
    )
    try:
        result = p.engine.open(
            "clue", session, data, title=title, entity=matched[0] if matched else None
        )
    except AuthError:
        return p.render("error.html", {"message": p.t("public_intake_refused")}, status=503)
    code = new_code()
    with p.desk.store.write() as s:
        s.add(
            Receipt(
                code_hash=code_hash(code),
                matter_id=result.matter.id,
                issued_at=p.engine.clock.now(),
            )
        )
    kind_word = p.t("public_complaint" if filing.kind == "complaint" else "public_report")
    return p.render(
        "public/receipt.html",
        {"code": code, "kind": kind_word.split("（")[0].split(" (")[0]},
        headers={"cache-control": "no-store"},
    )


@dataclass(frozen=True)
class Progress:
    """What the public may know of a filed clue."""

    state: str
    department: str
    filed_on: date
    steps: list[tuple[str, date]]


STATE_WORDS = {
    "received": "public_st_received",
    "verifying": "public_st_verifying",
    "verifying_extended": "public_st_verifying",
    "testing": "public_st_verifying",
    "testing_extended": "public_st_verifying",
    "case_opened": "public_st_case_opened",
    "not_opened": "public_st_not_opened",
    "handed_over": "public_st_handed_over",
}
STEP_WORDS = {
    "assign": "public_ev_verify",
    "open_case": "public_ev_decided",
    "decline": "public_ev_decided",
    "hand_over": "public_ev_decided",
}


def progress_of(p: Page, code: str) -> Progress:
    """The progress of the clue filed with receipt ``code``: its state, department and the dates
    of its public milestones (never an officer's note, never who filed it);
    :class:`NotFoundError` when no receipt has this code."""
    with p.desk.store.read() as s:
        matter_id = s.scalar(
            sa.select(Receipt.matter_id).where(Receipt.code_hash == code_hash(code))
        )
    if matter_id is None:
        raise NotFoundError(p.t("public_no_match"))
    matter = p.engine.load(matter_id)
    history = p.engine.history(matter_id)
    with p.desk.store.read() as s:
        department = s.scalar(
            sa.select(Department.name).where(Department.code == matter.department)
        )
    steps = [(p.t("public_ev_open"), matter.opened_at.date())]
    steps += [
        (p.t(STEP_WORDS[e.trigger]), e.occurred_at.date())
        for e in history
        if e.trigger in STEP_WORDS
    ]
    return Progress(
        state=p.t(STATE_WORDS.get(matter.state, "public_st_verifying")),
        department=department or matter.department,
        filed_on=matter.opened_at.date(),
        steps=steps,
    )


@pages.get("/public/follow", name="public_follow", public=True)
def follow_form(p: Page) -> Response:
    return p.render("public/follow.html", {})


@pages.post(
    "/public/follow",
    name="public_lookup",
    public=True,
    max_body=MAX_BODY,
    too_large="public_too_large",
)
def follow(p: Page) -> Response:
    refused = _refuse_early(p, FOLLOW_BUCKET)
    if refused is not None:
        return refused
    code = p.value("code")[:64]
    try:
        if not _NOT_SEPARATOR.sub("", code.upper()):
            raise NotFoundError(p.t("public_no_match"))
        progress = progress_of(p, code)
    except ZhifaError as exc:
        return p.render("public/follow.html", {"error": exc.message}, status=404)
    return p.render(
        "public/follow.html", {"progress": progress}, headers={"cache-control": "no-store"}
    )
