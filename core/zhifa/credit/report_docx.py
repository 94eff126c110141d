"""The credit report (:mod:`zhifa.credit.report`) as a Word document: what a report says as
data (:class:`Report`: a cover, numbered sections of paragraphs and tables, closing notes), its
rendering with python-docx, and writing it where it was asked to go.

:func:`render` makes an A4 document with a CJK font set on every run, on the styles and on the
defaults (the East Asian font attribute, with the theme fonts removed, which Word would otherwise
prefer), so Word and LibreOffice render the Chinese whatever their locale; the Latin text is in
Times New Roman. Each section is a numbered heading; a section with nothing to report is one line;
a list of records is a table with a shaded header row repeated on every page. The footer carries
the report number, the edition and the page.

:func:`save` writes the document beside its target under a temporary name and renames it into
place, so a failed write leaves no file and an existing one untouched, and returns the SHA-256 of
what it wrote. :func:`check_target` refuses a path before anything is read: another suffix than
``.docx``, a missing folder, a folder in the way, or an existing file without ``force``.
"""

from __future__ import annotations

import hashlib
import io
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zhifa.errors import InputError
from zhifa.timekeeping import BEIJING

if TYPE_CHECKING:
    from docx.document import Document
    from docx.styles.style import BaseStyle
    from docx.text.paragraph import Paragraph
    from docx.text.run import Run

SUFFIX = ".docx"
LATIN_FONT, BODY_FONT, HEADING_FONT = "Times New Roman", "SimSun", "SimHei"
"""The fonts of every run: Latin text, and the East Asian font of body text and of headings."""
INTERNAL, PUBLIC = "internal", "public"
EDITIONS = {INTERNAL: "内部版 Internal edition", PUBLIC: "公开版 Public edition"}
NUMERALS = "一二三四五六七八九十"


@dataclass(frozen=True, slots=True)
class Grid:
    """A table of the report: its header and rows (text), with an optional caption above."""

    header: Sequence[str]
    rows: Sequence[Sequence[str]]
    caption: str = ""


@dataclass(frozen=True, slots=True)
class Section:
    """A section: its key and title, how many records it reports (``empty`` is said in one line
    when none), the paragraphs before its tables (a ``warning`` first, in bold), the tables and
    the notes after them."""

    key: str
    title: str
    count: int
    empty: str
    lead: Sequence[str] = ()
    warning: str = ""  # said in bold before the lead
    grids: Sequence[Grid] = ()
    notes: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class Report:
    """What the document says, before it is a document."""

    number: str
    edition: str
    name: str
    uscc: str
    as_of: date
    made: datetime
    cover: Sequence[tuple[str, str]]
    sections: Sequence[Section]
    notes: Sequence[str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "edition": self.edition,
            "entity": {"uscc": self.uscc, "name": self.name},
            "as_of": self.as_of.isoformat(),
            "made_at": self.made.isoformat(sep=" ", timespec="seconds"),
            "sections": {s.key: s.count for s in self.sections},
        }


@dataclass(frozen=True, slots=True)
class Written:
    """The report written: where, its SHA-256 and size, and what it says."""

    path: Path
    sha256: str
    size: int
    report: Report

    def as_dict(self) -> dict[str, Any]:
        return {"file": str(self.path), "sha256": self.sha256, "bytes": self.size} | (
            self.report.as_dict()
        )


# -- the document --------------------------------------------------------------------------------


def _fonts(fonts: Any, east: str) -> None:
    """Set the Latin and East Asian fonts of a ``w:rFonts`` element (of a run, a style or the
    defaults), dropping the theme fonts, which Word would otherwise prefer."""
    from docx.oxml.ns import qn

    for theme in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
        fonts.attrib.pop(qn(f"w:{theme}"), None)
    for key, name in (("ascii", LATIN_FONT), ("hAnsi", LATIN_FONT), ("eastAsia", east)):
        fonts.set(qn(f"w:{key}"), name)


def _run(
    paragraph: Paragraph,
    text: str,
    *,
    bold: bool = False,
    size: float | None = None,
    east: str = BODY_FONT,
) -> Run:
    from docx.shared import Pt

    run = paragraph.add_run(text)
    _fonts(run._r.get_or_add_rPr().get_or_add_rFonts(), east)
    run.bold = bold or None
    if size:
        run.font.size = Pt(size)
    return run


def _styles(doc: Document) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    defaults: Any = doc.styles.element.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}")
    fonts, lang = (defaults.find(f"{qn('w:rPr')}/{qn(tag)}") for tag in ("w:rFonts", "w:lang"))
    _fonts(fonts, BODY_FONT)
    lang.set(qn("w:eastAsia"), "zh-CN")  # not en-US: Chinese glyphs, not Japanese ones
    for name, size in (("Normal", 10.5), ("Title", 22), ("Heading 1", 14), ("Heading 2", 12)):
        style: BaseStyle = doc.styles[name]
        fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
        _fonts(fonts, BODY_FONT if name == "Normal" else HEADING_FONT)
        font = style.font  # type: ignore[attr-defined]
        font.size = Pt(size)
        if name != "Normal":
            font.color.rgb = RGBColor(0, 0, 0)
    border = doc.styles["Title"].element.find(f"{qn('w:pPr')}/{qn('w:pBdr')}")
    if border is not None:  # the template's blue rule under the title
        border.getparent().remove(border)


def _grid(doc: Document, grid: Grid) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    if grid.caption:
        _run(doc.add_paragraph(style="Heading 2"), grid.caption, east=HEADING_FONT)
    table = doc.add_table(rows=1, cols=len(grid.header), style="Table Grid")
    head = table.rows[0]
    head._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))  # repeated on every page
    for cell, text in zip(head.cells, grid.header, strict=True):
        _run(cell.paragraphs[0], text, bold=True, size=9)
        shade = OxmlElement("w:shd")
        shade.set(qn("w:val"), "clear")
        shade.set(qn("w:fill"), "E7E6E6")
        cell._tc.get_or_add_tcPr().append(shade)
    for row in grid.rows:
        for cell, text in zip(table.add_row().cells, row, strict=True):
            _run(cell.paragraphs[0], text, size=9)
    doc.add_paragraph()


def _footer(doc: Document, report: Report) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    paragraph = doc.sections[0].footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(paragraph, f"{report.number}　{EDITIONS[report.edition]}　第 ", size=8)
    page, run, text = (OxmlElement(tag) for tag in ("w:fldSimple", "w:r", "w:t"))
    page.set(qn("w:instr"), "PAGE")
    text.text = "1"  # shown until the field is updated
    run.append(text)
    page.append(run)
    paragraph._p.append(page)
    _run(paragraph, " 页", size=8)


def render(report: Report) -> Document:
    """The Word document of ``report``."""
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm

    doc = docx.Document()
    _styles(doc)
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(25)
    section.top_margin = section.bottom_margin = Mm(25)
    for text, style, size in (
        ("信用报告", "Title", 0.0),
        ("Credit report", None, 14),
        (EDITIONS[report.edition], None, 12),
    ):
        paragraph = doc.add_paragraph(style=style)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _run(
            paragraph,
            text,
            east=HEADING_FONT if style else BODY_FONT,
            size=size or None,
            bold=not style,
        )
    _grid(doc, Grid(["项目", "内容"], [list(pair) for pair in report.cover]))
    for n, s in enumerate(report.sections):
        _run(
            doc.add_paragraph(style="Heading 1"),
            f"{NUMERALS[n] if n < len(NUMERALS) else n + 1}、{s.title}",
            east=HEADING_FONT,
        )
        if not s.count:
            _run(doc.add_paragraph(), s.empty)
            continue
        if s.warning:
            _run(doc.add_paragraph(), s.warning, bold=True)
        for text in s.lead:
            _run(doc.add_paragraph(), text)
        for grid in s.grids:
            _grid(doc, grid)
        for text in s.notes:
            _run(doc.add_paragraph(), text, size=9)
    _run(doc.add_paragraph(style="Heading 1"), "说明 Notes", east=HEADING_FONT)
    for text in report.notes:
        _run(doc.add_paragraph(), text, size=9)
    _footer(doc, report)
    props = doc.core_properties
    props.title = f"信用报告 {report.name}"
    props.subject = report.uscc
    props.identifier = report.number
    props.category = EDITIONS[report.edition]
    props.author = props.last_modified_by = "zhifa"
    props.comments = props.keywords = ""
    props.language = "zh-CN"
    props.created = props.modified = to_utc(report.made)  # Word reads them as UTC
    props.revision = 1
    return doc


# -- the file ------------------------------------------------------------------------------------


def to_utc(moment: datetime) -> datetime:
    """A Beijing time (naive, as zhifa keeps them) as the naive UTC time a document stores."""
    return moment.replace(tzinfo=BEIJING).astimezone(UTC).replace(tzinfo=None)


def check_target(path: Path, *, force: bool = False) -> Path:
    """``path`` if a report may be written there: :class:`InputError` for another suffix than
    ``.docx``, a missing folder, a folder in the way, or an existing file without ``force``."""
    if path.suffix.lower() != SUFFIX:
        shown = f"ends in {path.suffix}" if path.suffix else "has no suffix"
        raise InputError(
            f"{path.name} {shown}, but the report is a Word document; end the name with .docx"
        )
    if not path.parent.is_dir():
        fault = "is not a folder" if path.parent.exists() else "does not exist"
        raise InputError(f"{path.parent} {fault}; give the file's path in a folder that exists")
    if path.is_dir():
        raise InputError(f"{path} is a folder; give the name of the file to write")
    if path.exists() and not force:
        raise InputError(
            f"{path} exists already, so nothing was written; give --force to replace it, or "
            "choose another name"
        )
    return path


def save(doc: Document, report: Report, path: Path, *, force: bool = False) -> Written:
    """Write ``doc`` to ``path`` (checked by :func:`check_target`) through a temporary file beside
    it, and return its SHA-256."""
    buffer = io.BytesIO()
    doc.save(buffer)
    content = buffer.getvalue()
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        try:
            with open(temp, "xb") as handle:
                handle.write(content)
        except OSError as exc:
            raise InputError(
                f"cannot write in {path.parent} ({exc.strerror}); choose a folder you may write to"
            ) from None
        if path.exists() and not force:
            raise InputError(
                f"{path} was created by someone else meanwhile, so nothing was written; give "
                "--force to replace it, or choose another name"
            )
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)
    return Written(path, hashlib.sha256(content).hexdigest(), len(content), report)


__all__ = [
    "EDITIONS",
    "INTERNAL",
    "PUBLIC",
    "Grid",
    "Report",
    "Section",
    "Written",
    "check_target",
    "render",
    "save",
]
