"""The floor every speed figure is printed against: one cumulative sum over a float64 array of
the result's shape, timed in the same process as the figure (these machines are noisy, so a
ratio to a same-run floor says more than seconds). Benchmarks' child processes import it with
``sys.path.insert(0, "benchmarks")``."""

from __future__ import annotations

import time

import numpy as np


def cumsum_floor_s(shape: tuple[int, ...], repeats: int = 1) -> float:
    """Seconds for ``repeats`` cumulative sums along the last axis of a random array of ``shape``;
    the output is touched once first so page faults are not timed. ``repeats`` covers a result
    too large to hold at once, summed part by part (many candidates)."""
    part = np.random.default_rng(0).random(shape)
    out = np.empty_like(part)
    np.cumsum(part, axis=-1, out=out)
    start = time.perf_counter()
    for _ in range(repeats):
        np.cumsum(part, axis=-1, out=out)
    return time.perf_counter() - start
