"""A department's own document templates (``zhifa_document_templates``): a template of the case
filing form (立案审批表) with the department's own wording and number word, written into a folder
by :func:`write_template`, given for one department only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import docx

from zhifa import hookimpl
from zhifa.documents import DocumentTemplate

OWN_TEXT = "西湖区局专用立案审批表"


def write_template(path: Path, *lines: str) -> Path:
    """A .docx at ``path`` with one paragraph per line (docxtpl tags allowed)."""
    doc = docx.Document()
    for line in lines:
        doc.add_paragraph(line)
    doc.save(str(path))
    return path


class OwnTemplates:
    """Gives ``department`` the templates ``templates`` (kind → path or DocumentTemplate); every
    other department keeps the shipped ones."""

    __name__ = "own-templates"

    def __init__(self, department: str, templates: dict[str, Any]) -> None:
        self.department, self.templates = department, templates
        self.asked: list[str] = []

    @hookimpl
    def zhifa_document_templates(self, department: str) -> dict[str, Any] | None:
        self.asked.append(department)
        return self.templates if department == self.department else None


def filing_template(folder: Path, word: str | None = "立案") -> DocumentTemplate:
    path = write_template(
        folder / "filing.docx",
        OWN_TEXT,
        "{{ number }}",
        "当事人：{{ party.name }}",
        "承办人员：{% for o in officers %}{{ o.name }}{% endfor %}",
    )
    return DocumentTemplate(path, word=word)
