"""Screenshots of the desk's main pages, taken by a headless Chromium at a desktop size from
``zhifa serve`` running on a prepared database with a few matters in it::

    python -m tests.e2e.screenshots            # writes docs/screenshots/*.png
    python -m tests.e2e.screenshots --out DIR

The pages: login, my desk, a matter with its step forms, an entity's file, search, the due list,
the public report page, its receipt and the follow page. Chinese text needs a CJK font
(Debian: fonts-noto-cjk).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from tests.conftest import ENTITY
from tests.e2e.support import (
    PASSWORD,
    ROOT,
    WINDOW,
    Prepared,
    Server,
    chromium,
    chromium_missing,
    fill,
    log_in,
    prepare,
    serve,
    submit,
)
from zhifa import identity
from zhifa.engine import Engine
from zhifa.store import Store

MAX_HEIGHT = 2200


def populate(prepared: Prepared, now: datetime) -> dict[str, int]:
    """A few matters of HZXH: a case waiting for the head's decision (its story from a clue), a
    clue being verified and an old one never assigned (overdue)."""
    store = Store(prepared.url)
    try:
        engine = Engine(store)
        c1 = identity.login(store, "C1", PASSWORD)
        h1 = identity.login(store, "H1", PASSWORD)

        def day(n: int, hour: int = 10) -> datetime:
            return (now - timedelta(days=n)).replace(hour=hour, minute=0, second=0, microsecond=0)

        clue = engine.open(
            "clue",
            c1,
            {"source": "complaint", "summary": "消费者投诉某食品有限公司销售过期熟食"},
            day(30, 9),
            entity=ENTITY,
        ).matter.id
        engine.advance(clue, "assign", h1, {"verifiers": ["C1"]}, day(30))
        engine.advance(
            clue,
            "open_case",
            h1,
            {"act_date": day(35).date().isoformat(), "handlers": ["C1", "C2"],
             "violation": "销售超过保质期的食品"},
            day(29),
        )  # fmt: skip
        case = engine.open(
            "case",
            h1,
            {"procedure": "ordinary", "party_kind": "organisation",
             "party_name": "某食品有限公司", "act_date": day(35).date().isoformat(),
             "handlers": ["C1", "C2"], "violation": "销售超过保质期的食品"},
            day(29, 11),
            follows=clue,
        ).matter.id  # fmt: skip
        engine.advance(
            case,
            "conclude_investigation",
            c1,
            {"violation": "销售超过保质期的食品", "proposed_outcome": "penalty"},
            day(20),
        )
        engine.advance(
            case,
            "notify",
            c1,
            {"penalty_kind": "fine", "fine": 10000, "hearing_eligible": False,
             "reasons": "当事人销售超过保质期的食品，违反食品安全法第三十四条"},
            day(14),
        )  # fmt: skip
        verifying = engine.open(
            "clue", c1, {"source": "report", "summary": "举报某超市散装食品无标签"}, day(6, 9)
        ).matter.id
        engine.advance(verifying, "assign", h1, {"verifiers": ["C1", "C2"]}, day(5))
        engine.open(
            "clue", c1, {"source": "monitoring", "summary": "网络交易监测发现虚假宣传"}, day(40, 9)
        )
    finally:
        store.dispose()
    return {"clue": clue, "case": case}


def shoot(driver: WebDriver, out: Path, name: str) -> Path:
    """A PNG of the whole page (up to :data:`MAX_HEIGHT` pixels high) at the desktop width."""
    height = int(
        driver.execute_script(
            "return document.documentElement.scrollHeight + window.outerHeight - window.innerHeight"
        )
    )
    driver.set_window_size(WINDOW[0], max(WINDOW[1], min(height, MAX_HEIGHT)))
    driver.execute_script("window.scrollTo(0, 0); document.activeElement.blur();")
    path = out / f"{name}.png"
    driver.save_screenshot(str(path))
    driver.set_window_size(*WINDOW)
    return path


def take(server: Server, driver: WebDriver, out: Path, ids: dict[str, int]) -> list[Path]:
    shots = []
    driver.get(server.url("/login"))
    shots.append(shoot(driver, out, "01-login"))
    log_in(driver, server, "C1")
    driver.get(server.url("/"))
    shots.append(shoot(driver, out, "02-my-desk"))
    log_in(driver, server, "H1")
    driver.get(server.url(f"/matters/{ids['case']}"))
    shots.append(shoot(driver, out, "03-matter-step-form"))
    driver.get(server.url(f"/entities/{ENTITY}"))
    shots.append(shoot(driver, out, "04-entity"))
    driver.get(server.url("/search?q=某食品有限公司"))
    shots.append(shoot(driver, out, "05-search"))
    driver.get(server.url("/due"))
    shots.append(shoot(driver, out, "06-due"))
    driver.delete_all_cookies()
    driver.get(server.url("/public/report"))
    form = driver.find_element(By.CSS_SELECTOR, "form.public")
    fill(
        driver,
        form,
        {
            "kind": "report",
            "business": "某食品有限公司",
            "what": "在该店购买的熟食已过保质期，店员称仍可销售。",
            "name": "张三",
            "contact": "13800001234",
            "real_name": "1",
        },
    )
    shots.append(shoot(driver, out, "07-public-report"))
    submit(driver, form)
    code = driver.find_element(By.ID, "receipt-code").text
    shots.append(shoot(driver, out, "08-public-receipt"))
    driver.get(server.url("/public/follow"))
    form = driver.find_element(By.CSS_SELECTOR, "form.public")
    fill(driver, form, {"code": code})
    submit(driver, form)
    shots.append(shoot(driver, out, "09-public-follow"))
    return shots


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args(argv)
    missing = chromium_missing()
    if missing:
        print(f"no screenshots: {missing}", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        prepared = prepare(folder)
        ids = populate(prepared, datetime.now())
        with serve(prepared, folder) as server, chromium(folder / "downloads") as driver:
            for path in take(server, driver, args.out, ids):
                print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
