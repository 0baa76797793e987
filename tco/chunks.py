"""How a run is cut into kernel calls: whole blocks of RNG_BLOCK_PATHS paths, so no result depends
on the cut (the kernel keeps its sums per group of RNG_BLOCK_PATHS paths, added in run order)."""

from __future__ import annotations

from tco.draws import RNG_BLOCK_PATHS, noisy_options
from tco.load import Loaded

CHUNK_PATHS = 2 * RNG_BLOCK_PATHS
"""Paths per kernel call in large runs of the big benchmark (5 strategies, 3 noisy options, 60
months): the fastest of 1,024 to 4,096 with two threads (0.90 s against 1.05 s and 1.01 s).
Smaller chunks pay more interpreter overhead per path; larger ones spill each core's 1 MB L2
cache. A scenario with fewer cells per path takes proportionally more paths a chunk
(``chunk_paths``), up to ``MAX_CHUNK_PATHS``."""
CHUNK_CELLS = 8 * 60
"""The big benchmark's series per path (5 strategies plus 3 noisy options) x its 60 months, the
per-path work and working set that CHUNK_PATHS suits."""
MAX_CHUNK_PATHS = 8 * RNG_BLOCK_PATHS
"""The largest chunk: 100,000 paths still make 13 chunks, so two threads share them 7 and 6.
The simple case (one option, one strategy) took 171 ms in chunks of 2,048 paths and 140 ms in
chunks of 8,192 or 16,384 (medians of 5, two threads, quiet machine): its per-chunk preparation
in the interpreter (about 1.9 ms a chunk under a profiler) outweighed its 2 ms of kernel."""
SMALL_RUN_PATHS = 16 * RNG_BLOCK_PATHS
"""Below this, one chunk per thread (``chunk_paths``): the page's default 10,000 paths make two
chunks of 5,120 paths, one per thread. Preparing a chunk (its draws and the kernel's records) is
interpreter work under the GIL, about 5 ms a chunk for the flagship whatever its size up to a
few thousand paths, so ten chunks of 1,024 paid it ten times: 224 against 200 ms of CPU for the
flagship's 10,000 paths."""
PARALLEL_MIN_PATHS = 8 * RNG_BLOCK_PATHS
"""Below this a second thread costs more than it saves."""


def chunk_paths(paths: int, sc: Loaded, workers: int = 2) -> int:
    """Paths per kernel call for a run of ``paths`` of ``sc`` on ``workers`` threads (the caller,
    ``tco.simulate``, decides how many).

    A whole number of RNG blocks, so results do not depend on it. Small runs (under
    SMALL_RUN_PATHS) take one chunk per thread. Larger ones take CHUNK_PATHS x CHUNK_CELLS / the
    scenario's cells per path (strategies plus noisy options, times months), within
    CHUNK_PATHS..MAX_CHUNK_PATHS (the kernel's time and memory per path scale with the cells,
    a chunk's preparation in the interpreter does not), then smaller until the threads' shares
    are within 1 block in 20 of each other.
    """
    blocks = -(-paths // RNG_BLOCK_PATHS)
    if paths < SMALL_RUN_PATHS:
        return -(-blocks // max(1, workers)) * RNG_BLOCK_PATHS
    cells = (len(sc.strategies) + len(noisy_options(sc))) * sc.horizon_months
    most = CHUNK_PATHS * CHUNK_CELLS // max(1, cells) // RNG_BLOCK_PATHS
    least = CHUNK_PATHS // RNG_BLOCK_PATHS
    size = min(MAX_CHUNK_PATHS // RNG_BLOCK_PATHS, max(least, most))
    # Threads take chunks in turn: a size that leaves one thread with more than 1 block in 20
    # beyond the other's is cut down (20,000 paths in chunks of 3 blocks are 11 against 9
    # blocks, 0.256 against 0.237 s in chunks of 2).
    while size > least and _imbalance(blocks, size, workers) > max(1, blocks // 20):
        size -= 1
    return size * RNG_BLOCK_PATHS


def _imbalance(blocks: int, size: int, workers: int) -> int:
    """Blocks the busiest thread runs beyond the idlest, with chunks of ``size`` blocks taken in
    turn (``tco.simulate``'s interleaved chunks)."""
    loads = [0] * max(1, workers)
    for c in range(-(-blocks // size)):
        loads[c % len(loads)] += min(size, blocks - c * size)
    return max(loads) - min(loads)


def candidate_chunk_paths(paths: int) -> int:
    """Paths per kernel call when many candidate strategies are evaluated on drawn paths
    (``tco.engine``): one RNG block for small runs, CHUNK_PATHS for larger ones, whatever the
    scenario. Each call's strategy records hold every candidate for every path of the chunk, so
    a chunk sized for one scenario's few strategies would not stay in cache: 496 mixes on 10,000
    paths took 7.35 s in chunks of 1,024 paths and 13.8 s in chunks of 5,120 (medians of 5, the
    same session)."""
    return RNG_BLOCK_PATHS if paths < SMALL_RUN_PATHS else CHUNK_PATHS
