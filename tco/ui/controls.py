"""The sidebar's input table: which scenario inputs the page offers and how each is shown.

Pure (no streamlit), so the query-string codec in ``tco.ui.links`` can use it too.
"""

from __future__ import annotations

from dataclasses import dataclass

import tco.glossary as glossary
import tco.options as options
from tco.load import Loaded as Scenario
from tco.options.table import DEFAULT_SOURCE
from tco.report import stale_days
from tco.ui.lru import ByObject

MADE = ByObject(16)
"""Controls by scenario: a slider step asks for them four times (drawing the sidebar, applying
the move, showing it again), and labelling them from the glossary each time was a tenth of the
page's own work in a step."""


@dataclass(frozen=True)
class Control:
    """One sidebar input.

    Attributes
    ----------
    path : str
        The input's scenario path, e.g. ``workload.growth_per_month``.
    label : str
        Widget label from the glossary, with the unit as shown.
    help : str
        The glossary's one-sentence help, shown as the widget's tooltip.
    widget : str
        ``"number"`` or ``"slider"``.
    display_scale : float
        Shown value = stored value x scale (fractions as percentages).
    low, high, step : float or None
        Widget bounds and step, in shown units.
    fmt : str or None
        printf-style format; ``"%d"`` makes the widget hold integers.
    """

    path: str
    label: str
    widget: str
    display_scale: float = 1.0
    low: float | None = None
    high: float | None = None
    step: float | None = None
    fmt: str | None = None
    help: str = ""

    @property
    def number_type(self) -> type:
        """``int`` for integer widgets, else ``float``."""
        return int if self.fmt == "%d" else float

    def shown(self, stored: float) -> int | float:
        """The widget value for a value in stored units."""
        value = stored * self.display_scale
        return int(round(value)) if self.fmt == "%d" else float(value)


def _control(sc: Scenario, path: str, widget: str, scale: float, low: float | None,
             high: float | None, step: float, fmt: str, subject: bool = False) -> Control:
    """A control labelled from the glossary: the field's label (with its subject where the group
    does not name it) and the glossary's unit as the widget shows it (a fraction shown x100 in %,
    ``glossary.as_percent``)."""
    label = glossary.describe(path, sc.scenario) if subject else glossary.entry(path)
    unit = glossary.as_percent(label.unit) if scale == 100 else label.unit
    named = f"{label.label} ({unit})" if unit and unit.lower() != label.label.lower() else label.label
    return Control(path, named, widget, scale, low, high, step, fmt, label.help)


def controls(sc: Scenario) -> list[tuple[str, list[Control]]]:
    """The inputs architects move most, grouped for the sidebar, with units in their labels
    (made once per scenario; never change what this returns)."""
    return MADE.get(sc, "controls", lambda: _controls(sc))


def _controls(sc: Scenario) -> list[tuple[str, list[Control]]]:
    params = sc.inputs.params
    groups: list[tuple[str, list[Control]]] = [("Workload and money", [
        _control(sc, "workload.requests_per_month", "number", 1, 0, None, 100_000, "%d"),
        _control(sc, "workload.input_tokens_per_request", "number", 1, 1, None, 100, "%d"),
        _control(sc, "workload.output_tokens_per_request", "number", 1, 1, None, 50, "%d"),
        _control(sc, "workload.growth_per_month", "slider", 100, -10, 30, 0.5, "%.1f"),
        _control(sc, "horizon_months", "slider", 1, 6, 120, 6, "%d"),
        _control(sc, "discount_rate_per_year", "slider", 100, 0, 30, 0.5, "%.1f"),
    ])]
    for name, option in sc.options.items():
        p = f"options.{name}"
        items: list[Control] = []
        for c in options.of(option).controls:
            if f"{p}.{c.field}" in params:
                items.append(_control(sc, f"{p}.{c.field}", c.widget, c.scale, c.low, c.high, c.step,
                                      c.fmt))
        groups.append((f"Option: {name}", items))
    groups.append(("Risks (annual probability, %)", [
        _control(sc, f"risks.{i}.annual_probability", "slider", 100, 0, 100, 1, "%d", subject=True)
        for i in range(len(sc.risks))]))
    groups.append(("Portability (%)", [
        _control(sc, f"strategies.{name}.portability", "slider", 100, 0, 100, 5, "%d", subject=True)
        for name in sc.strategies]))
    return [(title, items) for title, items in groups if items]


def by_path(sc: Scenario) -> dict[str, Control]:
    """Every sidebar input of ``sc`` by its scenario path (never change what this returns)."""
    return MADE.get(sc, "by_path", lambda: {c.path: c for _, items in controls(sc) for c in items})


def source_caption(sc: Scenario, path: str) -> str | None:
    """Where an input's default comes from and how old it is, or None when the file states it."""
    param = sc.inputs.params.get(path)
    # Only catalog-derived defaults get a caption; the file's own sources, and the inputs it
    # leaves at the model's defaults, are in Assumptions.
    if (param is None or param.as_of is None or param.source.startswith("scenario file")
            or param.source == DEFAULT_SOURCE):
        return None
    text = f"Default from {param.source}"
    if param.as_of:
        text += f", as of {param.as_of}"
        age = stale_days(param)
        if age is not None:
            text += f" :warning: **{age} days old**: check the current price"
    return text
