"""Time from a slider change to fresh charts, in a real browser (Debian's Chromium via Playwright).

    python benchmarks/bench_app.py [paths]

Starts the app on a free port, opens it at the page's default 10,000 paths (or ``paths``), then
moves the traffic-growth slider one step at a time to values not seen before (so nothing is
cached) and measures from the key press until the first chart has been redrawn with the new numbers
and the script has finished. Prints each figure and the median. Target: 0.5 s at the default path
count.
"""

from __future__ import annotations

import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage"]


def main() -> None:
    paths = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
                               "--server.port", str(port), "--server.address", "127.0.0.1",
                               "--server.headless", "true"], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            page.goto(f"http://127.0.0.1:{port}/?scenario=open-model-goes-closed&paths={paths}&seed=7")
            page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]',
                                   state="attached", timeout=120_000)
            page.locator(".js-plotly-plot .main-svg").first.wait_for(timeout=120_000)
            slider = page.get_by_test_id("stSlider").filter(has_text="Traffic growth").get_by_role("slider")
            value = page.get_by_test_id("stMetricValue").first
            times = []
            for _ in range(8):
                before = value.inner_text()
                slider.focus()
                start = time.perf_counter()
                page.keyboard.press("ArrowRight")
                page.wait_for_function(
                    """([before]) => {
                        const app = document.querySelector('[data-testid="stApp"]');
                        const v = document.querySelector('[data-testid="stMetricValue"]');
                        return app.getAttribute('data-test-script-state') === 'notRunning'
                            && v && v.innerText !== before;
                    }""", arg=[before], timeout=120_000, polling="raf")
                times.append(time.perf_counter() - start)
                print(f"slider step -> fresh charts: {times[-1]:.3f} s ({before} -> {value.inner_text()})")
            print(f"median {statistics.median(times):.3f} s over {len(times)} changes at {paths:,} paths")
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
