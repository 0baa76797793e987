"""The last checks on a scenario's results: no cost above ``MAX_RESULT``, and warnings on legal
but unusual inputs that the field ranges let through.

Every input has a practical range (``tco.fields``), but several inputs at the top of theirs multiply
(the GPU price, the replicas, the peak, the horizon): a result above ``MAX_RESULT`` in the scenario's
currency is refused with one line naming the inputs that drove it, found by halving and doubling
each nominal input and keeping those that move the largest cost most. Nothing here imports the
kernel; the caller passes the function that evaluates it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tco.distributions import nominal
from tco.errors import ScenarioError
from tco.fields import HIGH_DISCOUNT_RATE, MAX_RESULT

DRIVERS = 3
"""Inputs named in the refusal."""


def warnings_of(scenario: object) -> list[str]:
    """Warnings on inputs inside their range but outside common practice."""
    found = []
    rate = getattr(scenario, "discount_rate_per_year", 0.0)
    if nominal(rate) > HIGH_DISCOUNT_RATE:
        found.append(f"discount_rate_per_year: {nominal(rate):.0%} a year is a venture hurdle rate, "
                     f"above any cost of capital (above {HIGH_DISCOUNT_RATE:.0%}); later costs count "
                     "for little")
    return found


def require_bounded(sc: Any, npv_usd: np.ndarray,
                    evaluate: Callable[[dict[str, np.ndarray]], np.ndarray]) -> None:
    """Refuse a result whose cost exceeds ``MAX_RESULT``, naming the inputs that drove it.

    Parameters
    ----------
    sc : tco.load.Loaded
        The scenario with its resolved inputs.
    npv_usd : np.ndarray
        NPVs, shape ``(paths, strategies)``.
    evaluate : callable
        Inputs by path (shape ``(1,)`` arrays) -> deterministic NPVs, shape ``(1, strategies)``.
    """
    values = np.abs(np.asarray(npv_usd, dtype=float))
    if values.size == 0 or not np.nanmax(values) > MAX_RESULT:
        return
    path_index, column = np.unravel_index(int(np.nanargmax(values)), values.shape)
    strategy = list(sc.strategies)[column]
    drivers = _drivers(sc, evaluate)
    what = (f"gives strategy '{strategy}' a cost of {values[path_index, column]:.3g} {sc.currency} "
            f"(NPV{'' if values.shape[0] == 1 else ' on a simulated path'}), above the {MAX_RESULT:.0e} "
            "that any real plan stays under; check these inputs' units")
    if not drivers:
        raise ScenarioError("scenario", f"the inputs together {what}")
    first, *others = drivers
    shown = " and ".join(f"{path} at {value:.6g}" for path, value in others)
    raise ScenarioError(first[0], f"at {first[1]:.6g}{f', with {shown},' if shown else ''} {what}")


def _drivers(sc: Any, evaluate: Callable[[dict[str, np.ndarray]], np.ndarray]
             ) -> list[tuple[str, float]]:
    """The nominal inputs whose halving (or, where halving does not lower it, doubling) lowers
    the largest deterministic cost most: one kernel evaluation per input, about 10 ms each."""
    params = sc.inputs.params
    base_x = {path: np.array([p.nominal]) for path, p in params.items()}
    with np.errstate(all="ignore"):
        base = float(np.max(np.abs(evaluate(base_x))))
        if not (np.isfinite(base) and base > 0):
            return []
        scores = []
        for path, param in params.items():
            value = param.nominal
            if value == 0.0:
                continue
            for factor in (0.5, 2.0):  # doubling only where halving does not lower the cost
                moved = value * factor
                if not param.bounds.holds(moved):
                    continue
                x = {**base_x, path: np.array([moved])}
                after = float(np.max(np.abs(evaluate(x))))
                if np.isfinite(after) and after > 0 and (drop := np.log(base / after)) > 1e-6:
                    scores.append((float(drop), path, value))
                    break
    scores.sort(key=lambda s: (-s[0], s[1]))
    return [(path, value) for _, path, value in scores[:DRIVERS]]
