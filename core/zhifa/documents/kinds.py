"""The kinds of enforcement document (执法文书) zhifa issues, and the steps that issue them.

A :class:`Kind` says what the document is called (Chinese and English), the word its number
carries (``处罚`` in 杭西市监处罚〔2026〕12号), whether it is numbered at all (a 送达回证 or an
internal approval form is not), and the steps that issue it: a workflow, its triggers and an
optional condition on the matter's record (the same ``step.field: [values]`` form as a
workflow's ``expected.when``; the step being taken counts under its own trigger name).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

OPEN = "open"


@dataclass(frozen=True, slots=True)
class Issue:
    """One place a kind is issued: ``workflow``'s ``triggers`` (``open`` for the opening), when
    every ``trigger.field`` in ``when`` holds one of its values."""

    workflow: str
    triggers: tuple[str, ...]
    when: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)

    def applies(self, workflow: str, trigger: str, record: Mapping[str, Any]) -> bool:
        if workflow != self.workflow or trigger not in self.triggers:
            return False
        for path, allowed in self.when.items():
            step, _, name = path.partition(".")
            data = record.get(step)
            value = data.get(name) if isinstance(data, Mapping) else None
            if value not in allowed:
                return False
        return True


@dataclass(frozen=True, slots=True)
class Kind:
    """A kind of enforcement document."""

    code: str
    label_zh: str
    label_en: str
    word: str  # the word of its number: 杭西市监{word}〔2026〕1号
    numbered: bool
    issued_by: tuple[Issue, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "label_zh": self.label_zh,
            "label_en": self.label_en,
            "word": self.word,
            "numbered": self.numbered,
            "issued_by": [
                {"workflow": i.workflow, "triggers": list(i.triggers), "when": dict(i.when)}
                for i in self.issued_by
            ],
        }


@dataclass(frozen=True, slots=True)
class DocumentTemplate:
    """A department's own template for a kind (what ``zhifa_document_templates`` returns for
    each kind it overrides): the .docx file, and optionally its own number word."""

    path: Path
    word: str | None = None


_CASE_HEARING = {"notify.hearing_eligible": (True,)}

KINDS: dict[str, Kind] = {
    k.code: k
    for k in (
        Kind(
            "filing_approval",
            "立案审批表",
            "Case filing approval form",
            "立",
            True,
            (Issue("case", (OPEN,), {"open.procedure": ("ordinary",)}),),
        ),
        Kind(
            "no_filing_notice",
            "不予立案告知书",
            "Notice of a decision not to open a case",
            "不立",
            True,
            # someone brought the clue and is owed the answer: a complainant, a reporter, the
            # department that referred it
            (Issue("clue", ("decline",), {"open.source": ("complaint", "report", "referral")}),),
        ),
        Kind(
            "penalty_notice",
            "行政处罚事先告知书",
            "Advance notice of a proposed penalty",
            "罚告",
            True,
            (Issue("case", ("notify",)),),
        ),
        Kind(
            "hearing_right_notice",
            "听证告知书",
            "Notice of the right to a hearing",
            "听告",
            True,
            (Issue("case", ("notify",), _CASE_HEARING),),
        ),
        Kind(
            "hearing_notice",
            "听证通知书",
            "Hearing notice",
            "听通",
            True,
            (Issue("case", ("schedule_hearing",)),),
        ),
        Kind(
            "penalty_decision",
            "行政处罚决定书",
            "Administrative penalty decision",
            "处罚",
            True,
            (Issue("case", ("decide_penalty", "decide_on_the_spot")),),
        ),
        Kind(
            "no_penalty_decision",
            "不予行政处罚决定书",
            "Decision not to impose a penalty",
            "不罚",
            True,
            (Issue("case", ("decide_no_penalty",)),),
        ),
        Kind(
            "service_receipt",
            "送达回证",
            "Proof of service",
            "",
            False,
            (Issue("case", ("serve",)),),
        ),
        Kind(
            "correction_order",
            "责令改正通知书",
            "Order to correct",
            "责改",
            True,
            (
                Issue("case", ("decide_soft",), {"decide_soft.measure": ("order_to_correct",)}),
                Issue("inspection", ("order_rectification",)),
            ),
        ),
        Kind(
            "extension_approval",
            "延期审批表",
            "Extension approval form",
            "",
            False,
            (Issue("case", ("extend", "extend_further")),),
        ),
        Kind(
            "demand",
            "催告书",
            "Written demand to perform",
            "催告",
            True,
            (Issue("case", ("serve_demand",)),),
        ),
        Kind(
            "transfer_letter",
            "涉嫌犯罪案件移送书",
            "Letter transferring a suspected crime",
            "移",
            True,
            (Issue("transfer", ("hand_to_police",)),),
        ),
        Kind(
            "publicity_form",
            "行政处罚信息公示表",
            "Penalty publicity form",
            "",
            False,
            (Issue("publication", ("publish",)),),
        ),
    )
}
"""Every kind, by code, in the order a step issues them."""

_BY_STEP: dict[tuple[str, str], tuple[Kind, ...]] = {}
for _kind in KINDS.values():
    for _issue in _kind.issued_by:
        for _trigger in _issue.triggers:
            _BY_STEP[(_issue.workflow, _trigger)] = (
                *_BY_STEP.get((_issue.workflow, _trigger), ()),
                _kind,
            )


def may_issue(workflow: str, trigger: str) -> bool:
    """Whether any kind is issued at ``workflow``'s ``trigger`` (a dictionary look-up: the
    steps that issue nothing pay nothing)."""
    return (workflow, trigger) in _BY_STEP


def issued_at(workflow: str, trigger: str, record: Mapping[str, Any]) -> list[Kind]:
    """The kinds a step issues: ``record`` is the matter's data with the step's own data under
    its trigger name."""
    return [
        k
        for k in _BY_STEP.get((workflow, trigger), ())
        if any(i.applies(workflow, trigger, record) for i in k.issued_by)
    ]
