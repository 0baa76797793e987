"""Long computations with progress on the page.

``tco.simulate`` reports nothing while it runs, so the page runs it on a helper thread and, once it
has taken over ``QUIET_S`` seconds, shows a progress bar: paths done are estimated from this
server's own speed on earlier runs (and the bar says it is an estimate) until the result arrives.
Work that finishes sooner (a cached result, a small run) shows nothing. Each kind of work keeps its
own speed (a ``clock``: simulations, the Decide tab's search, the History tab's replay), which
also tells a tab how long its button will take (``seconds_for``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TypeVar

import streamlit as st

T = TypeVar("T")
QUIET_S = 1.0
TICK_S = 0.25
_speed: dict[str, float] = {}  # paths per second by clock, measured on this server, for every session
_lock = threading.Lock()


def estimate(elapsed_s: float, paths: int, paths_per_s: float) -> int:
    """Paths done after ``elapsed_s`` at ``paths_per_s``, never all of them before the end."""
    return min(int(elapsed_s * paths_per_s), int(paths * 0.95))


def seconds_for(clock: str, paths: int) -> float | None:
    """How long ``paths`` took at the speed last measured on ``clock`` here; None before any."""
    rate = _speed.get(clock, 0.0)
    return paths / rate if rate > 0 else None


def record(clock: str, paths: int, seconds: float) -> None:
    """Set ``clock``'s speed from work on ``paths`` that took ``seconds``."""
    with _lock:
        _speed[clock] = paths / seconds


def with_progress(work: Callable[[], T], paths: int, what: str = "Simulating",
                  clock: str = "simulate", quiet_s: float = QUIET_S) -> T:
    """``work()``'s result; after ``quiet_s`` a bar shows the paths done so far (estimated from
    ``clock``'s speed), and the time it took then sets that speed."""
    started = time.perf_counter()
    with ThreadPoolExecutor(1, thread_name_prefix="tco-page-work") as pool:
        future = pool.submit(work)
        try:
            return future.result(timeout=quiet_s)
        except FutureTimeout:
            pass
        bar = st.progress(0.0, text=f"{what} {paths:,} paths...")
        while True:
            try:
                result = future.result(timeout=TICK_S)
                break
            except FutureTimeout:
                elapsed = time.perf_counter() - started
                rate = _speed.get(clock, 0.0)
                if rate > 0:
                    done = estimate(elapsed, paths, rate)
                    bar.progress(done / paths, text=f"{what} {paths:,} paths: about {done:,} done "
                                 f"({elapsed:.0f} s; estimated from this server's speed)")
                else:
                    bar.progress(0.0, text=f"{what} {paths:,} paths ({elapsed:.0f} s so far)...")
    record(clock, paths, time.perf_counter() - started)
    bar.empty()
    return result
