"""Release tracks on the paths of a run: which options have one, and the share of futures still on
month 0's weights.

The kernel reports each path's first upgrade and the weights' age month by month as it priced
them (``KernelResult.first_upgrade``, ``weights_age``): there is one release-track rule, in
``tco.kernel.states.track``.
"""

from __future__ import annotations

import numpy as np

from tco.draws import planned_releases
from tco.load import Loaded

NEVER = -1
"""First-upgrade month of a path that never upgrades within the horizon."""


def tracked(sc: Loaded) -> list[str]:
    """Options with a release track that plans a release within the horizon."""
    return [name for name in sc.options if planned_releases(sc, name)]


def still_on_month0_weights(first_upgrade: np.ndarray, months: int) -> np.ndarray:
    """(months,) probability that month t still runs the weights deployed in month 0."""
    never = np.where(first_upgrade == NEVER, months, first_upgrade)
    return (never[:, None] > np.arange(months)[None, :]).mean(axis=0)
