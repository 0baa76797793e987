"""The real page in Debian's Chromium, driven by Playwright (skipped where Chromium is missing).

A fixture starts ``streamlit run app.py`` on a free loopback port. Screenshots and downloads go to
``$E2E_OUT`` (default ``test-output/``) for people to look at.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from collections.abc import Iterator

import pandas as pd
import pytest

from tests.conftest import ROOT

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
pytestmark = [pytest.mark.e2e, pytest.mark.skipif(not os.path.exists(CHROMIUM) and
                                                  shutil.which("chromium") is None,
                                                  reason="Debian's chromium is not installed")]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port),
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("streamlit did not start")
    yield url
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    path = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    return {**browser_type_launch_args, "executable_path": path, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1440, "height": 1600}, "accept_downloads": True}


def wait_idle(page, timeout: int = 90_000) -> None:
    page.wait_for_selector('[data-testid="stApp"][data-test-connection-state="CONNECTED"]',
                           state="attached", timeout=timeout)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]',
                           state="attached", timeout=timeout)


def expected_npv(page) -> list[str]:
    return page.get_by_test_id("stMetric").filter(has_text="Expected NPV").get_by_test_id(
        "stMetricValue").all_inner_texts()


def test_page_loads_and_a_slider_moves_a_chart(server, page, output_dir) -> None:
    from playwright.sync_api import expect

    page.goto(f"{server}/?scenario=open-model-goes-closed&paths=2000&seed=7")
    wait_idle(page)
    page.locator(".js-plotly-plot .main-svg").first.wait_for(timeout=60_000)
    expect(page.get_by_role("tab", name="Overview")).to_be_visible()
    page.screenshot(path=str(output_dir / "overview.png"))
    before = expected_npv(page)
    chart_before = page.locator(".js-plotly-plot").first.inner_html()
    slider = page.get_by_test_id("stSlider").filter(has_text="Traffic growth").get_by_role("slider")
    slider.focus()
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    expect(page).to_have_url(re.compile(r"workload\.growth_per_month=0\.05"), timeout=60_000)
    wait_idle(page)
    expect(page.get_by_test_id("stMetric").filter(has_text="Expected NPV").first.get_by_test_id(
        "stMetricValue")).not_to_have_text(before[0], timeout=60_000)
    assert page.locator(".js-plotly-plot").first.inner_html() != chart_before
    page.screenshot(path=str(output_dir / "overview-after-slider.png"))
    for tab in ("Costs", "Risk", "Sensitivity", "Stress tests", "Assumptions", "Export"):
        page.get_by_role("tab", name=tab).click()
        wait_idle(page)
        page.wait_for_timeout(600)
        page.screenshot(path=str(output_dir / f"tab-{tab.lower().replace(' ', '-')}.png"))


def test_downloads_arrive(server, page, output_dir) -> None:
    page.goto(f"{server}/?scenario=startup-api-cheaper&paths=1000&seed=3")
    wait_idle(page)
    page.get_by_role("tab", name="Export").click()
    wait_idle(page)
    with page.expect_download(timeout=60_000) as info:
        page.get_by_test_id("stDownloadButton").filter(has_text="Summary (.csv)").locator("button").click()
    target = output_dir / info.value.suggested_filename
    info.value.save_as(target)
    summary = pd.read_csv(target)
    assert summary["strategy"].tolist() == ["api", "self-host"]
    assert (summary["seed"] == 3).all()
    with page.expect_download(timeout=120_000) as info:
        page.get_by_test_id("stDownloadButton").filter(has_text="Slide deck").locator("button").click()
    deck = output_dir / info.value.suggested_filename
    info.value.save_as(deck)
    assert deck.suffix == ".pptx" and zipfile.is_zipfile(deck)
    from pptx import Presentation

    prs = Presentation(io.BytesIO(deck.read_bytes()))
    assert sum(shape.has_chart for slide in prs.slides for shape in slide.shapes) >= 3


def test_shared_link_reproduces_the_numbers(server, page, browser) -> None:
    link = (f"{server}/?scenario=api-price-shock&paths=1000&seed=11"
            "&workload.requests_per_month=12000000")
    page.goto(link)
    wait_idle(page)
    page.get_by_test_id("stMetricValue").first.wait_for(timeout=60_000)
    first = expected_npv(page)
    other = browser.new_page()
    other.goto(link)
    wait_idle(other)
    other.get_by_test_id("stMetricValue").first.wait_for(timeout=60_000)
    assert expected_npv(other) == first
    import tco
    from tco.format import usd
    from tco.report import apply_nominal

    base = tco.load_scenario(ROOT / "scenarios" / "api-price-shock.yaml")
    table = tco.simulate(apply_nominal(base, {"workload.requests_per_month": 12e6}), paths=1000,
                         seed=11).summary()
    assert first == [usd(v) for v in table["mean"]]
    other.close()
