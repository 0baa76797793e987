"""The page's floor: Streamlit drawing what the Overview draws, with nothing computed.

    python benchmarks/floor_page.py serve [streamlit options]   (``bench_app.py --server floor``)

``serve`` builds the Overview's elements once, for the default scenario at the default paths and
seed, from the page's own functions (its recommendation, KPI table, both charts, bullets and
measures table), then serves this file with Streamlit in the same process, as ``python -m tco app``
serves the page. Each run of the script only redraws them: the traffic-growth slider scales every
number (so the KPI table and both charts change, as on the page) and nothing is simulated. Its
cold load and slider step are what Streamlit and the browser take to show the Overview on this
machine, the floor under the page's targets (2 s and 0.3 s): ``bench_app.py`` times it with the
page's own harness, in the same run.

``FLOOR_WITHOUT`` (comma-separated: ``charts``, ``grid``, ``table``) leaves out the two charts, shows
the KPI table as a static table instead of the grid, or leaves out the measures table: what each
costs a step.
"""

from __future__ import annotations

import base64
import copy
import os
import sys
import types
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
# The module, registered by ``serve``, that keeps the Overview's elements between runs: Streamlit
# runs this file as a fresh ``__main__`` each time (and would draw a docstring here).
HOLDER = "tco_floor_page_elements"


def build() -> dict:
    """The default scenario's Overview elements, as the page builds them."""
    sys.path.insert(0, str(ROOT))
    import tco.story as story  # the package is the server's warm-up, not the page's
    from tco.ui import overview, server

    server.warm()
    from tco.simulate import DEFAULT_PATHS, DEFAULT_SEED
    from tco.ui import cache, state

    files = cache.shipped(server.SCENARIO_DIR)
    base = cache.scenario(files[state.DEFAULT_SCENARIO][2])
    key = cache.inputs_key(base, DEFAULT_PATHS, DEFAULT_SEED)
    view = cache.compute(*key)
    height = overview.chart_height(len(view.summary))
    kinds = {risk.kind for risk in view.scenario.risks}
    return {"title": view.scenario.name, "recommendation": story.recommendation(view.result),
            "summary": view.summary[list(overview.KPIS)].copy(),
            "figures": [overview.compact_figure(*key, name, height).to_dict()
                        for name in overview.CHART_KEYS],
            "bullets": "\n".join(f"- {point}" for point in story.bullets(view.result)),
            "measures": overview.format_summary(view.summary, kinds).T.rename_axis("Measure")}


def numbers(values: object) -> np.ndarray | None:
    """A trace's series as numbers: plotly's base64 typed arrays (``{"dtype", "bdata"}``) decoded;
    None where it is not numeric (category names)."""
    if isinstance(values, dict) and "bdata" in values:
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"])
    array = np.asarray(values) if values is not None else None
    return array if array is not None and array.dtype.kind in "fiu" else None


def scaled(figure: dict, factor: float) -> dict:
    """A copy of ``figure`` with its numeric series (x, y and the error bars) times ``factor``: a
    new figure, as a slider step makes on the page (its text labels stay as they were)."""
    out = copy.deepcopy(figure)
    for trace in out["data"]:
        for holder, name in ((trace, "x"), (trace, "y"), (trace.get("error_y") or {}, "array"),
                             (trace.get("error_y") or {}, "arrayminus")):
            values = numbers(holder.get(name))
            if values is not None:
                holder[name] = (values * factor).tolist()
    return out


def page() -> None:
    import streamlit as st

    from tco.ui import overview, tabs  # imported by the server's warm-up: no cost here

    e = sys.modules[HOLDER].elements
    without = set(os.environ.get("FLOOR_WITHOUT", "").split(","))
    st.set_page_config(page_title="floor", layout="wide")
    st.markdown(overview.PAGE_CSS, unsafe_allow_html=True)
    st.sidebar.title("LLM TCO and lock-in risk")
    growth = st.sidebar.slider("Traffic growth (% per month)", -10.0, 30.0, 3.0, 0.5, format="%.1f")
    factor = 1.0 + growth / 100.0
    st.title(e["title"])
    overview_tab = st.tabs(tabs.TABS, key="view", on_change="rerun")[0]
    with overview_tab:
        st.markdown(f"**{e['recommendation']}**".replace("$", "\\$"))
        table = e["summary"].copy()
        money = [c for c in table.columns if c != "p_cheapest"]
        table[money] = table[money] * factor
        styled, columns = overview.kpi_grid(table)  # the page's own grid, styled and helped
        if "grid" not in without:
            st.dataframe(styled, hide_index=True, column_config=columns)
        else:  # the KPI numbers as a static table: the harness waits for a table's new numbers
            st.table(overview.kpi_table(table))
        left, right = st.columns(2)
        for column, figure, key in zip((left, right), e["figures"], ("floor_npv", "floor_bridge"),
                                       strict=True):
            if "charts" not in without:
                column.plotly_chart(scaled(figure, factor), key=key, config={"displaylogo": False})
        st.markdown(e["bullets"].replace("$", "\\$"))
        for label, key in (("What each strategy is", "a"), ("Each strategy's numbers", "b"),
                           ("The verdict in one paragraph", "c")):
            st.expander(label, key=key, on_change="rerun")
        if "table" not in without:
            st.table(e["measures"])
    st.caption(f"floor page, growth {growth:.1f}% a month")


def serve(args: list[str]) -> None:
    """Build the elements, then serve this file from this process."""
    holder = types.ModuleType(HOLDER)
    holder.elements = build()
    sys.modules[HOLDER] = holder
    from streamlit.web import cli

    cli.main.main(args=["run", __file__, *args], prog_name="streamlit", standalone_mode=False)


if HOLDER in sys.modules:  # Streamlit running this file as the page's script
    page()
elif __name__ == "__main__" and sys.argv[1:2] == ["serve"]:
    serve(sys.argv[2:])
