"""Risk metrics over simulated paths. Nothing here draws random numbers."""

from __future__ import annotations

import numpy as np
from scipy import special

Z_975 = float(special.ndtri(0.975))
"""Standard-normal 97.5th percentile (scipy.stats's norm.ppf is this ndtri, 48 MB further away)."""

TAIL_SHARE = 0.05
"""CVaR95 and P95 look at the worst 5% of paths."""


def cvar(values: np.ndarray, tail_share: float = TAIL_SHARE) -> np.ndarray:
    """Mean of the worst ``ceil(tail_share x paths)`` values along axis 0 (costs: worst = largest).

    Parameters
    ----------
    values : (paths, ...) array
    """
    n = values.shape[0]
    k = max(1, int(np.ceil(tail_share * n)))
    worst = np.partition(values, n - k, axis=0)[n - k:]
    return worst.mean(axis=0)


def metric_values(npv_usd: np.ndarray, metric: str) -> np.ndarray:
    """A metric over the paths (axis 0): ``'mean'``, ``'p95'`` (``np.percentile``'s linear
    interpolation, the P95 ``summary()`` shows) or ``'cvar95'`` (``cvar``). ``npv_usd`` (paths,)
    or (paths, strategies); what the budget gate checks and an optimiser's risk budget caps."""
    if metric == "mean":
        return npv_usd.mean(axis=0)
    if metric == "p95":
        return np.percentile(npv_usd, 95, axis=0)
    return cvar(npv_usd)


def p_cheapest(npv: np.ndarray) -> np.ndarray:
    """Share of paths on which each strategy has the lowest NPV; a path where k strategies tie
    for the lowest gives each of them 1/k (so the shares still sum to 1).

    Parameters
    ----------
    npv : (paths, strategies)
    """
    lowest = npv == npv.min(axis=1, keepdims=True)
    return (lowest / lowest.sum(axis=1, keepdims=True)).sum(axis=0) / npv.shape[0]


def expected_regret(npv: np.ndarray) -> np.ndarray:
    """Mean over paths of NPV minus the best strategy's NPV on the same path: (strategies,)."""
    return (npv - npv.min(axis=1, keepdims=True)).mean(axis=0)


def standard_error_of_mean(values: np.ndarray) -> np.ndarray:
    """Sample standard deviation / sqrt(paths), along axis 0."""
    n = values.shape[0]
    return values.std(axis=0, ddof=1) / np.sqrt(n) if n > 1 else np.full(values.shape[1:], np.nan)


def standard_error_of_quantile(values: np.ndarray, q: float = 0.95) -> np.ndarray:
    """Standard error of the q-quantile from the order-statistic confidence interval.

    The ranks n q -/+ 1.96 sqrt(n q (1 - q)) bracket the quantile with 95% probability (normal
    approximation to the binomial); their spread divided by 2 x 1.96 estimates the standard error
    without estimating a density.
    """
    n = values.shape[0]
    if n < 20:
        return np.full(values.shape[1:], np.nan)
    half = Z_975 * np.sqrt(n * q * (1.0 - q))
    lo = int(np.clip(np.floor(n * q - half), 0, n - 1))
    hi = int(np.clip(np.ceil(n * q + half), 0, n - 1))
    ordered = np.sort(values, axis=0)
    return (ordered[hi] - ordered[lo]) / (2.0 * Z_975)


def first_order_share(x: np.ndarray, y: np.ndarray, bins: int = 20) -> float:
    """Share of Var(y) explained by E[y | x]: the correlation ratio over quantile bins of x.

    An estimate of the first-order Sobol index; biased upward by about bins / paths.
    """
    if np.var(y) == 0 or np.ptp(x) == 0:
        return 0.0
    ranks = np.empty(len(x), dtype=np.int64)  # ordinal ranks 0..n-1, ties in order of position
    ranks[np.argsort(x, kind="stable")] = np.arange(len(x))
    groups = (ranks * bins // len(x)).astype(int)
    counts = np.bincount(groups, minlength=bins)
    sums = np.bincount(groups, weights=y, minlength=bins)
    means = np.divide(sums, counts, out=np.zeros(bins), where=counts > 0)
    between = np.sum(counts * (means - y.mean()) ** 2) / len(y)
    return float(between / np.var(y))


def average_ranks(x: np.ndarray) -> np.ndarray:
    """Ranks from 1, ties sharing the mean of their ranks: ``scipy.stats.rankdata(x, 'average')``,
    whose values (whole or half numbers) it equals exactly, without importing scipy.stats (half a
    second of the Sensitivity tab's first visit). Shape (n,) -> (n,)."""
    sorter = np.argsort(x, kind="mergesort")
    inverse = np.empty(sorter.size, dtype=np.intp)
    inverse[sorter] = np.arange(sorter.size, dtype=np.intp)
    ordered = x[sorter]
    starts = np.r_[True, ordered[1:] != ordered[:-1]]
    dense = starts.cumsum()[inverse]
    bounds = np.r_[np.nonzero(starts)[0], len(starts)]
    return 0.5 * (bounds[dense] + bounds[dense - 1] + 1)


def spearman_rho(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rank correlation of two samples of shape (n,): the Pearson correlation of their
    average ranks, computed as ``scipy.stats.spearmanr`` does (ranks as columns, ``np.corrcoef``)."""
    ranked = np.column_stack((average_ranks(np.asarray(x, dtype=float)),
                              average_ranks(np.asarray(y, dtype=float))))
    return float(np.corrcoef(ranked, rowvar=False)[1, 0])
