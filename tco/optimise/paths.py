"""Candidate strategies costed on a scenario's common paths: the engine's draw once, evaluate many.

Every candidate meets the same futures, so the solver compares decisions, not draws. Costing a
candidate equal to one of the scenario's strategies gives ``simulate``'s per-path NPV.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np

import tco.engine as engine
import tco.options as option_kinds
from tco.load import Loaded, with_changes
from tco.schema import Strategy
from tco.simulate import MAX_SEED


def with_strategies(sc: Loaded, strategies: Mapping[str, Strategy]) -> Loaded:
    """The scenario with ``strategies`` in place of its own (and no ``optimise:`` section, whose
    names refer to the strategies replaced); every rule of a scenario file still applies."""
    return with_changes(sc, {"optimise": None, "strategies": {
        name: s.model_dump(mode="json", exclude_defaults=True) for name, s in strategies.items()}})


def fresh_seed(seed: int) -> int:
    """The seed of the out-of-sample check: the next one, wrapping at the largest."""
    return (seed + 1) % (MAX_SEED + 1)


@dataclass(frozen=True)
class CommonPaths:
    """A scenario's paths for one seed, drawn once (``tco.engine.draw``) on first use; any set
    of candidate strategies is then costed on them."""

    scenario: Loaded
    paths: int
    seed: int

    @cached_property
    def drawn(self) -> engine.Drawn:
        return engine.draw(self.scenario, self.paths, self.seed)

    def npv_usd(self, strategies: Mapping[str, Strategy]) -> np.ndarray:
        """(paths, candidates) NPV of each candidate on each path, in ``strategies``' order."""
        return engine.evaluate(self.drawn, strategies).npv_usd


def contracts(sc: Loaded, strategy: Strategy, hook):
    """(name, contract) of each option in ``strategy``'s mix whose kind's ``hook`` (its
    ``commitment`` or ``reservation`` declaration) gives a contract, in mix order: the options
    whose contract level the commitment and reservation searches choose."""
    for name in strategy.mix:
        option = sc.options[name]
        contract = hook(option_kinds.of(option))(option)
        if contract is not None:
            yield name, contract
