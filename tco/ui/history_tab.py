"""The History tab: the real 2023-2026 history (the event ledger) replayed against every strategy.

The chart lays each strategy's realised cumulative cost over the fan of simulated futures from the
same start month, with the events that hit it marked; the tables give the realised NPV's percentile,
every event with its source, and how well the scenario's simulated range covered realised costs over
rolling cohorts of the ledger's history (beside the retirement forecasts' Brier scores). Replays and
calibrations are cached per scenario and settings, bounded in bytes like the page's other caches.

The replay and the calibration take seconds, so the tab opens on what costs nothing (the window,
which history each option follows) and a button; once asked, the results are shown again without
asking while the scenario and the window stay the same.
"""

from __future__ import annotations

import json
import re
import time
import urllib.parse
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

import tco.backtest as backtest
import tco.calendar as calendar
import tco.hazards as hazards
import tco.holdout as holdout
import tco.ledger as ledger
from tco.budget import PAGE_MAX_CELLS
from tco.errors import ScenarioError
from tco.figures.history import history_figure, realised_summary
from tco.format import pct
from tco.load import loads
from tco.option_labels import PROVIDER_NAMES, history_label
from tco.ui.cache import inputs_key
from tco.ui.lru import ByteLRU, memoize
from tco.ui.progress import record, seconds_for
from tco.ui.safe import escape_markdown

if TYPE_CHECKING:
    from tco.load import Loaded as Scenario

MB = 2**20
HISTORY_CACHE = ByteLRU(100 * MB)
"""Replays (a simulation of the window each) and calibration tables, shared by every session."""
EVENT_COLUMNS = {"date": "Date", "option": "Option", "event": "Event", "size": "Size",
                 "detail": "What happened", "applied": "Applied", "note": "Note", "source": "Source"}
"""The events table's columns, in order, with their headers."""
TABLE_CELL_CHARS = 1000
"""A ledger note is a sentence or three: kept whole in a cell (the table wraps), cut only past this."""
RUN_LABEL = "Replay the ledger and score the calibration"
ASKED_KEY = "history_asked"
"""Session state: the scenario, window, paths and seed the replay was last asked for."""
CLOCK = "history"
"""The replay's and calibration's own speed on this server (``tco.ui.progress``)."""
STEPS = ("Replaying the ledger and simulating the same window",
         "Scoring rolling cohorts of the ledger's history",
         "Refitting the risks on the earlier ledger and scoring the later cohorts")
"""What the button runs, in order, as its progress bar says."""


@st.cache_resource(show_spinner=False)
def _timeline() -> ledger.Timeline:
    return ledger.Timeline()


@memoize(HISTORY_CACHE)
def replay(scenario_yaml: str, comments: str, start: str, paths: int, seed: int) -> backtest.Backtest:
    """The replay from ``start`` over the scenario's horizon (cut at the ledger's last month)."""
    sc = loads(scenario_yaml, json.loads(comments))
    return backtest.backtest(sc, start, None, paths, seed, _timeline(), max_cells=PAGE_MAX_CELLS)


@memoize(HISTORY_CACHE)
def calibration(scenario_yaml: str, comments: str) -> list[dict]:
    """Coverage of the simulated P5-P95 range over the rolling cohorts, for this scenario."""
    sc = loads(scenario_yaml, json.loads(comments))
    return [r for r in backtest.coverage({sc.name: sc}, _timeline()) if r["scenario"] == "all"]


@memoize(HISTORY_CACHE)
def out_of_sample(scenario_yaml: str, comments: str) -> list[dict]:
    """In-sample and out-of-sample coverage of the cohorts from the cut-off, for this scenario."""
    sc = loads(scenario_yaml, json.loads(comments))
    return [r for r in holdout.coverage({sc.name: sc}, holdout.CUTOFF, _timeline())
            if r["scenario"] == sc.name]


def out_of_sample_table(rows: list[dict]) -> pd.DataFrame:
    """One row per window and sample: the shipped scenario (in-sample) and the refitted one."""
    return pd.DataFrame([{
        "Window": f"{r['window_months']} months",
        "Risks fitted on": ("the whole ledger (as shipped)" if sample == "in_sample"
                            else f"ledger events before {r['cutoff']}"),
        "Cohorts (start months)": f"{s['cohorts']} ({s['first_cohort']} to {s['last_cohort']})",
        "Realised paths scored": f"{s['cells']:,}",
        "Inside simulated P5-P95 (90% if calibrated)": pct(s["coverage"]),
        "Below P5": pct(s["below_p5"]), "Above P95": pct(s["above_p95"]),
        "Mean percentile": f"P{s['mean_percentile']:.0f}",
    } for r in rows for sample, s in (("in_sample", r["in_sample"]), ("out_of_sample", r["out_of_sample"]))
        if s["cells"]])


@st.cache_data(show_spinner=False)
def brier() -> list[dict]:
    """Brier scores of the retirement forecasts (the shipped hazard and the fitted one)."""
    return [hazards.brier_scores(window_months=w) for w in backtest.COHORT_WINDOWS_MONTHS]


def months_offered(timeline: ledger.Timeline) -> list[str]:
    """Every start month the ledger covers, oldest first."""
    first = f"{ledger.START_DATE:%Y-%m}"
    return calendar.labels(first, calendar.month_of(first, timeline.snapshot) + 1)


def calibration_table(rows: list[dict], scores: list[dict]) -> pd.DataFrame:
    """Coverage and Brier scores side by side, one row per window length."""
    by_window = {b["window_months"]: b for b in scores}
    return pd.DataFrame([{
        "Window": f"{r['window_months']} months",
        "Cohorts (start months)": f"{r['cohorts']} ({r['first_cohort']} to {r['last_cohort']})",
        "Realised paths scored": f"{r['cells']:,}",
        "Inside simulated P5-P95 (90% if calibrated)": pct(r["coverage"]),
        "Below P5": pct(r["below_p5"]), "Above P95": pct(r["above_p95"]),
        "Mean percentile": f"P{r['mean_percentile']:.0f}",
        "Brier, retirement within the window (shipped hazard)":
            f"{by_window[r['window_months']]['brier']['shipped']:.3f}",
        "Brier (fitted hazard)": f"{by_window[r['window_months']]['brier']['fitted_constant']:.3f}",
    } for r in rows])


def source_link(url: str) -> str:
    """A source as a Markdown link named by its site ('[openai.com](https://...)'): a bare address
    has no space to wrap at, so it would widen its column past the page. Text that is not a web
    address shows as written."""
    parts = urllib.parse.urlsplit(str(url))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return escape_markdown(url, limit=TABLE_CELL_CHARS)
    site = parts.netloc.removeprefix("www.")
    target = str(url).replace(" ", "%20").replace("(", "%28").replace(")", "%29")
    return f"[{escape_markdown(site)}]({target})"


LEDGER_KEY = re.compile(r"\b(" + "|".join(map(re.escape, PROVIDER_NAMES)) + r")/([A-Za-z0-9._-]+)")
"""A ledger model key in an event's words ('anthropic/claude-sonnet-4-6 list price')."""


def readable_detail(detail: str) -> str:
    """An event's words with each ledger key as a reader knows the model: 'claude-sonnet-4-6
    (Anthropic) list price', never 'anthropic/claude-sonnet-4-6 list price'."""
    return LEDGER_KEY.sub(lambda m: history_label(m.group(0), families=False), str(detail))


def events_table(events: pd.DataFrame) -> pd.DataFrame:
    """The window's events as the page shows them: one row each, the columns of ``EVENT_COLUMNS``,
    every cell Markdown (text escaped, the source a link, ledger keys as model names), for a
    static table whose cells wrap."""
    shown = events.assign(detail=events["detail"].map(readable_detail))
    shown = shown[list(EVENT_COLUMNS)].rename(columns=EVENT_COLUMNS)
    return pd.DataFrame({label: (shown[label].map(source_link) if label == EVENT_COLUMNS["source"] else
                                 shown[label].map(lambda v: escape_markdown(v, limit=TABLE_CELL_CHARS)))
                         for label in shown.columns})


def followed(sc: Scenario, timeline: ledger.Timeline) -> str:
    """Which ledger history each option follows, in one line (no replay needed)."""
    found = backtest.histories(sc, timeline)
    parts = [f"{name}: {backtest.history_words(sc, name, h)}" for name, h in found.items() if h is not None]
    line = ("Histories replayed: " + "; ".join(parts) + ".") if parts else ""
    return " ".join(x for x in (line, backtest.without_history_line(sc, found)) if x)


def how_long(paths: int) -> str:
    """What the button does and how long it takes, from this server's last replay where there
    was one."""
    seconds = seconds_for(CLOCK, paths)
    took = (f"about {seconds:,.0f} s here" if seconds is not None else
            "5 to 10 s the first time on two cores, then seconds per window")
    return ("The button replays the ledger's dated events in this window against every strategy, "
            f"simulates the same window on {paths:,} futures, then scores the scenario's simulated "
            f"range against rolling cohorts of the ledger's history, in sample and out of sample: "
            f"{took}. The results stay while the scenario and the window are unchanged.")


def history_tab(current: Scenario, paths: int, seed: int) -> None:
    timeline = _timeline()
    offered = months_offered(timeline)
    start = st.selectbox("Replay from", offered, index=offered.index(backtest.default_start(timeline)),
                         key="history_from", help="The window's first month: the scenario's month 0. "
                         "The window runs for the scenario's horizon, cut at the ledger's last month.")
    scenario_yaml, _, _, comments = inputs_key(current, paths, seed)
    key = (scenario_yaml, comments)
    asked = (*key, start, paths, seed)
    try:
        line = followed(current, timeline)
    except ScenarioError as exc:  # a history: entry the ledger does not know
        st.error(escape_markdown(exc))
        return
    if line:  # the options with no history too: their replay is no validation
        st.caption(escape_markdown(line, limit=TABLE_CELL_CHARS))
    if st.button(RUN_LABEL, key="history_run", type="primary"):
        st.session_state[ASKED_KEY] = asked
    kept = (replay.kept(*key, start, paths, seed) and calibration.kept(*key)
            and out_of_sample.kept(*key))
    if st.session_state.get(ASKED_KEY) != asked and not kept:
        st.caption(how_long(paths))
        return
    try:
        result, rows, held = run_all(key, start, paths, seed, kept)
    except ScenarioError as exc:
        st.error(escape_markdown(exc))
        return
    st.plotly_chart(history_figure(result), key="fig_history", config={"displaylogo": False})
    st.caption(f"Events: the event ledger ({len(timeline.frame):,} dated events of 2023-2026, each "
               f"with its source in the table below), as of {result.ledger_as_of}. Realised: every "
               "input at its nominal value, the window's events forced at their recorded sizes. P in a "
               "panel's title: the share of simulated paths with a lower NPV than the realised one.")
    # Static tables wrap their cells: a grid would clip the last columns (Note, Source) at 1280 px.
    st.table(realised_summary(result), hide_index=True)
    events = result.events.assign(applied=result.events["applied"].map({True: "yes", False: "no"}))
    st.markdown(f"**Events in the window** ({len(events)}, {int(result.events['applied'].sum())} applied)")
    if len(events):
        st.table(events_table(events), hide_index=True)
    st.markdown("**Calibration against the ledger**")
    st.table(calibration_table(rows, brier()), hide_index=True)
    st.caption("Each month from 2023-03 starts a cohort: every closed API model live then is one "
               "realised history of each API option (its price changes and retirements), the self-hosted "
               "options follow their open-weight families; each realised NPV is scored against the "
               "simulated P5-P95 of the same window. Cohorts overlap, so paths are not independent. "
               "Brier: mean squared error of the forecast that a live model is retired within the window.")
    st.markdown(f"**Out of sample: risks refitted on the ledger before {holdout.CUTOFF}**")
    if held:
        st.table(out_of_sample_table(held), hide_index=True)
        st.caption("The same realised histories (cohorts from the cut-off) scored twice: with the risks "
                   "as shipped, which were calibrated on the whole ledger, and with the ledger-backed "
                   "risks refitted on the events before the cut-off only. Refit: "
                   + "; ".join(escape_markdown(n) for n in held[0]["refit"]) + ".")
    else:
        st.caption("No cohort starts after the cut-off and ends by the ledger's last month.")


def run_all(key: tuple[str, str], start: str, paths: int, seed: int, kept: bool
            ) -> tuple[backtest.Backtest, list[dict], list[dict]]:
    """The replay, the calibration and the out-of-sample scores, with a progress bar by step
    where any must be computed; the time taken sets this server's estimate (``how_long``)."""
    steps = (lambda: replay(*key, start, paths, seed), lambda: calibration(*key),
             lambda: out_of_sample(*key))
    if kept:
        return tuple(step() for step in steps)  # type: ignore[return-value]
    started = time.perf_counter()
    bar = st.progress(0.0, text=STEPS[0])
    out = []
    for i, step in enumerate(steps):
        bar.progress(i / len(steps), text=f"{STEPS[i]} (step {i + 1} of {len(steps)})...")
        out.append(step())
    bar.empty()
    record(CLOCK, paths, time.perf_counter() - started)
    return tuple(out)  # type: ignore[return-value]
