"""``zhifa evidence``: the evidence store — each department's upload policy, keeping a file,
downloading a file a matter records (only for an officer who may see the matter), and checking
the store against the record. Steps attach files with ``zhifa matter open/advance --attach``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import sqlalchemy as sa
import typer

from zhifa.cli._common import (
    DbOption,
    JsonOption,
    console,
    dumps,
    emit,
    open_engine,
    opened,
)
from zhifa.cli._identity import session
from zhifa.errors import InputError, NotFoundError, PermissionRefused
from zhifa.evidence import (
    KINDS,
    StoredBlob,
    attach,
    configured,
    policy_of,
    recorded_on,
    set_policy,
    verify,
)
from zhifa.evidence.blobs import register as keep_listed
from zhifa.evidence.files import prepare
from zhifa.evidence.policy import MB, parse_types
from zhifa.identity import Signed, administering
from zhifa.record import Evidence
from zhifa.store.tables import Department, Officer
from zhifa.timekeeping import SystemClock

if TYPE_CHECKING:
    from zhifa.engine import Engine

evidence_app = typer.Typer(
    name="evidence",
    help="The evidence store: upload policies, keeping, downloading and verifying files.",
    short_help="The evidence store (证据文件).",
    no_args_is_help=True,
    rich_markup_mode=None,
)

ActorOption = Annotated[
    str | None,
    typer.Option(
        "--actor",
        help="The officer acting, on a database without authentication (else the logged-in "
        "officer).",
        show_default=False,
    ),
]


def register(app: typer.Typer) -> None:
    """Add ``evidence`` to the ``zhifa`` command."""
    app.add_typer(evidence_app, name="evidence")


def _department_exists(conn: sa.Connection, code: str) -> None:
    if conn.scalar(sa.select(Department.code).where(Department.code == code)) is None:
        raise NotFoundError(
            f"department {code!r} does not exist; `zhifa dept list` shows the codes"
        )


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read evidence file {path}: {exc.strerror}") from None


class Attachments:
    """The files of ``zhifa matter open/advance --attach``: each read and checked against the
    department's policy before anything is kept (one bad file: nothing is written), then kept
    in the evidence store before the step, so that a step never records a file the store lacks;
    :meth:`list` lists them in ``evidence_blobs`` once the step is recorded. A refused step
    leaves its files kept but unlisted, recorded by no step."""

    def __init__(self, engine: Engine, department: str, paths: Sequence[Path]) -> None:
        self.engine = engine
        staged: list[tuple[Evidence, str]] = []
        contents: list[bytes] = []
        with engine.store.read() as s:
            conn = s.connection()
            for path in paths:
                data = _read(path)
                staged.append(prepare(conn, department, path.name, data))
                contents.append(data)
        self.blobs = configured(engine.store.url)
        for data in contents:
            self.blobs.put(data)
        self.staged = staged

    @classmethod
    def of_officer(cls, engine: Engine, officer: str, paths: Sequence[Path]) -> Attachments:
        """For a matter opened by ``officer``: the policy of the officer's department."""
        with engine.store.read() as s:
            home = s.scalar(sa.select(Officer.department_code).where(Officer.id == officer))
        return cls(engine, home or "", paths)

    @property
    def evidence(self) -> list[Evidence]:
        return [ev for ev, _ in self.staged]

    def list(self, at: datetime) -> None:
        with self.engine.store.transaction() as tx:
            for ev, media_type in self.staged:
                keep_listed(
                    tx.connection,
                    StoredBlob(ev.sha256, ev.size),
                    name=ev.name,
                    media_type=media_type,
                    at=at,
                )


@evidence_app.command("policy")
def policy(
    dept: Annotated[str, typer.Argument(metavar="DEPT", help="Department code.")],
    max_mb: Annotated[
        int | None,
        typer.Option(
            "--max-mb", metavar="N", help="Set the largest file accepted, in MB (2^20 bytes)."
        ),
    ] = None,
    types: Annotated[
        str | None,
        typer.Option(
            "--types",
            metavar="LIST",
            help="Set the file types accepted, comma-separated extensions, e.g. pdf,jpg,png. "
            f"Known: {', '.join(KINDS)}.",
        ),
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show a department's evidence policy, or set it with --max-mb and/or --types.

    A file attached to a step must be at most the maximum size (a file of exactly that size is
    accepted) and of an accepted type, known both by its extension and by its contents (a
    program renamed .jpg is refused). A department without a policy has the default: 50 MB;
    pdf, ofd, jpg, jpeg, png, doc, docx, xls, xlsx, mp3, mp4, txt. Setting a policy is an
    administrative act (an administrator's login where the database requires one).
    """
    with opened(db) as store:
        if max_mb is None and types is None:
            with store.read() as s:
                conn = s.connection()
                _department_exists(conn, dept)
                current = policy_of(conn, dept)
            changed = False
        else:
            chosen = parse_types(types) if types is not None else None
            what = f"set the evidence policy of {dept}"
            with administering(store, session(store), what), store.transaction() as tx:
                current = set_policy(tx.connection, dept, max_mb=max_mb, types=chosen)
            changed = True
    payload = {"department": dept, **current.as_dict()}
    emit(
        as_json,
        payload,
        lambda: console.print(
            f"{'set: ' if changed else ''}department {dept} accepts evidence files of at most "
            f"{current.max_bytes / MB:g} MB ({current.max_bytes:,} bytes) of type "
            f"{', '.join(current.types)}",
            markup=False,
        ),
    )


@evidence_app.command("put")
def put(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="The file to keep.")],
    dept: Annotated[
        str, typer.Option("--dept", metavar="DEPT", help="The department whose policy applies.")
    ],
    actor: ActorOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Keep FILE in the evidence store under its SHA-256 (checked against DEPT's policy) and
    list it; print the hash. An officer of DEPT keeps files for DEPT. Keeping a file does not
    attach it to a step: use zhifa matter open/advance --attach for that."""
    data = _read(file)
    with opened(db) as store:
        signed_in = session(store)
        signed = Signed([signed_in] if signed_in is not None else ())
        who = actor if actor is not None else next(iter(signed.officers), None)
        if who is None:
            raise InputError(
                "say who keeps the file: log in with `zhifa login --officer ID` (or set "
                "$ZHIFA_TOKEN), or give --actor ID on a database without authentication"
            )
        blobs = configured(store.url)
        now = SystemClock().now()
        with store.transaction() as tx:
            conn = tx.connection
            _department_exists(conn, dept)
            officer, _ = signed.acting(conn, who, now)
            home = conn.scalar(sa.select(Officer.department_code).where(Officer.id == officer))
            if home != dept:
                raise PermissionRefused(
                    f"officer {officer} is not of department {dept}, so may not keep files for "
                    f"it; an officer of {dept} keeps them"
                )
            ev = attach(conn, blobs, dept, file.name, data, now)
    emit(
        as_json,
        {**ev.as_dict(), "department": dept, "store": blobs.describe()},
        lambda: typer.echo(ev.sha256),
    )


def _refusal(sha256: str, matter_id: int, officer: str) -> PermissionRefused:
    """The one answer for every reason a download is refused, so that it tells nothing about
    whether the file exists or which matter holds it."""
    return PermissionRefused(
        f"officer {officer} may not download {sha256} from matter {matter_id}: it is not a file "
        f"recorded on matter {matter_id} that {officer} may see (a matter of the officer's "
        "department, in a step not kept confidential from the officer); check the hash and the "
        "matter with `zhifa matter show`"
    )


def _download(
    engine: Engine, sha: str, matter_id: int, actor: str | None
) -> tuple[str, int, bytes]:
    """The name, step and verified bytes of ``sha`` on ``matter_id``, if ``actor`` (or the
    signed-in officer) may have them; else the one refusal."""
    viewer = actor if actor is not None else next(iter(engine.signed.officers), None)
    if viewer is None:
        raise InputError(
            "say who is downloading: log in with `zhifa login --officer ID` (or set "
            "$ZHIFA_TOKEN), or give --actor ID on a database without authentication"
        )
    with engine.store.read() as s:
        conn = s.connection()
        officer, _ = engine.signed.acting(conn, viewer, engine.clock.now())
        home = conn.scalar(sa.select(Officer.department_code).where(Officer.id == officer))
        records = recorded_on(conn, matter_id, sha)
    refusal = _refusal(sha, matter_id, officer)
    if not records:
        raise refusal
    try:
        matter = engine.load(matter_id)
    except NotFoundError:
        raise refusal from None
    if home is None or matter.department != home:
        raise refusal
    history = engine.history(matter_id)
    _, shown = engine.as_seen_by(officer, matter, history)
    kept = {e.seq: e.data for e in history}
    visible = [r for r in records if any(e.seq == r.seq and e.data == kept[e.seq] for e in shown)]
    if not visible:
        raise refusal
    data = configured(engine.store.url).get(sha)
    return visible[0].evidence.name, visible[0].seq, data


@evidence_app.command("get")
def get(
    sha256: Annotated[str, typer.Argument(metavar="SHA256", help="The file's SHA-256.")],
    matter_id: Annotated[
        int, typer.Option("--matter", metavar="N", help="The matter whose step records the file.")
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", metavar="FILE", help="Write the file here (default: standard output)."
        ),
    ] = None,
    actor: ActorOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Download a file that one of matter N's steps records, checked against its SHA-256 before
    it is written. Only an officer of the matter's department may, and a file of a step whose
    details are confidential (a reporter's identity) only an officer who handles the matter; any
    other request is refused with one answer that does not say whether the file exists."""
    sha = sha256.strip().lower()
    if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
        raise InputError(
            f"{sha256!r} is not a SHA-256 (64 hex digits); copy it from the step's evidence in "
            "`zhifa matter show`"
        )
    if output is None and as_json:
        raise InputError("--json prints a summary, not the file: give -o FILE to write the file")
    if output is not None and output.exists():
        raise InputError(f"{output} exists already; choose another file name or remove it first")
    engine = open_engine(db)
    try:
        name, step, data = _download(engine, sha, matter_id, actor)
    finally:
        engine.store.dispose()
    if output is None:
        stream = typer.get_binary_stream("stdout")
        stream.write(data)
        stream.flush()
        return
    try:
        with output.open("xb") as out:
            out.write(data)
    except OSError as exc:
        raise InputError(f"cannot write {output}: {exc.strerror}") from None
    payload = {
        "sha256": sha,
        "name": name,
        "size": len(data),
        "matter": matter_id,
        "step": step,
        "written_to": str(output),
    }
    emit(
        as_json,
        payload,
        lambda: console.print(
            f"wrote {name} ({len(data):,} bytes, SHA-256 checked) from matter {matter_id} step "
            f"{step} to {output}",
            markup=False,
        ),
    )


@evidence_app.command("verify")
def verify_store(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Check that every file any step records, and every file listed in the store, is kept
    with bytes that still have its SHA-256. Exit 0 when all are; exit 1 naming each missing or
    altered file and the steps that record it."""
    with opened(db) as store:
        blobs = configured(store.url)
        with store.read() as s:
            report = verify(s.connection(), blobs)
    if as_json:
        typer.echo(dumps(report.as_dict()))
        if not report.intact:
            raise typer.Exit(1)
        return
    console.print(
        f"evidence store {report.store}: {report.checked} files checked "
        f"({report.recorded} recorded by {report.events} steps, {report.listed} listed), "
        f"{report.bytes:,} bytes intact",
        markup=False,
    )
    report.raise_if_broken()
