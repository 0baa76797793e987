"""Bounded work: a run's size is checked before anything is allocated, with one line to act on."""

from __future__ import annotations

import pytest

import tco
from tco import budget
from tco.errors import ScenarioError
from tests.conftest import build


def test_cells_are_paths_times_strategies_times_months() -> None:
    assert budget.cells(5, 60, 100_000) == 30_000_000


def test_a_run_over_the_cell_budget_is_refused_before_it_starts() -> None:
    """3 strategies x 36 months x 1,000,000 paths = 108,000,000 cells > 30,000,000."""
    sc = build(horizon_months=36, strategies={
        "a": {"mix": {"api": 1.0}, "fallback": "backup"}, "b": {"mix": {"backup": 1.0}},
        "c": {"mix": {"api": 0.5, "backup": 0.5}, "fallback": "backup"}})
    with pytest.raises(ScenarioError) as err:
        tco.simulate(sc, paths=1_000_000, max_cells=budget.PAGE_MAX_CELLS)
    assert str(err.value) == ("paths: 1,000,000 paths x 3 strategies x 36 months is 108,000,000 cells, "
                              "more than the 30,000,000 allowed here; lower the paths, the strategies "
                              "or horizon_months")


def test_the_draws_per_path_are_bounded() -> None:
    """51 risk-option pairs over 240 months need 12,240 draws per path, above 12,000."""
    options = {f"o{i}": {"kind": "api", "input_usd_per_mtok": 1, "output_usd_per_mtok": 2} for i in range(51)}
    sc = build(horizon_months=240, options=options,
               strategies={"s": {"mix": {"o0": 1.0}, "fallback": "o1"}},
               risks=[{"kind": "exit", "on": list(options), "annual_probability": 0.01}])
    with pytest.raises(ScenarioError, match=r"^risks: 51 risk-option pairs .* 12,240 draws per path"):
        tco.simulate(sc, paths=10)


@pytest.mark.parametrize("paths", [0, budget.MAX_PATHS + 1])
def test_paths_out_of_range(paths: int) -> None:
    with pytest.raises(ScenarioError, match="^paths: must be between 1 and 2,000,000$"):
        tco.simulate(build(), paths=paths)


def test_negative_seeds_are_refused() -> None:
    with pytest.raises(ScenarioError, match="^seed: must be a whole number between 0 and 4,294,967,295$"):
        tco.simulate(build(), paths=10, seed=-1)
