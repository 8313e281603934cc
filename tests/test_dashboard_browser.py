"""The dashboard in a real browser: Debian's chromium, headless, driven by selenium through chromedriver.

A real ``l2lab node`` runs in a subprocess; the page is loaded with the token
in its fragment, as the node prints the link. A demo then runs against the
node (``l2lab demo channels --rpc URL``): its narrated steps, its L1 gas and
its verdict must appear on the page as its ``--json`` summary reports them,
its L1 blocks with the gas the channel scheme used, and a hosted scheme's
panel must redraw when that scheme changes. A screenshot is saved in
``L2LAB_TEST_ARTIFACTS`` (default ``test-artifacts/`` in the repository).

Without chromium or chromedriver the test is skipped, unless
``L2LAB_REQUIRE_BROWSER=1`` (CI), where that is a failure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from node.client import LocalNode

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ETH = 10**18
ARTIFACTS = Path(os.environ.get("L2LAB_TEST_ARTIFACTS") or Path(__file__).resolve().parents[1] / "test-artifacts")

pytestmark = pytest.mark.slow


def _missing() -> list[str]:
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not os.path.exists(path)]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("the selenium package")
    return missing


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    missing = _missing()
    if missing:
        why = f"no browser to drive: {', '.join(missing)} missing (Debian: apt-get install chromium chromium-driver)"
        if os.environ.get("L2LAB_REQUIRE_BROWSER") == "1":
            pytest.fail(why + "; L2LAB_REQUIRE_BROWSER=1 says it must be there")
        pytest.skip(why)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--window-size=1400,2200"):
        options.add_argument(flag)
    with tempfile.TemporaryDirectory(prefix="l2lab-chromium-") as profile:
        options.add_argument(f"--user-data-dir={profile}")
        # The driver named outright: Selenium Manager never looks for one to download.
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        try:
            yield driver
        finally:
            driver.quit()


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalNode]:
    log = tmp_path_factory.mktemp("dashboard") / "node.log"
    # Twenty dev accounts: the channel demo's people are accounts 10 and up; no zk prover to keep the CPU busy.
    with LocalNode(None, log_path=str(log), extra_args=["--memory", "--accounts", "20", "--zk-preset", "off"]) as n:
        yield n


def _text(driver: Any, element_id: str) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.ID, element_id).text


def _until(driver: Any, what: str, test: Callable[[], Any], timeout: float = 40) -> Any:
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.2).until(lambda _: test())
    except TimeoutException:
        raise AssertionError(f"the page never showed {what}; error line: {_text(driver, 'error')!r}") from None


def test_a_demo_run_against_the_node_shows_on_the_dashboard_as_it_happens(browser: Any, node: LocalNode) -> None:
    from selenium.webdriver.common.by import By

    browser.get(f"{node.url}/dashboard#token={node.token}")
    _until(browser, "the feed live", lambda: _text(browser, "live").startswith("live"))
    assert "channels" in _text(browser, "live")
    _until(browser, "the hosted channels' panel", lambda: "adjudicator" in _text(browser, "scheme-channels"))
    assert node.token not in browser.current_url  # the fragment is read, then dropped from the address bar

    env = {**os.environ, "L2LAB_NODE_TOKEN": node.token}
    done = subprocess.run([sys.executable, "-m", "node.cli", "demo", "channels", "--rpc", node.url, "--json"],
                          env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads(done.stdout)
    assert summary["ok"] is True and "will not show" not in done.stderr

    _until(browser, "the demo's verdict", lambda: summary["verdict"] in _text(browser, "verdict"))
    verdict = _text(browser, "verdict")
    assert f"L1 gas {summary['l1_gas_total']:,}" in verdict and "honest users lost 0 wei" in verdict
    steps = _text(browser, "steps")
    assert "channels" in _text(browser, "demo-name")
    assert "[1] The channel adjudicator is deployed at " + summary["adjudicator"] in steps
    opened = next(s["gas"] for s in summary["l1_steps"] if s["step"] == "open_channel")
    settled = next(s["gas"] for s in summary["l1_steps"] if s["step"] == "cooperative_settle")
    assert f"open_channel: {opened:,} L1 gas" in steps and f"cooperative_settle: {settled:,} L1 gas" in steps
    # The demo's own L1 transactions, each in its block with the gas the channel scheme used there.
    _until(browser, "the demo's settle block", lambda: f"channels {settled:,}" in _text(browser, "blocks"))
    assert "ChannelAdjudicator.cooperative_settle" in _text(browser, "blocks")

    # A hosted scheme changes: its panel redraws without a reload.
    head_before = _text(browser, "status")
    opened_now = httpx.post(f"{node.url}/api/channels/open", json={"peer": 3, "partner": 4, "deposit": str(ETH)},
                            timeout=30)
    assert opened_now.status_code == 200, opened_now.text
    _until(browser, "the new hosted channel", lambda: "opened" in _text(browser, "scheme-channels"))
    panel = _text(browser, "scheme-channels")
    assert "(3)" in panel and "(4)" in panel and "1 | 0" in panel
    assert browser.find_elements(By.CSS_SELECTOR, "#scheme-channels svg line")  # the graph has its edge
    assert _text(browser, "status") != head_before  # a new L1 head arrived with it

    # The page's own buttons carry the token from the fragment: mining a block moves the head.
    head = int(httpx.get(f"{node.url}/api/status", timeout=10).json()["head_number"])
    browser.find_element(By.XPATH, "//button[text()='mine 1 block']").click()
    _until(browser, f"head #{head + 1}", lambda: f"head #{head + 1}" in _text(browser, "status"))

    # The artefact: the page with the demo told and the hosted channel drawn.
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "dashboard.png"
    browser.execute_script("window.scrollTo(0, 0)")
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000

    # Narration is text, never markup.
    hostile = "<img src=x onerror=document.title='owned'>"
    step = {"run": "0badc0de0badc0de", "demo": "hostile", "kind": "say", "step": 1, "text": hostile}
    assert httpx.post(f"{node.url}/api/narration", json=step, headers=node.admin_headers, timeout=10).status_code == 200
    _until(browser, "the hostile step as text", lambda: hostile in _text(browser, "steps"))
    assert not browser.find_elements(By.CSS_SELECTOR, "#steps img") and browser.title == "l2lab node"
    assert _text(browser, "error") == ""

