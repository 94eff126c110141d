"""Random draws for inspection plans (双随机、一公开): which entities are inspected, by whom, and a
record anyone can re-run.

A draw takes a :class:`~zhifa.inspections.plan.Plan`, the target directory and the inspector
directory as frozen (:class:`~zhifa.inspections.TargetDirectory`,
:class:`~zhifa.inspections.InspectorDirectory`) and a *public random value* entered after the
directories were frozen (e.g. a lottery result). It is pure: no database, no clock; the same
inputs always give the same draw.

**Seed.** ``seed = int.from_bytes(SHA-256(text), "big")`` where ``text`` is the UTF-8 encoding of
``"zhifa-draw-seed-1\\n" + plan digest + "\\n" + target digest + "\\n" + inspector digest + "\\n" +
public value`` — digests as 64 lower-case hex digits, the public value exactly as entered
(no trimming; an empty value or one with surrounding blanks is refused). The generator is
``numpy.random.Generator(PCG64(SeedSequence(seed)))``; only its raw 64-bit outputs are used
(``bit_generator.random_raw``): PCG64 (XSL-RR 128/64) and SeedSequence are published algorithms
another implementation can reproduce, whereas the Generator's sampling methods may change between
NumPy versions (NEP 19). The tests pin these outputs, so a NumPy that changed them would fail
them before an old draw stopped verifying. Output 0 is the *salt* of the team draw
(:mod:`zhifa.inspections.teams`), output ``1 + i`` is the *key* of the ``i``-th entity of the target
directory in id order.

**Eligible entities.** An entity is eligible when all hold, checked in this order (the record
counts the entities each rule leaves out, first failing rule only):

1. *population*: its region is in the plan's regions and its industry in the plan's industries
   (an empty set means all), and at least one item of the plan applies to its industry (an item
   with an empty scope applies to every industry);
2. *exempt*: its credit class is not exempt, or it asked for an inspection (无事不扰);
3. *grace*: with the rule ``exclude``, it is not a new business — a new business is one whose
   registration date is fewer than ``grace_days`` days before the inspection date (registered
   exactly ``grace_days`` days before: no longer new). With ``include`` new businesses are
   treated as any other; with a ratio they form their own strata (below);
4. *yearly cap*: its random inspections already this year are fewer than the cap of its class,
   unless an item of the plan that applies to it is a key item (重点项目: no upper bound).

**Strata and ratios.** Eligible entities are split by credit class; further by risk level when
the plan gives a risk ratio above 0 (entities without a level form a stratum ``unrated``); and
further by key supervision when the plan gives a ``key_supervision_ratio`` above 0. A stratum's
ratio is the highest of its class ratio, its risk level's ratio and, for entities under key
supervision, the key-supervision ratio (as :meth:`zhifa.rules.SamplingPolicy.ratio` combines
class and risk). An exempt class keeps its class ratio for the entities that asked. When the
grace rule is a ratio, the new businesses of each class form one stratum ``<class>/new`` drawn at
that ratio. Labels: ``B``, ``B/high``, ``B/unrated``, ``B/key``, ``B/high/key``, ``B/new``.

**Rounding.** A stratum of ``N`` eligible entities at ratio ``p`` draws
``n = floor(p × N + 1/2)`` (round half up, computed exactly in decimal), at least 1 when
``p > 0`` and ``N > 0``, and never more than ``N`` (see :func:`sample_size`). E.g. 0.05 of 30
→ 2 (1.5 rounds up), of 10 → 1 (0.5), of 9 → 1 (0.45 rounds to 0, raised to 1), of 49 → 2
(2.45), of 50 → 3 (2.5).

**Selection.** In each stratum the ``n`` entities with the smallest keys are drawn; two equal keys
(chance about N²/2^65) are ordered by entity id. Selection is without replacement and the result
is sorted by entity id.

**Visits and teams.** Each drawn entity gets one task per department with an item applying to its
industry; the tasks of one entity are one visit with one team. See :mod:`zhifa.inspections.teams`
for who qualifies and how the team is drawn; if any visit cannot be staffed,
:class:`~zhifa.inspections.InfeasibleDraw` names every such task and why, and nothing is returned.

**Record and verification.** :meth:`DrawResult.record` is a JSON-serialisable dict (the plan, the
digests, the public value, the seed, the counts, the strata with their drawn ids, the visits with
their departments and teams). :func:`~zhifa.inspections.verification.verify` re-runs the draw
from a record and the plan and directories, and returns the differences, each in one sentence
(empty: confirmed).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray

from zhifa.errors import InputError
from zhifa.inspections.directories import InspectorDirectory, TargetDirectory
from zhifa.inspections.plan import Plan, _text
from zhifa.inspections.teams import Needs, Visits, assign_teams
from zhifa.rules import CREDIT_CLASSES, RISK_LEVELS

FORMAT = "zhifa-draw-1"
EXCLUSIONS = ("population", "exempt", "grace", "yearly_cap")
_NO_CAP = np.iinfo(np.int32).max


# -- seed ------------------------------------------------------------------------------------------


def seed_of(plan_digest: str, targets_digest: str, inspectors_digest: str, public: str) -> int:
    """The draw's seed: SHA-256 of the three digests and the public value (see the module
    documentation), as a 256-bit integer."""
    text = f"zhifa-draw-seed-1\n{plan_digest}\n{targets_digest}\n{inspectors_digest}\n{public}"
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest(), "big")


def generator(seed: int) -> np.random.Generator:
    """``Generator(PCG64(SeedSequence(seed)))``: the draw's one source of randomness."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed)))


def sample_size(ratio: Decimal, eligible: int) -> int:
    """How many of ``eligible`` entities a stratum at ``ratio`` draws: round half up of
    ratio × eligible, at least 1 when both are above 0, at most ``eligible``."""
    if eligible <= 0 or ratio <= 0:
        return 0
    n = int((Decimal(ratio) * eligible).to_integral_value(rounding=ROUND_HALF_UP))
    return min(eligible, max(1, n))


def _check_public(value: str) -> None:
    if not isinstance(value, str) or not value or value != value.strip():
        raise InputError(
            "the public random value must be the published value exactly as published, not "
            "empty and without leading or trailing blanks (e.g. the lottery's winning numbers)"
        )


# -- result ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class Stratum:
    """One stratum: its label, ratio, how many were eligible and drawn, and the drawn ids."""

    label: str
    credit_class: str
    risk_level: str | None  # None: the plan does not split by risk; "unrated": no level
    key_supervision: bool
    new_business: bool
    ratio: Decimal
    eligible: int
    selected: NDArray[np.int64]

    @property
    def drawn(self) -> int:
        return int(self.selected.shape[0])

    def as_dict(self) -> dict[str, Any]:
        return {
            "stratum": self.label,
            "ratio": _text(self.ratio),
            "eligible": self.eligible,
            "drawn": self.drawn,
            "selected": self.selected.tolist(),
        }


@dataclass(frozen=True, slots=True)
class Tasks:
    """The tasks of a draw as columns ready for a bulk insert: one row per (entity, department);
    ``visit`` is the row of the entity's visit in :attr:`DrawResult.entities`."""

    entity: NDArray[np.int64]
    department: NDArray[np.int32]  # position in DrawResult.departments
    visit: NDArray[np.int32]


@dataclass(frozen=True, slots=True, eq=False)
class DrawResult:
    """A draw: its inputs (digests, public value, seed), the strata, and the visits with their
    departments and teams. ``team`` holds officer positions in ``officer_ids``, one row per visit,
    sorted, padded with -1."""

    plan: Plan
    plan_digest: str
    targets_digest: str
    inspectors_digest: str
    public_value: str
    seed: int
    directory_size: int
    excluded: Mapping[str, int]
    strata: tuple[Stratum, ...]
    entities: NDArray[np.int64]
    visit_departments: NDArray[np.int64]
    team: NDArray[np.int32]
    officer_ids: tuple[str, ...]

    @property
    def departments(self) -> tuple[str, ...]:
        return self.plan.departments

    @property
    def selected(self) -> NDArray[np.int64]:
        """Every drawn entity id, sorted."""
        return self.entities

    def team_of(self, entity_id: int) -> tuple[str, ...]:
        row = int(np.searchsorted(self.entities, entity_id))
        if row >= self.entities.shape[0] or int(self.entities[row]) != entity_id:
            raise InputError(f"entity {entity_id} was not drawn")
        return tuple(self.officer_ids[o] for o in self.team[row].tolist() if o >= 0)

    def departments_of(self, entity_id: int) -> tuple[str, ...]:
        row = int(np.searchsorted(self.entities, entity_id))
        if row >= self.entities.shape[0] or int(self.entities[row]) != entity_id:
            raise InputError(f"entity {entity_id} was not drawn")
        mask = int(self.visit_departments[row])
        return tuple(d for j, d in enumerate(self.departments) if mask >> j & 1)

    def tasks(self) -> Tasks:
        """One row per task, by entity then department."""
        visit_parts, dept_parts = [], []
        for j in range(len(self.departments)):
            rows = np.flatnonzero((self.visit_departments >> j) & 1)
            visit_parts.append(rows)
            dept_parts.append(np.full(rows.shape[0], j, dtype=np.int32))
        visit = np.concatenate(visit_parts) if visit_parts else np.zeros(0, np.intp)
        dept = np.concatenate(dept_parts) if dept_parts else np.zeros(0, np.int32)
        order = np.lexsort((dept, visit))
        rows = visit[order]
        return Tasks(self.entities[rows], dept[order], rows.astype(np.int32))

    def _visit_rows(self) -> list[list[Any]]:
        ids = self.officer_ids
        depts = self.departments
        names = {
            m: [d for j, d in enumerate(depts) if m >> j & 1]
            for m in set(self.visit_departments.tolist())
        }
        return [
            [entity, names[mask], [ids[o] for o in team if o >= 0]]
            for entity, mask, team in zip(
                self.entities.tolist(),
                self.visit_departments.tolist(),
                self.team.tolist(),
                strict=True,
            )
        ]

    def task_rows(self) -> list[dict[str, Any]]:
        """The tasks as rows for a bulk insert, by entity then department: ``entity_id``,
        ``department`` and ``visit`` (the entity's row among the visits, shared by the tasks
        of one visit). The team of each visit is in :meth:`team_rows`. Rows hold only numbers
        and text, so building a million of them costs no garbage-collector passes."""
        tasks = self.tasks()
        depts = self.departments
        return [
            {"entity_id": entity, "department": depts[dept], "visit": visit}
            for entity, dept, visit in zip(
                tasks.entity.tolist(), tasks.department.tolist(), tasks.visit.tolist(), strict=True
            )
        ]

    def team_rows(self) -> list[dict[str, Any]]:
        """The inspectors of every visit as rows for a bulk insert: ``visit``, ``entity_id``
        and ``officer_id``, by visit then officer id."""
        visits, slots = np.nonzero(self.team >= 0)
        ids = self.officer_ids
        return [
            {"visit": visit, "entity_id": entity, "officer_id": ids[officer]}
            for visit, entity, officer in zip(
                visits.tolist(),
                self.entities[visits].tolist(),
                self.team[visits, slots].tolist(),
                strict=True,
            )
        ]

    def record(self) -> dict[str, Any]:
        """Everything needed to publish and re-run the draw, as JSON-serialisable data."""
        return {
            "format": FORMAT,
            "plan": self.plan.as_dict(),
            "plan_digest": self.plan_digest,
            "targets_digest": self.targets_digest,
            "inspectors_digest": self.inspectors_digest,
            "public_value": self.public_value,
            "seed": f"{self.seed:064x}",
            "directory": self.directory_size,
            "excluded": dict(self.excluded),
            "strata": [s.as_dict() for s in self.strata],
            "visits": {
                "columns": ["entity", "departments", "inspectors"],
                "rows": self._visit_rows(),
            },
        }


# -- the draw --------------------------------------------------------------------------------------


def _stratum(plan: Plan, code: int) -> tuple[str, str, str | None, bool, bool, Decimal]:
    """Label, class, risk, key supervision, new business and ratio of a stratum code
    ``class * 20 + risk * 4 + key * 2 + new`` (risk 0: not split, 1: unrated, 2–4: a level)."""
    c, rest = divmod(code, 20)
    rr, rest = divmod(rest, 4)
    kk, nn = divmod(rest, 2)
    cls = CREDIT_CLASSES[c]
    if nn:
        return f"{cls}/new", cls, None, False, True, Decimal(cast(Decimal, plan.grace))
    ratio = plan.ratio_of(cls)
    label = cls
    risk: str | None = None
    if rr:
        risk = "unrated" if rr == 1 else RISK_LEVELS[rr - 2]
        label += f"/{risk}"
        if rr >= 2:
            ratio = max(ratio, Decimal(plan.risk_ratios.get(risk, Decimal(0))))
    if kk:
        label += "/key"
        ratio = max(ratio, Decimal(plan.key_supervision_ratio or 0))
    return label, cls, risk, bool(kk), False, ratio


def _smallest(keys: NDArray[np.uint64], n: int) -> NDArray[np.intp]:
    """Positions of the ``n`` smallest keys, equal keys by position; sorted."""
    if n >= keys.shape[0]:
        return np.arange(keys.shape[0])
    if n <= 0:
        return np.zeros(0, dtype=np.intp)
    threshold = np.partition(keys, n - 1)[n - 1]
    below = np.flatnonzero(keys < threshold)
    tied = np.flatnonzero(keys == threshold)[: n - below.shape[0]]
    return np.sort(np.concatenate([below, tied]))


def _industry_needs(
    plan: Plan, industries: Sequence[str]
) -> tuple[list[Needs], NDArray[np.int32], NDArray[np.bool_]]:
    """For each industry of the directory: a position in the distinct needs (what each department
    needs for it), and whether a key item applies."""
    departments = plan.departments
    distinct: dict[Needs, int] = {}
    of_industry = np.zeros(len(industries), dtype=np.int32)
    key = np.zeros(len(industries), dtype=bool)
    for i, industry in enumerate(industries):
        applying = [item for item in plan.items if item.scope in ("", industry)]
        need: Needs = tuple(
            frozenset(x.specialty for x in applying if x.department == d and x.specialty)
            if any(x.department == d for x in applying)
            else None
            for d in departments
        )
        of_industry[i] = distinct.setdefault(need, len(distinct))
        key[i] = any(item.kind == "key" for item in applying)
    return list(distinct), of_industry, key


def draw(
    plan: Plan, targets: TargetDirectory, inspectors: InspectorDirectory, public_value: str
) -> DrawResult:
    """Draw the entities and the team of every visit (rules in the module documentation).

    Raises :class:`InputError` for a bad public value and :class:`InfeasibleDraw` when some task
    cannot be staffed (every such task named; nothing is returned)."""
    _check_public(public_value)
    digests = (plan.digest(), targets.digest(), inspectors.digest())
    seed = seed_of(*digests, public_value)
    n = len(targets)
    raw = generator(seed).bit_generator.random_raw(n + 1)
    salt, keys = int(raw[0]), raw[1:]

    needs, needs_of_industry, key_of_industry = _industry_needs(plan, targets.industries)
    no_item = tuple(None for _ in plan.departments)
    industry_ok = np.array(
        [
            (not plan.industries or name in plan.industries) and needs[s] != no_item
            for name, s in zip(targets.industries, needs_of_industry.tolist(), strict=True)
        ],
        dtype=bool,
    )
    region_ok = np.array(
        [not plan.regions or name in plan.regions for name in targets.regions], dtype=bool
    )
    cls = targets.credit_class
    in_population = region_ok[targets.region] & industry_ok[targets.industry]
    exempt = np.array([c in plan.exempt for c in CREDIT_CLASSES], dtype=bool)
    not_exempt = ~exempt[cls] | targets.asked
    new = (plan.inspection_date.toordinal() - targets.registered_on) < plan.grace_days
    grace_ok = ~new if plan.grace == "exclude" else np.ones(n, dtype=bool)
    caps = np.array([plan.yearly_cap.get(c, _NO_CAP) for c in CREDIT_CLASSES], dtype=np.int32)
    cap_ok = (targets.inspected_this_year < caps[cls]) | key_of_industry[targets.industry]

    passed = in_population
    excluded = {"population": int(n - passed.sum())}
    for reason, rule in (("exempt", not_exempt), ("grace", grace_ok), ("yearly_cap", cap_ok)):
        kept = passed & rule
        excluded[reason] = int(passed.sum() - kept.sum())
        passed = kept
    eligible = np.flatnonzero(passed)

    code = cls[eligible].astype(np.uint8) * np.uint8(20)
    if plan.splits_by_risk:
        code += ((targets.risk_level[eligible] + 2).astype(np.uint8)) * np.uint8(4)
    if plan.splits_by_key_supervision:
        code += targets.key_supervision[eligible].astype(np.uint8) * np.uint8(2)
    if not isinstance(plan.grace, str):
        code = np.where(new[eligible], cls[eligible].astype(np.uint8) * np.uint8(20) + 1, code)
    order = np.argsort(code, kind="stable")
    counts = np.bincount(code, minlength=80)
    ends = np.cumsum(counts)
    strata: list[Stratum] = []
    chosen: list[NDArray[np.intp]] = []
    for c in np.flatnonzero(counts).tolist():
        members = eligible[order[ends[c] - counts[c] : ends[c]]]
        label, credit, risk, key, is_new, ratio = _stratum(plan, c)
        picked = members[_smallest(keys[members], sample_size(ratio, int(counts[c])))]
        chosen.append(picked)
        ids = targets.ids[picked]
        ids.setflags(write=False)
        strata.append(Stratum(label, credit, risk, key, is_new, ratio, int(counts[c]), ids))
    rows = np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, dtype=np.intp)

    entities = targets.ids[rows]
    visit_needs = needs_of_industry[targets.industry[rows]]
    team = assign_teams(
        Visits(entities, targets.region[rows], visit_needs),
        needs,
        plan.departments,
        targets.regions,
        inspectors,
        plan.inspection_date,
        plan.team_size,
        salt,
    )
    masks = np.array(
        [sum(1 << j for j, w in enumerate(need) if w is not None) for need in needs],
        dtype=np.int64,
    )
    for array in (entities, team):
        array.setflags(write=False)
    return DrawResult(
        plan=plan,
        plan_digest=digests[0],
        targets_digest=digests[1],
        inspectors_digest=digests[2],
        public_value=public_value,
        seed=seed,
        directory_size=n,
        excluded=excluded,
        strata=tuple(strata),
        entities=entities,
        visit_departments=masks[visit_needs] if masks.size else np.zeros(0, np.int64),
        team=team,
        officer_ids=inspectors.ids,
    )
