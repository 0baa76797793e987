"""Numbers formatted for people: $1.2M, 38%, 1.4k."""

from __future__ import annotations

import math


def compact(x: float, digits: int = 2) -> str:
    """1234567 -> '1.23M'; keeps three significant figures for magnitudes from thousands up."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    sign = "-" if x < 0 else ""
    x = abs(x)
    for unit, scale in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if x >= scale:
            value = x / scale
            text = f"{value:.{digits if value < 10 else 1 if value < 100 else 0}f}"
            return f"{sign}{text}{unit}"
    return f"{sign}{x:.0f}" if x >= 10 else f"{sign}{x:.{digits}f}".rstrip("0").rstrip(".") or "0"


def usd(x: float, digits: int = 2) -> str:
    """Money: '$1.23M', '-$40.5k', '$0.85'."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    text = compact(x, digits)
    return f"-${text[1:]}" if text.startswith("-") else f"${text}"


def signed_usd(x: float, digits: int = 2) -> str:
    """A change in money, its direction always written: '+$1.44M', '-$4.45M', '$0' (a column of
    changes that wrote '$1.44M' beside '-$4.45M' left a rise to be read as a level)."""
    text = usd(x, digits)
    return f"+{text}" if text[:1] == "$" and text.strip("$0.") else text


def signed_pct(x: float, digits: int = 0) -> str:
    """A change as a percentage with its direction: 0.665 -> '+66.5%' at one digit, '0.0%' at 0."""
    text = pct(x, digits)
    return f"+{text}" if text[:1].isdigit() and text.strip("0.%") else text


def usd_per_mtok(x: float) -> str:
    return "n/a" if x is None or math.isnan(x) else f"${x:.2f}/Mtok"


def pct(x: float, digits: int = 0) -> str:
    """A fraction as a percentage: 0.384 -> '38%'."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{100 * x:.{digits}f}%"


def plain(x: float, significant: int = 6) -> str:
    """A number with thousands separators and up to ``significant`` figures, never in scientific
    notation: 5e6 -> '5,000,000', 1.146972 -> '1.14697', 0.0000125 -> '0.0000125'."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if x == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(x)))
    decimals = max(0, significant - 1 - magnitude)
    text = f"{round(x, decimals):,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def is_fraction(unit: str) -> bool:
    """A unit whose values read as percentages: 'fraction 0-1', 'fraction per month',
    'probability per year'."""
    return unit.startswith(("fraction", "probability"))


def quantity(x: float, unit: str = "", significant: int = 6) -> str:
    """A value in its unit, as people read it, the one format every view uses for an input:
    money '$5,000,000' or '$2.50', fractions and growth as percentages '3%' or '2.5%', anything
    else with separators '20,000,000'."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if is_fraction(unit):
        return f"{plain(100 * x, significant)}%"
    if unit.startswith("$"):
        text = plain(abs(x), significant)
        whole, _, cents = text.partition(".")
        if abs(x) < 1e4 and len(cents) < 2 and not float(x).is_integer():
            text = f"{whole}.{cents:0<2}"  # cents: '$2.50', not '$2.5'
        return f"{'-' if x < 0 else ''}${text}"
    return plain(x, significant)


def with_unit(x: float, unit: str) -> str:
    """A value followed by its unit in words, for a caption under an input: '20,000,000 requests
    per month', '$220,000 per FTE-year', '$150,000', '3%'."""
    text = quantity(x, unit)
    if unit.startswith("$"):
        return text + unit[1:]
    return text if is_fraction(unit) or not unit else f"{text} {unit}"


def plural(count: int, singular: str, many: str | None = None) -> str:
    """'1 price', '3 prices', '1 month', '5 months'."""
    return f"{count:,} {singular if count == 1 else (many or singular + 's')}"


def capitalised(text: str) -> str:
    """A name written in a scenario file as the start of a sentence, for titles and table cells:
    'the host drops gpt-oss in month 6' -> 'The host drops gpt-oss in month 6'. A first word with
    a digit, hyphen or capital ('gpt-oss', 'iPhone', 'API') is a name and stays as written."""
    first = text.split(" ", 1)[0]
    if first.isalpha() and first.islower():
        return text[0].upper() + text[1:]
    return text
