"""Who runs a command: the token in ``$ZHIFA_TOKEN``, or the one ``zhifa login`` stored for the
database (``~/.config/zhifa/tokens.json``, readable by the user alone, one token per database
URL), turned into a :class:`~zhifa.identity.Session` and checked against the store."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from zhifa.errors import InputError

if TYPE_CHECKING:
    from zhifa.engine import Engine
    from zhifa.identity import Session
    from zhifa.store import Store

TOKEN_ENV = "ZHIFA_TOKEN"
CONFIG_ENV = "ZHIFA_CONFIG_DIR"


def token_file() -> Path:
    """Where ``zhifa login`` keeps tokens: ``$ZHIFA_CONFIG_DIR``, else ``$XDG_CONFIG_HOME/zhifa``,
    else ``~/.config/zhifa``."""
    base = os.environ.get(CONFIG_ENV)
    if base:
        return Path(base) / "tokens.json"
    xdg = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(xdg) / "zhifa" / "tokens.json"


def _key(store: Store) -> str:
    from zhifa.store.database import describe

    return describe(store.url)


def _stored() -> dict[str, str]:
    path = token_file()
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        raise InputError(
            f"cannot read the stored tokens in {path}; delete the file and log in again"
        ) from None
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def store_token(store: Store, token: str | None) -> Path:
    """Keep ``token`` for ``store`` (None: forget it); the file is the user's alone (0600)."""
    tokens = _stored()
    if token is None:
        tokens.pop(_key(store), None)
    else:
        tokens[_key(store)] = token
    path = token_file()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(tokens, f, indent=2)
    os.chmod(path, 0o600)
    return path


def token_for(store: Store) -> str | None:
    """``$ZHIFA_TOKEN``, else the token ``zhifa login`` stored for ``store``."""
    return os.environ.get(TOKEN_ENV) or _stored().get(_key(store))


def session(store: Store) -> Session | None:
    """The session of the token for ``store`` (its use is logged), or None when there is no
    token. A token that proves nothing is refused (:class:`~zhifa.errors.AuthError`)."""
    from zhifa.identity import from_token

    token = token_for(store)
    return from_token(store, token) if token else None


def read_password(from_stdin: bool, prompt: str, *, confirm: bool = False) -> str:
    """A password from one line of standard input, or asked for without echo."""
    if from_stdin:
        line = sys.stdin.readline()
        return line[:-1] if line.endswith("\n") else line
    return str(typer.prompt(prompt, hide_input=True, confirmation_prompt=confirm))


def acting(engine: Engine, actor: str | None) -> str:
    """The officer a command acts as: ``--actor``, else the logged-in officer."""
    if actor is not None:
        return actor
    if engine.signed.officers:
        return engine.signed.officers[0]
    raise InputError(
        "say who acts: log in with `zhifa login --officer ID` (or set $ZHIFA_TOKEN), or give "
        "--actor ID on a database without authentication"
    )
