"""The page on a free local port, and the Chromium flags, for the benchmarks that drive a browser."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage"]
"""Debian's Chromium, headless, with no traffic off the machine."""
SERVERS = {"tco": [sys.executable, "-m", "tco", "app", "--"],
           "streamlit": [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py")],
           "floor": [sys.executable, str(ROOT / "benchmarks" / "floor_page.py"), "serve"]}
"""How the page is served: ``python -m tco app`` (warmed before it listens, the README's command)
or plain ``streamlit run app.py`` (warmed by its first visit); or the page's floor, the Overview's
elements drawn with nothing computed (``floor_page.py``)."""


def start_app(stderr: int = subprocess.DEVNULL, wait_s: float = 120.0,
              server: str = "streamlit") -> tuple[subprocess.Popen, str]:
    """Start the page on a free port with ``server`` (a key of ``SERVERS``) and wait for its
    health check: (process, URL)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen([*SERVERS[server],
                                "--server.port", str(port), "--server.address", "127.0.0.1",
                                "--server.headless", "true", "--browser.gatherUsageStats", "false",
                                "--server.fileWatcherType", "none"], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=stderr, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)
            break
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(f"the page server exited with status {process.returncode}") from None
            time.sleep(0.05)
    return process, url
