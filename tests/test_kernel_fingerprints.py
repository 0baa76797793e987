"""The kernel's per-path results, pinned bit for bit.

Every shipped story's per-path outputs at seed 7 (300 paths) are compared with sha256
fingerprints stored in ``tests/golden/kernel-fingerprints.json`` (written with the goldens by
``tests/regen_golden.py``), in each mode the callers use: a change of the kernel's layout that
moves one path by one ulp fails here, before any mean does. And each path's results are its own:
the first 37 or 1,000 paths of a run (counts that are no multiple of the kernel's block of paths)
give the same per-path arrays run alone as inside the longer run.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from tco.load import load_scenario
from tests.conftest import SCENARIOS
from tests.kernel_fingerprints import (
    FINGERPRINTS,
    KEPT,
    MODES,
    PATHS,
    PER_PATH,
    drawn,
    fingerprint,
    first_paths,
    outputs,
)

STORED = json.loads(FINGERPRINTS.read_text())


def test_every_story_is_fingerprinted() -> None:
    assert sorted(STORED) == sorted(p.stem for p in SCENARIOS)
    assert all(sorted(modes) == sorted(MODES) for modes in STORED.values())


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_per_path_outputs_match_their_fingerprints(path) -> None:
    """Regenerate with tests/regen_golden.py only when the draws change, never for the kernel."""
    sc = load_scenario(path)
    x, shocks = drawn(sc, PATHS)
    for mode in MODES:
        got = {name: fingerprint(a) for name, a in outputs(sc, x, shocks, mode).items()}
        stored = STORED[path.stem][mode]
        moved = sorted(name for name in stored if got.get(name) != stored[name])
        assert not moved, f"{path.stem}, mode {mode}: {moved} moved"


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_a_path_gives_the_same_bits_whatever_the_paths_beside_it(path) -> None:
    """The first 37 and 1,000 paths of a 1,100-path run, run alone: every per-path array equal,
    bit for bit (NaN where the reference pass is off equals NaN)."""
    sc = load_scenario(path)
    x, shocks = drawn(sc, 1100, seed=11)
    for mode in ("full", "npv-no-reference"):
        whole = outputs(sc, x, shocks, mode)
        for n in (37, 1000):
            alone = outputs(sc, *first_paths(x, shocks, n), mode)
            for name in PER_PATH + KEPT:
                if name in alone:
                    assert np.array_equal(alone[name], whole[name][:n], equal_nan=True), (mode, n, name)
