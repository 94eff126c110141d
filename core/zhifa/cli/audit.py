"""``zhifa audit``: prove that nobody rewrote the record."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from zhifa import audit as audit_lib
from zhifa.cli._common import DbOption, JsonOption, console, dumps, opened
from zhifa.errors import InputError, IntegrityError

audit_app = typer.Typer(help="Verify the tamper-evident record.", no_args_is_help=True)

AgainstOption = Annotated[
    Path | None,
    typer.Option(
        "--against",
        help="Also check the record against this checkpoint file, or every checkpoint in this "
        "directory (written by `zhifa audit seal`).",
        show_default=False,
    ),
]
PublicKeyOption = Annotated[
    Path | None,
    typer.Option(
        "--public-key",
        help="The department's published public key (KEY.pub) that signed the checkpoints.",
        show_default=False,
    ),
]
KeyOption = Annotated[
    Path,
    typer.Option(
        "--key",
        envvar="ZHIFA_SEAL_KEY",
        help="The private sealing key file (kept outside the database). Default: $ZHIFA_SEAL_KEY.",
        show_default=False,
    ),
]
OutOption = Annotated[
    Path,
    typer.Option(
        "--out",
        help="The directory of checkpoints; the new one is chained to the newest there.",
        show_default=False,
    ),
]


@audit_app.command("verify")
def verify(
    db: DbOption = None,
    as_json: JsonOption = False,
    against: AgainstOption = None,
    public_key: PublicKeyOption = None,
) -> None:
    """Recompute every matter's hash chain. Exit 0 when intact; exit 1 naming each broken matter
    and its first broken event. With --against and --public-key, also check the signed
    checkpoints and that every sealed matter still has its sealed history."""
    if (against is None) != (public_key is None):
        raise InputError(
            "--against and --public-key go together: give the checkpoint and the public key "
            "that signed it"
        )
    if against is not None and public_key is not None:
        _verify_against(db, as_json, against, public_key)
        return
    with opened(db) as store:
        report = audit_lib.verify(store)
    if as_json:
        typer.echo(dumps(report.as_dict()))
        if not report.intact:
            raise typer.Exit(1)
        return
    if report.intact:
        console.print(
            f"record intact: {report.matters} matters, {report.events} events verified"
            + _authentication(report)
        )
        return
    first = report.breaks[0]
    where = f"event {first.seq}" if first.seq is not None else "its events"
    error = IntegrityError(
        f"the record is broken in {len(report.breaks)} of {report.matters} matters; "
        f"first: matter {first.matter_id}, {where}: {first.reason}"
    )
    for b in report.breaks[1:]:
        console.print(f"  also matter {b.matter_id}, event {b.seq}: {b.reason}", markup=False)
    raise error


def _authentication(report: audit_lib.AuditReport) -> str:
    """How many events were taken without a proven officer, for the human view."""
    parts = []
    if report.unauthenticated:
        parts.append(f"{report.unauthenticated} taken without authentication")
    if report.unmarked:
        parts.append(f"{report.unmarked} recorded before zhifa authenticated officers")
    return f" ({'; '.join(parts)})" if parts else ""


def _verify_against(db: str | None, as_json: bool, against: Path, public_key: Path) -> None:
    from zhifa.audit.keys import load_public

    key = load_public(public_key)
    with opened(db) as store:
        report = audit_lib.verify_against(store, against, key)
    if as_json:
        typer.echo(dumps(report.as_dict()))
        if not report.intact:
            raise typer.Exit(1)
        return
    sealed = ", ".join(str(n) for n in report.checkpoints)
    if report.intact:
        console.print(
            f"record intact and matches checkpoint {sealed} (root {report.root[:16]}…): "
            f"{report.chains.matters} matters, {report.chains.events} events verified; "
            f"{len(report.unsealed)} matters not yet sealed",
            markup=False,
        )
        return
    problems = [
        f"matter {b.matter_id}, event {b.seq}: {b.reason}" for b in report.chains.breaks
    ] + [f.reason for f in report.findings]
    for p in problems[1:]:
        console.print(f"  also {p}", markup=False)
    raise IntegrityError(
        f"the record does not match checkpoint {sealed}: {len(problems)} problem(s); "
        f"first: {problems[0]}"
    )


@audit_app.command("seal")
def seal(
    key: KeyOption,
    out: OutOption,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Sign a checkpoint of every matter's version and head hash, and write it to --out,
    chained to the newest checkpoint there. Refuses (exit 1) if the record does not verify."""
    from zhifa.audit.keys import load_private

    private = load_private(key)
    with opened(db) as store:
        cp, path = audit_lib.seal(store, out, private)
    if as_json:
        payload = {"sequence": cp.sequence, "root": cp.root, "matters": len(cp.matters)}
        typer.echo(dumps({**payload, "file": str(path)}))
        return
    console.print(
        f"sealed checkpoint {cp.sequence}: {len(cp.matters)} matters, root {cp.root}\n"
        f"written to {path}; publish it with the public key",
        markup=False,
    )


@audit_app.command("keygen")
def keygen(
    path: Annotated[Path, typer.Argument(help="Where to write the private key (mode 0600).")],
) -> None:
    """Write a new Ed25519 sealing key pair: the private key to PATH (mode 0600, keep it outside
    the database), the public key to PATH.pub (publish it). Prints the public key."""
    from zhifa.audit.keys import generate, public_hex

    pub_path, public = generate(path)
    console.print(
        f"private key written to {path} (mode 0600): keep it off the database server\n"
        f"public key written to {pub_path}: {public_hex(public)}",
        markup=False,
    )


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")
