"""What a user waits for on the page, in a real browser (Debian's Chromium via Playwright).

    python benchmarks/bench_app.py [paths] [--rounds 5] [--steps 3] [--server tco|streamlit|floor] [--buttons]

Each round starts a fresh server (``python -m tco app`` by default, the README's command: it loads
the kernel and computes the default scenario before it listens; ``--server streamlit`` is plain
``streamlit run app.py``) and waits for its health check: the server is *ready*, and the time and
CPU that took are the setup. Then a fresh browser (empty cache) opens the page at ``paths``
(10,000, the page's default) and the round measures, from there:

- the cold load: navigation until the first chart is drawn and the script has finished (also when
  Streamlit's front end had connected, and when the script had finished: the rest is drawing);
- slider steps: the traffic-growth slider moved one step to a value not seen before (so nothing is
  cached), from the key press until the step's own run has finished, the KPI table (the page's
  first table) shows new numbers and both Overview charts are drawn anew (also when the table and
  the script were done); target 0.3 s at the default path count;
- every other tab's first visit: from the click until the script has finished and the tab shows
  its content; target 1 s each;
- with ``--server floor``, the page's floor instead (``floor_page.py``): the Overview's elements
  drawn by Streamlit with nothing computed, the slider scaling their numbers. Its cold load and
  slider step are what the framework and the browser take on this machine whatever the page
  computes: run it beside the page's figures, in the same minutes (``FLOOR_WITHOUT=charts`` and
  the like, read by the floor page and by this harness, leave parts out);
- with ``--buttons``, in the first round only, the work three tabs do on a button (the Decide tab's
  search, the History tab's replay and calibration, the Export tab's files).

Each figure is printed per round and then as a median with its range over the rounds (slider steps
over all rounds' steps), beside the server's CPU seconds (user + system, from /proc on Linux): on a
shared machine CPU time moves less with the load than wall time does. ``uptime`` is printed first
and last.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import subprocess
import time
from collections import defaultdict
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


def browser_cpu_s(server: int) -> float:
    """CPU seconds used so far by this process's live descendants but the ``server`` process
    (Playwright's driver and the Chromium it started: the browser's side of each figure)."""
    children: dict[int, list[int]] = defaultdict(list)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children[int(fields[1])].append(int(stat.parent.name))
    total, todo = 0.0, [pid for pid in children[os.getpid()] if pid != server]
    while todo:
        pid = todo.pop()
        todo.extend(children[pid])
        used = cpu_s(pid)
        total += 0.0 if math.isnan(used) else used  # a process that just ended counts nothing
    return total


TABS = ("Costs", "Risk", "Sensitivity", "Stress tests", "Decide", "History", "Compare",
        "Assumptions", "Export")
"""The tabs after the Overview, in the page's order."""
BUTTONS = {"Decide": ("Find the cheapest mix", "stPlotlyChart", ""),
           "History": ("Replay the ledger and score the calibration", "stPlotlyChart", ""),
           "Export": ("Build the workbook, ZIP and board pack", "stDownloadButton", "Board pack")}
"""The tabs that compute on a button: its label, and the element (test id, and text where the tab
has others of its kind already) that appears once the work is done."""
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


class Timings:
    """Wall and server CPU seconds by figure, over rounds."""

    def __init__(self) -> None:
        self.wall: dict[str, list[float]] = defaultdict(list)
        self.cpu: dict[str, list[float]] = defaultdict(list)

        self.browser: dict[str, list[float]] = defaultdict(list)

    def add(self, name: str, wall: float, cpu: float, browser: float = float("nan")) -> None:
        self.wall[name].append(wall)
        self.cpu[name].append(cpu)
        self.browser[name].append(browser)
        print(f"  {name}: {wall:.3f} s (server CPU {cpu:.2f} s, browser CPU {browser:.2f} s)", flush=True)

    def report(self) -> None:
        print("\nmedian [min - max] over rounds; server and browser CPU medians")
        for name, walls in self.wall.items():
            print(f"{name}: {statistics.median(walls):.3f} s [{min(walls):.3f} - {max(walls):.3f}] "
                  f"n={len(walls)}; server CPU {statistics.median(self.cpu[name]):.2f} s, "
                  f"browser CPU {statistics.median(self.browser[name]):.2f} s")


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


def cold_load(page, url: str, pid: int, t: Timings) -> None:
    """Navigation to the first chart, with when the front end connected and the script finished."""
    start, cpu, browser = time.perf_counter(), cpu_s(pid), browser_cpu_s(pid)
    page.goto(url)
    page.wait_for_selector('[data-testid="stApp"][data-test-connection-state="CONNECTED"]',
                           state="attached", timeout=120_000)
    connected = time.perf_counter() - start
    page.wait_for_selector(IDLE, state="attached", timeout=120_000)
    page.locator("table").first.wait_for(state="attached", timeout=120_000)  # the KPI table is drawn
    script = time.perf_counter() - start
    if "charts" not in os.environ.get("FLOOR_WITHOUT", ""):  # the floor page without its charts
        page.locator(".js-plotly-plot .main-svg").first.wait_for(timeout=120_000)
    t.add("cold load to the first chart", time.perf_counter() - start, cpu_s(pid) - cpu,
          browser_cpu_s(pid) - browser)
    t.add("  of which: to the front end connected", connected, float("nan"))
    t.add("  of which: to the first table", script, float("nan"))


def settled_text(page, locator) -> str:
    """The locator's text once two reads 100 ms apart agree: the grid behind the KPI table can
    still be redrawing after the script has finished, and a reading taken then made a later step
    look done at once (one 0.012 s step in 15 before this wait)."""
    text = locator.inner_text()
    while True:
        page.wait_for_timeout(100)
        again = locator.inner_text()
        if again == text:
            return text
        text = again


WATCH_RUN = """() => {
    window.tcoStepRan = false;
    window.tcoCharts = document.querySelectorAll('.js-plotly-plot').length;
    document.querySelectorAll('.js-plotly-plot').forEach(p => p.setAttribute('data-tco-old', ''));
    const app = document.querySelector('[data-testid="stApp"]');
    new MutationObserver((changes, observer) => {
        if (app.getAttribute('data-test-script-state') !== 'notRunning') {
            window.tcoStepRan = true;
            observer.disconnect();
        }
    }).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""
"""Marks the page once its script has started to run again, and marks the charts drawn so far: a
step is done only after its own run, once the Overview's charts are drawn anew (Streamlit draws a
plotly chart whose figure changed as a new chart). The grid behind the KPI table can change its
text after a run has finished, and a reading taken then had made two of fifteen steps look done in
0.03-0.05 s, before the server had seen them (server CPU 0.00-0.02 s)."""


def slider_steps(page, pid: int, steps: int, t: Timings) -> None:
    slider = page.get_by_test_id("stSlider").filter(has_text="Traffic growth").get_by_role("slider")
    value = page.locator("table").first  # the KPI table: its numbers move with the slider
    for _ in range(steps):
        before = settled_text(page, value)
        slider.focus()
        page.evaluate(WATCH_RUN)
        start, cpu, browser = time.perf_counter(), cpu_s(pid), browser_cpu_s(pid)
        page.keyboard.press("ArrowRight")
        page.wait_for_function(
            """([before]) => {
                const app = document.querySelector('[data-testid="stApp"]');
                const v = document.querySelector('table');
                return window.tcoStepRan && app.getAttribute('data-test-script-state') === 'notRunning'
                    && v && v.innerText !== before;
            }""", arg=[before], timeout=120_000, polling="raf")
        table = time.perf_counter() - start
        page.wait_for_function(
            """() => {
                const charts = [...document.querySelectorAll('.js-plotly-plot')];
                return charts.length >= window.tcoCharts
                    && charts.every(p => !p.hasAttribute('data-tco-old') && p.querySelector('.main-svg'));
            }""", timeout=120_000, polling="raf")
        t.add("slider step -> fresh charts", time.perf_counter() - start, cpu_s(pid) - cpu,
              browser_cpu_s(pid) - browser)
        t.add("  of which: to the KPI table's new numbers, script done", table, float("nan"))


def first_visits(page, pid: int, t: Timings, buttons: bool) -> None:
    """Each tab's first visit (target 1 s), then the work behind its button where asked."""
    for tab in TABS:
        start, cpu, browser = time.perf_counter(), cpu_s(pid), browser_cpu_s(pid)
        page.get_by_role("tab", name=tab).click()
        settled(page, tab)
        t.add(f"{tab} tab first visit", time.perf_counter() - start, cpu_s(pid) - cpu,
              browser_cpu_s(pid) - browser)
        panel = page.get_by_role("tabpanel", name=tab)
        if buttons and tab in BUTTONS and panel.get_by_role("button", name=BUTTONS[tab][0]).count():
            label, done, text = BUTTONS[tab]
            start, cpu = time.perf_counter(), cpu_s(pid)
            panel.get_by_role("button", name=label).click()
            panel.get_by_test_id(done).filter(has_text=text).first.wait_for(timeout=300_000)
            page.wait_for_selector(IDLE, state="attached", timeout=300_000)
            t.add(f"  {tab}: '{label}' on demand", time.perf_counter() - start, cpu_s(pid) - cpu)


def main() -> None:
    cli = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    cli.add_argument("paths", nargs="?", type=int, default=10_000)
    cli.add_argument("--rounds", type=int, default=5, help="fresh servers and browsers")
    cli.add_argument("--steps", type=int, default=3, help="slider steps per round")
    cli.add_argument("--server", choices=("tco", "streamlit", "floor"), default="tco",
                     help="floor: the Overview's elements with nothing computed (floor_page.py)")
    cli.add_argument("--buttons", action="store_true", help="time the tabs' buttons in round 1")
    args = cli.parse_args()
    print(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(), flush=True)
    t = Timings()
    query = f"/?scenario=open-model-goes-closed&paths={args.paths}&seed=7"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for round_ in range(args.rounds):
            print(f"round {round_ + 1} of {args.rounds} ({args.server} server, {args.paths:,} paths)")
            start = time.perf_counter()
            server, url = start_app(server=args.server)
            t.add("setup: start to ready", time.perf_counter() - start, cpu_s(server.pid))
            try:
                context = browser.new_context(viewport={"width": 1280, "height": 720})  # empty cache
                page = context.new_page()
                cold_load(page, url + query, server.pid, t)
                slider_steps(page, server.pid, args.steps, t)
                if args.server != "floor":  # the floor draws the Overview only
                    first_visits(page, server.pid, t, args.buttons and round_ == 0)
                context.close()
            finally:
                server.terminate()
                server.wait(timeout=20)
        browser.close()
    t.report()
    print(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


if __name__ == "__main__":
    main()
