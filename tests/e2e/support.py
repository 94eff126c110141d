"""What the browser tests and the screenshot script share: a prepared database (the seeded
bureau, officers with passwords, the intake officer's token), ``zhifa serve`` running for real in
a subprocess on a free port, a headless Chromium driven by Selenium, and helpers to fill the
desk's forms the way a person does."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.select import Select

from tests.conftest import seed_bureau
from zhifa import identity
from zhifa.store import Store, migrate

CHROMIUM = Path(os.environ.get("ZHIFA_E2E_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("ZHIFA_E2E_CHROMEDRIVER", "/usr/bin/chromedriver"))
PASSWORD = "correct horse battery"
OFFICERS = ("H1", "C1", "C2", "L1", "X1")
WINDOW = (1366, 900)
ROOT = Path(__file__).resolve().parents[2]


def chromium_missing() -> str | None:
    """Why no browser test can run here (None: Chromium and its driver are installed)."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not path.exists():
            return f"{path} is not installed (Debian: apt-get install chromium chromium-driver)"
    return None


@dataclass
class Prepared:
    """A database ready for the desk: its URL and the intake officer's token."""

    url: str
    intake_token: str


def prepare(folder: Path) -> Prepared:
    """A migrated SQLite database in ``folder`` with the seeded bureau (departments HZXH and
    HZSC, officers H1 C1 C2 L1 X1 with the password :data:`PASSWORD`, one entity) and a token
    of C1, HZXH's intake officer for the public page."""
    url = f"sqlite:///{folder / 'desk.db'}"
    store = Store(url)
    try:
        migrate.upgrade(store)
        seed_bureau(store)
        for officer in OFFICERS:
            identity.set_password(store, officer, PASSWORD, by=None)
        intake = identity.login(store, "C1", PASSWORD)
        token = identity.issue_token(
            store, intake, label="public intake", lifetime=timedelta(days=30)
        ).token
        identity.revoke(store, intake.credential_id, by=intake)
    finally:
        store.dispose()
    return Prepared(url, token)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """A running ``zhifa serve``."""

    base: str
    process: subprocess.Popen[bytes]
    log: Path

    def url(self, path: str) -> str:
        return self.base + path


@contextmanager
def serve(prepared: Prepared, folder: Path) -> Iterator[Server]:
    """``zhifa serve`` on a free port against ``prepared``, until the block ends (then stopped,
    its process only)."""
    port = free_port()
    log = folder / "serve.log"
    env = {
        **os.environ,
        "ZHIFA_INTAKE_TOKEN": prepared.intake_token,
        "ZHIFA_DESK_SECRET": "e2e-desk-secret-" + "x" * 32,
        "ZHIFA_EVIDENCE": str(folder / "evidence"),
        "ZHIFA_PUBLICITY_DIR": str(folder / "publicity"),
        "ZHIFA_LOG_FORMAT": "text",
    }
    zhifa = Path(sys.executable).with_name("zhifa")
    command = [str(zhifa), "serve", "--port", str(port), "--db", prepared.url]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    server = Server(f"http://127.0.0.1:{port}", process, log)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"zhifa serve stopped: {log.read_text(errors='replace')}")
            try:
                with urllib.request.urlopen(server.url("/health"), timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"zhifa serve did not answer: {log.read_text()}")
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def chromium(downloads: Path) -> Iterator[WebDriver]:
    """A headless Chromium at a desktop size, downloading into ``downloads``."""
    options = Options()
    options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        "--lang=zh-CN",
        "--force-device-scale-factor=1",
    ):
        options.add_argument(arg)
    downloads.mkdir(parents=True, exist_ok=True)
    options.add_experimental_option(
        "prefs",
        {
            "download.default_directory": str(downloads),
            "download.prompt_for_download": False,
            "intl.accept_languages": "zh-CN,zh",
        },
    )
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


# -- acting in the browser ------------------------------------------------------------------------


def log_in(driver: WebDriver, server: Server, officer: str) -> None:
    """Log ``officer`` in through the login form (logging out whoever was in first)."""
    driver.delete_all_cookies()
    driver.get(server.url("/login"))
    driver.find_element(By.NAME, "officer").send_keys(officer)
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form.login button[type=submit]").click()
    wait_for(driver, lambda: "/login" not in driver.current_url, "the login to succeed")


def wait_for(driver: WebDriver, ready: object, what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if callable(ready) and ready():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout}s for {what}; at {driver.current_url}")
        time.sleep(0.1)


def set_value(driver: WebDriver, element: WebElement, value: str) -> None:
    """Put ``value`` in an input whose browser widget has no plain typing (dates and times)."""
    driver.execute_script("arguments[0].value = arguments[1];", element, value)


def fill(driver: WebDriver, form: WebElement, fields: Mapping[str, str | Sequence[str]]) -> None:
    """Fill ``form``'s inputs by name: text and textareas typed, selects chosen (several values
    for a multiple select), dates and times set, radio buttons and checkboxes clicked."""
    for name, value in fields.items():
        element = form.find_element(By.CSS_SELECTOR, f'[name="{name}"]')
        kind = (element.get_attribute("type") or "").lower()
        if element.tag_name == "select":
            chooser = Select(element)
            if chooser.is_multiple:
                chooser.deselect_all()
            for one in [value] if isinstance(value, str) else value:
                chooser.select_by_value(one)
        elif kind in ("date", "datetime-local"):
            assert isinstance(value, str)
            set_value(driver, element, value)
        elif kind in ("radio", "checkbox"):
            form.find_element(By.CSS_SELECTOR, f'[name="{name}"][value="{value}"]').click()
        else:
            assert isinstance(value, str)
            element.clear()
            element.send_keys(value)


def submit(driver: WebDriver, form: WebElement) -> None:
    """Submit ``form`` with its button and wait for the next page."""
    old = driver.find_element(By.TAG_NAME, "html")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(driver, lambda: _stale(old), "the next page")


def _stale(element: WebElement) -> bool:
    try:
        element.is_enabled()
    except Exception:
        return True
    return False


def take_step(
    driver: WebDriver,
    server: Server,
    matter_id: int,
    trigger: str,
    fields: Mapping[str, str | Sequence[str]],
    at: str,
) -> None:
    """Take ``trigger`` on the matter's page through its generated form, as of ``at``
    (``YYYY-MM-DDTHH:MM``), and check the page came back without a refusal."""
    driver.get(server.url(f"/matters/{matter_id}"))
    form = driver.find_element(By.ID, f"step-{trigger}")
    fill(driver, form, {f"f.{k}": v for k, v in fields.items()})
    fill(driver, form, {"at": at})
    submit(driver, form)
    errors = driver.find_elements(By.CSS_SELECTOR, ".error, .problem")
    assert not errors, f"{trigger}: {[e.text for e in errors]}"
    assert driver.current_url.endswith(f"/matters/{matter_id}"), driver.current_url
