"""The History tab in Debian's Chromium: the replay's chart, tables and calibration render.

Uses the page server and browser settings of ``tests/test_browser.py`` (skipped where Chromium is
missing); screenshots go to ``$E2E_OUT`` (default ``test-output/``).
"""

from __future__ import annotations

import re

from tco.ui.history_tab import RUN_LABEL
from tests.test_browser import (  # noqa: F401 - fixtures pytest finds by name, and the same marks
    browser_context_args,
    browser_type_launch_args,
    pytestmark,
    server,
    shoot,
    wait_idle,
)


def test_the_history_tab_draws_the_replay_and_the_calibration(server, page, output_dir) -> None:  # noqa: F811
    from playwright.sync_api import expect

    page.goto(f"{server}/?scenario=api-price-shock&paths=1000&seed=4")
    wait_idle(page)
    page.get_by_role("tab", name="History").click()
    wait_idle(page, timeout=180_000)
    panel = page.get_by_role("tabpanel", name="History")
    expect(panel.get_by_text("Replay from")).to_be_visible(timeout=60_000)
    # The first visit replays nothing: the options with no history are named, then the button.
    expect(panel.get_by_text("No history to replay for gemini")).to_be_visible()
    assert panel.locator(".js-plotly-plot").count() == 0
    panel.get_by_role("button", name=RUN_LABEL).click()
    chart = panel.locator(".js-plotly-plot").first
    chart.wait_for(timeout=120_000)
    # The title names the window, each panel a strategy and its percentile, and the legend the
    # realised line: the replay was drawn, not an empty frame.
    expect(chart).to_contain_text("Realised cost against 1,000 simulated futures", timeout=60_000)
    # gemini-only uses only the two API options with no history: its path is no validation.
    expect(chart).to_contain_text("gemini-only: no history to replay")
    for strategy in ("multi-vendor", "mostly-self-hosted"):
        expect(chart).to_contain_text(f"{strategy}: realised at P")
    expect(chart).to_contain_text("Realised: the ledger's events replayed")
    assert chart.locator("path.js-line").count() >= 3 * 2  # a median and a realised line per strategy
    expect(panel.get_by_text("No history to replay for gemini")).to_be_visible()
    expect(panel.get_by_text("as of 2026-11-09")).to_be_visible()
    # Realised NPVs, the events (a grid clipped their Note and Source at 1280 px), calibration and
    # out of sample are static tables that wrap; each event's source is a link named by its site.
    tables = panel.get_by_test_id("stTable")
    expect(tables).to_have_count(4, timeout=180_000)
    expect(panel.get_by_test_id("stDataFrame")).to_have_count(0)
    expect(tables.nth(0)).to_contain_text("Percentile of the realised NPV")
    expect(tables.nth(1)).to_contain_text("What happened")
    expect(tables.nth(1).get_by_role("link").first).to_have_attribute("href", re.compile(r"^https?://"))
    expect(tables.nth(2)).to_contain_text("Inside simulated P5-P95")
    expect(tables.nth(3)).to_contain_text("ledger events before 2025-01")
    for table in tables.all():  # nothing runs past the panel's right edge
        assert table.bounding_box()["x"] + table.bounding_box()["width"] <= (
            panel.bounding_box()["x"] + panel.bounding_box()["width"] + 1)
    assert "Traceback" not in page.content()
    shoot(page, output_dir / "tab-history.png", tall=3000)

