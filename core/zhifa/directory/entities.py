"""Market entities (市场主体): the input record, adding one, finding, getting, listing and counting
them, and the region/industry filter that listing, counting and the export share.

Entities are imported from a file by :func:`zhifa.directory.importing.import_entities`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVarTuple

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError as SqlIntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from zhifa.directory.rows import Cell, _Checker, _chunks, _detached, _text
from zhifa.errors import InputError, NotFoundError
from zhifa.ids import normalize_uscc, uscc_problem
from zhifa.store import Store
from zhifa.store.tables import Entity

__all__ = [
    "RISK_LEVELS",
    "EntityIn",
    "add_entity",
    "count_entities",
    "entity_as_dict",
    "entity_filter",
    "find_entity",
    "get_entity",
    "list_entities",
]


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


_CREDIT_CLASS = re.compile(r"[A-E]{1,8}")


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


_Columns = TypeVarTuple("_Columns")


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
