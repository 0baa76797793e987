"""What the page computes, cached across reruns: shipped scenarios, simulations, charts and files.

Every cached function takes the inputs as a ``Key`` of plain values (hashable), so moving a slider
back to an earlier value is instant. The caches are shared by every session of the server and
bounded in bytes (``tco.ui.lru``): simulations ``RESULT_BYTES``, charts ``FIGURE_BYTES``, files and
images ``FILE_BYTES``, about 900 MB together however many runs people ask for. Each run is also
refused above ``tco.budget.PAGE_MAX_CELLS`` before anything is allocated.
"""

from __future__ import annotations

import gc
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

import tco._runtime as runtime
import tco.prices as prices
import tco.tax as tax
from tco.budget import PAGE_MAX_CELLS
from tco.engine import warm_up
from tco.figures import data as specs
from tco.figures import stories, to_figure
from tco.glossary import SAMPLING_WORDS
from tco.images import figure_bytes
from tco.load import Loaded as Scenario
from tco.load import dumps, loads, scenario_files
from tco.model import Evaluation, evaluate
from tco.report import verdict
from tco.sensitivity import global_ranking, tornado
from tco.simulate import SimulationResult, simulate
from tco.stress import named_stresses
from tco.ui.lru import ByObject, ByteLRU, memoize
from tco.yamlio import parse_document

Key = tuple[str, int, int, str]  # scenario YAML, paths, seed, the file's source notes as JSON
MB = 2**20
RESULT_BYTES = 600 * MB
"""Simulations kept: four runs at the page's largest size, about twenty 50,000-path runs."""
FIGURE_BYTES = 150 * MB
FILE_BYTES = 150 * MB
RESULT_CACHE = ByteLRU(RESULT_BYTES)  # a View computes tables when a tab first asks: it grows
# Charts and files are never changed once made (a tab that adapts a chart draws a copy).
FIGURE_CACHE = ByteLRU(FIGURE_BYTES, values_grow=False)
FILE_CACHE = ByteLRU(FILE_BYTES, values_grow=False)
SCENARIO_CACHE = ByteLRU(20 * MB, values_grow=False)
"""Loaded scenario files by their text: a few hundred kB each, an upload at most 1 MB of text."""


@st.cache_data(show_spinner=False)
def shipped(folder: Path) -> dict[str, tuple[str, str, str]]:
    """Shipped scenarios in ``folder`` by file stem: (name, description, YAML text).

    The name and description are read from the parsed file, not a validated one: validating and
    resolving all eight stories (replica plans included) was a fifth of the page's cold load, and
    only the one opened is used (``scenario``); the tests validate every shipped file.
    """
    out = {}
    for path in scenario_files(folder):
        text = path.read_text(encoding="utf-8")
        raw, _ = parse_document(text)
        out[path.stem] = (str(raw["name"]), str(raw.get("description", "")), text)
    return out


@memoize(SCENARIO_CACHE)
def scenario(text: str | bytes) -> Scenario:
    """A scenario file's text, parsed, validated and resolved once per text. Every rerun starts
    from the file (a slider step too), and parsing it again was a tenth of the step; the
    ``Loaded`` is shared (nothing changes one: an edit makes a new scenario).

    Raises
    ------
    ScenarioError
        If the text breaks a rule (not kept: asked again, it raises again).
    """
    return loads(text)


WRITTEN = ByObject(32)
"""Scenarios written as their YAML key: every rerun keys its run by the scenario's text."""
READ = ByteLRU(64, sizer=lambda _: 1, values_grow=False)
"""The scenario each of the 64 latest keys was written from (counted, not measured: each is held
by its runs and charts anyway), so ``compute`` runs it as it is rather than
reading its text back (parsing, validating and resolving it again was a tenth of the page's own
work in a slider step). ``dumps`` writes text that loads to an equal scenario (tested), so the
run is the same either way."""


def inputs_key(sc: Scenario, paths: int, seed: int) -> Key:
    """The cache key of one set of inputs."""
    text, comments = WRITTEN.get(sc, None, lambda: (dumps(sc), json.dumps(dict(sc.comments), sort_keys=True)))
    READ.get((text, comments), lambda: sc)
    return text, paths, seed, comments


@dataclass
class View:
    """Everything the tabs show for one set of inputs.

    The simulation and summary are computed up front; the deterministic evaluation (its break-even
    search is a tenth of a slider step), sensitivity and stress tables only when a tab first needs
    them.
    """

    scenario: Scenario
    result: SimulationResult
    summary: pd.DataFrame
    verdict: str

    @cached_property
    def evaluation(self) -> Evaluation:
        """Nominal inputs, no events: the Costs tab's lines, fleet and break-even volumes."""
        return evaluate(self.scenario)

    @cached_property
    def tornado(self) -> pd.DataFrame:
        return tornado(self.scenario)

    @cached_property
    def after_tax(self) -> tax.AfterTax | None:
        """NPV before and after tax where the scenario has a ``tax:`` section."""
        return tax.of_scenario(self.result)

    @cached_property
    def ranking(self) -> pd.DataFrame:
        return global_ranking(self.result)

    @cached_property
    def portability(self) -> pd.DataFrame:
        return self.result.portability_value()

    @cached_property
    def stresses(self) -> pd.DataFrame:
        return named_stresses(self.scenario)

    @property
    def has_fleet(self) -> bool:
        return not self.evaluation.fleet.empty

    @property
    def has_releases(self) -> bool:
        """Some option follows a release track with a release planned within the horizon."""
        return bool(self.result.weights_age)

    @property
    def has_tuning(self) -> bool:
        """Some strategy pays for fine-tuning or release upgrades."""
        return bool(self.result.fine_tune_runs.any() or self.result.upgrades.any())

    @property
    def has_break_even(self) -> bool:
        """An API and a self-hosted option to compare (a crossing or not)."""
        return not self.evaluation.break_even.empty


@st.cache_resource(show_spinner="Preparing the cost kernel: it loads from disk in a fraction of a "
                   "second once compiled; compiling it, once per install (the README's setup command "
                   "does it), takes about a minute on 2 cores...")
def kernel_ready() -> float:
    """Configure the process for the engine, then compile or load the compiled kernel, once per
    server process; seconds it took.

    Then the objects alive at that point (the imported libraries, the loaded kernel: a quarter of a
    million, kept as long as the process) leave the garbage collector's view (``gc.freeze``).
    Python's collector walked them on every full collection (Streamlit's collection after every
    script run, ``runner.postScriptGC``, took 130 ms of CPU per run that way, a fifth of a slider
    step; the page now turns that one off, in ``.streamlit/config.toml``).
    """
    runtime.configure()
    seconds = warm_up()
    gc.collect()  # garbage so far is freed, not frozen
    gc.freeze()
    return seconds


@memoize(RESULT_CACHE)
def compute(scenario_yaml: str, paths: int, seed: int, comments: str = "{}") -> View:
    """Simulate one set of inputs; ``comments`` (JSON) carries the file's source notes.

    Raises
    ------
    ScenarioError
        If the run is larger than the page allows or the seed is negative.
    """
    sc = READ.get((scenario_yaml, comments), lambda: loads(scenario_yaml, json.loads(comments)))
    result = simulate(sc, paths=paths, seed=seed, max_cells=PAGE_MAX_CELLS)
    return View(sc, result, result.summary(), verdict(result))


FIGURES = {
    "NPV per strategy": lambda v: specs.npv_summary(v.result),
    "From nominal to expected NPV": lambda v: specs.bridge(v.result),
    "Cumulative cost fan chart": lambda v: specs.fan_chart(v.result),
    "NPV distribution": lambda v: specs.npv_distribution(v.result),
    "Events fired": lambda v: specs.events(v.result),
    "Expected regret": lambda v: specs.regret(v.result),
    "Cumulative cost (deterministic)": lambda v: specs.cumulative_cost(v.evaluation),
    "Cost per million tokens": lambda v: specs.cost_per_mtok(v.evaluation),
    "Break-even volume": lambda v: specs.break_even(v.scenario, v.evaluation),
    "Value of portability": lambda v: specs.portability(v.portability, v.result.strategies),
    "GPU fleet": lambda v: specs.fleet(v.evaluation),
    "Age of the deployed weights": lambda v: stories.weights_age(v.result),
    "Still on today's weights": lambda v: stories.still_on_weights(v.result),
    "Fine-tuning and upgrades": lambda v: stories.fine_tuning(v.result),
}
DETERMINISTIC_TITLE = " (deterministic: nominal inputs, no vendor events)"
STRATEGY_FIGURES = {
    # The page's bars are the deterministic run's (the deck's are means): the title says which.
    "Monthly cost lines": lambda v, s: specs.cost_lines(v.evaluation.monthly, s, DETERMINISTIC_TITLE,
                                                        sc=v.scenario),
    "Tornado": lambda v, s: specs.tornado(v.tornado, s, scenario=v.scenario),
    "Global ranking": lambda v, s: specs.ranking(v.ranking, s, scenario=v.scenario),
}


def build_figure(view: View, name: str) -> go.Figure:
    """A new chart by its name, e.g. 'NPV per strategy' or 'Tornado: hybrid' (not kept: ``figure``
    keeps the shared one; a tab that adapts a chart builds its own and keeps that)."""
    kind, _, strategy = name.partition(": ")
    if kind in STRATEGY_FIGURES and strategy:
        return to_figure(STRATEGY_FIGURES[kind](view, strategy))
    return to_figure(FIGURES[name](view))


@memoize(FIGURE_CACHE)
def figure(scenario_yaml: str, paths: int, seed: int, comments: str, name: str) -> go.Figure:
    """Any chart by its name, built when first shown and shared by every rerun and session (so
    never changed: ``FIGURE_CACHE`` measures it once)."""
    return build_figure(compute(scenario_yaml, paths, seed, comments), name)


def chart_names(view: View) -> list[str]:
    """Every chart name ``figure`` accepts for this view."""
    names = [n for n in FIGURES if (n != "GPU fleet" or view.has_fleet)
             and (n != "Break-even volume" or view.has_break_even)
             and (n not in ("Age of the deployed weights", "Still on today's weights")
                  or view.has_releases)
             and (n != "Fine-tuning and upgrades" or view.has_tuning)]
    return [*names, *(f"{kind}: {s}" for kind in STRATEGY_FIGURES for s in view.scenario.strategies)]


def stress_figure(frame: pd.DataFrame, title: str) -> go.Figure:
    """The NPV impact of one forced event (not cached: the frame changes with every choice)."""
    return to_figure(specs.stress_impact(frame, title))


@memoize(FILE_CACHE)
def export_bytes(scenario_yaml: str, paths: int, seed: int, comments: str, kind: str,
                 link: str = "") -> bytes:
    """Downloads (CSV, Excel, zip or slide deck), built once per set of inputs; ``link`` (the
    page's share link) goes into the provenance of the workbook, the zip and the deck."""
    result = compute(scenario_yaml, paths, seed, comments).result
    if kind == "deck":
        return build_deck(compute(scenario_yaml, paths, seed, comments).scenario, result, link)
    # openpyxl and the value-of-information tables (scipy.stats) load when a file is asked for,
    # not with the page's first chart.
    import tco.excel as excel  # noqa: PLC0415
    import tco.export as export  # noqa: PLC0415

    return {"summary": export.summary_csv, "monthly": export.monthly_percentiles_csv,
            "columns": export.columns_csv, "paths": export.paths_csv,
            "xlsx": lambda r: excel.workbook_bytes(r, link),
            "zip": lambda r: export.bundle_zip(r, excel.workbook_bytes(r, link), link)}[kind](result)


def build_deck(sc: Scenario, result: SimulationResult, link: str = "") -> bytes:
    from tco.deck import build_deck as build  # noqa: PLC0415 - python-pptx loads only when asked for

    return build(sc, result, link=link or None)


@memoize(FILE_CACHE)
def image_bytes(scenario_yaml: str, paths: int, seed: int, comments: str, chart: str, fmt: str,
                footer: str = "") -> bytes:
    """A chart as PNG or SVG bytes with ``footer`` under it (needs Chromium on the server)."""
    return figure_bytes(figure(scenario_yaml, paths, seed, comments, chart), fmt, footer=footer or None)


def image_footer(view: View, today: str) -> str:
    """What an exported chart says about its run: scenario, date, paths, seed, price snapshot."""
    r = view.result
    return (f"{view.scenario.name} | {today} | {r.paths:,} paths, seed {r.seed}, "
            f"{SAMPLING_WORDS[r.sampling]} | "
            f"API prices: genai-prices {prices.package_version()} as of {prices.snapshot_as_of()}")
