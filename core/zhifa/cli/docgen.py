"""Generate the reference docs from the code: ``docs/cli.md`` from every command's ``--help``,
``docs/hooks.md`` and one page per hook in ``docs/hooks/`` from the hook specifications'
docstrings and the implementations in the shipped plugins. ``make docs`` writes them; a test fails
when the committed files differ from what this produces.

Usage: ``python -m zhifa.cli.docgen [DOCS_DIR]``.
"""

from __future__ import annotations

import ast
import inspect
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer
from typer.main import get_command
from typer.testing import CliRunner

from zhifa.hooks import specs as hookspecs


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


PLUGINS_DIR = Path(__file__).resolve().parents[3] / "plugins"


def hooks_reference() -> str:
    """The index page: what a hook is, and one line per hook linking to its page."""
    parts = [
        "# Hook reference",
        "",
        "Generated from `zhifa/hooks/specs.py` by `make docs`; do not edit by hand.",
        "",
        inspect.cleandoc(hookspecs.__doc__ or ""),
        "",
        "| hook | what it is for |",
        "| --- | --- |",
    ]
    for name in hook_names():
        first = inspect.cleandoc(getattr(hookspecs, name).__doc__ or "").split("\n", 1)[0]
        parts.append(f"| [`{name}`](hooks/{name}.md) | {first} |")
    return "\n".join([*parts, ""])


def hook_page(name: str) -> str:
    """One hook: its signature, its documentation, and its implementations in the plugins
    shipped in ``plugins/`` and in the plugin ``zhifa plugin new`` writes."""
    func = getattr(hookspecs, name)
    parts = [
        f"# `{name}`",
        "",
        "Generated from `zhifa/hooks/specs.py` and the shipped plugins by `make docs`; do not edit.",
        "",
        "```python",
        f"def {name}{inspect.signature(func)}",
        "```",
        "",
        inspect.cleandoc(func.__doc__ or ""),
        "",
    ]
    examples = list(_implementations(name))
    if examples:
        parts += ["## In the shipped plugins", ""]
        for where, source in examples:
            parts += [f"`{where}`:", "", "```python", source, "```", ""]
    return "\n".join(parts)


def _implementations(name: str) -> Iterator[tuple[str, str]]:
    """(where, source) of each implementation of hook ``name`` in the shipped plugins, then in
    the scaffold's generated plugin."""
    from zhifa.plugins import scaffold

    sources: list[tuple[str, str]] = []
    if PLUGINS_DIR.is_dir():
        for path in sorted(PLUGINS_DIR.glob("*/*/plugin.py")):
            sources.append((str(path.relative_to(PLUGINS_DIR.parent)), path.read_text("utf-8")))
    generated = scaffold.PLUGIN.replace("{{dist}}", "zhifa-example").replace(
        "{{package}}", "zhifa_example"
    )
    sources.append(
        (
            "zhifa plugin new zhifa-example → zhifa_example/plugin.py",
            generated.replace("{{short}}", "example"),
        )
    )
    for where, text in sources:
        tree = ast.parse(text)
        lines = text.splitlines()
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name == name:
                start = min([d.lineno for d in node.decorator_list] + [node.lineno])
                end = node.end_lineno or node.lineno
                yield where, "\n".join(lines[start - 1 : end])
                break


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
    pages = folder / "hooks"
    pages.mkdir(exist_ok=True)
    for stale in pages.glob("*.md"):
        if stale.stem not in hook_names():
            stale.unlink()
    for name in hook_names():
        (pages / f"{name}.md").write_text(hook_page(name), "utf-8")
    typer.echo(
        f"wrote {folder / 'cli.md'}, {folder / 'hooks.md'} and {len(hook_names())} hook pages"
    )


if __name__ == "__main__":
    main()
