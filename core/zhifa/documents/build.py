"""The builder of the shipped templates in ``zhifa/documents/templates/``: each kind's text as
code, made into a .docx with python-docx, with docxtpl's Jinja tags where the record fills in.

The .docx files are committed (docxtpl renders from a file, and a department drafting its own
template starts from one in Word) and ``tests/test_documents_templates.py`` checks that they are
exactly what this builder makes. After changing a text here run::

    python -m zhifa.documents.build

The output is byte-for-byte reproducible: fixed document properties and fixed times in the zip.

Every template sees the context :func:`zhifa.documents.render.context` builds: ``dept_name``,
``number``, ``date``, ``party`` (``name``, ``uscc``, ``address``), ``officers`` (``name``,
``certificate_no``), ``facts``, ``provision``, ``penalty_basis``, ``penalty``, ``fine_words``,
``confiscation_words``, ``days`` (the statutory periods) and ``step`` (the step's fields, choices
shown by their Chinese label). Paragraph tags (``{%p if … %}``) leave out a line that does not
apply.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from zhifa.documents.kinds import KINDS
from zhifa.documents.render import TEMPLATES, reproducible

LATIN_FONT, BODY_FONT, TITLE_FONT = "Times New Roman", "FangSong", "SimHei"
FIXED = datetime(2026, 1, 1)

OFFICERS = (
    "执法人员：{% for o in officers %}{{ o.name }}（执法证号：{{ o.certificate_no }}）"
    "{% if not loop.last %}、{% endif %}{% endfor %}"
)
PARTY = (
    "当事人：{{ party.name }}",
    "统一社会信用代码：{{ party.uscc }}",
    "住所（住址）：{{ party.address }}",
)
REMEDIES = (
    "如不服本决定，可以在收到本决定书之日起{{ days.review }}日内依法申请行政复议，或者在"
    "{{ days.sue_months }}个月内依法向人民法院提起行政诉讼。申请行政复议或者提起行政诉讼的，"
    "本决定不停止执行，法律另有规定的除外。"
)

BODIES: dict[str, Sequence[str]] = {
    "filing_approval": (
        *PARTY,
        "涉嫌违法行为：{{ facts }}",
        "违法行为发生或终了日期：{{ step.act_date }}",
        "程序：{{ step.procedure }}",
        "案件来源及立案理由：经初步核查，有证据初步证明当事人涉嫌违法，依法应当给予行政处罚，"
        "属于本局管辖，且在追责时效内，拟予立案调查。",
        "承办人员：{% for o in officers %}{{ o.name }}（执法证号：{{ o.certificate_no }}）"
        "{% if not loop.last %}、{% endif %}{% endfor %}",
        "负责人审批意见：同意立案。",
        "立案日期：{{ date }}",
    ),
    "no_filing_notice": (
        "{{ step.source }}人：",
        "本局于{{ opened_on }}收到你（单位）反映的线索（{{ summary }}），经核查，决定不予立案。",
        "不予立案的理由：{{ step.ground }}。{{ step.explanation }}",
        "特此告知。",
    ),
    "penalty_notice": (
        *PARTY,
        "本局经调查，查明你（单位）存在以下违法事实：{{ facts }}",
        "{%p if provision %}",
        "上述行为违反了{{ provision }}的规定。",
        "{%p endif %}",
        "{% if penalty_basis %}依据{{ penalty_basis }}的规定，{% endif %}"
        "本局拟对你（单位）作出如下行政处罚：{{ penalty }}。",
        "根据《中华人民共和国行政处罚法》第四十四条、第四十五条的规定，你（单位）享有陈述、申辩的权利。"
        "{% if step.hearing_eligible %}你（单位）还享有要求听证的权利，详见听证告知书。{% endif %}"
        "你（单位）如有陈述、申辩意见，请于收到本告知书之日起{{ days.hearing_request }}个工作日内"
        "向本局提出；逾期视为放弃上述权利。",
        OFFICERS,
    ),
    "hearing_right_notice": (
        *PARTY,
        "本局拟对你（单位）作出如下行政处罚：{{ penalty }}。",
        "根据《中华人民共和国行政处罚法》第六十三条、第六十四条的规定，你（单位）有权要求举行听证。"
        "如要求听证，请于收到本告知书之日起{{ days.hearing_request }}个工作日内向本局提出；"
        "逾期未提出的，视为放弃听证权利。",
        OFFICERS,
    ),
    "hearing_notice": (
        *PARTY,
        "根据你（单位）的听证申请，本局定于{{ step.hearing_date }}举行听证，"
        "听证主持人为{{ step.chair }}。本通知于听证{{ days.hearing_notice }}日前送达。",
        "你（单位）可以亲自参加听证，也可以委托一至二人代理；认为主持人与本案有直接利害关系或者有其他"
        "关系可能影响公正执法的，有权申请回避。无正当理由拒不出席听证或者未经许可中途退出听证的，"
        "视为放弃听证权利。",
    ),
    "penalty_decision": (
        *PARTY,
        "违法事实：{{ facts }}",
        "{%p if provision %}",
        "以上事实违反了{{ provision }}的规定。",
        "{%p endif %}",
        "{%p if penalty_basis %}",
        "处罚依据：{{ penalty_basis }}",
        "{%p endif %}",
        "本局决定对你（单位）作出如下行政处罚：{{ penalty }}。",
        "{%p if fine_words %}",
        "请于收到本决定书之日起{{ days.payment }}日内缴纳罚款。到期不缴纳罚款的，每日按罚款数额的"
        "百分之三加处罚款，加处罚款的数额不超出罚款的数额。",
        "{%p endif %}",
        REMEDIES,
        OFFICERS,
    ),
    "no_penalty_decision": (
        *PARTY,
        "经调查：{{ facts }}",
        "不予行政处罚的理由：{{ step.ground }}。{{ step.explanation }}",
        "依据《中华人民共和国行政处罚法》第三十三条的规定，本局决定对你（单位）不予行政处罚。",
        "对你（单位）的教育：{{ step.education }}",
        REMEDIES,
        OFFICERS,
    ),
    "service_receipt": (
        "受送达人：{{ party.name }}",
        "送达文书：{{ served_document }}",
        "送达方式：{{ step.method }}",
        "送达时间：{{ date }}",
        "送达人：{% for o in officers %}{{ o.name }}{% if not loop.last %}、{% endif %}{% endfor %}",
        "受送达人签名或者盖章：",
        "备注：",
    ),
    "correction_order": (
        *PARTY,
        "经查，你（单位）存在以下问题：{{ facts }}",
        "本局责令你（单位）{% if step.correction_deadline %}于{{ step.correction_deadline }}前"
        "{% elif step.deadline %}于{{ step.deadline }}前{% else %}立即{% endif %}改正"
        "{% if step.items %}（整改事项：{{ step.items }}）{% endif %}，"
        "并将改正情况书面报告本局。逾期不改正的，本局将依法处理。",
        "{%p if step.requirements %}",
        "整改要求：{{ step.requirements }}",
        "{%p endif %}",
        "{%p if step.education %}",
        "{{ step.education }}",
        "{%p endif %}",
        OFFICERS,
    ),
    "extension_approval": (
        "案件：{{ title }}",
        *PARTY,
        "立案日期：{{ opened_on }}",
        "延期理由：{{ step.reason }}",
        "延长期限：{% if step.days %}{{ step.days }}日（负责人集体讨论决定）"
        "{% else %}{{ days.extension }}日{% endif %}",
        "负责人审批意见：同意延期。",
    ),
    "demand": (
        *PARTY,
        "本局于{{ decided_on }}对你（单位）作出行政处罚决定，你（单位）未在法定期限内履行。",
        "根据《中华人民共和国行政强制法》第三十五条、第四十五条的规定，现催告你（单位）于"
        "{{ step.deadline }}前履行下列义务：缴纳罚款{{ fine_due_words }}，"
        "加处罚款（截至催告之日）{{ surcharge_due_words }}。",
        "履行方式：{{ step.method }}",
        "你（单位）有权进行陈述和申辩。逾期仍不履行的，本局将依法强制执行或者申请人民法院强制执行。",
    ),
    "transfer_letter": (
        "{{ step.police_unit }}：",
        "本局在查处{{ party.name }}（统一社会信用代码：{{ party.uscc }}）涉嫌违法一案中，发现其行为"
        "涉嫌构成犯罪。根据《行政执法机关移送涉嫌犯罪案件的规定》的规定，现将该案移送你单位，"
        "请依法审查。",
        "案情：{{ facts }}",
        "随附材料：涉嫌犯罪案件情况的调查报告、涉案物品清单、有关检验报告或者鉴定结论及其他有关材料。",
        "请在回执上签字后退回本局。",
    ),
    "publicity_form": (
        "行政处罚决定书文号：{{ open.decision_no }}",
        "当事人：{{ open.party_name }}",
        "统一社会信用代码：{{ party.uscc }}",
        "违法行为类型：{{ open.violation }}",
        "违法事实：{{ open.facts }}",
        "处罚依据：{{ open.legal_basis }}",
        "处罚内容：{{ open.penalty_content }}",
        "{%p if fine_words %}",
        "罚款金额：{{ fine_words }}",
        "{%p endif %}",
        "处罚决定日期：{{ open.decision_date }}",
        "公示截止日期：{{ step.publicity_ends_on }}",
    ),
}


def _fonts(run: Any, east: str) -> None:
    from docx.oxml.ns import qn

    run.font.name = LATIN_FONT
    fonts = run._r.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), east)


def _line(doc: Any, text: str, *, size: float = 14, bold: bool = False, align: int = 0) -> None:
    from docx.shared import Pt

    paragraph = doc.add_paragraph()
    paragraph.alignment = align
    run = paragraph.add_run(text)
    run.font.size = Pt(size)
    run.bold = bold
    _fonts(run, TITLE_FONT if bold else BODY_FONT)


def build(code: str) -> bytes:
    """The template of kind ``code``, as .docx bytes."""
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH as ALIGN

    kind = KINDS[code]
    doc = docx.Document()
    props = doc.core_properties
    props.author = props.last_modified_by = "zhifa"
    props.title = kind.label_zh
    props.created = props.modified = props.last_printed = FIXED
    props.revision = 1
    _line(doc, "{{ dept_name }}", size=18, bold=True, align=ALIGN.CENTER)
    _line(doc, "{{ title }}", size=22, bold=True, align=ALIGN.CENTER)
    _line(doc, "{{ number }}", align=ALIGN.RIGHT)
    for text in BODIES[code]:
        _line(doc, text)
    _line(doc, "{{ dept_name }}（印章）", align=ALIGN.RIGHT)
    _line(doc, "{{ date }}", align=ALIGN.RIGHT)
    out = io.BytesIO()
    doc.save(out)
    return reproducible(out.getvalue())


def main(argv: Sequence[str] = ()) -> int:
    folder = Path(argv[0]) if argv else TEMPLATES
    folder.mkdir(parents=True, exist_ok=True)
    for code in KINDS:
        (folder / f"{code}.docx").write_bytes(build(code))
    print(f"wrote {len(KINDS)} templates to {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
