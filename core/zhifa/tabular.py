"""Writing tables to ``.xlsx`` or ``.csv`` files: the one writer behind the exports of
:mod:`zhifa.directory` (directories that import back) and :mod:`zhifa.inspections`
(tables for the public).

**Format.** The suffix of the file chooses it: ``.xlsx`` is one workbook written by openpyxl in
write-only mode, one sheet per :class:`Table`, with a bold header row kept in view (frozen), dates
as date cells shown ``yyyy-mm-dd``, and text beginning with ``=`` stored as text, never as a
formula. ``.csv`` is UTF-8 with a byte-order mark (so Excel on Chinese Windows shows Chinese
correctly) and CRLF line ends, one file per table: the file itself when there is one table, else
``STEM-SLUG.csv`` beside it for each. Any other suffix, a missing folder, a folder in place of the
file, or an existing file without ``force`` is an :class:`~zhifa.errors.InputError` in one
sentence, raised by :func:`outputs` before anything is read or written.

**Safety.** Each file is written beside its target under a temporary name and renamed into place
at the end: a failed export leaves no file behind and an existing file untouched. Rows are
streamed from the tables' iterables, never all held at once; ``progress`` is called with the
number of rows written from the tables marked ``counted``, every ``batch`` rows and at the end.

**Text as given, or made safe.** Two keyword arguments of :func:`write` choose between a file
that must import back unchanged and a file for the public. ``escape_formulas`` puts a ``'``
before CSV text beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return, so no
spreadsheet runs it as a formula (formula injection); without it CSV text is written exactly as
given. :func:`escape_formula` is that rule for one text, for other files meant for the public
(the publicity sink's CSV). Numbers and dates are never text, so never escaped: ``-5`` as a whole
number is written ``-5``, as text ``'-5``. ``strip_control`` drops the control characters an
``.xlsx`` file cannot hold; without it such text is refused (``InputError`` naming the row,
nothing written), as dropping characters would alter the data.

**A note to the reader.** ``note`` puts a sentence in the file for whoever opens it, where an
import does not take it for data: in a ``.csv`` file a first line holding one cell that begins
with :data:`NOTE_MARK` (``#``), before the header; in an ``.xlsx`` workbook a last sheet
:data:`NOTE_SHEET` (说明) holding it in ``A1``, after the tables. :func:`is_note` tells such a
line from the header, for the importers that skip it.
"""

from __future__ import annotations

import csv
import os
import secrets
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from zhifa.errors import InputError

__all__ = [
    "BATCH",
    "FORMATS",
    "FORMULA_START",
    "NOTE_MARK",
    "NOTE_SHEET",
    "Cell",
    "ExportResult",
    "Progress",
    "Table",
    "escape_formula",
    "file_format",
    "is_note",
    "outputs",
    "write",
]

FORMATS = (".xlsx", ".csv")
"""The suffixes a file may have; the suffix chooses the format."""

BATCH = 2000
"""Rows written between two progress updates, unless :func:`write` is given another."""

Cell = str | int | date | None
"""A value as written: text, a whole number, a date, or nothing (an empty cell)."""

Progress = Callable[[int], None]
"""Called with the number of rows written since the last call (a rich progress bar's advance)."""

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""CSV text beginning with one of these gets a leading ``'`` when formulas are escaped."""

NOTE_MARK = "#"
"""The first character of a note line in a ``.csv`` file (see :func:`is_note`)."""

NOTE_SHEET = "说明"
"""The sheet of an ``.xlsx`` workbook that holds its note, after the tables."""


def escape_formula(text: str) -> str:
    """``text`` behind a ``'`` if a spreadsheet would run it as a formula (it begins with one of
    :data:`FORMULA_START`), else ``text`` unchanged: ``=1+1`` → ``'=1+1``, ``a=b`` → ``a=b``."""
    return f"'{text}" if text.startswith(FORMULA_START) else text


def is_note(row: Sequence[object]) -> bool:
    """Whether a row read from a file is a note line (a first cell beginning with
    :data:`NOTE_MARK`, every other cell empty), which an import skips."""
    if not row or not isinstance(row[0], str) or not row[0].lstrip().startswith(NOTE_MARK):
        return False
    return all(cell is None or cell == "" for cell in row[1:])


@dataclass(frozen=True)
class Table:
    """One table of a file: its sheet name (.xlsx), the slug of its own .csv file when there are
    several tables, the header, and the rows (possibly a generator, read once). The rows of a
    ``counted`` table advance the progress callback."""

    sheet: str
    slug: str
    header: Sequence[str]
    rows: Iterable[Sequence[Cell]]
    counted: bool = False


@dataclass(frozen=True)
class ExportResult:
    """What was written: the files, the format (``xlsx`` or ``csv``) and the data rows of each
    table, by sheet name."""

    files: tuple[Path, ...]
    format: str
    rows: Mapping[str, int]

    def as_dict(self) -> dict[str, Any]:
        return {
            "files": [str(p) for p in self.files],
            "format": self.format,
            "rows": dict(self.rows),
        }


# -- the files -------------------------------------------------------------------------------------


def file_format(path: Path) -> str:
    """``xlsx`` or ``csv`` as the suffix of ``path`` says; :class:`InputError` for another."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        shown = f"the suffix {path.suffix}" if path.suffix else "no suffix"
        raise InputError(
            f"{path.name} has {shown}, but exports are written as .xlsx or .csv; end the file "
            "name with .xlsx or .csv"
        )
    return suffix[1:]


def outputs(path: Path, slugs: Sequence[str], *, force: bool) -> list[Path]:
    """The files an export of tables with these ``slugs`` to ``path`` writes, checked:
    :class:`InputError` for a bad suffix, a missing folder, a folder in the way, or a file that
    exists when ``force`` is not set."""
    if file_format(path) == "xlsx" or len(slugs) == 1:
        paths = [path]
    else:
        paths = [path.with_name(f"{path.stem}-{slug}.csv") for slug in slugs]
    for each in paths:
        if not each.parent.is_dir():
            raise InputError(
                f"the folder {each.parent} does not exist; create it or choose another"
            )
        if each.is_dir():
            raise InputError(f"{each} is a folder; give the name of the file to write")
        if each.exists() and not force:
            raise InputError(
                f"{each} exists already, so nothing was written; give --force to replace it, "
                "or choose another name"
            )
    return paths


def _temporary(path: Path) -> Path:
    """A new empty file beside ``path``."""
    while True:
        temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            # os.open with mode 0o666 keeps the user's umask, unlike tempfile's 0o600
            os.close(os.open(temp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
            return temp
        except FileExistsError:
            continue
        except OSError as exc:
            raise InputError(
                f"cannot write in {path.parent} ({exc.strerror}); choose a folder you may write to"
            ) from None


def write(
    path: str | Path,
    tables: Sequence[Table],
    *,
    escape_formulas: bool,
    strip_control: bool = False,
    note: str | None = None,
    force: bool = False,
    progress: Progress | None = None,
    batch: int = BATCH,
) -> ExportResult:
    """Write ``tables`` to ``path`` (see the module documentation for the formats and for
    ``escape_formulas``, ``strip_control`` and ``note``). :class:`InputError` as :func:`outputs` says, or
    if a target appeared during the export without ``force``; nothing is written then, nor when
    reading a row fails."""
    if not tables:
        raise ValueError("write needs at least one table")
    target = Path(path)
    paths = outputs(target, [t.slug for t in tables], force=force)
    fmt = file_format(target)
    temps: list[Path] = []
    try:
        if fmt == "xlsx":
            temps.append(_temporary(target))
            counts = _write_xlsx(temps[0], tables, strip_control, note, progress, batch)
        else:
            counts = []
            for each, table in zip(paths, tables, strict=True):
                temps.append(_temporary(each))
                counts.append(_write_csv(temps[-1], table, escape_formulas, note, progress, batch))
        if not force:
            for each in paths:
                if each.exists():
                    raise InputError(
                        f"{each} was created by someone else during the export, so nothing "
                        "was written; give --force to replace it, or choose another name"
                    )
        for temp, each in zip(temps, paths, strict=True):
            os.replace(temp, each)
    finally:
        for temp in temps:
            temp.unlink(missing_ok=True)
    return ExportResult(
        tuple(paths), fmt, {t.sheet: n for t, n in zip(tables, counts, strict=True)}
    )


def _counting(table: Table, progress: Progress | None, batch: int) -> Iterator[Sequence[Cell]]:
    """The table's rows, advancing ``progress`` every ``batch`` rows (and at the end)."""
    if progress is None or not table.counted:
        yield from table.rows
        return
    pending = 0
    for row in table.rows:
        yield row
        pending += 1
        if pending == batch:
            progress(pending)
            pending = 0
    if pending:
        progress(pending)


# -- CSV -------------------------------------------------------------------------------------------


def _csv_text(value: Cell, escape_formulas: bool) -> str:
    """A value as CSV text: a date as ``YYYY-MM-DD``, nothing as empty, text that a spreadsheet
    would run as a formula behind a ``'`` if ``escape_formulas``."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    return escape_formula(value) if escape_formulas else value


def _write_csv(
    temp: Path,
    table: Table,
    escape_formulas: bool,
    note: str | None,
    progress: Progress | None,
    batch: int,
) -> int:
    written = 0
    with temp.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        if note is not None:
            writer.writerow([f"{NOTE_MARK} {note}"])
        writer.writerow(table.header)
        for row in _counting(table, progress, batch):
            writer.writerow([_csv_text(v, escape_formulas) for v in row])
            written += 1
    return written


# -- xlsx ------------------------------------------------------------------------------------------


def _width(name: str) -> int:
    """A column's width for its header: wide (Chinese) characters count twice."""
    shown = sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in name)
    return max(12, shown + 4)


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(index))


def _write_xlsx(
    temp: Path,
    tables: Sequence[Table],
    strip_control: bool,
    note: str | None,
    progress: Progress | None,
    batch: int,
) -> list[int]:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font
    from openpyxl.utils.exceptions import IllegalCharacterError

    book = Workbook(write_only=True)
    bold = Font(bold=True)
    counts: list[int] = []

    def cell(sheet: Any, value: Cell) -> Any:
        if not isinstance(value, str):
            return value  # a date becomes a date cell shown as yyyy-mm-dd
        text: str = ILLEGAL_CHARACTERS_RE.sub("", value) if strip_control else value
        if not text.startswith("="):
            return text
        out = WriteOnlyCell(sheet, value=text)
        out.data_type = "s"  # text that looks like a formula stays text
        return out

    sheets: list[Any] = []
    table = tables[0]
    number = 1
    try:
        for table in tables:
            sheet = book.create_sheet(title=table.sheet)
            sheets.append(sheet)
            for index, name in enumerate(table.header, start=1):
                sheet.column_dimensions[_column_letter(index)].width = _width(name)
            sheet.freeze_panes = "A2"
            heads = []
            for name in table.header:
                head = WriteOnlyCell(sheet, value=name)
                head.font = bold
                heads.append(head)
            sheet.append(heads)
            number = 1
            for row in _counting(table, progress, batch):
                number += 1
                sheet.append([cell(sheet, v) for v in row])
            counts.append(number - 1)
        if note is not None:
            sheet = book.create_sheet(title=NOTE_SHEET)
            sheets.append(sheet)
            sheet.column_dimensions["A"].width = 120
            sheet.append([note])
        book.save(temp)
    except BaseException as exc:
        for sheet in sheets:
            _discard(sheet)
        if isinstance(exc, IllegalCharacterError):
            where = f"row {number}" if len(tables) == 1 else f"row {number} of {table.sheet}"
            raise InputError(
                f"{where} holds a control character, which .xlsx files cannot hold, so nothing "
                "was written; export to a .csv file instead"
            ) from None
        raise
    return counts


def _discard(sheet: Any) -> None:
    """Close a write-only sheet that will not be saved and remove the file openpyxl buffers its
    rows in (else both linger until the process ends, and the writer fails when collected). The
    first error is the one to report, so errors here are ignored."""
    with suppress(Exception):
        sheet.close()
    writer = getattr(sheet, "_writer", None)
    if writer is not None:
        with suppress(Exception):
            writer.cleanup()
