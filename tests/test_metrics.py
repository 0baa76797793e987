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


def test_spearman_rho_is_scipys_without_importing_scipy_stats() -> None:
    """Average ranks equal scipy.stats.rankdata's exactly (ties included: whole and half numbers),
    and the rank correlation equals scipy.stats.spearmanr's bit for bit, on continuous samples,
    samples with many ties (event counts) and a monotone transform (rho 1)."""
    import numpy as np
    from scipy import stats

    from tco.metrics import average_ranks, spearman_rho

    rng = np.random.default_rng(11)
    x = rng.random(5000)
    counts = rng.poisson(0.7, 5000).astype(float)  # heavy ties, as event counts have
    y = x + 0.3 * rng.standard_normal(5000) + counts
    for values in (x, counts, y, np.array([3.0, 1.0, 3.0, 2.0, 3.0])):
        assert np.array_equal(average_ranks(values), stats.rankdata(values, method="average"))
    for a, b in ((x, y), (counts, y), (x, counts)):
        assert spearman_rho(a, b) == float(stats.spearmanr(a, b).statistic)
    assert abs(spearman_rho(x, np.exp(3 * x)) - 1.0) < 1e-12
