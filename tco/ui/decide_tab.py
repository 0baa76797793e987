"""The Decide tab: the cheapest mix of the scenario's options within a CVaR95 budget, the
efficient frontier with the scenario's strategies on it, the mix in words with its in-sample and
fresh-seed figures, and the mix saved as a new strategy (``tco.optimise``).

The search costs seconds (each option alone on the page's futures, then the chosen mix and every
frontier point recosted in full, on those futures and on new ones), so the tab opens on its budget
and a button; the answer is then shown again, without asking, while the inputs and the budget stay
the same (by every session: it is kept with the simulations).
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

import tco.glossary as glossary
from tco.errors import ScenarioError
from tco.figures import to_figure
from tco.figures.decide import frontier
from tco.format import usd
from tco.load import Loaded as Scenario
from tco.load import dumps, loads
from tco.optimise.decide import Decision, optimise, with_strategy
from tco.optimise.portfolio import PortfolioDecision
from tco.ui import links, state
from tco.ui.cache import RESULT_CACHE, Key, inputs_key
from tco.ui.edits import editable_paths, nominal
from tco.ui.lru import memoize
from tco.ui.progress import seconds_for, with_progress
from tco.ui.safe import escape_markdown

BUDGET_KEY = "decide_budget_musd"
MEASURE_KEY = "decide_budget_measure"
MEASURES = {"CVaR95": "cvar95", "P95": "p95"}
MEASURE_HELP = ("CVaR95: the mean NPV of the worst 5% of futures. P95: the NPV that 95% of futures "
                "stay below.")
"""The page's budget choices: label -> the optimiser's metric."""
NAME_KEY = "decide_strategy_name"
SAVED_NAME = "optimised"
RUN_LABEL = "Find the cheapest mix"
ASKED_KEY = "decide_asked"
"""Session state: the inputs and budget the search was last asked to run on."""
CLOCK = "decide"
"""The search's own speed on this server (``tco.ui.progress``), for its progress bar and the
sentence saying how long it takes."""
OWN_TEXT_CHARS = 1000
"""The optimiser's own sentences (a mix card, a refusal naming a mix, why the frontier is flat)
run past ``tco.ui.safe``'s 200 characters with three options; they are still escaped."""


@memoize(RESULT_CACHE)
def decision(scenario_yaml: str, paths: int, seed: int, comments: str, budget_usd: float | None,
             measure: str = "CVaR95") -> Decision:
    """The optimiser on one set of inputs and budget (cached like a simulation); a budget no mix
    meets is refused naming the page's budget field."""
    sc = loads(scenario_yaml, json.loads(comments))
    field = f"{measure} budget"
    if MEASURES[measure] == "p95":
        return optimise(sc, paths, seed, p95_budget_usd=budget_usd, field=field)
    return optimise(sc, paths, seed, cvar_budget_usd=budget_usd, field=field)


def figures_table(d: Decision | PortfolioDecision) -> pd.DataFrame:
    """The chosen mix costed three ways, as text, in the glossary's words."""
    counted = {k: re.sub(r"(new )?futures", lambda m: f"{d.paths:,} {m[0]}",
                         glossary.entry(k).label) for k in ("recosted_same", "recosted_fresh")}
    rows = [(glossary.entry("search_estimate").label, d.chosen.linear),
            (counted["recosted_same"], d.chosen.exact), (counted["recosted_fresh"], d.fresh)]
    money = [glossary.entry(k).label for k in ("mean", "cvar95", "p95")]
    return pd.DataFrame({glossary.entry("costed_by").label: [r[0] for r in rows],
                         f"{money[0]} ($)": [usd(r[1].mean_usd) for r in rows],
                         f"{money[1]} ($)": [usd(r[1].cvar95_usd) for r in rows],
                         f"{money[2]} ($)": [usd(r[1].p95_usd) for r in rows]})


def figures_help() -> str:
    """What each row of ``figures_table`` means: the glossary's labels, the page's explanation."""
    why = {"search_estimate": "each option's cost alone on the simulated futures, mixed in "
           "proportion to its share: quick enough to search thousands of mixes, but it spreads "
           "setup, staff and whole GPUs by share.",
           "recosted_same": "the chosen mix through the full cost model on the futures the search "
           "used: setup, staff and whole GPUs as they fall.",
           "recosted_fresh": "the same on futures the search never saw (the next seed): what to "
           "expect, since a mix tuned to one set of futures looks a little better on them."}
    return " ".join(f"**{glossary.entry(k).label}:** {text}" for k, text in why.items())


def decided_changes(current: Scenario, decided: Scenario) -> tuple[dict[str, float], list[str]]:
    """The inputs the optimiser changed (reserved GPUs, commitment levels) as link edits, and the
    inputs it removed, which a link cannot carry (a reservation refined to none)."""
    kept = set(editable_paths(decided))
    changes = {path: nominal(decided, path) for path in editable_paths(decided)
               if path in current.inputs.params and nominal(decided, path) != nominal(current, path)}
    return changes, [path for path in current.inputs.params if path not in kept]


def share_link(d: Decision, current: Scenario, name: str, stem: str, paths: int, seed: int
               ) -> str:
    """A link that reopens the scenario with the page's edits, the optimiser's reserved GPUs and
    commitment levels, and the mix added as strategy ``name``."""
    added = links.AddedStrategy(name, dict(d.chosen.strategy.mix), d.chosen.strategy.chain)
    links.parse_strategy(links.encode_strategy(added))  # a name a link cannot carry: ValueError
    changes, _ = decided_changes(current, d.decided or current)
    query = urlencode(links.encode(stem, {**state.edits(), **changes}, paths, seed,
                                   strategy=added))
    base_url = getattr(getattr(st, "context", None), "url", None) or ""
    return f"{base_url.split('?')[0]}?{query}"


def how_long(paths: int) -> str:
    """What the button does and how long it takes at ``paths`` futures, from this server's last
    search where there was one."""
    seconds = seconds_for(CLOCK, paths)
    took = (f"about {seconds:,.0f} s here" if seconds is not None and seconds >= 1 else
            "under a second here" if seconds is not None else
            "a few seconds (4 s of computing at 10,000 futures on two cores)")
    return (f"The search costs each option alone on the {paths:,} simulated futures, picks the "
            "cheapest mix within the budget, then recosts that mix and the frontier's points in "
            f"full on those futures and on {paths:,} new ones: {took}. The answer stays while the "
            "inputs and the budget are unchanged.")


def decide_tab(current: Scenario, paths: int, seed: int, stem: str | None = None) -> None:
    st.caption("The cheapest mix of the scenario's options whose CVaR95 (mean NPV of the worst 5% "
               "of futures) or P95 stays within a budget, searched on the same simulated futures "
               "as the other tabs, then recosted in full on those futures and on new ones. The "
               "scenario file's optimisation settings say which options the mix may use, and their "
               "shares.")
    measure = st.radio("Risk budget on", list(MEASURES), horizontal=True, key=MEASURE_KEY,
                       help=MEASURE_HELP)
    budget_musd = st.number_input(f"{measure} budget ($M); leave empty for the cheapest mix",
                                  value=None, min_value=0.0, step=0.1, format="%.2f", key=BUDGET_KEY)
    budget = None if budget_musd is None else float(budget_musd) * 1e6
    key: Key = inputs_key(current, paths, seed)
    asked = (*key, budget, measure)
    if st.button(RUN_LABEL, key="decide_run", type="primary"):
        st.session_state[ASKED_KEY] = asked
    if st.session_state.get(ASKED_KEY) != asked and not decision.kept(*asked):
        st.caption(how_long(paths))
        return
    try:
        d = with_progress(lambda: decision(*asked), paths, "Searching mixes on", CLOCK, quiet_s=0.2)
    except ScenarioError as exc:  # a budget below the least CVaR, a solver failure: one line
        st.error(escape_markdown(str(exc), OWN_TEXT_CHARS))
        return
    st.markdown(f"**Chosen mix:** {escape_markdown(d.chosen.card, OWN_TEXT_CHARS)}")
    st.dataframe(figures_table(d), hide_index=True)
    st.caption(figures_help())
    for same in d.same_mix_notes():
        st.caption(escape_markdown(same, OWN_TEXT_CHARS))
    st.plotly_chart(to_figure(frontier(d)), key="fig_frontier", config={"displaylogo": False})
    note = d.frontier_note()
    if note is not None:
        st.caption(escape_markdown(note, OWN_TEXT_CHARS))
    name = st.text_input("Save the mix as a strategy named", value=SAVED_NAME, key=NAME_KEY)
    try:
        saved = dumps(with_strategy(d.decided or current, name, d.chosen.strategy))
    except ScenarioError as exc:
        st.error(escape_markdown(str(exc)))
        return
    st.download_button("Download the scenario with this strategy (YAML)", saved,
                       file_name="scenario-with-optimised-mix.yaml", mime="application/yaml",
                       key="decide_download")
    if stem is None:
        st.caption("Uploaded scenarios are not in links: share the downloaded file.")
        return
    _, removed = decided_changes(current, d.decided or current)
    try:
        link = share_link(d, current, name, stem, paths, seed)
    except ValueError as exc:
        st.error(escape_markdown(f"No link for the name {name!r}: {exc}"))
        return
    st.markdown("**Share the scenario with this strategy**")
    st.code(link, language=None)
    if removed:
        st.caption("The link cannot remove inputs (" + escape_markdown(", ".join(removed))
                   + "); the downloaded file has the mix exactly.")
