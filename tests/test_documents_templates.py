"""The shipped templates: the committed .docx files are exactly what their builder
(zhifa.documents.build) makes, each renders with the context a step gives, and every kind is
issued by steps the shipped workflows have."""

from __future__ import annotations

import io
import zipfile

import docx
import pytest

from zhifa.documents import KINDS
from zhifa.documents.build import BODIES, build
from zhifa.documents.render import TEMPLATES, render, template_path
from zhifa.plugins import Plugins


@pytest.mark.parametrize("code", list(KINDS))
def test_committed_template_is_what_the_builder_makes(code: str) -> None:
    committed = template_path(KINDS[code]).read_bytes()
    assert committed == build(code), (
        f"{code}.docx differs from its builder: run python -m zhifa.documents.build"
    )


def test_no_stray_templates() -> None:
    assert sorted(p.stem for p in TEMPLATES.glob("*.docx")) == sorted(KINDS) == sorted(BODIES)


def test_rendering_is_reproducible_and_fills_every_tag() -> None:
    values = {
        "dept_name": "某局",
        "title": "行政处罚决定书",
        "number": "某局处罚〔2026〕1号",
        "date": "2026年3月4日",
        "party": {"name": "甲公司", "uscc": "X", "address": "Y"},
        "officers": [{"name": "李明", "certificate_no": "ZF-1"}],
        "facts": "事实",
        "provision": "某法 第一条",
        "penalty_basis": "某法 第二条",
        "penalty": "警告",
        "fine_words": "",
        "confiscation_words": "",
        "days": {"payment": 15, "review": 60, "sue_months": 6},
        "step": {},
        "open": {},
    }
    first = render(template_path(KINDS["penalty_decision"]), values)
    assert first == render(template_path(KINDS["penalty_decision"]), values)
    with zipfile.ZipFile(io.BytesIO(first)) as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(first)).paragraphs)
    assert "{{" not in text and "{%" not in text
    assert "以上事实违反了某法 第一条的规定。" in text
    assert "缴纳罚款" not in text  # no fine: the payment paragraph is left out


def test_every_kind_is_issued_by_a_shipped_step() -> None:
    workflows = {}
    for d in sorted(Plugins(autoload=False).definitions(), key=lambda d: d.version):
        workflows[d.name] = d  # the newest version of each
    for kind in KINDS.values():
        for issue in kind.issued_by:
            defn = workflows[issue.workflow]
            for trigger in issue.triggers:
                assert trigger == "open" or trigger in defn.triggers, (kind.code, trigger)
            for path in issue.when:
                step, _, field = path.partition(".")
                spec = defn.open if step == "open" else defn.triggers[step]
                assert field in spec.fields, (kind.code, path)
