"""Importing the directory from files: departments, officers, market entities and declared
conflicts of interest, from a ``.csv`` or ``.xlsx`` file (read by :mod:`zhifa.directory.rows`).

The header row may be in English (the field names) or Chinese (统一社会信用代码, 姓名…);
:func:`accepted_headers` lists what each kind accepts. Row numbers are those a spreadsheet
shows: the header is row 1. An import is all or nothing: any bad row stops it and nothing is
written, unless ``skip_bad`` is set, in which case the good rows are written and the bad ones
returned. Existing keys are updated, new ones inserted, all in one transaction, in batches of
:data:`~zhifa.directory.rows.BATCH_SIZE` rows; a ``progress`` callback is told of each batch.

Text is imported exactly as given, also text a spreadsheet would run as a formula (beginning with
``=``, ``+``, ``-`` or ``@``, :data:`zhifa.tabular.FORMULA_START`): it is not refused, but each
such cell of a row written is listed in :attr:`ImportResult.warnings`, as the directory exports
write it back verbatim. Numbers and dates of an ``.xlsx`` file are not text, so never listed. A
note line before the header (:func:`zhifa.tabular.is_note`, as the exports write) is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError as SqlIntegrityError
from sqlalchemy.orm import Session

from zhifa.directory.conflicts import ConflictIn, _check_conflicts, _Declared
from zhifa.directory.departments import DepartmentIn, _missing_department
from zhifa.directory.entities import EntityIn
from zhifa.directory.officers import _CERTIFICATE_FIELDS, _VERSIONED, OfficerIn, _record_versions
from zhifa.directory.rows import (
    Cell,
    Keyed,
    ProgressCallback,
    _chunks,
    _formula_warnings,
    _read_rows,
    _text,
)
from zhifa.errors import ConflictError, ImportFileError, InputError
from zhifa.store import Store
from zhifa.store.tables import Department, Entity, Officer, OfficerConflict
from zhifa.tabular import is_note
from zhifa.timekeeping import Clock, SystemClock

__all__ = [
    "ImportColumn",
    "ImportKind",
    "ImportResult",
    "Keyed",
    "ProgressCallback",
    "Written",
    "accepted_headers",
    "import_conflicts",
    "import_departments",
    "import_entities",
    "import_officers",
    "import_rows",
]


@dataclass(frozen=True)
class ImportResult:
    """What an import did: rows inserted, rows updated, bad rows skipped (row, reason), and the
    cells written that a spreadsheet would run as formulas (row, column, warning)."""

    source: str
    created: int
    updated: int
    skipped: list[tuple[int, str]] = field(default_factory=list)
    warnings: list[tuple[int, str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.source,
            "created": self.created,
            "updated": self.updated,
            "skipped": [{"row": row, "reason": reason} for row, reason in self.skipped],
            "warnings": [
                {"row": row, "column": column, "warning": warning}
                for row, column, warning in self.warnings
            ],
        }


@dataclass(frozen=True)
class ImportColumn:
    name: str
    aliases: tuple[str, ...]
    required: bool


_In = TypeVar("_In", bound=Keyed)


@dataclass(frozen=True)
class ImportKind(Generic[_In]):
    plural: str
    columns: tuple[ImportColumn, ...]
    parse: Callable[..., _In]
    key_label: str
    together: tuple[str, ...] = ()


_DEPARTMENTS: ImportKind[DepartmentIn] = ImportKind(
    plural="departments",
    columns=(
        ImportColumn("code", ("部门代码", "部门编码", "代码", "编码"), True),
        ImportColumn("name", ("名称", "部门名称"), True),
        ImportColumn("region_code", ("region", "行政区划", "区划代码", "行政区划代码"), True),
    ),
    parse=DepartmentIn.parse,
    key_label="department code",
)


_OFFICERS: ImportKind[OfficerIn] = ImportKind(
    plural="officers",
    columns=(
        ImportColumn("id", ("工号", "编号", "人员编号"), True),
        ImportColumn("name", ("姓名",), True),
        ImportColumn("department", ("department_code", "部门", "所属部门", "部门代码"), True),
        ImportColumn("roles", ("角色",), True),
        ImportColumn("certificate_no", ("certificate", "执法证号", "执法证件号", "证件号"), False),
        ImportColumn(
            "certificate_valid_from", ("valid_from", "有效期起", "发证日期", "有效期自"), False
        ),
        ImportColumn("certificate_valid_to", ("valid_to", "有效期止", "有效期至"), False),
        ImportColumn("specialties", ("specialty", "专业领域", "专业", "检查专业"), False),
        ImportColumn("regions", ("region_codes", "检查区域", "负责区域", "检查区划"), False),
    ),
    parse=OfficerIn.parse,
    key_label="officer id",
    together=_CERTIFICATE_FIELDS,
)


_ENTITIES: ImportKind[EntityIn] = ImportKind(
    plural="entities",
    columns=(
        ImportColumn("uscc", ("统一社会信用代码", "社会信用代码", "信用代码"), True),
        ImportColumn("name", ("名称", "企业名称", "主体名称", "单位名称"), True),
        ImportColumn("kind", ("类型", "主体类型", "企业类型"), True),
        ImportColumn("region_code", ("region", "行政区划", "区划代码", "行政区划代码"), True),
        ImportColumn("industry", ("行业", "所属行业", "行业类别"), True),
        ImportColumn("credit_class", ("credit", "信用等级", "信用分类"), False),
        ImportColumn("risk_level", ("risk", "风险等级"), False),
        ImportColumn("registered_on", ("成立日期", "注册日期", "登记日期"), False),
        ImportColumn("key_supervision", ("重点监管",), False),
    ),
    parse=EntityIn.parse,
    key_label="unified social credit code",
)


_CONFLICTS: ImportKind[ConflictIn] = ImportKind(
    plural="conflicts",
    columns=(
        ImportColumn("officer", ("officer_id", "工号", "人员编号", "执法人员"), True),
        ImportColumn("entity", ("uscc", "entity_id", "统一社会信用代码", "市场主体", "主体"), True),
        ImportColumn("declared_on", ("declared", "声明日期", "申报日期", "申明日期"), True),
        ImportColumn("reason", ("回避事由", "回避原因", "事由", "原因"), True),
    ),
    parse=ConflictIn.parse,
    key_label="officer / entity",
)


def _header_key(text: str) -> str:
    return re.sub(r"[\s\-]+", "_", text.strip().strip("*＊").strip()).lower()


def accepted_headers(kind: str) -> dict[str, list[str]]:
    """For ``"departments"``, ``"officers"``, ``"entities"`` or ``"conflicts"``: field →
    accepted header names, the field name first (what exports write)."""
    spec = {k.plural: k for k in (_DEPARTMENTS, _OFFICERS, _ENTITIES, _CONFLICTS)}[kind]
    return {c.name: [c.name, *c.aliases] for c in spec.columns}


def _describe_headers(spec: ImportKind[Any]) -> str:
    parts = []
    for col in spec.columns:
        names = "/".join((col.name, *col.aliases))
        parts.append(names if col.required else f"{names} (optional)")
    return "; ".join(parts)


def _map_header(spec: ImportKind[Any], header: Sequence[Cell], source: str) -> dict[int, str]:
    lookup = {_header_key(n): c.name for c in spec.columns for n in (c.name, *c.aliases)}
    mapping: dict[int, str] = {}
    seen: dict[str, str] = {}
    unknown: list[str] = []
    repeated: list[str] = []
    for index, cell in enumerate(header):
        label = _text(cell)
        if not label:
            continue
        name = lookup.get(_header_key(label))
        if name is None:
            unknown.append(label)
        elif name in seen:
            repeated.append(f"{seen[name]!r} and {label!r} both mean {name}")
        else:
            seen[name] = label
            mapping[index] = name
    present = set(mapping.values())
    missing = [c.name for c in spec.columns if c.required and c.name not in present]
    if spec.together and present & set(spec.together):
        missing += [n for n in spec.together if n not in present]
    faults = []
    if unknown:
        faults.append(f"unknown column{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}")
    if missing:
        faults.append(f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}")
    if repeated:
        faults.append("; ".join(repeated))
    if faults:
        raise InputError(
            f"{source}: the header row does not fit {spec.plural} ({'; '.join(faults)}); "
            f"accepted headers are {_describe_headers(spec)}"
        )
    return mapping


@dataclass
class _Parsed(Generic[_In]):
    good: list[tuple[int, _In]]
    bad: list[tuple[int, str]]
    present: frozenset[str]
    total: int
    warnings: list[tuple[int, str, str]]


def _parse_file(spec: ImportKind[_In], path: Path) -> _Parsed[_In]:
    rows = _read_rows(path)
    source = path.name
    header_at = next(
        (i for i, row in enumerate(rows) if any(_text(c) for c in row) and not is_note(row)), None
    )
    if header_at is None:
        raise InputError(
            f"{source} has no rows; its first row must be the header, with the columns "
            f"{_describe_headers(spec)}"
        )
    mapping = _map_header(spec, rows[header_at], source)
    width = len(rows[header_at])
    good: list[tuple[int, _In]] = []
    bad: list[tuple[int, str]] = []
    warnings: list[tuple[int, str, str]] = []
    first_row: dict[str, int] = {}
    total = 0
    for number, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
        if not any(_text(c) for c in row):
            continue
        total += 1
        used = max(i for i, c in enumerate(row) if _text(c)) + 1
        if used > width:
            reason = (
                f"the row has values in {used} columns but the header has {width}; "
                "put quotes around values that contain commas"
            )
            bad.append((number, reason))
            continue
        values: dict[str, Cell] = {
            name: row[i] if i < len(row) else None for i, name in mapping.items()
        }
        try:
            item = spec.parse(**values)
        except InputError as exc:
            bad.append((number, exc.message))
            continue
        if item.key in first_row:
            reason = (
                f"{spec.key_label} {item.key} is also on row {first_row[item.key]}; "
                "keep one row per key"
            )
            bad.append((number, reason))
            continue
        first_row[item.key] = number
        good.append((number, item))
        warnings += _formula_warnings(number, values)
    return _Parsed(good, bad, frozenset(mapping.values()), total, warnings)


def _refuse(source: str, plural: str, bad: list[tuple[int, str]], total: int) -> ImportFileError:
    bad = sorted(bad)
    rows = "bad row" if len(bad) == 1 else "bad rows"
    return ImportFileError(
        f"{source} has {len(bad)} {rows} out of {total}, so no {plural} were written; correct "
        "the rows listed below, or use --skip-bad to import only the good rows",
        bad,
    )


def import_rows(
    store: Store,
    path: str | Path,
    spec: ImportKind[_In],
    *,
    skip_bad: bool,
    progress: ProgressCallback | None,
    check: Callable[[Session, list[tuple[int, _In]]], list[tuple[int, str]]],
    existing: Callable[[Session, Sequence[str]], dict[str, Any]],
    write: Callable[[Session, list[_In], list[tuple[_In, Any]], Written], None],
) -> ImportResult:
    """Parse the file, check it, then insert the new keys and update the existing ones.

    ``existing`` maps the keys of a batch that are stored to what ``write`` needs of them;
    ``write`` gets the batch's new items, the existing ones with that value, and :class:`Written`.
    """
    file = Path(path)
    parsed = _parse_file(spec, file)
    created = updated = 0
    bad = list(parsed.bad)
    written = Written(file.name, parsed.present, {item.key: row for row, item in parsed.good})
    try:
        with store.write() as session:
            refused = check(session, parsed.good)
            if (bad or refused) and not skip_bad:
                raise _refuse(file.name, spec.plural, bad + refused, parsed.total)
            if refused:
                bad += refused
                rejected = {row for row, _ in refused}
                good = [item for row, item in parsed.good if row not in rejected]
            else:
                good = [item for _, item in parsed.good]
            if progress is not None and bad:
                progress(len(bad))
            for batch in _chunks(good):
                found = existing(session, [item.key for item in batch])
                new = [item for item in batch if item.key not in found]
                old = [(item, found[item.key]) for item in batch if item.key in found]
                write(session, new, old, written)
                created += len(new)
                updated += len(old)
                if progress is not None:
                    progress(len(batch))
    except SqlIntegrityError:
        raise ConflictError(
            f"{file.name}: another session added some of these {spec.plural} during the import, "
            "so nothing was written; run the import again"
        ) from None
    skipped = {row for row, _ in bad}
    warned = [warning for warning in parsed.warnings if warning[0] not in skipped]
    return ImportResult(file.name, created, updated, sorted(bad), warned)


@dataclass(frozen=True)
class Written:
    """What an import's ``write`` knows of the file: its name, its columns, each key's row."""

    source: str
    present: frozenset[str]
    rows: Mapping[str, int]

    def origin(self, key: str) -> str:
        """What recorded the change to ``key``: ``import officers.csv row 3``."""
        return f"import {self.source} row {self.rows[key]}"


def _update_values(
    columns: dict[str, Any], present: frozenset[str], rename: Mapping[str, str]
) -> dict[str, Any]:
    """Only the columns the file has, so an import without e.g. risk_level keeps stored values."""
    wanted = {rename.get(name, name) for name in present}
    return {k: v for k, v in columns.items() if k in wanted}


def _no_check(_session: Session, _items: list[tuple[int, Any]]) -> list[tuple[int, str]]:
    return []


def import_departments(
    store: Store,
    path: str | Path,
    *,
    skip_bad: bool = False,
    progress: ProgressCallback | None = None,
) -> ImportResult:
    """Insert or update departments from a .csv or .xlsx file (code, name, region_code)."""

    def existing(session: Session, keys: Sequence[str]) -> dict[str, Any]:
        query = select(Department.code).where(Department.code.in_(keys))
        return {code: code for code in session.execute(query).scalars()}

    def write(
        session: Session,
        new: list[DepartmentIn],
        old: list[tuple[DepartmentIn, Any]],
        written: Written,
    ) -> None:
        if new:
            session.execute(insert(Department), [item.columns() for item in new])
        if old:
            present = written.present | {"code"}
            session.execute(
                update(Department),
                [_update_values(item.columns(), present, {}) for item, _ in old],
            )

    return import_rows(
        store,
        path,
        _DEPARTMENTS,
        skip_bad=skip_bad,
        progress=progress,
        check=_no_check,
        existing=existing,
        write=write,
    )


def import_officers(
    store: Store,
    path: str | Path,
    *,
    skip_bad: bool = False,
    progress: ProgressCallback | None = None,
    clock: Clock | None = None,
) -> ImportResult:
    """Insert or update officers from a .csv or .xlsx file.

    Columns: id/工号, name/姓名, department/部门, roles/角色 and optionally the certificate
    (certificate_no/执法证号, certificate_valid_from/有效期起, certificate_valid_to/有效期止; all
    three or none). Departments must exist already. Existing officers are updated with the
    columns the file has.

    Each officer added or changed gets a new version of its record, valid from ``clock``'s now
    (default: the system clock) and recorded by ``import FILE row N``; a row that changes
    nothing adds no version.
    """
    at = (clock or SystemClock()).now()

    def check(session: Session, items: list[tuple[int, OfficerIn]]) -> list[tuple[int, str]]:
        wanted = {item.department for _, item in items}
        if not wanted:
            return []
        known = set(
            session.execute(select(Department.code).where(Department.code.in_(wanted))).scalars()
        )
        return [
            (row, _missing_department(item.department))
            for row, item in items
            if item.department not in known
        ]

    def existing(session: Session, keys: Sequence[str]) -> dict[str, Any]:
        query = select(Officer.id, *(getattr(Officer, name) for name in _VERSIONED))
        return {
            row.id: dict(row._mapping) for row in session.execute(query.where(Officer.id.in_(keys)))
        }

    def write(
        session: Session,
        new: list[OfficerIn],
        old: list[tuple[OfficerIn, Any]],
        written: Written,
    ) -> None:
        if new:
            session.execute(insert(Officer), [item.columns() for item in new])
        changes = [(item.columns(), None, written.origin(item.key)) for item in new]
        if old:
            present = written.present | {"id"}
            rename = {"department": "department_code"}
            values = [_update_values(item.columns(), present, rename) for item, _ in old]
            session.execute(update(Officer), values)
            changes += [
                ({**before, **now}, before, written.origin(item.key))
                for (item, before), now in zip(old, values, strict=True)
            ]
        changes.sort(key=lambda change: written.rows[change[0]["id"]])  # in the file's order
        _record_versions(session, changes, at)

    return import_rows(
        store,
        path,
        _OFFICERS,
        skip_bad=skip_bad,
        progress=progress,
        check=check,
        existing=existing,
        write=write,
    )


def import_entities(
    store: Store,
    path: str | Path,
    *,
    skip_bad: bool = False,
    progress: ProgressCallback | None = None,
) -> ImportResult:
    """Insert or update market entities from a .csv or .xlsx file, keyed by USCC.

    Columns: uscc/统一社会信用代码, name/名称, kind/类型, region_code/行政区划, industry/行业 and
    optionally credit_class/信用等级, risk_level/风险等级, registered_on/成立日期 and
    key_supervision/重点监管 (是/否). Existing entities (same USCC) are
    updated with the columns the file has.
    """

    def existing(session: Session, keys: Sequence[str]) -> dict[str, Any]:
        query = select(Entity.uscc, Entity.id).where(Entity.uscc.in_(keys))
        return {uscc: entity_id for uscc, entity_id in session.execute(query)}

    def write(
        session: Session,
        new: list[EntityIn],
        old: list[tuple[EntityIn, Any]],
        written: Written,
    ) -> None:
        if new:
            session.execute(insert(Entity), [item.columns() for item in new])
        if old:
            present = written.present - {"uscc"}
            session.execute(
                update(Entity),
                [
                    {"id": entity_id, **_update_values(item.columns(), present, {})}
                    for item, entity_id in old
                ],
            )

    return import_rows(
        store,
        path,
        _ENTITIES,
        skip_bad=skip_bad,
        progress=progress,
        check=_no_check,
        existing=existing,
        write=write,
    )


def import_conflicts(
    store: Store,
    path: str | Path,
    *,
    skip_bad: bool = False,
    progress: ProgressCallback | None = None,
) -> ImportResult:
    """Insert or update declared conflicts of interest (回避) from a .csv or .xlsx file.

    Columns: officer/工号, entity/统一社会信用代码 (the USCC or the entity id), declared_on/声明日期
    and reason/回避事由, all required. The rules are those of :func:`declare_conflict`: the
    officer and the entity must exist and each officer–entity pair comes once; every row is
    checked before anything is written. A pair declared already is updated (its day and
    reason), so importing the same file again changes nothing.
    """
    declared: dict[str, _Declared] = {}

    def check(session: Session, items: list[tuple[int, ConflictIn]]) -> list[tuple[int, str]]:
        found, refused = _check_conflicts(session, items)
        declared.update({item.key: found[row] for row, item in items if row in found})
        return [(row, "; ".join(fault.message for fault in faults)) for row, faults in refused]

    def existing(session: Session, keys: Sequence[str]) -> dict[str, Any]:
        wanted = {(declared[key].officer, declared[key].entity_id): key for key in keys}
        c = OfficerConflict
        query = select(c.officer_id, c.entity_id).where(
            c.officer_id.in_(sorted({officer for officer, _ in wanted})),
            c.entity_id.in_(sorted({entity_id for _, entity_id in wanted})),
        )
        stored = {(officer, entity_id) for officer, entity_id in session.execute(query)}
        return {key: pair for pair, key in wanted.items() if pair in stored}

    def write(
        session: Session,
        new: list[ConflictIn],
        old: list[tuple[ConflictIn, Any]],
        written: Written,
    ) -> None:
        def values(item: ConflictIn) -> dict[str, Any]:
            found = declared[item.key]
            return {
                "officer_id": found.officer,
                "entity_id": found.entity_id,
                "declared_on": item.declared_on,
                "reason": item.reason,
            }

        if new:
            session.execute(insert(OfficerConflict), [values(item) for item in new])
        if old:
            session.execute(update(OfficerConflict), [values(item) for item, _ in old])

    return import_rows(
        store,
        path,
        _CONFLICTS,
        skip_bad=skip_bad,
        progress=progress,
        check=check,
        existing=existing,
        write=write,
    )
