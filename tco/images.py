"""Static PNG and SVG of a figure through kaleido and a system Chromium.

kaleido 1.x drives an installed Chrome or Chromium (Debian's ``chromium`` here). One browser is
started per process on first use, on an event-loop thread of its own; renders from every session
share it (kaleido queues them for its tab) and no lock is held while one renders, only while the
browser starts. Every wait is bounded: a browser that does not start within ``START_TIMEOUT_S`` or
a render that takes longer than ``RENDER_TIMEOUT_S`` raises ``ImageExportUnavailable`` with one line
instead of hanging, and after a failed start the next ``RETRY_AFTER_S`` seconds of requests get the
same answer at once rather than each waiting for a browser that will not come.

The browser needs no network and is kept off it: plotly.js is loaded from the installed plotly
package (not a CDN), MathJax is off, and Chromium starts with ``NO_EGRESS_FLAGS``: no background
networking, component updates, field trials, sync, metrics, pings, phishing or DNS prefetch, every
host name resolves to nothing and any request left over goes to a closed local port. It opens on
``about:blank`` (Debian's start page is a web search) and is started as Debian's real binary, not
through the ``/usr/bin/chromium`` wrapper, which adds ``--enable-remote-extensions``.

What is left, traced under a network namespace (``tests/test_images.py``): Chromium 156 still
schedules an on-demand component check, sent to the closed local port, and resolving that address
makes its host resolver run its IPv6 reachability probe once: a UDP ``connect()`` to
2001:4860:4860::8888 port 443, which sends no packet (a UDP connect only picks a route) and fails
where there is no network. No switch turns the probe off in this version; no TCP connection and no
datagram leave the machine.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import html
import io
import logging
import os
import re
import shutil
import signal
import threading
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import plotly
import plotly.graph_objects as go

WIDTH_PX, HEIGHT_PX, SCALE = 1200, 675, 2
START_TIMEOUT_S = 30.0
RENDER_TIMEOUT_S = 30.0
RETRY_AFTER_S = 60.0
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
NO_EGRESS_FLAGS = (
    "--disable-background-networking", "--disable-component-update", "--disable-field-trial-config",
    "--disable-sync", "--no-first-run", "--disable-default-apps", "--metrics-recording-only",
    "--disable-domain-reliability", "--disable-client-side-phishing-detection", "--no-pings",
    "--disable-breakpad", "--disable-crash-reporter", "--no-default-browser-check",
    "--no-service-autorun", "--dns-prefetch-disable", "--disable-extensions",
    "--disable-features=OptimizationHints,MediaRouter,DialMediaRouteProvider,Translate,"
    "AutofillServerCommunication,CertificateTransparencyComponentUpdater,SafeBrowsing,"
    "InterestFeedContentSuggestions,NetworkTimeServiceQuerying",
    "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=http://127.0.0.1:9",
    "--component-updater=url-source=http://127.0.0.1:9/",
)
START_PAGE = "about:blank"
"""The first tab's address: without one, Debian's Chromium opens its start page, a web search."""
DEBIAN_WRAPPER, DEBIAN_BINARY = "/usr/bin/chromium", "/usr/lib/chromium/chromium"

_log = logging.getLogger(__name__)
_start_lock = threading.Lock()  # held while a browser starts, never while one renders
_server_started = False
_browser: _Browser | None = None
_failure: tuple[float, str] | None = None  # (monotonic time, message) of the last failed start


class ImageExportUnavailable(RuntimeError):
    """No browser for kaleido on this machine, or it did not start or answer in time."""


def browser_path() -> str | None:
    for candidate in (os.environ.get("BROWSER_PATH"), shutil.which("chromium"),
                      shutil.which("chromium-browser"), shutil.which("google-chrome")):
        if candidate and os.path.exists(candidate):
            if os.path.realpath(candidate) == DEBIAN_WRAPPER and os.access(DEBIAN_BINARY, os.X_OK):
                return DEBIAN_BINARY  # the wrapper's /etc/chromium.d flags turn extension updates on
            return candidate
    return None


def _chromium_class() -> type:
    """choreographer's Chromium launcher with ``NO_EGRESS_FLAGS`` added to its command line
    (kaleido passes extra keyword arguments through to choreographer, which takes ``browser_cls``)."""
    from choreographer.browsers.chromium import Chromium  # noqa: PLC0415 - only image export needs it

    class QuietChromium(Chromium):
        def get_cli(self) -> list[str]:
            return [*super().get_cli(), *NO_EGRESS_FLAGS, START_PAGE]

    return QuietChromium


class _Browser:
    """One kaleido (one Chromium) on an asyncio loop in a daemon thread; ``call`` waits with a timeout."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.kaleido: Any = None
        self.stopped = False
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, name="tco-image-export", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.loop.run_forever()
        finally:  # stopped: cancel what is left (for at most 2 s) and close the loop
            pending = asyncio.all_tasks(self.loop)
            for task in pending:
                task.cancel()
            if pending:
                with contextlib.suppress(Exception):
                    self.loop.run_until_complete(asyncio.wait(pending, timeout=2))
            self.loop.close()

    def call(self, coroutine: Coroutine[Any, Any, Any], timeout: float) -> Any:
        """Run ``coroutine`` on the browser's loop; TimeoutError (and cancel it) after ``timeout`` s."""
        future = asyncio.run_coroutine_threadsafe(_settled(coroutine), self.loop)
        try:
            ok, value = future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise
        if not ok:
            if isinstance(value, asyncio.CancelledError):
                # Another render timed out and stopped this browser while ours waited in it: ours
                # hung as long, so it is reported the same way (not as a bare BaseException).
                raise TimeoutError("the browser was stopped while this render waited") from value
            raise value
        return value

    async def open(self) -> None:
        import kaleido  # noqa: PLC0415 - only image export needs it

        self.kaleido = kaleido.Kaleido(n=1, timeout=RENDER_TIMEOUT_S, plotlyjs=str(PLOTLY_JS), mathjax=False,
                                       path=self.path, browser_cls=_chromium_class(), enable_extensions=False)
        await self.kaleido.open()

    @property
    def process(self) -> Any:
        """The launched process (choreographer's wrapper, Chromium's parent), or None."""
        return getattr(self.kaleido, "subprocess", None)

    def alive(self) -> bool:
        return self.thread.is_alive() and self.process is not None and self.process.poll() is None

    def stop(self, graceful: bool = False) -> None:
        """End the browser and the loop: ask it to close if ``graceful``, else kill it now and tidy up
        (kaleido's temporary folders) in the background, so a caller waits for none of it."""
        if self.stopped:
            return
        self.stopped = True
        if graceful:
            self._close()
        else:
            self._kill()
            threading.Thread(target=self._close, name="tco-image-export-close", daemon=True).start()

    def _close(self) -> None:
        if self.kaleido is not None and self.thread.is_alive():
            with contextlib.suppress(Exception):
                self.call(self.kaleido.close(), 5)
        self._kill()
        with contextlib.suppress(RuntimeError):  # the loop has already closed
            self.loop.call_soon_threadsafe(self.loop.stop)

    def _kill(self) -> None:
        process = self.process
        if process is not None and process.poll() is None:
            with contextlib.suppress(OSError):
                os.killpg(process.pid, signal.SIGKILL)  # its own session: the wrapper and the browser
            with contextlib.suppress(Exception):
                process.wait(5)


async def _settled(coroutine: Coroutine[Any, Any, Any]) -> tuple[bool, Any]:
    """(True, result) or (False, exception): a render abandoned after a timeout still ends quietly."""
    try:
        return True, await coroutine
    except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread, or dropped if it gave up
        return False, exc


def _start() -> _Browser:
    """The running browser, started if needed."""
    global _server_started, _browser, _failure
    with _start_lock:
        if _server_started and _browser is not None and _browser.alive():
            return _browser
        path = browser_path()
        if path is None:
            raise ImageExportUnavailable("image export needs Chromium (apt-get install chromium)")
        if _failure is not None and time.monotonic() - _failure[0] < RETRY_AFTER_S:
            raise ImageExportUnavailable(_failure[1])
        if not PLOTLY_JS.is_file():
            raise ImageExportUnavailable(f"plotly.js is missing from the plotly package ({PLOTLY_JS})")
        if _browser is not None:
            _browser.stop()
            _browser, _server_started = None, False
        browser = _Browser(path)
        try:
            browser.call(browser.open(), START_TIMEOUT_S)
        except TimeoutError:
            message = f"Chromium ({path}) did not start within {START_TIMEOUT_S:g} s"
        except Exception:  # noqa: BLE001 - any failure to start is reported the same way
            _log.warning("image export: Chromium failed to start", exc_info=True)
            code = getattr(browser.process, "returncode", None)
            message = f"Chromium ({path}) failed to start" + (f" (exit code {code})" if code else "")
        else:
            _browser, _server_started, _failure = browser, True, None
            return browser
        browser.stop()
        _failure = (time.monotonic(), message)
        raise ImageExportUnavailable(message)


def _discard(browser: _Browser) -> None:
    """Stop a browser that stopped answering, so the next render starts a fresh one."""
    global _browser, _server_started
    with _start_lock:
        if _browser is browser:
            _browser, _server_started = None, False
    browser.stop()


@atexit.register
def _stop_at_exit() -> None:
    if _browser is not None:
        _browser.stop(graceful=True)


def figure_bytes(fig: go.Figure, fmt: str, width: int = WIDTH_PX, height: int = HEIGHT_PX,
                 footer: str | None = None) -> bytes:
    """Render ``fig`` as 'png' or 'svg' bytes, with ``footer`` (one line of text, e.g. the scenario,
    date, paths, seed and price snapshot) in a strip of ``FOOTER_PX`` under the chart.

    Raises
    ------
    ImageExportUnavailable
        Without Chromium, when it does not start, or when the render takes over ``RENDER_TIMEOUT_S``.
    """
    if footer:
        chart = figure_bytes(fig, fmt, width, height - FOOTER_PX)
        return (_svg_footer if fmt == "svg" else _png_footer)(chart, footer, width, height)
    browser = _start()
    opts = {"format": fmt, "width": width, "height": height, "scale": SCALE if fmt == "png" else 1}
    try:
        return browser.call(browser.kaleido.calc_fig(fig.to_dict(), opts=opts), RENDER_TIMEOUT_S)
    except TimeoutError:
        _discard(browser)
        raise ImageExportUnavailable(f"rendering took longer than {RENDER_TIMEOUT_S:g} s") from None
    except Exception as exc:  # the browser closed or the page failed: one line
        _log.warning("image export: render failed", exc_info=True)
        if not browser.alive():
            _discard(browser)
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ImageExportUnavailable(f"the render failed: {first[:200]}") from exc


FOOTER_PX = 30
FOOTER_FONT = "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf"
FOOTER_COLOUR = "#444444"


def _svg_footer(chart: bytes, footer: str, width: int, height: int) -> bytes:
    """The chart's SVG inside a taller one, the footer written under it (escaped: names are text)."""
    inner = re.sub(r"^\s*<\?xml[^>]*>", "", chart.decode("utf-8"))
    text = html.escape(footer, quote=True)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
            f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
            f'<rect width="{width}" height="{height}" fill="#ffffff"/>{inner}'
            f'<text x="12" y="{height - 10}" font-family="Liberation Sans, Arial, sans-serif" '
            f'font-size="12" fill="{FOOTER_COLOUR}">{text}</text></svg>').encode()


def _png_footer(chart: bytes, footer: str, width: int, height: int) -> bytes:
    """The chart's PNG on a taller white canvas, the footer written under it."""
    from PIL import Image, ImageDraw, ImageFont  # noqa: PLC0415 - only image export needs it

    image = Image.open(io.BytesIO(chart)).convert("RGB")
    scale = image.width / width
    canvas = Image.new("RGB", (image.width, round(height * scale)), "white")
    canvas.paste(image, (0, 0))
    size = round(12 * scale)
    try:
        font = ImageFont.truetype(FOOTER_FONT, size)
    except OSError:
        font = ImageFont.load_default(size)
    ImageDraw.Draw(canvas).text((round(12 * scale), canvas.height - round(8 * scale)), footer,
                                fill=FOOTER_COLOUR, font=font, anchor="ls")
    out = io.BytesIO()
    canvas.save(out, format="PNG")
    return out.getvalue()
