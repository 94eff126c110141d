"""Exporting the directories of the random draws (一单两库): market entities (the target
directory, 检查对象名录库), officers (the inspector directory, 执法检查人员名录库) and their declared
conflicts of interest (回避), as ``.xlsx`` or ``.csv`` files that :mod:`zhifa.refdata` imports back.

The suffix of the file chooses the format: ``.csv`` is written as UTF-8 with a byte-order mark
(so Excel on Chinese Windows shows Chinese correctly) and CRLF line ends; ``.xlsx`` is one sheet
written by openpyxl in write-only mode. The header row holds the field names the import accepts
(:func:`zhifa.refdata.accepted_headers`), so an exported file imports back unchanged; dates are
written as ``YYYY-MM-DD`` (in .xlsx as date cells shown that way), codes such as roles,
specialties and regions comma-separated and sorted, ``key_supervision`` as 是/否.

Rows are read in batches of :data:`EXPORT_BATCH` (``yield_per``), so a directory of a million
entities is never held in memory at once. The file is written to a temporary file in the same
folder and renamed at the end: a failed export leaves no file behind, and an existing file is
replaced only with ``force``.
"""

from __future__ import annotations

import csv
import os
import secrets
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeAlias

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from zhifa import refdata
from zhifa.errors import InputError, NotFoundError
from zhifa.model import Department, Entity, Officer, OfficerConflict
from zhifa.store import Store

__all__ = [
    "CONFLICT_COLUMNS",
    "ENTITY_COLUMNS",
    "EXPORT_BATCH",
    "FORMATS",
    "OFFICER_COLUMNS",
    "ExportResult",
    "export_conflicts",
    "export_entities",
    "export_officers",
]

EXPORT_BATCH = 2000
"""Rows read from the database at a time (and between two progress updates)."""

FORMATS = (".csv", ".xlsx")
"""The suffixes an export may have; the suffix chooses the format."""

ENTITY_COLUMNS = (
    "uscc",
    "name",
    "kind",
    "region_code",
    "industry",
    "credit_class",
    "risk_level",
    "registered_on",
    "key_supervision",
)
OFFICER_COLUMNS = (
    "id",
    "name",
    "department",
    "roles",
    "certificate_no",
    "certificate_valid_from",
    "certificate_valid_to",
    "specialties",
    "regions",
)
CONFLICT_COLUMNS = ("officer", "entity", "declared_on", "reason")

_Query: TypeAlias = "Select[*tuple[Any, ...]]"
"""A select of any columns."""

Value = str | date | None
"""A value as exported: text, a date, or nothing (an empty cell)."""


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote: the file, its format (``csv`` or ``xlsx``) and the data rows."""

    path: Path
    format: str
    rows: int

    def as_dict(self) -> dict[str, object]:
        return {"file": str(self.path), "format": self.format, "rows": self.rows}


# ---------------------------------------------------------------------------------------------
# The file


def _check_target(path: Path, force: bool) -> str:
    """The format for ``path``; :class:`InputError` if the suffix is wrong, the folder is
    missing, or the file exists and ``force`` is not set."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        shown = f"the suffix {path.suffix}" if path.suffix else "no suffix"
        raise InputError(
            f"{path.name} has {shown}, but exports are written as .csv or .xlsx; end the file "
            "name with .csv or .xlsx"
        )
    if not path.parent.is_dir():
        raise InputError(f"the folder {path.parent} does not exist; create it or choose another")
    if path.is_dir():
        raise InputError(f"{path} is a folder; give the name of the file to write")
    if path.exists() and not force:
        raise InputError(
            f"{path} exists already, so nothing was written; give --force to replace it, or "
            "choose another name"
        )
    return suffix[1:]


@contextmanager
def _temporary(path: Path) -> Iterator[Path]:
    """A new empty file next to ``path``, removed unless the block ends normally."""
    while True:
        temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            # os.open with mode 0o666 keeps the user's umask, unlike tempfile's 0o600.
            os.close(os.open(temp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
            break
        except FileExistsError:
            continue
        except OSError as exc:
            raise InputError(
                f"cannot write in {path.parent} ({exc.strerror}); choose a folder you may write to"
            ) from None
    try:
        yield temp
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _csv_text(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return value


def _write_csv(temp: Path, header: Sequence[str], batches: Iterator[list[list[Value]]]) -> None:
    with temp.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(header)
        for batch in batches:
            writer.writerows([[_csv_text(v) for v in row] for row in batch])


def _write_xlsx(
    temp: Path, sheet: str, header: Sequence[str], batches: Iterator[list[list[Value]]]
) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.utils.exceptions import IllegalCharacterError

    book = Workbook(write_only=True)
    worksheet = book.create_sheet(title=sheet)
    for index, name in enumerate(header, start=1):
        worksheet.column_dimensions[get_column_letter(index)].width = max(12, len(name) + 4)
    worksheet.freeze_panes = "A2"
    bold = Font(bold=True)
    heads = []
    for name in header:
        head = WriteOnlyCell(worksheet, value=name)
        head.font = bold
        heads.append(head)
    worksheet.append(heads)

    def cell(value: Value) -> object:
        if isinstance(value, str) and value.startswith("="):
            text = WriteOnlyCell(worksheet, value)
            text.data_type = "s"  # text that looks like a formula stays text
            return text
        return value  # a date becomes a date cell shown as yyyy-mm-dd

    number = 1
    try:
        for batch in batches:
            for row in batch:
                number += 1
                worksheet.append([cell(value) for value in row])
    except BaseException as exc:
        _discard(worksheet)
        if isinstance(exc, IllegalCharacterError):
            raise InputError(
                f"row {number} holds a control character, which .xlsx files cannot hold, so "
                "nothing was written; export to a .csv file instead"
            ) from None
        raise
    book.save(temp)


def _discard(worksheet: Any) -> None:
    """Close a write-only sheet that will not be saved and remove the file openpyxl buffers its
    rows in (else both linger until the process ends)."""
    with suppress(Exception):
        worksheet.close()
    writer = getattr(worksheet, "_writer", None)
    if writer is not None:
        with suppress(Exception):
            writer.cleanup()


def _export(
    store: Store,
    path: str | Path,
    *,
    sheet: str,
    header: Sequence[str],
    query: Callable[[Session], _Query],
    count: Callable[[Session], int],
    row: Callable[[Any], list[Value]],
    force: bool,
    progress: refdata.ProgressCallback | None,
    total: Callable[[int], None] | None,
) -> ExportResult:
    """Stream the rows of ``query`` through ``row`` into ``path``, in one read transaction."""
    target = Path(path)
    kind = _check_target(target, force)
    written = 0
    with store.read() as session:
        statement = query(session)  # may refuse a bad filter before any file is made
        if total is not None:
            total(count(session))

        def batches() -> Iterator[list[list[Value]]]:
            nonlocal written
            result = session.execute(statement.execution_options(yield_per=EXPORT_BATCH))
            for partition in result.partitions():
                rows = [row(r) for r in partition]
                yield rows
                written += len(rows)
                if progress is not None:
                    progress(len(rows))

        with _temporary(target) as temp:
            if kind == "csv":
                _write_csv(temp, header, batches())
            else:
                _write_xlsx(temp, sheet, header, batches())
            if not force and target.exists():
                raise InputError(
                    f"{target} was created by someone else during the export, so it was left "
                    "as it is; give --force to replace it, or choose another name"
                )
            os.replace(temp, target)
    return ExportResult(target, kind, written)


def _counted(query: _Query) -> Callable[[Session], int]:
    def count(session: Session) -> int:
        return int(session.execute(select(func.count()).select_from(query.subquery())).scalar_one())

    return count


# ---------------------------------------------------------------------------------------------
# The directories


def _entity_query(region: str | None, industry: str | None) -> _Query:
    e = Entity
    columns = select(
        e.uscc,
        e.name,
        e.kind,
        e.region_code,
        e.industry,
        e.credit_class,
        e.risk_level,
        e.registered_on,
        e.key_supervision,
    )
    return refdata.entity_filter(columns, region, industry).order_by(e.id)


def _entity_row(r: Any) -> list[Value]:
    return [
        r.uscc,
        r.name,
        r.kind,
        r.region_code,
        r.industry,
        r.credit_class,
        r.risk_level,
        r.registered_on,
        "是" if r.key_supervision else "否",
    ]


def export_entities(
    store: Store,
    path: str | Path,
    *,
    region: str | None = None,
    industry: str | None = None,
    force: bool = False,
    progress: refdata.ProgressCallback | None = None,
    total: Callable[[int], None] | None = None,
) -> ExportResult:
    """Write the market entities (the target directory) to a .csv or .xlsx file, in the order
    they were added, filtered as :func:`zhifa.refdata.list_entities` filters them.

    ``total`` is called once with the number of rows to come, ``progress`` with each batch
    written. Raises :class:`InputError` for a bad suffix or filter, or an existing file without
    ``force``; nothing is written then.
    """
    query = _entity_query(region, industry)
    return _export(
        store,
        path,
        sheet="entities",
        header=ENTITY_COLUMNS,
        query=lambda _session: query,
        count=_counted(query),
        row=_entity_row,
        force=force,
        progress=progress,
        total=total,
    )


def _officer_row(r: Any) -> list[Value]:
    return [
        r.id,
        r.name,
        r.department_code,
        refdata.normalize_codes(r.roles),
        r.certificate_no,
        r.certificate_valid_from,
        r.certificate_valid_to,
        refdata.normalize_codes(r.specialties),
        refdata.normalize_codes(r.regions),
    ]


def export_officers(
    store: Store,
    path: str | Path,
    *,
    department: str | None = None,
    force: bool = False,
    progress: refdata.ProgressCallback | None = None,
    total: Callable[[int], None] | None = None,
) -> ExportResult:
    """Write the officers (the inspector directory: every officer, with roles, certificate,
    specialties and regions) to a .csv or .xlsx file by id, all or those of ``department``
    (which must exist). See :func:`export_entities` for ``total``, ``progress`` and errors."""
    o = Officer
    query = select(
        o.id,
        o.name,
        o.department_code,
        o.roles,
        o.certificate_no,
        o.certificate_valid_from,
        o.certificate_valid_to,
        o.specialties,
        o.regions,
    ).order_by(o.id)
    if department is not None:
        code = department.strip()
        query = query.where(o.department_code == code)

    def checked(session: Session) -> _Query:
        if department is not None and session.get(Department, department.strip()) is None:
            raise NotFoundError(
                f"department {department.strip()!r} does not exist; check the code with "
                "`zhifa dept list`"
            )
        return query

    return _export(
        store,
        path,
        sheet="officers",
        header=OFFICER_COLUMNS,
        query=checked,
        count=_counted(query),
        row=_officer_row,
        force=force,
        progress=progress,
        total=total,
    )


def export_conflicts(
    store: Store,
    path: str | Path,
    *,
    force: bool = False,
    progress: refdata.ProgressCallback | None = None,
    total: Callable[[int], None] | None = None,
) -> ExportResult:
    """Write the declared conflicts of interest to a .csv or .xlsx file, by officer and the
    entity's USCC (entities are named by USCC, so the file imports into another database).
    See :func:`export_entities` for ``total``, ``progress`` and errors."""
    c = OfficerConflict
    query = (
        select(c.officer_id, Entity.uscc, c.declared_on, c.reason)
        .join(Entity, Entity.id == c.entity_id)
        .order_by(c.officer_id, Entity.uscc)
    )
    return _export(
        store,
        path,
        sheet="conflicts",
        header=CONFLICT_COLUMNS,
        query=lambda _session: query,
        count=_counted(query),
        row=lambda r: [r.officer_id, r.uscc, r.declared_on, r.reason],
        force=force,
        progress=progress,
        total=total,
    )
