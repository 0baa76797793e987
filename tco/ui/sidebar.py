"""The sidebar's input widgets, drawn from the controls table."""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from tco.ui.controls import controls, nominal, source_caption
from tco.ui.state import input_key

if TYPE_CHECKING:
    from tco.load import Loaded as Scenario


def input_widgets(base: Scenario) -> dict[str, float]:
    """Draw the input widgets and return the inputs changed against the base scenario."""
    changes: dict[str, float] = {}
    for title, items in controls(base):
        with st.sidebar.expander(title, expanded=title.startswith("Workload")):
            for c in items:
                key = input_key(c.path)
                if key not in st.session_state:
                    st.session_state[key] = c.shown(nominal(base, c.path))
                cast = c.number_type
                if c.widget == "slider":
                    # Widen the range rather than clip a value that a link or edit put outside it.
                    low = min(c.low, st.session_state[key])
                    high = max(c.high, st.session_state[key])
                    st.slider(c.label, cast(low), cast(high), step=cast(c.step), format=c.fmt, key=key,
                              help=c.help)
                else:
                    st.number_input(c.label, min_value=None if c.low is None else cast(c.low),
                                    step=cast(c.step), format=c.fmt, key=key, help=c.help)
                value = float(st.session_state[key]) / c.display_scale
                if c.path == "workload.requests_per_month":
                    st.caption(f"{value:,.0f} requests per month")
                if abs(value - nominal(base, c.path)) > 1e-9 * max(1.0, abs(value)):
                    changes[c.path] = value
                    st.caption(f":orange[changed] from {nominal(base, c.path) * c.display_scale:,.4g}")
                caption = source_caption(base, c.path)
                if caption:
                    st.caption(caption)
    return changes
