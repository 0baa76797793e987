"""Stress tests: force one event on one option in one month and compare every strategy."""

from __future__ import annotations

import numpy as np
import pandas as pd

import tco.kernel as kernel
import tco.options as option_kinds
import tco.risks as risks
from tco.draws import Shocks, fact_unit
from tco.errors import ScenarioError
from tco.load import Loaded, validate
from tco.model import nominal_inputs
from tco.yamlio import to_dict


def with_risks(sc: Loaded, pairs: set[tuple[str, str]], sized: bool = False
               ) -> tuple[Loaded, dict[tuple[str, str], int], dict[tuple[str, str], str]]:
    """The scenario holding a risk for each (kind, option), each pair's risk index, and the
    reason a pair has none.

    The scenario's own risk is used where there is one; otherwise one of probability 0 is added
    with its fields' defaults. ``sized``: the caller gives each event's size (the backtest, from
    the ledger), so a required impact field is set to 1; other required fields (a licence
    change's escalation rate) must come from the scenario, so such a pair gets a reason instead.
    """
    index, reasons, data = {}, {}, None
    for kind, option in sorted(pairs):
        own = [i for i, r in enumerate(sc.risks) if r.kind == kind and option in r.on]
        spec = risks.kind(kind)
        needed = [f for f, rf in spec.fields.items()
                  if rf.required and not (sized and f == spec.impact_field)]
        if own:
            index[(kind, option)] = own[0]
        elif sc.options[option].kind not in spec.applies_to:
            reasons[(kind, option)] = f"{spec.label} does not apply to {option}"
        elif needed:
            reasons[(kind, option)] = (f"not applied: the scenario has no {spec.label.lower()} risk on "
                                       f"{option} to take its {needed[0].replace('_', ' ')} from")
        else:
            data = to_dict(sc.scenario) if data is None else data
            risk = {"kind": kind, "on": [option], "annual_probability": 0.0}
            if spec.impact_field and spec.fields[spec.impact_field].required:
                risk[spec.impact_field] = 1.0
            data.setdefault("risks", []).append(risk)
            index[(kind, option)] = len(data["risks"]) - 1
    return (sc if data is None else validate(data, sc.comments)), index, reasons


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
                            + " and ".join(option_kinds.kind(k).plural for k in spec.applies_to))
    spec = risks.kind(kind)
    if spec.stress_needs is not None and not any(r.kind == kind and option in r.on for r in sc.risks):
        raise ScenarioError("--event", f"the scenario has no {kind} risk on '{option}' to take "
                            f"its {spec.stress_needs} from; add one (annual_probability may be 0)")
    stressed, found, _ = with_risks(sc, {(kind, option)})
    index = found[(kind, option)]
    x = nominal_inputs(stressed.inputs)
    fired = np.zeros((1, sc.horizon_months), dtype=bool)
    fired[0, month] = True
    impact = stressed.inputs.impact(index, stressed.scenario)
    # The event is one fact: it reaches every option of its line that shares the unit it is about.
    unit = fact_unit(stressed, index, option)
    reached = [name for name in stressed.risks[index].on if fact_unit(stressed, index, name) == unit]
    weeks = stressed.inputs.params["switching.engineer_weeks"].nominal
    shocks = Shocks(paths=1, fired={(index, name): fired for name in reached},
                    impact={(index, name): np.array([impact.nominal if impact else 1.0])
                            for name in reached},
                    weeks={(index, name): np.array([weeks]) for name in reached})
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
