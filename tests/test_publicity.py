"""The publicity sink (双公示) on SQLite and PostgreSQL: a published decision is one CSV row and one
JSON record with the amounts in 10,000 yuan, written exactly once whatever the retries, a
withdrawal is a record of its own, and personal ID numbers are never published
(市场监督管理行政处罚信息公示规定 第四条、第六条、第十一条)."""

from __future__ import annotations

import csv
import json
import threading
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import ENTITY
from tests.helpers import make_engine
from zhifa.engine import Engine
from zhifa.errors import FieldError
from zhifa.hooks.types import MatterView, OutboxDelivery, OutboxMatter
from zhifa.procedure.publication import Penalty, publicity_end
from zhifa.reporting.publicity import (
    FIELDS,
    PublicitySink,
    append_once,
    build_record,
    in_ten_thousands,
    write_record,
)
from zhifa.store import Store
from zhifa.store.tables import OutboxMessage
from zhifa.timekeeping import FixedClock

OPENED = datetime(2026, 3, 2, 10, 0)
PUBLISHED = datetime(2026, 3, 4, 10, 0)
HEADERS = [header for _, header in FIELDS]


def decision(**extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "decision_no": "杭西市监处罚〔2026〕12号",
        "decision_date": "2026-03-02",
        "procedure": "ordinary",
        "party_name": "某食品有限公司",
        "party": ENTITY,
        "party_category": "legal_person",
        "legal_representative": "张三",
        "violation": "经营超过保质期的食品",
        "facts": "当事人销售超过保质期的牛奶 12 盒",
        "legal_basis": "《食品安全法》第一百二十四条第一款",
        "penalty_content": "没收违法所得 1,234.56 元，罚款 50,000 元",
        "fine_amount": "50000",
        "confiscation": True,
        "confiscated_amount": "1234.56",
        "remarks": "当事人已缴纳罚款",
    }
    data.update(extra)
    return {k: v for k, v in data.items() if v is not None}


def publish_decision(store: Store, **extra: Any) -> tuple[Engine, FixedClock, MatterView]:
    """Open a publication matter for ``decision(**extra)`` on 2 March 2026 and publish it on the
    4th; the engine, its clock and the published matter come back."""
    engine, clock = make_engine(store, at=OPENED)
    m = engine.open("publication", "C1", decision(**extra), entity=ENTITY).matter
    clock.set(PUBLISHED)
    ends = publicity_end(PUBLISHED.date(), Penalty.from_data(m.data["open"]))
    m = engine.advance(m, "publish", "C1", {"publicity_ends_on": ends.isoformat()}).matter
    return engine, clock, m


def csv_rows(folder: Path, day: str = "2026-03-04") -> list[dict[str, str]]:
    with open(folder / f"publicity-{day}.csv", encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == HEADERS
        return list(reader)


def json_records(folder: Path, day: str = "2026-03-04") -> list[dict[str, Any]]:
    text = (folder / f"publicity-{day}.jsonl").read_text("utf-8")
    return [json.loads(line) for line in text.splitlines()]


def test_a_published_decision_is_one_csv_row_and_one_json_record(
    bureau: Store, publicity_dir: Path
) -> None:
    _, _, m = publish_decision(bureau)
    (row,) = csv_rows(publicity_dir)
    (record,) = json_records(publicity_dir)
    assert list(record) == [name for name, _ in FIELDS]
    assert record["fine_amount"] == 5.0  # 50,000 yuan in 万元
    assert record["confiscated_amount"] == 0.123456  # 1,234.56 yuan
    assert row["罚款金额（万元）"] == "5.000000"
    assert row["没收违法所得、没收非法财物的金额（万元）"] == "0.123456"
    assert record["publicity_ends_on"] == row["公示截止期"] == "2029-03-04"
    assert record["agency"] == record["data_source"] == row["处罚机关"] == "西湖区市场监管局"
    assert (record["key"], record["record_type"], record["matter_id"]) == (
        f"{m.id}:2:publicity",
        "publish",
        m.id,
    )
    assert record["action_on"] == "2026-03-04"
    assert record["uscc"] == row["统一社会信用代码"] == ENTITY
    assert record["party_name"] == "某食品有限公司"
    assert record["party_category"] == "法人及非法人组织"
    assert record["legal_representative"] == "张三"
    assert record["decision_no"] == "杭西市监处罚〔2026〕12号"
    assert record["decision_date"] == "2026-03-02"
    assert record["violation_type"] == "经营超过保质期的食品"
    assert record["facts"].startswith("当事人销售")
    assert record["legal_basis"] == "《食品安全法》第一百二十四条第一款"
    assert record["penalty_category"] == "罚款;没收违法所得、没收非法财物"
    assert record["penalty_content"].startswith("没收违法所得")
    assert record["remarks"] == "当事人已缴纳罚款"
    # what zhifa does not know, and personal ID numbers, which are never published
    for name in ("registration_no", "agency_uscc", "legal_representative_id_no", "id_no"):
        assert record[name] == ""
    with bureau.read() as s:
        (msg,) = s.scalars(sa.select(OutboxMessage)).all()
        assert (msg.sink, msg.attempts, msg.delivered_at is not None) == ("publicity", 1, True)


def test_a_natural_persons_id_number_is_not_recorded_or_published(
    bureau: Store, publicity_dir: Path
) -> None:
    with pytest.raises(FieldError) as err:
        publish_decision(bureau, id_no="330106199001011234")
    assert "id_no" in err.value.problems
    publish_decision(
        bureau,
        party=None,
        party_name="李某",
        party_category="natural_person",
        legal_representative=None,
        fine_amount="3000",
        confiscation=None,
        confiscated_amount=None,
    )
    (record,) = json_records(publicity_dir)
    assert (record["party_category"], record["id_type"], record["id_no"]) == ("自然人", "", "")
    assert (record["fine_amount"], record["confiscated_amount"]) == (0.3, None)
    assert record["publicity_ends_on"] == "2026-06-04"  # a low fine: 3 months
    (row,) = csv_rows(publicity_dir)
    assert row["没收违法所得、没收非法财物的金额（万元）"] == ""


def test_a_redelivery_after_a_crash_writes_the_record_once(
    bureau: Store, publicity_dir: Path
) -> None:
    engine, clock, _ = publish_decision(bureau)
    # the crash: the record was written, the outbox row never marked delivered
    with bureau.write() as s:
        s.execute(sa.update(OutboxMessage).values(delivered_at=None))
    clock.advance(minutes=5)
    assert engine.deliver_outbox().delivered == 1
    assert len(csv_rows(publicity_dir)) == len(json_records(publicity_dir)) == 1
    # a crash between the two files: the retry completes the JSON file, the CSV stays as it was
    (publicity_dir / "publicity-2026-03-04.jsonl").unlink()
    with bureau.write() as s:
        s.execute(sa.update(OutboxMessage).values(delivered_at=None))
    assert engine.deliver_outbox().delivered == 1
    assert len(csv_rows(publicity_dir)) == len(json_records(publicity_dir)) == 1


def test_a_withdrawal_is_a_record_of_its_own(bureau: Store, publicity_dir: Path) -> None:
    engine, clock, m = publish_decision(bureau)
    clock.set(datetime(2026, 3, 10, 10, 0))
    m = engine.advance(
        m, "decision_changed", "C1", {"change": "revoked", "changed_on": "2026-03-10"}
    ).matter
    clock.set(datetime(2026, 3, 11, 10, 0))
    engine.advance(m, "withdraw", "C1", {"reason": "处罚决定经行政复议被撤销"})
    assert [r["record_type"] for r in json_records(publicity_dir)] == ["publish"]
    (withdrawn,) = json_records(publicity_dir, "2026-03-11")
    assert withdrawn["record_type"] == "withdraw"
    assert withdrawn["action_on"] == "2026-03-11"
    assert withdrawn["action_reason"] == "处罚决定经行政复议被撤销"
    assert withdrawn["decision_no"] == "杭西市监处罚〔2026〕12号"  # matches the published record
    assert withdrawn["publicity_ends_on"] == "2029-03-04"
    assert csv_rows(publicity_dir, "2026-03-11")[0]["记录类型"] == "withdraw"


@pytest.mark.parametrize(
    ("yuan", "wan"),
    [
        ("50000", Decimal("5.000000")),
        ("0.01", Decimal("0.000001")),
        ("1234.56", Decimal("0.123456")),
        ("123456789.12", Decimal("12345.678912")),
        (None, None),
        ("", None),
    ],
)
def test_amounts_are_in_ten_thousand_yuan_to_six_decimals(
    yuan: str | None, wan: Decimal | None
) -> None:
    assert in_ten_thousands(yuan) == wan


# -- the files, without a database ----------------------------------------------------------------


def message(key: str = "7:2:publicity") -> OutboxDelivery:
    event = {
        "trigger": "publish",
        "occurred_at": "2026-03-04T10:00:00",
        "recorded_at": "2026-03-04T10:00:00",
        "data": {"publicity_ends_on": "2029-03-04"},
    }
    matter = OutboxMatter(
        id=7,
        workflow="publication",
        state="published",
        version=2,
        department="HZXH",
        department_name="西湖区市场监管局",
        entity_uscc=ENTITY,
        entity_name="某食品有限公司",
        title="行政处罚信息公示",
        data={"open": decision(), "publish": {"publicity_ends_on": "2029-03-04"}},
    )
    return OutboxDelivery(key, "publicity", 1, event, matter)


def test_deliveries_racing_for_one_message_write_it_once(publicity_dir: Path) -> None:
    sink = PublicitySink()
    threads = [threading.Thread(target=sink.deliver, args=(message(),)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(csv_rows(publicity_dir)) == len(json_records(publicity_dir)) == 1
    sink.deliver(message("7:3:publicity"))
    assert [r["key"] for r in json_records(publicity_dir)] == ["7:2:publicity", "7:3:publicity"]
    assert not [p for p in publicity_dir.iterdir() if p.name.endswith(".tmp")]


def test_a_message_without_its_matter_is_refused_with_the_reason(publicity_dir: Path) -> None:
    old = OutboxDelivery("7:2:publicity", "publicity", 1, message().event)
    with pytest.raises(ValueError, match="without its matter"):
        PublicitySink().deliver(old)
    assert not publicity_dir.exists()


def test_a_hand_edited_file_without_a_final_newline_gets_one(tmp_path: Path) -> None:
    path = tmp_path / "publicity-2026-03-04.jsonl"
    path.write_text('{"key": "a"}', "utf-8")
    assert append_once(path, "a", '{"key": "a"}\n') is False
    assert append_once(path, "b", '{"key": "b"}\n') is True
    assert path.read_text("utf-8").splitlines() == ['{"key": "a"}', '{"key": "b"}']


def test_records_land_in_the_file_of_their_steps_day(tmp_path: Path) -> None:
    msg = message()
    assert msg.matter is not None
    record = build_record(msg.key, msg.event, msg.matter)
    written = write_record(tmp_path, "2026-03-04", record, wait=1)
    assert (written.csv, written.json) == (True, True)
    again = write_record(tmp_path, "2026-03-04", record, wait=1)
    assert (again.csv, again.json) == (False, False)
    assert sorted(p.name for p in tmp_path.glob("publicity-*")) == [
        "publicity-2026-03-04.csv",
        "publicity-2026-03-04.jsonl",
    ]
    assert (tmp_path / "publicity-2026-03-04.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert date.fromisoformat(record["decision_date"]) == date(2026, 3, 2)
