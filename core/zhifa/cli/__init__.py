"""The ``zhifa`` command. Exit codes: 0 done, 1 refused by a rule, 2 bad input or usage.

Every command takes ``--db`` and ``--json``. Errors are one sentence on standard error (or a JSON
object with ``--json``), never a traceback; set ``ZHIFA_DEBUG=1`` to see one.

One module per command or command group, named as the command (except ``scaffold``, which is
``zhifa plugin``); each has a ``register(app)`` that adds its commands, and :func:`_register` calls
them in the order ``zhifa --help`` lists them:

- ``db``: ``zhifa db``, create and migrate the database schema.
- ``plugins``: ``zhifa plugins``, the loaded plugins with their versions and hooks.
- ``scaffold``: ``zhifa plugin``, write department plugins.
- ``workflow``: ``zhifa workflow``, inspect workflow definitions.
- ``dept``: ``zhifa dept``, departments (执法部门).
- ``officer``: ``zhifa officer``, officers (执法人员), their versions and conflicts of interest.
- ``entity``: ``zhifa entity``, market entities (市场主体).
- ``matter``: ``zhifa matter``, open, advance and inspect matters.
- ``due``: ``zhifa due``, overdue and soon-due statutory deadlines.
- ``outbox``: ``zhifa outbox``, the outbox of reporting sinks.
- ``discretion``: ``zhifa discretion``, discretion benchmarks (裁量基准); also ``zhifa
  violations`` and ``zhifa checklists``, the loaded catalogues.
- ``accountability``: ``zhifa accountability``, accountability reviews (尽职免责).
- ``plan``: ``zhifa plan``, random-inspection plans (双随机) and their export.
- ``snapshot``: ``zhifa snapshot``, the frozen directories draws are drawn from.
- ``draw``: ``zhifa draw``, random draws, their tasks and their publication (一公开).
- ``audit``: ``zhifa audit``, verify the tamper-evident record.
- ``demo``: ``zhifa demo``, a fresh database walked through linked matters.

Shared by them: ``_common`` (``--db``, ``--json``, opening the store, output), ``_tables`` (tables
for the human view), ``_import_export`` (the directory import and export commands' arguments and
summaries), ``_publicity`` (the export commands of ``plan``, ``snapshot`` and ``draw``).
``docgen`` writes the reference docs (``python -m zhifa.cli.docgen``).
"""

from __future__ import annotations

import os
import sys

import typer

from zhifa.cli._common import dumps, err_console
from zhifa.errors import ZhifaError

__all__ = ["INTERNAL_ERROR", "app", "main"]

app = typer.Typer(
    name="zhifa",
    help="执法 zhifa — the administrative-enforcement workflow engine.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)


def _register() -> None:
    from zhifa.cli import (
        accountability,
        audit,
        db,
        demo,
        dept,
        discretion,
        draw,
        due,
        entity,
        matter,
        officer,
        outbox,
        plan,
        plugins,
        scaffold,
        snapshot,
        workflow,
    )

    modules = (
        db,
        plugins,
        scaffold,
        workflow,
        dept,
        officer,
        entity,
        matter,
        due,
        outbox,
        discretion,
        accountability,
        plan,
        snapshot,
        draw,
        audit,
        demo,
    )
    for module in modules:
        module.register(app)


_register()

INTERNAL_ERROR = 70
_PLUGIN_COMMANDS: list[bool] = []


def _builtin(args: list[str]) -> bool:
    """Whether ``args`` name one of zhifa's own commands (plugins are then not asked for theirs,
    so a broken plugin cannot stop `zhifa db upgrade` or `zhifa plugins`)."""
    first = next((a for a in args if not a.startswith("-")), None)
    names = {c.name for c in app.registered_commands} | {g.name for g in app.registered_groups}
    return first in names


def _plugin_commands() -> None:
    """Let the loaded plugins add their commands (the ``zhifa_cli`` hook), once per process."""
    if _PLUGIN_COMMANDS:
        return
    _PLUGIN_COMMANDS.append(True)
    from zhifa.plugins import Plugins

    Plugins().call("zhifa_cli", app=app)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``zhifa`` script."""
    args = list(sys.argv[1:] if argv is None else argv)
    as_json = "--json" in args
    try:
        if not _builtin(args):
            _plugin_commands()
        app(args=args, prog_name="zhifa")  # standalone: usage errors exit 2, success exits 0
    except ZhifaError as exc:
        if as_json:
            print(dumps(exc.as_dict()))
        else:
            err_console.print(f"[bold red]error:[/] {exc.message}", markup=True, soft_wrap=True)
            for line in exc.details():
                err_console.print(f"  - {line}", markup=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except Exception as exc:
        if os.environ.get("ZHIFA_DEBUG"):
            raise
        err_console.print(
            f"internal error: {type(exc).__name__}: {exc} — this is a bug in zhifa; "
            "run again with ZHIFA_DEBUG=1 and report the traceback",
            markup=False,
            soft_wrap=True,
        )
        sys.exit(INTERNAL_ERROR)
