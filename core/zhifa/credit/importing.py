"""Credit records from other bodies: a court's list of judgment defaulters (失信被执行人), another
department's penalties, a 信用中国 export, imported from ``.xlsx`` or ``.csv`` with their source
named, into the entities' credit files as records of kind ``external``.

Columns (Chinese headers accepted): ``uscc`` (统一社会信用代码) of an entity in the directory,
``on`` (认定日期: the day the other body made its finding), ``reference`` (文号: that body's own
number for the record, unique within the source), ``summary`` (内容), and optionally ``flags``
(标记: codes such as ``dishonest`` or ``defaulter``, which a scheme's indicators may count) and
``basis`` (依据). Every row is checked before anything is written, as the directory imports do
(:func:`zhifa.directory.importing.import_rows`); importing the same file again updates the
records it holds instead of adding them twice. ``zhifa`` is not a source a file may name: it is
the record itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from zhifa.credit.records import SOURCE, flags_text
from zhifa.directory.importing import (
    ImportColumn,
    ImportKind,
    ImportResult,
    ProgressCallback,
    Written,
    import_rows,
)
from zhifa.directory.rows import Cell, parse_date
from zhifa.errors import InputError
from zhifa.ids import normalize_uscc
from zhifa.store import Store
from zhifa.store.tables import CreditRecord, Entity

EXTERNAL = "external"
_FLAG = re.compile(r"[a-z][a-z0-9_]{0,31}")


def _cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


@dataclass(frozen=True, slots=True)
class ExternalIn:
    """One row of an external credit file, checked."""

    uscc: str
    on: date
    reference: str
    summary: str
    flags: frozenset[str]
    basis: str

    @property
    def key(self) -> str:
        return self.reference

    @classmethod
    def parse(
        cls,
        *,
        uscc: Cell,
        on: Cell,
        reference: Cell,
        summary: Cell,
        flags: Cell = None,
        basis: Cell = None,
    ) -> ExternalIn:
        """Check one row; raises :class:`InputError` naming every fault of the row."""
        faults: list[str] = []
        code = normalize_uscc(_cell(uscc))
        if not code:
            faults.append("uscc is empty; give the entity's unified social credit code")
        day: date | None = None
        try:
            day = parse_date(on)
        except InputError as exc:
            faults.append(f"on: {exc.message}")
        ref = _cell(reference)
        if not ref or len(ref) > 100:
            faults.append(
                "reference must be the source's own number for the record (1–100 characters)"
            )
        text = _cell(summary)
        if not text:
            faults.append("summary is empty; say what the other body found")
        codes = frozenset(c for c in re.split(r"[,;，；、\s]+", _cell(flags)) if c)
        bad = sorted(c for c in codes if not _FLAG.fullmatch(c))
        if bad:
            faults.append(
                f"flags {', '.join(bad)} are not codes; write lowercase codes such as dishonest"
            )
        if faults:
            raise InputError("; ".join(faults))
        assert day is not None
        return cls(code, day, ref, text, codes, _cell(basis))


_EXTERNAL: ImportKind[ExternalIn] = ImportKind(
    plural="credit records",
    columns=(
        ImportColumn("uscc", ("统一社会信用代码", "社会信用代码", "信用代码"), True),
        ImportColumn("on", ("date", "认定日期", "日期", "决定日期"), True),
        ImportColumn("reference", ("ref", "文号", "编号", "案号"), True),
        ImportColumn("summary", ("内容", "摘要", "失信行为", "事由"), True),
        ImportColumn("flags", ("标记", "类别"), False),
        ImportColumn("basis", ("依据", "认定依据"), False),
    ),
    parse=ExternalIn.parse,
    key_label="reference",
)


def import_external(
    store: Store,
    path: str | Path,
    source: str,
    now: datetime,
    *,
    skip_bad: bool = False,
    progress: ProgressCallback | None = None,
) -> ImportResult:
    """Import the credit records of ``path`` as records of ``source`` (see the module
    documentation); returns what was created, updated and skipped."""
    name = source.strip()
    if not name or len(name) > 100 or name.lower() == SOURCE:
        raise InputError(
            f"--source {source!r} cannot name the records' source: give the body they come from "
            f"(1–100 characters, not {SOURCE!r}), e.g. 杭州市中级人民法院"
        )
    entities: dict[str, int] = {}

    def check(session: Session, items: list[tuple[int, ExternalIn]]) -> list[tuple[int, str]]:
        codes = sorted({item.uscc for _, item in items})
        e = Entity.__table__.c
        for start in range(0, len(codes), 1000):
            chunk = codes[start : start + 1000]
            rows = session.execute(sa.select(e.uscc, e.id).where(e.uscc.in_(chunk)))
            entities.update({uscc: entity_id for uscc, entity_id in rows})
        return [
            (row, f"no entity has the unified social credit code {item.uscc}; add it first")
            for row, item in items
            if item.uscc not in entities
        ]

    def existing(session: Session, keys: Sequence[str]) -> dict[str, Any]:
        r = CreditRecord.__table__.c
        rows = session.execute(
            sa.select(r.reference, r.id).where(r.source == name, r.reference.in_(list(keys)))
        )
        return {ref: rid for ref, rid in rows}

    def values(item: ExternalIn, written: Written) -> dict[str, Any]:
        details = {"basis": item.basis, "imported_from": written.origin(item.key)}
        return {
            "entity_id": entities[item.uscc],
            "on": item.on,
            "kind": EXTERNAL,
            "flags": flags_text(set(item.flags)),
            "source": name,
            "reference": item.reference,
            "summary": item.summary,
            "details": json.dumps(details, ensure_ascii=False, sort_keys=True),
            "recorded_at": now,
        }

    def write(
        session: Session,
        new: list[ExternalIn],
        old: list[tuple[ExternalIn, Any]],
        written: Written,
    ) -> None:
        if new:
            session.execute(sa.insert(CreditRecord), [values(item, written) for item in new])
        if old:
            session.execute(
                sa.update(CreditRecord),
                [{"id": rid, **values(item, written)} for item, rid in old],
            )

    return import_rows(
        store,
        path,
        _EXTERNAL,
        skip_bad=skip_bad,
        progress=progress,
        check=check,
        existing=existing,
        write=write,
    )
