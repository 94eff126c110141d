"""What the published tables share: the batch size, the sheet names, cells, the wording of dates,
shares, credit classes, risk levels, strata and departments, the officers as of a moment, and
the writer of the files."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from zhifa import tabular
from zhifa.store.tables import Department, Officer, OfficerVersion
from zhifa.tabular import ExportResult, Table

BATCH = 2000
"""Rows read from the database at a time, and ids in one ``IN (...)`` list."""

FORMATS = tabular.FORMATS
PLAN_SHEET, DRAW_SHEET, RESULTS_SHEET = "抽查计划", "抽查过程", "抽查结果"

Cell = str | int | None
"""A value as exported: text, a whole number, or nothing (an empty cell)."""

INFO_COLUMNS = ("类别", "项目", "内容", "说明")

RISKS = {"low": "低风险", "medium": "中风险", "high": "高风险", "unrated": "未评级"}


# -- the files -------------------------------------------------------------------------------------

Progress = Callable[[int], None]
Total = Callable[[int], None]


def _write(
    path: Path, tables: Sequence[Table], force: bool, progress: Progress | None
) -> ExportResult:
    """Write ``tables`` as a file for the public: CSV text that a spreadsheet would run as a
    formula gets a leading ``'``, and control characters, which .xlsx cannot hold, are dropped."""
    return tabular.write(
        path,
        tables,
        escape_formulas=True,
        strip_control=True,
        force=force,
        progress=progress,
        batch=BATCH,
    )


# -- wording ---------------------------------------------------------------------------------------


def _day(value: datetime | date | None) -> str | None:
    if value is None:
        return None
    return (value.date() if isinstance(value, datetime) else value).isoformat()


def _moment(value: datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%d %H:%M:%S")


def _percent(share: Any) -> str:
    try:
        value = Decimal(str(share)) * 100
    except (InvalidOperation, ValueError):
        return str(share)
    return f"{format(value.normalize(), 'f')}%"


def _class(code: str) -> str:
    return f"{code} 类"


def stratum_label(label: str) -> str:
    """A stratum label of :mod:`zhifa.inspections.selection` in Chinese: ``B/high/key`` →
    ``B 类 / 高风险 / 重点监管``."""
    parts = label.split("/")
    words = [_class(parts[0])]
    for part in parts[1:]:
        words.append(RISKS.get(part) or {"key": "重点监管", "new": "新设主体"}.get(part) or part)
    return " / ".join(words)


def _department(names: Mapping[str, str], code: str) -> str:
    return names.get(code, code)


def _departments(session: Session) -> dict[str, str]:
    d = Department.__table__.c
    return {code: name for code, name in session.execute(sa.select(d.code, d.name))}


# -- officers as of a moment -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Person:
    valid_from: datetime
    name: str
    certificate: str | None


class _Officers:
    """The officers named by the tasks, with their recorded versions, read in batches: the name
    and certificate number of an officer as of a moment."""

    def __init__(self, session: Session, ids: set[str]) -> None:
        o, v = Officer.__table__.c, OfficerVersion.__table__.c
        self.current: dict[str, tuple[str, str | None]] = {}
        self.versions: dict[str, list[_Person]] = {}
        wanted = sorted(ids)
        for start in range(0, len(wanted), BATCH):
            chunk = wanted[start : start + BATCH]
            for oid, name, cert in session.execute(
                sa.select(o.id, o.name, o.certificate_no).where(o.id.in_(chunk))
            ):
                self.current[oid] = (name, cert)
            for oid, at, name, cert in session.execute(
                sa.select(v.officer_id, v.valid_from, v.name, v.certificate_no)
                .where(v.officer_id.in_(chunk))
                .order_by(v.officer_id, v.valid_from, v.id)
            ):
                self.versions.setdefault(oid, []).append(_Person(at, name, cert))
        self._starts = {oid: [p.valid_from for p in ps] for oid, ps in self.versions.items()}

    def at(self, oid: str, moment: datetime | None) -> tuple[str, str | None]:
        versions = self.versions.get(oid)
        if moment is not None and versions:
            i = bisect.bisect_right(self._starts[oid], moment) - 1
            if i >= 0:
                return versions[i].name, versions[i].certificate
        return self.current.get(oid, (oid, None))
