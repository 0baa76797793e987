"""Number words: one format for an input's value in its unit, never scientific notation."""

from __future__ import annotations

import pytest

from tco.distributions import parse_distribution as parse
from tco.format import plain, plural, quantity, with_unit
from tco.report import describe


@pytest.mark.parametrize(("value", "unit", "text"), [
    (5e6, "$", "$5,000,000"),                      # was '5e+06' in the sidebar's 'changed from'
    (2.5, "$ per GPU-hour", "$2.50"),              # cents, not '$2.5'
    (0.3, "$ per 1M tokens", "$0.30"),
    (-1234.5, "$", "-$1,234.50"),
    (0.03, "fraction per month", "3%"),           # growth is always a percentage
    (0.0825, "fraction per year", "8.25%"),
    (0.010000000000000002, "fraction 0-1", "1%"),  # float noise does not show
    (0.42, "probability per year", "42%"),
    (20e6, "requests per month", "20,000,000"),
    (1.146972, "multiplier", "1.14697"),
    (0.0000125, "", "0.0000125"),
    (0.0, "$", "$0"),
])
def test_a_value_reads_in_its_unit(value: float, unit: str, text: str) -> None:
    assert quantity(value, unit) == text


def test_plain_never_uses_scientific_notation() -> None:
    for exponent in range(-6, 13):
        assert "e" not in plain(1.2345 * 10.0 ** exponent)
    assert plain(123_456_789) == "123,456,789" and plain(0.5, 2) == "0.5"


def test_plurals() -> None:
    assert [plural(n, "price") for n in (0, 1, 2)] == ["0 prices", "1 price", "2 prices"]
    assert plural(1, "month") == "1 month" and plural(12, "month") == "12 months"


def test_a_distribution_reads_as_words_with_named_parameters() -> None:
    lognormal = parse({"lognormal": {"median": 1.0, "p90": 1.146972}})
    assert describe(lognormal, "multiplier") == "lognormal (median 1, P90 1.147)"
    growth = parse({"triangular": [0.0, 0.03, 0.08]})
    assert describe(growth, "fraction per month") == "triangular (low 0%, mode 3%, high 8%)"
    rent = parse({"triangular": [1.99, 2.5, 3.5]})
    assert describe(rent, "$ per GPU-hour") == "triangular (low $1.99, mode $2.50, high $3.50)"


@pytest.mark.parametrize(("name", "shown"), [
    ("the host drops gpt-oss in month 6", "The host drops gpt-oss in month 6"),
    ("open family goes closed in month 9", "Open family goes closed in month 9"),
    ("Gemini exits in month 3", "Gemini exits in month 3"),        # already a sentence
    ("gpt-oss is withdrawn in month 2", "gpt-oss is withdrawn in month 2"),  # a model name
    ("API vendor exits in month 6", "API vendor exits in month 6"),
    ("iPhone launch", "iPhone launch"),
    ("", ""),
])
def test_a_stress_name_reads_as_the_start_of_a_sentence(name, shown) -> None:
    from tco.format import capitalised

    assert capitalised(name) == shown


def test_every_shipped_stress_shows_capitalised_on_the_page_and_in_the_deck() -> None:
    """The scenario files write 'the host drops gpt-oss in month 6'; the Stress tests tab's
    headings and the deck's stress table start it with a capital, and the file keeps its name
    (a sweep selects stresses by it)."""
    import io

    from pptx import Presentation

    import tco
    from tco.deck import build_deck
    from tests.conftest import ROOT
    from tests.test_app import app, open_tab

    path = ROOT / "scenarios" / "partial-open-release.yaml"
    sc = tco.load_scenario(path)
    assert "the host drops gpt-oss in month 6" in [s.name for s in sc.stresses]
    at = open_tab(app(scenario=path.stem, paths="1000"), "Stress tests")
    headings = [m.value for m in at.markdown if m.value.startswith("**") and "month" in m.value]
    assert any(h.startswith("**The host drops gpt-oss in month 6**") for h in headings), headings
    assert not [h for h in headings if h[2].islower()]
    prs = Presentation(io.BytesIO(build_deck(sc, tco.simulate(sc, paths=200, seed=1))))
    cells = [row.cells[0].text for slide in prs.slides for shape in slide.shapes if shape.has_table
             for row in shape.table.rows]
    assert "The host drops gpt-oss in month 6" in cells
    assert "the host drops gpt-oss in month 6" not in cells


@pytest.mark.parametrize(("value", "unit", "text"), [
    (20_000_000, "requests per month", "20,000,000 requests per month"),
    (220_000, "$ per FTE-year", "$220,000 per FTE-year"),
    (150_000, "$", "$150,000"),
    (0.03, "fraction per month", "3%"),
    (700_000_000, "users", "700,000,000 users"),
    (2.5, "$ per GPU-hour", "$2.50 per GPU-hour"),
])
def test_a_value_with_its_unit_in_words(value, unit, text) -> None:
    """The caption under a number box: ``quantity``'s number (separators, cents, percentages),
    then the unit in words, the dollar sign moved in front of the amount."""
    assert with_unit(value, unit) == text


def test_every_large_number_box_repeats_its_value_with_separators() -> None:
    """Streamlit's number box shows 20000000 (its printf formats have no separators): every number
    input from five digits up has a caption with the value in ``with_unit``'s words under it."""
    import tco
    import tco.glossary as glossary
    from tests.conftest import ROOT
    from tests.test_app import app

    # regulated-in-house buys its GPUs: a price per GPU in a number box beside the requests.
    at = app(scenario="regulated-in-house", paths="1000")
    sc = tco.load_scenario(ROOT / "scenarios" / "regulated-in-house.yaml")
    captions = {c.value.replace("\\$", "$") for c in at.sidebar.caption}
    large = [w for w in at.sidebar.number_input if w.key.startswith("in:") and abs(w.value) >= 10_000]
    assert any(c.endswith(" requests per month") and "," in c for c in captions)
    assert len(large) >= 2, [w.key for w in large]
    for w in large:
        path = w.key.removeprefix("in:")
        assert with_unit(w.value, glossary.describe(path, sc).unit) in captions, path
