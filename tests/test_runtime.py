"""The process set-up: nothing at import, everything in one ``configure()``."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tco._runtime import purge_stale_cache
from tests.conftest import ROOT


def test_importing_the_package_configures_nothing() -> None:
    """numba's threading layer is set by ``configure()``, which the command line, the page and
    the engine's entry points call, not by importing ``tco``."""
    probe = ("import numba, tco, tco._runtime as r; print(numba.config.THREADING_LAYER); "
             "r.configure(); r.configure(); print(numba.config.THREADING_LAYER)")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True,
                         check=True, timeout=300)
    before, after = out.stdout.split()
    assert before != "omp" and after == "omp"


def test_a_changed_kernel_source_drops_numba_s_cache(tmp_path) -> None:
    """numba keys a cache on the cached function's own file: an edit to a helper module it
    compiles in must still drop the cache, or stale machine code would give other numbers."""
    package = tmp_path / "tco" / "kernel"
    for path in ("kernel/__init__.py", "kernel/traffic.py", "options/api.py", "options/self_hosted.py",
                 "options/fine_tune.py", "risks/base.py", "units.py"):
        (tmp_path / "tco" / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "tco" / path).write_text(f"# {path}\n")
    cache = package / "__pycache__"
    cache.mkdir()
    (cache / "traffic.shares-1.py311.nbi").write_text("old")
    purge_stale_cache(package)  # no stamp yet: nothing cached can be trusted
    assert not list(cache.glob("*.nbi")) and (cache / "kernel-sources.sha256").exists()
    (cache / "traffic.shares-1.py311.nbi").write_text("fresh")
    purge_stale_cache(package)  # same sources: the cache stays
    assert (cache / "traffic.shares-1.py311.nbi").exists()
    (package / "traffic.py").write_text("# traffic.py, edited\n")
    purge_stale_cache(package)
    assert not (cache / "traffic.shares-1.py311.nbi").exists()
    (tmp_path / "tco" / "options" / "hosted_open.py").write_text("# a new kind\n")
    (cache / "traffic.shares-1.py311.nbi").write_text("fresh")
    purge_stale_cache(package)  # a new option kind's module: its codes may differ
    assert not (cache / "traffic.shares-1.py311.nbi").exists()
    (tmp_path / "tco" / "units.py").write_text("# units, edited\n")
    (cache / "strategy.strategies-1.py311.1.nbc").write_text("x")
    purge_stale_cache(package)
    assert not list(cache.glob("*.nbc"))


def test_one_path_runs_on_one_thread_give_the_same_numbers_and_restore_the_count() -> None:
    """``one_thread`` runs this thread's kernel calls on one numba thread (one-path runs: a
    parallel region cost more than the run) and restores the count after; the kernel's numbers
    do not depend on it, bit for bit, for the deterministic run and a batch of paths alike."""
    import numba
    import numpy as np

    import tco
    import tco._runtime as runtime
    import tco.kernel as kernel
    from tco.draws import Shocks
    from tco.model import nominal_inputs

    runtime.configure()
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("one numba thread only: one_thread has nothing to lower or restore")
    sc = tco.load_scenario(ROOT / "scenarios" / "open-model-goes-closed.yaml")
    x = {k: np.repeat(v, 64, axis=0) for k, v in nominal_inputs(sc.inputs).items()}
    configured = numba.get_num_threads()
    numba.set_num_threads(2)  # so that lowering to one and restoring are both observable
    try:
        shared = kernel.run(sc, x, Shocks(paths=64), want_cost=True)
        with runtime.one_thread():
            assert numba.get_num_threads() == 1
            alone = kernel.run(sc, x, Shocks(paths=64), want_cost=True)
        assert numba.get_num_threads() == 2
    finally:
        numba.set_num_threads(configured)
    np.testing.assert_array_equal(alone.npv_usd, shared.npv_usd)
    np.testing.assert_array_equal(alone.cost_usd, shared.cost_usd)
