"""The wallet page in a real browser: the real program (polling, with WEBAPP_URL) and a
headless Chromium driven by Selenium, opening the page the way Telegram's clients do,
``WEBAPP_URL#tgWebAppData=<initData>``, with no access to telegram.org.

Chromium and its driver are Debian's ``chromium`` and ``chromium-driver`` (.ci/run installs
them). The screenshot is kept as an artifact in ``$XMONEY_ARTIFACTS`` (default: a folder in
the system's temporary directory, printed by the test); with ``XMONEY_SCREENSHOT=1`` it also
replaces the README's ``bot/webapp/screenshot.png``.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import sqlite3
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from bot.fakeapi import Telegram
from tests.e2e.conftest import Runner, free_port
from tests.e2e.fakebotapi import FakeBot
from tests.e2e.test_program import ALICE, BOB, balances, fund
from tests.webapp.conftest import init_data

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
PHONE = (390, 1500)  # a phone's width; tall enough for the whole page in one screenshot
THEME = {"bg_color": "#ffffff", "text_color": "#222222", "button_color": "#3390ec",
         "button_text_color": "#ffffff", "secondary_bg_color": "#f4f4f5",
         "hint_color": "#8a8a8e", "link_color": "#3390ec"}  # fmt: skip
SCREENSHOT = Path(__file__).resolve().parents[2] / "bot" / "webapp" / "screenshot.png"


def artifacts() -> Path:
    where = Path(os.environ.get("XMONEY_ARTIFACTS") or Path(tempfile.gettempdir()) / "xmoney")
    where.mkdir(parents=True, exist_ok=True)
    return where


@pytest.fixture
def browser(tmp_path: Path):  # type: ignore[no-untyped-def]
    assert Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists(), (
        "the browser test needs Debian's chromium and chromium-driver "
        "(apt-get install chromium chromium-driver; .ci/run does)"
    )
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",  # as root (CI containers)
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={tmp_path / 'chromium'}",
        "--host-resolver-rules=MAP telegram.org ~NOTFOUND, MAP *.telegram.org ~NOTFOUND",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    metrics = {"width": PHONE[0], "height": PHONE[1], "pixelRatio": 1.0}
    options.add_experimental_option("mobileEmulation", {"deviceMetrics": metrics})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


def until(browser: webdriver.Chrome, condition: Any, what: str) -> Any:
    """Wait for ``condition``; on a timeout say what the page showed and logged."""
    try:
        return WebDriverWait(browser, 20).until(condition)
    except TimeoutException:
        shown = browser.find_element(By.TAG_NAME, "body").text
        logs = [entry["message"] for entry in browser.get_log("browser")]
        raise AssertionError(f"waited for {what}; the page shows:\n{shown}\nlog: {logs}") from None


def wait_healthy(port: int, program_gone: object) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"the page's server never answered; {program_gone}")


def test_alice_pays_bob_from_the_wallet_page_in_a_real_browser(
    runner: Runner, bot: FakeBot, bot_env: dict[str, str], browser: webdriver.Chrome
) -> None:
    url = bot_env["DATABASE_URL"]
    asyncio.run(fund(url, ALICE["id"], 100_00))
    port = free_port()
    webapp_url = f"http://127.0.0.1:{port}/"
    program = runner.start(
        bot_env | {"WEBAPP_URL": webapp_url, "PORT": str(port), "LISTEN": "127.0.0.1"}
    )
    telegram = Telegram()
    bot.push(telegram.message(ALICE, "/start"))
    bot.wait_for_call("sendMessage", ALICE["id"])
    bot.push(telegram.message(BOB, "/start"))
    bot.wait_for_call("sendMessage", BOB["id"])
    wait_healthy(port, program.why_gone())
    menu = bot.wait_for_call("setChatMenuButton")
    assert json.loads(menu.params["menu_button"])["web_app"]["url"] == webapp_url

    signed = init_data(ALICE | {"language_code": "en"}, auth_date=time.time(), token=bot.token)
    launch = f"tgWebAppData={quote(signed)}&tgWebAppThemeParams={quote(json.dumps(THEME))}"
    browser.get(webapp_url + "#" + launch)
    ready = ec.presence_of_element_located((By.CSS_SELECTOR, "body[data-ready='1']"))
    until(browser, ready, "the page to load")

    assert browser.find_element(By.ID, "available").text == "100.00 USD"
    assert browser.find_element(By.ID, "held").text == "0.00 USD"
    chart = browser.find_element(By.CSS_SELECTOR, "#chart svg")
    assert chart.get_attribute("data-points") == "30" and chart.size["width"] > 300
    assert browser.find_element(By.CSS_SELECTOR, "#chart polyline").is_displayed()
    filters = browser.find_elements(By.CSS_SELECTOR, ".filters button")
    assert [(b.get_attribute("data-filter"), b.text) for b in filters] == [
        ("all", "All"),
        ("sent", "Sent"),
        ("received", "Received"),
        ("requests", "Requests"),
        ("cheques", "Cheques"),
    ]
    # At a phone's width, nothing sticks out sideways.
    assert browser.execute_script("return window.innerWidth") == PHONE[0]
    assert browser.execute_script("return document.documentElement.scrollWidth") <= PHONE[0]

    browser.find_element(By.ID, "to").send_keys("@bob")
    browser.find_element(By.ID, "amount").send_keys("12.50")
    browser.find_element(By.ID, "note").send_keys("lunch")
    browser.find_element(By.ID, "review").click()
    question = until(
        browser, ec.visibility_of_element_located((By.ID, "confirm-question")), "the confirm step"
    )
    assert question.text == "Send 12.50 USD to @bob?"
    before = len(bot.calls)
    browser.find_element(By.ID, "confirm-yes").click()
    paid = ec.text_to_be_present_in_element((By.ID, "notice"), "Paid 12.50 USD to @bob")
    until(browser, paid, "the payment's confirmation")
    until(browser, ec.text_to_be_present_in_element((By.ID, "available"), "87.50 USD"), "87.50")
    until(browser, ec.text_to_be_present_in_element((By.ID, "history"), "lunch"), "the history")

    receipt = bot.wait_for_call("sendMessage", ALICE["id"], after=before)
    assert "You paid <b>12.50 USD</b> to @bob" in receipt.text and "lunch" in receipt.text
    notice = bot.wait_for_call("sendMessage", BOB["id"], after=before)
    assert "sent you <b>12.50 USD</b>" in notice.text

    shot = artifacts() / "wallet-page.png"
    browser.save_screenshot(str(shot))
    print(f"\nscreenshot of the wallet page: {shot}")
    if os.environ.get("XMONEY_SCREENSHOT") == "1":
        shutil.copyfile(shot, SCREENSHOT)

    assert program.stop(signal.SIGTERM) == 0
    assert asyncio.run(balances(url, ALICE["id"], BOB["id"])) == ([87_50, 12_50], True)
    with sqlite3.connect(url.removeprefix("sqlite+aiosqlite:///")) as db:
        rows = db.execute(
            "SELECT amount, state, memo FROM transfers WHERE kind = 'payment'"
        ).fetchall()
    assert rows == [(12_50, "posted", "lunch")]
