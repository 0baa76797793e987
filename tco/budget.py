"""Bounded work: the size of a run, checked at the boundary before anything is allocated.

A run keeps ``paths x strategies x months`` cumulative costs (4 bytes each, for the fan chart)
beside a few ``paths x strategies`` arrays, and draws, per batch of 2,048 paths, a fired flag per
risk-option pair and month (events themselves come by inter-arrival, a few uniforms a path) and one
normal per noisy option for every month (8 bytes each). Both are bounded
here, so a small file cannot ask for gigabytes: the page allows ``PAGE_MAX_CELLS``, the command
line ``CLI_MAX_CELLS`` (``--max-cells`` raises it). ``benchmarks/bench_memory.py`` measures the
memory per million cells these limits are set from.
"""

from __future__ import annotations

from tco.errors import ScenarioError

MB_PER_MILLION_CELLS = 7.2
"""Measured peak memory of a run beyond the process's own (about 200 MB with the kernel loaded),
per million cells: benchmarks/bench_memory.py (6.5-8.4 MB at 7-72 million cells)."""
PAGE_MAX_CELLS = 30_000_000
"""50,000 paths x 10 strategies x 60 months, about 220 MB: the page's largest run."""
CLI_MAX_CELLS = 300_000_000
"""1,000,000 paths x 5 strategies x 60 months, about 2.2 GB."""
MAX_DRAWS_PER_PATH = 12_000
"""(risk-option pairs + noisy options) x months: 100 MB of draws per batch of 2,048 paths at most."""
MAX_PATHS = 2_000_000


def cells(n_strategies: int, months: int, paths: int) -> int:
    """Cumulative-cost cells of a run: paths x strategies x months."""
    return paths * n_strategies * months


def check(n_strategies: int, months: int, paths: int, draws_per_month: int,
          max_cells: int = CLI_MAX_CELLS) -> None:
    """Refuse a run whose size exceeds the budget, with one line saying what to lower.

    ``draws_per_month`` is the number of risk-option pairs plus options with price volatility.
    """
    if not 1 <= paths <= MAX_PATHS:
        raise ScenarioError("paths", f"must be between 1 and {MAX_PATHS:,}")
    size = cells(n_strategies, months, paths)
    if size > max_cells:
        raise ScenarioError("paths", f"{paths:,} paths x {n_strategies} strategies x {months} months "
                            f"is {size:,} cells, more than the {max_cells:,} allowed here; lower the "
                            "paths, the strategies or horizon_months")
    draws = draws_per_month * months
    if draws > MAX_DRAWS_PER_PATH:
        raise ScenarioError("risks", f"{draws_per_month} risk-option pairs and noisy options x "
                            f"{months} months is {draws:,} draws per path, more than "
                            f"{MAX_DRAWS_PER_PATH:,}; lower the risks' 'on' lists or horizon_months")
