"""``zhifa login``, ``zhifa logout`` and ``zhifa auth``: who acts, proven — passwords, login
sessions, personal API tokens, the access log, and the first administrator."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from zhifa import identity
from zhifa.cli._common import DbOption, JsonOption, console, emit, opened
from zhifa.cli._identity import read_password, session, store_token, token_for
from zhifa.errors import AuthError, InputError

auth_app = typer.Typer(
    help="Credentials, the access log and the first administrator.", no_args_is_help=True
)
token_app = typer.Typer(help="Personal API tokens: issue, list, revoke.", no_args_is_help=True)
auth_app.add_typer(token_app, name="token")

PasswordStdin = Annotated[
    bool,
    typer.Option(
        "--password-stdin",
        help="Read the password from the first line of standard input instead of asking.",
    ),
]


def register(app: typer.Typer) -> None:
    """Add ``login``, ``logout`` and ``auth`` to the ``zhifa`` command."""
    app.command("login")(login)
    app.command("logout")(logout)
    app.add_typer(auth_app, name="auth")


def login(
    officer: Annotated[str, typer.Option("--officer", help="Your officer id (工号).")],
    password_stdin: PasswordStdin = False,
    hours: Annotated[
        float, typer.Option("--hours", help="How long the login lasts, in hours.", min=0.02)
    ] = 12,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Log in with your password: the login session's token is kept for this database in
    ~/.config/zhifa/tokens.json (yours alone), and later commands act as you. Five failed logins
    in a row lock the officer out for 15 minutes; every attempt is in the access log."""
    password = read_password(password_stdin, "Password")
    with opened(db) as store:
        signed_in = identity.login(store, officer, password, lifetime=timedelta(hours=hours))
        path = store_token(store, signed_in.token)
    assert signed_in.expires_at is not None
    emit(
        as_json,
        {
            "officer": signed_in.officer_id,
            "credential": signed_in.credential_id,
            "expires_at": signed_in.expires_at,
            "stored_in": str(path),
        },
        lambda: console.print(
            f"logged in as {signed_in.officer_id} until {signed_in.expires_at:%Y-%m-%d %H:%M} "
            f"(login #{signed_in.credential_id}; token kept in {path})",
            markup=False,
        ),
    )


def logout(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Revoke the stored login of this database and forget it."""
    with opened(db) as store:
        token = token_for(store)
        if token is None:
            raise InputError("you are not logged in to this database; nothing to do")
        try:
            signed_in = identity.from_token(store, token)
        except AuthError:
            signed_in = None  # already expired or revoked: just forget it
        if signed_in is not None:
            identity.revoke(store, signed_in.credential_id, by=signed_in)
        store_token(store, None)
    emit(as_json, {"logged_out": True}, lambda: console.print("logged out"))


@auth_app.command("whoami")
def whoami(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Who the stored login or $ZHIFA_TOKEN proves you are, and whether this database requires
    authentication."""
    with opened(db) as store:
        signed_in = session(store)
        with store.engine.connect() as conn:
            required = identity.auth_required(conn)
    payload = {
        "officer": signed_in.officer_id if signed_in else None,
        "credential": signed_in.mark if signed_in else None,
        "expires_at": signed_in.expires_at if signed_in else None,
        "auth_required": required,
    }

    def render() -> None:
        who = (
            f"{signed_in.officer_id} ({signed_in.mark}, until {signed_in.expires_at:%Y-%m-%d %H:%M})"
            if signed_in and signed_in.expires_at
            else "nobody (not logged in)"
        )
        need = "requires" if required else "does not require"
        console.print(f"you are {who}; this database {need} authentication", markup=False)

    emit(as_json, payload, render)


@auth_app.command("bootstrap")
def bootstrap(
    officer: Annotated[str, typer.Argument(metavar="OFFICER", help="An existing officer's id.")],
    password_stdin: PasswordStdin = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Make OFFICER an administrator with a password, as the database owner (on PostgreSQL,
    connect as the role that owns zhifa's tables; on SQLite, whoever can write the file). This is
    how the first administrator is made; it is recorded in the access log."""
    password = read_password(password_stdin, "New password", confirm=not password_stdin)
    with opened(db) as store:
        identity.bootstrap(store, officer, password)
    emit(
        as_json,
        {"officer": officer, "admin": True},
        lambda: console.print(
            f"{officer} is an administrator with a password; log in with "
            f"`zhifa login --officer {officer}`",
            markup=False,
        ),
    )


@auth_app.command("password")
def password(
    officer: Annotated[
        str | None,
        typer.Argument(metavar="[OFFICER]", help="Whose password (default: your own)."),
    ] = None,
    password_stdin: PasswordStdin = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Set a password: your own, or (as an administrator) another officer's. The officer's open
    login sessions are revoked. At least 10 characters."""
    new = read_password(password_stdin, "New password", confirm=not password_stdin)
    with opened(db) as store:
        signed_in = session(store)
        whose = officer or (signed_in.officer_id if signed_in else None)
        if whose is None:
            raise InputError("say whose password: give OFFICER, or log in to set your own")
        identity.set_password(store, whose, new, by=signed_in)
    emit(
        as_json,
        {"officer": whose, "password_set": True},
        lambda: console.print(f"password of {whose} set", markup=False),
    )


@auth_app.command("enable")
def enable(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Require authentication on this SQLite database from now on (PostgreSQL always does).
    Needs an administrator with a password (see zhifa auth bootstrap)."""
    _switch(db, as_json, on=True)


@auth_app.command("disable")
def disable(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Stop requiring authentication on this SQLite database (an administrator's act)."""
    _switch(db, as_json, on=False)


def _switch(db: str | None, as_json: bool, *, on: bool) -> None:
    word = "on" if on else "off"
    with opened(db) as store:
        signed_in = session(store)
        with identity.administering(store, signed_in, f"switch authentication {word}"):
            identity.set_auth(store, on)
    emit(
        as_json,
        {"auth_required": on},
        lambda: console.print(f"authentication switched {word}", markup=False),
    )


@auth_app.command("log")
def access_log(
    officer: Annotated[
        str | None, typer.Option("--officer", help="Only entries about or by this officer.")
    ] = None,
    what: Annotated[
        str | None,
        typer.Option("--what", help=f"Only entries of this kind: {', '.join(identity.log.WHAT)}."),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many, newest first.")] = 50,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """The access log, newest first: logins, failed logins, lockouts, token use, credentials
    issued and revoked, administrative acts. Reading it is an administrator's right where the
    database requires authentication."""
    if what is not None and what not in identity.log.WHAT:
        raise InputError(
            f"--what {what!r} is not a kind of entry; use one of {', '.join(identity.log.WHAT)}"
        )
    with opened(db) as store:
        signed_in = session(store)
        identity.require_admin(store, signed_in, "read the access log")
        entries = identity.access_log(store, officer=officer, what=what, limit=limit)

    def render() -> None:
        from rich.table import Table

        table = Table("#", "at", "what", "officer", "by", "auth", "detail")
        for e in entries:
            table.add_row(
                str(e.id),
                f"{e.at:%Y-%m-%d %H:%M:%S}",
                e.what,
                e.officer_id or "",
                e.by or "",
                e.auth,
                e.detail,
            )
        console.print(table)

    emit(as_json, [e.as_dict() for e in entries], render)


@token_app.command("issue")
def token_issue(
    label: Annotated[str, typer.Option("--label", help="What the token is for.")],
    days: Annotated[
        int, typer.Option("--days", min=1, max=366, help="How many days it is valid.")
    ] = 90,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Issue yourself a personal API token (for scripts and $ZHIFA_TOKEN). It is shown once:
    only its hash is kept. Needs a login."""
    with opened(db) as store:
        signed_in = session(store)
        if signed_in is None:
            raise AuthError("log in first (`zhifa login --officer ID`): a token is issued to you")
        token = identity.issue_token(store, signed_in, label=label, lifetime=timedelta(days=days))
    emit(
        as_json,
        {
            "officer": token.officer_id,
            "credential": token.credential_id,
            "expires_at": token.expires_at,
            "token": token.token,
        },
        lambda: console.print(
            f"token #{token.credential_id} for {token.officer_id}, valid until "
            f"{token.expires_at:%Y-%m-%d %H:%M} — copy it now, it is not shown again:\n"
            f"{token.token}",
            markup=False,
        ),
    )


@token_app.command("list")
def token_list(
    officer: Annotated[
        str | None, typer.Option("--officer", help="Whose credentials (default: yours).")
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Credentials (passwords, login sessions, tokens) with their status; never their secrets.
    Another officer's need an administrator."""
    with opened(db) as store:
        signed_in = session(store)
        whose = officer or (signed_in.officer_id if signed_in else None)
        if whose is None or (signed_in is not None and whose != signed_in.officer_id):
            identity.require_admin(store, signed_in, "list another officer's credentials")
        found = identity.credentials_of(store, whose)
        from zhifa.timekeeping import SystemClock

        now = SystemClock().now()

    def render() -> None:
        from rich.table import Table

        table = Table("#", "officer", "kind", "label", "status", "created", "expires", "last used")
        for c in found:
            table.add_row(
                str(c.id),
                c.officer_id,
                c.kind,
                c.label,
                c.status(now),
                f"{c.created_at:%Y-%m-%d %H:%M}",
                f"{c.expires_at:%Y-%m-%d %H:%M}" if c.expires_at else "",
                f"{c.last_used_at:%Y-%m-%d %H:%M}" if c.last_used_at else "",
            )
        console.print(table)

    emit(as_json, [{**c.as_dict(), "status": c.status(now)} for c in found], render)


@token_app.command("revoke")
def token_revoke(
    credential: Annotated[int, typer.Argument(metavar="ID", help="The credential's number.")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Revoke a token or login session: your own, or anyone's as an administrator."""
    with opened(db) as store:
        identity.revoke(store, credential, by=session(store))
    emit(
        as_json,
        {"revoked": credential},
        lambda: console.print(f"credential #{credential} revoked"),
    )
