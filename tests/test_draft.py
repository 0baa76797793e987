"""Charts written as plotly's JSON (``tco.figures.draft``) are exactly the figures plotly's
validator builds from the same JSON: for every chart the page offers on every shipped scenario,
``go.Figure(fig.to_dict())``, which validates and coerces every property, serialises to the same
JSON as the chart itself. (Checked also, when the draft was written, against the trace-by-trace
builder it replaced: 161 charts on 8 stories, identical JSON.)"""

from __future__ import annotations

import json

import plotly.graph_objects as go
import plotly.io as pio
import pytest

import tco
from tco.figures import to_figure
from tco.figures.draft import Draft, merge, plain
from tco.ui import cache
from tests.conftest import SCENARIOS


def as_json(fig: go.Figure) -> dict:
    return json.loads(pio.to_json(fig))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_chart_is_what_plotly_validates(path) -> None:
    sc = tco.load_scenario(path)
    result = tco.simulate(sc, paths=300, seed=3)
    view = cache.View(sc, result, result.summary(), "")
    names = cache.chart_names(view)
    assert len(names) >= 10
    for name in names:
        fig = cache.build_figure(view, name)
        assert as_json(fig) == as_json(go.Figure(fig.to_dict())), name


def test_a_draft_leaves_out_none_and_merges_layout_like_plotly() -> None:
    """None means 'not set' (plotly drops it); update_layout merges nested dicts key by key;
    Series become arrays of their dtype; add_vline is plotly's shape across the plot's height."""
    import pandas as pd

    draft = Draft("plotly_white")
    draft.add_bar(x=pd.Series(["a", "b"]), y=pd.Series([1.0, 2.0]), text=None, marker={"color": "#123456"})
    draft.update_layout(xaxis={"title": {"text": "X"}}, barmode=None)
    draft.update_layout(xaxis={"tickformat": "d"})
    draft.add_vline(x=1.5, line={"dash": "dot", "color": "#7F7F7F"})
    ours = draft.figure()
    theirs = go.Figure(layout={"template": "plotly_white"})
    theirs.add_bar(x=pd.Series(["a", "b"]), y=pd.Series([1.0, 2.0]), text=None, marker_color="#123456")
    theirs.update_layout(xaxis_title_text="X", barmode=None)
    theirs.update_layout(xaxis_tickformat="d")
    theirs.add_vline(x=1.5, line_dash="dot", line_color="#7F7F7F")
    assert as_json(ours) == as_json(theirs)
    assert plain({"a": None, "b": [pd.Series([1, 2])]})["b"][0].dtype.kind == "i"
    into = {"x": {"a": 1}}
    merge(into, {"x": {"b": 2}, "y": 3})
    assert into == {"x": {"a": 1, "b": 2}, "y": 3}


def test_a_fan_is_still_drawn_on_plotlys_subplots() -> None:
    """Fans keep plotly's own builder (subplots, shared axes): one panel per strategy."""
    sc = tco.load_scenario(SCENARIOS[0])
    fig = to_figure(cache.FIGURES["Cumulative cost fan chart"](
        cache.View(sc, tco.simulate(sc, paths=200, seed=1), None, "")))  # type: ignore[arg-type]
    assert len([k for k in fig.layout if k.startswith("xaxis")]) == len(sc.strategies)
