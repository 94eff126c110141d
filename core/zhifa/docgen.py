"""Generate the reference docs from the code: ``docs/cli.md`` from every command's ``--help`` and
``docs/hooks.md`` from the hook specifications' docstrings. ``make docs`` writes them; a test fails
when the committed files differ from what this produces.

Usage: ``python -m zhifa.docgen [DOCS_DIR]``.
"""

from __future__ import annotations

import inspect
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer
from typer.main import get_command
from typer.testing import CliRunner

from zhifa import hookspecs


def _commands(cmd: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    sub = getattr(cmd, "commands", None)
    if sub is None:
        yield path
        return
    if path:
        yield path
    for name in sorted(sub):
        yield from _commands(sub[name], (*path, name))


def cli_reference() -> str:
    from zhifa.cli import app

    os.environ["COLUMNS"] = "100"
    os.environ["TERM"] = "dumb"
    runner = CliRunner()
    parts = [
        "# CLI reference",
        "",
        "Generated from `zhifa … --help` by `make docs`; do not edit by hand.",
        "Exit codes: 0 done, 1 refused by a rule (guard, permission, conflict) or a broken record,",
        "2 bad input or usage. Every command that reads or writes data takes `--db URL` and `--json`.",
        "",
    ]
    for path in _commands(get_command(app)):
        result = runner.invoke(app, [*path, "--help"], prog_name="zhifa", color=False)
        text = "\n".join(line.rstrip() for line in result.output.strip().splitlines())
        parts += [f"## zhifa {' '.join(path)}", "", "```text", text, "```", ""]
    return "\n".join(parts)


def hook_names() -> list[str]:
    return sorted(n for n, f in vars(hookspecs).items() if n.startswith("zhifa_") and callable(f))


def hooks_reference() -> str:
    parts = [
        "# Hook reference",
        "",
        "Generated from `zhifa/hookspecs.py` by `make docs`; do not edit by hand.",
        "",
        inspect.cleandoc(hookspecs.__doc__ or ""),
        "",
    ]
    for name in hook_names():
        func = getattr(hookspecs, name)
        sig = inspect.signature(func)
        parts += [
            f"## `{name}`",
            "",
            "```python",
            f"def {name}{sig}",
            "```",
            "",
            inspect.cleandoc(func.__doc__ or ""),
            "",
        ]
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    folder = (
        Path(args[0]).parent
        if args and args[0].endswith(".md")
        else Path(args[0] if args else "docs")
    )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cli.md").write_text(cli_reference(), "utf-8")
    (folder / "hooks.md").write_text(hooks_reference(), "utf-8")
    typer.echo(f"wrote {folder / 'cli.md'} and {folder / 'hooks.md'}")


if __name__ == "__main__":
    main()
