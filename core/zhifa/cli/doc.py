"""``zhifa doc``: enforcement documents (执法文书) — the kinds, what a matter was issued, a
document by its number, a document's .docx (or a draft of one not issued yet), and the
department's number prefix."""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from zhifa.cli._common import DbOption, JsonOption, console, emit, open_engine, opened
from zhifa.cli._tables import cell, make_table
from zhifa.errors import InputError, IntegrityError, NotFoundError

if TYPE_CHECKING:
    from zhifa.documents import IssuedDocument
    from zhifa.engine import Engine

doc_app = typer.Typer(
    name="doc",
    help="Enforcement documents (执法文书): the .docx each issuing step rendered, numbered and "
    "kept in the evidence store (文号 per department, year and kind, without gaps), drafts of "
    "those not issued yet, and each department's number prefix.",
    short_help="Enforcement documents (执法文书) and their numbers.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

ForceOption = Annotated[bool, typer.Option("--force", help="Replace FILE if it exists.")]


def register(app: typer.Typer) -> None:
    """Add ``doc`` to the ``zhifa`` command."""
    app.add_typer(doc_app, name="doc")


def _readable(engine: Engine, matter_id: int) -> None:
    """Refuse unless the signed-in officer may read ``matter_id``'s documents (see
    :func:`zhifa.documents.may_read`)."""
    from zhifa.documents import may_read

    officers = engine.signed.officers
    viewer = engine.signed.session_for(officers[0]) if officers else None
    with engine.store.engine.connect() as conn:
        may_read(conn, viewer, matter_id, engine.clock.now())


def _table(docs: list[IssuedDocument]) -> None:
    if not docs:
        console.print("no documents")
        return
    table = make_table("Matter", "Kind", "Number", "Issued", keys=3)
    for d in docs:
        table.add_row(
            cell(d.matter_id),
            f"{d.label} ({d.kind})",
            d.number or "(not numbered)",
            f"{d.issued_at:%Y-%m-%d %H:%M}",
        )
    console.print(table)


@doc_app.command("kinds")
def kinds(as_json: JsonOption = False) -> None:
    """The kinds of document zhifa issues: code, name, number word and the steps that issue
    each."""
    from zhifa.documents import KINDS

    def render() -> None:
        table = make_table("Code", "Document", "Number word", "Issued at", keys=1)
        for k in KINDS.values():
            where = "; ".join(
                f"{i.workflow} {', '.join(i.triggers)}"
                + (
                    " when " + ", ".join(f"{p} in {list(v)}" for p, v in i.when.items())
                    if i.when
                    else ""
                )
                for i in k.issued_by
            )
            table.add_row(k.code, f"{k.label_zh} ({k.label_en})", k.word or "(none)", where)
        console.print(table)

    emit(as_json, [k.as_dict() for k in KINDS.values()], render)


@doc_app.command("list")
def list_documents(
    matter_id: Annotated[int, typer.Argument(metavar="MATTER", help="Matter id.")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """The documents issued on a matter, in the order they were issued."""
    from zhifa.documents import issued

    engine = open_engine(db)
    try:
        _readable(engine, matter_id)
        with engine.store.engine.connect() as conn:
            docs = issued(conn, matter_id)
    finally:
        engine.store.dispose()
    emit(as_json, [d.as_dict() for d in docs], lambda: _table(docs))


@doc_app.command("find")
def find_document(
    number: Annotated[
        str,
        typer.Argument(
            metavar="NUMBER",
            help="The number, e.g. 杭西市监处罚〔2026〕12号 (the year may be in [ ] or ( )).",
        ),
    ],
    contains: Annotated[
        bool, typer.Option("--contains", help="List the numbers containing NUMBER instead.")
    ] = False,
    limit: Annotated[int, typer.Option("--limit", help="At most this many (--contains).")] = 50,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """A document by its number (文号), or with --contains those whose number contains it."""
    from zhifa.documents import find, search

    engine = open_engine(db)
    try:
        with engine.store.engine.connect() as conn:
            if contains:
                docs = search(conn, number, limit)
            else:
                found = find(conn, number)
                if found is None:
                    raise NotFoundError(
                        f"no document has the number {number}; check it, or look with "
                        "`zhifa doc find --contains` and part of it"
                    )
                docs = [found]
        for matter in sorted({d.matter_id for d in docs}):
            _readable(engine, matter)
    finally:
        engine.store.dispose()
    payload = [d.as_dict() for d in docs] if contains else docs[0].as_dict()
    emit(as_json, payload, lambda: _table(docs))


def _write(path: Path, data: bytes, force: bool) -> None:
    if path.suffix.lower() != ".docx":
        raise InputError(f"{path.name} does not end in .docx; the document is a Word file")
    if not path.parent.is_dir():
        raise InputError(f"{path.parent} is not a folder that exists; give a path in one")
    if path.is_dir() or (path.exists() and not force):
        raise InputError(
            f"{path} exists already, so nothing was written; give --force to replace it, or "
            "choose another name"
        )
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        try:
            with open(temp, "xb") as handle:
                handle.write(data)
        except OSError as exc:
            raise InputError(
                f"cannot write in {path.parent} ({exc.strerror}); choose a folder you may write to"
            ) from None
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def _issued_bytes(engine: Engine, doc: IssuedDocument) -> bytes:
    """The stored bytes of ``doc``, checked against its hash and its step's event."""
    from zhifa.store.tables import Event

    data = engine.evidence.get(doc.sha256)
    if hashlib.sha256(data).hexdigest() != doc.sha256:
        raise IntegrityError(
            f"the stored file of {doc.label} {doc.number or ''} no longer has the SHA-256 its "
            f"step recorded ({doc.sha256}); restore it from a backup of the evidence store"
        )
    with engine.store.read() as session:
        event = session.get(Event, doc.event_id) if doc.event_id is not None else None
        evidence = event.evidence if event is not None else None
    if evidence is None or doc.sha256 not in str(evidence):
        raise IntegrityError(
            f"{doc.label} {doc.number or ''} (SHA-256 {doc.sha256}) is not in the evidence of "
            f"the step that issued it (event {doc.event_id}); the register was altered — run "
            "`zhifa audit verify`"
        )
    return data


@doc_app.command("render")
def render_document(
    matter_id: Annotated[int, typer.Argument(metavar="MATTER", help="Matter id.")],
    kind: Annotated[str, typer.Argument(metavar="KIND", help="Kind code (see `zhifa doc kinds`).")],
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            metavar="FILE",
            help="Where to write the .docx (default: '<document> <number>.docx' here).",
        ),
    ] = None,
    force: ForceOption = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write a matter's document of KIND: the issued one exactly as its step kept it (checked
    against the recorded hash; the latest, when issued more than once), else a draft rendered
    from the record as it stands, marked 草稿, without a number, and neither kept nor
    registered."""
    from zhifa.documents import KINDS, draft, file_name, issued

    if kind not in KINDS:
        raise InputError(f"there is no document kind {kind!r}; the kinds are {', '.join(KINDS)}")
    engine = open_engine(db)
    try:
        _readable(engine, matter_id)
        with engine.store.engine.connect() as conn:
            docs = [d for d in issued(conn, matter_id) if d.kind == kind]
        if docs:
            doc = docs[-1]
            data = _issued_bytes(engine, doc)
            name = file_name(KINDS[kind], doc.number)
        else:
            matter = engine.load(matter_id)
            defn = engine.definition(matter.workflow, matter.workflow_version)
            with engine.store.engine.connect() as conn:
                data = draft(
                    engine.issuer,
                    conn,
                    defn,
                    matter,
                    kind,
                    engine.clock.now(),
                    engine._catalogue_of(matter.department),
                )
            doc = None
            name = f"{KINDS[kind].label_zh} 草稿.docx"
    finally:
        engine.store.dispose()
    path = output if output is not None else Path(name)
    _write(path, data, force)
    payload = {
        "matter_id": matter_id,
        "kind": kind,
        "draft": doc is None,
        "number": doc.number if doc is not None else None,
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
        "file": str(path),
    }

    def render() -> None:
        if doc is None:
            console.print(
                f"wrote {path}: a DRAFT (草稿) of the {KINDS[kind].label_zh} of matter "
                f"{matter_id}, rendered from the record as it stands; it has no number and was "
                "not kept or registered — the step that issues it numbers and keeps it"
            )
        else:
            console.print(
                f"wrote {path}: {doc.label} {doc.number or '(not numbered)'} as issued on "
                f"{doc.issued_at:%Y-%m-%d %H:%M}, SHA-256 {doc.sha256} (matches its step's record)"
            )

    emit(as_json, payload, render)


@doc_app.command("prefix")
def prefix_command(
    dept: Annotated[str, typer.Argument(metavar="DEPT", help="Department code.")],
    text: Annotated[
        str | None,
        typer.Argument(metavar="TEXT", help="The new prefix (机关代字), e.g. 杭西市监."),
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show a department's document number prefix, or set it (an administrator's act). The
    default is the department's name with 市场监督管理 shortened to 市监 and a final 局 dropped.
    Numbers already issued keep their text; the count goes on."""
    from zhifa.cli._identity import session
    from zhifa.documents import numbers

    with opened(db) as store:
        if text is not None:
            value = numbers.set_prefix(store, dept, text, by=session(store))
        else:
            with store.engine.connect() as conn:
                value = numbers.prefix(conn, dept)
    emit(
        as_json,
        {
            "department": dept,
            "prefix": value,
            "example": numbers.number_text(value, "处罚", 2026, 1),
        },
        lambda: console.print(
            f"{dept}: {value} (e.g. {numbers.number_text(value, '处罚', 2026, 1)})"
            + (" — set" if text is not None else "")
        ),
    )
