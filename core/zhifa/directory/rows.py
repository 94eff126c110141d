"""Input rows of the directory (名录库): raw values (cells), checking them, reading a file of them,
and the batches an import or a look-up works in.

A raw value (:data:`Cell`) is a CLI string, a CSV cell or an .xlsx cell; each kind's input
dataclass (:class:`~zhifa.directory.departments.DepartmentIn`,
:class:`~zhifa.directory.officers.OfficerIn`, :class:`~zhifa.directory.entities.EntityIn`,
:class:`~zhifa.directory.conflicts.ConflictIn`) checks its values with the helpers here, which
collect every fault of a record so all of them are reported at once.

Imports read ``.csv`` (UTF-8 with or without BOM, else GB18030 as saved by Excel on Chinese
Windows) or ``.xlsx`` (the first sheet).

Names starting with ``_`` are shared by the modules of :mod:`zhifa.directory` only.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Protocol, TypeVar

from sqlalchemy.orm import Session

from zhifa.errors import InputError
from zhifa.tabular import FORMULA_START

__all__ = [
    "BATCH_SIZE",
    "Cell",
    "ProgressCallback",
    "normalize_codes",
    "parse_date",
    "split_codes",
]


Cell = str | int | float | date | None
"""A raw value: a CLI string, a CSV cell, or an .xlsx cell (numbers and dates come typed)."""

ProgressCallback = Callable[[int], None]
"""Called with the number of rows just handled, so a caller can advance a progress bar."""

BATCH_SIZE = 500
"""Rows per INSERT/UPDATE statement and per key look-up during an import."""


_REGION = re.compile(r"\d{6}")
_DATE = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
)
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")


# ---------------------------------------------------------------------------------------------
# Checking raw values


class Keyed(Protocol):
    """What a parsed row of an import gives: the key that identifies it in the file and the
    database (a department code, an officer id, a USCC, …)."""

    @property
    def key(self) -> str: ...


def _text(value: Cell) -> str:
    """A cell as stripped text; whole floats lose their ``.0`` and dates become ISO dates."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _formula_warnings(number: int, values: Mapping[str, Cell]) -> list[tuple[int, str, str]]:
    """The text cells of row ``number`` that a spreadsheet would run as formulas."""
    found = []
    for name, value in values.items():
        text = _text(value) if isinstance(value, str) else ""
        if text.startswith(FORMULA_START):
            found.append(
                (
                    number,
                    name,
                    f"{name} begins with {text[0]!r}, which a spreadsheet runs as a formula; it "
                    "was imported as given, so do not publish an export of this directory",
                )
            )
    return found


def parse_date(value: Cell) -> date:
    """A date from a ``date``/``datetime`` cell or text such as ``2026-03-02``, ``2026/3/2``,
    ``2026.3.2``, ``2026年3月2日`` or ``20260302``; raises :class:`InputError` otherwise."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    match = _DATE.fullmatch(text) or _COMPACT_DATE.fullmatch(text)
    if match:
        year, month, day = (int(part) for part in match.groups())
        try:
            return date(year, month, day)
        except ValueError:
            pass
    raise InputError(f"{text!r} is not a date; write it as 2026-03-02 or 2026/3/2")


class _Checker:
    """Collects every fault of one record so all of them are reported at once."""

    def __init__(self) -> None:
        self.faults: list[str] = []

    def text(self, name: str, value: Cell, max_len: int, *, what: str) -> str:
        text = _text(value)
        if not text:
            self.faults.append(f"{name} is empty; give the {what}")
        elif len(text) > max_len:
            self.faults.append(f"{name} has {len(text)} characters, at most {max_len} fit")
        return text

    def optional_text(self, name: str, value: Cell, max_len: int) -> str | None:
        text = _text(value)
        if len(text) > max_len:
            self.faults.append(f"{name} has {len(text)} characters, at most {max_len} fit")
        return text or None

    def region(self, name: str, value: Cell) -> str:
        text = _text(value)
        if not _REGION.fullmatch(text):
            shown = repr(text) if text else "empty"
            self.faults.append(
                f"{name} is {shown}, not a 6-digit administrative division code (行政区划代码) "
                "such as 330100"
            )
        return text

    def codes(self, name: str, value: Cell | Iterable[str]) -> tuple[str, ...]:
        codes = split_codes(value)
        joined = ",".join(codes)
        if len(joined) > _CODES_MAX_LEN:
            self.faults.append(
                f"{name} take {len(joined)} characters, at most {_CODES_MAX_LEN} fit; "
                "give fewer codes"
            )
        return codes

    def optional_date(self, name: str, value: Cell) -> date | None:
        if not _text(value):
            return None
        try:
            return parse_date(value)
        except InputError as exc:
            self.faults.append(f"{name}: {exc.message}")
            return None

    def done(self) -> None:
        if self.faults:
            raise InputError("; ".join(self.faults))


_SEPARATORS = re.compile(r"[,;，；、\s]+")
_CODES_MAX_LEN = 500  # officers.specialties and officers.regions are String(500)


def split_codes(value: Cell | Iterable[str]) -> tuple[str, ...]:
    """Codes such as an officer's specialties or regions, normalised: split on commas,
    semicolons, 、 or spaces (ASCII or full-width), stripped, without repeats, sorted.

    ``value`` is text (``"food, drugs"``, ``"330106、330102"``), a cell, or a sequence of such
    texts; ``None`` or empty text gives no codes.
    """
    parts: Iterable[Any] = (
        [value] if value is None or isinstance(value, str | int | float | date) else value
    )
    tokens = {token for part in parts for token in _SEPARATORS.split(_text(part)) if token}
    return tuple(sorted(tokens))


def normalize_codes(value: Cell | Iterable[str]) -> str:
    """The codes of :func:`split_codes`, comma-joined, as stored in ``officers.specialties`` and
    ``officers.regions`` (empty text when there are none)."""
    return ",".join(split_codes(value))


# ---------------------------------------------------------------------------------------------
# Reading a file


def _check_path(path: Path) -> None:
    if path.suffix.lower() not in (".csv", ".xlsx"):
        raise InputError(
            f"{path.name} is not a .csv or .xlsx file; use .csv or .xlsx "
            "(save .xls or .et files as .xlsx first)"
        )
    if not path.exists():
        raise InputError(f"{path} does not exist; check the path")
    if not path.is_file():
        raise InputError(f"{path} is not a file; give the path of a .csv or .xlsx file")


def _read_csv(path: Path) -> list[list[Cell]]:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InputError(
            f"{path.name} is neither UTF-8 nor GB18030 text; save it again as CSV (UTF-8)"
        )
    try:
        return [list(row) for row in csv.reader(io.StringIO(text, newline=""))]
    except csv.Error as exc:
        raise InputError(
            f"{path.name} is not a readable CSV file ({exc}); save it again as CSV"
        ) from None


def _read_xlsx(path: Path) -> list[list[Cell]]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    with warnings.catch_warnings():
        # Files saved by WPS or other tools often lack a default style; that is harmless.
        warnings.simplefilter("ignore", UserWarning)
        try:
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as exc:
            raise InputError(
                f"{path.name} is not a readable .xlsx workbook ({type(exc).__name__}); "
                "open it in Excel or WPS and save it again as .xlsx"
            ) from None
        try:
            if not book.worksheets:
                return []
            sheet = book.worksheets[0]
            return [list(row) for row in sheet.iter_rows(values_only=True)]
        finally:
            book.close()


def _read_rows(path: Path) -> list[list[Cell]]:
    _check_path(path)
    if path.suffix.lower() == ".csv":
        return _read_csv(path)
    return _read_xlsx(path)


# ---------------------------------------------------------------------------------------------
# Batches and detached objects


_T = TypeVar("_T")


def _detached(session: Session, objects: list[_T]) -> list[_T]:
    for obj in objects:
        session.expunge(obj)
    return objects


def _chunks(items: Sequence[_T], size: int = BATCH_SIZE) -> Iterator[Sequence[_T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
