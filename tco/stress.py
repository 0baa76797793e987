"""Stress tests: force one event on one option in one month and compare every strategy.

Each row says how big the forced event is and why a strategy's cost moves ("traffic moves to
gpt-5-mini, 4x cheaper"). The default size is adverse: the risk's P90 size (a price multiplier
above its median costs more), so a stress tests a bad case, not the typical one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

import tco._runtime as runtime
import tco.distributions as distributions
import tco.kernel as kernel
import tco.options as option_kinds
import tco.risks as risks
from tco.draws import Shocks, fact_unit
from tco.errors import ScenarioError
from tco.format import pct, plain, usd
from tco.inputs import Param
from tco.load import Loaded, validate
from tco.model import monthly_run_rate_usd, nominal_inputs
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


ADVERSE_QUANTILE = 0.9
"""A forced event's size is this quantile of the risk's size distribution: every impact field is a
price multiplier, where a larger value costs more, so P90 is the adverse side."""


def adverse_size(param: Param, quantile: float = ADVERSE_QUANTILE) -> float:
    """The size a stress forces: ``quantile`` of an uncertain size, a fixed size as it is."""
    return distributions.quantile(param.value, quantile)


def stress(sc: Loaded, kind: str, option: str, month: int, size: float | None = None
           ) -> pd.DataFrame:
    """Deterministic NPV of every strategy with and without one forced event.

    The event's size (price or successor multiplier) is ``size`` where given (a replayed event's
    recorded size), else the risk's P90 (``adverse_size``); the migration effort is nominal.
    Returns one row per strategy: base_npv_usd, stressed_npv_usd, impact_usd, impact_share, and
    in words event_size and why (``explain``).
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
    given = size is not None
    if impact is None:
        size = None
    elif size is None:
        size = adverse_size(impact)
    # The event is one fact: it reaches every option of its line that shares the unit it is about,
    # in the same month and with the same size.
    unit = fact_unit(stressed, index, option)
    reached = [name for name in stressed.risks[index].on if fact_unit(stressed, index, name) == unit]
    weeks = stressed.inputs.params["switching.engineer_weeks"].nominal
    shocks = Shocks(paths=1, fired={(index, name): fired for name in reached},
                    impact={(index, name): np.array([1.0 if size is None else size])
                            for name in reached},
                    weeks={(index, name): np.array([weeks]) for name in reached})
    with runtime.one_thread():  # one path: a parallel region costs more than the run
        result = kernel.run(stressed, x, shocks)
    base, hit = result.npv_no_events_usd[0], result.npv_usd[0]
    frame = pd.DataFrame({"strategy": list(sc.strategies), "base_npv_usd": base,
                          "stressed_npv_usd": hit, "impact_usd": hit - base})
    frame["impact_share"] = frame["impact_usd"] / frame["base_npv_usd"].where(frame["base_npv_usd"] != 0)
    return explain(stressed, frame, kind, option, index, size, given, reached)


def size_words(sc: Loaded, kind: str, option: str, index: int, size: float | None,
               given: bool = False) -> str:
    """How big the forced event is: 'prices x2.00 (the risk's P90)', 'successor priced x1.60
    (the risk's P90)', 'licence fees on up to 50% of traffic, +3% a month'."""
    spec = risks.kind(kind)
    parts = []
    if size is not None:
        param = sc.inputs.params[f"risks.{index}.{spec.impact_field}"]
        where = ("as given" if given else f"the risk's P{100 * ADVERSE_QUANTILE:.0f}"
                 if param.uncertain else "the risk's size")
        noun = spec.fields[spec.impact_field].label.lower()
        parts.append(f"{noun} x{size:.2f} ({where})")
    if spec.escalation_fields:
        rate, cap = (sc.inputs.params[f"risks.{index}.{f}"].nominal for f in spec.escalation_fields)
        parts.append(f"the escalated share grows {pct(rate, 1)} a month up to {pct(cap)}")
    if spec.effects & (risks.Effect.EXIT | risks.Effect.WITHDRAW_FINE_TUNING):
        what = "its fine-tuned traffic" if spec.effects & risks.Effect.WITHDRAW_FINE_TUNING else (
            "all its traffic")
        parts.append(f"{option} loses {what}")
    return "; ".join(parts) or spec.label


def _fallback(sc: Loaded, strategy: str, option: str) -> str | None:
    """Where a strategy's traffic on ``option`` goes: the first of its fallbacks that is not it."""
    return next((o for o in sc.strategies[strategy].chain if o != option), None)


def _ratio_words(sc: Loaded, option: str, fallback: str) -> str:
    """'4x cheaper' or '1.3x dearer': the fallback's month-0 run rate against the option's at
    today's volume, all traffic on each."""
    volume = np.array([max(sc.inputs.params["workload.requests_per_month"].nominal, 1.0)])
    mine = float(monthly_run_rate_usd(sc, option, volume)[0])
    theirs = float(monthly_run_rate_usd(sc, fallback, volume)[0])
    if mine <= 0 or theirs <= 0:
        return ""
    ratio = mine / theirs if theirs < mine else theirs / mine
    return f", {plain(ratio, 2)}x {'cheaper' if theirs < mine else 'dearer'}" if ratio >= 1.05 else (
        ", about the same cost")


def _why(sc: Loaded, kind: str, option: str, strategy: str, impact_usd: float,
         size: float | None) -> str:
    """Why one strategy's NPV moves, in words; a fall in cost says so."""
    spec = risks.kind(kind)
    plan = sc.strategies[strategy]
    if option not in plan.mix and option not in plan.chain:
        return f"does not use {option}"
    sized = "" if size is None else f" x{size:.2f}"
    reasons = []
    if option not in plan.mix:
        reasons.append(f"{option} is only its fallback, so only traffic sent there is affected")
    elif spec.effects & risks.Effect.MIGRATE:
        reasons.append(f"a forced migration off {option} to a successor priced{sized} (one switching "
                       "cost and dual running)")
    elif spec.effects & risks.Effect.PRICE:
        reasons.append(f"{option}'s prices{sized}")
    if option in plan.mix and spec.effects & risks.Effect.ESCALATE:
        reasons.append(f"a growing share of {option}'s traffic owes the new licence terms")
    if option in plan.mix and spec.effects & risks.Effect.WITHDRAW_FINE_TUNING:
        fallback = _fallback(sc, strategy, option)
        reasons.append(f"its fine-tuned traffic moves to {fallback} and the tuning runs stop"
                       if fallback else f"no fallback for {option}'s fine-tuned traffic")
    elif option in plan.mix and spec.effects & risks.Effect.EXIT:
        fallback = _fallback(sc, strategy, option)
        reasons.append(f"traffic moves to {fallback}{_ratio_words(sc, option, fallback)}" if fallback
                       else f"no fallback: {option}'s traffic has nowhere else to go")
    text = "; ".join(reasons)
    if impact_usd < 0:
        return f"cost falls by {usd(-impact_usd)}: {text}"
    if impact_usd > 0:
        return f"cost rises by {usd(impact_usd)}: {text}"
    return f"no change: {text}"


def explain(sc: Loaded, frame: pd.DataFrame, kind: str, option: str, index: int,
            size: float | None, given: bool = False, reached: list[str] | None = None
            ) -> pd.DataFrame:
    """``frame`` with event_size and why for each strategy (``stress``'s rows).

    ``reached``: every option the one event reaches (a family's licence, a vendor's exit); each
    strategy's why speaks of the reached option it carries traffic on, else the one it falls
    back to.
    """
    reached = reached or [option]
    out = frame.copy()
    words = size_words(sc, kind, option, index, size, given)
    others = [o for o in reached if o != option]
    out["event_size"] = words + (f"; the same event reaches {', '.join(others)}" if others else "")

    def concerned(strategy: str) -> str:
        plan = sc.strategies[strategy]
        return next((o for o in reached if o in plan.mix),
                    next((o for o in reached if o in plan.chain), option))

    out["why"] = [_why(sc, kind, concerned(s), s, v, size)
                  for s, v in zip(out["strategy"], out["impact_usd"], strict=True)]
    return out


def named_stresses(sc: Loaded) -> pd.DataFrame:
    """Run the scenario's own named stresses; one row per (stress, strategy)."""
    frames = []
    for s in sc.stresses:
        frame = stress(sc, s.kind, s.on, s.month)
        frame.insert(0, "stress", s.name)
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=["stress", "strategy", "base_npv_usd", "stressed_npv_usd",
                                     "impact_usd", "impact_share", "event_size", "why"])
    return pd.concat(frames, ignore_index=True)
