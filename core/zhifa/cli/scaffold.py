"""``zhifa plugin new``: scaffold a department plugin distribution."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from zhifa.cli._common import JsonOption, console, emit
from zhifa.plugins.scaffold import create

plugin_app = typer.Typer(help="Write department plugins.", no_args_is_help=True)


@plugin_app.command("new")
def new(
    name: Annotated[
        str, typer.Argument(metavar="NAME", help="Distribution name, e.g. zhifa-xihu.")
    ],
    directory: Annotated[
        Path, typer.Option("--dir", help="Where to create it (default: the current directory).")
    ] = Path("."),
    as_json: JsonOption = False,
) -> None:
    """Create NAME/: a plugin distribution with the zhifa entry point, an example of every hook,
    a violation catalogue, a workflow variant, tests using the zhifa.testing fixtures (they pass
    as generated) and a README. Nothing is written if NAME/ exists."""
    root = create(name, directory)
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())

    def render() -> None:
        console.print(f"created {root} ({len(files)} files)")
        for f in files:
            console.print(f"  {f}", markup=False)
        console.print(f"next: pip install -e {root} && python -m pytest {root}/tests")

    emit(as_json, {"path": str(root), "files": files}, render)


def register(app: typer.Typer) -> None:
    app.add_typer(plugin_app, name="plugin")
