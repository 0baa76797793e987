"""Backtest: replay what vendors really did (the event ledger) against every strategy.

The scenario is re-based onto a window (calendar month 0 its first month, the horizon its length).
Each option's history (its ``history:``, else the ledger model its ``catalog:`` names or the open-
weight family of its ``model:``) gives the window's events: a price change multiplies an API
option's price index, a retirement is a deprecation (a forced migration with dual running at the
ledger's successor price multiplier) in the month it took effect, a tightened licence or a closed
flagship is a licence change on the self-hosted options running that family. The realised cost
forces them into the kernel as a stress test forces one (``tco.stress``: nominal inputs, no price
noise, the ledger's sizes) and is placed in the scenario's simulated distribution of the same window.
Rolling cohorts of windows score the simulated P5-P95 range (``tco.hazards.p5_p95_coverage``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

import tco.calendar as calendar
import tco.catalog as catalog
import tco.kernel as kernel
import tco.ledger as ledger
import tco.options as options
import tco.risks as risks
from tco.draws import Shocks
from tco.errors import ScenarioError
from tco.format import pct, plural, usd
from tco.hazards import p5_p95_coverage
from tco.load import Loaded, validate
from tco.model import nominal_inputs
from tco.option_labels import history_label, option_label
from tco.simulate import DEFAULT_PATHS, DEFAULT_SEED, SimulationResult, simulate
from tco.stress import with_risks
from tco.yamlio import to_dict

MONTH_PATTERN = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
LEDGER_FILE = "tco/data/events.csv"
DEFAULT_WINDOW_MONTHS = 24
"""The page's default window: the 24 months that end with the ledger's last month."""
COHORT_WINDOWS_MONTHS = (12, 24)
FIRST_COHORT = "2023-03"
"""Rolling cohorts start here, as the Brier scores' do: the ledger's first releases are 2023-03."""
COVERAGE_PATHS = 1_000
"""Paths per cohort simulation: the P5 and P95 are then within about 0.7 percentile points (their
order-statistic standard error), small beside the 5-point tails they bound."""


@dataclass(frozen=True)
class Window:
    """Months ``start`` .. ``start + months - 1`` ('YYYY-MM')."""

    start: str
    months: int

    @property
    def first_day(self) -> dt.date:
        return calendar.first_day(self.start, 0)

    @property
    def stop_day(self) -> dt.date:
        """The first day after the window."""
        return calendar.first_day(self.start, self.months)

    @property
    def label(self) -> str:
        end = calendar.shift(self.start, self.months - 1)
        return f"{self.start} to {end} ({plural(self.months, 'month')})"


def last_month(timeline: ledger.Timeline) -> str:
    """The ledger's last month: the one holding its snapshot date."""
    return f"{timeline.snapshot.year:04d}-{timeline.snapshot.month:02d}"


def default_start(timeline: ledger.Timeline) -> str:
    return calendar.shift(last_month(timeline), 1 - DEFAULT_WINDOW_MONTHS)


def parse_window(sc: Loaded, start: str | None, months: int | None, timeline: ledger.Timeline) -> Window:
    """The window of ``--from`` and ``--months``, or a one-line error naming the argument.

    Without ``months`` the window runs for the scenario's horizon, cut at the ledger's last month.
    """
    start = default_start(timeline) if start is None else start
    first, last = calendar.shift(f"{ledger.START_DATE:%Y-%m}", 0), last_month(timeline)
    if not MONTH_PATTERN.match(start):
        raise ScenarioError("--from", f"must be a month written YYYY-MM, such as 2024-01 (got '{start}')")
    if start < first or start > last:
        raise ScenarioError("--from", f"must be between {first} and {last}, the months the event "
                            f"ledger covers (snapshot {timeline.snapshot})")
    if months is not None and months < 1:
        raise ScenarioError("--months", "must be a whole number of at least 1")
    available = calendar.month_of(start, timeline.snapshot) + 1
    if months is not None and months > available:
        raise ScenarioError("--months", f"must be at most {available}: a window from {start} must end "
                            f"by {last}, the event ledger's last month")
    return Window(start, min(sc.horizon_months, available) if months is None else months)


def rebase(sc: Loaded, window: Window) -> Loaded:
    """The scenario over the window: ``start`` its first month, ``horizon_months`` its length.

    Named stresses are left out (their months belong to the scenario's own horizon), and so is a
    reservation that would start after the window ends.
    """
    data = to_dict(sc.scenario)
    data.update(start=window.start, horizon_months=window.months, stresses=[])
    for option in data["options"].values():
        if option.get("reserved", {}).get("start_month", 0) >= window.months:
            del option["reserved"]
    kept = {k: v for k, v in sc.comments.items() if k not in ("start", "horizon_months")}
    return validate(data, kept)


@dataclass(frozen=True)
class History:
    """What one option ran: a chain of models (API) or open-weight families (self-hosted)."""

    entries: tuple[str, ...]
    origin: str


def histories(sc: Loaded, timeline: ledger.Timeline) -> dict[str, History | None]:
    """Each option's history, from its ``history:`` or matched through the catalogs; None where
    nothing in the ledger is this option's (it keeps the scenario's own prices and terms)."""
    out: dict[str, History | None] = {}
    for name, option in sc.options.items():
        rule = options.of(option).history
        if option.history:
            _check_entries(name, rule, option.history, timeline)
            out[name] = History(tuple(option.history), "its history:")
        elif rule == "models" and option.catalog:
            match = timeline.match_catalog(option.catalog)
            out[name] = History((match,), f"its catalog model {option.catalog}") if match else None
        elif rule == "families":
            family = timeline.family_of_model(option.model)
            out[name] = History((family,), f"the family of its model {option.model}") if family else None
        else:
            out[name] = None
    return out


def _check_entries(option: str, rule: str, entries: tuple[str, ...], timeline: ledger.Timeline) -> None:
    """Each entry must name a ledger model (``rule`` 'models': an API) or an open-weight family
    ('families': self-hosted or hosted open weights)."""
    opens = list(zip(timeline.opens["provider"], timeline.opens["model"], strict=True))
    for i, entry in enumerate(entries):
        provider, _, rest = entry.partition("/")
        models = rule == "models"
        names = [m for p, m in (timeline.models if models else opens) if p == provider]
        if rest and (rest in names if models else any(m.startswith(rest) for m in names)):
            continue
        hint = catalog.close_matches(rest, names)
        what = "a model" if models else "an open-weight family (provider/family, such as meta/llama)"
        raise ScenarioError(f"options.{option}.history.{i}", f"'{entry}' is not {what} in the event "
                            "ledger" + (f" (did you mean {provider}/{hint[0]})" if hint else ""))


def window_events(sc: Loaded, window: Window, timeline: ledger.Timeline,
                  found: dict[str, History | None]) -> list[tuple[str, ledger.LedgerEvent]]:
    """(option, event) for every ledger event of each option's history inside the window."""
    out = []
    for name, history in found.items():
        if history is None:
            continue
        if options.of(sc.options[name]).history == "models":
            events = timeline.chain_events(history.entries, window.first_day, window.stop_day)
        else:
            events = list(dict.fromkeys(e for family in history.entries
                                        for e in timeline.family_events(family, window.first_day,
                                                                        window.stop_day)))
        out += [(name, e) for e in events]
    return sorted(out, key=lambda pair: pair[1].date)


@dataclass
class Forced:
    """Realised costs of paths of forced events: ``npv_usd`` (paths, strategies), ``cost_usd``
    (paths, strategies, months), and for each path the note on each of its events ('' if applied)."""

    npv_usd: np.ndarray
    cost_usd: np.ndarray
    notes: list[list[str]]


def force(sc: Loaded, paths: list[list[tuple[str, ledger.LedgerEvent]]]) -> Forced:
    """Run the kernel on nominal inputs with each path's (option, event) pairs forced.

    Events of one kind on one option in one month are one event whose size is the product of
    theirs (a cell fires once). Only the first licence change on an option acts, as in the kernel.
    """
    months = sc.horizon_months
    pairs = {(e.kind, option) for events in paths for option, e in events}
    forced_sc, index, reasons = with_risks(sc, pairs, sized=True)
    cells: dict[tuple[int, str], dict[tuple[int, int], float]] = {}
    notes: list[list[str]] = []
    for p, events in enumerate(paths):
        notes.append([])
        licensed: set[str] = set()
        for option, e in events:
            month = calendar.month_of(sc.start, e.date)
            if (e.kind, option) in reasons:
                notes[p].append(reasons[(e.kind, option)])
                continue
            if risks.kind(e.kind).counted_once and (e.kind, option) in licensed:
                notes[p].append(f"no further effect: only the first {risks.label(e.kind).lower()} on "
                                "an option counts")
                continue
            licensed.add((e.kind, option))
            cell = cells.setdefault((index[(e.kind, option)], option), {})
            cell[(p, month)] = cell.get((p, month), 1.0) * e.size
            notes[p].append(ASSUMED_SUCCESSOR if e.assumed else "")
    weeks = forced_sc.inputs.params["switching.engineer_weeks"].nominal
    shocks = Shocks(paths=len(paths))
    for key, sizes in cells.items():
        order = sorted(sizes)  # (path, month): np.flatnonzero's row-major order
        fired = np.zeros((len(paths), months), dtype=bool)
        fired[tuple(np.array(order).T)] = True
        shocks.fired[key] = fired
        shocks.impact[key] = np.array([sizes[c] for c in order])
        shocks.weeks[key] = np.full(len(order), weeks)
    result = kernel.run(forced_sc, nominal_inputs(forced_sc.inputs), shocks, want_cost=True)
    return Forced(result.npv_usd, result.cost_usd, notes)


ASSUMED_SUCCESSOR = "successor price not in the ledger: x1 assumed"


def _applied(note: str) -> bool:
    """Whether an event with this note was forced (an assumed successor price still is)."""
    return note in ("", ASSUMED_SUCCESSOR)


def percentile(simulated_usd: np.ndarray, realised_usd: float) -> float:
    """Where a realised cost falls among simulated ones, 0-100 (ties count half)."""
    x = np.asarray(simulated_usd)
    return 100.0 * (np.count_nonzero(x < realised_usd) + 0.5 * np.count_nonzero(x == realised_usd)) / x.size


@dataclass
class Backtest:
    """One replay: the realised cost of every strategy and the simulation it is placed in."""

    scenario: Loaded
    window: Window
    histories: dict[str, History | None]
    events: pd.DataFrame
    realised_npv_usd: np.ndarray
    realised_cumulative_usd: np.ndarray
    simulation: SimulationResult
    ledger_as_of: dt.date
    notes: list[str] = field(default_factory=list)

    def summary(self) -> pd.DataFrame:
        """One row per strategy: realised NPV, the simulated mean and P5/P50/P95, the percentile."""
        npv = self.simulation.npv_usd
        q = np.percentile(npv, [5, 50, 95], axis=0)
        return pd.DataFrame({
            "strategy": self.simulation.strategies, "realised_npv_usd": self.realised_npv_usd,
            "simulated_mean_usd": npv.mean(axis=0), "simulated_p5_usd": q[0],
            "simulated_p50_usd": q[1], "simulated_p95_usd": q[2],
            "percentile": [percentile(npv[:, s], r) for s, r in enumerate(self.realised_npv_usd)]})

    @property
    def without_history(self) -> list[str]:
        return [name for name, h in self.histories.items() if h is None]

    @property
    def replayed(self) -> dict[str, bool]:
        """Whether each strategy's realised path replays any history: False where no option it
        uses or falls back to has one, so its 'realised' cost is the nominal run, no validation."""
        return {name: any(self.histories.get(o) is not None for o in (*plan.mix, *plan.chain))
                for name, plan in self.scenario.strategies.items()}


def backtest(sc: Loaded, start: str | None = None, months: int | None = None,
             paths: int = DEFAULT_PATHS, seed: int = DEFAULT_SEED,
             timeline: ledger.Timeline | None = None, **simulate_options) -> Backtest:
    """Replay the ledger's events from ``start`` for ``months`` and simulate the same window."""
    timeline = ledger.Timeline() if timeline is None else timeline
    window = parse_window(sc, start, months, timeline)
    found = histories(sc, timeline)
    window_sc = rebase(sc, window)
    happened = window_events(window_sc, window, timeline, found)
    forced = force(window_sc, [happened])
    events = pd.DataFrame([{
        "date": e.date, "month": calendar.month_of(window.start, e.date), "option": option,
        "event": risks.label(e.kind), "size": _size(window_sc, e, option), "detail": e.detail,
        "source": e.source, "applied": _applied(note), "note": note}
        for (option, e), note in zip(happened, forced.notes[0], strict=True)],
        columns=["date", "month", "option", "event", "size", "detail", "source", "applied", "note"])
    simulation = simulate(window_sc, paths=paths, seed=seed, **simulate_options)
    notes = [f"Reservations starting after the window are left out: {name}." for name, o in
             sc.options.items() if (r := options.of(o).reservation(o)) and r.start_month >= window.months]
    return Backtest(window_sc, window, found, events, forced.npv_usd[0],
                    np.cumsum(forced.cost_usd[0], axis=1), simulation, timeline.snapshot, notes)


def _size(sc: Loaded, e: ledger.LedgerEvent, option: str) -> str:
    """How an event's size reads: 'x0.5 price', 'x1.07 successor price', the scenario's escalation."""
    if e.kind == "price_change" and f"{e.size:.3g}" == "1":
        return "x1 on a 3:1 request (the step changed long-context prices)"  # the ledger keeps only those
    if e.kind != "licence_change":
        return f"x{e.size:.3g} " + ("price" if e.kind == "price_change" else "successor price")
    own = [i for i, r in enumerate(sc.risks) if r.kind == e.kind and option in r.on]
    rate = sc.inputs.params[f"risks.{own[0]}.escalation_per_month"].nominal if own else None
    return "" if rate is None else f"escalation +{pct(rate, 1)}/month"


def no_history_line(result: Backtest) -> str:
    """One line naming the options with nothing to replay, or ''."""
    return without_history_line(result.scenario, result.histories)


def history_words(sc: Loaded, name: str, h: History) -> str:
    """Option ``name``'s history in words: its models or families as a reader knows them."""
    families = options.of(sc.options[name]).history == "families"
    return ", then ".join(history_label(e, families) for e in h.entries)


def without_history_line(sc: Loaded, found: dict[str, History | None]) -> str:
    """One line naming the options of ``found`` (``histories``) with nothing to replay, by name
    and the model a reader knows ('gemini (Gemini 4 Argon)'), or ''."""
    names = [n if (label := option_label(sc, n)) == n else f"{n} ({label})"
             for n, h in found.items() if h is None]
    return (f"No history to replay for {', '.join(names)}: the scenario gives none and the event "
            "ledger has no rows for that model or its family, so the replay has no events there."
            if names else "")


def text(result: Backtest) -> str:
    """The replay as readable lines: window, histories, events, realised against simulated NPV."""
    sc, w = result.scenario, result.window
    rate = sc.inputs.params["discount_rate_per_year"].nominal
    out = [f"Backtest of {sc.name}: {w.label}, money in {sc.currency}, NPV at {pct(rate, 1)}/yr",
           f"Events from the event ledger ({LEDGER_FILE}, as of {result.ledger_as_of}):"]
    out += [f"  {name}: {history_words(sc, name, h)} ({h.origin})"
            for name, h in result.histories.items() if h]
    if line := no_history_line(result):
        out.append(line)
    ev = result.events
    out += ["", f"Events in the window: {len(ev)} ({int(ev['applied'].sum())} applied)"]
    if len(ev):
        rows = [[f"{r.date}", str(r.month), r.option, r.event, r.size or "-", "yes" if r.applied else "no",
                 "; ".join(x for x in (r.detail, r.note) if x), r.source] for r in ev.itertuples()]
        out += ledger.text_table(["date", "month", "option", "event", "size", "applied", "what happened",
                                  "source"], rows)
    table = result.summary()
    sim = result.simulation
    out += ["", f"Realised NPV against {sim.paths:,} simulated paths of the same window (seed {sim.seed})"]
    out += ledger.text_table(
        ["strategy", "realised NPV", "simulated P5", "P50", "P95", "mean", "percentile"],
        [[r.strategy, usd(r.realised_npv_usd), usd(r.simulated_p5_usd), usd(r.simulated_p50_usd),
          usd(r.simulated_p95_usd), usd(r.simulated_mean_usd),
          f"P{r.percentile:.0f}" if result.replayed[r.strategy] else "no history to replay"]
         for r in table.itertuples()])
    out += ["", "Realised: every input at its nominal value (trends included), no price noise, the "
            "window's events forced at their recorded sizes; percentile: the share of simulated "
            "paths cheaper than that.", *result.notes]
    return "\n".join(out)


def to_json(result: Backtest) -> dict:
    """The replay as JSON-ready values (the ``--json`` object)."""
    table = result.summary()
    return {
        "scenario": result.scenario.name, "from": result.window.start, "months": result.window.months,
        "to": calendar.shift(result.window.start, result.window.months - 1),
        "ledger": {"file": LEDGER_FILE, "as_of": result.ledger_as_of.isoformat()},
        "paths": result.simulation.paths, "seed": result.simulation.seed,
        "histories": {n: None if h is None else {"entries": list(h.entries), "origin": h.origin}
                      for n, h in result.histories.items()},
        "no_history": result.without_history,
        "events": [{**r, "date": r["date"].isoformat(), "month": int(r["month"]),
                    "applied": bool(r["applied"])} for r in result.events.to_dict("records")],
        "strategies": {r.pop("strategy"): {k: float(v) for k, v in r.items()}
                       for r in table.to_dict("records")},
        "notes": result.notes,
    }


def cohort_cells(sc: Loaded, window_months: int, timeline: ledger.Timeline | None = None, paths: int =
                 COVERAGE_PATHS, seed: int = DEFAULT_SEED, first: str = FIRST_COHORT) -> pd.DataFrame:
    """Realised cost against the simulated P5-P95 for every rolling cohort of ``window_months``.

    Each month from ``first`` whose window ends by the ledger's last month starts a cohort.
    In it, every closed API model live at its start (released, not yet retired, its provider's
    pages read after the window ends) is one realised history of each API option of the scenario;
    the self-hosted options follow their families. A cell is (cohort, option, model, strategy)
    for the strategies whose mix holds that option, and (cohort, strategy) with the families only
    for strategies that hold no API option.
    """
    timeline = ledger.Timeline() if timeline is None else timeline
    found = histories(sc, timeline)
    api = [name for name, o in sc.options.items() if options.of(o).history == "models"]
    families = {name: h for name, h in found.items()
                if h and options.of(sc.options[name]).history == "families"}
    rows, start = [], first
    while calendar.month_of(start, timeline.snapshot) + 1 >= window_months:
        window = Window(start, window_months)
        window_sc = rebase(sc, window)
        own = window_events(window_sc, window, timeline, families)
        worlds = [("", "")] + [(o, m) for m in timeline.live_models(window.first_day, window.stop_day)
                               for o in api]
        paths_events = [own + [(o, e) for e in timeline.chain_events((m,), window.first_day,
                                                                      window.stop_day)] if o else own
                        for o, m in worlds]
        forced = force(window_sc, paths_events)
        npv = simulate(window_sc, paths=paths, seed=seed).npv_usd
        p5, p95 = np.percentile(npv, [5, 95], axis=0)
        for p, (option, model) in enumerate(worlds):
            for s, strategy in enumerate(window_sc.strategies.values()):
                held = [o for o, share in strategy.mix.items() if share > 0 and o in api]
                if (option in held) if option else not held:
                    realised = forced.npv_usd[p, s]
                    rows.append({"cohort": start, "window_months": window_months, "option": option,
                                 "model": model, "strategy": list(window_sc.strategies)[s],
                                 "events": sum(1 for n in forced.notes[p] if _applied(n)),
                                 "realised_npv_usd": realised, "p5_usd": p5[s], "p95_usd": p95[s],
                                 "percentile": percentile(npv[:, s], realised)})
        start = calendar.shift(start, 1)
    return pd.DataFrame(rows)


def coverage(scenarios: dict[str, Loaded], timeline: ledger.Timeline | None = None,
             paths: int = COVERAGE_PATHS, seed: int = DEFAULT_SEED) -> list[dict]:
    """Coverage of the simulated P5-P95 by realised costs, per window length: every scenario
    pooled ('all'), then each scenario. Cells overlap in time, so they are not independent."""
    timeline = ledger.Timeline() if timeline is None else timeline
    cells = pd.concat([cohort_cells(sc, w, timeline, paths, seed).assign(scenario=name)
                       for w in COHORT_WINDOWS_MONTHS for name, sc in scenarios.items()])
    out = []
    for w in COHORT_WINDOWS_MONTHS:
        mine = cells[cells["window_months"] == w]
        for name in ["all", *scenarios]:
            part = mine if name == "all" else mine[mine["scenario"] == name]
            if part.empty:
                continue
            r, lo, hi = (part[c].to_numpy(float) for c in ("realised_npv_usd", "p5_usd", "p95_usd"))
            out.append({"window_months": w, "scenario": name, "cohorts": int(part["cohort"].nunique()),
                        "first_cohort": min(part["cohort"]), "last_cohort": max(part["cohort"]),
                        "cells": len(part), "cells_with_events": int((part["events"] > 0).sum()),
                        "coverage": p5_p95_coverage(r, lo, hi), "below_p5": float(np.mean(r < lo)),
                        "above_p95": float(np.mean(r > hi)),
                        "mean_percentile": float(part["percentile"].mean())})
    return out
