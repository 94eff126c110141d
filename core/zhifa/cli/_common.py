"""What every command shares: the ``--db`` and ``--json`` options, opening the store, output."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from zhifa.errors import InputError

if TYPE_CHECKING:
    from zhifa.engine import Engine
    from zhifa.store import Store

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database URL (sqlite:///file.db or postgresql://user@host/db). "
        "Default: $ZHIFA_DATABASE_URL, else zhifa.db in the current directory.",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def open_store(db: str | None, *, migrated: bool = True) -> Store:
    """The store for ``--db``; unless ``migrated`` is False, the schema must be current."""
    from zhifa.store import Store, migrate  # on use: `zhifa --help` loads no database code

    store = Store(db)
    store.ping()
    if migrated:
        migrate.require_current(store)
    return store


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    if hasattr(value, "as_dict"):
        return value.as_dict()
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def dumps(payload: Any) -> str:
    return json.dumps(payload, ensure_ascii=False, indent=2, default=_default)


def emit(as_json: bool, payload: Any, render: Callable[[], None]) -> None:
    """Print ``payload`` as JSON with ``--json``, else call ``render`` for the human view."""
    if as_json:
        typer.echo(dumps(payload))
    else:
        render()


def open_engine(db: str | None) -> Engine:
    """An engine on the ``--db`` store with the installed plugins, acting for the logged-in
    officer (``$ZHIFA_TOKEN`` or ``zhifa login``) when there is one."""
    from zhifa.cli._identity import session
    from zhifa.engine import Engine

    store = open_store(db)
    signed_in = session(store)
    return Engine(store, sessions=[signed_in] if signed_in is not None else ())


def json_object(text: str, option: str, example: str) -> dict[str, Any]:
    """The JSON object an option gives inline or as ``@FILE``; bad input is one sentence naming
    the option, with ``example`` (a JSON object) showing what is expected."""
    raw = text
    if text.startswith("@"):
        path = Path(text[1:])
        try:
            raw = path.read_text("utf-8")
        except OSError as exc:
            raise InputError(f"cannot read {option} file {path}: {exc.strerror}") from None
    try:
        parsed = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{option} is not valid JSON ({exc.msg} at character {exc.pos}); "
            f"write an object such as {example}"
        ) from None
    except RecursionError:
        from zhifa.workflow.fields import MAX_NESTING  # on use: only this error needs it

        key = deepest_key(raw)
        where = f" in {key!r}" if key is not None else ""
        raise InputError(
            f"{option} nests lists or objects far too deep to read{where}; a field's value may "
            f"nest at most {MAX_NESTING} levels"
        ) from None
    if not isinstance(parsed, dict):
        raise InputError(f"{option} must be a JSON object such as {example}")
    return parsed


def deepest_key(raw: str) -> str | None:
    """The top-level key of the JSON object ``raw`` whose value nests deepest (read without
    recursion, for text too deep for :func:`json.loads`); None if there is no such key."""
    depth = deepest = 0
    key: str | None = None
    found: str | None = None
    start = -1
    escaped = in_string = False
    for i, char in enumerate(raw):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
                if depth == 1:  # a key or a plain value; a key is all that precedes a nested value
                    try:
                        key = json.loads(raw[start : i + 1])
                    except ValueError:
                        key = None
        elif char == '"':
            in_string, start = True, i
        elif char in "[{":
            depth += 1
            if depth > deepest:
                deepest, found = depth, key
        elif char in "]}":
            depth -= 1
    return found


@contextmanager
def opened(db: str | None) -> Iterator[Store]:
    """The store for ``--db``, released when the command ends."""
    store = open_store(db)
    try:
        yield store
    finally:
        store.dispose()


@contextmanager
def progress(label: str) -> Iterator[tuple[Callable[[int], None], Callable[[int], None]]]:
    """A progress bar over rows on standard error (only on a terminal, gone when done); yields
    the callback that sets the number of rows to come (unknown until called) and the one that
    advances the bar."""
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("rows"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    ) as bar:
        task = bar.add_task(label, total=None)
        yield (lambda n: bar.update(task, total=n)), (lambda n: bar.advance(task, n))
