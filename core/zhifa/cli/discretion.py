"""``zhifa violations`` and ``zhifa discretion suggest``: the loaded violation catalogues and what
they say of the facts of a case; ``zhifa checklists``: the loaded inspection items."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

import typer
from rich.table import Table

from zhifa.cli._common import JsonOption, console, emit, json_object
from zhifa.errors import InputError
from zhifa.plugins import Plugins
from zhifa.rules import TARGETS, Facts, check_decision, discretion

discretion_app = typer.Typer(
    help="Discretion benchmarks (裁量基准): the legal and suggested range for a case's facts.",
    no_args_is_help=True,
)


def _date(text: str | None, option: str, default: date) -> date:
    if text is None:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{option} must be a date YYYY-MM-DD, not {text!r}") from None


def _facts(text: str) -> Facts:
    return Facts.parse(
        json_object(text, "--facts", '{"goods_value": 8000, "circumstances": ["first_violation"]}')
    )


@discretion_app.command("suggest")
def suggest_cmd(
    violation: Annotated[str, typer.Argument(metavar="VIOLATION", help="Catalogue code.")],
    facts: Annotated[
        str,
        typer.Option(
            "--facts",
            help="JSON (or @file): goods_value, illegal_gains, original_fine, days, circumstances.",
        ),
    ] = "{}",
    target: Annotated[
        str, typer.Option(help=f"Whom the fine is for: {', '.join(TARGETS)}.")
    ] = "unit",
    conduct: Annotated[
        str | None,
        typer.Option(help="Date of the conduct (YYYY-MM-DD); picks the entry in force (Art 37)."),
    ] = None,
    decided: Annotated[
        str | None, typer.Option(help="Date of the decision (default: today).")
    ] = None,
    fine: Annotated[
        str | None, typer.Option(help="A proposed fine in yuan, checked against both ranges.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """The legal range of VIOLATION for these facts, the discretion tier the circumstances select,
    the suggested range and the articles behind each; with --fine, whether that fine is refused
    (outside the legal range) or needs a recorded reason and a legal review (outside the tier).

    With --conduct, the entry in force on that day applies unless the one in force on --decided is
    lighter (从旧兼从轻, 行政处罚法 第三十七条); the choice and its reason are printed.
    """
    if target not in TARGETS:
        raise InputError(f"--target must be one of {', '.join(TARGETS)}, not {target!r}")
    case_facts = _facts(facts)
    today = date.today()
    on_decision = _date(decided, "--decided", today)
    on_conduct = _date(conduct, "--conduct", on_decision)
    if on_conduct > on_decision:
        raise InputError(f"--conduct {on_conduct} is after --decided {on_decision}")
    result, why = discretion(
        Plugins().violations(), violation, case_facts, on_conduct, on_decision, target
    )
    entry = result.violation
    payload: dict[str, Any] = {**result.as_dict(), "applicable": why}
    refusals: list[str] = []
    if fine is not None:
        try:
            amount = Decimal(fine)
        except ArithmeticError:
            raise InputError(f"--fine must be an amount in yuan, not {fine!r}") from None
        refusals, conditions = check_decision(result, amount)
        payload["fine"] = {"amount": str(amount), "refused": refusals, "conditions": conditions}

    def render() -> None:
        low, high = result.legal
        s_low, s_high = result.suggested
        console.print(f"[bold]{entry.code}[/] {entry.name} ({entry.department})")
        console.print(f"  violates: {entry.basis}")
        console.print(
            f"  penalty:  {result.band.basis or entry.penalty_basis} — {result.band.describe()}"
        )
        console.print(f"  legal range:     {low:,} – {high:,} yuan")
        because = f" because {', '.join(result.tier_because)}" if result.tier_because else ""
        console.print(f"  tier:            {result.tier.name}{because}")
        console.print(f"  suggested range: {s_low:,} – {s_high:,} yuan")
        for m in entry.measures:
            console.print(f"  also: {m}")
        if entry.no_penalty:
            console.print(f"  no-penalty list (免罚清单): {entry.no_penalty}")
        if entry.reduced_penalty:
            console.print(f"  reduced-penalty list: {entry.reduced_penalty}")
        console.print(f"  applicable entry: {why}")
        if fine is not None:
            verdict = payload["fine"]
            for line in verdict["refused"]:
                console.print(f"  [red]refused:[/] {line}")
            for line in verdict["conditions"]:
                console.print(f"  [yellow]needs:[/] {line}")
            if not verdict["refused"] and not verdict["conditions"]:
                console.print(f"  a fine of {fine} yuan is within the {result.tier.name} tier")

    emit(as_json, payload, render)
    if refusals:
        raise typer.Exit(1)


def violations(
    plugin: Annotated[
        str | None, typer.Option("--plugin", help="Only this plugin's entries.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """The violation catalogues of the loaded plugins: code, name, penalty provision, bands and
    the dates each entry is in force."""
    entries = [v for vs in Plugins().violations().values() for v in vs]
    if plugin:
        entries = [v for v in entries if v.department == plugin]
    items: list[dict[str, Any]] = [
        {
            "code": v.code,
            "name": v.name,
            "plugin": v.department,
            "basis": v.basis,
            "penalty_basis": v.penalty_basis,
            "bands": [b.describe() for b in v.bands],
            "no_penalty_list": v.no_penalty is not None,
            "in_force_from": None if v.in_force_from == date.min else v.in_force_from.isoformat(),
            "in_force_to": v.in_force_to.isoformat() if v.in_force_to else None,
        }
        for v in sorted(entries, key=lambda v: (v.code, v.in_force_from))
    ]

    def render() -> None:
        table = Table("code", "name", "plugin", "penalty", "bands", "免罚")
        for i in items:
            table.add_row(
                i["code"],
                i["name"],
                i["plugin"],
                i["penalty_basis"],
                "\n".join(i["bands"]),
                "yes" if i["no_penalty_list"] else "",
            )
        console.print(table)
        console.print(f"{len(items)} entries")

    emit(as_json, items, render)


def checklists(
    scope: Annotated[str | None, typer.Option(help="Only items for this kind of business.")] = None,
    as_json: JsonOption = False,
) -> None:
    """The inspection items (检查事项) of the loaded plugins, general and key items."""
    items: list[dict[str, Any]] = [
        {
            "code": i.code,
            "name": i.name,
            "basis": i.basis,
            "method": i.method,
            "kind": i.kind,
            "scope": i.scope,
            "plugin": i.department,
        }
        for i in sorted(Plugins().checklists().values(), key=lambda i: i.code)
        if scope is None or i.scope == scope
    ]

    def render() -> None:
        table = Table("code", "item", "kind", "method", "scope", "basis", "plugin")
        for i in items:
            table.add_row(
                i["code"], i["name"], i["kind"], i["method"], i["scope"], i["basis"], i["plugin"]
            )
        console.print(table)
        console.print(f"{len(items)} items")

    emit(as_json, items, render)


def register(app: typer.Typer) -> None:
    app.add_typer(discretion_app, name="discretion")
    app.command("violations")(violations)
    app.command("checklists")(checklists)
