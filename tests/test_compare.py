"""Comparing two scenarios: differences equal two independent runs; paired paths when they can be."""

from __future__ import annotations

import numpy as np
import pytest

import tco
from tco.compare import compare, text
from tco.load import with_changes
from tests.conftest import ROOT

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
