"""One risk story: 'safest' and 'safer' by CVaR95 in every view, and a bridge that adds up."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest

import tco
import tco.narrative as narrative
from tco.cli import main
from tco.format import usd
from tco.report import verdict
from tco.story import bullets
from tests.conftest import ROOT, SCENARIOS, build

PATHS, SEED = 1000, 5


def cvar95_by_hand(npv_usd: np.ndarray) -> np.ndarray:
    """Mean of each column's worst 5% (the largest 50 of 1,000 sorted costs). (strategies,)"""
    worst = np.sort(npv_usd, axis=0)[-int(round(0.05 * npv_usd.shape[0])):]
    return worst.mean(axis=0)


def safety_claims(text: str) -> list[str]:
    """The strategy each 'safer'/'safest' statement in ``text`` names.

    '<x> is safer' names x; 'the bad tail (...) <x> costs ..., the lowest ...: it is also the
    safest' names x. A sentence that says 'safe' some other way fails the test: every view must
    phrase it through ``tco.narrative``.
    """
    claims = []
    for sentence in re.split(r"(?<=[.!?])\s+|\n", text):
        if not re.search(r"\bsaf(er|est)\b", sentence):
            continue
        safer = re.findall(r"([\w.-]+) is safer", sentence)
        safest = re.findall(r"\) ([\w.-]+) costs [^;]*it is also the safest", sentence)
        assert safer or safest, f"a safety statement not from tco.narrative: {sentence!r}"
        claims += safer + safest
    return claims


def deck_text(sc, result) -> str:
    from pptx import Presentation

    from tco.deck import build_deck

    prs = Presentation(io.BytesIO(build_deck(sc, result)))
    texts = []
    for slide in prs.slides:
        texts += [shape.text_frame.text for shape in slide.shapes if shape.has_text_frame]
        texts += [cell.text for shape in slide.shapes if shape.has_table
                  for row in shape.table.rows for cell in row.cells]
        if slide.has_notes_slide:
            texts.append(slide.notes_slide.notes_text_frame.text)
    return "\n".join(texts)


def page_text(path) -> str:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.query_params.update(scenario=path.stem, paths=str(PATHS), seed=str(SEED))
    at.run()
    assert not at.exception
    return "\n".join(m.value for m in at.markdown).replace("\\$", "$")


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_view_names_the_same_safest_strategy(path, capsys) -> None:
    """The page, the verdict, the bullets, the deck and the CLI name one strategy as safest or
    safer, and it is the one with the lowest CVaR95 recomputed from the sorted path NPVs."""
    sc = tco.load_scenario(path)
    result = tco.simulate(sc, paths=PATHS, seed=SEED)
    safest = result.strategies[int(np.argmin(cvar95_by_hand(result.npv_usd)))]
    assert narrative.safest(result.summary()) == safest
    assert main(["run", str(path), "--paths", str(PATHS), "--seed", str(SEED)]) == 0
    views = {"verdict": verdict(result), "bullets": "\n".join(bullets(result)),
             "cli": capsys.readouterr().out, "deck": deck_text(sc, result), "page": page_text(path)}
    for view, text in views.items():
        claims = safety_claims(text)
        if len(sc.strategies) > 1:
            assert claims, f"{view} says nothing about the tail"
        assert set(claims) <= {safest}, f"{view} calls {claims} safe, CVaR95 says {safest}"


def test_the_tail_is_named_over_the_horizon_not_a_year() -> None:
    assert narrative.tail_words(60) == "the average of the worst 5% of futures over the 5-year horizon"
    assert narrative.tail_words(18) == "the average of the worst 5% of futures over the 18-month horizon"


def test_the_bridge_adds_up_and_matches_the_paths() -> None:
    """Nominal + uncertain inputs + vendor shocks = expected, exactly; vendor shocks are the mean
    NPV less the mean NPV of the same paths without events, recomputed from the path arrays."""
    sc = tco.load_scenario(SCENARIOS[0])
    result = tco.simulate(sc, paths=PATHS, seed=SEED)
    for s, row in enumerate(narrative.bridge(result)):
        assert row.strategy == result.strategies[s]
        assert row.expected_usd == pytest.approx(result.npv_usd[:, s].mean(), rel=1e-12)
        assert row.vendor_shocks_usd == pytest.approx(
            result.npv_usd[:, s].mean() - result.npv_no_events_usd[:, s].mean(), rel=1e-9, abs=1e-6)
        assert row.nominal_usd + row.uncertain_inputs_usd + row.vendor_shocks_usd == pytest.approx(
            row.expected_usd, rel=1e-12)
    rows = narrative.bridge_rows(result)
    assert list(rows["step"]) == list(narrative.BRIDGE_STEPS)
    assert list(rows["measure"]) == ["absolute", "relative", "relative", "absolute"]
    assert rows["strategy"][0] == narrative.cheapest(result.summary())


def test_a_risk_free_scenario_has_a_flat_bridge() -> None:
    """No risks and no uncertain inputs: expected = nominal, both additions are zero."""
    result = tco.simulate(build(), paths=200, seed=1)
    (row,) = narrative.bridge(result)
    assert row.uncertain_inputs_usd == pytest.approx(0.0, abs=1e-6)
    assert row.vendor_shocks_usd == pytest.approx(0.0, abs=1e-6)
    assert narrative.bridge_sentence(result).startswith(
        f"Expected cost {usd(row.expected_usd)} against {usd(row.nominal_usd)} on nominal inputs")


def test_the_waterfall_draws_the_bridge() -> None:
    from tco.figures import data, to_figure

    result = tco.simulate(tco.load_scenario(SCENARIOS[0]), paths=PATHS, seed=SEED)
    spec = data.bridge(result)
    assert spec.kind == "waterfall"
    np.testing.assert_array_equal(spec.frame["y"], narrative.bridge_rows(result)["amount_usd"])
    trace = to_figure(spec).data[0]
    assert trace.type == "waterfall" and list(trace.measure) == list(spec.frame["measure"])


def test_the_deck_renderer_draws_the_bridge_as_floating_bars() -> None:
    """In PowerPoint the waterfall is two stacked series: a hidden base and the visible step;
    base + step is the running total after each step, and the last bar is the expected NPV."""
    from pptx import Presentation

    from tco.figures import data
    from tco.figures.pptx import add_chart

    result = tco.simulate(tco.load_scenario(SCENARIOS[0]), paths=PATHS, seed=SEED)
    prs = Presentation()
    chart = add_chart(prs.slides.add_slide(prs.slide_layouts[6]), data.bridge(result),
                      0, 0, 6_000_000, 4_000_000)
    base, step, labels = (list(s.values) for s in chart.plots[0].series)
    assert labels == [0.0] * 4  # zero-height: it only carries each bar's label above the bar
    amounts = narrative.bridge_rows(result)["amount_usd"].to_numpy()
    running = np.array([amounts[0], amounts[0] + amounts[1], amounts[:3].sum(), amounts[3]])
    tops = np.array(base) + np.array(step)
    for i in (1, 2):  # a relative step spans the running totals before and after it
        np.testing.assert_allclose(sorted([base[i], tops[i]]), sorted(running[i - 1:i + 1]), rtol=1e-12)
    assert tops[-1] == pytest.approx(amounts[3], rel=1e-12) and base[0] == base[-1] == 0.0


def test_the_deck_bridge_reads_as_the_page_one() -> None:
    """The base is unfilled (gridlines show through it), rises and falls take the page's bridge
    colours, the ends the strategy's, and each bar carries its amount as the page writes it."""
    from pptx import Presentation
    from pptx.enum.dml import MSO_FILL

    from tco.figures import data
    from tco.figures.pptx import add_chart
    from tco.figures.spec import ROLES, strategy_colours

    result = tco.simulate(tco.load_scenario(SCENARIOS[0]), paths=PATHS, seed=SEED)
    prs = Presentation()
    chart = add_chart(prs.slides.add_slide(prs.slide_layouts[6]), data.bridge(result),
                      0, 0, 6_000_000, 4_000_000)
    base, step, labels = chart.plots[0].series
    assert base.format.fill.type == MSO_FILL.BACKGROUND
    rows = narrative.bridge_rows(result)
    colours = [str(step.points[i].format.fill.fore_color.rgb) for i in (1, 2)]
    assert colours == [(ROLES["bridge_up"] if v >= 0 else ROLES["bridge_down"]).lstrip("#")
                       for v in rows["amount_usd"][1:3]]
    strategy = strategy_colours(result.strategies)[rows["strategy"][0]].lstrip("#")
    assert str(step.format.fill.fore_color.rgb) == strategy
    assert [labels.points[i].data_label.text_frame.text for i in range(4)] == list(rows["text"])
