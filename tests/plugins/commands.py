"""A plugin adding its own command to the ``zhifa`` command line."""

from __future__ import annotations

from typing import Any

import typer

from zhifa import hookimpl


class CountyReport:
    """Adds ``county-report YEAR``, which prints ``county report YEAR``."""

    __name__ = "county-report"

    @hookimpl
    def zhifa_cli(self, app: Any) -> None:
        @app.command("county-report")
        def county_report(year: int) -> None:
            """The county's yearly figures."""
            typer.echo(f"county report {year}")
