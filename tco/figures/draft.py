"""A plotly figure written directly as plotly's own JSON (plain dicts and arrays), made into a
``go.Figure`` once, without plotly validating it again.

Building a chart trace by trace through ``go.Figure.add_bar`` and ``update_layout`` runs plotly's
validators on every property, and copies the template on every change: about 100 ms for the
Overview's NPV chart and 30 ms for its bridge on this machine, built afresh on every slider step.
A ``Draft`` takes the same calls with the same arguments, keeps them as dicts, and builds the
figure in about a millisecond. It writes nested properties as dicts (``marker={"color": c}``, not
plotly's ``marker_color``) and leaves out properties given as None, as plotly does; the tests hold
every chart equal to what plotly's validator makes of it (``go.Figure(draft.to_dict())``).
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

import pandas as pd
import plotly.graph_objects as go


def plain(value: Any) -> Any:
    """A property value as plotly stores it: Series and Index as numpy arrays (plotly's validators
    make them read-only arrays of the same dtype), dicts and lists walked, None-valued keys left
    out."""
    if isinstance(value, pd.Series | pd.Index):
        return value.to_numpy()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def merge(into: dict, update: dict) -> None:
    """Merge ``update`` into ``into`` as ``update_layout`` does: nested dicts key by key."""
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            merge(into[key], value)
        else:
            into[key] = value


@cache
def _template(name: str) -> dict:
    """A named template as plain JSON, built and validated once."""
    return go.Figure(layout={"template": name}).to_dict()["layout"]["template"]


class Draft:
    """A figure under construction: the ``go.Figure`` methods ``tco.figures.plotly`` calls,
    recorded as plotly's JSON."""

    def __init__(self, template: str) -> None:
        self.data: list[dict] = []
        self.layout: dict = {}
        self.template = template

    def _trace(self, kind: str, props: dict) -> None:
        self.data.append({"type": kind, **plain(props)})

    def add_bar(self, **props: Any) -> None:
        self._trace("bar", props)

    def add_scatter(self, **props: Any) -> None:
        self._trace("scatter", props)

    def add_violin(self, **props: Any) -> None:
        self._trace("violin", props)

    def add_waterfall(self, **props: Any) -> None:
        self._trace("waterfall", props)

    def add_annotation(self, **props: Any) -> None:
        self.layout.setdefault("annotations", []).append(plain(props))

    def add_vline(self, x: float, line: dict) -> None:
        """A vertical line across the plot area at ``x``, as ``go.Figure.add_vline`` draws it."""
        self.layout.setdefault("shapes", []).append(
            {"type": "line", "x0": x, "x1": x, "xref": "x", "y0": 0, "y1": 1, "yref": "y domain",
             "line": plain(line)})

    def update_layout(self, **props: Any) -> None:
        merge(self.layout, plain(props))

    def figure(self) -> go.Figure:
        """The figure, on a copy of the template (a figure's layout can be changed later)."""
        layout = {**self.layout, "template": copy.deepcopy(_template(self.template))}
        return go.Figure({"data": self.data, "layout": layout}, _validate=False)
