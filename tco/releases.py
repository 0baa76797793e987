"""Release tracks on the paths of a run: when each option first upgrades, and the deployed
weights' age month by month.

The kernel prices upgrades and lag escalation on its own; this is the report of the same rule,
computed over all paths at once from the drawn arrivals and the fired licence changes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import tco.risks as risks
from tco.draws import Shocks, planned_releases
from tco.load import Loaded
from tco.views import arrivals

NEVER = -1
"""First-upgrade month of a path that never upgrades within the horizon."""


@dataclass
class Deployed:
    """One option's deployed weights over the paths of a run."""

    first_upgrade: np.ndarray
    """(paths,) month of the first upgrade, ``NEVER`` where none arrives within the horizon."""
    age_months: np.ndarray
    """(paths, months) float32: age of the deployed weights in each month."""


def tracked(sc: Loaded) -> list[str]:
    """Options with a release track that plans a release within the horizon."""
    return [name for name in sc.options if planned_releases(sc, name)]


def licence_months(sc: Loaded, shocks: Shocks, name: str) -> np.ndarray:
    """(paths,) month of the first licence change (an escalating kind) on the option, or the
    horizon where none fired."""
    first = np.full(shocks.paths, sc.horizon_months)
    for (i, option), fired in shocks.fired.items():
        if option == name and sc.risks[i].spec.effects & risks.Effect.ESCALATE:
            hit = fired.any(axis=1)
            first = np.where(hit, np.minimum(first, fired.argmax(axis=1)), first)
    return first


def deployed(sc: Loaded, x: dict[str, np.ndarray], shocks: Shocks) -> dict[str, Deployed]:
    """Each tracked option's upgrades and weights' age on these paths.

    A release arriving in month u before the licence change's month is deployed then; the age is
    age_months_at_start + t before the first upgrade and t - u after the latest upgrade u <= t.
    """
    if not tracked(sc):
        return {}
    months = sc.horizon_months
    arrival = arrivals(sc, x, shocks, shocks.paths)
    t = np.arange(months)
    out = {}
    for j, name in enumerate(sc.options):
        if name not in tracked(sc):
            continue
        cut = licence_months(sc, shocks, name)[:, None]
        live = np.where(arrival[j] < cut, arrival[j], months)  # cancelled releases never arrive
        # Latest upgrade at or before each month (arrivals are in order): -1 before the first.
        latest = np.full((shocks.paths, months), -1)
        for r in range(live.shape[1]):
            latest = np.where(live[:, r:r + 1] <= t[None, :], live[:, r:r + 1], latest)
        age0 = np.broadcast_to(x[f"options.{name}.release_track.age_months_at_start"],
                               (shocks.paths,))[:, None]
        age = np.where(latest < 0, age0 + t[None, :], t[None, :] - latest)
        first = np.where(live[:, 0] < months, live[:, 0], NEVER)
        out[name] = Deployed(first, age.astype(np.float32))
    return out


def still_on_month0_weights(first_upgrade: np.ndarray, months: int) -> np.ndarray:
    """(months,) probability that month t still runs the weights deployed in month 0."""
    never = np.where(first_upgrade == NEVER, months, first_upgrade)
    return (never[:, None] > np.arange(months)[None, :]).mean(axis=0)
