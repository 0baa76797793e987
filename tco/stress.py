"""Stress tests: force one event on one option in one month and compare every strategy."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tco import kernel
from tco.errors import ScenarioError
from tco.inputs import resolve
from tco.kernel import EVENT_KINDS, Shocks
from tco.model import nominal_inputs
from tco.scenario import Scenario, SelfHostedOption, to_dict, validate


def _with_risk(sc: Scenario, kind: str, option: str) -> tuple[Scenario, int]:
    """Return a scenario holding a risk of ``kind`` on ``option`` and that risk's index."""
    for i, risk in enumerate(sc.risks):
        if risk.kind == kind and option in risk.on:
            return sc, i
    if kind in ("price_change", "licence_change"):
        what = "multiplier" if kind == "price_change" else "escalation_per_month"
        raise ScenarioError("--event", f"the scenario has no {kind} risk on '{option}' to take "
                            f"its {what} from; add one (annual_probability may be 0)")
    data = to_dict(sc)
    data.setdefault("risks", []).append({"kind": kind, "on": [option], "annual_probability": 0.0})
    return validate(data), len(data["risks"]) - 1


def stress(sc: Scenario, kind: str, option: str, month: int) -> pd.DataFrame:
    """Deterministic NPV of every strategy with and without one forced event.

    The event's impact (price multiplier, successor multiplier, migration effort) is at its nominal
    value. Returns one row per strategy: base_npv_usd, stressed_npv_usd, impact_usd, impact_share.
    """
    if kind not in EVENT_KINDS:
        raise ScenarioError("--event", "must be one of " + ", ".join(EVENT_KINDS))
    if option not in sc.options:
        raise ScenarioError("--on", f"'{option}' is not a defined option (options are "
                            f"{', '.join(sc.options)})")
    if not 0 <= month < sc.horizon_months:
        raise ScenarioError("--month", f"must be between 0 and {sc.horizon_months - 1}")
    if kind == "licence_change" and not isinstance(sc.options[option], SelfHostedOption):
        raise ScenarioError("--on", "licence_change applies to self-hosted options")
    stressed_sc, index = _with_risk(sc, kind, option)
    resolved = resolve(stressed_sc)
    x = nominal_inputs(resolved)
    months = sc.horizon_months
    fired = np.zeros((1, months), dtype=bool)
    fired[0, month] = True
    impact = resolved.impact(index)
    shocks = Shocks(paths=1, fired={(index, option): fired},
                    impact={(index, option): np.array([impact.nominal if impact else 1.0])},
                    weeks={(index, option): np.array(
                        [resolved.params["switching.engineer_weeks"].nominal])})
    base = kernel.run(stressed_sc, resolved, x, Shocks(paths=1)).npv_usd[0]
    hit = kernel.run(stressed_sc, resolved, x, shocks).npv_usd[0]
    frame = pd.DataFrame({"strategy": list(sc.strategies), "base_npv_usd": base,
                          "stressed_npv_usd": hit, "impact_usd": hit - base})
    frame["impact_share"] = frame["impact_usd"] / frame["base_npv_usd"].where(frame["base_npv_usd"] != 0)
    return frame


def named_stresses(sc: Scenario) -> pd.DataFrame:
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
