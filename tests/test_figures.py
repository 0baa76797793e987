"""Figure specs hold the numbers the result holds, labelled from the glossary, in one set of colours."""

from __future__ import annotations

import copy
import dataclasses
import re

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest

import tco
from tco import figures, lines, risks
from tco.figures import data
from tco.figures import plotly as figure_plotly
from tco.figures.spec import STRATEGY_PALETTE, all_colours, strategy_colours
from tco.glossary import describe
from tco.sensitivity import global_ranking, tornado
from tco.stress import stress
from tests.conftest import API_ONLY, HOSTED, ROOT, build

PATHS = 2000
DOTTED = re.compile(r"[A-Za-z_-]+\.[A-Za-z_-]+")
IDENTIFIER = re.compile(r"\b[a-z0-9]+_[a-z0-9_]+\b")
API_USD_PER_REQUEST = (1000 * 3.0 + 200 * 15.0) / 1e6
"""API_ONLY's 'api' option: 1,000 input tokens at $3 and 200 output tokens at $15 per million."""


def mixed():
    """API_ONLY plus a self-hosted option with a missing component, three strategies and risks."""
    base = copy.deepcopy(API_ONLY)
    base["options"]["hosted"] = dict(HOSTED, missing_components=[
        {"name": "guard model", "setup_usd": 1000, "usd_per_month": 100}])
    base["strategies"] = {
        "api-only": {"mix": {"api": 1.0}, "fallback": "backup"},
        "self-host": {"mix": {"hosted": 1.0}, "fallback": "api"},
        "hybrid": {"mix": {"hosted": 0.5, "api": 0.5}, "fallback": "api", "portability": 0.5}}
    base["risks"] = [{"kind": "price_change", "on": ["api"], "annual_probability": 0.5,
                      "multiplier": {"triangular": [1.1, 1.3, 2.0]}},
                     {"kind": "exit", "on": ["api"], "annual_probability": 0.2}]
    base["switching"] = {"engineer_weeks": {"triangular": [2, 4, 8]}, "usd_per_engineer_week": 5000}
    return build(base)


@pytest.fixture(scope="module")
def sc():
    return mixed()


@pytest.fixture(scope="module")
def ev(sc):
    return tco.evaluate(sc)


@pytest.fixture(scope="module")
def result(sc):
    return tco.simulate(sc, paths=PATHS, seed=5)


def test_cost_lines_sum_to_the_monthly_totals(sc, ev) -> None:
    """Dropping all-zero lines must not drop money: each month's stack equals the model's total."""
    expected = ev.monthly.groupby(["strategy", "month"])["usd"].sum()
    for strategy in sc.strategies:
        spec = data.cost_lines(ev.monthly, strategy)
        stacked = spec.frame.groupby("x")["y"].sum()
        assert stacked.to_numpy() == pytest.approx(expected[strategy].to_numpy(), rel=1e-12)
        for name, style, rows in spec.series():
            line = lines.BY_NAME[rows["line"].iloc[0]]
            assert (name, style.colour) == (line.label, line.colour)
    labels = set(data.cost_lines(ev.monthly, "hybrid").styles)
    assert {"Tokens (API or host)", "GPU rent (on demand)", "Missing components"} <= labels
    assert "Licence fees" not in labels, "a line that is zero throughout is left out"


def test_cumulative_cost_by_hand() -> None:
    """API_ONLY at 1M requests a month costs 12 x $6,000 = $72,000 over its 12 months."""
    spec = data.cumulative_cost(tco.evaluate(build()))
    assert spec.frame["y"].to_numpy() == pytest.approx(API_USD_PER_REQUEST * 1e6 * np.arange(1, 13))


def test_npv_summary_bars_are_the_simulated_npvs(result) -> None:
    frame = data.npv_summary(result).frame
    bars = frame[frame["series"].isin(result.strategies)].set_index("x")
    assert list(bars.index) == result.strategies
    assert bars["y"].to_numpy() == pytest.approx(result.npv_usd.mean(axis=0), rel=1e-12)
    assert bars["low"].to_numpy() == pytest.approx(np.percentile(result.npv_usd, 5, axis=0))
    assert bars["high"].to_numpy() == pytest.approx(np.percentile(result.npv_usd, 95, axis=0))
    marks = frame[frame["series"] == data.DETERMINISTIC]
    assert marks["y"].to_numpy() == pytest.approx(tco.evaluate(result.scenario).npv_usd.to_numpy())


def test_fan_chart_is_the_percentiles_of_cumulative_cost(result) -> None:
    frame = data.fan_chart(result).frame
    for s_i, name in enumerate(result.strategies):
        rows = frame[frame["series"] == name]
        cumulative = result.cumulative_usd[:, s_i].astype(float)
        assert rows["y"].to_numpy() == pytest.approx(np.percentile(cumulative, 50, axis=0), rel=1e-6)
        assert rows["high"].to_numpy() == pytest.approx(np.percentile(cumulative, 95, axis=0), rel=1e-6)


def test_events_are_means_per_path_labelled_by_kind(result) -> None:
    spec = data.events(result)
    table = result.summary()
    kinds = [c.removeprefix("events_") for c in table.columns if c.startswith("events_")]
    used = {risk.kind for risk in result.scenario.risks}
    assert list(spec.styles) == [risks.label(k) for k in kinds if k in used]  # no empty legend entries
    exits = spec.frame[spec.frame["series"] == risks.label("exit")]
    column = [c for c in table.columns if c.startswith("events_")].index("events_exit")
    assert exits["y"].to_numpy() == pytest.approx(result.events[:, :, column].mean(axis=0))
    assert exits["y"].iloc[0] > 0, "api-only relies on the API, which can exit"


def test_break_even_curves_and_crossing_by_hand(sc, ev) -> None:
    """The API's run rate is volume x $0.006; the crossing lies on that line."""
    frame = data.break_even(sc, ev).frame
    api = frame[frame["series"] == "api"]
    assert api["y"].to_numpy() == pytest.approx(api["x"].to_numpy() * API_USD_PER_REQUEST, rel=1e-9)
    crossing = frame[frame["series"] == data.BREAK_EVEN].iloc[0]
    assert crossing["y"] == pytest.approx(crossing["x"] * API_USD_PER_REQUEST, rel=1e-6)
    assert crossing["text"].endswith("/month") and "e+" not in crossing["text"]


def test_tornado_and_ranking_show_glossary_labels(sc, result) -> None:
    frame = tornado(sc)
    spec = data.tornado(frame, "hybrid", top=40, scenario=sc)
    rows = frame[frame["strategy"] == "hybrid"]
    low = spec.frame[spec.frame["series"] == data.TORNADO_LOW]
    assert list(low["x"]) == [describe(p, sc).label for p in rows["input"]]
    base = rows["base_npv_usd"].iloc[0]
    assert low["y"].to_numpy() == pytest.approx(rows["npv_low_usd"].to_numpy() - base)
    assert spec.title.startswith("Tornado: hybrid deterministic NPV change from $")  # not the mean
    assert "hosted: guard model (missing component) setup" in set(low["x"])
    ranked = data.ranking(global_ranking(result), "api-only", top=40, scenario=sc).frame["x"]
    assert "Vendor exit on api: events drawn" in set(ranked)
    for label in [*low["x"], *ranked]:
        assert not DOTTED.search(label) and not IDENTIFIER.search(label), label


def test_a_strategy_keeps_its_colour_across_figures(sc, ev, result) -> None:
    expected = strategy_colours(result.strategies)
    specs = [data.npv_summary(result), data.cumulative_cost(ev), data.regret(result),
             data.fan_chart(result), data.portability(result.portability_value(), result.strategies),
             data.stress_impact(stress(sc, "exit", "api", 2), "exit")]
    for spec in specs:
        assert {s: spec.styles[s].colour for s in result.strategies} == expected, spec.name
    fleet = data.fleet(ev)
    # Both fleets are one GPU throughout: one line named for both, in the first one's colour, so
    # neither hides under the other.
    assert {n: s.colour for n, s in fleet.styles.items()} == {
        "self-host: hosted = hybrid: hosted": expected["self-host"]}
    summary = figures.to_figure(data.npv_summary(result))
    drawn = {t.name: t.marker.color for t in summary.data if t.type == "bar"}
    lined = {t.name: t.line.color for t in figures.to_figure(data.cumulative_cost(ev)).data}
    assert drawn == lined == expected


def test_no_colour_means_two_things() -> None:
    colours = all_colours()
    assert len(colours) == len(set(colours))


def test_every_figure_has_a_legend_and_readable_axes(sc, ev, result) -> None:
    specs = [data.cost_lines(ev.monthly, "hybrid"), data.cumulative_cost(ev), data.cost_per_mtok(ev),
             data.break_even(sc, ev), data.fleet(ev), data.npv_distribution(result),
             data.npv_summary(result), data.fan_chart(result), data.events(result), data.regret(result),
             data.tornado(tornado(sc), "hybrid"), data.ranking(global_ranking(result), "hybrid"),
             data.portability(result.portability_value(), result.strategies),
             data.stress_impact(stress(sc, "exit", "api", 2), "exit")]
    built = [figures.to_figure(spec) for spec in specs]
    for fig in built:
        assert fig.layout.showlegend is True and any(t.showlegend is not False and t.name
                                                     for t in fig.data), fig.layout.title.text
    summary = figures.to_figure(data.npv_summary(result)).layout.yaxis
    assert summary.tickformat.startswith("$") and "($)" in summary.title.text
    volume = figures.to_figure(data.break_even(sc, ev)).layout.xaxis
    assert "1M" in volume.ticktext and not any("e+" in t for t in volume.ticktext)
    gpus = figures.to_figure(data.fleet(ev)).layout.yaxis
    assert gpus.tickformat == "d" and float(gpus.dtick).is_integer()
    # The page's template is plotly_white for every trace type drawn: its layout whole, and
    # plotly_white's defaults for each type a chart uses (a type it leaves out would look different).
    white = pio.templates["plotly_white"].to_plotly_json()
    ours = pio.templates[figure_plotly.TEMPLATE].to_plotly_json()
    assert ours["layout"] == white["layout"]
    drawn = {trace.type for fig in built for trace in fig.data}
    assert drawn <= set(figure_plotly.TRACE_TYPES) and {"bar", "scatter", "violin"} <= drawn
    for kind in drawn:
        assert ours["data"].get(kind) == white["data"].get(kind), kind


def test_plotly_bars_carry_the_spec_numbers(result) -> None:
    fig = figures.to_figure(data.regret(result))
    heights = {t.name: t.y[0] for t in fig.data}
    regret = result.summary()["expected_regret"]
    assert heights == pytest.approx(dict(regret))


@pytest.mark.parametrize("name", ["api-price-shock", "regulated-in-house"])
def test_shipped_scenarios_build_every_figure(name) -> None:
    sc = tco.load_scenario(ROOT / "scenarios" / f"{name}.yaml")
    ev, result = tco.evaluate(sc), tco.simulate(sc, paths=300, seed=2)
    for strategy in sc.strategies:
        labels = data.tornado(tornado(sc), strategy, scenario=sc).frame["x"]
        assert len(labels) and not any(DOTTED.search(x) for x in labels)
    crossings = data.break_even(sc, ev).frame.query("series == @data.BREAK_EVEN")
    assert len(crossings) == ev.break_even["break_even_requests_per_month"].notna().sum()
    spec = data.npv_distribution(result)
    outside = 300 * len(sc.strategies) - len(spec.frame)
    assert 0 < outside < 0.02 * 300 * len(sc.strategies)
    assert f"{outside:,} of {300 * len(sc.strategies):,} path results lie outside" in spec.notes[0]


def test_every_spec_draws_as_a_plotly_figure() -> None:
    result = tco.simulate(build(), paths=50, seed=1)
    figure = figures.to_figure(data.regret(result))
    assert isinstance(figure, go.Figure) and len(figure.data) == 1


def test_a_strategy_name_has_one_colour_in_every_shipped_scenario() -> None:
    """One meaning per colour: 'self-host' (and every name shipped in several stories) is the same
    colour wherever it appears, and the strategies of one scenario never share a colour."""
    import yaml

    seen: dict[str, set[str]] = {}
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        names = list(yaml.safe_load(path.read_text(encoding="utf-8")).get("strategies") or {})
        colours = strategy_colours(names)
        assert len(set(colours.values())) == len(names), path.stem
        for name, colour in colours.items():
            seen.setdefault(name, set()).add(colour)
    shared = {name for name, colours in seen.items() if len(colours) > 1}
    assert not shared, shared
    assert {"self-host", "hybrid", "api-only", "hosted-then-own", "api"} <= set(seen)


def test_strategy_colours_depend_on_names_not_order() -> None:
    """Two names that want one slot: the first by name keeps it, the other takes the next free
    slot, in whatever order the file lists them; a name alone always gets its own slot."""
    from tco.figures.spec import _palette_slot

    names = ["self-host", "api-only", "hybrid", "hosted-then-own"]
    assert strategy_colours(names) == strategy_colours(names[::-1])
    assert list(strategy_colours(names)) == names  # keyed in the scenario's order
    alone = {name: strategy_colours([name])[name] for name in names}
    assert alone == {name: STRATEGY_PALETTE[_palette_slot(name)] for name in names}
    clash = next(f"s{i}" for i in range(100) if _palette_slot(f"s{i}") == _palette_slot("a"))
    size = len(STRATEGY_PALETTE)
    assert strategy_colours([clash, "a"]) == {
        "a": STRATEGY_PALETTE[_palette_slot("a")], clash: STRATEGY_PALETTE[(_palette_slot("a") + 1) % size]}
    many = strategy_colours([f"s{i}" for i in range(size)])
    assert len(set(many.values())) == size  # eight strategies: eight colours
    empty = data.cost_lines(pd.DataFrame(columns=["strategy", "month", "line", "usd"]), "x")
    assert empty.frame.empty and figures.to_figure(empty).data == ()


def test_the_npv_distribution_is_clipped_to_p0_5_p99_5_with_a_note(result) -> None:
    """One extreme path must not flatten every violin: each strategy shows its central 99%."""
    spec = data.npv_distribution(result)
    for s_i, name in enumerate(result.strategies):
        values = result.npv_usd[:, s_i]
        low, high = np.percentile(values, [0.5, 99.5])
        shown = spec.frame[spec.frame["series"] == name]["y"].to_numpy()
        assert np.array_equal(np.sort(shown), np.sort(values[(values >= low) & (values <= high)]))
    assert "P0.5 to P99.5" in spec.notes[0] and tco.format.usd(result.npv_usd.max()) in spec.notes[0]


def test_break_even_only_where_it_exists() -> None:
    sc = tco.load_scenario(ROOT / "scenarios" / "regulated-in-house.yaml")  # no API option
    spec = data.break_even(sc, tco.evaluate(sc))
    assert spec.frame.empty and "No per-token (API or hosted) option" in spec.notes[0]


def test_break_even_labels_today_and_the_crossing_with_readable_ticks(sc, ev) -> None:
    spec = data.break_even(sc, ev)
    fig = figures.to_figure(spec)
    texts = [a.text for a in fig.layout.annotations]
    assert "today: 1M/month" in texts  # API_ONLY's 1,000,000 requests a month
    assert any(t.startswith("break-even ") and t.endswith("/month") for t in texts)
    today = next(a for a in fig.layout.annotations if a.text.startswith("today"))
    assert today.yref == "paper" and today.y == 1  # above the plot, where no curve or label runs
    assert all(t.startswith("$") for t in fig.layout.yaxis.ticktext)
    assert not any(re.search(r"e\+|G$|\.0[A-Za-z]", t) for t in fig.layout.xaxis.ticktext)
    assert len(fig.layout.yaxis.ticktext) >= 3


def test_one_line_never_hides_another_and_gpus_are_whole(ev) -> None:
    fig = figures.to_figure(data.fleet(ev))
    names = [t.name for t in fig.data]
    assert len(names) == len(set(names))
    top = max(max(t.y) for t in fig.data)
    axis = fig.layout.yaxis
    assert float(axis.dtick).is_integer() and axis.tick0 == 0 and axis.range[1] > top


def test_bar_labels_sit_above_whiskers_and_markers(result) -> None:
    spec = data.npv_summary(result)
    fig = figures.to_figure(spec)
    bars = spec.frame[spec.frame["series"].isin(result.strategies)].set_index("x")
    labels = {a.x: a for a in fig.layout.annotations}
    for name, row in bars.iterrows():
        marks = spec.frame[(spec.frame["x"] == name) & (spec.frame["series"] == data.DETERMINISTIC)]
        assert labels[name].text == row["text"]
        assert labels[name].y >= max(row["high"], row["y"], marks["y"].max())
        # The diamond is centred on its value: the label's bottom clears its upper half.
        assert labels[name].yshift >= figures.plotly.MARKER_SIZE_PX / 2
    assert all(t.text is None for t in fig.data if t.type == "bar")


def test_single_series_charts_keep_their_legend(result) -> None:
    fig = figures.to_figure(data.ranking(global_ranking(result), "hybrid"))
    assert len(fig.data) == 1 and fig.data[0].showlegend is True


def test_fan_chart_draws_one_panel_per_strategy(result) -> None:
    fig = figures.to_figure(data.fan_chart(result))
    panels = {t.xaxis for t in fig.data}
    assert len(panels) == len(result.strategies)
    assert [a.text for a in fig.layout.annotations][:len(result.strategies)] == result.strategies


def test_a_fan_panel_keeps_its_month_labels_level() -> None:
    """Three panels to a row leave each about a third of the page: at most three calendar labels,
    whole years apart. regulated-in-house (60 months, months 0-59) had five, a year apart, which
    tilted them and pushed 'Month' into the legend; now 24 months apart: 0, 24, 48. A 36-month
    story keeps a year apart: 0, 12, 24."""
    for stem, ticks in (("regulated-in-house", [0, 24, 48]), ("open-model-goes-closed", [0, 12, 24])):
        result = tco.simulate(tco.load_scenario(ROOT / "scenarios" / f"{stem}.yaml"), paths=50, seed=1)
        fig = figures.to_figure(data.fan_chart(result))
        axes = [getattr(fig.layout, name) for name in fig.layout if name.startswith("xaxis")]
        assert axes and all(list(axis.tickvals) == ticks for axis in axes), stem


def test_the_portfolio_frontier_draws_four_things_in_four_colours() -> None:
    """The 'Portfolio as filed' marker took its colour from its name, a purple (#6A3D9A) 22 Delta E
    from the frontier's indigo (#4B0082): nearly one colour for two meanings. Each of the chart's
    four series (with the whole decision) now differs from the others by at least five times the
    palettes' floor; the CIE76 distance is recomputed here from the Lab values of the two old
    colours as a check of the
    function (L*a*b* under D65 from the sRGB matrix: #6A3D9A 35.5, 38.7, -43.6; #4B0082 20.5, 51.7,
    -53.3)."""
    from types import SimpleNamespace

    from tco.figures.decide import AS_FILED, CHOSEN_MIXES, DECISION, FRONTIER, portfolio_frontier
    from tco.figures.spec import MIN_DELTA_E, ROLES, delta_e

    old = ((35.5 - 20.5) ** 2 + (38.7 - 51.7) ** 2 + (-43.6 + 53.3) ** 2) ** 0.5
    assert delta_e("#6A3D9A", "#4B0082") == pytest.approx(old, abs=0.2)
    costing = SimpleNamespace(mean_usd=5.2e6, cvar95_usd=9.5e6)
    point = SimpleNamespace(exact=costing)
    safer = SimpleNamespace(exact=SimpleNamespace(mean_usd=5.4e6, cvar95_usd=9.1e6))
    decision = SimpleNamespace(efficient=[point, safer], chosen=point, paths=100, seed=1,
                               in_force=SimpleNamespace(mean_usd=6.0e6, cvar95_usd=1.05e7),
                               decided=SimpleNamespace(mean_usd=5.0e6, cvar95_usd=9.3e6))
    styles = portfolio_frontier(decision).styles
    colours = [styles[name].colour for name in (FRONTIER, CHOSEN_MIXES, DECISION, AS_FILED)]
    assert min(delta_e(a, b) for i, a in enumerate(colours) for b in colours[i + 1:]) >= 5 * MIN_DELTA_E
    assert styles[AS_FILED].colour not in ROLES.values()  # a role colour means its role everywhere
    assert styles[AS_FILED].colour in STRATEGY_PALETTE  # the strategies in force, marked as strategies


def test_colours_of_different_meanings_are_far_apart() -> None:
    from tco.figures.spec import MIN_DELTA_E, delta_e, palettes

    sets = palettes()
    close = [(a, x, b, y, round(delta_e(x, y), 1)) for a in sets for b in sets if a < b
             for x in sets[a] for y in sets[b] if delta_e(x, y) < MIN_DELTA_E]
    assert not close


C_NS = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
"""The chart XML namespace (axis scaling read back from a drawn deck chart)."""

SHARMA_PAIRS = (
    ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
    ((50.0, 3.1571, -77.2803), (50.0, 0.0, -82.7485), 2.8615),
    ((50.0, 2.8361, -74.0200), (50.0, 0.0, -82.7485), 3.4412),
    ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
    ((50.0, 2.4900, -0.0010), (50.0, -2.4900, 0.0009), 7.1792),
    ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
    ((50.0, 2.5, 0.0), (61.0, -5.0, 29.0), 22.8977),
    ((50.0, 2.5, 0.0), (56.0, -27.0, -3.0), 31.9030),
    ((50.0, 2.5, 0.0), (58.0, 24.0, 15.0), 19.4535),
    ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
    ((2.0776, 0.0795, -1.1350), (0.9033, -0.0636, -0.5514), 0.9082),
)
"""Test pairs with their published CIEDE2000 differences: Sharma, Wu and Dalal (2005), table 1
(pairs 1-3, 7, 13, 17-20, 25 and 34: blue hues, grey near zero chroma, the hue-angle wrap at
+-180 degrees, large differences and near-black)."""


@pytest.mark.parametrize(("first", "second", "published"), SHARMA_PAIRS)
def test_ciede2000_matches_the_published_test_pairs(first, second, published) -> None:
    from tco.figures.spec import ciede2000_lab

    assert ciede2000_lab(first, second) == pytest.approx(published, abs=5e-5)
    assert ciede2000_lab(second, first) == pytest.approx(published, abs=5e-5)  # symmetric


def test_no_two_meanings_read_as_one_colour() -> None:
    """Every colour with a meaning (strategies, break-even options, risk kinds, single-purpose
    roles, declared cost lines) is at least ``MIN_CIEDE2000`` from every other. The old palettes
    had 24 such pairs, among them the frontier's indigo '#4B0082' beside the first risk kind's
    '#332288' (6.7), sky-blue strategy '#56B4E9' beside option '#88CCEE' (8.0), the orange
    strategy '#E69F00' beside 'Reserved GPUs' '#E69138' (9.2), and the portfolio decision's
    '#B8860B' beside 'Power' '#BF9000' (3.6)."""
    from tco.figures.spec import MIN_CIEDE2000, ciede2000, palettes

    named = [(f"{kind} {i}", c) for kind, colours in palettes().items() for i, c in enumerate(colours)]
    named += [(f"line {line.name}", line.colour) for line in lines.LINES]
    close = [(a, x, b, y, round(ciede2000(x, y), 1)) for i, (a, x) in enumerate(named)
             for b, y in named[i + 1:] if ciede2000(x, y) < MIN_CIEDE2000]
    assert not close


@pytest.mark.parametrize("stem", ["open-model-goes-closed", "partial-open-release", "api-price-shock",
                                  "licence-threshold"])
def test_every_shipped_cost_chart_tells_its_lines_apart(stem) -> None:
    """The stacked monthly cost chart of every strategy of the stories with their own cost lines:
    each own line at least ``OTHER_LINE_CIEDE2000`` from every other line on the chart, and every
    two declared lines at least ``MIN_CIEDE2000`` apart."""
    from tco.figures.spec import MIN_CIEDE2000, OTHER_LINE_CIEDE2000, ciede2000

    sc = tco.load_scenario(ROOT / "scenarios" / f"{stem}.yaml")
    monthly = tco.evaluate(sc).monthly
    own = set(lines.other_names(sc))
    assert own
    for strategy in sc.strategies:
        spec = data.cost_lines(monthly, strategy)
        colours = {label: style.colour for label, style in spec.styles.items()}
        for i, (x, one) in enumerate(colours.items()):
            for y, other in list(colours.items())[i + 1:]:
                floor = OTHER_LINE_CIEDE2000 if own & {x, y} else MIN_CIEDE2000
                assert ciede2000(one, other) >= floor, (strategy, x, y, round(ciede2000(one, other), 1))


def test_no_cost_line_reads_as_a_strategy() -> None:
    """Stacked cost lines and strategy-coloured charts sit side by side on one page: every line's
    colour (declared, and the palette of named other costs) is at least MIN_DELTA_E from every
    strategy colour."""
    import tco.lines as cost_lines
    from tco.figures.spec import MIN_DELTA_E, STRATEGY_PALETTE, delta_e

    colours = [(line.name, line.colour) for line in cost_lines.LINES]
    colours += [("other_costs", c) for c in cost_lines.OTHER_PALETTE]
    close = [(name, c, s, round(delta_e(c, s), 1)) for name, c in colours for s in STRATEGY_PALETTE
             if delta_e(c, s) < MIN_DELTA_E]
    assert not close


def test_bridge_steps_never_take_a_strategy_colour() -> None:
    """The bridge's ends are the strategy's colour and its steps the bridge's own, drawn side by
    side: every step colour is at least 16 (Delta E) from every strategy colour, more than the
    palettes' usual 12, which let an orange step (14.6 from vermillion) pass for an end."""
    from tco.figures.spec import ROLES, delta_e

    close = [(role, s) for role in ("bridge_up", "bridge_down") for s in STRATEGY_PALETTE
             if delta_e(ROLES[role], s) < 16]
    assert not close



def test_every_fan_panel_keeps_its_month_labels(result) -> None:
    """Shared x axes hide tick labels on all but the bottom row of panels; four strategies make two
    rows, and the upper panels must still show their months."""
    spec = data.fan_chart(result)
    # A fourth panel: the first strategy's band again under another name.
    first = next(iter(spec.styles))
    extra = spec.frame[spec.frame["series"] == first].assign(series="copy")
    spec = dataclasses.replace(spec, frame=pd.concat([spec.frame, extra], ignore_index=True),
                               styles={**spec.styles, "copy": spec.styles[first]})
    fig = figures.to_figure(spec)
    axes = [fig.layout[name] for name in fig.layout if name.startswith("xaxis")]
    assert len(axes) >= len(result.strategies) + 1 == 4  # two rows of panels
    assert all(axis.showticklabels for axis in axes)


CLOSE_DECIDE_POINTS = {"Chosen mix": (4.15e6, 2.13e6), "hosted-then-own": (10.1e6, 3.26e6),
                       "self-host": (11.1e6, 3.68e6), "hybrid": (16.9e6, 5.94e6),
                       "api-only": (31.4e6, 9.45e6)}
"""The flagship's Decide points (CVaR95, expected NPV) whose labels once overprinted."""


def close_decide_spec():
    """``CLOSE_DECIDE_POINTS`` as the Decide chart's labelled diamonds."""
    from tco.figures.spec import Axis, FigureSpec, Style

    points = CLOSE_DECIDE_POINTS
    frame = pd.DataFrame([{"series": k, "x": x, "y": y, "text": k} for k, (x, y) in points.items()])
    styles = {k: Style(STRATEGY_PALETTE[i], marker="diamond") for i, k in enumerate(points)}
    return FigureSpec("decide", "line", "t", Axis("CVaR95 ($)", "usd"), Axis("Expected NPV ($)", "usd"),
                      frame, styles)


def test_close_markers_put_their_labels_on_opposite_sides() -> None:
    """The flagship's Decide chart (CVaR95, expected NPV in $M): self-host (11.1, 3.68) and
    hosted-then-own (10.1, 3.26) sat 1M apart and both labels went up-left, one over the other.
    Placed left to right, hosted-then-own takes up-left; self-host's up-left box (9 chars wide,
    0.1 of the plot away) meets it, so it goes down-right. The far points keep up-left. The page's
    annotations follow that choice; the deck places its own centred labels (``deck_sides``)."""
    from pptx import Presentation
    from pptx.enum.chart import XL_LABEL_POSITION

    from tco.figures.labels import (
        MARKER_HALF,
        DeckScale,
        _box,
        _deck_box,
        _overlap,
        deck_sides,
        deck_units,
        labels_below,
    )
    from tco.figures.pptx import SIDE_POSITIONS, add_chart, label_scale
    from tco.optimise.slide import CHART_W_IN

    points = CLOSE_DECIDE_POINTS
    spec = close_decide_spec()
    frame = spec.frame
    below = labels_below(spec)
    assert below.tolist() == [False, False, True, False, False]
    # No two placed boxes meet (the rule's own geometry, recomputed).
    xs = (frame["x"] - frame["x"].min()) / (frame["x"].max() - frame["x"].min())
    ys = (frame["y"] - frame["y"].min()) / (frame["y"].max() - frame["y"].min())
    boxes = [_box(x, y, len(t), b) for x, y, t, b in zip(xs, ys, frame["text"], below, strict=True)]
    assert not any(_overlap(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    fig = figures.to_figure(spec)
    sides = {a.text: a.ay > 0 for a in fig.layout.annotations if a.text in points}
    assert sides == dict(zip(points, below, strict=True))
    deck_file = Presentation()
    slide = deck_file.slides.add_slide(deck_file.slide_layouts[6])
    # The Decide slide's own chart frame and type size (``tco.optimise.slide``).
    width, height = int(CHART_W_IN * 914_400), int(5.6 * 914_400)
    chart = add_chart(slide, spec, 0, 0, width, height, 11)
    deck = {s.name: s.points[0].data_label.position for s in chart.plots[0].series if s.name in points}
    # The deck centres a label on one side of its point (PowerPoint has no corners), so it places
    # its own: every box inside the plot's width, clear of the other labels and of every marker,
    # at the labels' real size on that frame.
    scale = label_scale(spec, width, height, 11)
    sides = deck_sides(spec, scale)
    assert deck == {k: SIDE_POSITIONS[sides[i]] for i, k in enumerate(points)}
    # Centred above a point at the axis's left end, the label ran over the '$4M' tick: every box
    # now stays inside the plot the deck draws (its axis from $0, where 'above' is clear).
    assert deck["Chosen mix"] in (XL_LABEL_POSITION.ABOVE, XL_LABEL_POSITION.RIGHT)
    dx, dy = deck_units(spec)
    deck_boxes = [_deck_box(x, y, len(t), side, scale)
                  for x, y, t, side in zip(dx, dy, frame["text"], sides, strict=True)]
    marks = [(x - MARKER_HALF[0], y - MARKER_HALF[1], x + MARKER_HALF[0], y + MARKER_HALF[1])
             for x, y in zip(dx, dy, strict=True)]
    assert all(box[0] >= 0 and box[2] <= 1 for box in deck_boxes)
    assert not any(_overlap(a, b) for i, a in enumerate(deck_boxes) for b in deck_boxes[i + 1:])
    assert not any(_overlap(box, mark) for box in deck_boxes for mark in marks)
    # Sides chosen for labels of a fixed 0.011 a character (the old rule) put 'Chosen mix' above
    # and 'hosted-then-own' below, one over the other at the labels' real size (flagship deck).
    old = deck_sides(spec, DeckScale())
    old_boxes = [_deck_box(x, y, len(t), side, scale)
                 for x, y, t, side in zip(dx, dy, frame["text"], old, strict=True)]
    assert _overlap(old_boxes[0], old_boxes[1])


def test_every_break_even_crossing_is_labelled_and_close_labels_take_opposite_sides() -> None:
    """api-price-shock: qwen crosses gemini near 23.5M and gpt near 28.3M requests a month. One
    label for both read as a single break-even; each now has its own, the second below-right
    because up-left it would cover the first."""
    from tco.figures.labels import labels_below

    sc = tco.load_scenario(str(ROOT / "scenarios" / "api-price-shock.yaml"))
    ev = tco.evaluate(sc)
    spec = data.break_even(sc, ev)
    marks = spec.frame[spec.frame["series"] == data.BREAK_EVEN]
    volumes = ev.break_even["break_even_requests_per_month"].dropna()
    assert len(marks) == len(volumes) == 2
    assert all(t.startswith("break-even ") for t in marks["text"])
    assert marks["text"].nunique() == 2
    assert labels_below(spec)[marks.index].tolist() == [False, True]


def test_a_scenarios_own_cost_lines_never_share_a_colour() -> None:
    """The stacked cost chart of open-model-goes-closed's hybrid (Tokens, LLM observability, log
    storage, egress, ...): each line its own colour, every pair at least
    ``OTHER_LINE_CIEDE2000`` apart where one is the scenario's own line. Before, a hash of the name
    gave 'LLM observability' and 'log storage' the same green and 'egress' a navy beside the
    Tokens navy; and a line keeps its colour from one strategy's chart to another's."""
    from tco.figures.spec import OTHER_LINE_CIEDE2000, ciede2000
    frame = pd.DataFrame({"strategy": ["a"] * 5 + ["b"] * 2, "month": 0, "usd": 1.0,
                          "line": ["api_tokens", "platform staff", "LLM observability", "log storage",
                                   "egress", "egress", "api_tokens"]})
    styles = data.cost_lines(frame, "a").styles
    colours = {label: style.colour for label, style in styles.items()}
    assert len(set(colours.values())) == 5
    own = {lines.BY_NAME[name].label for name in
           ("platform staff", "LLM observability", "log storage", "egress")}
    assert own <= set(colours)
    for x, one in colours.items():
        for y, other in colours.items():
            if x < y and (x in own or y in own):
                assert ciede2000(one, other) >= OTHER_LINE_CIEDE2000, (x, y)
    assert data.cost_lines(frame, "b").styles["Egress"].colour == colours["Egress"]


@pytest.mark.parametrize("stem", ["api-price-shock", "own-fine-tuning", "open-model-goes-closed",
                                  "partial-open-release"])
def test_deck_break_even_labels_stay_apart(stem) -> None:
    """Two break-even volumes a fifth apart on a log axis (api-price-shock: 23.5M and 28.3M a
    month): the deck's labels take sides whose boxes meet neither each other nor a break-even
    marker. The curves are lines, not markers: counting their every point as one blocked every
    side, and both labels went right, one over the other."""
    from tco.figures.labels import MARKER_HALF, _deck_box, _overlap, deck_sides, deck_units

    sc = tco.load_scenario(ROOT / "scenarios" / f"{stem}.yaml")
    spec = data.break_even(sc, tco.evaluate(sc))
    sides = deck_sides(spec)
    xs, ys = deck_units(spec)
    labelled = [i for i, t in enumerate(spec.frame["text"].fillna("")) if t]
    assert len(labelled) >= 1
    boxes = [_deck_box(xs[i], ys[i], len(spec.frame["text"].iloc[i]), sides.iloc[i]) for i in labelled]
    marks = [(xs[i] - MARKER_HALF[0], ys[i] - MARKER_HALF[1], xs[i] + MARKER_HALF[0],
              ys[i] + MARKER_HALF[1]) for i in labelled]
    assert not any(_overlap(a, b) for k, a in enumerate(boxes) for b in boxes[k + 1:])
    assert not any(_overlap(box, mark) for box in boxes for mark in marks)
    assert all(box[0] >= 0 and box[2] <= 1 for box in boxes)


def test_deck_labels_of_one_point_take_two_sides() -> None:
    """regulated-in-house's chosen mix costs what reserve-h200 costs (3.63M, 2.68M): two labels on
    one point. Above and below once met the point's own marker (a 0.03 gap against a marker 0.035
    tall), so both labels went right, one over the other; now they take two sides, and no box
    meets another label or a marker."""
    from tco.figures.labels import MARKER_HALF, _deck_box, _overlap, deck_sides, deck_units
    from tco.figures.spec import Axis, FigureSpec, Style

    points = {"buy-h200": (4.53e6, 3.97e6), "rent-h200": (4.23e6, 2.85e6),
              "reserve-h200": (3.63e6, 2.68e6), "Chosen mix": (3.63e6, 2.68e6)}
    frame = pd.DataFrame([{"series": k, "x": x, "y": y, "text": k} for k, (x, y) in points.items()])
    spec = FigureSpec("decide", "line", "t", Axis("CVaR95 ($)", "usd"), Axis("Expected NPV ($)", "usd"),
                      frame, {k: Style(STRATEGY_PALETTE[i], marker="diamond") for i, k in enumerate(points)})
    sides = deck_sides(spec)
    assert sides.iloc[2] != sides.iloc[3]
    xs, ys = deck_units(spec)
    boxes = [_deck_box(xs[i], ys[i], len(t), sides.iloc[i]) for i, t in enumerate(frame["text"])]
    marks = [(x - MARKER_HALF[0], y - MARKER_HALF[1], x + MARKER_HALF[0], y + MARKER_HALF[1])
             for x, y in zip(xs, ys, strict=True)]
    assert not any(_overlap(a, b) for k, a in enumerate(boxes) for b in boxes[k + 1:])
    assert not any(_overlap(box, mark) for box in boxes for mark in marks)


def test_deck_labels_are_measured_on_the_axes_the_deck_draws() -> None:
    """The portfolio deck's frontier (2,000 paths, seed 7): the chosen mixes at ($8.51M, $4.97M),
    the whole decision at ($8.36M, $4.82M), the frontier line from ($8.12M, $5.35M) to the chosen
    mixes, the portfolio as filed at ($9.63M, $5.79M). Sides were chosen on the data's range, but
    the deck draws $8.0M-$10.0M (9.63M + 5% of the 1.51M span = 9.71M, in steps of 0.5M) by
    $4.5M-$6.5M (5.79M x 1.05 = 6.08M, steps of 0.5M), where each label is larger against the
    points: 'Whole decision' ran over the chosen mixes' cross and both labels over the line. On
    the drawn axes (read back from the chart's XML) no label box meets another label or a marker,
    and none is crossed by the line."""
    from pptx import Presentation

    from tco.figures.labels import (
        MARKER_HALF,
        _crosses,
        _deck_box,
        _line_points,
        _overlap,
        deck_sides,
        deck_units,
    )
    from tco.figures.pptx import add_chart, label_scale
    from tco.figures.spec import Axis, FigureSpec, Style

    marked = {"Chosen mixes": (8.51e6, 4.97e6), "Whole decision": (8.36e6, 4.82e6),
              "Portfolio as filed": (9.63e6, 5.79e6)}
    frame = pd.DataFrame([{"series": "frontier", "x": 8.12e6, "y": 5.35e6, "text": ""},
                          {"series": "frontier", "x": 8.51e6, "y": 4.97e6, "text": ""},
                          *({"series": k, "x": x, "y": y, "text": k} for k, (x, y) in marked.items())])
    styles = {"frontier": Style("#9900EE"), **{k: Style(STRATEGY_PALETTE[i], marker="diamond")
                                               for i, k in enumerate(marked)}}
    spec = FigureSpec("frontier", "line", "t", Axis("CVaR95 of NPV ($)", "usd"),
                      Axis("Expected NPV ($)", "usd"), frame, styles)
    deck_file = Presentation()
    chart = add_chart(deck_file.slides.add_slide(deck_file.slide_layouts[6]), spec, 0, 0,
                      6_000_000, 4_000_000)
    axes = {}
    for tag in ("valAx",):
        for ax in chart._chartSpace.iter(f"{C_NS}{tag}"):
            scaling = ax.find(f"{C_NS}scaling")
            axes[ax.find(f"{C_NS}axPos").get("val")] = (float(scaling.find(f"{C_NS}min").get("val")),
                                                        float(scaling.find(f"{C_NS}max").get("val")))
    (x_low, x_high), (y_low, y_high) = axes["b"], axes["l"]
    assert (x_low, x_high, y_low, y_high) == (8.0e6, 10.0e6, 4.5e6, 6.5e6)
    xs = ((frame["x"] - x_low) / (x_high - x_low)).to_numpy()
    ys = ((frame["y"] - y_low) / (y_high - y_low)).to_numpy()
    # The label placer measures on the axes the chart is drawn with: one rule (``linear_scale``)
    # for both, the horizontal axis's room on the data's span included.
    placed_x, placed_y = deck_units(spec)
    assert np.allclose(placed_x, xs) and np.allclose(placed_y, ys)
    scale = label_scale(spec, 6_000_000, 4_000_000, 12)
    sides = deck_sides(spec, scale)
    boxes = [_deck_box(xs[i], ys[i], len(frame["text"][i]), sides[i], scale) for i in range(2, 5)]
    marks = [(xs[i] - MARKER_HALF[0], ys[i] - MARKER_HALF[1], xs[i] + MARKER_HALF[0],
              ys[i] + MARKER_HALF[1]) for i in range(2, 5)]
    assert not any(_overlap(a, b) for k, a in enumerate(boxes) for b in boxes[k + 1:])
    assert not any(_overlap(box, mark) for box in boxes for mark in marks)
    (line,) = _line_points(spec, xs, ys)
    assert not any(_crosses(box, line) for box in boxes)
    # The old placement, on the data's range, put 'Whole decision' over the chosen mixes' marker.
    old = {"Chosen mixes": "above", "Whole decision": "above"}
    old_boxes = [_deck_box(xs[i], ys[i], len(frame["text"][i]), old[frame["text"][i]]) for i in (2, 3)]
    assert _overlap(old_boxes[1], marks[0]) or _crosses(old_boxes[0], line)


def test_a_page_label_leaves_the_place_a_line_runs_through() -> None:
    """The portfolio page's frontier ends at the chosen mixes: the label's up-left place lay on
    the line ('Chosen mixes' written across the purple frontier). Where the down-right place is
    clear of labels and lines the label goes there; a point with no line near keeps up-left."""
    from tco.figures.labels import _box, _crosses, _line_points, _unit, labels_below
    from tco.figures.spec import Axis, FigureSpec, Style

    frame = pd.DataFrame([{"series": "frontier", "x": 8.12e6, "y": 5.35e6, "text": ""},
                          {"series": "frontier", "x": 8.51e6, "y": 4.97e6, "text": ""},
                          {"series": "Chosen mixes", "x": 8.51e6, "y": 4.97e6, "text": "Chosen mixes"},
                          {"series": "Portfolio as filed", "x": 9.63e6, "y": 5.79e6,
                           "text": "Portfolio as filed"}])
    styles = {"frontier": Style("#9900EE"), "Chosen mixes": Style(STRATEGY_PALETTE[0], marker="x"),
              "Portfolio as filed": Style(STRATEGY_PALETTE[1], marker="diamond")}
    spec = FigureSpec("frontier", "line", "t", Axis("CVaR95 ($)", "usd"), Axis("Expected NPV ($)", "usd"),
                      frame, styles)
    xs, ys = _unit(frame["x"], False), _unit(frame["y"], False)
    (line,) = _line_points(spec, xs, ys)
    assert _crosses(_box(xs[2], ys[2], len("Chosen mixes"), below=False), line)  # the old place
    assert labels_below(spec).tolist() == [False, False, True, False]
    assert not _crosses(_box(xs[2], ys[2], len("Chosen mixes"), below=True), line)
