"""The page's one set of input edits, shared by the sidebar, the Assumptions table and the link.

Pure (no streamlit). An edit is, by scenario path, either a number (a new nominal value: a fixed
input takes it, a distribution keeps its shape and moves its centre, as ``tco.report.apply_nominal``
does) or a distribution written as in a scenario file (``{"triangular": [low, mode, high]}``). Every
number is kept at 12 significant digits, the precision a link carries, so the state and its link
give the same scenario, bit for bit.

In a link an edit reads ``0.05`` or ``triangular:0.01,0.02,0.05`` (``pert``, ``uniform:low,high``,
``lognormal:median,p90``, ``normal:mean,sd``).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

import pandas as pd

import tco.glossary as glossary
from tco.distributions import Z_P90
from tco.errors import ScenarioError
from tco.format import is_fraction
from tco.load import Loaded as Scenario
from tco.load import with_changes
from tco.options.table import EDITED
from tco.report import apply_nominal, assumptions, describe
from tco.ui.lru import ByObject

Edit = float | dict[str, Any]
FORMS = {"triangular": 3, "pert": 3, "uniform": 2, "lognormal": 2, "normal": 2}
KEYS = {"lognormal": ("median", "p90"), "normal": ("mean", "sd")}
NUMBER = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
"""A number as a link writes it: ASCII digits only. ``float`` also reads Arabic-Indic or
full-width digits and '1_0_0', which no link the page writes holds (and the seed refuses)."""


def _number(text: str) -> float:
    if not NUMBER.fullmatch(text):
        if "_" in text or any(ch.isdigit() and not "0" <= ch <= "9" for ch in text):
            raise ValueError("not a number as links write them (ASCII digits 0-9, no '_')")
        raise ValueError("not a number")
    return float(text)
"""Forms written as a mapping; the others are a list."""
COLUMNS = ("low", "nominal", "high")


def clean(value: float) -> float:
    """``value`` at the 12 significant digits a link carries."""
    return float(f"{float(value):.12g}")


def editable_paths(sc: Scenario) -> list[str]:
    """Every input an edit may name: the resolved inputs and the horizon."""
    return [*sc.inputs.params, "horizon_months"]


def nominal(sc: Scenario, path: str) -> float:
    """An input's nominal value in stored units."""
    if path == "horizon_months":
        return float(sc.horizon_months)
    return sc.inputs.params[path].nominal


def _numbers(dist: Mapping[str, Any]) -> tuple[str, list[float]]:
    (form, body), = dist.items()
    return form, [float(body[k]) for k in KEYS[form]] if form in KEYS else [float(v) for v in body]


def _mapping(form: str, numbers: list[float]) -> dict[str, Any]:
    numbers = [clean(v) for v in numbers]
    return {form: dict(zip(KEYS[form], numbers, strict=True)) if form in KEYS else numbers}


APPLIED = ByObject(32)
"""Edited scenarios by base and edits: a slider step applies the same edits three times (to check
the move, to check the result, to draw it) and every rerun once more."""


def apply_edits(base: Scenario, edits: Mapping[str, Edit]) -> Scenario:
    """``base`` with the edits: distributions replaced first, then nominal values moved.

    Raises
    ------
    ScenarioError
        If an edit breaks one of the scenario's rules (naming the field and the rule).
    """
    if not edits:
        return base
    return APPLIED.get(base, json.dumps(edits, sort_keys=True), lambda: _apply_edits(base, edits))


def _apply_edits(base: Scenario, edits: Mapping[str, Edit]) -> Scenario:
    shapes = {p: v for p, v in edits.items() if isinstance(v, dict)}
    values = {p: float(v) for p, v in edits.items() if not isinstance(v, dict)}
    notes = edit_notes(base, edits)
    sc = with_changes(base, shapes, notes) if shapes else base
    return apply_nominal(sc, values, notes) if values else sc


def edit_notes(base: Scenario, edits: Mapping[str, Edit]) -> dict[str, str]:
    """Each edited input's new source: 'edited on the page (was 5,000,000)', the base value as
    the Assumptions table writes it, so every export says the number did not come from the file."""
    params = base.inputs.params
    return {path: f"{EDITED} (was {describe(params[path].value)})" for path in edits if path in params}


def encode_value(edit: Edit) -> str:
    """An edit as a link writes it."""
    if isinstance(edit, dict):
        form, numbers = _numbers(edit)
        return f"{form}:" + ",".join(f"{v:.12g}" for v in numbers)
    return f"{float(edit):.12g}"


def parse_value(text: str) -> Edit:
    """An edit as a link writes it, back.

    Raises
    ------
    ValueError
        With the reason ('not a number', 'not a finite number', 'triangular takes 3 numbers').
    """
    form, sep, body = text.partition(":")
    if not sep:
        if text.strip().lower().lstrip("+-") in ("inf", "infinity", "nan"):
            raise ValueError("not a finite number")
        value = _number(text)
        if not math.isfinite(value):
            raise ValueError("not a finite number")
        return clean(value)
    if form not in FORMS:
        raise ValueError(f"not a number or a distribution ({', '.join(FORMS)})")
    try:
        numbers = [_number(v) for v in body.split(",")]
    except ValueError:
        raise ValueError(f"{form} takes {FORMS[form]} numbers separated by commas") from None
    if len(numbers) != FORMS[form]:
        raise ValueError(f"{form} takes {FORMS[form]} numbers separated by commas")
    if not all(math.isfinite(v) for v in numbers):
        raise ValueError("not a finite number")
    return _mapping(form, numbers)


def set_nominal(base: Scenario, edits: Mapping[str, Edit], path: str, value: float) -> dict[str, Edit]:
    """The edits with ``path`` moved to nominal ``value`` (a distribution edit keeps its shape).

    Raises
    ------
    ScenarioError
        If the result breaks a rule; ``edits`` is left as it was.
    """
    out = dict(edits)
    value = clean(value)
    if isinstance(out.get(path), dict):
        moved = apply_nominal(apply_edits(base, out), {path: value})
        out[path] = _mapping(*_numbers(moved.inputs.params[path].value.to_yaml()))
    elif math.isclose(value, nominal(base, path), rel_tol=1e-12, abs_tol=1e-15):
        out.pop(path, None)
    else:
        out[path] = value
    apply_edits(base, out)  # raises if a rule is broken
    return out


def low_high(sc: Scenario, path: str) -> tuple[float | None, float | None]:
    """An input's low and high as the table shows them: a three-point or uniform distribution's
    ends, a normal or lognormal one's P10 and P90, nothing for a fixed value."""
    value = sc.inputs.params[path].value
    if not hasattr(value, "to_yaml"):
        return None, None
    form, numbers = _numbers(value.to_yaml())
    if form in ("triangular", "pert"):
        return numbers[0], numbers[2]
    if form == "uniform":
        return numbers[0], numbers[1]
    if form == "lognormal":
        median, p90 = numbers
        return median * median / p90, p90
    mean, sd = numbers
    return mean - Z_P90 * sd, mean + Z_P90 * sd


def set_cell(base: Scenario, edits: Mapping[str, Edit], path: str, column: str, value: float
             ) -> dict[str, Edit]:
    """The edits after one Assumptions-table cell of ``path`` changed: 'nominal' moves the centre;
    'low' or 'high' reshapes the distribution (a fixed input becomes triangular around its value).

    Raises
    ------
    ScenarioError
        If the result breaks a rule, or the number is not finite.
    """
    if column == "nominal":
        return set_nominal(base, edits, path, value)
    if not math.isfinite(value):
        raise ScenarioError(path, "must be a finite number")
    current = apply_edits(base, edits)
    param = current.inputs.params[path]
    value = clean(value)
    if not hasattr(param.value, "to_yaml"):
        mode = param.nominal
        numbers = [value, mode, mode] if column == "low" else [mode, mode, value]
        new = _mapping("triangular", numbers)
    else:
        form, numbers = _numbers(param.value.to_yaml())
        side = 0 if column == "low" else -1
        if form in ("triangular", "pert", "uniform"):
            numbers[side] = value
        elif form == "lognormal":
            median = numbers[0]
            if value <= 0 or (column == "low") != (value < median):
                raise ScenarioError(path, f"{column} must be {'below' if column == 'low' else 'above'} "
                                          "the median and above 0")
            numbers[1] = value if column == "high" else median * median / value
        else:
            numbers[1] = abs(value - numbers[0]) / Z_P90
        new = _mapping(form, numbers)
    out = {**edits, path: new}
    apply_edits(base, out)  # raises if a rule is broken
    return out


def table_scale(sc: Scenario, path: str) -> float:
    """Shown value / stored value of an input in the Assumptions table: 100 for fractions and
    probabilities, which the table shows in percent as the sidebar and the exports do, else 1."""
    return 100.0 if is_fraction(glossary.describe(path, sc).unit) else 1.0


def apply_cells(base: Scenario, edits: Mapping[str, Edit], edited_rows: Mapping[str, Mapping[str, Any]],
                paths: list[str]) -> tuple[dict[str, Edit], list[tuple[str, float, Exception]]]:
    """The edits after the Assumptions table's edited cells (the data editor's ``edited_rows``: row
    number to {column: value}, in the table's units: percent for fractions), and each cell refused
    with its path, value in stored units and reason."""
    out, refused = dict(edits), []
    for row, cells in edited_rows.items():
        path = paths[int(row)]
        scale = table_scale(base, path)
        for column, value in cells.items():
            if column not in COLUMNS or value is None:
                continue
            stored = float(value) / scale
            try:
                out = set_cell(base, out, path, column, stored)
            except (ScenarioError, ValueError) as exc:
                refused.append((path, stored, exc))
    return out, refused


def table(sc: Scenario) -> pd.DataFrame:
    """The Assumptions table of ``sc`` with low and high beside the nominal value, in the units the
    ``unit`` column names: fractions in percent ('% per month'), so growth reads 3, not 0.03, in
    all three editable columns."""
    frame = assumptions(sc)
    scales = pd.Series([table_scale(sc, path) for path in frame["input"]], index=frame.index)
    ends = [low_high(sc, path) for path in frame["input"]]
    frame.insert(frame.columns.get_loc("nominal"), "low",
                 [math.nan if lo is None else lo for lo, _ in ends])  # blank where the input is fixed
    frame.insert(frame.columns.get_loc("nominal") + 1, "high",
                 [math.nan if hi is None else hi for _, hi in ends])
    for column in COLUMNS:  # x100 rounded to the 12 digits an edit keeps: 3, not 3.0000000000000004
        frame[column] = (frame[column] * scales).map(lambda v: v if math.isnan(v) else clean(v))
    frame["unit"] = frame["unit"].map(glossary.as_percent)
    return frame
