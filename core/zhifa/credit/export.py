"""One entity's credit file as a workbook (``.xlsx``, or ``.csv`` files): the entity, its
matters, its credit records, its class now with the reasons, and its class history, one sheet
each, written by :func:`zhifa.tabular.write` with formula text made safe (the file is handed to
people). The file holds the internal credit class, so it says so in its note: it is for the
officers and the entity, not for publication.
"""

from __future__ import annotations

import json
from pathlib import Path

from zhifa import tabular
from zhifa.credit.file import EntityFile
from zhifa.directory import entity_as_dict
from zhifa.tabular import Cell, ExportResult, Table

NOTE = (
    "一户一档: this file holds the entity's internal credit-risk class, which is not published "
    "and is no basis for punishment; hand it to the officers and the entity, not to the public"
)


def export_file(found: EntityFile, path: str | Path, *, force: bool = False) -> ExportResult:
    """Write ``found`` to ``path`` (see the module documentation)."""
    entity = entity_as_dict(found.entity)
    now = found.now
    reasons: list[list[Cell]] = [
        [
            str(r["code"]),
            str(r["label"]),
            int(r["records"]),
            str(r.get("points", "")),
            str(r.get("class", "")),
        ]
        for r in now.reasons
    ]
    tables = [
        Table(
            "主体",
            "entity",
            ["field", "value"],
            [
                [k, v if isinstance(v, str | int) or v is None else str(v)]
                for k, v in entity.items()
            ],
        ),
        Table(
            "事项",
            "matters",
            ["matter", "workflow", "state", "department", "opened_at", "title"],
            [
                [m.id, m.workflow, m.state, m.department, m.opened_at.date(), m.title]
                for m in found.matters
            ],
        ),
        Table(
            "信用记录",
            "records",
            ["on", "kind", "flags", "source", "matter", "summary", "details"],
            [
                [
                    r.on,
                    r.kind,
                    ",".join(r.flags),
                    r.source,
                    r.matter_id,
                    r.summary,
                    json.dumps(dict(r.details), ensure_ascii=False, sort_keys=True),
                ]
                for r in found.records
            ],
            counted=True,
        ),
        Table(
            "分类",
            "class",
            [
                "as_of",
                "class",
                "score",
                "scheme",
                "version",
                "indicator",
                "label",
                "records",
                "points",
                "override",
            ],
            [
                [now.as_of, now.credit_class, str(now.score), now.scheme, now.scheme_version, *row]
                for row in (reasons or [["", "", None, "", ""]])
            ],
        ),
        Table(
            "分类历史",
            "history",
            ["as_of", "class", "score", "scheme", "version", "department", "counts"],
            [
                [
                    h.as_of,
                    h.credit_class,
                    str(h.score),
                    h.scheme,
                    h.scheme_version,
                    h.department,
                    json.dumps(dict(h.counts), sort_keys=True),
                ]
                for h in found.history
            ],
        ),
    ]
    return tabular.write(
        path, tables, escape_formulas=True, strip_control=True, note=NOTE, force=force
    )
