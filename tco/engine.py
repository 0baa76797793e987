"""Draw once, evaluate many: a scenario's random paths drawn once, then any number of candidate
strategies costed on those same paths.

The optimiser, portfolios and sweeps compare hundreds of mixes, fallback chains and commitment
levels. Costing each on its own draw would bury the differences between them in sampling noise
and redraw the same events hundreds of times; here every candidate meets the same futures (common
random numbers), so a difference between two candidates is a difference of decisions.

``draw`` does what ``tco.simulate.simulate`` does before its kernel calls (path inputs, price
noise, fired events, option rows), once, in the same blocks of paths, with the same streams: a
candidate equal to one of the scenario's strategies gets ``simulate``'s per-path NPV bit for bit.
``evaluate`` runs the kernel with only the per-path NPVs kept (``tco.kernel.records.Flags.keep``),
so 500 candidates on 10,000 paths need 40 MB of results rather than the 1.2 GB their cumulative
cost series would take. The lock-in premium's no-event reference is optional (``reference``):
a decision needs the costs, not the premium.

Options (reservations, commitments, fleets) are the scenario's. A candidate that needs another
option field (6 reserved GPUs instead of 4) is a modified scenario drawn with the same seed and
paths: the draws do not depend on reservation or commitment fields, so the futures are the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from time import perf_counter

import numpy as np

import tco._runtime as runtime
import tco.budget as budget
import tco.kernel as kernel
from tco.chunks import candidate_chunk_paths
from tco.draws import RNG_BLOCK_PATHS, draw_shocks, inputs_from_uniforms, path_uniforms
from tco.errors import ScenarioError
from tco.load import Loaded, validate
from tco.model import evaluate_kernel
from tco.options.table import per_path
from tco.schema import Strategy
from tco.simulate import DEFAULT_SEED, MAX_SEED, simulate
from tco.views import (
    events,
    extras,
    line_names,
    option_rows,
    strategies,
    workload,
)


@dataclass(frozen=True)
class _Chunk:
    """One chunk of paths with its kernel inputs prepared: everything but the strategies."""

    start: int
    paths: int
    x: dict[str, np.ndarray]
    workload: tuple
    rows: tuple
    events: tuple


@dataclass(frozen=True)
class Drawn:
    """A scenario's paths, drawn once: path inputs, shocks and option rows, by chunk of paths.

    Attributes
    ----------
    scenario : the loaded scenario the paths were drawn for
    paths, seed, sampling : as ``simulate`` takes them
    chunks : the prepared kernel inputs of consecutive chunks of paths
    """

    scenario: Loaded
    paths: int
    seed: int
    sampling: str
    chunks: tuple[_Chunk, ...]

    def inputs(self, path: str) -> np.ndarray:
        """One input's value on every path, shape (paths,)."""
        return np.concatenate([per_path(c.x[path], c.paths) for c in self.chunks])


@dataclass(frozen=True)
class Evaluated:
    """Per-path NPVs of candidate strategies on drawn paths.

    Attributes
    ----------
    names : the candidates' names, in the order of the columns
    npv_usd : (paths, candidates) float64
    npv_no_events_usd : (paths, candidates) float64, the same paths with no event fired (the
        lock-in premium's reference); None when ``reference`` was off
    """

    names: tuple[str, ...]
    npv_usd: np.ndarray
    npv_no_events_usd: np.ndarray | None


def draw(sc: Loaded, paths: int, seed: int = DEFAULT_SEED, sampling: str | None = None) -> Drawn:
    """Draw ``paths`` paths of ``sc`` once, exactly as ``simulate`` would with these arguments."""
    if not 0 <= seed <= MAX_SEED:
        raise ScenarioError("seed", f"must be a whole number between 0 and {MAX_SEED:,}")
    if paths < 1:
        raise ScenarioError("paths", "must be at least 1")
    runtime.configure()
    method = sampling or sc.sampling
    u = path_uniforms(sc, seed, paths, method)
    size = candidate_chunk_paths(paths)
    chunks = []
    for start in range(0, paths, size):
        n = min(size, paths - start)
        x = inputs_from_uniforms(sc.inputs, u[start:start + n])
        shocks = draw_shocks(sc, x, seed, start // RNG_BLOCK_PATHS, n)
        w, per_path_w = workload(sc, x, n)
        chunks.append(_Chunk(start, n, x, w, option_rows(sc, x, per_path_w, n),
                             events(sc, x, shocks, n)))
    return Drawn(sc, paths, seed, method, tuple(chunks))


def evaluate(drawn: Drawn, candidates: Mapping[str, Strategy], *, reference: bool = False,
             max_cells: int = budget.CLI_MAX_CELLS) -> Evaluated:
    """Cost every candidate on every drawn path.

    Parameters
    ----------
    candidates
        Strategies by name. Their mix and fallback options must be the scenario's options. A
        candidate equal to the scenario's strategy of the same name takes that strategy's drawn
        portability, overhead and named costs (the same numbers ``simulate`` uses); any other
        takes its own fields at their nominal values.
    reference
        Also cost every candidate with no event fired (the lock-in premium's reference).
    max_cells
        The largest paths x candidates allowed, as ``tco.budget`` bounds a run.
    """
    sc = drawn.scenario
    names = tuple(candidates)
    if not names:
        raise ScenarioError("candidates", "must name at least one strategy")
    _check(sc, candidates)
    budget.check(len(names), 1, drawn.paths, 0, max_cells)
    npv = np.empty((drawn.paths, len(names)))
    no_events = np.empty((drawn.paths, len(names))) if reference else None
    lines = line_names(sc)
    for chunk in drawn.chunks:
        plan = strategies(sc, chunk.x, chunk.paths, candidates)
        named = extras(sc, chunk.x, chunk.paths, candidates)
        result = kernel.run_prepared(chunk.rows, plan, chunk.workload, chunk.events, named, lines,
                             sc.horizon_months, False, reference=reference, keep=False)
        rows = slice(chunk.start, chunk.start + chunk.paths)
        npv[rows] = result.npv_usd
        if no_events is not None:
            no_events[rows] = result.npv_no_events_usd
    return Evaluated(names, npv, no_events)


def _check(sc: Loaded, candidates: Mapping[str, Strategy]) -> None:
    """Every option a candidate names is one of the scenario's: one line naming the first that is not."""
    for name, strategy in candidates.items():
        for option in (*strategy.mix, *strategy.chain):
            if option not in sc.options:
                raise ScenarioError(f"candidates.{name}",
                                    f"names option '{option}', which the scenario does not have")


WARM_UP_SCENARIO = {
    "name": "warm-up", "horizon_months": 2,
    "workload": {"requests_per_month": 1000, "input_tokens_per_request": 100,
                 "output_tokens_per_request": 10},
    "options": {"api": {"kind": "api", "input_usd_per_mtok": 1, "output_usd_per_mtok": 2},
                "hosted": {"kind": "self_hosted", "model": "llama-3.1-8b", "gpu": "h100-sxm",
                           "usd_per_gpu_hour": 2, "target_utilization": 0.5, "ops_fte": 0,
                           "usd_per_fte_year": 0}},
    "strategies": {"mix": {"mix": {"api": 0.5, "hosted": 0.5}, "fallback": "api"}},
}
"""The smallest scenario that runs every compiled path of the kernel (API and self-hosted)."""


def warm_up() -> float:
    """Compile the kernel, or load it from numba's on-disk cache; returns the seconds it took.

    The first run on a new machine compiles (``tco._runtime.COMPILE_NOTE`` says how long); later
    processes load the cached machine code in about 0.2 s. The page calls this first, under a
    message saying so, and ``python -m tco compile`` ahead of any page or run. It compiles every
    signature the engine calls: one path with the monthly cost kept (the deterministic model),
    a Monte Carlo batch, and many candidates with only NPVs kept (``tco.engine``).
    """
    started = perf_counter()
    sc = validate(WARM_UP_SCENARIO)
    evaluate_kernel(sc)
    simulate(sc, paths=64, seed=0)
    evaluate(draw(sc, 64, seed=0), sc.strategies)
    return perf_counter() - started
