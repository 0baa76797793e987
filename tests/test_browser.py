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
import urllib.parse
import urllib.request
import warnings
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
    return {**browser_context_args, "viewport": {"width": 1280, "height": 720}, "accept_downloads": True}


def wait_idle(page, timeout: int = 90_000) -> None:
    page.wait_for_selector('[data-testid="stApp"][data-test-connection-state="CONNECTED"]',
                           state="attached", timeout=timeout)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]',
                           state="attached", timeout=timeout)


def expected_npv(page) -> list[str]:
    """Each strategy's expected NPV, from the Overview's per-strategy figures (opened if closed)."""
    expander = page.get_by_test_id("stExpander").filter(has_text="Each strategy's numbers")
    metrics = expander.get_by_test_id("stMetric").filter(has_text="Expected NPV")
    if not metrics.first.is_visible():
        expander.locator("summary").click()
    metrics.first.wait_for(timeout=60_000)
    return metrics.get_by_test_id("stMetricValue").all_inner_texts()


def shoot(page, path, tall: int = 2400) -> None:
    """The viewport at 1280x720 (what a reader sees first) and, beside it, the whole tab."""
    page.screenshot(path=str(path))
    page.set_viewport_size({"width": 1280, "height": tall})
    page.wait_for_timeout(800)
    page.screenshot(path=str(path.with_name(path.stem + "-full.png")))
    page.set_viewport_size({"width": 1280, "height": 720})


def test_page_loads_and_a_slider_moves_a_chart(server, page, output_dir) -> None:
    from playwright.sync_api import expect

    page.goto(f"{server}/?scenario=open-model-goes-closed&paths=2000&seed=7")
    wait_idle(page)
    page.locator(".js-plotly-plot .main-svg").first.wait_for(timeout=60_000)
    expect(page.get_by_role("tab", name="Overview")).to_be_visible()
    # Above the fold at 1280x720: the recommendation, the compact table and the whole chart.
    assert page.get_by_text("Choose ", exact=False).first.bounding_box()["y"] < 720
    assert page.get_by_test_id("stDataFrame").first.bounding_box()["y"] < 720
    chart = page.locator(".js-plotly-plot").first.bounding_box()
    assert chart["y"] + chart["height"] <= 720, chart
    shoot(page, output_dir / "overview.png")
    chart_before = page.locator(".js-plotly-plot").first.inner_html()
    before = expected_npv(page)
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
    for tab in ("Costs", "Risk", "Sensitivity", "Stress tests", "History", "Compare", "Assumptions",
                "Export"):
        page.get_by_role("tab", name=tab).click()
        wait_idle(page)
        page.wait_for_timeout(1500)
        shoot(page, output_dir / f"tab-{tab.lower().replace(' ', '-')}.png")


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
    page.get_by_role("button", name="Build the workbook, ZIP and board pack").click()
    with page.expect_download(timeout=120_000) as info:
        page.get_by_test_id("stDownloadButton").filter(has_text="Board pack").locator("button").click(
            timeout=120_000)
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
    page.get_by_test_id("stDataFrame").first.wait_for(timeout=60_000)
    first = expected_npv(page)
    other = browser.new_page()
    other.goto(link)
    wait_idle(other)
    other.get_by_test_id("stDataFrame").first.wait_for(timeout=60_000)
    assert expected_npv(other) == first
    import tco
    from tco.format import usd
    from tco.report import apply_nominal

    base = tco.load_scenario(ROOT / "scenarios" / "api-price-shock.yaml")
    table = tco.simulate(apply_nominal(base, {"workload.requests_per_month": 12e6}), paths=1000,
                         seed=11).summary()
    assert first == [usd(v) for v in table["mean"]]
    other.close()


def test_a_table_edit_goes_into_the_link_and_the_link_gives_the_same_numbers(server, page, browser,
                                                                            output_dir) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect

    import tco
    from tco.format import usd
    from tco.ui.edits import apply_edits, table
    from tco.ui.tabs import GRID_ROW_PX

    base = tco.load_scenario(ROOT / "scenarios" / "startup-api-cheaper.yaml")
    row = list(table(base)["input"]).index("workload.cached_input_share")
    editor = page.locator("input.gdg-input")
    plain = {"scenario": "startup-api-cheaper", "paths": "1000", "seed": "4"}
    wanted = {**plain, "workload.cached_input_share": "0.45"}
    # Tall enough that the row's cell is on screen wherever the grid lands.
    page.set_viewport_size({"width": 1280, "height": 1600})
    query: dict[str, str] = {}
    for attempt in range(4):
        # Each attempt from a fresh load of the link, so nothing of a failed one stays. On the CI
        # machine Streamlit's front end has twice reset the seed and one sidebar widget to their
        # defaults (their minimums) during the edit's reruns, the widget reset of
        # streamlit/streamlit#9056; such an attempt is kept as a screenshot and a warning, and
        # the test needs one attempt whose link carries exactly the edit.
        page.goto(f"{server}/?scenario=startup-api-cheaper&paths=1000&seed=4")
        wait_idle(page)
        page.get_by_role("tab", name="Assumptions").click()
        # The Overview has grids too: take the one inside the open Assumptions tab, once drawn.
        panel = page.get_by_role("tabpanel").filter(has_text="Every input of the run")
        grid = panel.get_by_test_id("data-grid-canvas")  # the grid itself, without its toolbar
        grid.wait_for(timeout=60_000)
        wait_idle(page)
        grid.scroll_into_view_if_needed()
        box = grid.bounding_box()
        # The row's Input cell: under the 35 px header, rows of GRID_ROW_PX (tall, so text wraps).
        page.mouse.click(box["x"] + 40, box["y"] + 35 + GRID_ROW_PX * row + GRID_ROW_PX // 2)
        for _ in range(2):  # Input, Low, Value: the value column
            page.keyboard.press("ArrowRight")
        page.keyboard.press("Enter")  # open the cell's editor, then type into it
        try:
            editor.wait_for(timeout=10_000)
        except PlaywrightTimeout:
            continue  # the grid, still settling, did not take the keys
        editor.fill("45")  # the table shows fractions in percent
        editor.press("Enter")
        expect(page).to_have_url(re.compile(r"workload\.cached_input_share=0\.45"), timeout=60_000)
        wait_idle(page)
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(page.url).query))
        if query == wanted:
            break
        shoot(page, output_dir / f"assumptions-edit-attempt-{attempt}.png")
        warnings.warn(f"attempt {attempt}: the link after one table edit was {query}", stacklevel=1)
    # The edit and nothing else: the run's size and seed kept, no other input touched.
    assert query == wanted
    shoot(page, output_dir / "assumptions-after-edit.png")
    link = page.url
    other = browser.new_page(viewport={"width": 1280, "height": 720})
    other.goto(link)
    wait_idle(other)
    expected = tco.simulate(apply_edits(base, {"workload.cached_input_share": 0.45}), paths=1000,
                            seed=4).summary()
    assert expected_npv(other) == [usd(v) for v in expected["mean"]]
    page.get_by_role("tab", name="Overview").click()
    wait_idle(page)
    assert expected_npv(page) == [usd(v) for v in expected["mean"]]
    other.close()


def test_a_bad_link_value_is_named_and_not_applied(server, page) -> None:
    import tco
    from tco.format import usd

    page.goto(f"{server}/?scenario=startup-api-cheaper&paths=1000&seed=4&workload.cached_input_share=1.5")
    wait_idle(page)
    alert = page.get_by_test_id("stAlert").filter(has_text="workload.cached_input_share")
    assert "must be between 0 and 1" in alert.inner_text()
    base = tco.load_scenario(ROOT / "scenarios" / "startup-api-cheaper.yaml")
    plain = tco.simulate(base, paths=1000, seed=4).summary()
    assert expected_npv(page) == [usd(v) for v in plain["mean"]]


def test_embed_mode_has_no_sidebar(server, page, output_dir) -> None:
    page.goto(f"{server}/?scenario=open-model-goes-closed&paths=1000&seed=7&embed=true")
    wait_idle(page)
    page.locator(".js-plotly-plot .main-svg").first.wait_for(timeout=60_000)
    assert page.get_by_test_id("stSidebar").count() == 0
    assert page.get_by_test_id("stFileUploader").count() == 0
    assert page.get_by_role("tab").all_inner_texts() == ["Overview", "Costs", "Risk", "Sensitivity",
                                                        "Stress tests", "History"]
    page.screenshot(path=str(output_dir / "embed.png"))
