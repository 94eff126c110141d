"""``zhifa demo``: build a fresh SQLite database and walk realistic matters through it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from zhifa import demo as demo_lib
from zhifa.cli._common import JsonOption, console, dumps
from zhifa.errors import InputError
from zhifa.identity import set_password
from zhifa.reporting.publicity import DIR_ENV
from zhifa.store import Store, migrate

DEFAULT = Path("zhifa-demo.db")

DEMO_PASSWORD = "xihu-demo-2026"
"""The password every demo officer gets, to try the desk (`zhifa serve`) on the demo's file."""


def demo(
    path: Annotated[
        Path, typer.Option("--path", help="SQLite file to (re)build for the demo.")
    ] = DEFAULT,
    db: Annotated[
        str | None,
        typer.Option(
            "--db", help="Ignored unless it is a sqlite:/// URL; the demo always uses SQLite."
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Build a fresh SQLite database and walk linked matters through every workflow — clues, a
    penalty case with a transfer that comes back, its publication and credit repair, an unpaid
    spot fine enforced through the court, a random
    inspection whose finding opens a clue, and an accountability review — printing each step,
    its deadlines and the steps the rules refuse, then verify the record. The file is replaced.
    Every demo officer gets the password xihu-demo-2026, to try the desk (`zhifa serve`)."""
    if db is not None:
        if not db.startswith("sqlite:///"):
            raise InputError("the demo builds its own SQLite file; use --path FILE instead of --db")
        path = Path(db[len("sqlite:///") :])
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    # the publicity records of the demo go beside its database, unless a directory is set
    os.environ.setdefault(DIR_ENV, str(path.parent / f"{path.stem}-publicity"))
    store = Store(f"sqlite:///{path}")
    migrate.upgrade(store)
    lines: list[str] = []
    intact = demo_lib.run(
        store, lines.append if as_json else lambda s: console.print(s, markup=False)
    )
    for officer_id, _ in demo_lib.OFFICER_NAMES:
        set_password(store, officer_id, DEMO_PASSWORD, by=None)
    store.dispose()
    if as_json:
        typer.echo(
            dumps(
                {
                    "database": str(path),
                    "story": lines,
                    "intact": intact,
                    "desk_password": DEMO_PASSWORD,
                }
            )
        )
    else:
        console.print(
            f"\nThe demo database is {path}. Try:\n"
            f"  zhifa entity show {demo_lib.ENTITIES[0][0]} --db sqlite:///{path}"
            "   # the supermarket's credit file\n"
            f"  zhifa matter show 1 --db sqlite:///{path}\n"
            f"  zhifa serve --db sqlite:///{path}"
            f"   # the desk at http://127.0.0.1:8000: log in as XH-011, password {DEMO_PASSWORD}",
            markup=False,
        )
    if not intact:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
