"""The publicity sink (双公示): penalty records for the credit information publicity platform.

The baseline plugin registers it as the reporting sink ``publicity``. It takes three steps of the
``publication`` workflow and writes each as one record, in CSV and in JSON lines:

* ``publish`` — the penalty decision is published (record type ``publish``);
* ``withdraw`` — the publication is withdrawn because the decision was changed, revoked, found
  unlawful or void (``withdraw``, 第十一条): the platform must take the record down and show why;
* ``stop_early`` — publication stops early after credit repair (``stop_early``, 第十四条).

Expiry writes nothing: the record carries its publicity end date, after which the platform stops
showing it (第十三条). A withdrawal or early stop repeats the decision's fields, so the platform
matches it to the published record by the decision number (and zhifa's matter id).

**Files.** In the directory ``$ZHIFA_PUBLICITY_DIR`` (default ``publicity/`` in the current
directory, created when missing), one pair per day the step was recorded (Beijing time):
``publicity-YYYY-MM-DD.csv`` — UTF-8 with a byte-order mark (so spreadsheet programs read the
Chinese), a header row of the Chinese field names, CRLF line ends — and
``publicity-YYYY-MM-DD.jsonl`` — UTF-8, one JSON object per line with the English field names of
:data:`FIELDS`. A record always lands in the file of its step's day, also when it is delivered
later, so a retry looks in one pair of files only.

**Formulas.** The CSV file is for the public and is opened in spreadsheets, so its text is
escaped as :func:`zhifa.tabular.escape_formula` escapes the other public files: text beginning
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'`` (a party named
``=HYPERLINK(…)`` is shown, never run); the amounts are numbers and never escaped. The JSON lines
keep every text exactly as recorded: JSON is read by programs, not run by spreadsheets.

**Fields** (:data:`FIELDS`) follow the "双公示" penalty record: party, party category, USCC and the
legacy codes, legal representative, ID type and number, decision number, violation type, facts,
legal basis, penalty category, penalty content, fine and confiscated amounts, licence suspended or
revoked, decision date, validity, publicity end date, deciding agency, data source agency and
remarks. The amounts are in 10,000 yuan (万元) with 6 decimals, exact for any amount in fen: text
``5.000000`` in the CSV, the number ``5.0`` in JSON (``null`` when there is none). Dates are
``YYYY-MM-DD``. The deciding agency and the data source agency are the matter's department. What
zhifa does not know — the legacy codes, the agencies' own credit codes — is left empty, and so are
the ID type and number of a natural person or legal representative: personal information is not
published (第六条), and zhifa does not record it.

**Exactly once.** Delivery is at least once (a retry follows a crash between writing and
acknowledging, or a timed-out delivery that still completes). Each record carries its outbox
message key; holding a lock (a thread lock, and ``flock`` on ``.lock`` in the directory against
other processes), the sink reads each file and appends the record only where its key is not yet
there. It appends by writing the whole file anew beside it and renaming it over the old one, so a
reader or a crash sees the file before or after the record, never half a line. The two files are
checked separately: a crash between them is completed by the retry.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from zhifa.hooks.types import DEFAULT_SINK_TIMEOUT, EventRecord, OutboxDelivery, OutboxMatter
from zhifa.procedure.publication import Penalty
from zhifa.tabular import escape_formula
from zhifa.workflow.definitions import OPEN

NAME = "publicity"
WORKFLOW = "publication"
DIR_ENV = "ZHIFA_PUBLICITY_DIR"
DEFAULT_DIR = "publicity"
LOCK_FILE = ".lock"

RECORD_TYPES = ("publish", "withdraw", "stop_early")
"""The publication workflow's triggers that write a record; the record type is the trigger."""

FIELDS: tuple[tuple[str, str], ...] = (
    # zhifa's own: the idempotency key, what the record is, the matter, the step's day and reason
    ("key", "记录标识"),
    ("record_type", "记录类型"),  # publish | withdraw | stop_early
    ("matter_id", "事项编号"),
    ("action_on", "操作日期"),  # the day of the publish, withdraw or stop_early step
    ("action_reason", "撤回或停止公示原因"),
    # the penalty record (双公示)
    ("party_name", "行政相对人名称"),
    ("party_category", "行政相对人类别"),
    ("uscc", "统一社会信用代码"),
    ("registration_no", "工商注册号"),
    ("organization_code", "组织机构代码"),
    ("tax_registration_no", "税务登记号"),
    ("institution_certificate_no", "事业单位证书号"),
    ("social_organization_no", "社会组织登记证号"),
    ("legal_representative", "法定代表人"),
    ("legal_representative_id_type", "法定代表人证件类型"),
    ("legal_representative_id_no", "法定代表人证件号码"),
    ("id_type", "证件类型"),
    ("id_no", "证件号码"),
    ("decision_no", "行政处罚决定书文号"),
    ("violation_type", "违法行为类型"),
    ("facts", "违法事实"),
    ("legal_basis", "处罚依据"),
    ("penalty_category", "处罚类别"),
    ("penalty_content", "处罚内容"),
    ("fine_amount", "罚款金额（万元）"),
    ("confiscated_amount", "没收违法所得、没收非法财物的金额（万元）"),
    ("licence", "暂扣或吊销证照名称及编号"),
    ("decision_date", "处罚决定日期"),
    ("valid_until", "处罚有效期"),
    ("publicity_ends_on", "公示截止期"),
    ("agency", "处罚机关"),
    ("agency_uscc", "处罚机关统一社会信用代码"),
    ("data_source", "数据来源单位"),
    ("data_source_uscc", "数据来源单位统一社会信用代码"),
    ("remarks", "备注"),
)
"""Each field of a record: its JSON name and its CSV column header, in file order."""

AMOUNT_FIELDS = ("fine_amount", "confiscated_amount")
AMOUNT_PLACES = Decimal("0.000001")
"""Amounts are written in 10,000 yuan (万元) to 6 decimals."""
TEN_THOUSAND = Decimal(10000)

PARTY_CATEGORIES = {
    "legal_person": "法人及非法人组织",
    "individual_business": "个体工商户",
    "natural_person": "自然人",
}
PENALTY_CATEGORIES = {
    # the publication workflow's penalty kinds in the order of 行政处罚法 第九条
    "warning": "警告",
    "circulated_criticism": "通报批评",
    "fine": "罚款",
    "confiscation": "没收违法所得、没收非法财物",
    "permit_suspended": "暂扣许可证件",
    "qualification_lowered": "降低资质等级",
    "permit_revoked": "吊销许可证件",
    "licence_revoked": "吊销营业执照",
    "production_restricted": "限制开展生产经营活动",
    "business_halted": "责令停产停业",
    "closed": "责令关闭",
    "practice_restricted": "限制从业",
}
REASON_FIELDS = {"withdraw": "reason", "stop_early": "note"}

_THREAD_LOCK = threading.Lock()
_BOM = "\ufeff".encode()


def publicity_dir() -> Path:
    """Where records are written: ``$ZHIFA_PUBLICITY_DIR``, else ``publicity/`` here."""
    return Path(os.environ.get(DIR_ENV) or DEFAULT_DIR)


def in_ten_thousands(yuan: Any) -> Decimal | None:
    """An amount in yuan as 10,000 yuan (万元) to 6 decimals; None when there is none."""
    if yuan is None or yuan == "":
        return None
    return (Decimal(str(yuan)) / TEN_THOUSAND).quantize(AMOUNT_PLACES, ROUND_HALF_UP)


def penalty_categories(opened: Mapping[str, Any]) -> str:
    """The decision's penalty categories in Chinese, separated by ``;``."""
    kinds = Penalty.from_data(opened).kinds
    return ";".join(label for kind, label in PENALTY_CATEGORIES.items() if kind in kinds)


def build_record(key: str, event: Mapping[str, Any], matter: OutboxMatter) -> dict[str, Any]:
    """The penalty record for a ``publish``, ``withdraw`` or ``stop_early`` event of ``matter``
    (the matter as it stood after the step): every field of :data:`FIELDS`, in order."""
    opened: Mapping[str, Any] = matter.data.get(OPEN) or {}
    published: Mapping[str, Any] = matter.data.get("publish") or {}
    trigger = str(event["trigger"])
    step_data: Mapping[str, Any] = event.get("data") or {}
    reason = REASON_FIELDS.get(trigger)
    fine = in_ten_thousands(opened.get("fine_amount"))
    known: dict[str, Any] = {
        "key": key,
        "record_type": trigger,
        "matter_id": matter.id,
        "action_on": str(event["occurred_at"])[:10],
        "action_reason": step_data.get(reason, "") if reason else "",
        "party_name": opened.get("party_name", ""),
        "party_category": PARTY_CATEGORIES.get(str(opened.get("party_category")), ""),
        "uscc": opened.get("party") or matter.entity_uscc or "",
        "legal_representative": opened.get("legal_representative", ""),
        "decision_no": opened.get("decision_no", ""),
        "violation_type": opened.get("violation", ""),
        "facts": opened.get("facts", ""),
        "legal_basis": opened.get("legal_basis", ""),
        "penalty_category": penalty_categories(opened),
        "penalty_content": opened.get("penalty_content", ""),
        "fine_amount": fine if fine else None,
        "confiscated_amount": in_ten_thousands(opened.get("confiscated_amount")),
        "licence": opened.get("licence_name_no", ""),
        "decision_date": opened.get("decision_date", ""),
        "valid_until": opened.get("restriction_ends_on", ""),
        "publicity_ends_on": published.get("publicity_ends_on", ""),
        "agency": matter.department_name,
        "data_source": matter.department_name,
        "remarks": opened.get("remarks", ""),
    }
    return {name: known.get(name, None if name in AMOUNT_FIELDS else "") for name, _ in FIELDS}


def json_line(record: Mapping[str, Any]) -> str:
    """The record as one JSON line: amounts as numbers, everything else as text."""
    out = {
        name: (float(value) if isinstance(value, Decimal) else value)
        for name, value in record.items()
    }
    return json.dumps(out, ensure_ascii=False) + "\n"


def _csv_row(values: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(values)
    return buffer.getvalue()


def csv_header() -> str:
    return _csv_row([header for _, header in FIELDS])


def _csv_text(value: Any) -> str:
    """A value as CSV text: an amount with 6 decimals, nothing as empty, text a spreadsheet would
    run as a formula behind a ``'``."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if value is None:
        return ""
    if isinstance(value, str):
        return escape_formula(value)
    return str(value)


def csv_line(record: Mapping[str, Any]) -> str:
    """The record as one CSV row: amounts with 6 decimals, an absent amount empty, text that a
    spreadsheet would run as a formula escaped (see the module's documentation)."""
    return _csv_row([_csv_text(value) for value in record.values()])


def _csv_keys(content: bytes) -> set[str]:
    rows = csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""))
    return {row[0] for row in rows if row}


def _json_keys(content: bytes) -> set[str]:
    keys = set()
    for line in content.decode("utf-8").splitlines():
        try:
            value = json.loads(line)
        except ValueError:
            continue  # a line someone edited by hand: not ours to judge
        if isinstance(value, dict) and "key" in value:
            keys.add(str(value["key"]))
    return keys


def _replace(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` atomically: beside it, flushed to disk, renamed over it."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with open(temporary, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    if sys.platform != "win32":  # make the rename itself durable
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


def append_once(path: Path, key: str, line: str, *, header: str = "", bom: bool = False) -> bool:
    """Append ``line`` to ``path`` unless a record with ``key`` is there already; True when
    written. A new file starts with ``header`` (and a byte-order mark with ``bom``)."""
    existing = path.read_bytes() if path.exists() else b""
    keys = _csv_keys(existing) if bom else _json_keys(existing)
    if (escape_formula(key) if bom else key) in keys:  # the CSV holds the key as written
        return False
    if not existing:
        existing = (_BOM if bom else b"") + header.encode("utf-8")
    elif not existing.endswith(b"\n"):
        existing += b"\r\n" if bom else b"\n"
    _replace(path, existing + line.encode("utf-8"))
    return True


@contextmanager
def _locked(folder: Path, wait: float) -> Iterator[None]:
    """Hold the directory's lock: against this process's other deliveries (at most ``wait``
    seconds, then TimeoutError) and, with ``flock``, against other processes."""
    if not _THREAD_LOCK.acquire(timeout=wait):
        raise TimeoutError(
            f"another delivery has been writing to {folder} for over {wait:g} s; "
            "this one is retried later"
        )
    try:
        with open(folder / LOCK_FILE, "ab") as handle:
            if sys.platform != "win32":
                import fcntl

                fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            yield
    finally:
        _THREAD_LOCK.release()


@dataclass(frozen=True, slots=True)
class Written:
    """Which of a record's two files a delivery wrote (False: the record was there already)."""

    csv: bool
    json: bool


def write_record(folder: Path, day: str, record: Mapping[str, Any], wait: float) -> Written:
    """Add ``record`` to the day's CSV and JSON-lines files in ``folder``, each exactly once."""
    folder.mkdir(parents=True, exist_ok=True)
    key = str(record["key"])
    with _locked(folder, wait):
        wrote_csv = append_once(
            folder / f"publicity-{day}.csv", key, csv_line(record), header=csv_header(), bom=True
        )
        wrote_json = append_once(folder / f"publicity-{day}.jsonl", key, json_line(record))
    return Written(wrote_csv, wrote_json)


class PublicitySink:
    """The ``publicity`` reporting sink: one penalty record per publish, withdrawal and early stop
    of a publication matter, written as CSV and JSON lines (see the module's documentation)."""

    name = NAME
    timeout = DEFAULT_SINK_TIMEOUT

    def wants(self, event: EventRecord) -> bool:
        return event.workflow == WORKFLOW and event.trigger in RECORD_TYPES

    def deliver(self, message: OutboxDelivery) -> None:
        if message.matter is None:
            raise ValueError(
                f"outbox message {message.key} holds the event without its matter, so its penalty "
                "record cannot be built; publish that decision on the platform by hand"
            )
        record = build_record(message.key, message.event, message.matter)
        day = str(message.event["recorded_at"])[:10]
        write_record(publicity_dir(), day, record, self.timeout)
