"""LLM lock-in risk and TCO calculator.

    import tco
    sc = tco.load_scenario("scenarios/open-model-goes-closed.yaml")
    det = tco.evaluate(sc)
    res = tco.simulate(sc, paths=20_000, seed=7)
    res.summary()
"""

from __future__ import annotations

from tco import capacity
from tco.errors import ScenarioError
from tco.load import Loaded, dumps, load_scenario, loads
from tco.model import Evaluation, evaluate
from tco.schema import Scenario
from tco.simulate import SimulationResult, simulate
from tco.version import __version__

__all__ = ["Evaluation", "Loaded", "Scenario", "ScenarioError", "SimulationResult", "__version__", "capacity",
           "dumps", "evaluate", "load_scenario", "loads", "simulate"]
