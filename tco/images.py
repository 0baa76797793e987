"""Static PNG and SVG of a figure through kaleido and a system Chromium.

kaleido 1.x drives an installed Chrome or Chromium (Debian's ``chromium`` here). One rendering
server is started per process on first use; without a browser the functions raise
``ImageExportUnavailable`` quickly and the page shows a note instead of the buttons.
"""

from __future__ import annotations

import os
import shutil
import threading
import warnings

import plotly.graph_objects as go
import plotly.io as pio

WIDTH_PX, HEIGHT_PX, SCALE = 1200, 675, 2
_lock = threading.Lock()
_server_started = False


class ImageExportUnavailable(RuntimeError):
    """No browser for kaleido on this machine."""


def browser_path() -> str | None:
    for candidate in (os.environ.get("BROWSER_PATH"), shutil.which("chromium"),
                      shutil.which("chromium-browser"), shutil.which("google-chrome")):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


def _ensure_server() -> None:
    global _server_started
    if _server_started:
        return
    path = browser_path()
    if path is None:
        raise ImageExportUnavailable("image export needs Chromium (apt-get install chromium)")
    os.environ.setdefault("BROWSER_PATH", path)
    import kaleido  # noqa: PLC0415 - only image export needs it

    # MathJax would be fetched from a CDN; the figures use no LaTeX.
    kaleido.start_sync_server(mathjax=False, silence_warnings=True)
    _server_started = True


def figure_bytes(fig: go.Figure, fmt: str, width: int = WIDTH_PX, height: int = HEIGHT_PX) -> bytes:
    """Render ``fig`` as 'png' or 'svg' bytes."""
    with _lock:
        _ensure_server()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "kopts is ignored when using a server"
            try:
                return pio.to_image(fig, format=fmt, width=width, height=height,
                                    scale=SCALE if fmt == "png" else 1)
            except RuntimeError as exc:
                raise ImageExportUnavailable(str(exc).splitlines()[0]) from exc
