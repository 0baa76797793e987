"""Where each workload's traffic goes, per path, option and month: the kernel's own routing.

The cost kernel reports each strategy's cost, not how much traffic each option carried; pooling
fleets and commitments across workloads needs that. This module replays the kernel's option
states (``tco.kernel.states.option_states``) and traffic routing (``tco.kernel.traffic.shares``)
on the same typed rows and events, so the shares and price indices are the ones the kernel
billed, bit for bit, without changing the kernel.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numba import njit, prange

import tco._runtime as runtime
import tco.kernel as kernel
import tco.risks as risks
import tco.views as views
from tco.draws import Shocks
from tco.kernel.records import State
from tco.kernel.states import option_states
from tco.kernel.traffic import shares
from tco.load import Loaded
from tco.units import MONTHS_PER_YEAR

BLOCK_PATHS = 64
PACKAGE = Path(__file__).resolve().parent


def purge_stale_cache() -> None:
    """Drop numba's on-disk cache of this package when a source compiled into it has changed.

    ``_replay`` compiles the kernel's option states and routing into itself, and numba keys a
    cached function on its own file only: after a change to the kernel the stale machine code
    would replay other rules than the kernel bills. A digest of the kernel's, the option kinds'
    and this package's sources, kept beside the cache, decides (as ``tco._runtime`` does for the
    kernel).
    """
    root = PACKAGE.parent
    sources = (sorted(PACKAGE.glob("*.py")) + sorted((root / "kernel").glob("*.py"))
               + sorted((root / "options").glob("*.py")) + [root / "risks" / "base.py", root / "units.py"])
    runtime.purge_cache_unless(PACKAGE / "__pycache__", "portfolio-sources.sha256", sources)


@dataclass
class Usage:
    """One workload's traffic on each option, for a batch of paths.

    Attributes
    ----------
    requests : (paths, months) requests a month, R (1 + g)^t
    share : (paths, options, months) share of the workload's traffic each option carries
    index : (paths, options, months) each option's price index I(t)
    rows : the kernel's option rows (``tco.views.OptionRows``): per request cost, replica load
        factors, GPU prices, reservations
    signed : (options,) options in the strategy's mix (their reservations are owed)
    """

    requests: np.ndarray
    share: np.ndarray
    index: np.ndarray
    rows: views.OptionRows
    signed: np.ndarray
    discount: np.ndarray
    """(paths, months) discount factors (1 + r)^-((t + 1) / 12)."""


@njit(cache=True, parallel=True, nogil=True, error_model="numpy")
def _replay(common, fleet, commitment, track, tuning, st, w, ev, kinds, share_out, index_out
            ):  # pragma: no cover - compiled
    """Each path's option states and the strategy's shares, month by month (strategy 0). The
    option records come in one by one, as ``tco.kernel._kernel`` takes them."""
    paths, n_options, months = share_out.shape
    for b in prange(-(-paths // BLOCK_PATHS)):
        o = views.OptionRows(common, fleet, commitment, track, tuning)
        S = State(np.empty((n_options, months)), np.empty((n_options, months)),
                  np.empty((n_options, months)), np.empty((n_options, months, kinds)),
                  np.empty(n_options, dtype=np.bool_), np.empty(n_options, dtype=np.int64),
                  np.empty(n_options), np.empty(n_options, dtype=np.int64),
                  np.empty(n_options, dtype=np.int64), np.empty(n_options),
                  np.empty((n_options, months)), np.empty((n_options, months), dtype=np.bool_),
                  np.empty((n_options, months), dtype=np.bool_))
        share = np.empty(n_options)
        escalated = np.empty(n_options)
        for p in range(b * BLOCK_PATHS, min((b + 1) * BLOCK_PATHS, paths)):
            option_states(p, o, ev, w, S, months, True)
            for t in range(months):
                shares(p, 0, t, t + 1, o, st, ev, S, share, escalated)
                for j in range(n_options):
                    share_out[p, j, t] = share[j]
                    index_out[p, j, t] = S.index[j, t]


def evaluate(sc: Loaded, x: dict[str, np.ndarray], shocks: Shocks, ev: views.Events | None = None
             ) -> tuple[kernel.KernelResult, Usage]:
    """One workload on a batch of paths (``sc`` holds one strategy): its monthly cost from the
    cost kernel, and the kernel's routing replayed on the same typed rows and events.

    ``ev``: the events of these shocks (``tco.views.events``) where the caller has them; in a
    portfolio they are the shared risks' and the same for every workload. The kernel runs without
    the lock-in premium's no-event reference pass (a portfolio reports costs, not the premium),
    as ``tco.engine`` runs it.
    """
    paths, months = shocks.paths, sc.horizon_months
    w, per_path = views.workload(sc, x, paths)
    rows = views.option_rows(sc, x, per_path, paths)
    plan = views.strategies(sc, x, paths)
    ev = views.events(sc, x, shocks, paths) if ev is None else ev
    result = kernel.run_prepared(rows, plan, w, ev, views.extras(sc, x, paths), views.line_names(sc), months,
                         True, reference=False)
    share = np.empty((paths, len(sc.options), months))
    index = np.empty((paths, len(sc.options), months))
    _replay(*rows, plan, w, ev, len(risks.REGISTRY), share, index)
    t = np.arange(months, dtype=float)
    requests = w.requests[:, None] * (1.0 + w.growth[:, None]) ** t[None, :]
    discount = (1.0 + w.discount_rate[:, None]) ** (-((t[None, :] + 1.0) / MONTHS_PER_YEAR))
    signed = np.zeros(len(sc.options), dtype=bool)
    signed[plan.mix_option[0][plan.mix_option[0] >= 0]] = True
    return result, Usage(requests, share, index, rows, signed, discount)
