"""The Compare tab: two scenarios side by side (shipped, uploaded, or the current edits against the
base): the inputs that differ, each strategy's expected and P95 NPV in both, and the difference
with its standard error, on paired paths where the two runs share their random streams
(``tco.compare``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import streamlit as st

from tco.compare import compare
from tco.format import usd
from tco.load import loads
from tco.ui.cache import compute, inputs_key
from tco.ui.progress import with_progress
from tco.ui.safe import escape_markdown

if TYPE_CHECKING:
    from tco.load import Loaded as Scenario

CURRENT = "The current edits"


def choices(base: Scenario, current: Scenario, edited: bool, files: dict[str, tuple[str, str, str]],
            upload: tuple[str, str] | None) -> dict[str, Scenario]:
    """The scenarios one can compare, by the name the picker shows."""
    out = {f"{base.name} (as shipped or uploaded, no edits)": base}
    if edited:
        out[CURRENT] = current
    for name, _, text in files.values():
        if name != base.name:
            out[name] = loads(text)
    if upload is not None:
        out[f"Uploaded: {upload[0]}"] = loads(upload[1])
    return out


def strategy_table(strategies: pd.DataFrame) -> pd.DataFrame:
    """``Comparison.strategies`` as text with readable headers."""
    def money(values) -> list[str]:
        return ["only in one" if np.isnan(v) else usd(v) for v in values]

    diff = strategies["difference_usd"]
    return pd.DataFrame({
        "Strategy": strategies["strategy"],
        "Expected A ($)": money(strategies["mean_a_usd"]),
        "Expected B ($)": money(strategies["mean_b_usd"]),
        "B - A ($)": ["" if np.isnan(v) else ("+" if v > 0 else "-" if v < 0 else "") + usd(abs(v))
                      for v in diff],
        "Std error ($)": money(strategies["difference_se_usd"]),
        "P95 A ($)": money(strategies["p95_a_usd"]),
        "P95 B ($)": money(strategies["p95_b_usd"])})


HELP = {"Expected A ($)": "Expected NPV of total cost in scenario A (mean over the paths).",
        "Expected B ($)": "Expected NPV of total cost in scenario B (mean over the paths).",
        "B - A ($)": "Expected NPV in B minus expected NPV in A.",
        "Std error ($)": "Monte Carlo standard error of the difference (paired paths where possible).",
        "P95 A ($)": "NPV that 95% of paths stay below, in A.",
        "P95 B ($)": "NPV that 95% of paths stay below, in B."}


def compare_tab(options: dict[str, Scenario], paths: int, seed: int) -> None:
    """A is the base scenario; B opens on the current edits where there are some, and otherwise
    waits for the reader to choose a scenario (two unrelated ones compare nothing)."""
    names = list(options)
    # One above the other at full width: side by side, a story's name and "(as shipped or
    # uploaded, no edits)" were cut off at 1280 px.
    a_name = st.selectbox("Scenario A", names, index=0, key="compare_a")
    others = [n for n in names if n != a_name] or names
    b_name = st.selectbox("Scenario B", others, key="compare_b",
                             index=others.index(CURRENT) if CURRENT in others else None,
                             placeholder="Choose a scenario to compare with")
    if b_name is None:
        st.info("Choose a scenario to compare with in Scenario B, or edit inputs in the sidebar or "
                "on the Assumptions tab: the current edits are then compared with the base scenario.")
        return
    a, b = options[a_name], options[b_name]
    ra = with_progress(lambda: compute(*inputs_key(a, paths, seed)).result, paths, "Simulating A:")
    rb = with_progress(lambda: compute(*inputs_key(b, paths, seed)).result, paths, "Simulating B:")
    result = compare(a, b, paths, seed, results=(ra, rb))
    st.caption(f"A: {escape_markdown(a_name)}. B: {escape_markdown(b_name)}. Both with {paths:,} paths "
               f"and seed {seed}. " + (
        "The two runs share their random streams, so each difference is measured path by path "
        "(common random numbers) and its standard error is that of the paired differences."
        if result.paired else
        "The two runs draw different random streams (their uncertain inputs or risks differ), so they "
        "are independent and each standard error combines the two runs' errors."))
    st.markdown("**Expected and P95 NPV of total cost per strategy**")
    st.dataframe(strategy_table(result.strategies), hide_index=True, column_config={
        name: st.column_config.TextColumn(name, help=text) for name, text in HELP.items()})
    st.markdown("**Inputs that differ**")
    if result.inputs.empty:
        st.caption("None: A and B have the same inputs.")
    else:
        # A static table: a distribution in words ('triangular (low 0%, mode 3%, high 8%)')
        # wraps in its cell, where a grid cut it.
        st.table(result.inputs.rename(columns={"label": "Input", "base": "In A", "current": "In B"})
                 .drop(columns=["input"]).set_index("Input"))
