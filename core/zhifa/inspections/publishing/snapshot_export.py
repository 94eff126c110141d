"""A snapshot as published: the frozen target directory (检查对象名录, one row per entity) or
inspector directory (执法检查人员名录, then 回避关系: the declared conflicts and last
inspections), by :func:`export_snapshot`."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from zhifa import tabular
from zhifa.errors import NotFoundError
from zhifa.inspections.directories import InspectorDirectory, TargetDirectory
from zhifa.inspections.publishing._common import (
    BATCH,
    RISKS,
    Cell,
    Progress,
    Total,
    _day,
    _departments,
    _Officers,
    _write,
)
from zhifa.inspections.snapshots import TARGETS, load_snapshot
from zhifa.rules import CREDIT_CLASSES, RISK_LEVELS
from zhifa.store import Store
from zhifa.store.tables import Entity, Snapshot
from zhifa.tabular import ExportResult, Table

TARGETS_SHEET, INSPECTORS_SHEET, CONFLICTS_SHEET = "检查对象名录", "执法检查人员名录", "回避关系"


def _snapshot_kind(store: Store, snapshot_id: int) -> str:
    s = Snapshot.__table__.c
    with store.read() as session:
        kind = session.scalar(sa.select(s.kind).where(s.id == snapshot_id))
    if kind is None:
        raise NotFoundError(
            f"there is no snapshot {snapshot_id}; list the snapshots with zhifa snapshot list"
        )
    return str(kind)


def _entities(store: Store, ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """Entity id → (USCC, name), read in batches."""
    e = Entity.__table__.c
    out: dict[int, tuple[str, str]] = {}
    with store.read() as session:
        for start in range(0, len(ids), BATCH):
            chunk = list(ids[start : start + BATCH])
            for eid, uscc, name in session.execute(
                sa.select(e.id, e.uscc, e.name).where(e.id.in_(chunk))
            ):
                out[eid] = (uscc, name)
    return out


def _target_rows(store: Store, directory: TargetDirectory) -> Iterator[tuple[Cell, ...]]:
    risks = ("unrated", *RISK_LEVELS)  # code -1 is unrated
    for start in range(0, len(directory), BATCH):
        stop = min(start + BATCH, len(directory))
        ids = directory.ids[start:stop].tolist()
        names = _entities(store, ids)
        columns = zip(
            ids,
            directory.credit_class[start:stop].tolist(),
            directory.risk_level[start:stop].tolist(),
            directory.region[start:stop].tolist(),
            directory.industry[start:stop].tolist(),
            directory.registered_on[start:stop].tolist(),
            directory.key_supervision[start:stop].tolist(),
            directory.asked[start:stop].tolist(),
            directory.inspected_this_year[start:stop].tolist(),
            strict=True,
        )
        for eid, cls, risk, region, industry, registered, key, asked, inspected in columns:
            uscc, name = names.get(eid, (None, None))
            yield (
                eid,
                uscc,
                name,
                CREDIT_CLASSES[cls],
                RISKS[risks[risk + 1]],
                directory.regions[region],
                directory.industries[industry],
                date.fromordinal(registered).isoformat() if registered > 1 else None,
                "是" if key else "否",
                "是" if asked else "否",
                inspected,
            )


TARGET_COLUMNS = (
    "主体编号",
    "统一社会信用代码",
    "名称",
    "信用等级",
    "风险等级",
    "区域",
    "行业",
    "成立日期",
    "重点监管",
    "申请检查",
    "本年已随机抽查次数",
)
INSPECTOR_COLUMNS = (
    "人员编号",
    "姓名",
    "部门代码",
    "部门名称",
    "执法证有效期自",
    "执法证有效期至",
    "专业领域",
    "检查区域",
)
CONFLICT_COLUMNS = ("人员编号", "姓名", "主体编号", "统一社会信用代码", "主体名称", "关系")


def _inspector_tables(store: Store, directory: InspectorDirectory) -> tuple[list[Table], int]:
    """The officers and their links (conflicts, last inspections), and how many officers."""
    officers = directory.officers
    with store.read() as session:
        departments = _departments(session)
        names = _Officers(session, {o.id for o in officers})
    people = [
        (
            o.id,
            names.current.get(o.id, (None, None))[0],
            o.department,
            departments.get(o.department),
            _day(o.certificate_valid_from),
            _day(o.certificate_valid_to),
            "、".join(sorted(o.specialties)) or None,
            "、".join(sorted(o.regions)) or "全部",
        )
        for o in officers
    ]
    pairs = [
        (entity, officer, relation)
        for entities, positions, relation in (
            (directory.conflict_entity, directory.conflict_officer, "申报利害关系（回避）"),
            (directory.last_entity, directory.last_officer, "上次检查该主体"),
        )
        for entity, officer in zip(entities.tolist(), positions.tolist(), strict=True)
    ]
    entities = _entities(store, sorted({entity for entity, _o, _r in pairs}))
    links: list[tuple[Cell, ...]] = []
    for entity, position, relation in pairs:
        oid = officers[position].id
        uscc, name = entities.get(entity, (None, None))
        links.append((oid, names.current.get(oid, (None, None))[0], entity, uscc, name, relation))
    return [
        Table(INSPECTORS_SHEET, "inspectors", INSPECTOR_COLUMNS, people, counted=True),
        Table(CONFLICTS_SHEET, "conflicts", CONFLICT_COLUMNS, links),
    ], len(people)


def export_snapshot(
    store: Store,
    snapshot_id: int,
    path: str | Path,
    *,
    force: bool = False,
    progress: Progress | None = None,
    total: Total | None = None,
) -> ExportResult:
    """Write a snapshot's directory as it was frozen to a .xlsx or .csv file: a target snapshot
    one row per entity (USCC and name as the entities table holds them now), an inspector
    snapshot one row per officer and the conflicts and last inspections. ``total`` and
    ``progress`` count the entities or officers. :class:`InputError` for a bad suffix or an
    existing file, :class:`NotFoundError` for an unknown snapshot,
    :class:`~zhifa.errors.IntegrityError` for a snapshot altered since it was taken; nothing is
    written then."""
    target = Path(path)
    tabular.file_format(target)
    kind = _snapshot_kind(store, snapshot_id)
    slugs = ["targets"] if kind == TARGETS else ["inspectors", "conflicts"]
    tabular.outputs(target, slugs, force=force)
    directory = load_snapshot(store, snapshot_id, kind)
    tables: list[Table]
    if isinstance(directory, TargetDirectory):
        rows = _target_rows(store, directory)
        tables, count = (
            [Table(TARGETS_SHEET, "targets", TARGET_COLUMNS, rows, True)],
            len(directory),
        )
    else:
        tables, count = _inspector_tables(store, directory)
    if total is not None:
        total(count)
    return _write(target, tables, force, progress)
