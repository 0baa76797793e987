"""Eight browser sessions on one server for a minute: errors, reruns and the server's memory.

    python benchmarks/bench_sessions.py [sessions] [seconds]

Starts the app on a free port, opens ``sessions`` (8) pages in Debian's Chromium at once, each on a
different link (scenario, seed and path count), waits until every page has drawn its charts, then
for ``seconds`` (60) has every page move a sidebar slider one step at a time and wait for the rerun
to finish (back and forth over four values, see ``STEPS``). Counts reruns and errors (a
Streamlit exception box, an error message, a page error or a failed wait) per session, and samples
the server's resident memory every second. Prints the samples and the plateau: the mean of the last
third of the run next to the mean of the middle third (a leak shows as a rising last third).
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import time
from pathlib import Path

from appserver import ARGS, start_app
from playwright.async_api import async_playwright

LINKS = [f"scenario={s}&paths={p}&seed={seed}" for s, p, seed in [
    ("open-model-goes-closed", 1000, 1), ("api-price-shock", 1000, 2), ("licence-threshold", 2000, 3),
    ("open-release-slips", 1000, 4), ("own-fine-tuning", 1000, 5), ("partial-open-release", 2000, 6),
    ("regulated-in-house", 1000, 7), ("startup-api-cheaper", 5000, 8)]]
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
STEPS = 3
"""Each session moves its slider back and forth over four values: the first pass computes them, the
rest are the steady state of people comparing a few settings (the page's caches are bounded in
bytes, about 900 MB, so endless new values would plateau only once they fill)."""


def rss_mib(pid: int) -> float:
    """Resident memory of a process, MiB (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def session(browser, base: str, link: str, loaded: asyncio.Barrier, stats: dict,
                  seconds: float) -> None:
    context = await browser.new_context(viewport={"width": 1440, "height": 1000})
    page = await context.new_page()
    page.on("pageerror", lambda exc: stats["errors"].append(f"page error: {exc}"))
    try:
        await page.goto(f"{base}/?{link}", timeout=180_000)
        await page.wait_for_selector(IDLE, state="attached", timeout=180_000)
        await page.locator(".js-plotly-plot .main-svg").first.wait_for(timeout=180_000)
        slider = page.get_by_test_id("stSlider").first.get_by_role("slider")
        direction = "ArrowRight"
    except Exception as exc:  # noqa: BLE001 - counted and printed
        stats["errors"].append(f"loading: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
    await loaded.wait()
    until = time.monotonic() + seconds
    try:
        while not stats["errors"] and time.monotonic() < until:
            await slider.focus()
            await page.keyboard.press(direction)
            await asyncio.sleep(0.3)  # let the rerun start before waiting for its end
            await page.wait_for_selector(IDLE, state="attached", timeout=180_000)
            stats["reruns"] += 1
            if await page.get_by_test_id("stException").count():
                stats["errors"].append("Streamlit exception box")
            if await page.get_by_test_id("stAlertContentError").count():
                stats["errors"].append("error message: " + (await page.get_by_test_id(
                    "stAlertContentError").first.inner_text())[:200])
            if stats["reruns"] % STEPS == 0:  # back and forth over STEPS + 1 values
                direction = "ArrowLeft" if direction == "ArrowRight" else "ArrowRight"
    except Exception as exc:  # noqa: BLE001 - counted and printed
        stats["errors"].append(f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
    finally:
        await context.close()


async def drive(base: str, sessions: int, seconds: float, pid: int) -> tuple[list[dict], list[float]]:
    samples: list[float] = []
    stats = [{"link": LINKS[i % len(LINKS)], "reruns": 0, "errors": []} for i in range(sessions)]
    loaded = asyncio.Barrier(sessions + 1)

    async def sample() -> None:
        await loaded.wait()
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            samples.append(rss_mib(pid))
            await asyncio.sleep(1.0)

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        await asyncio.gather(sample(), *(session(browser, base, s["link"], loaded, s, seconds)
                                         for s in stats))
        await browser.close()
    return stats, samples


def main() -> None:
    sessions = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 60.0
    server, url = start_app(subprocess.PIPE)
    try:
        idle = rss_mib(server.pid)
        start = time.monotonic()
        stats, samples = asyncio.run(drive(url, sessions, seconds, server.pid))
    finally:
        server.terminate()
        try:
            _, log = server.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            _, log = server.communicate()
    print(f"{sessions} sessions for {seconds:.0f} s on one server, after all had loaded (whole run "
          f"{time.monotonic() - start:.0f} s; Python {sys.version.split()[0]})")
    for s in stats:
        print(f"  {s['link']:<58} reruns {s['reruns']:>4}  errors {len(s['errors'])}")
        for error in s["errors"][:5]:
            print(f"    {error}")
    tracebacks = log.count("Traceback")
    print(f"errors in sessions: {sum(len(s['errors']) for s in stats)}; tracebacks in the server log: "
          f"{tracebacks}")
    print(f"server RSS, MiB: idle {idle:.0f}; samples (1 s) {' '.join(f'{x:.0f}' for x in samples)}")
    third = max(1, len(samples) // 3)
    middle, last = samples[third:2 * third], samples[-third:]
    print(f"server RSS plateau: peak {max(samples):.0f} MiB; middle third mean "
          f"{statistics.fmean(middle):.0f} MiB; last third mean {statistics.fmean(last):.0f} MiB "
          f"(min {min(last):.0f}, max {max(last):.0f})")


if __name__ == "__main__":
    main()
