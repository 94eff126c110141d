"""``zhifa db``: create, upgrade, downgrade and inspect the schema (Alembic migrations)."""

from __future__ import annotations

from typing import Annotated

import typer

from zhifa.cli._common import DbOption, JsonOption, console, emit, open_store
from zhifa.errors import InputError
from zhifa.store import describe, migrate

db_app = typer.Typer(help="Create and migrate the database schema.", no_args_is_help=True)


@db_app.command("upgrade")
def upgrade(
    revision: Annotated[str, typer.Option("--to", help="Target revision.")] = "head",
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create the schema or bring it up to date (the only way zhifa's tables are made)."""
    store = open_store(db, migrated=False)
    before = migrate.current_revision(store)
    migrate.upgrade(store, revision)
    after = migrate.current_revision(store)
    emit(
        as_json,
        {"database": describe(store.url), "from": before, "to": after},
        lambda: console.print(f"database {describe(store.url)}: {before or 'empty'} → {after}"),
    )


@db_app.command("downgrade")
def downgrade(
    revision: Annotated[
        str, typer.Option("--to", help="Target revision: -1 for one step, base for none.")
    ] = "-1",
    yes: Annotated[
        bool, typer.Option("--yes", help="Confirm: a downgrade drops tables and their data.")
    ] = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Step the schema back. Dropped tables lose their data, so ``--yes`` is required."""
    if not yes:
        raise InputError("a downgrade drops tables and the records in them; pass --yes to confirm")
    store = open_store(db, migrated=False)
    before = migrate.current_revision(store)
    migrate.downgrade(store, revision)
    after = migrate.current_revision(store)
    emit(
        as_json,
        {"database": describe(store.url), "from": before, "to": after},
        lambda: console.print(f"database {describe(store.url)}: {before} → {after or 'empty'}"),
    )


@db_app.command("current")
def current(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Show the schema revision of the database and the one this zhifa needs."""
    store = open_store(db, migrated=False)
    rev, head = migrate.current_revision(store), migrate.head_revision(store)
    emit(
        as_json,
        {"database": describe(store.url), "current": rev, "head": head, "up_to_date": rev == head},
        lambda: console.print(
            f"database {describe(store.url)}: revision {rev or 'none'}"
            + ("" if rev == head else f" (zhifa needs {head}: run zhifa db upgrade)")
        ),
    )


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
