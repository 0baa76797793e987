"""How this process runs the engine: numba's threading layer, the kernel's on-disk cache, malloc
tuning and the thread pools. Nothing here happens at import: ``configure()`` does it, once, and
the command line, the page and the engine's entry points call it before the first kernel runs.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import hashlib
import platform
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numba

PACKAGE = Path(__file__).parent
_LOCK = threading.Lock()
_CONFIGURED = False
_POOLS: dict[int, ThreadPoolExecutor] = {}
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameter numbers (malloc.h)
COMPILE_NOTE = ("compiling the cost kernel, once per install (about 1 minute on a quiet 2-core "
                "machine, up to 3 on a busy one; `python -m tco compile` does it ahead)")
"""What a process about to compile the kernel says first: 53 s measured on a fresh clone of a quiet
2-core machine, 164-179 s on a loaded one."""


def configure() -> None:
    """Set up the process for the engine, once (later calls return at once).

    - numba's threading layer is GNU OpenMP: several page sessions may call the kernel at once
      from their own threads, and numba's default 'workqueue' layer aborts the process on
      concurrent parallel calls.
    - The kernel's stale on-disk cache is dropped (``purge_stale_cache``).
    - glibc malloc keeps freed chunk temporaries for reuse (``reuse_freed_memory``).
    """
    global _CONFIGURED
    with _LOCK:
        if _CONFIGURED:
            return
        numba.config.THREADING_LAYER = "omp"
        purge_stale_cache(PACKAGE / "kernel")
        reuse_freed_memory()
        _CONFIGURED = True


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Run this thread's kernel calls on one numba thread, then restore its count.

    For runs of one path (the deterministic model, each break-even point, a stress): there is
    nothing to share out, and opening a parallel region per call cost more than the run (the
    flagship's evaluation, 23 one-path calls: 0.18 s on two threads, 0.05 s on one). The count is
    per thread, so other sessions' runs keep theirs, and results do not depend on it (reductions
    over paths happen outside the parallel loop).
    """
    configure()  # the threading layer is chosen before numba starts one
    before = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(before)


def kernel_compiled() -> bool:
    """Whether the kernel's machine code is in numba's on-disk cache (after ``configure`` dropped a
    stale one), so the first run loads it in a fraction of a second instead of compiling."""
    return any((PACKAGE / "kernel" / "__pycache__").glob("__init__._kernel-*.nbi"))


def purge_stale_cache(package: Path) -> None:
    """Drop numba's on-disk cache of the kernel when any source it compiles in has changed.

    numba keys a cached function on its own file's timestamp only, but the kernel compiles the
    helpers of its other modules (and the codes and constants they copy from the option kinds,
    the risks' effects and the units) into itself: after editing one of them, or pulling a change
    to it, the stale machine code would run and give other numbers without a word. A digest of
    every such source, kept beside the cache, decides.
    """
    root = package.parent
    # The option kinds' folder: the kernel copies the billing and fine-tuning codes from it, and
    # a kind's module is where its row is filled, so a new kind is covered by being there.
    sources = (sorted(package.glob("*.py")) + sorted((root / "options").glob("*.py"))
               + [root / "risks" / "base.py", root / "units.py"])
    purge_cache_unless(package / "__pycache__", "kernel-sources.sha256", sources)


def purge_cache_unless(cache: Path, stamp_name: str, sources: list[Path]) -> None:
    """Drop the numba cache files in ``cache`` unless the digest of ``sources`` is the one stamped
    there (``stamp_name``) when they were compiled; then stamp the new digest."""
    digest = hashlib.sha256(b"".join(path.read_bytes() for path in sources)).hexdigest()
    stamp = cache / stamp_name
    with contextlib.suppress(OSError):  # a read-only install: numba cannot cache there either
        if stamp.exists() and stamp.read_text() == digest:
            return
        for stale in [*cache.glob("*.nbi"), *cache.glob("*.nbc")]:
            stale.unlink(missing_ok=True)
        cache.mkdir(exist_ok=True)
        stamp.write_text(digest)


def reuse_freed_memory() -> None:
    """Ask glibc malloc to keep freed chunk temporaries for reuse instead of returning them.

    By default glibc serves each array above 128 KB with a fresh mmap and unmaps it on free, so
    every chunk pays page faults for its temporaries again; raising the mmap threshold to 32 MB
    and the trim threshold to 64 MB took the 100,000-path benchmark from 1.2 s to 0.86 s. It
    changes only where malloc gets memory, never a result. No-op off glibc.
    """
    libc = _glibc()
    if libc is not None:
        with contextlib.suppress(AttributeError):  # a libc without mallopt: keep its defaults
            libc.mallopt(_M_MMAP_THRESHOLD, 32 * 2**20)
            libc.mallopt(_M_TRIM_THRESHOLD, 64 * 2**20)


def release_freed_memory() -> None:
    """Return the freed memory glibc malloc holds to the system (``malloc_trim``).

    ``reuse_freed_memory`` lets each pool thread's arena keep up to 64 MB of freed chunk
    temporaries; after a large run that memory is only reusable by the next run's pool threads,
    not by the tables or the fan chart built from the result in the caller's thread. Trimming took
    the big benchmark's resident memory after its run from 377 MB to 342 MB, in 3-27 ms; the next
    run faults those pages in again (about 1% of a 100,000-path run). No-op off glibc.
    """
    libc = _glibc()
    if libc is not None:
        with contextlib.suppress(AttributeError):  # a glibc without malloc_trim
            libc.malloc_trim(0)


@functools.cache
def _glibc() -> ctypes.CDLL | None:
    """The process's C library where it is glibc (``platform.libc_ver`` reads the interpreter's
    binary, so once), else None."""
    if platform.libc_ver()[0] != "glibc":
        return None
    try:
        return ctypes.CDLL(None)
    except OSError:
        return None


def pool(workers: int) -> ThreadPoolExecutor:
    """A persistent thread pool per worker count, shared by concurrent runs (page sessions).

    numpy, scipy.special and numpy's generators release the GIL inside their loops, so threads use
    both cores without copying inputs or results between processes, and scripts need no
    ``if __name__ == "__main__"`` guard as they would for a process pool.
    """
    with _LOCK:
        if workers not in _POOLS:
            _POOLS[workers] = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tco-simulate")
        return _POOLS[workers]
