"""Hazard rates, price-multiplier distributions and forecast scores, calibrated on the event ledger.

Every function takes the ledger as a DataFrame (``tco.ledger.load()`` by default) so tests can pass
a synthetic one. Rates are events per unit of exposure with exact Poisson (Garwood) intervals;
an annual rate r converts to the simulator's ``annual_probability`` p = 1 - exp(-r), the chance of
at least one event in a year (the simulator fires q = 1 - (1 - p)^(1/12) a month, i.e. rate r).

Exposure, by kind:
- retirements (announced or effective): model-years. The population is every closed API model with
  a ``release_api`` row; a model is at risk from its release until its first event of the kind or,
  if none, until its provider's observation end (the newest as-of date of that provider's
  release and retirement rows, i.e. when its deprecation page was last read).
- fine-tuning withdrawals: provider-years of the providers whose deprecation pages the ledger
  reads, from 2023-01-01; an event is one announcement day (six models retired together count once).
- price changes: provider-years of the first-party vendors over the span of the recorded steps (the
  first to the newest as-of date). A floor: genai-prices misses most older steps (one is curated).
- licence turns: family-years of the open-weight families, from their first open release (or
  2023-01-01) to the ledger's snapshot date."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy.stats import chi2

import tco.ledger as ledger_mod
from tco.units import MONTHS_PER_YEAR

DAYS_PER_YEAR = 365.25
DAYS_PER_MONTH = DAYS_PER_YEAR / MONTHS_PER_YEAR
CONFIDENCE = 0.95
SHIPPED_DEPRECATION_ANNUAL_PROBABILITY = 0.56
"""The ledger's all-provider deprecation hazard (0.83 a model-year, p = 1 - e^-0.83), scored below."""
HOSTED_EXITS_ONLY = ("meta",)
"""Providers with one hosted API's exit (Meta's Llama API) and no deprecation page: no withdrawal exposure."""
AGE_EDGES_MONTHS = (0.0, 12.0, 24.0, 36.0, math.inf)
FLAT_TOLERANCE = 0.005
"""A multiplier within 0.5% of 1 counts as flat, neither a cut nor a rise."""


@dataclass(frozen=True)
class Rate:
    """Events per year of exposure, with an exact Poisson confidence interval."""

    kind: str
    provider: str
    unit: str
    events: int
    exposure_years: float
    rate_per_year: float
    low_per_year: float
    high_per_year: float

    @property
    def annual_probability(self) -> float:
        return self.probabilities()[0]

    def probabilities(self) -> tuple[float, float, float]:
        """(point, low, high) chance of at least one event in a year."""
        return tuple(1.0 - math.exp(-r) for r in (self.rate_per_year, self.low_per_year, self.high_per_year))


def garwood_interval(events: int, exposure: float, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Exact (Garwood 1936) interval of a Poisson rate: chi-square quantiles over 2 x exposure.

    low = chi2(alpha/2; 2k) / 2E (0 when k = 0), high = chi2(1 - alpha/2; 2k + 2) / 2E.
    """
    if exposure <= 0:
        raise ValueError("exposure must be positive")
    alpha = 1.0 - confidence
    low = 0.0 if events == 0 else chi2.ppf(alpha / 2, 2 * events) / (2 * exposure)
    return float(low), float(chi2.ppf(1 - alpha / 2, 2 * events + 2) / (2 * exposure))


def rate(kind: str, provider: str, unit: str, events: int, exposure_years: float,
         confidence: float = CONFIDENCE) -> Rate:
    return Rate(kind, provider, unit, int(events), float(exposure_years), events / exposure_years,
                *garwood_interval(events, exposure_years, confidence))


def _years(start: dt.date, end: dt.date) -> float:
    return max((end - start).days, 0) / DAYS_PER_YEAR


def _months(start: dt.date, end: dt.date) -> float:
    return (end - start).days / DAYS_PER_MONTH


def _ledger(led: pd.DataFrame | None) -> pd.DataFrame:
    return ledger_mod.load() if led is None else led


def population(led: pd.DataFrame | None = None, kind: str = "retirement_announced") -> pd.DataFrame:
    """One row per released closed API model: when it was released, when it left the risk set.

    Columns: provider, model, released, window_end (the provider's observation end), end (first
    event of ``kind`` or window_end), event (bool), lifetime_months (released to end).
    """
    led = _ledger(led)
    lifecycle = led[led["kind"].isin(("release_api", "retirement_announced", "retirement_effective"))]
    window_end = lifecycle.groupby("provider")["as_of"].max()
    releases = led[led["kind"] == "release_api"].drop_duplicates(["provider", "model"])
    firsts = led[led["kind"] == kind].groupby(["provider", "model"])["date"].min()
    rows = []
    for rel in releases.itertuples():
        end_of_window = window_end[rel.provider]
        first = firsts.get((rel.provider, rel.model))
        event = first is not None and first <= end_of_window
        end = first if event else end_of_window
        rows.append({"provider": rel.provider, "model": rel.model, "released": rel.date,
                     "window_end": end_of_window, "end": end, "event": bool(event),
                     "lifetime_months": _months(rel.date, end)})
    return pd.DataFrame(rows, columns=["provider", "model", "released", "window_end", "end",
                                       "event", "lifetime_months"])


def model_rates(led: pd.DataFrame | None = None, kind: str = "retirement_announced",
                min_events: int = 5) -> list[Rate]:
    """Events per model-year, pooled and for each provider with at least ``min_events`` events."""
    pop = population(led, kind)
    pop["exposure_years"] = [_years(a, b) for a, b in zip(pop["released"], pop["end"], strict=True)]
    out = [rate(kind, "all", "model-year", int(pop["event"].sum()), float(pop["exposure_years"].sum()))]
    for provider, group in pop.groupby("provider"):
        if group["event"].sum() >= min_events:
            out.append(rate(kind, str(provider), "model-year", int(group["event"].sum()),
                            float(group["exposure_years"].sum())))
    return out


def provider_rates(led: pd.DataFrame | None = None) -> list[Rate]:
    """Fine-tuning withdrawals and price changes per provider-year (see the module notes)."""
    led = _ledger(led)
    out = []
    announcers = led[(led["kind"] == "retirement_announced") & ~led["provider"].isin(HOSTED_EXITS_ONLY)]
    announcers = announcers.groupby("provider")["as_of"].max()
    withdrawals = led[led["kind"] == "finetune_withdrawal"].drop_duplicates(["provider", "date"])
    if len(announcers):
        exposure = sum(_years(ledger_mod.START_DATE, end) for end in announcers)
        out.append(rate("finetune_withdrawal", "all", "provider-year (announcement days)",
                        len(withdrawals), exposure))
    changes = led[(led["kind"] == "price_change") & led["provider"].isin(ledger_mod.FIRST_PARTY)]
    if len(changes):
        span = _years(min(changes["date"]), max(changes["as_of"]))
        out.append(rate("price_change", "first-party", "provider-year (recorded span, a floor)",
                        len(changes), span * len(ledger_mod.FIRST_PARTY)))
        for provider, group in changes.groupby("provider"):
            out.append(rate("price_change", str(provider), "provider-year (recorded span, a floor)",
                            len(group), span))
    return out


def licence_rates(led: pd.DataFrame | None = None) -> list[Rate]:
    """Restrictive turns of the open-weight families per family-year.

    Two definitions: a licence tightened, and any restrictive turn (a tightened licence or a
    flagship shipped closed by a maker of open weights), which is what the simulator's
    ``licence_change`` risk models for an option on that family.
    """
    led = _ledger(led)
    opens = led[led["kind"] == "release_open"].groupby("provider")["date"].min()
    if opens.empty:
        return []
    end = ledger_mod.snapshot_date(led)
    exposure = sum(_years(max(first, ledger_mod.START_DATE), end) for first in opens)
    families = led["provider"].isin(opens.index)
    tightened = led[families & (led["kind"] == "licence_change") & (led["direction"] == "tightened")]
    closed = led[families & (led["kind"] == "release_closed")]
    loosened = led[families & (led["kind"] == "licence_change") & (led["direction"] == "loosened")]
    unit = "family-year"
    return [rate("licence_change (tightened)", "all", unit, len(tightened), exposure),
            rate("restrictive turn (tightened or closed flagship)", "all", unit,
                 len(tightened) + len(closed), exposure),
            rate("licence_change (loosened)", "all", unit, len(loosened), exposure)]


def hazard_table(led: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every rate: retirements, fine-tuning, price changes and licence turns."""
    led = _ledger(led)
    rates = (model_rates(led, "retirement_announced") + model_rates(led, "retirement_effective")
             + provider_rates(led) + licence_rates(led))
    return pd.DataFrame([_rate_row(r) for r in rates])


def _rate_row(r: Rate) -> dict[str, object]:
    keys = ("annual_probability", "annual_probability_low", "annual_probability_high")
    return {**asdict(r), **dict(zip(keys, r.probabilities(), strict=True))}


def age_bands(led: pd.DataFrame | None = None, kind: str = "retirement_announced",
              edges_months: tuple[float, ...] = AGE_EDGES_MONTHS) -> pd.DataFrame:
    """Retirement hazard by model age: each model's time at risk is split into age bands."""
    pop = population(led, kind)
    life = pop["lifetime_months"].to_numpy(float)
    rows = []
    for lo, hi in itertools.pairwise(edges_months):
        exposure = float((np.clip(life, lo, hi) - lo).sum()) / MONTHS_PER_YEAR
        events = int((pop["event"] & (life >= lo) & (life < hi)).sum())
        label = f"{lo:.0f}-{hi:.0f} months" if math.isfinite(hi) else f"{lo:.0f}+ months"
        if exposure > 0:
            rows.append({"age": label, "age_low_months": lo, "age_high_months": hi,
                         **_rate_row(rate(kind, label, "model-year", events, exposure))})
    return pd.DataFrame(rows)


def kaplan_meier(durations: np.ndarray, events: np.ndarray) -> pd.DataFrame:
    """Product-limit survival: S(t) = prod over event times t_i <= t of (1 - d_i / n_i).

    A censored duration tied with an event time stays at risk at that time (the usual convention).
    """
    durations, events = np.asarray(durations, dtype=float), np.asarray(events, dtype=bool)
    times = np.unique(durations[events])
    survival, rows = 1.0, []
    for t in times:
        at_risk = int((durations >= t).sum())
        died = int(((durations == t) & events).sum())
        survival *= 1.0 - died / at_risk
        rows.append({"time": float(t), "at_risk": at_risk, "events": died, "survival": survival})
    return pd.DataFrame(rows, columns=["time", "at_risk", "events", "survival"])


def survival_at(table: pd.DataFrame, months: float) -> float:
    before = table[table["time"] <= months]
    return 1.0 if before.empty else float(before["survival"].iloc[-1])


def lifetimes(led: pd.DataFrame | None = None, kind: str = "retirement_effective",
              at_months: tuple[float, ...] = (6, 12, 18, 24, 30, 36)) -> dict[str, object]:
    """Lifetime from release to retirement, censored at the observation end (Kaplan-Meier)."""
    pop = population(led, kind)
    km = kaplan_meier(pop["lifetime_months"].to_numpy(), pop["event"].to_numpy())
    below = km[km["survival"] <= 0.5]
    retired = pop[pop["event"]]["lifetime_months"]
    return {"kind": kind, "models": len(pop), "retired": int(pop["event"].sum()),
            "median_months": None if below.empty else float(below["time"].iloc[0]),
            "survival": {f"{m:g}": survival_at(km, m) for m in at_months},
            "retired_lifetime_quartiles_months": [float(q) for q in np.percentile(retired, [25, 50, 75])]
            if len(retired) else []}


def multiplier_stats(values: pd.Series | np.ndarray) -> dict[str, float | int | None]:
    """Count, quantiles, geometric mean and the shares of cuts, flat and rises."""
    x = np.asarray(values, dtype=float)
    if x.size == 0:
        return {"count": 0}
    p5, p25, p50, p75, p95 = np.percentile(x, [5, 25, 50, 75, 95])
    return {"count": int(x.size), "median": float(p50), "geometric_mean": float(np.exp(np.log(x).mean())),
            "p5": float(p5), "p25": float(p25), "p75": float(p75), "p95": float(p95),
            "min": float(x.min()), "max": float(x.max()),
            "share_cuts": float((x < 1 - FLAT_TOLERANCE).mean()),
            "share_flat": float((np.abs(x - 1) <= FLAT_TOLERANCE).mean()),
            "share_rises": float((x > 1 + FLAT_TOLERANCE).mean()),
            "halved_or_less": int((x <= 0.5).sum()), "doubled_or_more": int((x >= 2).sum())}


def window_probability(annual_probability: float, window_months: int) -> float:
    """P(at least one event in the window) at a constant hazard: 1 - (1 - p)^(W / 12)."""
    return 1.0 - (1.0 - annual_probability) ** (window_months / MONTHS_PER_YEAR)


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def cohort_outcomes(led: pd.DataFrame | None = None, window_months: int = 12,
                    kind: str = "retirement_announced", first_start: dt.date = dt.date(2023, 3, 1)
                    ) -> pd.DataFrame:
    """Rolling cohorts: for every start month, each model live then, and whether it retired.

    A model is in cohort s if released on or before s and not yet retired (``kind``) before s; its
    outcome is 1 if it retires before s + W. Only complete windows count: s + W must not pass the
    provider's observation end.
    """
    pop = population(led, kind)
    rows = []
    start = first_start
    last = max(pop["window_end"]) if len(pop) else first_start
    while _add_months(start, window_months) <= last:
        stop = _add_months(start, window_months)
        live = pop[(pop["released"] <= start) & (pop["window_end"] >= stop)
                   & ~(pop["event"] & (pop["end"] < start))]
        for row in live.itertuples():
            rows.append({"cohort": start, "provider": row.provider, "model": row.model,
                         "age_months": _months(row.released, start),
                         "outcome": int(row.event and row.end < stop)})
        start = _add_months(start, 1)
    return pd.DataFrame(rows, columns=["cohort", "provider", "model", "age_months", "outcome"])


def brier(forecasts: np.ndarray, outcomes: np.ndarray) -> float:
    """Mean squared difference between forecast probabilities and 0/1 outcomes."""
    f, y = np.asarray(forecasts, dtype=float), np.asarray(outcomes, dtype=float)
    return float(np.mean((f - y) ** 2))


def brier_scores(led: pd.DataFrame | None = None, window_months: int = 12,
                 annual_probability: float = SHIPPED_DEPRECATION_ANNUAL_PROBABILITY,
                 age_forecast: Callable[[np.ndarray, int], np.ndarray] | None = None) -> dict[str, object]:
    """Brier scores of "at least one retirement within W months" over the rolling cohorts.

    Forecasts scored: the shipped constant hazard, the pooled fitted hazard, the cohorts' own base
    rate (in-sample climatology: the best any constant can do) and, if given, an age-aware one.
    """
    led = _ledger(led)
    cohorts = cohort_outcomes(led, window_months)
    if cohorts.empty:
        return {"window_months": window_months, "pairs": 0}
    y = cohorts["outcome"].to_numpy()
    fitted = model_rates(led, "retirement_announced")[0].annual_probability
    scores = {"shipped": brier(np.full(y.size, window_probability(annual_probability, window_months)), y),
              "fitted_constant": brier(np.full(y.size, window_probability(fitted, window_months)), y),
              "base_rate": brier(np.full(y.size, y.mean()), y)}
    if age_forecast is not None:
        scores["age_aware"] = brier(age_forecast(cohorts["age_months"].to_numpy(), window_months), y)
    return {"window_months": window_months, "pairs": int(y.size),
            "cohorts": int(cohorts["cohort"].nunique()), "first_cohort": min(cohorts["cohort"]).isoformat(),
            "last_cohort": max(cohorts["cohort"]).isoformat(), "base_rate": float(y.mean()),
            "shipped_annual_probability": annual_probability,
            "shipped_forecast": window_probability(annual_probability, window_months),
            "fitted_annual_probability": fitted, "brier": scores}


def age_band_forecast(bands: pd.DataFrame) -> Callable[[np.ndarray, int], np.ndarray]:
    """P(retire within W months | age a) = 1 - exp(-integral of the band hazard over [a, a + W])."""
    lows, highs = bands["age_low_months"].to_numpy(float), bands["age_high_months"].to_numpy(float)
    rates_per_month = bands["rate_per_year"].to_numpy(float) / MONTHS_PER_YEAR

    def forecast(age_months: np.ndarray, window_months: int) -> np.ndarray:
        a = np.asarray(age_months, dtype=float)[:, None]
        overlap = np.clip(np.minimum(a + window_months, highs) - np.maximum(a, lows), 0, None)
        return 1.0 - np.exp(-(overlap * rates_per_month).sum(axis=1))

    return forecast


def p5_p95_coverage(realised_usd: np.ndarray, p5_usd: np.ndarray, p95_usd: np.ndarray) -> float:
    """Share of realised costs inside the simulated P5-P95 range (0.90 if calibrated); per cohort and
    strategy, ``tco.backtest.coverage`` supplies the replayed cost and the simulated P5 and P95."""
    x, lo, hi = (np.asarray(a, dtype=float) for a in (realised_usd, p5_usd, p95_usd))
    return float(np.mean((x >= lo) & (x <= hi)))


def report_json(led: pd.DataFrame | None = None,
                shipped_annual_probability: float = SHIPPED_DEPRECATION_ANNUAL_PROBABILITY,
                coverage: list[dict] | None = None) -> dict:
    """Everything ``report`` prints, as JSON-ready values (``coverage``: ``tco.backtest.coverage``)."""
    led = _ledger(led)
    bands = age_bands(led)
    forecast = age_band_forecast(bands)
    records = ledger_mod.to_records
    return {
        "ledger": {"rows": int(len(led)), "providers": int(led["provider"].nunique()),
                   "first_event": min(led["date"]).isoformat(), "last_event": max(led["date"]).isoformat(),
                   "snapshot_date": ledger_mod.snapshot_date(led).isoformat(),
                   "coverage": {str(p): {str(k): int(v) for k, v in row.items()}
                                for p, row in ledger_mod.coverage(led).iterrows()},
                   "gaps": list(ledger_mod.GAPS)},
        "confidence": CONFIDENCE, "hazards": records(hazard_table(led)), "retirement_by_age": records(bands),
        "retirement_by_age_effective": records(age_bands(led, "retirement_effective")),
        "lifetime_effective": lifetimes(led, "retirement_effective"),
        "lifetime_announced": lifetimes(led, "retirement_announced"),
        "notice_months": {str(p): {"count": int(len(g)), "median": float(g.median()), "min": float(g.min()),
                                   "max": float(g.max())} for p, g in
                          led[led["kind"] == "retirement_announced"].dropna(subset=["notice_months"])
                          .groupby("provider")["notice_months"]},
        "successor_price_multiplier": multiplier_stats(ledger_mod.successor_multipliers(led)),
        "successor_price_multiplier_every_row":
            multiplier_stats(ledger_mod.successor_multipliers(led, distinct=False, contemporary=False)),
        "price_change_multiplier": multiplier_stats(ledger_mod.price_change_sizes(led)),
        "price_change_multiplier_first_party": multiplier_stats(ledger_mod.price_change_sizes(led, True)),
        "brier": [brier_scores(led, w, shipped_annual_probability, forecast) for w in (12, 24)],
        "p5_p95_coverage": coverage,
    }


def _stats_line(name: str, s: dict) -> str:
    if not s.get("count"):
        return f"{name}: no data"
    return (f"{name}: n={s['count']}, median {s['median']:.2f}, geometric mean {s['geometric_mean']:.2f}, "
            f"P5-P95 {s['p5']:.2f}-{s['p95']:.2f}, range {s['min']:.2f}-{s['max']:.2f}; "
            f"cuts {s['share_cuts']:.0%} ({s['halved_or_less']} to half or less), "
            f"flat {s['share_flat']:.0%}, rises {s['share_rises']:.0%} "
            f"({s['doubled_or_more']} doubled or more)")


def report(led: pd.DataFrame | None = None,
           shipped_annual_probability: float = SHIPPED_DEPRECATION_ANNUAL_PROBABILITY,
           coverage: list[dict] | None = None) -> str:
    """The calibration report as plain-text tables (``coverage``: see ``report_json``)."""
    data = report_json(led, shipped_annual_probability, coverage)
    meta = data["ledger"]
    out = [f"Event ledger: {meta['rows']} events, {meta['providers']} providers, "
           f"{meta['first_event']} to {meta['last_event']} (snapshot {meta['snapshot_date']})", ""]
    cov = ledger_mod.coverage(_ledger(led))
    out += ledger_mod.text_table(["provider", *cov.columns],
                                 [[p, *map(str, r)] for p, r in zip(cov.index, cov.to_numpy(), strict=True)])
    out += ["", "What the ledger misses:", *(f"- {g}" for g in meta["gaps"]), ""]
    pct = f"{data['confidence']:.0%}"
    out.append(f"Hazards (events / exposure; {pct} exact Poisson intervals; p = 1 - exp(-rate))")
    cells = lambda h: [str(h["events"]), f"{h['exposure_years']:.1f}", f"{h['rate_per_year']:.2f}",  # noqa: E731
                       f"{h['low_per_year']:.2f}-{h['high_per_year']:.2f}", f"{h['annual_probability']:.2f}",
                       f"{h['annual_probability_low']:.2f}-{h['annual_probability_high']:.2f}"]
    head = ["events", "exposure", "rate/yr", f"{pct} CI", "p/yr", f"{pct} CI"]
    out += ledger_mod.text_table(["kind", "provider", "unit", *head],
                                 [[h["kind"], h["provider"], h["unit"], *cells(h)] for h in data["hazards"]])
    for key, label in (("retirement_by_age", "announced"), ("retirement_by_age_effective", "effective")):
        out += ["", f"Retirement ({label}) by model age"]
        out += ledger_mod.text_table(["age (model-years)", *head], [[b["age"], *cells(b)] for b in data[key]])
    for key in ("lifetime_effective", "lifetime_announced"):
        life = data[key]
        surv = ", ".join(f"S({m})={v:.2f}" for m, v in life["survival"].items())
        median = "not reached" if life["median_months"] is None else f"{life['median_months']:.1f} months"
        out.append(f"Lifetime to {life['kind']} (Kaplan-Meier, {life['models']} models, {life['retired']} "
                   f"retired): median {median}; {surv}")
    out += ["", "Notice (announcement to shutdown), months: " + "; ".join(
        f"{p} median {n['median']:.1f} (range {n['min']:.1f}-{n['max']:.1f}, n={n['count']})"
        for p, n in data["notice_months"].items()), ""]
    out.append(_stats_line("Successor price multiplier (3:1 blend, distinct successions)",
                           data["successor_price_multiplier"]))
    out.append(_stats_line("  every retirement row", data["successor_price_multiplier_every_row"]))
    out.append(_stats_line("Price-change multiplier (recorded steps)", data["price_change_multiplier"]))
    out.append(_stats_line("  first-party vendors", data["price_change_multiplier_first_party"]))
    out += ["", "Brier score of 'at least one retirement announced within W months' (rolling cohorts, "
            "models live at each start month)"]
    out += ledger_mod.text_table(["W", "cohorts", "pairs", "base rate", "shipped p", "shipped",
                                  "fitted const", "base rate const", "age-aware"],
                  [[f"{b['window_months']}m",
                    f"{b['cohorts']} ({b['first_cohort'][:7]} to {b['last_cohort'][:7]})",
                    str(b["pairs"]), f"{b['base_rate']:.3f}", f"{b['shipped_annual_probability']:.2f}",
                    f"{b['brier']['shipped']:.4f}", f"{b['brier']['fitted_constant']:.4f}",
                    f"{b['brier']['base_rate']:.4f}", f"{b['brier'].get('age_aware', float('nan')):.4f}"]
                   for b in data["brier"] if b.get("pairs")])
    return "\n".join([*out, "", *coverage_lines(coverage)])


def coverage_lines(rows: list[dict] | None) -> list[str]:
    """The coverage table, from ``tco.backtest.coverage``'s rows (or a line saying it was not computed)."""
    head = "Coverage of the simulated P5-P95 range by realised costs (rolling cohorts of the replayed history"
    shares = lambda r: [f"{r[k]:.0%}" for k in ("coverage", "below_p5", "above_p95")]  # noqa: E731
    return [f"{head} on each scenario; 90% inside and 5% each side if calibrated)", *ledger_mod.text_table(
        ["W", "scenario", "cohorts", "cells", "with events", "inside", "below P5", "above P95", "mean pctl"],
        [[f"{r['window_months']}m", r["scenario"], f"{r['cohorts']} ({r['first_cohort']}-{r['last_cohort']})",
          str(r["cells"]), str(r["cells_with_events"]), *shares(r), f"P{r['mean_percentile']:.0f}"]
         for r in rows])] if rows else [f"{head}): not computed"]
