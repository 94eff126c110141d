"""Checking a draw record (一公开: anyone can re-run a published draw): :func:`verify`.

A record (:meth:`~zhifa.inspections.selection.DrawResult.record`) names the plan, the digests of
the two frozen directories, the public value and the seed, and what was drawn. :func:`verify`
takes the record with the plan and the two directories, checks that they hash as recorded and
that the seed is the one derived from them, re-runs :func:`~zhifa.inspections.selection.draw`,
and names every difference in one sentence each: the directory size, the entities each rule left
out, the strata (ratio, eligible, drawn), every entity selected by one side only or placed in
another stratum, and every visit whose departments or team differ. Long lists stop after
:data:`SHOWN` lines of one kind ("… and N more like these"). An empty list: confirmed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from zhifa.errors import InputError
from zhifa.inspections.directories import InspectorDirectory, TargetDirectory
from zhifa.inspections.plan import Plan
from zhifa.inspections.selection import EXCLUSIONS, FORMAT, draw, seed_of

SHOWN = 20  # differences of one kind listed by verify before "… and N more"


def _listed(lines: list[str]) -> list[str]:
    if len(lines) <= SHOWN:
        return lines
    return [*lines[:SHOWN], f"… and {len(lines) - SHOWN:,} more like these"]


def _short(digest: object) -> str:
    return str(digest)[:16] + "…"


def verify(
    record: Mapping[str, Any],
    plan: Plan,
    targets: TargetDirectory,
    inspectors: InspectorDirectory,
    *,
    public_value: str | None = None,
) -> list[str]:
    """Re-run the draw a record describes and name every difference (empty list: confirmed).

    ``public_value``, when given, is the value as published (e.g. by the lottery) and is compared
    with the recorded one. When the plan or a directory does not hash as recorded, those
    differences are returned without re-running (a re-run on other inputs would differ
    everywhere)."""
    if not isinstance(record, Mapping) or record.get("format") != FORMAT:
        return [f"the record is not a draw record in the format {FORMAT}"]
    try:
        return _verify(record, plan, targets, inspectors, public_value)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return [f"the record is malformed ({type(exc).__name__}: {exc}); it cannot be re-run"]


def _verify(
    record: Mapping[str, Any],
    plan: Plan,
    targets: TargetDirectory,
    inspectors: InspectorDirectory,
    published: str | None,
) -> list[str]:
    out: list[str] = []
    for key, name, actual in (
        ("plan_digest", "the plan", plan.digest()),
        ("targets_digest", "the target snapshot", targets.digest()),
        ("inspectors_digest", "the inspector snapshot", inspectors.digest()),
    ):
        if record[key] != actual:
            out.append(
                f"{name}'s hash differs: the record has {_short(record[key])}, {name} given "
                f"hashes to {_short(actual)}"
            )
    if record["plan"] != plan.as_dict():
        out.append("the plan kept in the record differs from the plan given")
    public = record["public_value"]
    if published is not None and public != published:
        out.append(f"the public value differs: the record has {public!r}, published {published!r}")
    if any("hash differs" in line for line in out):
        return [*out, "the draw was not re-run: its inputs are not those recorded"]
    expected = seed_of(
        record["plan_digest"], record["targets_digest"], record["inspectors_digest"], public
    )
    if record["seed"] != f"{expected:064x}":
        out.append(
            f"the recorded seed is not the one derived from the recorded hashes and public "
            f"value {public!r}: the public value or the seed was changed"
        )
    try:
        again = draw(plan, targets, inspectors, public).record()
    except InputError as exc:
        return [*out, f"the re-run fails: {exc.message}"]
    if record["directory"] != again["directory"]:
        out.append(
            f"the directory size differs: {record['directory']} recorded, {again['directory']} now"
        )
    for reason in EXCLUSIONS:
        was, now = record["excluded"].get(reason), again["excluded"][reason]
        if was != now:
            out.append(
                f"entities left out by the rule {reason}: {was} recorded, {now} by the re-run"
            )
    out += _strata_differences(record["strata"], again["strata"])
    out += _visit_differences(record["visits"]["rows"], again["visits"]["rows"])
    return out


def _strata_differences(recorded: list[Any], rerun: list[dict[str, Any]]) -> list[str]:
    out: list[str] = []
    old = {s["stratum"]: s for s in recorded}
    new = {s["stratum"]: s for s in rerun}
    for label in sorted(set(old) | set(new)):
        if label not in new:
            out.append(f"stratum {label} is in the record but not in the re-run")
            continue
        if label not in old:
            out.append(f"stratum {label} is in the re-run but not in the record")
            continue
        for key in ("ratio", "eligible", "drawn"):
            if old[label][key] != new[label][key]:
                out.append(
                    f"stratum {label}: {key} {old[label][key]} in the record, "
                    f"{new[label][key]} in the re-run"
                )
    where_old = {int(e): s for s, st in old.items() for e in st["selected"]}
    where_new = {int(e): s for s, st in new.items() for e in st["selected"]}
    missing = [
        f"entity {e} selected in the record but not by the re-run"
        for e in sorted(set(where_old) - set(where_new))
    ]
    extra = [
        f"entity {e} selected by the re-run but not in the record"
        for e in sorted(set(where_new) - set(where_old))
    ]
    moved = [
        f"entity {e} is in stratum {where_old[e]} in the record, {where_new[e]} in the re-run"
        for e in sorted(set(where_old) & set(where_new))
        if where_old[e] != where_new[e]
    ]
    return out + _listed(missing) + _listed(extra) + _listed(moved)


def _visit_differences(recorded: list[Any], rerun: list[list[Any]]) -> list[str]:
    old = {int(row[0]): row for row in recorded}
    new = {int(row[0]): row for row in rerun}
    missing = [
        f"task for entity {e} in the record but not in the re-run"
        for e in sorted(set(old) - set(new))
    ]
    extra = [
        f"task for entity {e} in the re-run but not in the record"
        for e in sorted(set(new) - set(old))
    ]
    departments, teams = [], []
    for e in sorted(set(old) & set(new)):
        if list(old[e][1]) != new[e][1]:
            departments.append(
                f"task for entity {e}: departments differ (record: {', '.join(old[e][1])}; "
                f"re-run: {', '.join(new[e][1])})"
            )
        if list(old[e][2]) != new[e][2]:
            teams.append(
                f"task for entity {e}: team differs (record: {', '.join(map(str, old[e][2]))}; "
                f"re-run: {', '.join(new[e][2])})"
            )
    return _listed(missing) + _listed(extra) + _listed(departments) + _listed(teams)
