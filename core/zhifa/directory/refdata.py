"""Reference data (基础数据): departments (执法部门), officers (执法人员) and market entities (市场主体).

Each kind has a frozen input dataclass whose ``parse`` turns raw values (CLI strings, CSV or .xlsx
cells) into checked, normalised ones, and functions that add, list, get and import them.

Imports read ``.csv`` (UTF-8 with or without BOM, else GB18030 as saved by Excel on Chinese
Windows) or ``.xlsx`` (the first sheet). The header row may be in English (the field names) or
Chinese (统一社会信用代码, 姓名…). Row numbers are those a spreadsheet shows: the header is row 1.
An import is all or nothing: any bad row stops it and nothing is written, unless ``skip_bad`` is
set, in which case the good rows are written and the bad ones returned. Existing keys are updated,
new ones inserted, all in one transaction.

Every change to an officer is also kept as a version (:class:`~zhifa.store.tables.OfficerVersion`),
written in the same transaction and only when something changed, with the time it took effect and
what recorded it; :func:`officer_as_of` gives the record as it stood at a moment.

Objects returned by the functions here are detached from their session with every column loaded,
so they can be read after the transaction ends.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Generic, TypeVar, TypeVarTuple

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError as SqlIntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from zhifa.errors import ConflictError, ImportFileError, InputError, NotFoundError
from zhifa.ids import normalize_uscc, uscc_problem
from zhifa.roles import ROLES, parse_roles
from zhifa.store import Store
from zhifa.store.tables import (
    HISTORY_START,
    Department,
    Entity,
    Officer,
    OfficerConflict,
    OfficerVersion,
)
from zhifa.timekeeping import Clock, SystemClock

__all__ = [
    "BATCH_SIZE",
    "BEFORE_HISTORY",
    "CURRENT_RECORD",
    "RISK_LEVELS",
    "Cell",
    "ConflictIn",
    "DepartmentIn",
    "EntityIn",
    "ImportResult",
    "OfficerHistory",
    "OfficerIn",
    "OfficerRecord",
    "ProgressCallback",
    "accepted_headers",
    "add_department",
    "add_entity",
    "add_officer",
    "count_entities",
    "declare_conflict",
    "department_as_dict",
    "entity_as_dict",
    "entity_filter",
    "find_entity",
    "find_officer",
    "get_department",
    "get_entity",
    "get_officer",
    "get_officer_history",
    "import_conflicts",
    "import_departments",
    "import_entities",
    "import_officers",
    "list_conflicts",
    "list_departments",
    "list_entities",
    "list_officers",
    "normalize_codes",
    "officer_as_dict",
    "officer_as_of",
    "officer_histories",
    "officer_history",
    "parse_date",
    "split_codes",
]

Cell = str | int | float | date | None
"""A raw value: a CLI string, a CSV cell, or an .xlsx cell (numbers and dates come typed)."""

ProgressCallback = Callable[[int], None]
"""Called with the number of rows just handled, so a caller can advance a progress bar."""

BATCH_SIZE = 500
"""Rows per INSERT/UPDATE statement and per key look-up during an import."""

RISK_LEVELS: dict[str, str] = {
    "low": "low",
    "medium": "medium",
    "high": "high",
    "低": "low",
    "中": "medium",
    "高": "high",
    "低风险": "low",
    "中风险": "medium",
    "高风险": "high",
}
"""Accepted spellings of a risk level (风险等级) and the stored value."""

_REGION = re.compile(r"\d{6}")
_CREDIT_CLASS = re.compile(r"[A-E]{1,8}")
_DATE = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
)
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")


# ---------------------------------------------------------------------------------------------
# Checking raw values


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


# ---------------------------------------------------------------------------------------------
# Input records


@dataclass(frozen=True, slots=True)
class DepartmentIn:
    """A department (执法部门) as given: a code, its name and its region (行政区划代码)."""

    code: str
    name: str
    region_code: str

    @classmethod
    def parse(cls, *, code: Cell, name: Cell, region_code: Cell) -> DepartmentIn:
        """Check and normalise raw values; raises :class:`InputError` listing every fault."""
        check = _Checker()
        dept = cls(
            code=check.text("code", code, 32, what="department code"),
            name=check.text("name", name, 200, what="department name"),
            region_code=check.region("region_code", region_code),
        )
        check.done()
        return dept

    @property
    def key(self) -> str:
        return self.code

    def columns(self) -> dict[str, Any]:
        """The values as columns of :class:`~zhifa.store.tables.Department`."""
        return {"code": self.code, "name": self.name, "region_code": self.region_code}


_CERTIFICATE_FIELDS = ("certificate_no", "certificate_valid_from", "certificate_valid_to")
_ROLE_BY_LABEL = {label: code for code, (label, _english) in ROLES.items()}


def _role_codes(text: str) -> str:
    """Role text with Chinese role names (检查人员, 办案人员…) replaced by their codes."""
    tokens = _SEPARATORS.split(text)
    return ",".join(_ROLE_BY_LABEL.get(token, token) for token in tokens if token)


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


@dataclass(frozen=True, slots=True)
class OfficerIn:
    """An officer (执法人员): id (工号), name, department code, roles, enforcement certificate.

    The certificate (执法证) fields go together: all three or none. An officer without one may
    still hold roles; whether a step needs a valid certificate is the workflow's rule.
    """

    id: str
    name: str
    department: str
    roles: tuple[str, ...]
    certificate_no: str | None = None
    certificate_valid_from: date | None = None
    certificate_valid_to: date | None = None
    specialties: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()

    @classmethod
    def parse(
        cls,
        *,
        id: Cell,
        name: Cell,
        department: Cell,
        roles: Cell | Iterable[str],
        certificate_no: Cell = None,
        certificate_valid_from: Cell = None,
        certificate_valid_to: Cell = None,
        specialties: Cell | Iterable[str] = None,
        regions: Cell | Iterable[str] = None,
    ) -> OfficerIn:
        """Check and normalise raw values; raises :class:`InputError` listing every fault.

        ``roles`` is text such as ``"inspector, case_handler"`` or a sequence of role codes.
        Dates may be ``date`` objects or text (see :func:`parse_date`). ``specialties`` (专业领域:
        what the officer may be drawn to check, e.g. ``food``) and ``regions`` (检查区域: 6-digit
        region codes the officer inspects; none means every region) are normalised by
        :func:`split_codes`.
        """
        check = _Checker()
        officer_id = check.text("id", id, 32, what="officer id (工号)")
        officer_name = check.text("name", name, 100, what="officer's name (姓名)")
        dept = check.text("department", department, 32, what="department code")
        role_text = (
            _text(roles)
            if roles is None or isinstance(roles, str | int | float | date)
            else ",".join(roles)
        )
        parsed_roles: tuple[str, ...] = ()
        try:
            parsed_roles = parse_roles(_role_codes(role_text))
        except ValueError as exc:
            check.faults.append(f"roles: {exc}")
        number = check.optional_text("certificate_no", certificate_no, 64)
        valid_from = check.optional_date("certificate_valid_from", certificate_valid_from)
        valid_to = check.optional_date("certificate_valid_to", certificate_valid_to)
        raw = {
            "certificate_no": certificate_no,
            "certificate_valid_from": certificate_valid_from,
            "certificate_valid_to": certificate_valid_to,
        }
        given = [f for f in _CERTIFICATE_FIELDS if _text(raw[f])]
        if given and len(given) < len(_CERTIFICATE_FIELDS):
            missing = [f for f in _CERTIFICATE_FIELDS if f not in given]
            check.faults.append(
                f"the certificate fields go together but {', '.join(missing)} "
                f"{'is' if len(missing) == 1 else 'are'} missing; give the certificate number "
                "with both validity dates, or none of them"
            )
        if valid_from and valid_to and valid_from > valid_to:
            check.faults.append(
                f"certificate_valid_from {valid_from} is after certificate_valid_to {valid_to}; "
                "correct the validity dates"
            )
        specialty_codes = check.codes("specialties", specialties)
        region_codes = check.codes("regions", regions)
        bad_regions = [code for code in region_codes if not _REGION.fullmatch(code)]
        if bad_regions:
            check.faults.append(
                f"regions {', '.join(repr(code) for code in bad_regions)} "
                f"{'is not a' if len(bad_regions) == 1 else 'are not'} 6-digit administrative "
                "division code (行政区划代码); give codes such as 330106, separated by commas"
            )
        officer = cls(
            id=officer_id,
            name=officer_name,
            department=dept,
            roles=parsed_roles,
            certificate_no=number,
            certificate_valid_from=valid_from,
            certificate_valid_to=valid_to,
            specialties=specialty_codes,
            regions=region_codes,
        )
        check.done()
        return officer

    @property
    def key(self) -> str:
        return self.id

    def columns(self) -> dict[str, Any]:
        """The values as columns of :class:`~zhifa.store.tables.Officer` (roles comma-separated)."""
        return {
            "id": self.id,
            "name": self.name,
            "department_code": self.department,
            "roles": ",".join(sorted(self.roles)),
            "certificate_no": self.certificate_no,
            "certificate_valid_from": self.certificate_valid_from,
            "certificate_valid_to": self.certificate_valid_to,
            "specialties": ",".join(self.specialties),
            "regions": ",".join(self.regions),
        }


@dataclass(frozen=True, slots=True)
class EntityIn:
    """A market entity (市场主体) identified by its unified social credit code (USCC).

    ``kind`` is free text such as 企业, 个体工商户 or 农民专业合作社. ``credit_class`` (信用等级) is
    letters A–E; ``risk_level`` (风险等级) is stored as low, medium or high;
    ``registered_on`` (成立日期) is the registration date; ``key_supervision`` (重点监管) marks
    an entity under key supervision (random draws may sample it at a higher ratio).
    """

    uscc: str
    name: str
    kind: str
    region_code: str
    industry: str
    credit_class: str | None = None
    risk_level: str | None = None
    registered_on: date | None = None
    key_supervision: bool = False

    @classmethod
    def parse(
        cls,
        *,
        uscc: Cell,
        name: Cell,
        kind: Cell,
        region_code: Cell,
        industry: Cell,
        credit_class: Cell = None,
        risk_level: Cell = None,
        registered_on: Cell = None,
        key_supervision: Cell = None,
    ) -> EntityIn:
        """Check and normalise raw values; raises :class:`InputError` listing every fault.

        The USCC is upper-cased with spaces removed; the risk level accepts low/medium/high in
        any case or 低/中/高 (also 低风险/中风险/高风险).
        """
        check = _Checker()
        code = "".join(_text(uscc).split()).upper()
        if not code:
            check.faults.append(
                "uscc is empty; give the unified social credit code (统一社会信用代码)"
            )
        else:
            try:
                code = normalize_uscc(code)
            except InputError as exc:
                check.faults.append(exc.message)
        entity_name = check.text("name", name, 200, what="entity's name (名称)")
        entity_kind = check.text("kind", kind, 50, what="entity type (主体类型) such as 企业")
        region = check.region("region_code", region_code)
        entity_industry = check.text("industry", industry, 100, what="industry (行业)")
        credit = _text(credit_class).upper() or None
        if credit is not None and not _CREDIT_CLASS.fullmatch(credit):
            check.faults.append(
                f"credit_class {credit!r} is not a credit class (信用等级); use letters A–E"
            )
        risk_text = _text(risk_level)
        risk = RISK_LEVELS.get(risk_text.lower()) if risk_text else None
        if risk_text and risk is None:
            check.faults.append(
                f"risk_level {risk_text!r} is not a risk level (风险等级); "
                "use low, medium or high (低, 中, 高)"
            )
        registered = check.optional_date("registered_on", registered_on)
        key_text = _text(key_supervision).lower()
        if key_text and key_text not in _YES | _NO:
            check.faults.append(
                f"key_supervision {key_text!r} is not yes or no; use 是/否, yes/no, true/false "
                "or 1/0"
            )
        entity = cls(
            uscc=code,
            name=entity_name,
            kind=entity_kind,
            region_code=region,
            industry=entity_industry,
            credit_class=credit,
            risk_level=risk,
            registered_on=registered,
            key_supervision=key_text in _YES,
        )
        check.done()
        return entity

    @property
    def key(self) -> str:
        return self.uscc

    def columns(self) -> dict[str, Any]:
        """The values as columns of :class:`~zhifa.store.tables.Entity` (without the id)."""
        return {
            "uscc": self.uscc,
            "name": self.name,
            "kind": self.kind,
            "region_code": self.region_code,
            "industry": self.industry,
            "credit_class": self.credit_class,
            "risk_level": self.risk_level,
            "registered_on": self.registered_on,
            "key_supervision": self.key_supervision,
        }


_YES = frozenset({"是", "yes", "y", "true", "1", "重点监管"})
_NO = frozenset({"否", "no", "n", "false", "0"})


# ---------------------------------------------------------------------------------------------
# Plain views


def department_as_dict(dept: Department) -> dict[str, object]:
    return {"code": dept.code, "name": dept.name, "region_code": dept.region_code}


def officer_as_dict(officer: Officer) -> dict[str, object]:
    return {
        "id": officer.id,
        "name": officer.name,
        "department": officer.department_code,
        "roles": sorted(officer.role_set),
        "certificate_no": officer.certificate_no,
        "certificate_valid_from": officer.certificate_valid_from,
        "certificate_valid_to": officer.certificate_valid_to,
        "specialties": list(split_codes(officer.specialties)),
        "regions": list(split_codes(officer.regions)),
    }


def entity_as_dict(entity: Entity) -> dict[str, object]:
    return {
        "id": entity.id,
        "uscc": entity.uscc,
        "name": entity.name,
        "kind": entity.kind,
        "region_code": entity.region_code,
        "industry": entity.industry,
        "credit_class": entity.credit_class,
        "risk_level": entity.risk_level,
        "registered_on": entity.registered_on,
        "key_supervision": bool(entity.key_supervision),
    }


# ---------------------------------------------------------------------------------------------
# Officer history


BEFORE_HISTORY = "as recorded before zhifa kept officer history"
"""``recorded_by`` of a version dated :data:`~zhifa.store.tables.HISTORY_START`: an officer's record
as it stood before zhifa kept officer history (seeded by migration 0002, or kept the first time
an officer written to the database by other means is changed here)."""

CURRENT_RECORD = "the current record; no versions are recorded of this officer"
"""``recorded_by`` of the one version of an officer with no history kept (``valid_from`` None)."""

_VERSIONED = (
    "name",
    "department_code",
    "roles",
    "certificate_no",
    "certificate_valid_from",
    "certificate_valid_to",
)
"""The columns of an officer a version keeps; a change to any of them makes a new version."""


@dataclass(frozen=True, slots=True)
class OfficerRecord:
    """An officer's record as it stood from ``valid_from`` until the officer's next version.

    The attributes are named like the columns of :class:`~zhifa.store.tables.Officer`, so
    :meth:`zhifa.hooks.types.Actor.from_row` takes a record as it takes an officer row.
    ``valid_from`` is None when no history is kept for the officer (the row was written to the
    database by other means than this module): the current record is then the only one known.
    """

    id: str
    name: str
    department_code: str
    roles: str
    certificate_no: str | None
    certificate_valid_from: date | None
    certificate_valid_to: date | None
    valid_from: datetime | None
    recorded_by: str

    @classmethod
    def current(cls, officer: Officer) -> OfficerRecord:
        """The officer's record as it stands now (``valid_from`` None)."""
        values = _version_values({name: getattr(officer, name) for name in _VERSIONED})
        return cls(officer.id, **values, valid_from=None, recorded_by=CURRENT_RECORD)

    @property
    def role_set(self) -> frozenset[str]:
        return frozenset(r for r in self.roles.split(",") if r)

    def values(self) -> dict[str, Any]:
        """The versioned columns, as :func:`_version_values` gives them."""
        return {name: getattr(self, name) for name in _VERSIONED}

    def certificate_text(self) -> str:
        """The certificate in words: ``certificate ZF-1 valid 2024-01-01 to 2027-12-31``."""
        if self.certificate_no is None:
            return "no enforcement certificate"
        return (
            f"certificate {self.certificate_no} valid {self.certificate_valid_from} "
            f"to {self.certificate_valid_to}"
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "valid_from": self.valid_from,
            "recorded_by": self.recorded_by,
            "name": self.name,
            "department": self.department_code,
            "roles": sorted(self.role_set),
            "certificate_no": self.certificate_no,
            "certificate_valid_from": self.certificate_valid_from,
            "certificate_valid_to": self.certificate_valid_to,
        }


@dataclass(frozen=True, slots=True)
class OfficerHistory:
    """Every known version of one officer's record, oldest first; never empty.

    An officer with no history kept has one version: the current record, ``valid_from`` None.
    """

    officer_id: str
    versions: tuple[OfficerRecord, ...]

    @property
    def kept(self) -> bool:
        """Whether versions were recorded for the officer (else only the current record is)."""
        return self.versions[0].valid_from is not None

    def as_of(self, moment: datetime) -> OfficerRecord:
        """The version in effect at ``moment``: the latest whose ``valid_from`` is at or before it.

        For a moment before the first version (a step recorded with a time before the officer
        was added) this is the first version, the earliest record known; its ``valid_from``,
        later than ``moment``, tells.
        """
        in_effect = [v for v in self.versions if v.valid_from is None or v.valid_from <= moment]
        return in_effect[-1] if in_effect else self.versions[0]


def _version_values(columns: Mapping[str, Any]) -> dict[str, Any]:
    """The versioned columns of an officer, roles sorted, so equal records compare equal."""
    values = {name: columns[name] for name in _VERSIONED}
    values["roles"] = ",".join(sorted({r for r in str(values["roles"]).split(",") if r}))
    return values


_VERSION_COLUMNS = (
    OfficerVersion.officer_id,
    *(getattr(OfficerVersion, name) for name in _VERSIONED),
    OfficerVersion.valid_from,
    OfficerVersion.recorded_by,
)
_VERSION_ORDER = (OfficerVersion.officer_id, OfficerVersion.valid_from, OfficerVersion.id)


def _record(
    row: Any, officer_id: str, valid_from: datetime | None, recorded_by: str
) -> OfficerRecord:
    return OfficerRecord(
        officer_id, **_version_values(row._mapping), valid_from=valid_from, recorded_by=recorded_by
    )


def _record_versions(
    session: Session,
    changes: Sequence[tuple[Mapping[str, Any], Mapping[str, Any] | None, str]],
    at: datetime,
) -> None:
    """Keep a version, valid from ``at``, of each officer written whose record changed.

    ``changes`` holds, per officer written, its columns now, its columns before (None for a new
    officer) and what recorded the change. An officer's record changed if it differs from its
    latest version; an existing officer with no version yet first gets its old record as a
    version dated :data:`~zhifa.store.tables.HISTORY_START`, so earlier steps keep being judged on it.
    """
    stored = _stored_versions(
        session, [now["id"] for now, before, _ in changes if before is not None]
    )
    rows: list[dict[str, Any]] = []
    for now, before, recorded_by in changes:
        officer_id = now["id"]
        values = _version_values(now)
        last = stored[officer_id][-1].values() if officer_id in stored else None
        if last is None and before is not None:
            last = _version_values(before)
            if last != values:
                rows.append(
                    {
                        "officer_id": officer_id,
                        **last,
                        "valid_from": HISTORY_START,
                        "recorded_by": BEFORE_HISTORY,
                    }
                )
        if last != values:
            rows.append(
                {"officer_id": officer_id, **values, "valid_from": at, "recorded_by": recorded_by}
            )
    if rows:
        session.execute(insert(OfficerVersion), rows)


def _stored_versions(
    session: Session, officer_ids: Sequence[str]
) -> dict[str, list[OfficerRecord]]:
    """The versions recorded of these officers, oldest first, by officer id."""
    versions: dict[str, list[OfficerRecord]] = {}
    for batch in _chunks(officer_ids):
        query = (
            select(*_VERSION_COLUMNS)
            .where(OfficerVersion.officer_id.in_(batch))
            .order_by(*_VERSION_ORDER)
        )
        for row in session.execute(query):
            versions.setdefault(row.officer_id, []).append(
                _record(row, row.officer_id, row.valid_from, row.recorded_by)
            )
    return versions


def officer_histories(session: Session, officer_ids: Iterable[str]) -> dict[str, OfficerHistory]:
    """The history of each of these officers that exists, by id, in two queries per batch.

    An officer with no versions recorded gets a history of its current record alone.
    """
    ids = sorted(set(officer_ids))
    versions = _stored_versions(session, ids)
    unkept = [officer_id for officer_id in ids if officer_id not in versions]
    current = (Officer.id, *(getattr(Officer, name) for name in _VERSIONED))
    for batch in _chunks(unkept):
        for row in session.execute(select(*current).where(Officer.id.in_(batch))):
            versions[row.id] = [_record(row, row.id, None, CURRENT_RECORD)]
    return {oid: OfficerHistory(oid, tuple(versions[oid])) for oid in ids if oid in versions}


def officer_history(session: Session, officer_id: str) -> OfficerHistory:
    """The officer's history in ``session``; raises :class:`NotFoundError` if there is none."""
    history = officer_histories(session, [officer_id.strip()]).get(officer_id.strip())
    if history is None:
        raise _no_officer(officer_id)
    return history


def officer_as_of(session: Session, officer_id: str, moment: datetime) -> OfficerRecord:
    """The officer's record as it stood at ``moment`` (see :meth:`OfficerHistory.as_of`).

    Raises :class:`NotFoundError` if there is no such officer.
    """
    return officer_history(session, officer_id).as_of(moment)


# ---------------------------------------------------------------------------------------------
# Adding one record


_T = TypeVar("_T")
_Columns = TypeVarTuple("_Columns")


def _detached(session: Session, objects: list[_T]) -> list[_T]:
    for obj in objects:
        session.expunge(obj)
    return objects


def _missing_department(code: str) -> str:
    return (
        f"department {code!r} does not exist; "
        f"add it with `zhifa dept add {code} NAME --region CODE`"
    )


def add_department(store: Store, *, code: Cell, name: Cell, region_code: Cell) -> Department:
    """Add a department; raises :class:`InputError` if the values are bad or the code is taken."""
    item = DepartmentIn.parse(code=code, name=name, region_code=region_code)
    exists = (
        f"department {item.code!r} already exists; to change it, import a file with its row "
        "(`zhifa dept import` updates existing departments)"
    )
    try:
        with store.write() as session:
            if session.get(Department, item.code) is not None:
                raise InputError(exists)
            dept = Department(**item.columns())
            session.add(dept)
    except SqlIntegrityError:
        raise InputError(exists) from None
    return dept


def add_officer(
    store: Store,
    *,
    id: Cell,
    name: Cell,
    department: Cell,
    roles: Cell | Iterable[str],
    certificate_no: Cell = None,
    certificate_valid_from: Cell = None,
    certificate_valid_to: Cell = None,
    specialties: Cell | Iterable[str] = None,
    regions: Cell | Iterable[str] = None,
    clock: Clock | None = None,
) -> Officer:
    """Add an officer to an existing department (see :meth:`OfficerIn.parse` for the values).

    The officer's first version is kept, valid from ``clock``'s now (default: the system
    clock), recorded by "officer add". Raises :class:`InputError` if a value is bad, the
    department does not exist or the id is already taken.
    """
    item = OfficerIn.parse(
        id=id,
        name=name,
        department=department,
        roles=roles,
        certificate_no=certificate_no,
        certificate_valid_from=certificate_valid_from,
        certificate_valid_to=certificate_valid_to,
        specialties=specialties,
        regions=regions,
    )
    exists = (
        f"officer {item.id!r} already exists; to change the officer, import a file with the row "
        "(`zhifa officer import` updates existing officers)"
    )
    at = (clock or SystemClock()).now()
    try:
        with store.write() as session:
            if session.get(Department, item.department) is None:
                raise InputError(_missing_department(item.department))
            if session.get(Officer, item.id) is not None:
                raise InputError(exists)
            officer = Officer(**item.columns())
            session.add(officer)
            session.flush()
            _record_versions(session, [(item.columns(), None, "officer add")], at)
    except SqlIntegrityError:
        raise InputError(exists) from None
    return officer


def add_entity(
    store: Store,
    *,
    uscc: Cell,
    name: Cell,
    kind: Cell,
    region_code: Cell,
    industry: Cell,
    credit_class: Cell = None,
    risk_level: Cell = None,
) -> Entity:
    """Add a market entity (see :meth:`EntityIn.parse` for the values).

    Raises :class:`InputError` if a value is bad or an entity with the USCC exists already.
    """
    item = EntityIn.parse(
        uscc=uscc,
        name=name,
        kind=kind,
        region_code=region_code,
        industry=industry,
        credit_class=credit_class,
        risk_level=risk_level,
    )
    exists = (
        f"an entity with the unified social credit code {item.uscc} already exists; to change it, "
        "import a file with its row (`zhifa entity import` updates existing entities)"
    )
    try:
        with store.write() as session:
            found = session.execute(select(Entity.id).where(Entity.uscc == item.uscc)).first()
            if found is not None:
                raise InputError(exists)
            entity = Entity(**item.columns())
            session.add(entity)
            session.flush()
    except SqlIntegrityError:
        raise InputError(exists) from None
    return entity


# ---------------------------------------------------------------------------------------------
# Reading


def list_departments(store: Store) -> list[Department]:
    """Every department, by code."""
    with store.read() as session:
        rows = list(session.execute(select(Department).order_by(Department.code)).scalars())
        return _detached(session, rows)


def get_department(store: Store, code: str) -> Department:
    """The department with ``code``; raises :class:`NotFoundError` if there is none."""
    with store.read() as session:
        dept = session.get(Department, code.strip())
        if dept is None:
            raise NotFoundError(_missing_department(code.strip()))
        return _detached(session, [dept])[0]


def _no_officer(officer_id: str) -> NotFoundError:
    return NotFoundError(
        f"no officer has the id {officer_id.strip()!r}; check the id with `zhifa officer list`"
    )


def find_officer(session: Session, officer_id: str) -> Officer:
    """The officer with ``officer_id`` in ``session``; raises :class:`NotFoundError`."""
    officer = session.get(Officer, officer_id.strip())
    if officer is None:
        raise _no_officer(officer_id)
    return officer


def get_officer(store: Store, officer_id: str) -> Officer:
    """The officer with ``officer_id``; raises :class:`NotFoundError` if there is none."""
    with store.read() as session:
        return _detached(session, [find_officer(session, officer_id)])[0]


def get_officer_history(store: Store, officer_id: str) -> tuple[Officer, OfficerHistory]:
    """The officer with ``officer_id`` and every version of its record, read together; raises
    :class:`NotFoundError` if there is no such officer."""
    with store.read() as session:
        officer = find_officer(session, officer_id)
        history = officer_history(session, officer.id)
        return _detached(session, [officer])[0], history


def list_officers(store: Store, department: str | None = None) -> list[Officer]:
    """Officers by id, all or those of ``department`` (which must exist)."""
    with store.read() as session:
        query = select(Officer).order_by(Officer.id)
        if department is not None:
            code = department.strip()
            if session.get(Department, code) is None:
                raise NotFoundError(_missing_department(code))
            query = query.where(Officer.department_code == code)
        return _detached(session, list(session.execute(query).scalars()))


_MAX_ID = 2**31 - 1  # ids are 32-bit integers; larger numbers cannot name an entity


def _entity_ref(uscc_or_id: str | int) -> int | str:
    """An entity as named: a numeric id (an ``int``) or a checked USCC (a ``str``).

    A value of up to 17 digits is an id; anything else must be a valid USCC, else
    :class:`InputError`.
    """
    if isinstance(uscc_or_id, int):
        return uscc_or_id
    text = "".join(uscc_or_id.split()).upper()
    if text.isdigit() and len(text) < 18:
        return int(text)
    problem = uscc_problem(text)
    if problem:
        raise InputError(
            f"{uscc_or_id!r} is neither an entity id nor a unified social credit code "
            f"({problem}); give the id or the USCC shown by `zhifa entity list`"
        )
    return text


def _no_entity(ref: int | str) -> NotFoundError:
    what = "unified social credit code" if isinstance(ref, str) else "id"
    return NotFoundError(
        f"no entity has the {what} {ref}; check it with `zhifa entity list` or add the "
        "entity with `zhifa entity add` or `zhifa entity import`"
    )


def find_entity(session: Session, uscc_or_id: str | int) -> Entity:
    """The entity with this USCC or numeric id in ``session``; raises :class:`NotFoundError`.

    A value of up to 17 digits is an id; anything else must be a valid USCC.
    """
    ref = _entity_ref(uscc_or_id)
    entity: Entity | None = None
    if isinstance(ref, int):
        if 0 < ref <= _MAX_ID:
            entity = session.get(Entity, ref)
    else:
        entity = session.execute(select(Entity).where(Entity.uscc == ref)).scalar()
    if entity is None:
        raise _no_entity(ref)
    return entity


def _find_entities(session: Session, refs: Iterable[int | str]) -> dict[int | str, tuple[int, str]]:
    """The entities these references name that exist, reference → (id, USCC), in batches."""
    wanted = set(refs)
    ids = sorted(r for r in wanted if isinstance(r, int) and 0 < r <= _MAX_ID)
    codes = sorted(r for r in wanted if isinstance(r, str))
    found: dict[int | str, tuple[int, str]] = {}
    columns = select(Entity.id, Entity.uscc)
    for id_batch in _chunks(ids):
        for entity_id, uscc in session.execute(columns.where(Entity.id.in_(id_batch))):
            found[entity_id] = (entity_id, uscc)
    for code_batch in _chunks(codes):
        for entity_id, uscc in session.execute(columns.where(Entity.uscc.in_(code_batch))):
            found[uscc] = (entity_id, uscc)
    return found


@dataclass(frozen=True, slots=True)
class ConflictIn:
    """A conflict of interest an officer declared with an entity (回避): the officer's id, the
    entity's USCC or id, the day it was declared and why."""

    officer: str
    entity: int | str
    declared_on: date
    reason: str

    @classmethod
    def parse(cls, *, officer: Cell, entity: Cell, declared_on: Cell, reason: Cell) -> ConflictIn:
        """Check and normalise raw values; raises :class:`InputError` listing every fault."""
        check = _Checker()
        officer_id = check.text("officer", officer, 32, what="officer id (工号)")
        ref: int | str = ""
        entity_text = _text(entity)
        if not entity_text:
            check.faults.append(
                "entity is empty; give the entity's unified social credit code (统一社会信用代码) "
                "or its id"
            )
        else:
            try:
                ref = _entity_ref(entity_text)
            except InputError as exc:
                check.faults.append(exc.message)
        day = check.optional_date("declared_on", declared_on)
        if day is None and not _text(declared_on):
            check.faults.append(
                "declared_on is empty; give the day the conflict was declared, e.g. 2026-03-02"
            )
        text = _text(reason)
        if not text:
            check.faults.append(
                "reason is empty; give the reason of the conflict, e.g. 近亲属在该企业任职"
            )
        check.done()
        assert day is not None  # check.done() raised otherwise
        return cls(officer=officer_id, entity=ref, declared_on=day, reason=text)

    @property
    def key(self) -> str:
        return f"{self.officer} / {self.entity}"


@dataclass(frozen=True, slots=True)
class _Declared:
    """A declaration whose officer and entity were found: the officer id, entity id and USCC."""

    officer: str
    entity_id: int
    uscc: str


def _check_conflicts(
    session: Session, items: Sequence[tuple[int, ConflictIn]]
) -> tuple[dict[int, _Declared], list[tuple[int, list[InputError]]]]:
    """The rules every declaration of a conflict must meet, for one declaration or a file of
    them: the officer and the entity exist, and each officer–entity pair is declared once.

    Returns the declarations that meet them by row, and the others by row with their faults
    (a :class:`NotFoundError` for an unknown officer or entity).
    """
    officer_ids = sorted({item.officer for _, item in items})
    known: set[str] = set()
    for batch in _chunks(officer_ids):
        known.update(session.execute(select(Officer.id).where(Officer.id.in_(batch))).scalars())
    entities = _find_entities(session, [item.entity for _, item in items])
    declared: dict[int, _Declared] = {}
    refused: list[tuple[int, list[InputError]]] = []
    first_row: dict[tuple[str, int], int] = {}
    for row, item in items:
        faults: list[InputError] = []
        if item.officer not in known:
            faults.append(_no_officer(item.officer))
        found = entities.get(item.entity)
        if found is None:
            faults.append(_no_entity(item.entity))
        if faults or found is None:
            refused.append((row, faults))
            continue
        pair = (item.officer, found[0])
        if pair in first_row:
            refused.append(
                (
                    row,
                    [
                        InputError(
                            f"officer {item.officer} and entity {found[1]} are also on row "
                            f"{first_row[pair]}; keep one row per officer and entity"
                        )
                    ],
                )
            )
            continue
        first_row[pair] = row
        declared[row] = _Declared(item.officer, found[0], found[1])
    return declared, refused


def declare_conflict(
    store: Store, officer_id: str, entity: str | int, *, reason: str, declared_on: date
) -> OfficerConflict:
    """Record that an officer declared a conflict of interest with an entity (回避, 行政处罚法
    第四十三条): random draws never send that officer to that entity. A second declaration of
    the same pair is refused (:func:`import_conflicts` updates it instead); nothing is written on
    bad input. The rules are those of :func:`import_conflicts`."""
    item = ConflictIn.parse(
        officer=officer_id, entity=entity, declared_on=declared_on, reason=reason
    )
    with store.write() as session:
        declared, refused = _check_conflicts(session, [(1, item)])
        if refused:
            raise refused[0][1][0]
        found = declared[1]
        if session.get(OfficerConflict, (found.officer, found.entity_id)) is not None:
            raise InputError(
                f"officer {found.officer} already declared a conflict with {found.uscc}; see "
                "`zhifa officer conflicts`, or change it with `zhifa officer conflict-import`"
            )
        row = OfficerConflict(
            officer_id=found.officer,
            entity_id=found.entity_id,
            declared_on=item.declared_on,
            reason=item.reason,
        )
        session.add(row)
        session.flush()
        return _detached(session, [row])[0]


def list_conflicts(
    store: Store, officer_id: str | None = None
) -> list[tuple[OfficerConflict, str]]:
    """Declared conflicts (with the entity's USCC), all or one officer's, by officer and date."""
    with store.read() as session:
        if officer_id is not None:
            find_officer(session, officer_id)
        query = (
            select(OfficerConflict, Entity.uscc)
            .join(Entity, Entity.id == OfficerConflict.entity_id)
            .order_by(OfficerConflict.officer_id, OfficerConflict.declared_on)
        )
        if officer_id is not None:
            query = query.where(OfficerConflict.officer_id == officer_id.strip())
        rows = [(c, uscc) for c, uscc in session.execute(query)]
        _detached(session, [c for c, _ in rows])
        return rows


def get_entity(store: Store, uscc_or_id: str | int) -> Entity:
    """The entity with this USCC or numeric id; raises :class:`NotFoundError` if there is none."""
    with store.read() as session:
        return _detached(session, [find_entity(session, uscc_or_id)])[0]


def entity_filter(
    query: Select[*_Columns], region: str | None, industry: str | None
) -> Select[*_Columns]:
    """``query`` limited to entities of ``region`` (6 digits, or a prefix such as 33 or 3301)
    and ``industry`` (exact), as :func:`list_entities` filters; a bad region is an
    :class:`InputError`."""
    if region is not None:
        prefix = region.strip()
        if not (prefix.isdigit() and 1 <= len(prefix) <= 6):
            raise InputError(
                f"region {region!r} is not a region code; give 6 digits such as 330102, or a "
                "prefix such as 33 (浙江省) or 3301 (杭州市)"
            )
        if len(prefix) == 6:
            query = query.where(Entity.region_code == prefix)
        else:
            query = query.where(Entity.region_code.startswith(prefix, autoescape=True))
    if industry is not None:
        query = query.where(Entity.industry == industry.strip())
    return query


def list_entities(
    store: Store,
    region: str | None = None,
    industry: str | None = None,
    limit: int | None = 100,
    offset: int = 0,
) -> list[Entity]:
    """Entities in the order they were added, filtered by region and industry.

    ``region`` is a 6-digit code (exact match) or a shorter prefix (33 for 浙江省, 3301 for 杭州市);
    ``industry`` must match exactly. ``limit=None`` returns all.
    """
    if limit is not None and limit < 1:
        raise InputError(f"limit must be at least 1, not {limit}; leave it out to get 100")
    if offset < 0:
        raise InputError(f"offset must not be negative, not {offset}")
    query = entity_filter(select(Entity), region, industry).order_by(Entity.id).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    with store.read() as session:
        return _detached(session, list(session.execute(query).scalars()))


def count_entities(store: Store, region: str | None = None, industry: str | None = None) -> int:
    """How many entities :func:`list_entities` would return without a limit."""
    query = entity_filter(select(func.count()).select_from(Entity), region, industry)
    with store.read() as session:
        return int(session.execute(query).scalar_one())


# ---------------------------------------------------------------------------------------------
# Importing


@dataclass(frozen=True)
class ImportResult:
    """What an import did: rows inserted, rows updated, and bad rows skipped (row, reason)."""

    source: str
    created: int
    updated: int
    skipped: list[tuple[int, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.source,
            "created": self.created,
            "updated": self.updated,
            "skipped": [{"row": row, "reason": reason} for row, reason in self.skipped],
        }


@dataclass(frozen=True)
class _Column:
    name: str
    aliases: tuple[str, ...]
    required: bool


_In = TypeVar("_In", DepartmentIn, OfficerIn, EntityIn, ConflictIn)


@dataclass(frozen=True)
class _Kind(Generic[_In]):
    plural: str
    columns: tuple[_Column, ...]
    parse: Callable[..., _In]
    key_label: str
    together: tuple[str, ...] = ()


_DEPARTMENTS: _Kind[DepartmentIn] = _Kind(
    plural="departments",
    columns=(
        _Column("code", ("部门代码", "部门编码", "代码", "编码"), True),
        _Column("name", ("名称", "部门名称"), True),
        _Column("region_code", ("region", "行政区划", "区划代码", "行政区划代码"), True),
    ),
    parse=DepartmentIn.parse,
    key_label="department code",
)

_OFFICERS: _Kind[OfficerIn] = _Kind(
    plural="officers",
    columns=(
        _Column("id", ("工号", "编号", "人员编号"), True),
        _Column("name", ("姓名",), True),
        _Column("department", ("department_code", "部门", "所属部门", "部门代码"), True),
        _Column("roles", ("角色",), True),
        _Column("certificate_no", ("certificate", "执法证号", "执法证件号", "证件号"), False),
        _Column(
            "certificate_valid_from", ("valid_from", "有效期起", "发证日期", "有效期自"), False
        ),
        _Column("certificate_valid_to", ("valid_to", "有效期止", "有效期至"), False),
        _Column("specialties", ("specialty", "专业领域", "专业", "检查专业"), False),
        _Column("regions", ("region_codes", "检查区域", "负责区域", "检查区划"), False),
    ),
    parse=OfficerIn.parse,
    key_label="officer id",
    together=_CERTIFICATE_FIELDS,
)

_ENTITIES: _Kind[EntityIn] = _Kind(
    plural="entities",
    columns=(
        _Column("uscc", ("统一社会信用代码", "社会信用代码", "信用代码"), True),
        _Column("name", ("名称", "企业名称", "主体名称", "单位名称"), True),
        _Column("kind", ("类型", "主体类型", "企业类型"), True),
        _Column("region_code", ("region", "行政区划", "区划代码", "行政区划代码"), True),
        _Column("industry", ("行业", "所属行业", "行业类别"), True),
        _Column("credit_class", ("credit", "信用等级", "信用分类"), False),
        _Column("risk_level", ("risk", "风险等级"), False),
        _Column("registered_on", ("成立日期", "注册日期", "登记日期"), False),
        _Column("key_supervision", ("重点监管",), False),
    ),
    parse=EntityIn.parse,
    key_label="unified social credit code",
)

_CONFLICTS: _Kind[ConflictIn] = _Kind(
    plural="conflicts",
    columns=(
        _Column("officer", ("officer_id", "工号", "人员编号", "执法人员"), True),
        _Column("entity", ("uscc", "entity_id", "统一社会信用代码", "市场主体", "主体"), True),
        _Column("declared_on", ("declared", "声明日期", "申报日期", "申明日期"), True),
        _Column("reason", ("回避事由", "回避原因", "事由", "原因"), True),
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


def _describe_headers(spec: _Kind[Any]) -> str:
    parts = []
    for col in spec.columns:
        names = "/".join((col.name, *col.aliases))
        parts.append(names if col.required else f"{names} (optional)")
    return "; ".join(parts)


def _map_header(spec: _Kind[Any], header: Sequence[Cell], source: str) -> dict[int, str]:
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


@dataclass
class _Parsed(Generic[_In]):
    good: list[tuple[int, _In]]
    bad: list[tuple[int, str]]
    present: frozenset[str]
    total: int


def _parse_file(spec: _Kind[_In], path: Path) -> _Parsed[_In]:
    rows = _read_rows(path)
    source = path.name
    header_at = next((i for i, row in enumerate(rows) if any(_text(c) for c in row)), None)
    if header_at is None:
        raise InputError(
            f"{source} has no rows; its first row must be the header, with the columns "
            f"{_describe_headers(spec)}"
        )
    mapping = _map_header(spec, rows[header_at], source)
    width = len(rows[header_at])
    good: list[tuple[int, _In]] = []
    bad: list[tuple[int, str]] = []
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
    return _Parsed(good, bad, frozenset(mapping.values()), total)


def _chunks(items: Sequence[_T], size: int = BATCH_SIZE) -> Iterator[Sequence[_T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _refuse(source: str, plural: str, bad: list[tuple[int, str]], total: int) -> ImportFileError:
    bad = sorted(bad)
    rows = "bad row" if len(bad) == 1 else "bad rows"
    return ImportFileError(
        f"{source} has {len(bad)} {rows} out of {total}, so no {plural} were written; correct "
        "the rows listed below, or use --skip-bad to import only the good rows",
        bad,
    )


def _run_import(
    store: Store,
    path: str | Path,
    spec: _Kind[_In],
    *,
    skip_bad: bool,
    progress: ProgressCallback | None,
    check: Callable[[Session, list[tuple[int, _In]]], list[tuple[int, str]]],
    existing: Callable[[Session, Sequence[str]], dict[str, Any]],
    write: Callable[[Session, list[_In], list[tuple[_In, Any]], _Written], None],
) -> ImportResult:
    """Parse the file, check it, then insert the new keys and update the existing ones.

    ``existing`` maps the keys of a batch that are stored to what ``write`` needs of them;
    ``write`` gets the batch's new items, the existing ones with that value, and :class:`_Written`.
    """
    file = Path(path)
    parsed = _parse_file(spec, file)
    created = updated = 0
    bad = list(parsed.bad)
    written = _Written(file.name, parsed.present, {item.key: row for row, item in parsed.good})
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
    return ImportResult(file.name, created, updated, sorted(bad))


@dataclass(frozen=True)
class _Written:
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
        written: _Written,
    ) -> None:
        if new:
            session.execute(insert(Department), [item.columns() for item in new])
        if old:
            present = written.present | {"code"}
            session.execute(
                update(Department),
                [_update_values(item.columns(), present, {}) for item, _ in old],
            )

    return _run_import(
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
        written: _Written,
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

    return _run_import(
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
        written: _Written,
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

    return _run_import(
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
        written: _Written,
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

    return _run_import(
        store,
        path,
        _CONFLICTS,
        skip_bad=skip_bad,
        progress=progress,
        check=check,
        existing=existing,
        write=write,
    )
