"""What a run holds in memory: the libraries it imports and the fan chart's percentiles without a
copy of the cumulative cost. The peak itself is printed by benchmarks/bench_memory.py."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import tco
import tco.prices as prices
from tco.optimise.voi import outcome_groups
from tco.simulate import PERCENTILES
from tests.conftest import HOSTED, ROOT, SCENARIOS, build, raw

HEAVY = ("pandas", "scipy.stats", "scipy.optimize", "plotly", "pptx", "openpyxl", "PIL")
"""Libraries a run does not need while its paths are in memory: tables, the optimiser's solvers,
charts, slides and workbooks (pandas alone is 57 MB resident)."""


def _monthly_percentiles_before(result: tco.SimulationResult) -> pd.DataFrame:
    """The fan chart's table as it was computed before this module's change: a (months, paths)
    copy of each strategy's cumulative cost, ranked with np.percentile along the paths."""
    months = result.scenario.horizon_months
    rows = []
    for s_i, name in enumerate(result.strategies):
        block = np.ascontiguousarray(result.cumulative_usd[:, s_i].T)
        q = np.percentile(block, PERCENTILES, axis=1, overwrite_input=True)
        frame = pd.DataFrame({"strategy": name, "month": np.arange(months)})
        for p_i, p in enumerate(PERCENTILES):
            frame[f"p{p}_cumulative_usd"] = q[p_i].astype(float)
        frame["mean_cumulative_usd"] = result.cumulative_usd[:, s_i].mean(axis=0, dtype=np.float64)
        rows.append(frame)
    return pd.concat(rows, ignore_index=True)


@pytest.mark.parametrize("path", [p for p in SCENARIOS if p.stem in
                                  ("open-model-goes-closed", "api-price-shock", "own-fine-tuning")],
                         ids=lambda p: p.stem)
def test_fan_chart_percentiles_equal_the_whole_array_ranking_bit_for_bit(path) -> None:
    """Ranked a few months at a time in one reused buffer, the same numbers and dtypes as a copy
    of each strategy's whole (months, paths) block ranked at once (``DataFrame.equals`` is exact).
    1,001 paths: an odd count, so the median is one order statistic and P5 a blend of two."""
    result = tco.simulate(tco.load_scenario(path), paths=1_001, seed=3)
    assert result.monthly_percentiles().equals(_monthly_percentiles_before(result))


def test_fan_chart_percentiles_of_a_known_column() -> None:
    """A hand-made cumulative array: paths 0..10 cost 0, 1, ..., 10 in month t = 0 and twice that
    in month 1, so P25 = 2.5 (rank 0.25 x 10 = 2.5, halfway between 2 and 3) and P95 = 9.5 in
    month 0, 5 and 19 in month 1; means 5 and 10. Nine months (one more than a buffer's 8)."""
    result = tco.simulate(build(horizon_months=9), paths=11, seed=1)
    ramp = np.arange(11, dtype=np.float32)[:, None] * np.arange(1, 10, dtype=np.float32)
    result.cumulative_usd = ramp[:, None, :]  # (paths, strategies, months)
    q, mean = result.cumulative_percentiles()
    assert q.shape == (1, len(PERCENTILES), 9) and q.dtype == np.float64
    assert q[0, :, 0].tolist() == [0.5, 2.5, 5.0, 7.5, 9.5]
    assert q[0, :, 1].tolist() == [1.0, 5.0, 10.0, 15.0, 19.0]
    assert q[0, :, 8].tolist() == [4.5, 22.5, 45.0, 67.5, 85.5]
    assert mean[0, :2].tolist() == [5.0, 10.0]


def _modules_after(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         timeout=600, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


HOSTED_SCENARIO = json.dumps({**raw(), "options": {**raw()["options"], "hosted": HOSTED},
                              "strategies": {"api-only": {"mix": {"api": 1.0}, "fallback": "backup"},
                                             "self-host": {"mix": {"hosted": 1.0}, "fallback": "api"}},
                              "risks": [{"kind": "exit", "on": ["api"], "annual_probability": 0.1}],
                              "workload": {**raw()["workload"],
                                           "growth_per_month": {"triangular": [0.0, 0.01, 0.03]}}})


def test_a_run_and_its_fan_chart_load_no_tables_solvers_or_price_snapshot() -> None:
    """The engine's path (import, load a scenario without ``catalog:``, simulate, the fan chart's
    numbers) never imports pandas, scipy.stats, the optimiser's solvers or the price snapshot."""
    code = (f"import json, sys; import tco; sc = tco.loads({HOSTED_SCENARIO!r}); "
            "r = tco.simulate(sc, paths=2_000, seed=1); r.cumulative_percentiles(); "
            f"print(json.dumps([m for m in {[*HEAVY, 'genai_prices']!r} if m in sys.modules]))")
    assert _modules_after(code) == []


def test_the_command_line_run_holds_no_tables_while_it_simulates() -> None:
    """``python -m tco run`` (random sampling, tables printed): pandas (the tables) and
    scipy.optimize (the break-even volume's root) are imported only after the simulation has
    returned; scipy.stats, charts, slides and workbooks never are."""
    story = str(ROOT / "scenarios" / "own-fine-tuning.yaml")
    code = ("import json, sys; import tco; s = sys.modules['tco.simulate']\n"
            "inner, during = s.simulate, []\n"
            "def simulate(*a, **k):\n"
            f"    r = inner(*a, **k); during.extend(m for m in {HEAVY!r} if m in sys.modules); return r\n"
            "s.simulate = simulate\n"
            "from tco.cli import main\n"
            f"code = main(['run', {story!r}, '--paths', '500'])\n"
            "print(json.dumps({'code': code, 'during': during,\n"
            f"                  'after': [m for m in {HEAVY!r} if m in sys.modules]}}))")
    got = _modules_after(code)
    assert got == {"code": 0, "during": [], "after": ["pandas", "scipy.optimize"]}


def test_the_command_line_still_lists_and_parses_every_command() -> None:
    """Commands whose arguments live in their own module are listed without importing it, and
    parsed with it when asked for."""
    from tco.cli.parser import OWN_ARGUMENTS, parser

    listing = parser("run").format_help()
    assert all(name in listing and help_text[:40] in " ".join(listing.split())
               for name, (_, help_text) in OWN_ARGUMENTS.items())
    args = parser("optimise").parse_args(["optimise", "a.yaml", "--cvar-budget", "5"])
    assert (args.scenario, args.cvar_budget) == ("a.yaml", 5.0)


def test_the_pinned_snapshot_date_is_the_snapshot_s_own() -> None:
    """``SNAPSHOT_AS_OF`` spares a run the 10 MB snapshot; it must say what the snapshot says."""
    assert prices.package_version() in prices.SNAPSHOT_AS_OF
    assert prices.SNAPSHOT_AS_OF[prices.package_version()] == prices.computed_snapshot_as_of()


def test_input_bins_rank_as_scipy_ordinal_ranks() -> None:
    """The EVPPI bins by rank: ties broken in path order, as scipy.stats.rankdata's 'ordinal'."""
    values = np.random.default_rng(5).integers(0, 40, size=997).astype(float)  # many ties
    expected = ((stats.rankdata(values, method="ordinal") - 1) * 10 // len(values)).astype(np.int64)
    assert np.array_equal(outcome_groups(values, bins=10), expected)


def test_a_run_without_its_cumulative_cost_gives_every_other_number_bit_for_bit() -> None:
    """``keep_cumulative=False`` (``run`` without --csv-dir, --xlsx or --focus-dir) drops only the array
    the fan chart reads: per-path results, summary and mean lines equal the full run's exactly."""
    sc = tco.load_scenario(ROOT / "scenarios" / "open-model-goes-closed.yaml")
    full = tco.simulate(sc, paths=3_000, seed=11)
    lean = tco.simulate(sc, paths=3_000, seed=11, keep_cumulative=False)
    assert lean.cumulative_usd is None
    for name in ("npv_usd", "npv_no_events_usd", "switching_npv_usd", "portable_npv_usd", "events",
                 "event_counts", "line_mean_usd", "gpus_mean", "amortised_mean_usd", "tokens"):
        assert np.array_equal(getattr(full, name), getattr(lean, name)), name
    assert lean.summary().equals(full.summary())
    with pytest.raises(ValueError, match="keep_cumulative=True"):
        lean.cumulative_percentiles()


def test_a_large_run_gives_its_freed_temporaries_back_and_a_small_one_does_not(monkeypatch) -> None:
    """From SMALL_RUN_PATHS paths on, the pool threads' freed chunk temporaries are returned to
    the system once the run is done (glibc's malloc_trim); the page's small reruns skip it."""
    import tco._runtime as runtime
    from tco.simulate import SMALL_RUN_PATHS

    calls = []
    monkeypatch.setattr(runtime, "release_freed_memory", lambda: calls.append(1))
    sc = build()
    tco.simulate(sc, paths=SMALL_RUN_PATHS - 1, seed=1)
    assert calls == []
    tco.simulate(sc, paths=SMALL_RUN_PATHS, seed=1)
    assert calls == [1]
    runtime._glibc.cache_clear()
    monkeypatch.undo()
    import platform

    if platform.libc_ver()[0] == "glibc":  # malloc_trim is found wherever the C library has it
        assert runtime._glibc() is not None and hasattr(runtime._glibc(), "malloc_trim")
    runtime.release_freed_memory()
