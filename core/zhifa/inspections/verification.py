"""Checking a draw record (一公开: anyone can re-run a published draw): :func:`verify`.

A record (:meth:`~zhifa.inspections.selection.DrawResult.record`) names the plan, the digests of
the two frozen directories, the public value and the seed, and what was drawn. :func:`verify`
takes the record with the plan and the two directories, checks that they hash as recorded and
that the seed is the one derived from them, re-runs :func:`~zhifa.inspections.selection.draw`,
and names every difference in one sentence each: the directory size, the entities each rule left
out, the strata (ratio, eligible, drawn), every entity selected by one side only or placed in
another stratum, and every visit whose departments or team differ. Long lists stop after
:data:`SHOWN` lines of one kind ("… and N more like these"). An empty list: confirmed.

A record re-runs the same however the rows around it were changed, so :func:`stored_problems`
re-checks the order the stored rows give a draw, one sentence per fault (the database enforces
none of it, and anyone who can write to it can change these rows): the plan was published and
both snapshots taken before the public value was published, and the value was published no
later than the draw was made; a redraw replaces the draw before it of the same plan, made
earlier and before the redraw's value was published, and was approved by an officer who was a
head of the plan's lead department when it was made, for a recorded reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from zhifa.directory import OfficerRecord
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


# -- the stored rows around a record ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredDraw:
    """What the database stores of a draw beside its record (the columns of ``draws``)."""

    id: int
    plan_id: int
    created_at: datetime
    value_published_at: datetime | None
    generation: int = 1
    replaces: int | None = None
    reason: str | None = None
    approved_by: str | None = None


@dataclass(frozen=True, slots=True)
class StoredInputs:
    """The stored rows a draw was made on: its plan's publication and lead department, its two
    snapshots (kind, id, when taken), the draw it replaces (a redraw; None when that draw is not
    stored) and the approving officer's record as it stood when the draw was made (None: no
    such officer)."""

    plan_status: str
    plan_published_at: datetime | None
    lead_department: str
    snapshots: Sequence[tuple[str, int, datetime]]
    replaced: StoredDraw | None = None
    approver: OfficerRecord | None = None


def _at(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S}"


def stored_problems(draw: StoredDraw, inputs: StoredInputs) -> list[str]:
    """Every fault in the order the stored rows give ``draw``, one sentence each (empty: none).

    Checked again on every verify because the rows can be changed after the draw was made: the
    moments (:func:`_moment_problems`) and, for a redraw, what it replaces and who approved it
    (:func:`_redraw_problems`)."""
    return _moment_problems(draw, inputs) + _redraw_problems(draw, inputs)


def _moment_problems(draw: StoredDraw, inputs: StoredInputs) -> list[str]:
    value_at = draw.value_published_at
    if value_at is None:
        return [
            f"draw {draw.id} records no time its public value was published (value_published_at "
            "is empty), so nothing shows that its plan and snapshots were frozen before the value "
            "was known"
        ]
    out = []
    if inputs.plan_status != "published" or inputs.plan_published_at is None:
        out.append(
            f"plan {draw.plan_id} is recorded as {inputs.plan_status}, never published, yet draw "
            f"{draw.id} was made on it; only a published plan is drawn"
        )
    elif inputs.plan_published_at >= value_at:
        out.append(
            f"plan {draw.plan_id} was published at {_at(inputs.plan_published_at)}, not before the "
            f"public value of draw {draw.id} was published at {_at(value_at)}; the plan must be "
            "frozen before the value is known"
        )
    for kind, snapshot_id, taken in inputs.snapshots:
        if taken >= value_at:
            out.append(
                f"the {kind} snapshot {snapshot_id} of draw {draw.id} was taken at {_at(taken)}, "
                f"not before its public value was published at {_at(value_at)}; a draw uses "
                "directories frozen before the value is known"
            )
    if value_at > draw.created_at:
        out.append(
            f"the public value of draw {draw.id} is recorded as published at {_at(value_at)}, "
            f"after the draw was made at {_at(draw.created_at)}; a draw uses a value already "
            "published"
        )
    return out


def _redraw_problems(draw: StoredDraw, inputs: StoredInputs) -> list[str]:
    if draw.generation <= 1:
        if draw.replaces is not None:
            return [
                f"draw {draw.id} is plan {draw.plan_id}'s first draw (generation {draw.generation}) "
                f"but names draw {draw.replaces} as the draw it replaces"
            ]
        return []
    if draw.replaces is None:
        return [
            f"draw {draw.id} is a redraw of plan {draw.plan_id} (generation {draw.generation}) "
            "but names no draw it replaces"
        ]
    return _replaced_problems(draw, inputs) + _approval_problems(draw, inputs)


def _replaced_problems(draw: StoredDraw, inputs: StoredInputs) -> list[str]:
    old = inputs.replaced
    if old is None:
        return [f"draw {draw.id} replaces draw {draw.replaces}, which is not stored"]
    out = []
    if old.plan_id != draw.plan_id:
        out.append(
            f"draw {draw.id} replaces draw {old.id}, a draw of plan {old.plan_id}, not of its own "
            f"plan {draw.plan_id}"
        )
    if old.generation != draw.generation - 1:
        out.append(
            f"draw {draw.id} (generation {draw.generation}) replaces draw {old.id}, which is "
            f"generation {old.generation}, not the draw before it ({draw.generation - 1})"
        )
    if old.created_at >= draw.created_at:
        out.append(
            f"draw {draw.id} replaces draw {old.id}, made at {_at(old.created_at)}, not before "
            f"draw {draw.id} was made at {_at(draw.created_at)}"
        )
    value_at = draw.value_published_at
    if value_at is not None and value_at <= old.created_at:
        out.append(
            f"the public value of redraw {draw.id} was published at {_at(value_at)}, not after the "
            f"draw it replaces (draw {old.id}) was made at {_at(old.created_at)}; a redraw cannot "
            "choose among values already known"
        )
    return out


def _approval_problems(draw: StoredDraw, inputs: StoredInputs) -> list[str]:
    out = []
    if not (draw.reason or "").strip():
        out.append(f"redraw {draw.id} records no reason for drawing plan {draw.plan_id} again")
    lead = inputs.lead_department
    head = f"a head of {lead}, the plan's lead department"
    officer = inputs.approver
    if not draw.approved_by:
        out.append(f"redraw {draw.id} names no approving officer; a redraw is approved by {head}")
    elif officer is None:
        out.append(
            f"redraw {draw.id} is approved by {draw.approved_by!r}, who is no officer; a redraw "
            f"is approved by {head}"
        )
    elif "head" not in officer.role_set or officer.department_code != lead:
        out.append(
            f"redraw {draw.id} is approved by {officer.id} ({officer.name}), who was not {head}, "
            f"when it was made at {_at(draw.created_at)} (roles {officer.roles or 'none'}, "
            f"department {officer.department_code})"
        )
    return out
