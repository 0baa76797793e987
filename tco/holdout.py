"""Out-of-sample coverage: hazards and shock sizes fitted on the ledger before a cut-off date, scored
on the cohorts that start on or after it.

The in-sample coverage (``tco.backtest.coverage``) replays the same ledger the shipped scenarios
were calibrated on. Here each scenario's risks are refitted on the events dated before the cut-off
only (the ledger truncated there: later rows dropped, every as-of date clipped to the cut-off, so
models still live then are censored at it), and the refitted scenario is scored on the cohorts
whose windows start on or after the cut-off. What is refitted, from ``tco.hazards``:

- ``deprecation`` on API options: the pooled retirement-announcement rate per model-year, p = 1 -
  exp(-rate); its ``successor_price_multiplier`` a lognormal through the median and P90 of the
  successor multipliers (distinct successions);
- ``price_change`` on API options: the first-party rate per provider-year and a lognormal through
  the median and P90 of the recorded steps;
- ``licence_change``: the rate of restrictive turns (tightened licence or closed flagship) per
  family-year;
- ``fine_tune_withdrawn``: withdrawal announcement days per provider-year.

A rate is refitted when at least one event falls before the cut-off (with none, the fitted rate
would be 0: the risk would vanish; the ledger's price steps start in 2025-06), a size distribution
when at least ``MIN_SIZES`` sizes do; otherwise the scenario's own value is kept and the result
says so. Exits and GPU
price shocks have no ledger kind and are kept. The same cohorts scored with the shipped scenario
give the in-sample figure beside it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

import tco.backtest as backtest
import tco.calendar as calendar
import tco.hazards as hazards
import tco.ledger as ledger
import tco.options as options
import tco.risks as risks
from tco.format import pct
from tco.load import Loaded, validate
from tco.simulate import DEFAULT_SEED
from tco.yamlio import to_dict

CUTOFF = "2025-01"
"""Default cut-off month: fit on events before 2025-01-01, score cohorts from 2025-01."""
MIN_SIZES = 5
"""Fewest sizes before the cut-off to refit a size distribution (a median and a P90)."""
P90_Z = 1.2815515655446004
"""The standard normal's 90% quantile (a lognormal's P90 is its median x exp(1.2816 sigma))."""


def truncate(led: pd.DataFrame, cutoff: dt.date) -> pd.DataFrame:
    """The ledger as it stood on ``cutoff``: rows dated before it, as-of dates clipped to the day
    before, and dates after it (a scheduled shutdown, a release) blanked as not yet known."""
    out = led[led["date"] < cutoff].copy()
    last = cutoff - dt.timedelta(days=1)
    out["as_of"] = [min(a, last) for a in out["as_of"]]
    for column in ("effective_date", "released"):
        out[column] = [d if d is None or pd.isna(d) or d < cutoff else None for d in out[column]]
    return out


def _lognormal(values: pd.Series) -> dict | None:
    """A lognormal through the sample's median and P90 (None for fewer than MIN_SIZES values or a
    P90 not above the median)."""
    x = np.asarray(values, dtype=float)
    if x.size < MIN_SIZES:
        return None
    median, p90 = float(np.median(x)), float(np.percentile(x, 90))
    return {"lognormal": {"median": median, "p90": p90}} if p90 > median > 0 else None


@dataclass(frozen=True)
class Refit:
    """The refitted scenario and one line per risk saying what was fitted or kept."""

    scenario: Loaded
    notes: tuple[str, ...]


def refit(sc: Loaded, led: pd.DataFrame) -> Refit:
    """The scenario with its ledger-backed risks refitted on ``led`` (a truncated ledger)."""
    rates = {r.kind + ":" + r.provider: r for r in
             hazards.model_rates(led, "retirement_announced", min_events=10**9)
             + hazards.provider_rates(led) + hazards.licence_rates(led)}
    fits = {
        "deprecation": (rates.get("retirement_announced:all"),
                        "successor_price_multiplier", ledger.successor_multipliers(led)),
        "price_change": (rates.get("price_change:first-party"), "multiplier",
                         ledger.price_change_sizes(led, first_party_only=True)),
        "licence_change": (rates.get("restrictive turn (tightened or closed flagship):all"), None, None),
        "fine_tune_withdrawn": (rates.get("finetune_withdrawal:all"), None, None),
    }
    data, notes = to_dict(sc.scenario), []
    for risk in data.get("risks", []):
        kind, on = risk["kind"], risk["on"]
        name = f"{risks.kind(kind).label} on {', '.join(on)}"
        api_only = all(options.of(sc.options[o]).history == "models" for o in on)
        fit = fits.get(kind)
        if fit is None or (kind in ("deprecation", "price_change") and not api_only):
            notes.append(f"{name}: kept (no ledger kind fits it)")
            continue
        found, size_field, sizes = fit
        if found is None or found.events == 0:
            kept = risk["annual_probability"]
            notes.append(f"{name}: kept at {pct(kept, 1) if isinstance(kept, int | float) else kept} a "
                         "year (no event before the cut-off)")
            continue
        p = float(found.probabilities()[0])
        text = f"{name}: annual probability {pct(p, 1)} ({found.events} events)"
        risk["annual_probability"] = p
        if size_field is not None and size_field in risk:
            size = _lognormal(sizes)
            if size is None:
                text += f"; its size kept ({len(sizes)} sizes)"
            else:
                risk[size_field] = size
                text += (f"; size lognormal, median x{size['lognormal']['median']:.2f}, "
                         f"P90 x{size['lognormal']['p90']:.2f} ({len(sizes)} sizes)")
        notes.append(text)
    return Refit(validate(data, sc.comments), tuple(notes))


def _summary(cells: pd.DataFrame) -> dict:
    if cells.empty:
        return {"cohorts": 0, "cells": 0}
    r, lo, hi = (cells[c].to_numpy(float) for c in ("realised_npv_usd", "p5_usd", "p95_usd"))
    return {"cohorts": int(cells["cohort"].nunique()), "first_cohort": min(cells["cohort"]),
            "last_cohort": max(cells["cohort"]), "cells": len(cells),
            "coverage": hazards.p5_p95_coverage(r, lo, hi), "below_p5": float(np.mean(r < lo)),
            "above_p95": float(np.mean(r > hi)), "mean_percentile": float(cells["percentile"].mean())}


def coverage(scenarios: dict[str, Loaded], cutoff: str = CUTOFF,
             timeline: ledger.Timeline | None = None, paths: int = backtest.COVERAGE_PATHS,
             seed: int = DEFAULT_SEED) -> list[dict]:
    """In-sample (shipped scenario) and out-of-sample (refitted before ``cutoff``) coverage of the
    cohorts starting on or after ``cutoff``, per window length with any such cohort: every
    scenario pooled ('all'), then each one. Each row also carries the refit's notes."""
    timeline = ledger.Timeline() if timeline is None else timeline
    cut = calendar.first_day(cutoff, 0)
    early = truncate(timeline.frame, cut)
    refits = {name: refit(sc, early) for name, sc in scenarios.items()}
    frames = []
    first = max(cutoff, backtest.FIRST_COHORT)
    for w in backtest.COHORT_WINDOWS_MONTHS:
        if calendar.month_of(first, timeline.snapshot) + 1 < w:
            continue  # no window of this length starting on or after the cut-off has ended yet
        for name, sc in scenarios.items():
            for sample, scenario in (("in_sample", sc), ("out_of_sample", refits[name].scenario)):
                cells = backtest.cohort_cells(scenario, w, timeline, paths, seed, first)
                frames.append(cells.assign(scenario=name, sample=sample))
    cells = pd.concat(frames) if frames else pd.DataFrame()
    out = []
    for w in backtest.COHORT_WINDOWS_MONTHS:
        mine = cells[cells["window_months"] == w] if len(cells) else cells
        if mine.empty:
            continue
        for name in ["all", *scenarios]:
            part = mine if name == "all" else mine[mine["scenario"] == name]
            if part.empty:
                continue
            out.append({"window_months": w, "scenario": name, "cutoff": cutoff,
                        "in_sample": _summary(part[part["sample"] == "in_sample"]),
                        "out_of_sample": _summary(part[part["sample"] == "out_of_sample"]),
                        "refit": list(refits[name].notes) if name != "all" else []})
    return out


def lines(rows: list[dict]) -> list[str]:
    """The out-of-sample table as text lines (``calibrate-hazards``)."""
    if not rows:
        return ["Out-of-sample coverage: no cohort starts on or after the cut-off"]
    out = [f"Out-of-sample coverage: risks refitted on ledger events before {rows[0]['cutoff']}, "
           "scored on cohorts from then (in-sample: the shipped scenarios on the same cohorts)"]
    head = ["W", "scenario", "cohorts", "cells", "in-sample inside", "pctl", "out-of-sample inside",
            "below P5", "above P95", "pctl"]
    body = []
    for r in rows:
        a, b = r["in_sample"], r["out_of_sample"]
        body.append([f"{r['window_months']}m", r["scenario"],
                     f"{b['cohorts']} ({b.get('first_cohort', '-')}-{b.get('last_cohort', '-')})",
                     str(b["cells"]), f"{a['coverage']:.0%}", f"P{a['mean_percentile']:.0f}",
                     f"{b['coverage']:.0%}", f"{b['below_p5']:.0%}", f"{b['above_p95']:.0%}",
                     f"P{b['mean_percentile']:.0f}"])
    out += ledger.text_table(head, body)
    for r in rows:
        out += [f"  {r['scenario']} refit: {note}" for note in r["refit"]] if r["window_months"] == rows[0][
            "window_months"] else []
    return out
