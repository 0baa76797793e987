"""The sidebar's input widgets, drawn from the controls table.

The widgets show the edited scenario; moving one records an edit through ``state.widget_changed``,
the same state the Assumptions table and the link edit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

import tco.glossary as glossary
from tco.format import quantity, with_unit
from tco.ui.controls import controls, source_caption
from tco.ui.edits import nominal
from tco.ui.state import input_key, widget_changed

if TYPE_CHECKING:
    from tco.load import Loaded as Scenario
    from tco.ui.edits import Edit

SEPARATED_FROM = 10_000
"""A number box shows its value without thousands separators (Streamlit's printf formats have
none), so from five digits up the value is repeated under it with them, in its unit."""


GROUP_PREFIX = "group:"
"""An input group's expander key is this and its title: Session State holds whether it is open."""


def group_key(title: str) -> str:
    return GROUP_PREFIX + title


def input_widgets(base: Scenario, current: Scenario, edits: dict[str, Edit]) -> None:
    """Draw the input widgets at the current values, each change marked against the base.

    Only an open group's widgets are drawn (opening one reruns the page, from its caches): the
    browser redraws every element the page sends at each rerun, and the closed groups' widgets
    were most of the sidebar. A widget that comes back takes the edited scenario's value."""
    for title, items in controls(base):
        group = st.sidebar.expander(title, expanded=title.startswith("Workload"), key=group_key(title),
                                    on_change="rerun")
        if not group.open:
            continue
        with group:
            for c in items:
                key = input_key(c.path)
                if key not in st.session_state:
                    st.session_state[key] = c.shown(nominal(current, c.path))
                cast = c.number_type
                # The value in force is also the widget's default: when Streamlit's front end
                # resets widgets to their defaults during quick reruns (streamlit/streamlit#9056),
                # they come back at that value, not at their minimums.
                shown = cast(st.session_state[key])
                if c.widget == "slider":
                    # Widen the range rather than clip a value that a link or edit put outside it.
                    low, high = min(c.low, shown), max(c.high, shown)
                    st.slider(c.label, cast(low), cast(high), value=shown, step=cast(c.step),
                              format=c.fmt, key=key, help=c.help, on_change=widget_changed,
                              args=(c.path,))
                else:
                    st.number_input(c.label, min_value=None if c.low is None else cast(c.low),
                                    value=shown, step=cast(c.step), format=c.fmt, key=key,
                                    help=c.help, on_change=widget_changed, args=(c.path,))
                if c.widget == "number" and abs(shown) >= SEPARATED_FROM:
                    st.caption(with_unit(nominal(current, c.path),
                                         glossary.describe(c.path, base).unit).replace("$", "\\$"))
                if c.path in edits:
                    shape = " (distribution edited in Assumptions)" if isinstance(edits[c.path], dict) else ""
                    was = quantity(nominal(base, c.path), glossary.describe(c.path, base).unit)
                    st.caption(f":orange[changed] from {was}{shape}".replace("$", "\\$"))
                caption = source_caption(base, c.path)
                if caption:
                    st.caption(caption)
