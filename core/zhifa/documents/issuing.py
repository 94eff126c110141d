"""Issuing a step's documents inside the step's transaction (:class:`Issuer`).

Before the step's event is hashed, :meth:`Issuer.prepare` works out which kinds the step issues
(:func:`zhifa.documents.kinds.issued_at`), takes each numbered kind's next number
(:func:`zhifa.documents.numbers.allocate`), renders the department's template (its plugin's
override from ``zhifa_document_templates``, else the shipped one), keeps the bytes in the evidence
store, lists them in ``evidence_blobs`` and gives back the :class:`~zhifa.record.Evidence`
entries the event records, so the event's hash covers each document's SHA-256. After the event
is written :meth:`Issuer.record` adds the ``documents`` rows with its id. All of it is in the
step's transaction: a step refused or failing after a number was taken rolls the number back
(the bytes already kept stay in the store, unreferenced and harmless: they are content-addressed).

A template that fails to render refuses the step with one sentence naming the template and the
plugin it came from; nothing is written and no number is used.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError as SAIntegrityError

from zhifa.documents import numbers
from zhifa.documents.kinds import KINDS, DocumentTemplate, Kind, issued_at, may_issue
from zhifa.documents.render import Source, context, render, template_path
from zhifa.errors import IntegrityError, PluginError
from zhifa.evidence import BlobStore, register
from zhifa.plugins import Plugins
from zhifa.plugins.manager import BASELINE
from zhifa.record import Evidence
from zhifa.store.tables import Document

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
HOOK = "zhifa_document_templates"
DOCUMENTS = cast(sa.Table, Document.__table__)


@dataclass(frozen=True, slots=True)
class Pending:
    """A document rendered and kept for a step whose event is not written yet."""

    kind: Kind
    department: str
    year: int
    seq: int | None
    number: str | None
    evidence: Evidence
    issued_at: datetime


def file_name(kind: Kind, number: str | None) -> str:
    """The name a document has in the step's evidence: ``<label> <number>.docx``."""
    return f"{kind.label_zh} {number}.docx" if number else f"{kind.label_zh}.docx"


def _template(plugin: str, value: Any) -> DocumentTemplate:
    if isinstance(value, DocumentTemplate):
        found = value
    elif isinstance(value, str | Path):
        found = DocumentTemplate(Path(value))
    else:
        cause = TypeError(
            f"returned {type(value).__name__} for a kind, not a path or a "
            "zhifa.documents.DocumentTemplate"
        )
        raise PluginError(plugin, HOOK, cause)
    if found.path.suffix != ".docx" or not found.path.is_file():
        raise PluginError(plugin, HOOK, FileNotFoundError(f"no .docx file at {found.path}"))
    if found.word is not None and not numbers.fits(found.word):
        bad = ValueError(
            f"{found.word!r} is not a number word (1 to {numbers.MAX_PREFIX} characters without "
            "spaces, digits or brackets)"
        )
        raise PluginError(plugin, HOOK, bad)
    return found


def overrides(plugins: Plugins, department: str) -> dict[str, tuple[str, DocumentTemplate]]:
    """Kind → (plugin, template) of the templates the plugins ``department`` uses give it; the
    first plugin to give a kind decides it. A kind zhifa does not know is refused, naming it."""
    out: dict[str, tuple[str, DocumentTemplate]] = {}
    found = plugins.call(HOOK, for_department=department, department=department)
    for plugin, value in found:
        if not isinstance(value, Mapping):
            cause = TypeError(f"returned {type(value).__name__}, not a mapping of kind to template")
            raise PluginError(plugin, HOOK, cause)
        for code, item in value.items():
            if code not in KINDS:
                unknown = KeyError(f"no document kind {code!r}; the kinds are {', '.join(KINDS)}")
                raise PluginError(plugin, HOOK, unknown)
            out.setdefault(str(code), (plugin, _template(plugin, item)))
    return out


class Issuer:
    """Issues the documents of steps, with the plugins' templates and the evidence store."""

    def __init__(self, plugins: Plugins, evidence: BlobStore) -> None:
        self.plugins = plugins
        self.evidence = evidence
        self._overrides: dict[str, dict[str, tuple[str, DocumentTemplate]]] = {}

    def templates(self, department: str) -> dict[str, tuple[str, DocumentTemplate]]:
        found = self._overrides.get(department)
        if found is None:
            found = self._overrides[department] = overrides(self.plugins, department)
        return found

    def make(
        self,
        conn: sa.Connection,
        kind: Kind,
        src: Source,
        number: str | None,
        *,
        draft: bool = False,
    ) -> bytes:
        """The document of ``kind`` for ``src`` with ``number`` (None: unnumbered), or its
        ``draft`` (no number, marked 草稿)."""
        plugin, template = self.templates(src.department).get(
            kind.code, (BASELINE, DocumentTemplate(template_path(kind)))
        )
        values = context(conn, kind, src, number, draft=draft)
        try:
            return render(template.path, values)
        except Exception as exc:  # a template is the department's code: any fault refuses
            error = PluginError(plugin, HOOK, exc)
            error.message = (
                f"the {kind.label_zh} template of department {src.department} ({template.path}, "
                f"from plugin {plugin!r}) cannot be rendered ({type(exc).__name__}: {exc}); "
                "nothing was written and no number was used — fix the template or take it out "
                "of the plugin"
            )
            error.args = (error.message,)
            raise error from exc

    def word(self, kind: Kind, department: str) -> str:
        _, template = self.templates(department).get(kind.code, ("", DocumentTemplate(Path())))
        return template.word if template.word is not None else kind.word

    def prepare(self, conn: sa.Connection, src: Source, recorded: datetime) -> list[Pending]:
        """Number, render and keep the documents the step of ``src`` issues."""
        if not may_issue(src.definition.name, src.trigger):
            return []
        out = []
        for kind in issued_at(src.definition.name, src.trigger, src.record):
            year = numbers.year_of(src.moment)
            seq = number = None
            if kind.numbered:
                seq = numbers.allocate(conn, src.department, year, kind.code)
                number = numbers.number_text(
                    numbers.prefix(conn, src.department), self.word(kind, src.department), year, seq
                )
            data = self.make(conn, kind, src, number)
            blob = self.evidence.put(data)
            name = file_name(kind, number)
            register(conn, blob, name=name, media_type=DOCX, at=recorded)
            evidence = Evidence(name=name, sha256=blob.sha256, size=blob.size)
            out.append(Pending(kind, src.department, year, seq, number, evidence, src.moment))
        return out

    @staticmethod
    def record(
        conn: sa.Connection, pending: Sequence[Pending], matter_id: int, event_id: int
    ) -> None:
        """The ``documents`` rows of ``pending``, now that the step's event has its id."""
        for doc in pending:
            try:
                with conn.begin_nested():
                    conn.execute(
                        sa.insert(DOCUMENTS).values(
                            matter_id=matter_id,
                            event_id=event_id,
                            kind=doc.kind.code,
                            department_code=doc.department,
                            year=doc.year,
                            seq=doc.seq,
                            number=doc.number,
                            sha256=doc.evidence.sha256,
                            size=doc.evidence.size,
                            issued_at=doc.issued_at,
                        )
                    )
            except SAIntegrityError:
                raise IntegrityError(
                    f"the number {doc.number} of a {doc.kind.label_zh} was given before: the "
                    f"counter of {doc.department}'s {doc.kind.code} documents for {doc.year} in "
                    "document_numbers was set back; nothing was written — restore the counter "
                    "to the highest number in documents"
                ) from None
