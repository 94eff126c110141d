"""Random draws (core/zhifa/inspections/: selection, directories, teams): exact counts at the
rounding boundaries, exemptions, caps, the grace period, the population filter, the seed and its
documented re-implementation, recusal, certificates, specialties, joint visits, infeasible plans
and the verification of a tampered record. Pure: no database."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhifa.errors import InputError
from zhifa.inspections import (
    FORMAT,
    DrawResult,
    InfeasibleDraw,
    Inspector,
    InspectorDirectory,
    Plan,
    PlanItem,
    TargetDirectory,
    Visits,
    assign_teams,
    draw,
    generator,
    sample_size,
    seed_of,
    verify,
)
from zhifa.rules import DEFAULT_POLICY, ChecklistItem, SamplingPolicy

DAY = date(2026, 5, 12)
PUBLIC = "2026052: 03 11 19 24 28 31 + 07"
ONE = Decimal(1)


@dataclass
class E:
    """One entity of a test directory."""

    id: int
    cls: str = "B"
    risk: str | None = None
    region: str = "330106"
    industry: str = "food_sales"
    registered: date = date(2020, 1, 1)
    key: bool = False
    asked: bool = False
    inspected: int = 0


def directory(entities: Iterable[E]) -> TargetDirectory:
    rows = list(entities)
    return TargetDirectory.build(
        [e.id for e in rows],
        [e.cls for e in rows],
        risk_level=[e.risk for e in rows],
        region=[e.region for e in rows],
        industry=[e.industry for e in rows],
        registered_on=[e.registered for e in rows],
        key_supervision=[e.key for e in rows],
        asked=[e.asked for e in rows],
        inspected_this_year=[e.inspected for e in rows],
    )


def officer(oid: str, dept: str = "SC", **kw: Any) -> Inspector:
    values: dict[str, Any] = {
        "certificate_valid_from": date(2025, 1, 1),
        "certificate_valid_to": date(2027, 12, 31),
    }
    values.update(kw)
    return Inspector(oid, dept, **values)


def officers(dept: str = "SC", n: int = 6, **kw: Any) -> list[Inspector]:
    return [officer(f"{dept}{i:02d}", dept, **kw) for i in range(n)]


def plan(**kw: Any) -> Plan:
    values: dict[str, Any] = {
        "year": 2026,
        "lead_department": "SC",
        "items": (PlanItem("SC-1"),),
        "inspection_date": DAY,
        "ratios": dict.fromkeys("ABCD", ONE),
    }
    values.update(kw)
    return Plan(**values)


def many(start: int, count: int, **kw: Any) -> list[E]:
    return [E(start + i, **kw) for i in range(count)]


def by_label(result: DrawResult) -> dict[str, tuple[int, int]]:
    return {s.label: (s.eligible, s.drawn) for s in result.strata}


def selected(result: DrawResult) -> set[int]:
    return {int(e) for e in result.entities}


STAFF = InspectorDirectory.build(officers())


# -- sample sizes ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ratio", "eligible", "expected"),
    [
        ("0.05", 30, 2),  # 1.5 rounds half up
        ("0.05", 10, 1),  # 0.5 rounds half up
        ("0.05", 9, 1),  # 0.45 rounds to 0, raised to the minimum of 1
        ("0.05", 11, 1),  # 0.55
        ("0.05", 49, 2),  # 2.45
        ("0.05", 50, 3),  # 2.5
        ("0.05", 1, 1),
        ("0.05", 0, 0),  # an empty stratum draws nothing
        ("0", 100, 0),  # a zero ratio draws nothing, whatever the minimum
        ("0.15", 10, 2),  # 1.5 exactly: in binary floating point 0.15 * 10 is 1.4999…
        ("0.03", 16, 1),
        ("0.03", 50, 2),  # 1.5
        ("1", 7, 7),
        ("0.5", 3, 2),
    ],
)
def test_sample_size_rounds_half_up_exactly(ratio: str, eligible: int, expected: int) -> None:
    assert sample_size(Decimal(ratio), eligible) == expected


def test_counts_per_class_follow_the_rounding_rule_exactly() -> None:
    rows = [*many(1, 11, cls="A"), *many(100, 30), *many(200, 10, cls="C"), *many(300, 9, cls="D")]
    p = plan(ratios=dict.fromkeys("ABCD", Decimal("0.05")))
    result = draw(p, directory(rows), STAFF, PUBLIC)
    assert by_label(result) == {"A": (11, 1), "B": (30, 2), "C": (10, 1), "D": (9, 1)}
    classes = {e.id: e.cls for e in rows}
    for stratum in result.strata:
        assert {classes[int(e)] for e in stratum.selected} == {stratum.credit_class}
    assert list(result.entities) == sorted(result.entities)
    assert len(result.entities) == 5


def test_a_stratum_of_fifty_and_one_of_forty_nine() -> None:
    rows = [*many(1, 50), *many(1000, 49, cls="C")]
    p = plan(ratios={"B": Decimal("0.05"), "C": Decimal("0.05")})
    assert by_label(draw(p, directory(rows), STAFF, PUBLIC)) == {"B": (50, 3), "C": (49, 2)}


# -- eligibility -----------------------------------------------------------------------------------


def test_an_exempt_class_is_drawn_only_where_it_asked() -> None:
    rows = [*many(1, 5, cls="A"), E(10, "A", asked=True), E(11, "A", asked=True), *many(20, 4)]
    p = plan(exempt=frozenset({"A"}))
    result = draw(p, directory(rows), STAFF, PUBLIC)
    assert by_label(result) == {"A": (2, 2), "B": (4, 4)}
    assert selected(result) == {10, 11, 20, 21, 22, 23}
    assert result.excluded["exempt"] == 5


def test_an_entity_at_its_yearly_cap_is_not_drawn_unless_a_key_item_applies() -> None:
    rows = [E(1, inspected=1), E(2, inspected=0), E(3, "C", inspected=5)]
    general = plan(yearly_cap={"B": 1})
    result = draw(general, directory(rows), STAFF, PUBLIC)
    assert selected(result) == {2, 3}  # C has no cap
    assert result.excluded["yearly_cap"] == 1

    keyed = plan(yearly_cap={"B": 1}, items=(PlanItem("SC-1"), PlanItem("SC-9", "key")))
    assert selected(draw(keyed, directory(rows), STAFF, PUBLIC)) == {1, 2, 3}

    # a key item for another industry does not lift the cap of this one
    elsewhere = plan(
        yearly_cap={"B": 1}, items=(PlanItem("SC-1"), PlanItem("SC-9", "key", scope="catering"))
    )
    assert selected(draw(elsewhere, directory(rows), STAFF, PUBLIC)) == {2, 3}


def test_a_cap_of_zero_keeps_the_class_out_of_general_draws() -> None:
    result = draw(plan(yearly_cap={"B": 0}), directory(many(1, 5)), STAFF, PUBLIC)
    assert result.entities.size == 0
    assert result.excluded["yearly_cap"] == 5


@pytest.mark.parametrize(
    ("days_before", "new"),
    [(180, False), (179, True), (181, False), (0, True)],
)
def test_the_grace_period_boundary(days_before: int, new: bool) -> None:
    rows = [E(1, registered=DAY - timedelta(days=days_before)), E(2)]
    excluded = draw(plan(grace_days=180), directory(rows), STAFF, PUBLIC)
    assert selected(excluded) == ({2} if new else {1, 2})
    assert excluded.excluded["grace"] == int(new)

    included = draw(plan(grace_days=180, grace="include"), directory(rows), STAFF, PUBLIC)
    assert selected(included) == {1, 2}

    apart = draw(plan(grace_days=180, grace=Decimal("0.5")), directory(rows), STAFF, PUBLIC)
    assert by_label(apart) == ({"B/new": (1, 1), "B": (1, 1)} if new else {"B": (2, 2)})


def test_new_businesses_drawn_apart_at_the_grace_ratio() -> None:
    fresh = DAY - timedelta(days=10)
    rows = [*many(1, 30, registered=fresh), *many(100, 30)]
    p = plan(ratios={"B": Decimal("0.1")}, grace_days=180, grace=Decimal("0.05"))
    result = draw(p, directory(rows), STAFF, PUBLIC)
    assert by_label(result) == {"B": (30, 3), "B/new": (30, 2)}
    new_stratum = next(s for s in result.strata if s.new_business)
    assert all(int(e) < 100 for e in new_stratum.selected)


def test_the_population_filter_and_industries_without_items() -> None:
    rows = [
        E(1, region="330106"),
        E(2, region="330102"),
        E(3, region="330106", industry="catering"),
        E(4, region="330106", industry="retail"),
    ]
    p = plan(
        regions=frozenset({"330106"}),
        industries=frozenset({"food_sales", "catering"}),
        items=(PlanItem("SC-1", scope="food_sales"),),
    )
    result = draw(p, directory(rows), STAFF, PUBLIC)
    # 2: outside the regions; 4: outside the industries; 3: no item of the plan applies
    assert selected(result) == {1}
    assert result.excluded["population"] == 3


def test_class_and_risk_ratios_combine_by_the_higher() -> None:
    rows = [
        *many(1, 20, risk="high"),
        *many(100, 20, risk="low"),
        *many(200, 20),  # no risk level
        *many(300, 20, cls="D", risk="low"),
    ]
    p = plan(
        ratios={"B": Decimal("0.1"), "D": Decimal("0.5")},
        risk_ratios={"high": Decimal("0.25"), "low": Decimal("0.05")},
    )
    result = draw(p, directory(rows), STAFF, PUBLIC)
    assert by_label(result) == {
        "B/high": (20, 5),  # 0.25 beats 0.1
        "B/low": (20, 2),  # 0.1 beats 0.05
        "B/unrated": (20, 2),
        "D/low": (20, 10),
    }
    ratios = {s.label: s.ratio for s in result.strata}
    assert ratios["B/high"] == Decimal("0.25") and ratios["B/low"] == Decimal("0.1")
    # without risk ratios the class is one stratum (rounded once, not per risk level)
    flat = draw(plan(ratios={"B": Decimal("0.1")}), directory(rows[:60]), STAFF, PUBLIC)
    assert by_label(flat) == {"B": (60, 6)}


def test_key_supervision_ratio_splits_its_own_strata() -> None:
    rows = [*many(1, 10, key=True), *many(100, 10)]
    p = plan(ratios={"B": Decimal("0.1")}, key_supervision_ratio=Decimal("0.5"))
    assert by_label(draw(p, directory(rows), STAFF, PUBLIC)) == {"B": (10, 1), "B/key": (10, 5)}


# -- determinism, digests, seed --------------------------------------------------------------------


def big_rows(n: int = 400) -> list[E]:
    classes = "ABCD"
    return [E(10_000 + 3 * i, classes[i % 4], region=f"33010{i % 3}") for i in range(n)]


def test_same_inputs_same_draw_and_another_public_value_another_draw() -> None:
    p = plan(ratios=dict.fromkeys("ABCD", Decimal("0.1")))
    rows = big_rows()
    first = draw(p, directory(rows), STAFF, PUBLIC).record()
    again = draw(p, directory(list(reversed(rows))), STAFF, PUBLIC).record()
    assert first == again
    other = draw(p, directory(rows), STAFF, PUBLIC + "1").record()
    assert other["seed"] != first["seed"]
    assert [s["selected"] for s in other["strata"]] != [s["selected"] for s in first["strata"]]
    assert [s["drawn"] for s in other["strata"]] == [s["drawn"] for s in first["strata"]]


def test_target_digest_is_canonical_and_changes_with_any_change() -> None:
    rows = big_rows(50)
    base = directory(rows).digest()
    assert directory(list(reversed(rows))).digest() == base
    codes = TargetDirectory(
        ids=np.array([e.id for e in rows]),
        credit_class=np.array(["ABCD".index(e.cls) for e in rows]),
        risk_level=np.full(50, -1),
        region=np.array([int(e.region[-1]) + 1 for e in rows]),  # codes into a larger vocabulary
        industry=np.zeros(50, dtype=np.int32),
        registered_on=np.full(50, date(2020, 1, 1).toordinal()),
        key_supervision=np.zeros(50, bool),
        asked=np.zeros(50, bool),
        inspected_this_year=np.zeros(50, np.int32),
        regions=("unused", "330100", "330101", "330102"),
        industries=("food_sales",),
    )
    assert codes.regions == ("330100", "330101", "330102")
    assert codes.digest() == base
    changes = [
        replace(rows[7], cls="C" if rows[7].cls != "C" else "D"),
        replace(rows[7], risk="high"),
        replace(rows[7], region="330199"),
        replace(rows[7], industry="catering"),
        replace(rows[7], registered=date(2020, 1, 2)),
        replace(rows[7], key=True),
        replace(rows[7], asked=True),
        replace(rows[7], inspected=1),
        replace(rows[7], id=rows[7].id + 1),
    ]
    digests = {directory([*rows[:7], changed, *rows[8:]]).digest() for changed in changes}
    assert base not in digests and len(digests) == len(changes)


def test_inspector_digest_is_canonical_and_changes_with_any_change() -> None:
    people = officers(n=4)
    base = InspectorDirectory.build(people, [("SC01", 5)], {7: ["SC02"]}).digest()
    assert (
        InspectorDirectory.build(
            list(reversed(people)), [("SC01", 5), ("SC01", 5)], {7: ["SC02"]}
        ).digest()
        == base
    )
    variants = [
        InspectorDirectory.build(people, [("SC01", 5), ("SC03", 5)], {7: ["SC02"]}),
        InspectorDirectory.build(people, [("SC01", 6)], {7: ["SC02"]}),
        InspectorDirectory.build(people, [("SC01", 5)], {7: ["SC03"]}),
        InspectorDirectory.build(people, [("SC01", 5)]),
        InspectorDirectory.build(
            [*people[:3], replace(people[3], certificate_valid_to=date(2027, 12, 30))],
            [("SC01", 5)],
            {7: ["SC02"]},
        ),
        InspectorDirectory.build(
            [*people[:3], replace(people[3], specialties=frozenset({"food"}))],
            [("SC01", 5)],
            {7: ["SC02"]},
        ),
        InspectorDirectory.build(
            [*people[:3], replace(people[3], regions=frozenset({"330106"}))],
            [("SC01", 5)],
            {7: ["SC02"]},
        ),
    ]
    digests = {v.digest() for v in variants}
    assert base not in digests and len(digests) == len(variants)


def test_plan_digest_is_canonical_and_changes_with_any_change() -> None:
    p = plan(ratios={"B": Decimal("0.05")})
    same = plan(ratios={"A": 0, "B": Decimal("0.050")}, risk_ratios={"high": 0})
    assert p.digest() == same.digest()
    assert Plan.from_dict(json.loads(json.dumps(p.as_dict()))).digest() == p.digest()
    others = [
        plan(ratios={"B": Decimal("0.06")}),
        plan(ratios={"B": Decimal("0.05")}, exempt=frozenset({"A"})),
        plan(ratios={"B": Decimal("0.05")}, yearly_cap={"B": 1}),
        plan(ratios={"B": Decimal("0.05")}, grace_days=1),
        plan(ratios={"B": Decimal("0.05")}, team_size=3),
        plan(ratios={"B": Decimal("0.05")}, inspection_date=DAY + timedelta(days=1)),
        plan(ratios={"B": Decimal("0.05")}, items=(PlanItem("SC-1", "key"),)),
        plan(ratios={"B": Decimal("0.05")}, regions=frozenset({"330106"})),
    ]
    digests = {o.digest() for o in others}
    assert p.digest() not in digests and len(digests) == len(others)


def test_a_plan_from_a_sampling_policy_and_its_overrides() -> None:
    policy = SamplingPolicy(
        ratios={"A": Decimal("0.02"), "C": Decimal("0.1")},
        risk_ratios={"high": Decimal("0.5")},
        exempt=frozenset({"A"}),
        yearly_cap={"B": 1},
        grace_days=180,
        basis="西湖区抽查工作细则",
    )
    item = ChecklistItem(
        "SP-1.1", "食品经营许可证合法有效", "食品生产经营监督检查管理办法 第十三条"
    )
    p = Plan.from_policy(
        policy,
        year=2026,
        lead_department="SC",
        items=[PlanItem.from_checklist(item, specialty="food")],
        inspection_date=DAY,
        ratios={"A": Decimal("0.02"), "C": Decimal("0.2")},
    )
    assert p.ratios["C"] == Decimal("0.2") and p.risk_ratios == {"high": Decimal("0.5")}
    assert p.exempt == frozenset({"A"}) and p.yearly_cap == {"B": 1} and p.grace_days == 180
    assert p.items[0] == PlanItem("SP-1.1", "general", "SC", "food", "")
    default = Plan.from_policy(
        DEFAULT_POLICY, year=2026, lead_department="SC", items=[PlanItem("X")], inspection_date=DAY
    )
    assert default.ratios["D"] == Decimal("0.20")


def test_the_seed_is_the_documented_hash() -> None:
    p = plan()
    t = directory(many(1, 3))
    result = draw(p, t, STAFF, PUBLIC)
    text = f"zhifa-draw-seed-1\n{p.digest()}\n{t.digest()}\n{STAFF.digest()}\n{PUBLIC}"
    expected = int.from_bytes(hashlib.sha256(text.encode()).digest(), "big")
    assert result.seed == expected == seed_of(p.digest(), t.digest(), STAFF.digest(), PUBLIC)
    assert result.record()["seed"] == hashlib.sha256(text.encode()).hexdigest()
    assert (
        generator(expected).bit_generator.random_raw(2).tolist()
        == np.random.PCG64(np.random.SeedSequence(expected)).random_raw(2).tolist()
    )


def test_golden_values_pin_the_algorithm_across_versions() -> None:
    """A NumPy or zhifa change that alters these would make old draw records fail to verify:
    it must be a new record format, not a silent change."""
    assert generator(2026).bit_generator.random_raw(3).tolist() == [
        3300764713747675562,
        11804314397344746687,
        8619580609625321962,
    ]
    rows = [E(5 + 7 * i, "ABCD"[i % 4]) for i in range(40)]
    staff = InspectorDirectory.build(officers(n=5), [("SC01", 12)], {19: ["SC02"]})
    p = plan(ratios=dict.fromkeys("ABCD", Decimal("0.2")))
    t = directory(rows)
    assert p.digest() == "cd3be1bb5f15c37ced5c66d4d53ddcb7b50c7a00ebb72a773a46ad34303ca2e4"
    assert t.digest() == "0c9b251bceb731f86c95694241aee6d012ac622e356e190f85ab24fedbc784df"
    assert staff.digest() == "60d9ffbdd3cdedc36b7141bb68133187ee941012a84a4ca1e26c69d477d0fc23"
    record = draw(p, t, staff, "12345").record()
    assert record["seed"] == "37e5c4099c7ce12efda88c81c0b953501298efa92c2e4cf8b20eac2c03218041"
    assert [s["selected"] for s in record["strata"]] == [
        [201, 229],
        [40, 180],
        [19, 103],
        [26, 222],
    ]
    assert record["visits"]["rows"][:3] == [
        [19, ["SC"], ["SC01", "SC04"]],  # SC02 handled its last inspection
        [26, ["SC"], ["SC00", "SC01"]],
        [40, ["SC"], ["SC02", "SC03"]],
    ]


@pytest.mark.parametrize("value", ["", " 03 11", "03 11\n"])
def test_a_public_value_must_be_given_exactly(value: str) -> None:
    with pytest.raises(InputError, match="exactly as published"):
        draw(plan(), directory(many(1, 3)), STAFF, value)


# -- a citizen's re-implementation -----------------------------------------------------------------

M64 = (1 << 64) - 1


def mix64(z: int) -> int:
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def citizen_draw(
    record: dict[str, Any],
    rows: list[E],
    ratios: dict[str, Decimal],
    pool: list[str],
    withdrawn: dict[int, set[str]],
    team_size: int,
) -> tuple[dict[str, list[int]], dict[int, list[str]]]:
    """The draw of a single-department plan, written from the documentation alone."""
    text = "\n".join(
        [
            "zhifa-draw-seed-1",
            record["plan_digest"],
            record["targets_digest"],
            record["inspectors_digest"],
            record["public_value"],
        ]
    )
    seed = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest(), "big")
    ordered = sorted(rows, key=lambda e: e.id)
    raw = np.random.PCG64(np.random.SeedSequence(seed)).random_raw(len(ordered) + 1).tolist()
    salt, key = raw[0], {e.id: raw[1 + i] for i, e in enumerate(ordered)}
    strata: dict[str, list[int]] = {}
    for cls in "ABCD":
        members = [e.id for e in ordered if e.cls == cls]
        if not members:
            continue
        n = int((ratios[cls] * len(members) + Decimal("0.5")).__floor__())
        n = min(len(members), max(1, n)) if ratios[cls] > 0 else 0
        strata[cls] = sorted(sorted(members, key=lambda e: (key[e], e))[:n])
    teams: dict[int, list[str]] = {}
    for e in sorted(x for ids in strata.values() for x in ids):
        k = mix64(salt ^ mix64(e & M64))
        team: list[str] = []
        for t in range(team_size):
            i = 0
            while True:
                h = mix64((k + (t * 2**32 + i + 1) * 0x9E3779B97F4A7C15) & M64)
                candidate = pool[((h >> 32) * len(pool)) >> 32]
                if candidate not in withdrawn.get(e, set()) and candidate not in team:
                    team.append(candidate)
                    break
                i += 1
        teams[e] = sorted(team)
    return strata, teams


def test_a_citizen_can_re_run_the_draw_from_the_documentation() -> None:
    rows = [E(5 + 7 * i, "ABCD"[i * 7 % 4]) for i in range(300)]
    ratios = {"A": Decimal("0.03"), "B": Decimal("0.05"), "C": Decimal("0.15"), "D": Decimal("0.5")}
    people = [*officers(n=7), officer("SC99", certificate_valid_to=DAY - timedelta(days=1))]
    conflicts = [("SC01", rows[i].id) for i in range(0, 300, 3)]
    last = {rows[i].id: ["SC02", "SC03"] for i in range(0, 300, 5)}
    staff = InspectorDirectory.build(people, conflicts, last)
    p = plan(ratios=ratios, team_size=3)
    record = draw(p, directory(rows), staff, PUBLIC).record()

    withdrawn: dict[int, set[str]] = {}
    for o, e in conflicts:
        withdrawn.setdefault(e, set()).add(o)
    for e, names in last.items():
        withdrawn.setdefault(e, set()).update(names)
    pool = [o.id for o in people[:7]]  # SC99's certificate expired the day before
    strata, teams = citizen_draw(record, rows, ratios, pool, withdrawn, 3)
    assert {s["stratum"]: s["selected"] for s in record["strata"]} == strata
    assert {row[0]: row[2] for row in record["visits"]["rows"]} == teams


# -- teams -----------------------------------------------------------------------------------------


def test_conflicted_and_last_inspection_officers_are_never_drawn() -> None:
    rows = many(1, 60)
    people = officers(n=5)
    conflicts = [("SC00", e.id) for e in rows] + [("SC01", e.id) for e in rows[::2]]
    last = {e.id: ["SC02"] for e in rows[1::2]}
    staff = InspectorDirectory.build(people, conflicts, last)
    result = draw(plan(), directory(rows), staff, PUBLIC)
    for e in rows:
        team = set(result.team_of(e.id))
        assert len(team) == 2
        assert "SC00" not in team
        assert not (e.id % 2 == 1 and "SC01" in team)  # rows[::2] are the odd ids
        assert not (e.id % 2 == 0 and "SC02" in team)


@st.composite
def staffing(draw_: st.DrawFn) -> tuple[int, int, list[tuple[int, int]], list[tuple[int, int]]]:
    entities = draw_(st.integers(1, 25))
    people = draw_(st.integers(2, 8))
    pair = st.tuples(st.integers(0, people - 1), st.integers(0, entities - 1))
    return (
        entities,
        people,
        draw_(st.lists(pair, max_size=40)),
        draw_(st.lists(pair, max_size=40)),
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(staffing(), st.integers(2, 3))
def test_recusal_holds_for_any_directory(
    case: tuple[int, int, list[tuple[int, int]], list[tuple[int, int]]], size: int
) -> None:
    entities, people, conflicts, last = case
    ids = [f"O{i}" for i in range(people)]
    rows = many(100, entities)
    withdrawn: dict[int, set[str]] = {}
    for o, e in conflicts + last:
        withdrawn.setdefault(100 + e, set()).add(ids[o])
    last_map: dict[int, list[str]] = {}
    for o, e in last:
        last_map.setdefault(100 + e, []).append(ids[o])
    staff = InspectorDirectory.build(
        [officer(i) for i in ids], [(ids[o], 100 + e) for o, e in conflicts], last_map
    )
    short = {e.id for e in rows if people - len(withdrawn.get(e.id, set())) < size}
    try:
        result = draw(plan(team_size=size), directory(rows), staff, PUBLIC)
    except InfeasibleDraw as exc:
        assert short
        named = {int(line.split("entity ")[1].split(":")[0]) for line in exc.details()}
        assert named == short
        return
    assert not short
    for e in rows:
        team = result.team_of(e.id)
        assert len(team) == len(set(team)) == size
        assert not set(team) & withdrawn.get(e.id, set())


@pytest.mark.parametrize(
    ("valid_from", "valid_to", "drawn"),
    [
        (date(2025, 1, 1), DAY, True),  # valid through the inspection day
        (date(2025, 1, 1), DAY - timedelta(days=1), False),  # expired the day before
        (DAY, date(2027, 1, 1), True),  # valid from the inspection day
        (DAY + timedelta(days=1), date(2027, 1, 1), False),
        (None, None, False),  # no certificate
    ],
)
def test_the_certificate_boundary(
    valid_from: date | None, valid_to: date | None, drawn: bool
) -> None:
    people = [
        officer("SC00"),
        officer("SC01"),
        officer("SC02", certificate_valid_from=valid_from, certificate_valid_to=valid_to),
    ]
    result = draw(
        plan(team_size=3) if drawn else plan(),
        directory(many(1, 20)),
        InspectorDirectory.build(people),
        PUBLIC,
    )
    teams = {o for e in range(1, 21) for o in result.team_of(e)}
    assert ("SC02" in teams) is drawn


def test_only_officers_with_the_needed_specialty_for_the_industry() -> None:
    food = frozenset({"food_safety"})
    people = [
        officer("SC00", specialties=food),
        officer("SC01", specialties=food | {"drugs"}),
        officer("SC02"),
        officer("SC03"),
        officer("SC04"),
    ]
    rows = [*many(1, 20, industry="catering"), *many(100, 20, industry="retail")]
    p = plan(items=(PlanItem("SC-1"), PlanItem("SC-2", specialty="food_safety", scope="catering")))
    result = draw(p, directory(rows), InspectorDirectory.build(people), PUBLIC)
    for e in range(1, 21):
        assert set(result.team_of(e)) == {"SC00", "SC01"}
    others = {o for e in range(100, 120) for o in result.team_of(e)}
    assert others - {"SC00", "SC01"}  # no specialty needed for retail: anyone may go


def test_officers_only_inspect_their_regions() -> None:
    people = [
        officer("SC00", regions=frozenset({"330102"})),
        officer("SC01", regions=frozenset({"330102"})),
        officer("SC02", regions=frozenset({"330106"})),
        officer("SC03", regions=frozenset({"330106", "330102"})),
        officer("SC04"),  # every region
    ]
    rows = [*many(1, 10, region="330102"), *many(100, 10, region="330106")]
    result = draw(plan(), directory(rows), InspectorDirectory.build(people), PUBLIC)
    for e in range(1, 11):
        assert set(result.team_of(e)) <= {"SC00", "SC01", "SC03", "SC04"}
    for e in range(100, 110):
        assert set(result.team_of(e)) <= {"SC02", "SC03", "SC04"}


def test_a_joint_visit_has_one_team_from_every_department_involved() -> None:
    people = [*officers("SC", 4), *officers("WJ", 3), *officers("HB", 3)]
    rows = [
        *many(1, 20, industry="catering"),
        *many(100, 20, industry="manufacturing"),
        *many(200, 20, industry="retail"),
    ]
    items = (
        PlanItem("SC-1"),
        PlanItem("WJ-1", department="WJ", scope="catering"),
        PlanItem("HB-1", department="HB", scope="manufacturing"),
        PlanItem("HB-2", department="HB", scope="catering"),
    )
    p = plan(items=items, participating=("WJ", "HB"))
    result = draw(p, directory(rows), InspectorDirectory.build(people), PUBLIC)
    for e in range(1, 21):
        assert result.departments_of(e) == ("HB", "SC", "WJ")
        team = result.team_of(e)
        assert len(team) == 3  # one per department, the team size being 2
        assert {o[:2] for o in team} == {"SC", "WJ", "HB"}
    for e in range(100, 120):
        assert result.departments_of(e) == ("HB", "SC")
        assert {o[:2] for o in result.team_of(e)} == {"SC", "HB"}
    for e in range(200, 220):
        assert result.departments_of(e) == ("SC",)
        assert {o[:2] for o in result.team_of(e)} == {"SC"}
    tasks = result.tasks()
    assert len(tasks.entity) == 20 * 3 + 20 * 2 + 20
    rows_out = result.task_rows()
    assert len(rows_out) == len(tasks.entity)
    assert rows_out[:3] == [
        {"entity_id": 1, "department": "HB", "visit": 0},
        {"entity_id": 1, "department": "SC", "visit": 0},
        {"entity_id": 1, "department": "WJ", "visit": 0},
    ]
    members = result.team_rows()
    assert len(members) == 20 * 3 + 20 * 2 + 20 * 2
    assert [m["officer_id"] for m in members if m["visit"] == 0] == list(result.team_of(1))
    assert {m["entity_id"] for m in members if m["visit"] == 0} == {1}

    bigger = draw(
        replace(p, team_size=4), directory(rows), InspectorDirectory.build(people), PUBLIC
    )
    assert all(len(bigger.team_of(e)) == 4 for e in range(1, 21))


def test_a_team_depends_only_on_the_salt_and_its_entity() -> None:
    staff = InspectorDirectory.build(officers(n=30))
    needs = [(frozenset(),)]
    entities = np.arange(1, 201, dtype=np.int64)

    def teams(ids: np.ndarray) -> dict[int, list[int]]:
        visits = Visits(ids, np.zeros(ids.size, np.int32), np.zeros(ids.size, np.int32))
        out = assign_teams(visits, needs, ["SC"], [""], staff, DAY, 3, salt=12345)
        return {int(e): row.tolist() for e, row in zip(ids, out, strict=True)}

    every = teams(entities)
    some = teams(entities[::7])
    assert all(every[e] == team for e, team in some.items())
    assert teams(entities[::7]) == some


# -- infeasible draws ------------------------------------------------------------------------------


def test_an_unstaffable_draw_names_every_task_and_why_and_returns_nothing() -> None:
    people = [
        *officers("SC", 4),
        officer("WJ00", "WJ"),
        officer("WJ01", "WJ", certificate_valid_to=DAY - timedelta(days=1)),
        officer("WJ02", "WJ", regions=frozenset({"330102"})),
        officer("HB00", "HB"),
    ]
    rows = [
        E(1, industry="catering"),
        E(2, industry="catering", region="330102"),
        E(3, industry="manufacturing"),
        E(4, industry="retail"),
    ]
    items = (
        PlanItem("SC-1"),
        PlanItem("WJ-1", department="WJ", scope="catering"),
        PlanItem("HB-1", department="HB", specialty="environment", scope="manufacturing"),
    )
    staff = InspectorDirectory.build(people, [("WJ00", 1)])
    with pytest.raises(InfeasibleDraw) as caught:
        draw(plan(items=items, participating=("WJ", "HB")), directory(rows), staff, PUBLIC)
    problems = caught.value.details()
    assert caught.value.exit_code == 2
    assert "cannot staff 2 of its 4 visits" in caught.value.message
    assert len(problems) == 2
    assert problems[0].startswith("task of WJ for entity 1: no inspector can be drawn")
    assert "WJ00 declared a conflict of interest" in problems[0]
    assert problems[1].startswith("task of HB for entity 3: no inspector can be drawn")
    assert "no certified inspector of HB has the specialty environment" in problems[1]


@pytest.mark.parametrize(
    ("people", "fragment"),
    [
        ([], "WJ has no inspector in the directory"),
        (
            [officer("WJ00", "WJ", certificate_valid_to=DAY - timedelta(days=1))],
            f"no inspector of WJ holds an enforcement certificate valid on {DAY}",
        ),
        (
            [officer("WJ00", "WJ", regions=frozenset({"330102"}))],
            "no qualified inspector of WJ covers region 330106",
        ),
        ([officer("WJ00", "WJ")], "WJ00 handled its last inspection"),
    ],
)
def test_each_constraint_is_named(people: list[Inspector], fragment: str) -> None:
    staff = InspectorDirectory.build([*officers("SC", 3), *people], (), {1: ["WJ00", "SC00"]})
    p = plan(items=(PlanItem("SC-1"), PlanItem("WJ-1", department="WJ")), participating=("WJ",))
    with pytest.raises(InfeasibleDraw) as caught:
        draw(p, directory([E(1)]), staff, PUBLIC)
    assert fragment in caught.value.details()[0]


def test_a_team_too_large_for_the_officers_left_is_named() -> None:
    staff = InspectorDirectory.build(officers(n=3), [("SC00", 2)])
    with pytest.raises(InfeasibleDraw) as caught:
        draw(plan(team_size=3), directory(many(1, 3)), staff, PUBLIC)
    assert caught.value.details() == [
        "tasks of SC for entity 2: a team of 3 is needed and only 2 inspectors can be drawn "
        "(SC: 2; 1 withdraw for a conflict or the last inspection)"
    ]


# -- verification ----------------------------------------------------------------------------------


@pytest.fixture
def drawn() -> tuple[Plan, TargetDirectory, InspectorDirectory, dict[str, Any]]:
    p = plan(ratios=dict.fromkeys("ABCD", Decimal("0.2")))
    t = directory(big_rows(200))
    staff = InspectorDirectory.build(officers(n=8), [("SC00", 10_000)], {10_003: ["SC01"]})
    record = json.loads(json.dumps(draw(p, t, staff, PUBLIC).record()))
    return p, t, staff, record


def test_an_untouched_record_verifies(drawn: tuple[Any, ...]) -> None:
    p, t, staff, record = drawn
    assert record["format"] == FORMAT
    assert verify(record, p, t, staff) == []
    assert verify(record, p, t, staff, public_value=PUBLIC) == []
    assert Plan.from_dict(record["plan"]).digest() == record["plan_digest"]


def test_a_tampered_selected_id_is_named(drawn: tuple[Any, ...]) -> None:
    p, t, staff, record = drawn
    stratum = record["strata"][1]
    swapped = stratum["selected"][0]
    unselected = next(int(e) for e in t.ids if int(e) not in stratum["selected"])
    stratum["selected"][0] = unselected
    problems = verify(record, p, t, staff)
    assert f"entity {swapped} selected by the re-run but not in the record" in problems
    assert f"entity {unselected} selected in the record but not by the re-run" in problems


def test_a_tampered_public_value_is_named(drawn: tuple[Any, ...]) -> None:
    p, t, staff, record = drawn
    record["public_value"] = PUBLIC.replace("07", "08")
    problems = verify(record, p, t, staff)
    assert problems[0].startswith("the recorded seed is not the one derived from the recorded")
    assert "the public value or the seed was changed" in problems[0]
    assert any("selected in the record but not by the re-run" in line for line in problems)
    published = verify(record, p, t, staff, public_value=PUBLIC)
    assert (
        published[0]
        == f"the public value differs: the record has {record['public_value']!r}, published {PUBLIC!r}"
    )


def test_a_tampered_team_is_named(drawn: tuple[Any, ...]) -> None:
    p, t, staff, record = drawn
    row = record["visits"]["rows"][3]
    before = list(row[2])
    row[2] = ["SC00", "SC07"] if before != ["SC00", "SC07"] else ["SC01", "SC07"]
    assert verify(record, p, t, staff) == [
        f"task for entity {row[0]}: team differs (record: {', '.join(row[2])}; "
        f"re-run: {', '.join(before)})"
    ]


def test_a_changed_snapshot_or_plan_is_named(drawn: tuple[Any, ...]) -> None:
    p, t, staff, record = drawn
    rows = big_rows(200)
    rows[5] = replace(rows[5], cls="D" if rows[5].cls != "D" else "C")
    problems = verify(record, p, directory(rows), staff)
    assert problems[0].startswith("the target snapshot's hash differs")
    assert problems[-1] == "the draw was not re-run: its inputs are not those recorded"

    more = InspectorDirectory.build(
        officers(n=8), [("SC00", 10_000), ("SC01", 10_006)], {10_003: ["SC01"]}
    )
    assert verify(record, p, t, more)[0].startswith("the inspector snapshot's hash differs")

    other = replace(p, team_size=3)
    assert verify(record, other, t, staff)[0].startswith("the plan's hash differs")


def test_a_tampered_seed_count_or_record_is_named(drawn: tuple[Any, ...]) -> None:
    p, t, staff, record = drawn
    seed = dict(record, seed="0" * 64)
    assert verify(seed, p, t, staff) == [
        "the recorded seed is not the one derived from the recorded hashes and public value "
        f"{PUBLIC!r}: the public value or the seed was changed"
    ]
    counted = json.loads(json.dumps(record))
    counted["strata"][0]["eligible"] += 1
    label = counted["strata"][0]["stratum"]
    eligible = record["strata"][0]["eligible"]
    assert verify(counted, p, t, staff) == [
        f"stratum {label}: eligible {eligible + 1} in the record, {eligible} in the re-run"
    ]
    dropped = json.loads(json.dumps(record))
    gone = dropped["visits"]["rows"].pop()
    assert verify(dropped, p, t, staff) == [
        f"task for entity {gone[0]} in the re-run but not in the record"
    ]
    assert verify({"format": "other"}, p, t, staff) == [
        f"the record is not a draw record in the format {FORMAT}"
    ]
    broken = dict(record)
    del broken["strata"]
    assert verify(broken, p, t, staff)[0].startswith("the record is malformed")


# -- bad input -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"team_size": 1}, "team_size must be at least 2"),
        ({"inspection_date": date(2027, 1, 5)}, "not in the plan's year 2026"),
        ({"items": (PlanItem("WJ-1", department="WJ"),)}, "neither its lead nor a participant"),
        ({"participating": ("WJ",)}, "department WJ joins the plan without an item"),
        ({"ratios": {"B": Decimal("1.2")}}, "between 0 and 1"),
        ({"ratios": {"E": Decimal("0.2")}}, "unknown credit class E"),
        ({"exempt": frozenset({"D"})}, "never exempt from random inspection"),
        ({"risk_ratios": {"extreme": Decimal("0.2")}}, "unknown risk level extreme"),
        ({"grace": "maybe"}, "grace must be exclude or include or a share"),
        ({"items": ()}, "the plan has no items"),
        ({"items": (PlanItem("SC-1"), PlanItem("SC-1", "key"))}, "appears more than once"),
        ({"yearly_cap": {"B": -1}}, "yearly cap of class B"),
    ],
)
def test_a_bad_plan_is_one_sentence(kwargs: dict[str, Any], fragment: str) -> None:
    with pytest.raises(InputError, match=fragment):
        plan(**kwargs)


def test_bad_directories_are_one_sentence() -> None:
    with pytest.raises(InputError, match="entity id 3 appears more than once"):
        directory([E(3), E(1), E(3)])
    with pytest.raises(InputError, match="credit class 'E' is not one of"):
        directory([E(1, "E")])
    with pytest.raises(InputError, match="risk level 'extreme'"):
        directory([E(1, risk="extreme")])
    with pytest.raises(InputError, match="has 2 rows and the entity ids 3"):
        TargetDirectory.build([1, 2, 3], ["A", "B"])
    with pytest.raises(InputError, match="officer SC00 appears more than once"):
        InspectorDirectory.build([officer("SC00"), officer("SC00")])
    with pytest.raises(InputError, match="names officer XX, who is not in"):
        InspectorDirectory.build([officer("SC00")], [("XX", 1)])
    with pytest.raises(InputError, match="first not after the last"):
        officer("SC00", certificate_valid_from=DAY, certificate_valid_to=DAY - timedelta(days=1))


def test_an_empty_directory_draws_nothing() -> None:
    result = draw(plan(), directory([]), STAFF, PUBLIC)
    assert result.entities.size == 0 and result.strata == ()
    record = result.record()
    assert record["visits"]["rows"] == [] and record["directory"] == 0
    assert verify(record, plan(), directory([]), STAFF) == []
