"""Streamlit page: the architect's workspace. Composition only: page config, sidebar, scenario
choice, compute and tabs; the parts live in ``tco.ui`` and every number comes from ``tco``.

    streamlit run app.py              (add ?embed=true to a link for the results without the sidebar)
"""

from __future__ import annotations

import time
from importlib import import_module
from pathlib import Path
from types import ModuleType

import streamlit as st

from tco.errors import ScenarioError
from tco.format import plural
from tco.ui import state, tabs
from tco.ui.cache import compute, inputs_key, kernel_ready, scenario, shipped
from tco.ui.compare_tab import choices, compare_tab
from tco.ui.edits import apply_edits
from tco.ui.overview import PAGE_CSS, overview
from tco.ui.portfolio_choice import portfolio_sidebar
from tco.ui.progress import with_progress
from tco.ui.safe import escape_markdown
from tco.ui.sidebar import input_widgets
from tco.ui.upload import UPLOAD_KEY, load_upload

SCENARIO_DIR = Path(__file__).parent / "scenarios"
EMBED = state.embedded()

st.set_page_config(page_title="LLM TCO and lock-in risk", page_icon=":bar_chart:", layout="wide",
                   initial_sidebar_state="collapsed" if EMBED else "auto")
st.markdown(PAGE_CSS, unsafe_allow_html=True)


def opened(module: str) -> ModuleType:
    """A tab's module, imported when the tab is first opened: Decide and History bring the
    optimiser, scipy's solvers and the event ledger, which the first chart does not need."""
    return import_module(f"tco.ui.{module}")


def main() -> None:
    files = shipped(SCENARIO_DIR)
    stems = list(files)
    state.read_link(stems)
    state.set_defaults(stems)
    if EMBED:  # results only: no sidebar, no upload; the link chose the scenario and the inputs
        stem, upload, use_upload = st.session_state["scenario"], None, False
    else:
        st.sidebar.title("LLM TCO and lock-in risk")
        if portfolio_sidebar(SCENARIO_DIR):  # a portfolio is open: its own page
            return
        stem = st.sidebar.selectbox("Scenario", stems, format_func=lambda s: files[s][0], key="scenario",
                                    on_change=state.reset_inputs)
        upload = load_upload()
        use_upload = upload is not None and st.sidebar.toggle(
            f"Use uploaded {escape_markdown(upload[0])}", value=True, key="use_upload",
            on_change=state.reset_inputs)
    base = state.with_link_strategy(scenario(upload[1] if use_upload else files[stem][2]))
    state.apply_link(base)
    edits = state.edits()
    try:
        current = apply_edits(base, edits)
    except ScenarioError as exc:  # edits made for another scenario: say so and start again from it
        st.warning(escape_markdown(f"Edits dropped: {exc}"))
        state.reset_inputs()
        edits, current = state.edits(), base
    if not EMBED:
        st.sidebar.caption(escape_markdown(base.description, limit=2000))
        c1, c2 = st.sidebar.columns(2)
        # Defaults are the values in force (see tco/ui/sidebar.py: widgets reset to defaults).
        c1.select_slider("Paths", state.PATH_CHOICES, value=st.session_state["paths"], key="paths",
                         format_func=lambda v: f"{v:,}")
        c2.number_input("Seed", min_value=0, max_value=state.MAX_SEED, value=int(st.session_state["seed"]),
                        step=1, key="seed")
        input_widgets(base, current, edits)
        st.sidebar.button("Reset to the base scenario", on_click=state.reset_inputs, key="reset",
                          disabled=not edits)
    paths, seed = int(st.session_state["paths"]), int(st.session_state["seed"])
    state.write_link(None if use_upload else stem, edits, paths, seed)

    st.title(escape_markdown(current.name))
    state.show_edit_errors()
    if edits and not EMBED:
        st.caption(f":orange[{plural(len(edits), 'input')} changed] against the base scenario "
                   "(see Assumptions; reset in the sidebar).")
    elif edits:  # an embedded view never passes edited numbers off as the shipped scenario's
        st.markdown(f":orange-badge[Modified: {len(edits)} input(s) edited from the shipped scenario]")
    kernel_ready()
    started = time.perf_counter()
    key = inputs_key(current, paths, seed)
    try:
        view = with_progress(lambda: compute(*key), paths)
    except ScenarioError as exc:  # e.g. a run larger than the page's budget: one line, no traceback
        st.error(escape_markdown(exc))
        st.stop()
    st.session_state["last_compute_s"] = time.perf_counter() - started
    uploaded = st.session_state.get(UPLOAD_KEY) if not EMBED else None
    # Tabs track which one is open, so only the visible tab builds and sends its charts.
    drawn = (lambda: overview(view, key), lambda: tabs.costs(view, key), lambda: tabs.risk(view, key),
             lambda: tabs.sensitivity(view, key), lambda: tabs.stress_tab(view),
             lambda: opened("decide_tab").decide_tab(current, paths, seed, None if use_upload else stem),
             lambda: opened("history_tab").history_tab(current, paths, seed),
             lambda: compare_tab(choices(base, current, bool(edits), files, uploaded), paths, seed),
             lambda: tabs.assumptions_tab(base, current),
             lambda: tabs.export_tab(view, key, None if use_upload else stem))
    names = [t for t in tabs.TABS if not (EMBED and t in tabs.EDITING_TABS)]
    for tab, draw in zip(st.tabs(names, key="view", on_change="rerun"),
                         [d for t, d in zip(tabs.TABS, drawn, strict=True) if t in names], strict=True):
        if tab.open:
            with tab:
                draw()
    tabs.footer(view, current)


main()
