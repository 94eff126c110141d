"""``zhifa plugins``: what is loaded, from which distribution, implementing which hooks."""

from __future__ import annotations

import typer
from rich.table import Table

from zhifa.cli._common import JsonOption, console, emit
from zhifa.plugins import AUTOLOAD_ENV, Plugins


def plugins(as_json: JsonOption = False) -> None:
    """List loaded plugins with their versions and hooks.

    Entry points in the ``zhifa`` group are loaded unless ZHIFA_DISABLE_PLUGIN_AUTOLOAD is set.
    """
    loaded = Plugins()
    items = loaded.listing()

    def render() -> None:
        table = Table("plugin", "distribution", "version", "hooks")
        for p in items:
            table.add_row(p.name, p.distribution, p.version, ", ".join(p.hooks))
        console.print(table)
        console.print(f"(set {AUTOLOAD_ENV}=1 to load only the baseline)")

    emit(as_json, [p.as_dict() for p in items], render)


def register(app: typer.Typer) -> None:
    app.command("plugins")(plugins)
