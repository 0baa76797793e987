"""Streamlit page: the architect's workspace. Composition only: page config, sidebar, scenario
choice, compute and tabs; the parts live in ``tco.ui`` and every number comes from ``tco``.

    streamlit run app.py
"""

from __future__ import annotations

import time
from pathlib import Path

import streamlit as st

from tco.errors import ScenarioError
from tco.load import loads
from tco.report import apply_nominal
from tco.ui import state, tabs
from tco.ui.cache import compute, inputs_key, kernel_ready, shipped
from tco.ui.safe import escape_markdown
from tco.ui.sidebar import input_widgets
from tco.ui.upload import load_upload

SCENARIO_DIR = Path(__file__).parent / "scenarios"

st.set_page_config(page_title="LLM TCO and lock-in risk", page_icon=":bar_chart:", layout="wide")


def main() -> None:
    files = shipped(SCENARIO_DIR)
    stems = list(files)
    state.read_link(stems)
    state.set_defaults(stems)
    st.sidebar.title("LLM TCO and lock-in risk")
    stem = st.sidebar.selectbox("Scenario", stems, format_func=lambda s: files[s][0], key="scenario",
                                on_change=state.reset_inputs)
    upload = load_upload()
    use_upload = upload is not None and st.sidebar.toggle(f"Use uploaded {escape_markdown(upload[0])}",
                                                          value=True, key="use_upload")
    base = loads(upload[1] if use_upload else files[stem][2])
    st.sidebar.caption(escape_markdown(base.description, limit=2000))
    state.apply_link(base)
    c1, c2 = st.sidebar.columns(2)
    paths = c1.select_slider("Paths", state.PATH_CHOICES, key="paths", format_func=lambda v: f"{v:,}")
    seed = int(c2.number_input("Seed", min_value=0, max_value=state.MAX_SEED, step=1, key="seed"))
    changes = input_widgets(base)
    changes.update(tabs.editor_changes(base))
    st.sidebar.button("Reset to the base scenario", on_click=state.reset_inputs, key="reset",
                      disabled=not changes)
    try:
        current = apply_nominal(base, changes) if changes else base
    except ScenarioError as exc:
        st.error(escape_markdown(exc))
        st.stop()
    state.write_link(None if use_upload else stem, changes, paths, seed)

    st.title(escape_markdown(current.name))
    if changes:
        st.caption(f":orange[{len(changes)} input(s) changed] against the base scenario "
                   "(see Assumptions; reset in the sidebar).")
    kernel_ready()
    started = time.perf_counter()
    key = inputs_key(current, paths, seed)
    try:
        with st.spinner(f"Simulating {paths:,} paths..."):
            view = compute(*key)
    except ScenarioError as exc:  # e.g. a run larger than the page's budget: one line, no traceback
        st.error(escape_markdown(exc))
        st.stop()
    st.session_state["last_compute_s"] = time.perf_counter() - started
    # Tabs track which one is open, so only the visible tab builds and sends its charts.
    drawn = (lambda: tabs.overview(view, key), lambda: tabs.costs(view, key), lambda: tabs.risk(view, key),
             lambda: tabs.sensitivity(view, key), lambda: tabs.stress_tab(view),
             lambda: tabs.assumptions_tab(base, current),
             lambda: tabs.export_tab(view, key, None if use_upload else stem))
    for tab, draw in zip(st.tabs(tabs.TABS, key="view", on_change="rerun"), drawn, strict=True):
        if tab.open:
            with tab:
                draw()
    tabs.footer(view, current)


main()
