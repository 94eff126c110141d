"""Random draws kept in the database: snapshots, plans, draws and their verification."""

from __future__ import annotations

import json
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import CERT_FROM, CERT_TO, DEPT, seed_bureau
from tests.helpers import drawer, make_uscc, run, run_json
from zhifa import inspections
from zhifa.errors import IntegrityError, RefusedError
from zhifa.inspections import InspectorDirectory, Plan, PlanItem, TargetDirectory
from zhifa.plugins import Plugins
from zhifa.store import Store
from zhifa.store.tables import Entity, Officer, OfficerConflict
from zhifa.timekeeping import FixedClock, SystemClock

ITEM = "SP-02"  # a general item for food_production
DAY = date(2026, 6, 1)


def seed_targets(store: Store, count: int = 40) -> None:
    """``count`` food producers of classes A–D, an extra inspector and one declared conflict."""
    with store.write() as session:
        session.add(
            Officer(
                id="I3",
                name="钱检查",
                department_code=DEPT,
                roles="inspector",
                certificate_no="ZF-I3",
                certificate_valid_from=CERT_FROM,
                certificate_valid_to=CERT_TO,
                specialties="food",
                regions="330106",
            )
        )
        for n in range(count):
            session.add(
                Entity(
                    uscc=f"E{n:017d}",
                    name=f"食品厂{n}",
                    kind="企业",
                    region_code="330106",
                    industry="food_production",
                    credit_class="ABCD"[n % 4],
                    risk_level=("low", "high", None)[n % 3],
                    registered_on=date(2020, 1, 1) if n % 2 else None,
                    key_supervision=n % 5 == 0,
                )
            )
        session.flush()
        first = session.execute(sa.select(sa.func.min(Entity.id))).scalar_one()
        session.add(
            OfficerConflict(officer_id="I3", entity_id=first, declared_on=DAY, reason="亲属")
        )


def make_plan() -> Plan:
    item = Plugins().checklists()[ITEM]
    return Plan.from_policy(
        Plugins().sampling_policy(DEPT),
        year=2026,
        lead_department=DEPT,
        items=[PlanItem.from_checklist(item)],
        inspection_date=DAY,
    )


def fresh_draw(store: Store, plan_id: int, public_value: str) -> inspections.DrawInfo:
    """Draw a published plan the safe way: snapshots taken a minute from now, the public value
    published a minute later, the draw run a minute after that."""
    clock = FixedClock(SystemClock().now() + timedelta(minutes=1))
    targets, inspectors = inspections.take_snapshots(store, clock)
    published = clock.advance(minutes=1)
    clock.advance(minutes=1)
    return inspections.run_draw(
        store,
        plan_id,
        public_value,
        targets,
        inspectors,
        value_published_at=published,
        clock=clock,
        by=drawer(store),
    )


@pytest.fixture
def drawn(bureau: Store) -> tuple[Store, int]:
    """A published plan drawn on fresh snapshots; returns (store, draw id)."""
    seed_targets(bureau)
    plan_id = inspections.create_plan(bureau, make_plan())
    inspections.publish_plan(bureau, plan_id)
    info = fresh_draw(bureau, plan_id, "2026-05-30 福彩3D 123")
    return bureau, info.id


def test_snapshots_load_back_with_the_same_digest(bureau: Store) -> None:
    seed_targets(bureau)
    with bureau.read() as session:
        targets = inspections.target_directory(session, 2026)
        inspectors = inspections.inspector_directory(session)
    assert len(targets) == 41  # the bureau's entity is of class B too
    assert [o.id for o in inspectors.officers] == ["C1", "C2", "I3"]
    assert inspectors.conflict_entity.shape == (1,)
    target_id, inspector_id = inspections.take_snapshots(bureau)
    loaded_t = inspections.load_snapshot(bureau, target_id, inspections.TARGETS)
    loaded_i = inspections.load_snapshot(bureau, inspector_id, inspections.INSPECTORS)
    assert isinstance(loaded_t, TargetDirectory) and isinstance(loaded_i, InspectorDirectory)
    assert loaded_t.digest() == targets.digest()
    assert loaded_i.digest() == inspectors.digest()
    assert loaded_t.regions == targets.regions and loaded_i.officers == inspectors.officers
    info = inspections.snapshot_info(bureau, target_id, inspections.TARGETS)
    assert (info.rows, info.digest) == (41, targets.digest())


def test_a_draw_is_stored_and_verifies(drawn: tuple[Store, int]) -> None:
    store, draw_id = drawn
    info = inspections.get_draw(store, draw_id)
    assert info.record["visits"]["rows"]
    assert info.seed == info.record["seed"]
    assert inspections.verify_draw(store, draw_id) == []


def test_a_tampered_record_fails_naming_the_difference(drawn: tuple[Store, int]) -> None:
    store, draw_id = drawn
    with store.read() as session:
        text = session.execute(sa.text("SELECT record FROM draws WHERE id = :i"), {"i": draw_id})
        record: dict[str, Any] = json.loads(text.scalar_one())
        ids = session.execute(sa.select(Entity.id).order_by(Entity.id)).scalars().all()
    stratum = record["strata"][0]
    chosen = stratum["selected"][0]
    other = next(i for i in ids if i not in stratum["selected"])
    stratum["selected"][0] = other
    with store.write() as session:
        session.execute(
            sa.text("UPDATE draws SET record = :r WHERE id = :i"),
            {"r": json.dumps(record, ensure_ascii=False), "i": draw_id},
        )
    problems = inspections.verify_draw(store, draw_id)
    assert problems
    assert any(str(other) in p or str(chosen) in p for p in problems), problems


def test_tampered_snapshot_content_fails(drawn: tuple[Store, int]) -> None:
    store, draw_id = drawn
    info = inspections.get_draw(store, draw_id)
    with store.write() as session:
        session.execute(sa.text("UPDATE entities SET credit_class = 'D' WHERE credit_class = 'A'"))
    other_t, _ = inspections.take_snapshots(store)
    with store.write() as session:  # another directory's content under the drawn snapshot
        content = session.execute(
            sa.text("SELECT content FROM snapshots WHERE id = :o"), {"o": other_t}
        ).scalar_one()
        session.execute(
            sa.text("UPDATE snapshots SET content = :c WHERE id = :i"),
            {"c": content, "i": info.target_snapshot_id},
        )
    problems = inspections.verify_draw(store, draw_id)
    assert any(
        f"snapshot {info.target_snapshot_id}'s stored content no longer matches" in p
        for p in problems
    ), problems
    with pytest.raises(IntegrityError, match="no longer matches its stored digest"):
        inspections.load_snapshot(store, info.target_snapshot_id, inspections.TARGETS)


def test_draft_plan_cannot_be_drawn_and_published_plan_cannot_change(bureau: Store) -> None:
    seed_targets(bureau)
    plan_id = inspections.create_plan(bureau, make_plan())
    targets, inspectors = inspections.take_snapshots(bureau)
    with pytest.raises(RefusedError, match="is a draft"):
        inspections.run_draw(
            bureau,
            plan_id,
            "123",
            targets,
            inspectors,
            value_published_at=SystemClock().now(),
            by=drawer(bureau),
        )
    inspections.update_plan(bureau, plan_id, make_plan())  # a draft may change
    inspections.publish_plan(bureau, plan_id)
    with pytest.raises(RefusedError, match="frozen"):
        inspections.update_plan(bureau, plan_id, make_plan())
    with pytest.raises(RefusedError, match="already published"):
        inspections.publish_plan(bureau, plan_id)
    with bureau.read() as session:
        assert session.execute(sa.text("SELECT count(*) FROM draws")).scalar_one() == 0


# -- CLI -------------------------------------------------------------------------------------------


@pytest.fixture
def cli_db(sqlite_url: str) -> str:
    store = Store(sqlite_url)
    seed_bureau(store)
    seed_targets(store)
    store.dispose()
    return sqlite_url


def _count(db: str, table: str) -> int:
    store = Store(db)
    with store.read() as session:
        n = int(session.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())
    store.dispose()
    return n


def test_cli_plan_snapshot_draw_happy_path(
    capsys: pytest.CaptureFixture[str], cli_db: str, tmp_path: Path
) -> None:
    plan_file = tmp_path / "plan.json"
    created = run_json(
        capsys, "plan", "create", "--year", "2026", "--lead", DEPT, "--item", ITEM,
        "--inspection-date", "2026-06-01", "--file", str(plan_file), "--db", cli_db,
    )  # fmt: skip
    plan_id = str(created["id"])
    assert created["status"] == "draft"
    assert json.loads(plan_file.read_text("utf-8"))["lead_department"] == DEPT
    assert run_json(capsys, "plan", "publish", plan_id, "--db", cli_db)["status"] == "published"
    assert run_json(capsys, "plan", "show", plan_id, "--db", cli_db)["digest"] == created["digest"]
    snaps = run_json(capsys, "snapshot", "take", "--db", cli_db)
    assert [s["kind"] for s in snaps] == ["targets", "inspectors"]
    published = (SystemClock().now() + timedelta(seconds=1)).isoformat(timespec="seconds")
    time.sleep(1.1)  # the value is published after the snapshots, and is not in the future
    given = run_json(
        capsys, "draw", "run", plan_id, "--public-value", "123", "--targets",
        str(snaps[0]["id"]), "--inspectors", str(snaps[1]["id"]),
        "--value-published-at", published, "--db", cli_db,
    )  # fmt: skip
    assert given["current"] is True and given["generation"] == 1
    code, _, err = run(
        capsys, "draw", "run", plan_id, "--public-value", "124", "--targets",
        str(snaps[0]["id"]), "--inspectors", str(snaps[1]["id"]),
        "--value-published-at", published, "--db", cli_db,
    )  # fmt: skip
    assert code == 1 and f"plan {plan_id} has already been drawn (draw {given['id']}" in err
    fresh = given
    code, out, _ = run(capsys, "draw", "verify", str(given["id"]), "--db", cli_db)
    assert code == 0 and "confirmed" in out
    shown = run_json(capsys, "draw", "show", str(fresh["id"]), "--db", cli_db)
    assert shown["seed"] == fresh["seed"]
    store = Store(cli_db)
    with store.write() as session:
        session.execute(sa.text("UPDATE draws SET public_value = '124'"))
    store.dispose()
    code, _, err = run(capsys, "draw", "verify", str(given["id"]), "--db", cli_db)
    assert code == 1 and "does not verify" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["plan", "create", "--year", "2026", "--lead", DEPT, "--item", "NOPE",
             "--inspection-date", "2026-06-01"],
            "no loaded checklist has an item",
        ),
        (["plan", "publish", "99"], "there is no plan 99"),
        (["plan", "show", "x"], "ID"),
        (["snapshot", "take", "--bogus"], "bogus"),
        (["draw", "run", "1", "--public-value", "1", "--targets", "1"], "give --targets and"),
        (["draw", "run", "1", "--public-value", "1"], "give --targets and --inspectors"),
        (
            ["draw", "run", "1", "--public-value", "1", "--targets", "1", "--inspectors", "2"],
            "give --value-published-at",
        ),
        (["draw", "verify", "99"], "there is no draw 99"),
        (["draw", "show", "99"], "there is no draw 99"),
    ],
)  # fmt: skip
def test_cli_bad_input_exits_2_and_writes_nothing(
    capsys: pytest.CaptureFixture[str], cli_db: str, args: list[str], message: str
) -> None:
    code, out, err = run(capsys, *args, "--db", cli_db)
    assert code == 2, (out, err)
    assert message in err
    assert "Traceback" not in err
    for table in ("plans", "snapshots", "draws"):
        assert _count(cli_db, table) == 0


def test_cli_draft_plan_is_refused_with_nothing_written(
    capsys: pytest.CaptureFixture[str], cli_db: str
) -> None:
    run_json(
        capsys, "plan", "create", "--year", "2026", "--lead", DEPT, "--item", ITEM,
        "--inspection-date", "2026-06-01", "--db", cli_db,
    )  # fmt: skip
    code, _, err = run(
        capsys, "draw", "run", "1", "--public-value", "7", "--targets", "1", "--inspectors", "2",
        "--value-published-at", "2026-05-30T21:30", "--db", cli_db,
    )  # fmt: skip
    assert code == 1 and "is a draft" in err
    assert _count(cli_db, "snapshots") == 0 and _count(cli_db, "draws") == 0


def test_entity_import_reads_registration_date_and_key_supervision(
    bureau: Store, tmp_path: Path
) -> None:
    from zhifa import directory
    from zhifa.errors import ImportFileError

    a, b = make_uscc(1), make_uscc(2)
    path = tmp_path / "entities.csv"
    path.write_text(
        "uscc,name,kind,region_code,industry,成立日期,重点监管\n"
        f"{a},甲,企业,330106,food_production,2026-05-01,是\n"
        f"{b},乙,企业,330106,food_production,,\n",
        "utf-8",
    )
    result = directory.import_entities(bureau, path)
    assert result.created == 2
    assert directory.get_entity(bureau, a).registered_on == date(2026, 5, 1)
    assert directory.get_entity(bureau, a).key_supervision is True
    assert directory.get_entity(bureau, b).key_supervision is False
    path.write_text(
        f"uscc,name,kind,region_code,industry\n{a},甲,企业,330106,food_production\n", "utf-8"
    )
    directory.import_entities(bureau, path)  # a file without the columns keeps them
    assert directory.get_entity(bureau, a).registered_on == date(2026, 5, 1)
    path.write_text(
        f"uscc,name,kind,region_code,industry,重点监管\n{a},甲,企业,330106,x,也许\n", "utf-8"
    )
    with pytest.raises(ImportFileError):
        directory.import_entities(bureau, path)
