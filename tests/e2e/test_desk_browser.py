"""The desk in a real headless Chromium against ``zhifa serve`` running in a subprocess:

* officers log in and take an ordinary-procedure case from the clue to the closing through the
  matter pages' generated forms, then download the decision (行政处罚决定书) from the matter's
  documents and open it with python-docx, checking its number and party;
* a citizen files a report on the public page, follows it by its receipt code and sees its state
  change after the head acts on the clue; the officer who does not handle the clue never sees the
  reporter.

Without Chromium these tests are skipped with the reason, except under ``CI`` where they fail.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import docx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from tests.conftest import ENTITY
from tests.e2e.support import (
    Server,
    chromium,
    chromium_missing,
    fill,
    log_in,
    prepare,
    serve,
    submit,
    take_step,
    wait_for,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[tuple[Server, WebDriver, Path]]:
    missing = chromium_missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"{missing} (CI runs the browser tests)")
        pytest.skip(missing)
    prepared = prepare(tmp_path)
    downloads = tmp_path / "downloads"
    with serve(prepared, tmp_path) as server, chromium(downloads) as driver:
        yield server, driver, downloads


def open_clue(driver: WebDriver, server: Server, at: str) -> int:
    driver.get(server.url("/matters/new?workflow=clue"))
    form = driver.find_element(By.CSS_SELECTOR, "form.step")
    fill(
        driver,
        form,
        {"f.source": "complaint", "f.summary": "售卖过期食品", "entity": ENTITY, "at": at},
    )
    submit(driver, form)
    found = re.search(r"/matters/(\d+)$", driver.current_url)
    assert found, (driver.current_url, driver.page_source[:2000])
    return int(found.group(1))


def test_an_ordinary_case_from_clue_to_closing_and_its_decision_document(desk) -> None:
    server, driver, downloads = desk
    log_in(driver, server, "C1")
    clue = open_clue(driver, server, "2026-03-02T09:00")
    log_in(driver, server, "H1")
    take_step(driver, server, clue, "assign", {"verifiers": ["C1"]}, "2026-03-02T10:00")
    opening = {"act_date": "2026-02-20", "handlers": ["C1", "C2"], "violation": "销售过期食品"}
    take_step(driver, server, clue, "open_case", opening, "2026-03-02T11:00")
    assert "已立案" in driver.find_element(By.CSS_SELECTOR, "table.facts").text

    driver.get(server.url(f"/matters/new?workflow=case&follows={clue}"))
    form = driver.find_element(By.CSS_SELECTOR, "form.step")
    fill(
        driver,
        form,
        {
            "f.procedure": "ordinary",
            "f.party_kind": "organisation",
            "f.party_name": "某食品有限公司",
            "f.act_date": "2026-02-20",
            "f.handlers": ["C1", "C2"],
            "f.violation": "销售过期食品",
            "at": "2026-03-02T12:00",
        },
    )
    submit(driver, form)
    case = int(driver.current_url.rsplit("/", 1)[1])

    walk = [
        ("C1", "conclude_investigation", {"violation": "销售超过保质期的食品", "proposed_outcome": "penalty"}, "2026-03-03T10:00"),
        ("C1", "notify", {"penalty_kind": "fine", "fine": "10000", "hearing_eligible": "false", "reasons": "事实"}, "2026-03-04T10:00"),
        ("H1", "decide_penalty", {"penalty_kind": "fine", "fine": "10000", "reasons": "事实、理由、依据"}, "2026-03-12T10:00"),
        ("C1", "serve", {"method": "in_person"}, "2026-03-13T10:00"),
        ("C1", "record_payment", {"paid_on": "2026-03-16", "amount_paid": "10000"}, "2026-03-16T10:00"),
        ("H1", "close", {"summary": "罚没款已缴清，结案"}, "2026-03-17T10:00"),
    ]  # fmt: skip
    who = "H1"
    for officer, trigger, fields, at in walk:
        if officer != who:
            log_in(driver, server, officer)
            who = officer
        take_step(driver, server, case, trigger, fields, at)
    facts = driver.find_element(By.CSS_SELECTOR, "table.facts").text
    assert "已结案" in facts or "closed" in facts
    assert driver.find_elements(By.CSS_SELECTOR, f'a[href="/matters/{clue}"]')

    # the decision, downloaded from the matter's documents and opened
    row = next(
        r
        for r in driver.find_elements(By.CSS_SELECTOR, "#documents + table tbody tr")
        if "处罚〔" in r.text
    )
    number = row.find_elements(By.TAG_NAME, "td")[0].text
    assert re.fullmatch(r"西湖区市监处罚〔2026〕\d+号", number), number
    row.find_element(By.LINK_TEXT, row.find_elements(By.TAG_NAME, "a")[0].text).click()
    wait_for(
        driver,
        lambda: any(p.suffix == ".docx" for p in downloads.iterdir()),
        "the decision to download",
    )
    time.sleep(0.3)  # the browser renames the finished file last
    [path] = [p for p in downloads.iterdir() if p.suffix == ".docx"]
    document = docx.Document(str(path))
    text = "\n".join(par.text for par in document.paragraphs) + "\n".join(
        cell.text for table in document.tables for r in table.rows for cell in r.cells
    )
    assert number in text and "某食品有限公司" in text and "行政处罚决定书" in text


def test_a_citizen_files_a_report_and_follows_it_by_its_receipt(desk) -> None:
    server, driver, _ = desk
    driver.get(server.url("/public/report"))
    form = driver.find_element(By.CSS_SELECTOR, "form.public")
    fill(
        driver,
        form,
        {
            "kind": "report",
            "business": "某食品有限公司",
            "what": "3月1日在该店购买的熟食已过保质期。",
            "name": "张三丰",
            "contact": "13800001234",
            "real_name": "1",
        },
    )
    submit(driver, form)
    code = driver.find_element(By.ID, "receipt-code").text
    assert re.fullmatch(r"[A-Z2-7]{4}(-[A-Z2-7]{4}){5}", code), code

    def follow() -> str:
        driver.get(server.url("/public/follow"))
        form = driver.find_element(By.CSS_SELECTOR, "form.public")
        fill(driver, form, {"code": code.lower()})
        submit(driver, form)
        return driver.find_element(By.ID, "progress-state").text

    assert follow() == "已登记，等待核查"

    # the head (who does not handle it yet) sees the clue without the reporter, and assigns it
    log_in(driver, server, "H1")
    driver.get(server.url("/"))
    driver.get(server.url("/search?q=" + "某食品有限公司"))
    links = [
        a.get_attribute("href")
        for a in driver.find_elements(By.CSS_SELECTOR, "a[href*='/matters/']")
    ]
    clue_url = next(h for h in links if h and re.search(r"/matters/\d+$", h))
    clue = int(clue_url.rsplit("/", 1)[1])
    driver.get(server.url(f"/matters/{clue}"))
    assert "过保质期" in driver.page_source and "张三丰" not in driver.page_source
    assert "13800001234" not in driver.page_source
    take_step(driver, server, clue, "assign", {"verifiers": ["C2"]}, "")
    driver.delete_all_cookies()

    assert follow() == "正在核查"
    steps = driver.find_element(By.CSS_SELECTOR, "ol.progress-steps").text
    assert "开始核查" in steps and "张三丰" not in driver.page_source
