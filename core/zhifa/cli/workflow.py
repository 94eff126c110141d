"""``zhifa workflow``: the loaded workflow definitions."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from zhifa.cli._common import JsonOption, console, emit
from zhifa.errors import InputError
from zhifa.plugins import Plugins
from zhifa.workflow.definitions import Definition
from zhifa.workflow.fields import field_help, help_line
from zhifa.workflow.machine import mermaid

workflow_app = typer.Typer(help="Inspect workflow definitions.", no_args_is_help=True)


def _loaded() -> dict[str, list[Definition]]:
    out: dict[str, list[Definition]] = {}
    for d in Plugins().definitions():
        out.setdefault(d.name, []).append(d)
    for versions in out.values():
        versions.sort(key=lambda d: d.version)
    return out


def describe(d: Definition) -> dict[str, Any]:
    def step(s: Any) -> dict[str, Any]:
        return {
            "name": s.name,
            "label": {"zh": s.label.zh, "en": s.label.en},
            "moves": {str(k): v for k, v in s.moves.items()},
            "roles": sorted(s.roles),
            "certificate": s.certificate,
            "basis": s.basis,
            "guards": [{"name": g.name, **g.args} for g in s.guards],
            "fields": {f.name: field_help(f) for f in s.fields.values()},
        }

    return {
        "name": d.name,
        "version": d.version,
        "label": {"zh": d.label.zh, "en": d.label.en},
        "description": d.description,
        "basis": d.basis,
        "source": d.source_name,
        "digest": d.digest,
        "initial": d.initial,
        "states": {
            n: {"zh": s.label.zh, "en": s.label.en, "terminal": s.terminal}
            for n, s in d.states.items()
        },
        "open": step(d.open),
        "triggers": [step(t) for t in d.triggers.values()],
        "clocks": {
            c.name: {
                "label": {"zh": c.label.zh, "en": c.label.en},
                "basis": c.basis,
                "unit": c.unit,
                "days": c.days,
                "runs_in": sorted(c.runs_in),
                "paused_in": sorted(c.paused_in),
                "starts_from": c.starts_from,
                "extended_by": [
                    *({"trigger": t, "days": n} for t, n in c.extended_by),
                    *({"trigger": t, "days_field": f} for t, f in c.extended_by_field),
                ],
            }
            for c in d.clocks.values()
        },
    }


@workflow_app.command("list")
def list_workflows(as_json: JsonOption = False) -> None:
    """List the workflows the loaded plugins provide, with their versions."""
    loaded = _loaded()

    def render() -> None:
        table = Table("workflow", "label", "versions", "states", "triggers", "source")
        for name, versions in sorted(loaded.items()):
            d = versions[-1]
            table.add_row(
                name,
                str(d.label),
                ", ".join(str(v.version) for v in versions),
                str(len(d.states)),
                str(len(d.triggers)),
                d.source_name,
            )
        console.print(table)

    emit(
        as_json,
        [
            {"name": n, "versions": [d.version for d in v], "label": str(v[-1].label)}
            for n, v in sorted(loaded.items())
        ],
        render,
    )


@workflow_app.command("show")
def show(
    name: Annotated[str, typer.Argument(help="Workflow name, e.g. clue.")],
    version: Annotated[int | None, typer.Option(help="Version (default: newest).")] = None,
    diagram: Annotated[
        str | None, typer.Option(help="Print a state diagram instead: mermaid.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Show a workflow's states, triggers (roles, fields, guards) and clocks."""
    loaded = _loaded()
    if name not in loaded:
        raise InputError(f"no workflow named {name!r}; loaded: {', '.join(sorted(loaded))}")
    versions = {d.version: d for d in loaded[name]}
    d = versions[max(versions)] if version is None else versions.get(version)
    if d is None:
        raise InputError(f"workflow {name} has no version {version}; versions: {sorted(versions)}")
    if diagram is not None:
        if diagram != "mermaid":
            raise InputError(f"unknown diagram format {diagram!r}; use --diagram mermaid")
        typer.echo(mermaid(d))
        return

    def render() -> None:
        console.print(f"[bold]{d.name}[/] v{d.version} — {d.label}  ({d.source_name})")
        if d.basis:
            console.print(f"basis: {d.basis}")
        states = Table("state", "中文", "English", "terminal")
        for n, s in d.states.items():
            states.add_row(n, s.label.zh, s.label.en, "yes" if s.terminal else "")
        console.print(states)
        triggers = Table("trigger", "label", "from → to", "roles", "fields", "guards")
        for t in (d.open, *d.triggers.values()):
            moves = "\n".join(f"{k or '∅'} → {v}" for k, v in t.moves.items())
            fields = ", ".join(f.name + ("*" if f.required else "") for f in t.fields.values())
            guards = ", ".join(g.name for g in t.guards)
            triggers.add_row(
                t.name, str(t.label), moves, ", ".join(sorted(t.roles)), fields, guards
            )
        console.print(triggers)
        field_table = Table("step", "field (* required): format, allowed values, example")
        for t in (d.open, *d.triggers.values()):
            for f in t.fields.values():
                field_table.add_row(t.name, help_line(f))
        if field_table.row_count:
            console.print(field_table)
        for c in d.clocks.values():
            unit = "working days" if c.unit == "working_days" else "calendar days"
            ext = "".join(f", +{n} by {t}" for t, n in c.extended_by)
            ext += "".join(f", +{f} by {t}" for t, f in c.extended_by_field)
            start = f"; counted from {c.starts_from}" if c.starts_from else ""
            console.print(
                f"clock {c.name} {c.label}: {c.days} {unit}{ext}{start}; runs in {', '.join(sorted(c.runs_in))}; "
                f"paused in {', '.join(sorted(c.paused_in)) or '—'}; {c.basis}"
            )

    emit(as_json, describe(d), render)


def register(app: typer.Typer) -> None:
    app.add_typer(workflow_app, name="workflow")
