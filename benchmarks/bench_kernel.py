"""Where the kernel's time goes, on one thread: the figures a faster kernel layout must move.

    python benchmarks/bench_kernel.py

The kernel alone (draws and views prepared once), on one numba thread, in CPU seconds (the
least of several runs: on a shared machine CPU time varies less than wall time, but still by
10-15% between processes, so compare layouts in the same session, interleaved). Each figure is
printed against its same-run floor, one cumulative sum over a float64 array of the paths'
(paths, strategies, months) cost (``benchmarks/floor.py``'s, in CPU time like the kernel's).
The split fits cost = fixed + per strategy-month: the kernel run with 1 and with all
strategies (the strategies' slice of the same prepared paths), and with 1 month and all months
(the loops' bound, the same arrays), with and without the no-event reference pass (the lock-in
premium's).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numba
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

from bench_simulate import BIG  # noqa: E402

import tco  # noqa: E402
from tco import kernel  # noqa: E402
from tco.draws import draw_shocks, inputs_from_uniforms, path_uniforms  # noqa: E402
from tco.views import events, extras, line_names, option_rows, strategies, workload  # noqa: E402

PATHS, REPEATS = 8192, 15


def least_cpu_s(run) -> float:
    """The least CPU time of ``REPEATS`` calls of ``run``."""
    best = float("inf")
    for _ in range(REPEATS):
        start = time.process_time()
        run()
        best = min(best, time.process_time() - start)
    return best


def measure(label: str, sc) -> None:
    x = inputs_from_uniforms(sc.inputs, path_uniforms(sc, 7, PATHS, "random"))
    shocks = draw_shocks(sc, x, 7, 0, PATHS)
    w, per_path = workload(sc, x, PATHS)
    o, ev, xc = option_rows(sc, x, per_path, PATHS), events(sc, x, shocks, PATHS), extras(sc, x, PATHS)
    plan, names, months = strategies(sc, x, PATHS), line_names(sc), sc.horizon_months
    n_strategies = plan.fallback.shape[0]
    first = type(plan)(*[a[:1].copy() for a in plan])  # the first strategy alone

    def us_per_path(st, m: int, reference: bool = True) -> float:
        return least_cpu_s(lambda: kernel.run_prepared(o, st, w, ev, xc, names, m, False,
                                                       reference=reference)) / PATHS * 1e6

    part = np.random.default_rng(0).random((PATHS, n_strategies, months))
    out = np.empty_like(part)
    floor_us = least_cpu_s(lambda: np.cumsum(part, axis=-1, out=out)) / PATHS * 1e6
    full, alone = us_per_path(plan, months), us_per_path(plan, months, reference=False)
    one_strategy, one_month = us_per_path(first, months), us_per_path(plan, 1)
    per_strategy = (full - one_strategy) / (n_strategies - 1)
    print(f"{label}: {PATHS:,} paths x {months} months x {n_strategies} strategies, one thread, "
          f"floor {floor_us * 1000:.0f} ns/path")
    print(f"  kernel {full:6.2f} us/path = {full / floor_us:5.1f}x floor; without the reference "
          f"pass {alone:6.2f} us/path ({1 - alone / full:4.0%} of the time is the reference pass)")
    print(f"  per strategy {per_strategy:5.2f} us/path = {per_strategy / months * 1000:4.0f} ns per "
          f"strategy-month (both passes); the rest, {full - n_strategies * per_strategy:5.2f} us/path, "
          f"is the options' states and traffic; one month costs {one_month:5.2f} us/path")


def main() -> None:
    numba.set_num_threads(1)
    measure("the big case (bench_simulate)", tco.loads(BIG))
    measure("the page's default story", tco.load_scenario(ROOT / "scenarios" / "open-model-goes-closed.yaml"))


if __name__ == "__main__":
    main()
