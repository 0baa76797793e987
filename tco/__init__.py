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
from tco.model import Evaluation, evaluate
from tco.scenario import Scenario, dumps, load_scenario, loads
from tco.simulate import SimulationResult, simulate

__version__ = "0.2.0"

__all__ = ["Evaluation", "Scenario", "ScenarioError", "SimulationResult", "__version__", "capacity",
           "dumps", "evaluate", "load_scenario", "loads", "simulate"]
