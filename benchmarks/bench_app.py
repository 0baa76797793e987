"""Time from a slider change to fresh charts, in a real browser (Debian's Chromium via Playwright).

    python benchmarks/bench_app.py [paths]

Starts the app on a free port, opens it at the page's default 10,000 paths (or ``paths``), then
moves the traffic-growth slider one step at a time to values not seen before (so nothing is
cached) and measures from the key press until the first chart has been redrawn with the new numbers
and the script has finished (the KPI table, the first table on the page, shows other numbers).
Prints the cold load (navigation to the first chart, kernel already compiled) and each slider step
with their median, each with the server's CPU seconds (user + system, from /proc on Linux): on a
shared machine CPU time moves less with the load than wall time does. Target: 0.3 s at the
default path count. Then every other tab's first visit (target 1 s each: from the click until the
script has finished and the tab shows its content), and the work three tabs do on a button: the
Decide tab's search, the History tab's replay and calibration, and the Export tab's workbook, ZIP
and board pack.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

from appserver import ARGS, start_app
from playwright.sync_api import sync_playwright


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) process ``pid`` has used so far; NaN where /proc is missing."""
    stat = Path(f"/proc/{pid}/stat")
    if not stat.exists():
        return float("nan")
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


TABS = ("Costs", "Risk", "Sensitivity", "Stress tests", "Decide", "History", "Compare",
        "Assumptions", "Export")
"""The tabs after the Overview, in the page's order."""
BUTTONS = {"Decide": ("Find the cheapest mix", "stPlotlyChart", ""),
           "History": ("Replay the ledger and score the calibration", "stPlotlyChart", ""),
           "Export": ("Build the workbook, ZIP and board pack", "stDownloadButton", "Board pack")}
"""The tabs that compute on a button: its label, and the element (test id, and text where the tab
has others of its kind already) that appears once the work is done."""


def settled(page, tab: str) -> None:
    """Wait until the script has finished and ``tab``'s panel shows something (a tab never opened
    is empty until its first run draws it, so the state read before that run starts is no answer)."""
    page.wait_for_function(
        """([tab]) => {
            const app = document.querySelector('[data-testid="stApp"]');
            const panel = [...document.querySelectorAll('[role="tabpanel"]')]
                .find(p => p.getAttribute('aria-labelledby') &&
                      document.getElementById(p.getAttribute('aria-labelledby'))?.innerText.trim() === tab);
            return app.getAttribute('data-test-script-state') === 'notRunning' && panel
                && panel.innerText.trim().length > 0;
        }""", arg=[tab], timeout=300_000, polling=50)


def first_visits(page, pid: int) -> None:
    """Each tab's first visit (target 1 s), then the work behind its button where it has one."""
    for tab in TABS:
        start, cpu = time.perf_counter(), cpu_s(pid)
        page.get_by_role("tab", name=tab).click()
        settled(page, tab)
        print(f"{tab} tab first visit: {time.perf_counter() - start:.2f} s "
              f"(server CPU {cpu_s(pid) - cpu:.2f} s)")
        panel = page.get_by_role("tabpanel", name=tab)
        if tab in BUTTONS and panel.get_by_role("button", name=BUTTONS[tab][0]).count():
            label, done, text = BUTTONS[tab]
            start, cpu = time.perf_counter(), cpu_s(pid)
            panel.get_by_role("button", name=label).click()
            panel.get_by_test_id(done).filter(has_text=text).first.wait_for(timeout=300_000)
            page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]',
                                   state="attached", timeout=300_000)
            print(f"  {tab}: '{label}' on demand: {time.perf_counter() - start:.2f} s "
                  f"(server CPU {cpu_s(pid) - cpu:.2f} s)")


def main() -> None:
    paths = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    server, url = start_app()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            start, cpu = time.perf_counter(), cpu_s(server.pid)
            page.goto(f"{url}/?scenario=open-model-goes-closed&paths={paths}&seed=7")
            page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]',
                                   state="attached", timeout=120_000)
            page.locator(".js-plotly-plot .main-svg").first.wait_for(timeout=120_000)
            print(f"cold load to the first chart: {time.perf_counter() - start:.2f} s (server up, kernel "
                  f"compiled); server CPU {cpu_s(server.pid) - cpu:.2f} s")
            slider = page.get_by_test_id("stSlider").filter(has_text="Traffic growth").get_by_role("slider")
            value = page.locator("table").first  # the KPI table: its numbers move with the slider
            times, cpus = [], []
            for _ in range(8):
                before = value.inner_text()
                slider.focus()
                start, cpu = time.perf_counter(), cpu_s(server.pid)
                page.keyboard.press("ArrowRight")
                page.wait_for_function(
                    """([before]) => {
                        const app = document.querySelector('[data-testid="stApp"]');
                        const v = document.querySelector('table');
                        return app.getAttribute('data-test-script-state') === 'notRunning'
                            && v && v.innerText !== before;
                    }""", arg=[before], timeout=120_000, polling="raf")
                times.append(time.perf_counter() - start)
                cpus.append(cpu_s(server.pid) - cpu)
                print(f"slider step -> fresh charts: {times[-1]:.3f} s (server CPU {cpus[-1]:.3f} s)")
            print(f"median {statistics.median(times):.3f} s over {len(times)} changes at {paths:,} paths; "
                  f"server CPU median {statistics.median(cpus):.3f} s, {sum(cpus):.2f} s for all {len(cpus)}")
            first_visits(page, server.pid)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
