"""A page server that is ready before its first visitor: ``python -m tco app``.

``streamlit run app.py`` starts listening at once and does everything else when the first browser
connects: it imports pandas, plotly, numba and the page's modules, loads the compiled kernel, reads
the scenario, simulates it and draws the charts, all while that visitor waits (the server's CPU
during a cold load: 2.4 s that way, 0.4 s after ``serve``; ``benchmarks/bench_app.py``).
``serve`` does that work first, in the process that will serve the page, and
only then starts Streamlit, so its health check answers once a visitor can get the default page
from memory: the first visit costs what any later one does. The page's caches are the modules'
own (``tco.ui.cache``), so the warm-up fills exactly what the page reads.

``streamlit run app.py`` keeps working; it is the same page, warmed by its first visit instead.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app.py"
SCENARIO_DIR = ROOT / "scenarios"
PAGE_MODULES = ("tco.ui.state", "tco.ui.tabs", "tco.ui.overview", "tco.ui.sidebar", "tco.ui.edits",
                "tco.ui.compare_tab", "tco.ui.portfolio_choice", "tco.ui.upload", "tco.ui.decide_tab",
                "tco.ui.history_tab")
"""What ``app.py`` imports, and the tabs it imports when first opened (Decide, History): imported
here, each tab's first visit finds them loaded."""
BARE_MODE_LOGGERS = ("streamlit.runtime.caching.cache_data_api",
                     "streamlit.runtime.scriptrunner_utils.script_run_context")
"""Streamlit warns that no page is running when a cached function is called outside one, as the
warm-up does on purpose."""


@contextlib.contextmanager
def _quiet_bare_mode() -> Iterator[None]:
    for name in BARE_MODE_LOGGERS:  # Streamlit sets a logger's level when its module loads
        importlib.import_module(name)
    loggers = [logging.getLogger(name) for name in BARE_MODE_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def warm(scenario_dir: Path = SCENARIO_DIR) -> dict[str, float]:
    """Do what the page's first visit would: import its modules, load the kernel, and compute and
    draw the default scenario at the default paths and seed, into the page's own caches.

    Returns the seconds each step took, by name.
    """
    seconds: dict[str, float] = {}
    started = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal started
        now = time.perf_counter()
        seconds[name] = now - started
        started = now

    with _quiet_bare_mode():
        for module in PAGE_MODULES:
            importlib.import_module(module)
        lap("imports")
        from tco.simulate import DEFAULT_PATHS, DEFAULT_SEED  # noqa: PLC0415 - imported above, timed there
        from tco.ui import cache, overview, state  # noqa: PLC0415

        cache.kernel_ready()
        lap("kernel")
        files = cache.shipped(scenario_dir)
        base = cache.scenario(files[state.DEFAULT_SCENARIO if state.DEFAULT_SCENARIO in files
                                    else next(iter(files))][2])
        lap("scenario")
        key = cache.inputs_key(base, DEFAULT_PATHS, DEFAULT_SEED)
        view = cache.compute(*key)
        lap("simulation")
        overview.prepare(view, key)
        lap("charts")
    return seconds


def serve(streamlit_args: Sequence[str] = ()) -> int:
    """Warm this process (``warm``), then serve ``app.py`` from it with Streamlit; ``streamlit_args``
    are ``streamlit run``'s own options (``--server.port 8600``). Returns when the server stops."""
    if not APP.exists():
        raise FileNotFoundError(f"{APP}: the page is not beside the package; run from a checkout")
    started = time.perf_counter()
    steps = warm()
    split = ", ".join(f"{name} {s:.2f} s" for name, s in steps.items())
    print(f"tco app: warmed in {time.perf_counter() - started:.1f} s ({split}); starting the server",
          flush=True)
    from streamlit.web import cli  # noqa: PLC0415 - the server itself loads last

    # Streamlit's own command line, in this process: the same options and config files as
    # `streamlit run app.py`, and the page's modules already imported and warm.
    cli.main.main(args=["run", str(APP), *streamlit_args], prog_name="streamlit", standalone_mode=False)
    return 0
