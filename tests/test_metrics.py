"""Risk metrics over simulated paths: CVaR against sorted samples."""

from __future__ import annotations

import numpy as np
import pytest

from tco import metrics


def test_cvar_against_sorted_samples() -> None:
    rng = np.random.default_rng(0)
    values = rng.lognormal(size=(1000, 2))
    worst = np.sort(values, axis=0)[-50:]
    assert metrics.cvar(values) == pytest.approx(worst.mean(axis=0), rel=1e-12)
