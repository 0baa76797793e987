"""The executive summary in words, written from the numbers: a recommendation, three bullets that
explain it, each strategy in words, what each stress does, and what a reader should check.

Every sentence is built from a ``SimulationResult`` (and the stress frames), so the page, the deck
and the speaker notes say the same thing; nothing here computes a cost.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

import tco.calendar as calendar
import tco.glossary as glossary
import tco.narrative as narrative
import tco.options as options
import tco.risks as risks
from tco.format import pct, plural, usd
from tco.load import Loaded
from tco.report import STALE_AFTER_DAYS, assumptions
from tco.simulate import SimulationResult


def recommendation(result: SimulationResult) -> str:
    """One sentence: the strategy with the lowest expected cost, and how often it wins."""
    table = result.summary()
    best = narrative.cheapest(table)
    years = result.scenario.horizon_months / 12
    return (f"Choose {best}: over {years:g} years it has the lowest expected cost, "
            f"{usd(table.loc[best, 'mean'])} in present value, and is the cheapest strategy in "
            f"{pct(table.loc[best, 'p_cheapest'])} of {result.paths:,} simulated futures.")


def bullets(result: SimulationResult) -> list[str]:
    """Three findings: why expected differs from deterministic, the bad tail, whether the ranking
    holds between the two views."""
    table = result.summary()
    sc = result.scenario
    best = narrative.cheapest(table)
    nominal_best = table["deterministic_npv"].idxmin()
    row = table.loc[best]
    kinds = [c.removeprefix("events_") for c in table.columns if c.startswith("events_")]
    fired = {k: row[f"events_{k}"] for k in kinds if row[f"events_{k}"] > 0}
    driver = max(fired, key=fired.get) if fired else None
    why = narrative.bridge_sentence(result, best)
    if driver is not None:
        why += (f", mostly {risks.phrase(driver)} ({fired[driver]:.2f} a path on the options "
                f"{best} uses)")
    why += "."
    tail = narrative.tail_sentence(result)
    if nominal_best == best:
        ranking = (f"The ranking holds: {best} is also cheapest on nominal inputs "
                   f"({usd(row['deterministic_npv'])}).")
    else:
        # Both steps of its bridge, signed: where vendor shocks lower its cost (licence-threshold's
        # llama-4, -$2.71M), naming the premium alone read as if a saving made it dearer.
        _, drift, shocks, expected = narrative.bridge_rows(result, nominal_best)["amount_usd"]
        ranking = (f"The ranking flips: on nominal inputs {nominal_best} is cheapest "
                   f"({usd(table.loc[nominal_best, 'deterministic_npv'])}), but in expectation it "
                   f"costs {usd(expected)} (uncertain inputs {_adds(drift)}, vendor shocks "
                   f"{_adds(shocks)}), more than {best}'s {usd(row['mean'])}.")
    found = [why, tail, ranking] if len(sc.strategies) > 1 else [why, tail]
    return found + releases_and_tuning(result)


def _adds(usd_amount: float) -> str:
    """'add $X' or 'take off $X': a step of the bridge in words."""
    return f"add {usd(usd_amount)}" if usd_amount >= 0 else f"take off {usd(-usd_amount)}"


def releases_and_tuning(result: SimulationResult) -> list[str]:
    """A sentence for each release-tracked option (when it upgrades, how old its weights get) and
    one for fine-tuning (runs and their cost per strategy), where the scenario has them."""
    out = []
    months = result.scenario.horizon_months
    for name, first in result.first_upgrade.items():
        upgraded = first[first >= 0]
        age_end = float(np.median(result.weights_age[name][:, -1]))
        # How often none arrives, said only where it adds something: 'in 0% of futures none
        # arrives' read as a warning, and after 'no open release arrives' the 100% repeated it.
        if upgraded.size == first.size:
            median = int(np.median(upgraded))
            when = (f"the next open release for {name} arrives in month {median} "
                    f"({calendar.readable(result.resolved.start, median)}) at the median, and "
                    f"within {months} months in every future")
        elif upgraded.size:
            median = int(np.median(upgraded))
            # A share that rounds to 0% or 100% but is neither is said as such.
            none = pct(1.0 - upgraded.size / first.size)
            share = {"0%": "under 1%", "100%": "over 99%"}.get(none, none)
            when = (f"the next open release for {name} arrives in month {median} "
                    f"({calendar.readable(result.resolved.start, median)}) at the median; in "
                    f"{share} of futures none arrives within {months} months")
        else:
            when = f"no open release for {name} arrives within the {months}-month horizon"
        out.append(f"Waiting on releases: {when}; the weights are {age_end:.0f} months old at the "
                   "end (median).")
    idx = [result.lines.index(n) for n in ("fine_tune_runs", "fine_tune_platform")]
    tuning = result.line_mean_usd[:, idx, :].sum(axis=(1, 2))
    if tuning.any():
        runs = result.fine_tune_runs.mean(axis=0)
        parts = [f"{name} {runs[s]:.1f} runs, {usd(tuning[s])}"
                 for s, name in enumerate(result.strategies) if tuning[s] > 0]
        text = "Fine-tuning over the horizon (mean, undiscounted): " + "; ".join(parts) + "."
        kinds = list(risks.REGISTRY)
        if "fine_tune_withdrawn" in {risk.kind for risk in result.scenario.risks}:
            hit = (result.events[:, :, kinds.index("fine_tune_withdrawn")] > 0).mean(axis=0)
            exposed = [f"{pct(hit[s])} of futures for {name}" for s, name in
                       enumerate(result.strategies) if hit[s] > 0]
            if exposed:
                text += (" A vendor withdrew the fine-tuning service a strategy relied on in "
                         + ", ".join(exposed) + ".")
        out.append(text)
    return out


def strategy_card(sc: Loaded, name: str) -> str:
    """A strategy in words: its mix, fallback, portability and overhead."""
    strategy = sc.strategies[name]
    parts = []
    for option_name, share in strategy.mix.items():
        option = sc.options[option_name]
        what = options.of(option).describe(option)
        parts.append(f"{pct(share)} on {option_name} ({what})")
    text = "; ".join(parts) + ". "
    text += (f"Falls back to {', then '.join(strategy.chain)}. " if strategy.chain
             else "No fallback: an exit has nowhere to go. ")
    portability = sc.inputs.params[f"strategies.{name}.portability"].nominal
    overhead = sc.inputs.params[f"strategies.{name}.overhead_usd_per_month"].nominal
    text += f"Portability {pct(portability)} (share of migration work a gateway and evals save)"
    return text + (f"; overhead {usd(overhead)} a month." if overhead else ".")


def stress_story(sc: Loaded, frame: pd.DataFrame, kind: str, option: str, month: int) -> str:
    """What a forced event does, with its size (``tco.stress``'s event_size), and why each
    strategy whose cost falls pays less (its why)."""
    spec = risks.kind(kind)
    text = f"{spec.label} on {option} in month {month}: {frame['event_size'].iloc[0]}."
    falls = frame[frame["impact_usd"] < 0]
    if falls.empty:
        return text
    option_spec = sc.options[option]
    kind_of = options.of(option_spec)
    if (spec.effects & risks.Effect.ESCALATE and kind_of.track(option_spec)
            and kind_of.fee_at_release(option_spec)):
        return text + (f" {', '.join(falls['strategy'])} cost less afterwards: the family stops "
                       "releasing, so no later release ever owes the licence fee tested at release, "
                       "and traffic moves to the fallback as the weights age.")
    return text + f" {', '.join(falls['strategy'])} cost less afterwards (" + "; ".join(
        f"{r.strategy}: {r.why}" for r in falls.itertuples()) + ")."


def checks(result: SimulationResult) -> list[str]:
    """What a reader should check before relying on the numbers."""
    sc = result.scenario
    out = [glossary.humanize(w, sc.scenario) for w in result.resolved.warnings]
    frame = assumptions(sc)
    stale = frame[frame["warning"] != ""]
    if len(stale):
        out.append(f"{plural(len(stale), 'price')} {'is' if len(stale) == 1 else 'are'} older than "
                   f"{STALE_AFTER_DAYS} days: "
                   + ", ".join(stale["label"].head(4))
                   + (f" and {len(stale) - 4} more (the appendix dates each)" if len(stale) > 4 else "")
                   + ".")
    judged = frame["source"].str.contains("judgement", case=False)
    out.append(f"{int(judged.sum())} of {len(frame)} inputs are judgement, not a published source; "
               "the appendix lists each with its source.")
    return out
