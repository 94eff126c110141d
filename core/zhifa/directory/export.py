"""Exporting the directories of the random draws (一单两库): market entities (the target
directory, 检查对象名录库), officers (the inspector directory, 执法检查人员名录库) and their declared
conflicts of interest (回避), as ``.xlsx`` or ``.csv`` files that :mod:`zhifa.directory` imports back.

The files are written by :mod:`zhifa.tabular`, and the suffix chooses the format: ``.csv`` is
written as UTF-8 with a byte-order mark (so Excel on Chinese Windows shows Chinese correctly) and
CRLF line ends, its text exactly as stored (no formula escaping, which would not import back);
``.xlsx`` is one sheet written by openpyxl in write-only mode, and text holding a control
character, which .xlsx cannot hold, is refused rather than altered. The header row holds the
field names the import accepts (:func:`zhifa.directory.importing.accepted_headers`), so an
exported file imports back unchanged; dates are written as ``YYYY-MM-DD`` (in .xlsx as date cells
shown that way), codes such as roles, specialties and regions comma-separated and sorted,
``key_supervision`` as 是/否.

**Not for the public.** Text is kept exactly as stored so it imports back, and a spreadsheet may
run a cell beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return as a formula. The
file says so (:data:`EXPORT_NOTE`): a ``.csv`` file's first line, before the header, is that
note in one cell beginning with ``#``; an ``.xlsx`` workbook holds it in a last sheet 说明, after
the data (see :mod:`zhifa.tabular`). The imports skip both, and warn of each cell a spreadsheet
would run (:attr:`zhifa.directory.importing.ImportResult.warnings`).

Rows are read in batches of :data:`EXPORT_BATCH` (``yield_per``), so a directory of a million
entities is never held in memory at once. The file is written to a temporary file in the same
folder and renamed at the end: a failed export leaves no file behind, and an existing file is
replaced only with ``force``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeAlias

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from zhifa import tabular
from zhifa.directory.entities import entity_filter
from zhifa.directory.rows import ProgressCallback, normalize_codes
from zhifa.errors import NotFoundError
from zhifa.store import Store
from zhifa.store.tables import Department, Entity, Officer, OfficerConflict

__all__ = [
    "CONFLICT_COLUMNS",
    "ENTITY_COLUMNS",
    "EXPORT_BATCH",
    "EXPORT_NOTE",
    "FORMATS",
    "OFFICER_COLUMNS",
    "ExportResult",
    "export_conflicts",
    "export_entities",
    "export_officers",
]

EXPORT_BATCH = 2000
"""Rows read from the database at a time (and between two progress updates)."""

FORMATS = tabular.FORMATS
"""The suffixes an export may have; the suffix chooses the format."""

EXPORT_NOTE = (
    "注意：本文件按原样导出文字以便导回，未作公式转义；以 = + - @ 开头的单元格可能被电子表格当作"
    "公式执行，请勿对外公开。Text is exported exactly as stored so this file imports back; a "
    "spreadsheet may run a cell beginning with = + - @ as a formula: do not publish this file."
)
"""The note each export holds for whoever opens it (see the module's documentation)."""

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
    """What an export wrote: the file, its format (``csv`` or ``xlsx``) and the data rows (one
    table, so one file and one count, unlike :class:`zhifa.tabular.ExportResult`)."""

    path: Path
    format: str
    rows: int

    def as_dict(self) -> dict[str, object]:
        return {"file": str(self.path), "format": self.format, "rows": self.rows}


# ---------------------------------------------------------------------------------------------
# The file (written by zhifa.tabular)


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
    progress: ProgressCallback | None,
    total: Callable[[int], None] | None,
) -> ExportResult:
    """Stream the rows of ``query`` through ``row`` into ``path``, in one read transaction.
    The text is written as it is (no formula escaping), so the file imports back unchanged, and
    the file says so in :data:`EXPORT_NOTE`."""
    target = Path(path)
    tabular.outputs(target, [sheet], force=force)
    with store.read() as session:
        statement = query(session)  # may refuse a bad filter before any file is made
        if total is not None:
            total(count(session))

        def rows() -> Iterator[list[Value]]:
            result = session.execute(statement.execution_options(yield_per=EXPORT_BATCH))
            for partition in result.partitions():
                yield from (row(r) for r in partition)

        table = tabular.Table(sheet, sheet, header, rows(), counted=True)
        written = tabular.write(
            target,
            [table],
            escape_formulas=False,
            note=EXPORT_NOTE,
            force=force,
            progress=progress,
            batch=EXPORT_BATCH,
        )
    return ExportResult(written.files[0], written.format, written.rows[sheet])


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
    return entity_filter(columns, region, industry).order_by(e.id)


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
    progress: ProgressCallback | None = None,
    total: Callable[[int], None] | None = None,
) -> ExportResult:
    """Write the market entities (the target directory) to a .csv or .xlsx file, in the order
    they were added, filtered as :func:`zhifa.directory.list_entities` filters them.

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
        normalize_codes(r.roles),
        r.certificate_no,
        r.certificate_valid_from,
        r.certificate_valid_to,
        normalize_codes(r.specialties),
        normalize_codes(r.regions),
    ]


def export_officers(
    store: Store,
    path: str | Path,
    *,
    department: str | None = None,
    force: bool = False,
    progress: ProgressCallback | None = None,
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
    progress: ProgressCallback | None = None,
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
