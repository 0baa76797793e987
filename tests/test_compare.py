"""Comparing two scenarios: differences equal two independent runs; paired paths when they can be."""

from __future__ import annotations

import numpy as np
import pytest

import tco
from tco.compare import compare, text
from tco.glossary import describe
from tco.load import with_changes
from tco.report import changed_inputs
from tests.conftest import ROOT, build

STORY = ROOT / "scenarios" / "open-model-goes-closed.yaml"


def test_differences_equal_two_independent_runs() -> None:
    """A changed price keeps the random streams: the paths pair up, and the difference of means
    is the difference of two separate tco.simulate runs (to summation order, 1e-12)."""
    a = tco.load_scenario(STORY)
    b = with_changes(a, {"options.frontier-api.output_usd_per_mtok": 12.0})
    result = compare(a, b, paths=2000, seed=4)
    assert result.paired
    ra, rb = tco.simulate(a, paths=2000, seed=4), tco.simulate(b, paths=2000, seed=4)
    got = result.strategies.set_index("strategy")
    for name in a.strategies:
        i = ra.strategies.index(name)
        expected = rb.npv_usd[:, i].mean() - ra.npv_usd[:, i].mean()
        assert got.loc[name, "difference_usd"] == pytest.approx(expected, rel=1e-12)
        diff = rb.npv_usd[:, i] - ra.npv_usd[:, i]
        assert got.loc[name, "difference_se_usd"] == pytest.approx(diff.std(ddof=1) / np.sqrt(2000))
    # Cheaper output tokens lower api-only's cost on every path, so the paired error is smaller
    # than the independent one.
    i = ra.strategies.index("api-only")
    independent = np.hypot(ra.summary().loc["api-only", "se_mean"], rb.summary().loc["api-only", "se_mean"])
    assert got.loc["api-only", "difference_usd"] < 0
    assert got.loc["api-only", "difference_se_usd"] < independent
    assert list(result.inputs["input"]) == ["options.frontier-api.output_usd_per_mtok"]


def test_different_structures_are_compared_as_independent_runs() -> None:
    a = tco.load_scenario(STORY)
    b = tco.load_scenario(ROOT / "scenarios" / "api-price-shock.yaml")
    result = compare(a, b, paths=500, seed=1)
    assert not result.paired
    lines = text(result, "a.yaml", "b.yaml")
    assert "independent runs" in lines.splitlines()[0]
    assert "only in a" in lines and "only in b" in lines


def test_risks_pair_by_kind_and_options_never_by_position() -> None:
    """B lists A's two risks in the other order and raises the exit's probability: the only
    difference is that probability, labelled as the exit's, and nothing pairs a price change
    with an exit."""
    price = {"kind": "price_change", "on": ["api"], "annual_probability": 0.2, "multiplier": 1.5}
    leave = {"kind": "exit", "on": ["api"], "annual_probability": 0.1}
    a = build(risks=[price, leave])
    b = build(risks=[{**leave, "annual_probability": 0.3}, price])
    diff = changed_inputs(a, b)
    assert len(diff) == 1, diff
    row = diff.iloc[0]
    assert (row["base"], row["current"], row["input"]) == ("10%", "30%", "risks.0.annual_probability")
    assert row["label"] == describe("risks.0.annual_probability", b).label
    assert "exit" in row["label"].lower()


def test_a_risk_only_one_side_has_reads_as_added() -> None:
    price = {"kind": "price_change", "on": ["api"], "annual_probability": 0.2, "multiplier": 1.5}
    leave = {"kind": "exit", "on": ["api"], "annual_probability": 0.1}
    diff = changed_inputs(build(risks=[price]), build(risks=[leave, price]))
    assert diff["input"].tolist() == ["risks.0.annual_probability"]
    assert diff["base"].tolist() == [""] and diff["current"].tolist() == ["10%"]
