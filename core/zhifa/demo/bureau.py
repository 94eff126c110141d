"""The bureau the demo runs in: the 西湖区 market-regulation bureau (``DEPT``), its eight officers
(with their roles and enforcement certificates), the three entities it supervises, ``seed`` to
write them into an empty database, and the facts several stories share (the supermarket's and the
noodle shop's names, the juice case's violation and decision number, the police unit)."""

from __future__ import annotations

from datetime import date

from zhifa.ids import uscc_check_char
from zhifa.store import Store
from zhifa.store.tables import Department, Entity, Officer

DEPT = "HZXH-SJ"


def _uscc(body: str) -> str:
    return body + uscc_check_char(body)


ENTITIES = (
    (_uscc("91330106MA2B3C4D5"), "杭州西溪鲜果超市有限公司", "企业", "330106", "食品销售"),
    (_uscc("92330106MA2K7L8M9"), "西湖区老街面馆", "个体工商户", "330106", "餐饮服务"),
    (_uscc("91330106MA2H1J2K3"), "杭州云栖保健品有限公司", "企业", "330106", "保健食品销售"),
)

OFFICERS = (
    (
        "XH-000",
        "刘志远",
        "principal_head,head",
        "ZJ33010600000",
        date(2022, 6, 1),
        date(2027, 5, 31),
    ),
    (
        "XH-001",
        "陈建国",
        "head,case_handler",
        "ZJ33010600001",
        date(2023, 1, 1),
        date(2028, 12, 31),
    ),
    (
        "XH-011",
        "李明",
        "case_handler,inspector",
        "ZJ33010600011",
        date(2024, 3, 1),
        date(2029, 2, 28),
    ),
    (
        "XH-012",
        "王芳",
        "case_handler,inspector",
        "ZJ33010600012",
        date(2024, 3, 1),
        date(2029, 2, 28),
    ),
    (
        "XH-013",
        "赵强",
        "case_handler,inspector",
        "ZJ33010600013",
        date(2021, 2, 1),
        date(2026, 1, 31),
    ),
    (
        "XH-014",
        "张伟",
        "case_handler,inspector",
        "ZJ33010600014",
        date(2025, 7, 1),
        date(2030, 6, 30),
    ),
    ("XH-021", "周敏", "legal_reviewer", "ZJ33010600021", date(2024, 9, 1), date(2029, 8, 31)),
    ("XH-022", "孙伟", "legal_reviewer", "ZJ33010600022", date(2023, 5, 1), date(2028, 4, 30)),
)


OFFICER_NAMES = tuple((o[0], o[1]) for o in OFFICERS)


def seed(store: Store) -> None:
    with store.write() as session:
        session.add(Department(code=DEPT, name="杭州市西湖区市场监督管理局", region_code="330106"))
        session.flush()
        for oid, name, roles, cert, start, end in OFFICERS:
            session.add(
                Officer(
                    id=oid,
                    name=name,
                    department_code=DEPT,
                    roles=roles,
                    certificate_no=cert,
                    certificate_valid_from=start,
                    certificate_valid_to=end,
                )
            )
        for uscc, name, kind, region, industry in ENTITIES:
            session.add(
                Entity(
                    uscc=uscc,
                    name=name,
                    kind=kind,
                    region_code=region,
                    industry=industry,
                    credit_class="B",
                    risk_level="medium",
                )
            )


FRUIT = "杭州西溪鲜果超市有限公司"
NOODLE = "西湖区老街面馆"
JUICE = "经营菌落总数超过食品安全标准限量的鲜榨果汁 1,260 瓶，货值金额 2.6 万元"
DECISION_NO = "杭西市监处罚〔2026〕37号"
POLICE = "杭州市公安局西湖区分局"
