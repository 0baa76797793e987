"""Display defects found by reading every tab and slide as a CFO would: each test failed before
its fix (words, units and capitals on charts, tables and slides; no number moves)."""

from __future__ import annotations

import pandas as pd

from tco import capacity, lines
from tco.figures import data
from tco.figures.capacity import throughput_latency


def test_throughput_chart_title_names_its_token_unit() -> None:
    """The deck's backup slide read 'llama-70b (2 x h100-sxm, 1,500 in / 350 out)': in and out
    of what? The title now says tokens, input and output, as the workload's inputs are called."""
    plan = capacity.plan(model="llama-3.1-70b", gpu="h100-sxm", precision="fp8", gpus=2,
                         input_tokens=1500, output_tokens=350, max_inter_token_ms=50)
    title = throughput_latency(plan, 1500, 350, name="llama-70b").title
    assert title.endswith("(2 x h100-sxm, 1,500 input / 350 output tokens)")
    assert " in / " not in title


def test_a_scenarios_own_cost_lines_start_with_a_capital_in_the_legend() -> None:
    """open-model-goes-closed's cost legend read 'Tokens (API or host), Ops staff, platform staff,
    LLM observability, log storage, egress' (page Costs tab and deck backup slide): the scenario's
    own names now start with a capital like the declared lines beside them, while a first word
    that is a name keeps its case."""
    frame = pd.DataFrame({"strategy": "a", "month": 0, "usd": 1.0,
                          "line": ["api_tokens", "ops_staff", "platform staff", "LLM observability",
                                   "log storage", "egress"]})
    legend = list(data.cost_lines(frame, "a").styles)
    assert legend == ["Tokens (API or host)", "Ops staff", "Platform staff", "LLM observability",
                      "Log storage", "Egress"]
    assert lines.BY_NAME["platform staff"].name == "platform staff"  # the data keeps the file's name


def test_cost_per_million_tokens_says_it_is_deterministic() -> None:
    """The Costs tab's 'Cost per million tokens served (all lines, undiscounted)' sat between two
    charts titled deterministic without saying which run it came from: it is the deterministic
    evaluation's (nominal inputs), and a CFO comparing it with the expected NPV must know that."""
    import tco
    from tests.conftest import ROOT

    ev = tco.evaluate(tco.load_scenario(ROOT / "scenarios" / "startup-api-cheaper.yaml"))
    assert "deterministic" in data.cost_per_mtok(ev).title
    assert "deterministic" in data.cumulative_cost(ev).title


def test_portfolio_tables_rows_of_their_own_start_with_a_capital() -> None:
    """The portfolio page and deck's vendor table read 'Anthropic', 'Llama 3.3 70B Instruct (your
    GPUs)', then 'staff, setup, switching and other costs'; the workload table ended on 'idle
    capacity and unused commitment'. Both rows now read as table rows do."""
    import yaml

    from tco.portfolio import loads_portfolio, simulate_portfolio
    from tests.test_portfolio import _api_portfolio

    result = simulate_portfolio(loads_portfolio(yaml.safe_dump(_api_portfolio(2))), paths=64, seed=7)
    assert result.workload_table()["workload"].iloc[-1] == "Idle capacity and unused commitment"
    assert result.vendor_table()["vendor"].iloc[-1] == "Staff, setup, switching and other costs"


def test_changes_carry_their_sign() -> None:
    """A stress row read 'NPV impact $1.44M' beside '-$4.45M' (page, deck and `tco stress`): a
    rise must read as a rise. Closed forms: 1,440,000 -> '+$1.44M'; -4,450,000 -> '-$4.45M'; no
    change has no sign; the share 0.665 at one digit -> '+66.5%'."""
    from tco.format import signed_pct, signed_usd

    assert signed_usd(1_440_000) == "+$1.44M"
    assert signed_usd(-4_450_000) == "-$4.45M"
    assert signed_usd(255_000) == "+$255k"
    assert signed_usd(0.85) == "+$0.85"
    assert signed_usd(0.0) == "$0"
    assert signed_usd(float("nan")) == "n/a"
    assert signed_pct(0.665, 1) == "+66.5%"
    assert signed_pct(-0.607, 1) == "-60.7%"
    assert signed_pct(0.0, 1) == "0.0%"
    assert signed_pct(float("nan"), 1) == "n/a"


def test_the_page_stress_table_signs_each_change() -> None:
    """The page's stress table (Stress tests tab): each NPV impact and its share carry their sign,
    positive ones a '+', and agree in sign with the numbers they format."""
    import tco
    from tco.stress import stress
    from tco.ui.tabs import stress_table
    from tests.conftest import ROOT

    sc = tco.load_scenario(ROOT / "scenarios" / "open-model-goes-closed.yaml")
    frame = stress(sc, "exit", "frontier-api", 6)
    shown = stress_table(frame)
    for value, text, share in zip(frame["impact_usd"], shown["NPV impact ($)"],
                                  shown["Impact (% of base)"], strict=True):
        assert text[0] == ("+" if value > 0 else "-" if value < 0 else "$"), text
        assert share[0] == ("+" if value > 0 else "-" if value < 0 else "0"), share
    assert (frame["impact_usd"] > 0).any() and (frame["impact_usd"] < 0).any()


def test_a_one_point_frontier_has_no_line_in_the_legend() -> None:
    """The flagship's Decide chart (page and deck slide 9) listed 'Cheapest mix at each risk
    budget' in its legend with no line drawn: one mix is cheapest at every budget, so the frontier
    is one point, the chosen mix. The legend now names only what is drawn; two or more points keep
    their line."""
    from types import SimpleNamespace

    from tco import figures
    from tco.figures.decide import CHOSEN, FRONTIER, frontier

    def costing(mean_usd: float, cvar95_usd: float) -> SimpleNamespace:
        return SimpleNamespace(mean_usd=mean_usd, cvar95_usd=cvar95_usd)

    cheapest = SimpleNamespace(exact=costing(2.1e6, 4.1e6))
    own = {"api-only": costing(8.7e6, 3.0e7), "self-host": costing(3.5e6, 1.1e7)}
    one = SimpleNamespace(efficient=[cheapest], chosen=cheapest, strategies=own, paths=100, seed=7)
    spec = frontier(one)
    assert FRONTIER not in spec.styles and FRONTIER not in set(spec.frame["series"])
    names = {t.name for t in figures.to_figure(spec).data if t.showlegend is not False}
    assert names == {CHOSEN, "api-only", "self-host"}
    safer = SimpleNamespace(exact=costing(2.3e6, 3.9e6))
    two = SimpleNamespace(efficient=[cheapest, safer], chosen=cheapest, strategies=own, paths=100, seed=7)
    line = frontier(two).frame.query("series == @FRONTIER")
    assert list(line["x"]) == [3.9e6, 4.1e6]


def test_a_bar_label_stays_on_its_bar_unless_a_marker_would_cover_it() -> None:
    """partial-open-release's portability chart put self-host's '$111k' over its P95 diamond at
    $156k, $45k above the bar: the label read as the diamond's value. Closed form of the rule:
    the highest mark is $156k, so the label band is 0.14 x 156k = $21.9k above a bar; self-host's
    diamond is $45k above its bar (clear: the label stays at $111k), api's $17k above (covered:
    the label goes above the diamond, $128k), hosted-then-own's sits inside its bar at $41k (the
    label stays on the $155k bar). The chart's note says which mark is which."""
    from tco import figures
    from tco.figures.data import P95_SAVING, portability

    frame = pd.DataFrame({"strategy": ["api", "self-host", "hosted-then-own"],
                          "mean_saving_usd": [111_000.0, 111_000.0, 155_000.0],
                          "p95_saving_usd": [128_000.0, 156_000.0, 41_000.0]})
    spec = portability(frame, ["api", "self-host", "hosted-then-own"])
    labels = {a.x: a.y for a in figures.to_figure(spec).layout.annotations}
    assert labels == {"api": 128_000.0, "self-host": 111_000.0, "hosted-then-own": 155_000.0}
    assert P95_SAVING in spec.styles and "Diamonds" in " ".join(spec.notes)



def _break_even_labels_across_today(stem: str, count_today: bool = True) -> list[str]:
    """Break-even labels of ``stem``'s deck chart whose box the dotted 'today' line runs through,
    at the deck's chart size and type (``tco.deck._chart_slide``: the body's full width, its
    height less a caption); ``count_today=False`` places them as before, blind to that line."""
    from unittest import mock

    from pptx.util import Inches

    import tco
    from tco import slides
    from tco.deck import CHART_PT
    from tco.figures import labels
    from tco.figures.pptx import label_scale
    from tests.conftest import ROOT

    sc = tco.load_scenario(ROOT / "scenarios" / f"{stem}.yaml")
    spec = data.break_even(sc, tco.evaluate(sc))
    scale = label_scale(spec, slides.CONTENT_W, Inches(slides.BOTTOM_IN - slides.BODY_TOP_IN - 0.5),
                        CHART_PT)
    with mock.patch.object(labels, "_reference_points",
                           labels._reference_points if count_today else lambda spec, ys: []):
        sides = labels.deck_sides(spec, scale)
    xs, ys = labels.deck_units(spec)
    today = labels._reference_points(spec, ys)
    texts = spec.frame["text"].fillna("").astype(str)
    assert today and (texts != "").sum() >= 2
    return [texts.iloc[i] for i in range(len(texts)) if texts.iloc[i] and labels._crosses(
        labels._deck_box(xs[i], ys[i], len(texts.iloc[i]), sides.iloc[i], scale), today[0])]


def test_deck_break_even_labels_keep_off_the_today_line() -> None:
    """api-price-shock's deck break-even slide wrote 'break-even 28.3M/month' right of its point
    and 'break-even 23.5M/month' under its point, both across the dotted 'today: 30M/month' line.
    The label placement now counts that line as it counts the curves; placed blind to it (as
    before) a label does cross it, so the check can fail."""
    stems = ("api-price-shock", "open-model-goes-closed")
    assert {stem: _break_even_labels_across_today(stem) for stem in stems} == {s: [] for s in stems}
    assert any(_break_even_labels_across_today(stem, count_today=False) for stem in stems)


def test_release_sentence_says_every_future_not_zero_percent() -> None:
    """own-fine-tuning's Overview read 'the next open release for owned-lora arrives in month 5
    (May 2027) at the median; in 0% of futures none arrives within 36 months', a zero share put as
    a warning (3 of 10,000 paths had none). Where every future upgrades it now says so; where none
    does, no share repeats it; in between the share stays (1 of 4 futures: 25%), and one that
    rounds to 0% or 100% without being it reads 'under 1%' or 'over 99%'."""
    from types import SimpleNamespace

    import numpy as np

    from tco.story import releases_and_tuning

    def sentence(first: list[int]) -> str:
        result = SimpleNamespace(
            first_upgrade={"owned-lora": np.array(first)},
            weights_age={"owned-lora": np.full((len(first), 36), 6.0)},
            scenario=SimpleNamespace(horizon_months=36), resolved=SimpleNamespace(start="2026-12"),
            lines=list(lines.NAMES), line_mean_usd=np.zeros((1, len(lines.NAMES), 36)),
            strategies=["own"])
        return releases_and_tuning(result)[0]

    every = sentence([5, 5, 4, 6])
    assert "0%" not in every and "within 36 months in every future" in every
    assert "month 5 (May 2027) at the median" in every
    some = sentence([5, 5, 4, -1])
    assert "in 25% of futures none arrives within 36 months" in some
    # The page's own case: a few of 10,000 paths without a release, 0.03%, rounds to '0%'.
    rare = sentence([5] * 9_997 + [-1] * 3)
    assert "in under 1% of futures none arrives" in rare and " 0% " not in rare
    assert "in over 99% of futures none arrives" in sentence([5] + [-1] * 9_999)
    never = sentence([-1, -1, -1, -1])
    assert "no open release for owned-lora arrives within the 36-month horizon" in never
    assert "100%" not in never


def test_the_fleet_chart_says_when_a_line_is_an_hourly_average() -> None:
    """regulated-in-house's Costs tab drew rent-h200's autoscaled fleet at 4.6 and 5.3 'GPUs
    provisioned' with nothing to say why a fleet holds part of a GPU; the chart's note now says a
    line between whole GPUs is the month's average of an hour-by-hour fleet (the flagship's
    self-host too: 7.42 in month 0). api-price-shock's fleet is whole GPUs and has no such note."""
    import tco
    from tests.conftest import ROOT

    def fleet_of(stem: str):
        return data.fleet(tco.evaluate(tco.load_scenario(ROOT / "scenarios" / f"{stem}.yaml")))

    regulated = fleet_of("regulated-in-house")
    assert (regulated.frame["y"] % 1 != 0).any()
    assert any("average GPUs in service" in note for note in regulated.notes)
    assert any("average GPUs in service" in note for note in fleet_of("open-model-goes-closed").notes)
    whole = fleet_of("api-price-shock")
    assert (whole.frame["y"] % 1 == 0).all() and not whole.notes
