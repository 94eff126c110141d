"""Departments (执法部门): the input record, adding one, listing and getting them.

Departments are imported from a file by :func:`zhifa.directory.importing.import_departments`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError as SqlIntegrityError

from zhifa.directory.rows import Cell, _Checker, _detached
from zhifa.errors import InputError, NotFoundError
from zhifa.store import Store
from zhifa.store.tables import Department

__all__ = [
    "DepartmentIn",
    "add_department",
    "department_as_dict",
    "get_department",
    "list_departments",
]


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


def department_as_dict(dept: Department) -> dict[str, object]:
    return {"code": dept.code, "name": dept.name, "region_code": dept.region_code}


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
