"""Number words: one format for an input's value in its unit, never scientific notation."""

from __future__ import annotations

import pytest

from tco.distributions import parse_distribution as parse
from tco.format import plain, plural, quantity
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
