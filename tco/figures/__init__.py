"""Charts as data, drawn twice: ``data`` builds each chart's ``FigureSpec`` (a tidy frame, titles,
units and colours) from results; ``to_figure`` draws it with plotly (page, PNG, SVG) and
``tco.figures.pptx`` with python-pptx (deck). Page and deck show the same figures.
"""

from __future__ import annotations

from tco.figures import data
from tco.figures.plotly import to_figure
from tco.figures.spec import (
    STRATEGY_PALETTE,
    Axis,
    FigureSpec,
    Style,
    line_colour,
    option_colours,
    strategy_colours,
)

__all__ = ["STRATEGY_PALETTE", "Axis", "FigureSpec", "Style", "data", "line_colour", "option_colours",
           "strategy_colours", "to_figure"]
