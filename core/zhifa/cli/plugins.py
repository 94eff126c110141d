"""``zhifa plugins``: what is loaded, from which distribution, implementing which hooks, within
which time limit, and which plugins are broken and why."""

from __future__ import annotations

import typer
from rich.table import Table

from zhifa.cli._common import JsonOption, console, emit
from zhifa.plugins import AUTOLOAD_ENV, Plugins


def plugins(as_json: JsonOption = False) -> None:
    """List the plugins with their versions, hooks and time limits, and the broken ones with why.

    Every hook zhifa calls at start is called, so that a plugin whose import, hook or workflow
    file fails is listed as broken: it is disabled, and a department that uses it is refused
    until the plugin is fixed or turned off for that department in zhifa.toml. A time limit is
    the seconds one call of the plugin's guards and step hooks may take (none: the baseline,
    unless zhifa.toml sets one). Entry points in the ``zhifa`` group are loaded unless
    ZHIFA_DISABLE_PLUGIN_AUTOLOAD is set.
    """
    loaded = Plugins()
    loaded.check()
    items = loaded.listing()

    def render() -> None:
        table = Table("plugin", "distribution", "version", "time limit", "status", "hooks")
        for p in items:
            limit = "none" if p.time_limit is None else f"{p.time_limit:g} s"
            status = "ok" if p.broken is None else f"BROKEN: {p.broken}"
            table.add_row(p.name, p.distribution, p.version, limit, status, ", ".join(p.hooks))
        console.print(table)
        broken = [p.name for p in items if p.broken is not None]
        if broken:
            console.print(
                f"{len(broken)} broken ({', '.join(broken)}): disabled; a department that uses "
                "one is refused until it is fixed or turned off for that department in zhifa.toml"
            )
        console.print(f"(set {AUTOLOAD_ENV}=1 to load only the baseline)")

    emit(as_json, [p.as_dict() for p in items], render)


def register(app: typer.Typer) -> None:
    app.command("plugins")(plugins)
