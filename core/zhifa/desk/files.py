"""Downloads: ``/documents/{id}.docx`` (an enforcement document issued for a matter) and
``/matters/{id}/evidence/{sha256}`` (a file an event of the matter records).

Only an officer who may see the matter downloads; anyone else gets the same 404 as for a file
that does not exist. The bytes come from the evidence store and are checked against the SHA-256
the record holds before they are sent: an altered file is refused, never served."""

from __future__ import annotations

import hashlib
from typing import cast
from urllib.parse import quote

import sqlalchemy as sa
from starlette.responses import Response

from zhifa.desk.web import Page, Pages
from zhifa.errors import IntegrityError, NotFoundError
from zhifa.evidence import recorded_on
from zhifa.store.tables import Document

pages = Pages()

DOCUMENTS = cast(sa.Table, Document.__table__)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _not_found(what: str) -> NotFoundError:
    return NotFoundError(
        f"{what} does not exist or belongs to a matter of another department; check the link on "
        "the matter's page"
    )


def _verified(p: Page, sha256: str, what: str) -> bytes:
    data = p.desk.blobs.get(sha256)
    if hashlib.sha256(data).hexdigest() != sha256:
        raise IntegrityError(
            f"{what} in the evidence store no longer has the SHA-256 the record holds ({sha256}); "
            "it was altered — restore it from a backup and run `zhifa evidence verify`"
        )
    return data


def _attachment(data: bytes, name: str, media_type: str) -> Response:
    fallback = "".join(c if (c.isascii() and c.isalnum()) or c in "._-" else "_" for c in name)
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"
    return Response(
        data,
        media_type=media_type,
        headers={"content-disposition": disposition, "cache-control": "no-store"},
    )


@pages.get("/documents/{document_id:int}.docx", name="document")
def document(p: Page) -> Response:
    document_id = int(p.request.path_params["document_id"])
    with p.desk.store.engine.connect() as conn:
        row = conn.execute(sa.select(DOCUMENTS).where(DOCUMENTS.c.id == document_id)).first()
    what = f"document {document_id}"
    if row is None:
        raise _not_found(what)
    try:
        p.matter(row.matter_id)
    except NotFoundError:
        raise _not_found(what) from None
    data = _verified(p, row.sha256, what)
    name = f"{row.number or row.kind}.docx"
    return _attachment(data, name, DOCX)


@pages.get("/matters/{matter_id:int}/evidence/{sha256}", name="evidence")
def evidence(p: Page) -> Response:
    matter_id = int(p.request.path_params["matter_id"])
    sha256 = str(p.request.path_params["sha256"])
    what = f"evidence file {sha256[:64]}"
    try:
        p.matter(matter_id)
    except NotFoundError:
        raise _not_found(what) from None
    with p.desk.store.engine.connect() as conn:
        found = recorded_on(conn, matter_id, sha256)
    if not found:
        raise _not_found(what)
    data = _verified(p, sha256, what)
    return _attachment(data, found[0].evidence.name, "application/octet-stream")
