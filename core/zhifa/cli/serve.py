"""``zhifa serve``: the legal officer's web desk (:mod:`zhifa.desk`) under uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from zhifa.cli._common import DbOption


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            "--forwarded-allow-ips",
            metavar="IPS",
            help="Behind a reverse proxy: the proxy addresses (comma-separated) whose "
            "X-Forwarded-For / X-Forwarded-Proto headers are believed (the cookie is then marked "
            "Secure when the proxy says https). Default: none trusted.",
            show_default=False,
        ),
    ] = None,
    log_level: Annotated[
        str | None,
        typer.Option(help="Log level (default: $ZHIFA_LOG_LEVEL, else INFO).", show_default=False),
    ] = None,
    log_format: Annotated[
        str | None,
        typer.Option(
            help="Log format: json or text (default: $ZHIFA_LOG_FORMAT, else json).",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Serve the web desk: officers log in with their password and take steps, see their
    matters, deadlines, entities' files, documents and evidence. One line per request is logged.
    The cookie-signing secret is $ZHIFA_DESK_SECRET, else one kept in the database."""
    import uvicorn

    from zhifa.desk.app import create_app
    from zhifa.logs import configure

    configure(log_level, log_format)
    app = create_app(db)
    uvicorn.run(
        app,
        host=host,
        port=port,
        proxy_headers=forwarded_allow_ips is not None,
        forwarded_allow_ips=forwarded_allow_ips,
        access_log=False,
        log_config=None,
    )


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("serve")(serve)
