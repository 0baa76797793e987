"""Image export when the browser misbehaves, and the browser's isolation from the network.

A browser that exits or hangs gives one line within the timeout (and is killed), a render that
hangs is abandoned without holding any lock, the page says so instead of spinning, and Chromium
runs with the flags that keep it off the network.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import plotly.graph_objects as go
import pytest
from streamlit.testing.v1 import AppTest

from tco import images
from tco.images import ImageExportUnavailable, figure_bytes
from tests.conftest import ROOT

FIG = go.Figure(go.Bar(x=["a", "b"], y=[1, 2]))
needs_chromium = pytest.mark.skipif(images.browser_path() is None, reason="image export needs Chromium")


@pytest.fixture
def fresh(monkeypatch):
    """The module as if no browser had started in this process (the real one is put back after)."""
    monkeypatch.setattr(images, "_browser", None)
    monkeypatch.setattr(images, "_server_started", False)
    monkeypatch.setattr(images, "_failure", None)
    return monkeypatch


def fake_browser(folder: Path, body: str) -> str:
    path = folder / "chromium"
    path.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    path.chmod(0o755)
    return str(path)


def gone(pid: int, within_s: float = 5.0) -> bool:
    """True once process ``pid`` has ended (a zombie counts as ended)."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.05)
    return False


def test_a_browser_that_exits_gives_one_line_quickly(fresh, tmp_path) -> None:
    fresh.setenv("BROWSER_PATH", fake_browser(tmp_path, "exit 1"))
    started = time.monotonic()
    with pytest.raises(ImageExportUnavailable, match=r"^Chromium \(.*chromium\) failed to start"):
        figure_bytes(FIG, "png")
    assert time.monotonic() - started < images.START_TIMEOUT_S
    # Within RETRY_AFTER_S the next request gets the same answer at once, without a new browser.
    started = time.monotonic()
    with pytest.raises(ImageExportUnavailable, match="failed to start"):
        figure_bytes(FIG, "svg")
    assert time.monotonic() - started < 0.5


def test_a_browser_that_hangs_gives_one_line_within_the_timeout_and_is_killed(fresh, tmp_path) -> None:
    pid_file = tmp_path / "pid"
    fresh.setenv("BROWSER_PATH", fake_browser(tmp_path, f"echo $$ > {pid_file}; exec sleep 600"))
    fresh.setattr(images, "START_TIMEOUT_S", 2.0)
    started = time.monotonic()
    with pytest.raises(ImageExportUnavailable, match=r"^Chromium \(.*\) did not start within 2 s$"):
        figure_bytes(FIG, "png")
    assert time.monotonic() - started < 2.0 + 1.5
    assert gone(int(pid_file.read_text()))
    assert not images._start_lock.locked()


def test_a_hung_render_is_abandoned_and_holds_no_lock(fresh) -> None:
    stand_in = subprocess.Popen(["sleep", "60"], start_new_session=True)  # plays the browser process

    class Stalled:
        subprocess = stand_in

        async def calc_fig(self, fig, opts):
            await asyncio.sleep(60)

        async def close(self):
            return None

    browser = images._Browser("/nonexistent")
    browser.kaleido = Stalled()
    fresh.setattr(images, "_browser", browser)
    fresh.setattr(images, "_server_started", True)
    fresh.setattr(images, "RENDER_TIMEOUT_S", 1.0)
    outcomes: list[tuple[str, float]] = []

    def render() -> None:
        started = time.monotonic()
        with pytest.raises(ImageExportUnavailable) as info:
            figure_bytes(FIG, "png")
        outcomes.append((str(info.value), time.monotonic() - started))

    threads = [threading.Thread(target=render) for _ in range(3)]
    for thread in threads:
        thread.start()
    time.sleep(0.3)
    assert not images._start_lock.locked()  # three renders in flight, no lock held
    for thread in threads:
        thread.join(10)
    assert [m for m, _ in outcomes] == ["rendering took longer than 1 s"] * 3
    assert all(seconds < 2.5 for _, seconds in outcomes)  # concurrent, not one after the other
    assert stand_in.wait(5) is not None  # the unresponsive browser was killed
    assert images._browser is None  # and the next render starts a fresh one


def test_the_export_tab_says_so_when_chromium_fails(fresh, tmp_path) -> None:
    fresh.setenv("BROWSER_PATH", fake_browser(tmp_path, "exit 1"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.query_params.update(scenario="startup-api-cheaper", paths="1000", seed="424242")
    at.run()
    at.session_state["view"] = "Export"
    at.run()
    at.button(key="render_images").click().run()
    assert not at.exception, [e.value for e in at.exception]
    notes = [i.value for i in at.info if i.value.startswith("Image export is unavailable here")]
    assert len(notes) == 1 and "failed to start" in notes[0], [i.value for i in at.info]


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        found += (kids := children.get(todo.pop(), []))
        todo += kids
    return found


@needs_chromium
def test_chromium_runs_with_the_no_egress_flags_and_local_plotly() -> None:
    assert figure_bytes(FIG, "svg").lstrip().startswith(b"<svg")
    browser = images._browser
    command_lines = []
    for pid in descendants(browser.process.pid):
        try:
            command_lines.append(Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0"))
        except OSError:
            continue
    main = [c for c in command_lines if "--remote-debugging-pipe" in c]
    assert len(main) == 1, command_lines
    missing = [flag for flag in images.NO_EGRESS_FLAGS if flag not in main[0]]
    assert not missing
    # The page kaleido renders in (a local file) loads plotly.js from a file, nothing from the web.
    assert browser.kaleido._index.startswith("file:///")
    index = Path(browser.kaleido._index.removeprefix("file://")).read_text(encoding="utf-8")
    sources = re.findall(r'src="([^"]+)"', index)
    assert any(s.endswith("plotly.min.js") for s in sources), sources
    local = [s for s in sources if s.startswith("file:///") or (s.startswith("/") and Path(s).is_file())]
    assert local == sources


@needs_chromium
@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("unshare") is None, reason="needs root and unshare")
def test_a_render_works_without_any_network() -> None:
    """In a network namespace with no interface at all, a render still completes."""
    code = ("import plotly.graph_objects as go; from tco import images; "
            "print(images.figure_bytes(go.Figure(go.Bar(y=[1, 2])), 'svg')[:4])")
    out = subprocess.run(["unshare", "--net", sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    if "Operation not permitted" in out.stderr:
        pytest.skip("network namespaces are not allowed here")
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "b'<svg'"


PROBE = ("2001:4860:4860::8888", 443)
"""Chromium's IPv6 reachability probe (net/dns/host_resolver_manager.cc): a UDP connect, no packet."""


def _connects(log: str) -> list[tuple[str, str, str, int, str]]:
    """(pid, socket type, address, port, result) of every IP connect() in an strace log of
    socket and connect calls, each socket's type taken from the call that made it."""
    kinds: dict[tuple[str, str], str] = {}
    found = []
    for line in log.splitlines():
        pid, _, call = line.partition(" ")
        made = re.match(r"socket\(AF_INET6?, (SOCK_\w+).*\) = (\d+)", call)
        if made:
            kinds[(pid, made.group(2))] = made.group(1)
            continue
        conn = re.match(r"connect\((\d+), \{sa_family=AF_INET6?, sin6?_port=htons\((\d+)\).*?"
                        r"inet_(?:pton\(AF_INET6?, |addr\()\"([^\"]+)\".*\) = (.*)$", call)
        if conn:
            fd, port, address, result = conn.groups()
            found.append((pid, kinds.get((pid, fd), "?"), address, int(port), result))
    return found


@needs_chromium
@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("unshare") is None or shutil.which("strace") is None,
                    reason="needs root, unshare and strace")
def test_chromium_connects_to_nothing_off_the_machine(tmp_path: Path) -> None:
    """Every connect() of a PNG render, traced in a network namespace: only loopback, and the one
    UDP reachability probe no switch turns off (see tco.images), which sends no packet. The
    start page (Debian's web search) and update checks to Google are gone."""
    log = tmp_path / "connect.log"
    code = ("import plotly.graph_objects as go; from tco import images; "
            "print(len(images.figure_bytes(go.Figure(go.Bar(y=[1, 2])), 'png')) > 1000)")
    out = subprocess.run(["unshare", "--net", "strace", "-f", "-qq", "-e", "trace=socket,connect", "-o",
                          str(log), sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         timeout=180)
    if "Operation not permitted" in out.stderr:
        pytest.skip("network namespaces or ptrace are not allowed here")
    assert out.returncode == 0 and out.stdout.strip() == "True", out.stderr[-2000:]
    connects = _connects(log.read_text())
    off_machine = [c for c in connects if not c[2].startswith(("127.", "::1", "0.0.0.0"))]
    unexpected = [c for c in off_machine if (c[2], c[3]) != PROBE or c[1] != "SOCK_DGRAM"]
    assert unexpected == [], unexpected
    assert len(off_machine) <= 1, off_machine  # the probe runs once per browser
    assert "SOCK_STREAM" not in {c[1] for c in off_machine}


def test_the_connect_parser_reads_strace_lines() -> None:
    log = ('7 socket(AF_INET6, SOCK_DGRAM|SOCK_CLOEXEC, IPPROTO_IP) = 27\n'
           '7 connect(27, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), '
           'inet_pton(AF_INET6, "2001:4860:4860::8888", &sin6_addr), sin6_scope_id=0}, 28) = -1 '
           'EADDRNOTAVAIL (Cannot assign requested address)\n'
           '8 socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) = 5\n'
           '8 connect(5, {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("93.184.215.14")}, 16) '
           '= -1 ENETUNREACH (Network is unreachable)\n'
           '8 connect(6, {sa_family=AF_UNIX, sun_path="/tmp/x"}, 110) = 0\n')
    assert _connects(log) == [("7", "SOCK_DGRAM", "2001:4860:4860::8888", 443,
                               "-1 EADDRNOTAVAIL (Cannot assign requested address)"),
                              ("8", "SOCK_STREAM", "93.184.215.14", 80,
                               "-1 ENETUNREACH (Network is unreachable)")]


def test_exports_carry_a_footer_with_the_run_and_escape_it() -> None:
    """The footer strip (scenario, date, paths, seed, price snapshot) is drawn under the chart in PNG
    and written, escaped, into SVG; no browser is needed to check it."""
    import io

    from PIL import Image

    footer = "My <b>plan</b> & co | 2026-11-22 | 10,000 paths, seed 7 | genai-prices 0.2.3"
    svg = images._svg_footer(b'<?xml version="1.0"?><svg width="100" height="50"></svg>', footer, 100, 80)
    text = svg.decode()
    assert text.startswith("<svg") and 'height="80"' in text and "<?xml" not in text
    assert "My &lt;b&gt;plan&lt;/b&gt; &amp; co | 2026-11-22 | 10,000 paths, seed 7" in text
    chart = io.BytesIO()
    Image.new("RGB", (200, 100), "red").save(chart, format="PNG")
    png = Image.open(io.BytesIO(images._png_footer(chart.getvalue(), footer, 100, 80)))
    assert png.size == (200, 160)  # scale 2: 80 px tall becomes 160
    strip = png.crop((0, 100, 200, 160))
    assert strip.getextrema() != ((255, 255), (255, 255), (255, 255)), "the footer text is drawn"
    assert png.getpixel((10, 10)) == (255, 0, 0)
