"""Drawing the inspection team of every visit of a random draw (双随机: the second random).

Each selected entity is visited once ("进一次门、查多项事"): the departments of the plan that have
an item for the entity's industry each have a task there, and one team is drawn for the visit.
The rules, for a visit to entity ``e`` in region ``r`` on the plan's inspection day:

* an officer *qualifies* for a department's task when the officer belongs to that department,
  holds an enforcement certificate valid on the day (both ends included), holds every specialty
  that the department's items for the entity's industry name, and inspects region ``r`` (an
  officer without regions inspects every region);
* an officer who declared a conflict of interest with ``e``, or who was an officer of ``e``'s
  last inspection, *withdraws* (回避) and is never drawn for ``e``;
* the team has ``max(team_size, number of departments)`` members: first one qualified officer of
  each department involved (departments in code order), then the rest from all officers
  qualified for any of the visit's departments.

The randomness is a sub-stream per visit, derived from the draw's ``salt`` (the first output of
the seeded generator, see :mod:`zhifa.inspections.selection`) and the entity id only, so a
visit's team does not depend on which other entities were drawn or in what order they are
staffed. With ``mix64`` the output function of SplitMix64 (Steele, Lea & Flood, 2014), all
arithmetic modulo 2^64::

    mix64(z):  z = (z XOR (z >> 30)) * 0xBF58476D1CE4E5B9
               z = (z XOR (z >> 27)) * 0x94D049BB133111EB
               return z XOR (z >> 31)
    k(e)        = mix64(salt XOR mix64(e))                      # e as a 64-bit two's complement
    h(e, t, i)  = mix64(k(e) + (t * 2^32 + i + 1) * 0x9E3779B97F4A7C15)
    candidate   = pool[((h >> 32) * len(pool)) >> 32]

Member ``t`` (t = 0, 1, …) is drawn from its *pool* — for ``t`` below the number of departments
the officers qualified for the ``t``-th department, otherwise the officers qualified for any of
the visit's departments — sorted by officer id. Candidates ``i = 0, 1, 2, …`` are taken in turn
and the first one that does not withdraw and is not already in the team is the member. The team
is reported sorted by officer id. Every officer of a pool is equally likely (up to a bias below
``len(pool) / 2^32``, from the multiply-shift).

Before anything is drawn every visit is checked: each of its departments needs one qualified
officer who does not withdraw, and the visit needs as many such officers as its team has members.
When any visit fails, :class:`InfeasibleDraw` lists every failing task and the constraint that
left too few officers, and the draw returns nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray

from zhifa.errors import InfeasibleDraw
from zhifa.inspections.directories import InspectorDirectory

GAMMA = 0x9E3779B97F4A7C15
MIX1 = 0xBF58476D1CE4E5B9
MIX2 = 0x94D049BB133111EB
_U30, _U27, _U31, _U32 = (np.uint64(s) for s in (30, 27, 31, 32))

Needs = tuple[frozenset[str] | None, ...]
"""What each department of the plan needs for one industry: None when it has no item for it,
else the specialties its items name (an empty set when they name none)."""


def mix64(z: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """SplitMix64's output function, element-wise (arithmetic modulo 2^64)."""
    z = z ^ (z >> _U30)
    z = z * np.uint64(MIX1)
    z = z ^ (z >> _U27)
    z = z * np.uint64(MIX2)
    return z ^ (z >> _U31)


def visit_keys(salt: int, entities: NDArray[np.int64]) -> NDArray[np.uint64]:
    """``k(e)`` of each entity: the key of its visit's sub-stream."""
    as_unsigned = np.ascontiguousarray(entities, dtype=np.int64).view(np.uint64)
    return mix64(mix64(as_unsigned) ^ np.uint64(salt))


@dataclass(frozen=True, slots=True)
class Visits:
    """The visits to staff: entity ids (sorted), the region code (a position in
    ``region_names``) and the needs (a position in ``needs``) of each."""

    entities: NDArray[np.int64]
    regions: NDArray[np.int32]
    needs: NDArray[np.int32]


def assign_teams(
    visits: Visits,
    needs: Sequence[Needs],
    departments: Sequence[str],
    region_names: Sequence[str],
    inspectors: InspectorDirectory,
    day: date,
    team_size: int,
    salt: int,
) -> NDArray[np.int32]:
    """The team of every visit as officer positions in ``inspectors`` (one row per visit,
    sorted, padded with -1), or :class:`InfeasibleDraw`."""
    staffing = _Staffing(visits, needs, departments, region_names, inspectors, day, team_size)
    staffing.check()
    return staffing.draw(salt)


class _Staffing:
    def __init__(
        self,
        visits: Visits,
        needs: Sequence[Needs],
        departments: Sequence[str],
        region_names: Sequence[str],
        inspectors: InspectorDirectory,
        day: date,
        team_size: int,
    ) -> None:
        self.visits = visits
        self.need_list = list(needs)
        self.departments = list(departments)
        self.region_names = list(region_names)
        self.inspectors = inspectors
        self.day = day
        self.team_size = team_size
        officers = inspectors.officers
        n, d = len(officers), len(departments)
        self.n = n
        position = {name: j for j, name in enumerate(departments)}
        self.department_of = np.array([position.get(o.department, -1) for o in officers], np.int32)
        self.certified = np.array([o.certified_on(day) for o in officers], dtype=bool)
        member = self.department_of[:, None] == np.arange(d, dtype=np.int32)[None, :]
        # qualified[s, o, j]: officer o qualifies for department j's task under needs s
        self.qualified = np.zeros((len(needs), n, d), dtype=bool)
        self.specialised = np.zeros((len(needs), n, d), dtype=bool)
        for s, need in enumerate(needs):
            for j, wanted in enumerate(need):
                if wanted is not None:
                    self.specialised[s, :, j] = [wanted <= o.specialties for o in officers]
            self.qualified[s] = member & self.certified[:, None] & self.specialised[s]
        region_at = {name: r for r, name in enumerate(region_names)}
        self.covers = np.zeros((n, len(region_names)), dtype=bool)
        for o, officer in enumerate(officers):
            if not officer.regions:
                self.covers[o, :] = True
            for name in officer.regions:
                if name in region_at:
                    self.covers[o, region_at[name]] = True
        self.masks = np.array(
            [sum(1 << j for j, w in enumerate(need) if w is not None) for need in needs],
            dtype=np.int64,
        )
        self.involved = (self.masks[:, None] >> np.arange(d, dtype=np.int64)[None, :]) & 1 == 1
        cover_counts = self.covers.T.astype(np.int32)
        # pool_size[s, r, j]: officers qualified for department j's task under needs s in region r
        self.pool_size = (
            np.stack([cover_counts @ self.qualified[s].astype(np.int32) for s in range(len(needs))])
            if needs
            else np.zeros((0, len(region_names), d), np.int32)
        )
        self._recusals()

    def _recusals(self) -> None:
        """The withdrawn (visit, officer) pairs as sorted codes ``visit * n + officer``, and how
        many qualified officers each visit's departments lose to them."""
        v = self.visits
        count = v.entities.shape[0]
        d = len(self.departments)
        ins = self.inspectors
        entity = np.concatenate([ins.conflict_entity, ins.last_entity])
        officer = np.concatenate([ins.conflict_officer, ins.last_officer]).astype(np.int64)
        if count and entity.size:
            at = np.minimum(np.searchsorted(v.entities, entity), count - 1)
            hit = v.entities[at] == entity
            codes = np.unique(at[hit].astype(np.int64) * self.n + officer[hit])
        else:
            codes = np.zeros(0, dtype=np.int64)
        self.recused_codes = codes
        rv, ro = codes // self.n, codes % self.n
        rj = self.department_of[ro].astype(np.int64)
        rs = v.needs[rv]
        safe_j = np.maximum(rj, 0)
        relevant = (
            (rj >= 0)
            & self.qualified[rs, ro, safe_j]
            & self.covers[ro, v.regions[rv]]
            & ((self.masks[rs] >> safe_j) & 1 == 1)
        )
        lost = np.bincount(rv[relevant] * d + rj[relevant], minlength=count * d)
        self.lost = lost.reshape(count, d)

    def check(self) -> None:
        v = self.visits
        if not v.entities.size:
            self.size = np.zeros(0, dtype=np.int64)
            return
        involved = self.involved[v.needs]
        self.available = np.where(
            involved, self.pool_size[v.needs, v.regions, :] - self.lost, 0
        ).astype(np.int64)
        self.size = np.maximum(involved.sum(axis=1), self.team_size)
        short = (involved & (self.available < 1)).any(axis=1) | (
            self.available.sum(axis=1) < self.size
        )
        failing = np.flatnonzero(short)
        if failing.size:
            problems = [line for row in failing for line in self._explain(int(row))]
            tasks = int(involved[failing].sum())
            raise InfeasibleDraw(
                f"the draw cannot staff {failing.size:,} of its {v.entities.size:,} visits "
                f"({tasks:,} tasks), so nothing was drawn; add certified inspectors with the "
                "needed specialties and regions to the departments named, or change the plan",
                problems,
            )

    def draw(self, salt: int) -> NDArray[np.int32]:
        v = self.visits
        count = v.entities.shape[0]
        if not count:
            return np.zeros((0, self.team_size), dtype=np.int32)
        width = int(self.size.max())
        groups, group_of = np.unique(
            v.needs.astype(np.int64) * len(self.region_names) + v.regions, return_inverse=True
        )
        start = np.zeros((groups.size, width), dtype=np.int64)
        length = np.zeros((groups.size, width), dtype=np.int64)
        pools: list[NDArray[np.intp]] = []
        offset = 0
        for g, code in enumerate(groups.tolist()):
            s, r = divmod(code, len(self.region_names))
            covered = self.covers[:, r]
            depts = np.flatnonzero(self.involved[s])
            for t, j in enumerate(depts.tolist()):
                pool = np.flatnonzero(self.qualified[s, :, j] & covered)
                pools.append(pool)
                start[g, t], length[g, t] = offset, pool.size
                offset += pool.size
            union = np.flatnonzero(self.qualified[s][:, depts].any(axis=1) & covered)
            pools.append(union)
            start[g, depts.size :], length[g, depts.size :] = offset, union.size
            offset += union.size
        pool_data = np.concatenate(pools).astype(np.int32)
        keys = visit_keys(salt, v.entities)
        team = np.full((count, width), -1, dtype=np.int32)
        for t in range(width):
            rows = np.flatnonzero(self.size > t)
            team[rows, t] = self._members(
                rows, t, keys, start[group_of[rows], t], length[group_of[rows], t], pool_data, team
            )
        padded = np.where(team < 0, self.n, team)
        padded.sort(axis=1)
        return np.where(padded == self.n, -1, padded).astype(np.int32)

    def _members(
        self,
        rows: NDArray[np.intp],
        t: int,
        keys: NDArray[np.uint64],
        start: NDArray[np.int64],
        length: NDArray[np.int64],
        pool_data: NDArray[np.int32],
        team: NDArray[np.int32],
    ) -> NDArray[np.int32]:
        """Member ``t`` of each visit in ``rows``: its first candidate that neither withdraws
        nor is already in the team. Candidates are tried in batches; the result is the same as
        trying them one by one."""
        out = np.empty(rows.size, dtype=np.int32)
        pending = np.arange(rows.size)
        first, batch = 0, 4
        base = np.uint64(t) << _U32
        while pending.size:
            counters = base + np.arange(first + 1, first + batch + 1, dtype=np.uint64)
            steps = counters * np.uint64(GAMMA)
            visit = rows[pending]
            h = mix64(keys[visit][:, None] + steps[None, :])
            sizes = length[pending].astype(np.uint64)[:, None]
            pos = ((h >> _U32) * sizes) >> _U32
            candidates = pool_data[start[pending][:, None] + pos.astype(np.int64)]
            ok = ~self._withdraws(visit, candidates)
            if t:
                ok &= ~(candidates[:, :, None] == team[visit, :t][:, None, :]).any(axis=2)
            found = ok.any(axis=1)
            pick = ok.argmax(axis=1)
            out[pending[found]] = candidates[found, pick[found]]
            pending = pending[~found]
            first += batch
            batch = min(batch * 2, 1024)
        return out

    def _withdraws(
        self, visit: NDArray[np.intp], candidates: NDArray[np.int32]
    ) -> NDArray[np.bool_]:
        codes = self.recused_codes
        if not codes.size:
            return np.zeros(candidates.shape, dtype=bool)
        wanted = visit.astype(np.int64)[:, None] * self.n + candidates
        at = np.minimum(np.searchsorted(codes, wanted), codes.size - 1)
        return np.asarray(codes[at] == wanted)

    # -- why a visit cannot be staffed -------------------------------------------------------

    def _withdrawn(self, row: int, entity: int) -> dict[int, str]:
        ins = self.inspectors
        why: dict[int, str] = {}
        for entities, officers, reason in (
            (ins.last_entity, ins.last_officer, "handled its last inspection"),
            (ins.conflict_entity, ins.conflict_officer, "declared a conflict of interest"),
        ):
            lo, hi = np.searchsorted(entities, [entity, entity + 1])
            for o in officers[lo:hi].tolist():
                why[int(o)] = reason
        return why

    def _explain(self, row: int) -> list[str]:
        v = self.visits
        entity, r, s = int(v.entities[row]), int(v.regions[row]), int(v.needs[row])
        region = self.region_names[r] or "(none)"
        officers = self.inspectors.officers
        withdrawn = self._withdrawn(row, entity)
        lines: list[str] = []
        depts = np.flatnonzero(self.involved[s]).tolist()
        for j in depts:
            if self.available[row, j] >= 1:
                continue
            name = self.departments[j]
            member = self.department_of == j
            certified = member & self.certified
            specialised = certified & self.specialised[s, :, j]
            covering = specialised & self.covers[:, r]
            wanted = sorted(self.need_list[s][j] or ())
            with_specialty = f"holding {', '.join(wanted)}" if wanted else "(no specialty needed)"
            funnel = (
                f"{int(member.sum())} in {name}, {int(certified.sum())} certified on {self.day}, "
                f"{int(specialised.sum())} {with_specialty}, {int(covering.sum())} covering "
                f"region {region}"
            )
            if not member.any():
                cause = f"{name} has no inspector in the directory"
            elif not certified.any():
                cause = (
                    f"no inspector of {name} holds an enforcement certificate valid on {self.day}"
                )
            elif not specialised.any():
                cause = f"no certified inspector of {name} has the specialty {', '.join(wanted)}"
            elif not covering.any():
                cause = f"no qualified inspector of {name} covers region {region}"
            else:
                gone = [
                    f"{officers[o].id} {withdrawn.get(o, 'withdraws')}"
                    for o in np.flatnonzero(covering).tolist()
                ]
                cause = f"every qualified inspector withdraws ({'; '.join(gone)})"
            lines.append(
                f"task of {name} for entity {entity}: no inspector can be drawn — {cause} "
                f"[{funnel}]"
            )
        if not lines:
            size = int(self.size[row])
            counts = ", ".join(
                f"{self.departments[j]}: {int(self.available[row, j])}" for j in depts
            )
            leaving = sum(1 for o in withdrawn if self.department_of[o] in depts)
            names = ", ".join(self.departments[j] for j in depts)
            lines.append(
                f"tasks of {names} for entity {entity}: a team of {size} is needed and only "
                f"{int(self.available[row].sum())} inspectors can be drawn ({counts}; "
                f"{leaving} withdraw for a conflict or the last inspection)"
            )
        return lines
