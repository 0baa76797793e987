"""The CI budget gate (``tco check``) and ``diff --format markdown``: exit codes on both sides of a
budget and of an allowed rise, with totals computed by hand."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from tco.cli import main
from tco.gate import check, md, metric_values
from tco.simulate import simulate
from tests.conftest import BASE, PER_REQUEST_API, build, raw

ONE_API = raw()
ONE_API["options"].pop("backup")
ONE_API["strategies"] = {"api-only": {"mix": {"api": 1.0}}}
TOTAL_USD = 12 * 1_000_000 * PER_REQUEST_API
"""$72,000: 12 months x 1,000,000 requests x $0.006, no growth, no discounting, no risk."""


def _file(tmp_path, data, name="scenario.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return str(path)


@pytest.mark.parametrize("metric", ["mean", "p95", "cvar95"])
def test_exit_codes_on_both_sides_of_the_budget(tmp_path, capsys, metric) -> None:
    """Every path costs $72,000, so every metric is $72,000: a budget of $72,000 passes (exit 0),
    one dollar less fails (exit 1), and the summary says which."""
    scenario = _file(tmp_path, ONE_API)
    args = ["check", scenario, "--metric", metric, "--paths", "100"]
    assert main([*args, "--budget-usd", str(TOTAL_USD)]) == 0
    assert "**within budget**" in capsys.readouterr().out
    assert main([*args, "--budget-usd", str(TOTAL_USD - 1)]) == 1
    out = capsys.readouterr().out
    assert "**over budget**" in out and "| api-only | 72,000 USD |" in out


def test_a_rise_over_the_base_on_both_sides_of_the_limit(tmp_path, capsys) -> None:
    """Prices 10% higher: $79,200 against $72,000, a rise of exactly 10% (standard error 0: no
    input is uncertain). A limit of 11% passes, 9% fails; the Markdown file holds the change."""
    base = _file(tmp_path, ONE_API, "base.yaml")
    dearer = raw(ONE_API)
    dearer["options"]["api"]["input_usd_per_mtok"] = 3.3
    dearer["options"]["api"]["output_usd_per_mtok"] = 16.5
    changed = _file(tmp_path, dearer, "changed.yaml")
    summary = tmp_path / "summary.md"
    args = ["check", changed, "--base", base, "--paths", "100", "--markdown", str(summary)]
    assert main([*args, "--max-increase-share", "0.11"]) == 0
    text = summary.read_text()
    assert "| api-only | 79,200 USD | 0 USD | 72,000 USD | +7,200 USD | 0 USD | +10.0% | pass |" in text
    assert main([*args, "--max-increase-share", "0.09"]) == 1
    assert "rise too large" in summary.read_text()
    capsys.readouterr()


@pytest.mark.parametrize(("extra", "field"), [
    (["--max-increase-share", "0.1"], "--max-increase-share"),
    ([], "--budget-usd"),
    (["--budget-usd", "1", "--strategy", "nope"], "--strategy"),
    (["--budget-usd", "-5"], "--budget-usd"),
    (["--budget-usd", "1", "--metric", "p99"], "arguments"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, extra, field) -> None:
    assert main(["check", _file(tmp_path, ONE_API), "--paths", "100", *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: {field}: ") and "\n" not in err


def test_metrics_match_an_independent_recomputation() -> None:
    """P95 and CVaR95 of the shipped story from sorted NPVs: CVaR95 is the mean of the worst
    ceil(0.05 x 1,000) = 50; the gate's rows carry the same numbers."""
    result = simulate(BASE, paths=1_000, seed=5)
    verdict = check(result, "cvar95", budget_usd=1e12)
    ordered = np.sort(result.npv_usd, axis=0)
    np.testing.assert_allclose(verdict.rows["value_usd"], ordered[-50:].mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(metric_values(result.npv_usd, "p95"),
                               np.percentile(result.npv_usd, 95, axis=0), rtol=1e-12)
    assert verdict.passed and verdict.rows["se_usd"].gt(0).all()


def test_the_paired_change_of_a_percentile_has_a_smaller_error_than_independent_runs() -> None:
    """Common random numbers: the same scenario with 5% dearer API tokens changes P95 on paired
    paths; its batch-means standard error is below that of two independent estimates."""
    data = raw(ONE_API)
    data["workload"]["growth_per_month"] = {"triangular": [0.0, 0.02, 0.06]}
    a = simulate(build(data), paths=2_000, seed=1)
    data["options"]["api"]["input_usd_per_mtok"] = 3.15
    b = simulate(build(data), paths=2_000, seed=1)
    verdict = check(b, "p95", base=a, max_increase_share=0.1)
    row = verdict.rows.iloc[0]
    assert verdict.paired and 0 < row["change_share"] < 0.05
    assert row["change_se_usd"] < row["se_usd"]


def test_markdown_escapes_user_text() -> None:
    assert md("a|b <script>") == r"a\|b \<script\>"
    assert "\n" not in md("line\nbreak")


def test_diff_markdown(tmp_path, capsys) -> None:
    base = _file(tmp_path, ONE_API, "a.yaml")
    dearer = raw(ONE_API)
    dearer["options"]["api"]["output_usd_per_mtok"] = 16.5
    other = _file(tmp_path, dearer, "b.yaml")
    assert main(["diff", base, other, "--paths", "100", "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    # 200 output tokens x $1.50/M more = $0.0003 a request, x 12M requests = $3,600
    assert "| api-only | 72,000 USD | 75,600 USD | +3,600 USD | 0 USD |" in out
    assert out.count("\n| ") >= 3 and "### Scenario diff" in out
