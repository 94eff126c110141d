"""Officers (执法人员): the input record, adding one, finding, getting and listing them, and
their dated versions (history).

Every change to an officer is also kept as a version (:class:`~zhifa.store.tables.OfficerVersion`),
written in the same transaction and only when something changed, with the time it took effect and
what recorded it; :func:`officer_as_of` gives the record as it stood at a moment.

Officers are imported from a file by :func:`zhifa.directory.importing.import_officers`, which
keeps their versions with :func:`_record_versions` too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError as SqlIntegrityError
from sqlalchemy.orm import Session

from zhifa.directory.departments import _missing_department
from zhifa.directory.rows import (
    _REGION,
    _SEPARATORS,
    Cell,
    _Checker,
    _chunks,
    _detached,
    _text,
    split_codes,
)
from zhifa.errors import InputError, NotFoundError
from zhifa.roles import ROLES, parse_roles
from zhifa.store import Store
from zhifa.store.tables import HISTORY_START, Department, Officer, OfficerVersion
from zhifa.timekeeping import Clock, SystemClock

__all__ = [
    "BEFORE_HISTORY",
    "CURRENT_RECORD",
    "OfficerHistory",
    "OfficerIn",
    "OfficerRecord",
    "add_officer",
    "find_officer",
    "get_officer",
    "get_officer_history",
    "list_officers",
    "officer_as_dict",
    "officer_as_of",
    "officer_histories",
    "officer_history",
]


_CERTIFICATE_FIELDS = ("certificate_no", "certificate_valid_from", "certificate_valid_to")
_ROLE_BY_LABEL = {label: code for code, (label, _english) in ROLES.items()}


def _role_codes(text: str) -> str:
    """Role text with Chinese role names (检查人员, 办案人员…) replaced by their codes."""
    tokens = _SEPARATORS.split(text)
    return ",".join(_ROLE_BY_LABEL.get(token, token) for token in tokens if token)


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
# Adding, finding and listing officers


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
