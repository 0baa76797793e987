"""Stress tests: force one event on one option in one month and compare every strategy."""

from __future__ import annotations

import numpy as np
import pandas as pd

import tco.kernel as kernel
import tco.risks as risks
from tco.draws import Shocks
from tco.errors import ScenarioError
from tco.load import Loaded, validate
from tco.model import nominal_inputs
from tco.schema import OPTION_KINDS
from tco.yamlio import to_dict


def _with_risk(sc: Loaded, kind: str, option: str) -> tuple[Loaded, int]:
    """Return a scenario holding a risk of ``kind`` on ``option`` and that risk's index.

    A kind that takes a size from the scenario (``stress_needs``) must have a risk there; others
    are added with probability 0 and their fields' defaults.
    """
    for i, risk in enumerate(sc.risks):
        if risk.kind == kind and option in risk.on:
            return sc, i
    spec = risks.kind(kind)
    if spec.stress_needs is not None:
        raise ScenarioError("--event", f"the scenario has no {kind} risk on '{option}' to take "
                            f"its {spec.stress_needs} from; add one (annual_probability may be 0)")
    data = to_dict(sc.scenario)
    data.setdefault("risks", []).append({"kind": kind, "on": [option], "annual_probability": 0.0})
    return validate(data, sc.comments), len(data["risks"]) - 1


def stress(sc: Loaded, kind: str, option: str, month: int) -> pd.DataFrame:
    """Deterministic NPV of every strategy with and without one forced event.

    The event's impact (price multiplier, successor multiplier, migration effort) is at its nominal
    value. Returns one row per strategy: base_npv_usd, stressed_npv_usd, impact_usd, impact_share.
    """
    if kind not in risks.REGISTRY:
        raise ScenarioError("--event", "must be one of " + ", ".join(risks.REGISTRY))
    if option not in sc.options:
        raise ScenarioError("--on", f"'{option}' is not a defined option (options are "
                            f"{', '.join(sc.options)})")
    if not 0 <= month < sc.horizon_months:
        raise ScenarioError("--month", f"must be between 0 and {sc.horizon_months - 1}")
    spec = risks.kind(kind)
    if sc.options[option].kind not in spec.applies_to:
        raise ScenarioError("--on", f"{kind} applies to "
                            + " and ".join(OPTION_KINDS[k][1] for k in spec.applies_to))
    stressed, index = _with_risk(sc, kind, option)
    x = nominal_inputs(stressed.inputs)
    fired = np.zeros((1, sc.horizon_months), dtype=bool)
    fired[0, month] = True
    impact = stressed.inputs.impact(index, stressed.scenario)
    shocks = Shocks(paths=1, fired={(index, option): fired},
                    impact={(index, option): np.array([impact.nominal if impact else 1.0])},
                    weeks={(index, option): np.array(
                        [stressed.inputs.params["switching.engineer_weeks"].nominal])})
    result = kernel.run(stressed, x, shocks)
    base, hit = result.npv_no_events_usd[0], result.npv_usd[0]
    frame = pd.DataFrame({"strategy": list(sc.strategies), "base_npv_usd": base,
                          "stressed_npv_usd": hit, "impact_usd": hit - base})
    frame["impact_share"] = frame["impact_usd"] / frame["base_npv_usd"].where(frame["base_npv_usd"] != 0)
    return frame


def named_stresses(sc: Loaded) -> pd.DataFrame:
    """Run the scenario's own named stresses; one row per (stress, strategy)."""
    frames = []
    for s in sc.stresses:
        frame = stress(sc, s.kind, s.on, s.month)
        frame.insert(0, "stress", s.name)
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=["stress", "strategy", "base_npv_usd", "stressed_npv_usd",
                                     "impact_usd", "impact_share"])
    return pd.concat(frames, ignore_index=True)
