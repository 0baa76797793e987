"""Portfolios: one draw of shocks for every workload, pooled fleets, commitment tiers, the two
allocation bases, vendor shares of CVaR95, the file's one-line errors and the command line."""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path

import numpy as np
import pytest

import tco.metrics as metrics
from tco.cli import main
from tco.errors import ScenarioError
from tco.portfolio import load_portfolio, loads_portfolio, simulate_portfolio
from tco.portfolio.engine import pools_by_gpu
from tco.portfolio.outputs import csv_files, workbook
from tco.portfolio.pooling import commitment_bill, on_demand_gpus, price_gpu_type, replicas
from tco.portfolio.slides import deck
from tco.portfolio.spec import validate_portfolio
from tco.simulate import DEFAULT_PATHS, DEFAULT_SEED
from tests.conftest import ROOT, two_h200_models

SHIPPED = ROOT / "scenarios" / "portfolio-enterprise.yaml"
PATHS = 1024


def _api_portfolio(n: int) -> dict:
    """n identical workloads on one API option with shocks on it; nothing pooled or committed."""
    workload = {"requests_per_month": 1_000_000, "input_tokens_per_request": 1000,
                "output_tokens_per_request": 200, "growth_per_month": 0.02}
    strategies = {"api": {"mix": {"haiku": 1.0}, "fallback": "gpt", "portability": 0.5}}
    return {
        "name": "identical", "horizon_months": 24, "discount_rate_per_year": 0.08,
        "options": {
            "haiku": {"kind": "api", "catalog": "anthropic/claude-haiku-4-5",
                      "price_trend_per_year": {"triangular": [-0.3, -0.1, 0.1]},
                      "price_volatility_per_year": 0.2},
            "gpt": {"kind": "api", "catalog": "openai/gpt-6.1-terra"}},
        "risks": [{"kind": "price_change", "on": ["haiku"], "annual_probability": 0.4,
                   "multiplier": {"lognormal": {"median": 1.2, "p90": 2.0}}},
                  {"kind": "exit", "on": ["haiku"], "annual_probability": 0.1}],
        "switching": {"engineer_weeks": {"triangular": [2, 6, 12]}, "usd_per_engineer_week": 6000},
        "pooling": False,
        "workloads": {f"w{k}": {"workload": dict(workload), "strategies": copy.deepcopy(strategies),
                                "strategy": "api"} for k in range(n)},
    }


@pytest.fixture(scope="module")
def shipped():
    return simulate_portfolio(load_portfolio(str(SHIPPED)), paths=PATHS, seed=7)


@pytest.mark.parametrize("n", [2, 3, 5])
def test_identical_workloads_cost_exactly_n_times_one(n: int) -> None:
    """N identical API-only workloads, pooling off: every path's NPV is N x the single
    workload's, bit for bit (the total is a correctly rounded sum, so N equal parts give the
    correctly rounded N x one). Drawing shocks per workload would break it on most paths: the
    price walks and exits would differ between workloads."""
    one = simulate_portfolio(validate_portfolio(_api_portfolio(1)), paths=PATHS, seed=11)
    many = simulate_portfolio(validate_portfolio(_api_portfolio(n)), paths=PATHS, seed=11)
    assert np.array_equal(many.npv_usd, n * one.npv_usd)
    assert metrics.cvar(many.npv_usd) == pytest.approx(n * metrics.cvar(one.npv_usd), rel=1e-13)
    assert one.npv_usd.std() > 0  # the shocks move the paths, so the identity is not trivial


def test_same_seed_same_bits(shipped) -> None:
    again = simulate_portfolio(load_portfolio(str(SHIPPED)), paths=PATHS, seed=7)
    assert np.array_equal(again.npv_usd, shipped.npv_usd)
    assert np.array_equal(again.usage_basis_usd, shipped.usage_basis_usd)


def test_peaks_twelve_hours_apart_pool_into_half_the_fleet() -> None:
    """Two workloads whose peaks are 12 hours apart, worked by hand.

    Workload A needs 3.5 replicas' worth of load in hours 0-11 and 0.5 in hours 12-23; B the
    mirror. Alone, each holds ceil(3.5) = 4 replicas all day (no autoscaling): 8 in all. Pooled,
    every hour needs 3.5 + 0.5 = 4.0, so ceil(4.0) = 4 replicas: half. Autoscaled, A alone pays
    (12 x 4 + 12 x 1) / 24 = 2.5 replicas on average, B the same, 5 in all; pooled, 4.
    """
    a = np.array([3.5] * 12 + [0.5] * 12).reshape(1, 1, 24)
    b = a[..., ::-1]
    alone = [replicas(x, 1.0) for x in (a, b)]
    pooled = replicas(a + b, 1.0)
    no_reserve = np.zeros((1, 1))
    assert sum(on_demand_gpus(x, 1.0, no_reserve, False)[0, 0] for x in alone) == 8.0
    assert on_demand_gpus(pooled, 1.0, no_reserve, False)[0, 0] == 4.0
    assert sum(on_demand_gpus(x, 1.0, no_reserve, True)[0, 0] for x in alone) == 5.0
    assert on_demand_gpus(pooled, 1.0, no_reserve, True)[0, 0] == 4.0


def _two_options_on_one_gpu_type(reserved_a: float, reserved_b: float, autoscale: bool):
    """Pools a (2 GPUs per replica) and b (1 GPU per replica) on one GPU type, peaks 12 hours apart.

    a needs 3.5 replicas' worth in hours 0-11 and 0.5 in hours 12-23: 4 replicas (8 GPUs), then 1
    (2 GPUs). b needs 0.5 in hours 0-11 and 5.5 in hours 12-23: 1 replica (1 GPU), then 6 (6 GPUs).
    """
    a = [3.5] * 12 + [0.5] * 12
    need = np.array([a, a[::-1]]).reshape(2, 1, 1, 24)
    need[1, 0, 0, 12:] = 5.5
    rented, top = np.empty((2, 1, 1)), np.empty((2, 1, 1))
    provisioned = np.empty((1, 1))
    price_gpu_type(need, np.array([1.0, 1.0]), np.array([2.0, 1.0]), np.array([autoscale] * 2),
                   np.array([[reserved_a + reserved_b]]), rented, provisioned, top)
    return rented[:, 0, 0], provisioned[0, 0], top[:, 0, 0]


def test_reserved_gpus_pool_per_gpu_type_across_options() -> None:
    """Two options on one GPU type (the pools of _two_options_on_one_gpu_type), worked by hand.

    Autoscaled, a reserving 6 GPUs and b 3. Per option, a rents 8 - 6 = 2 GPUs in hours 0-11 and
    none after (2 < 6): 1.0 on average; b none in hours 0-11 (1 < 3), 6 - 3 = 3 after: 1.5; 2.5
    in all. Pooled per GPU type the 9 reserved GPUs serve 8 + 1 = 9 in hours 0-11 and 2 + 6 = 8
    after: nothing is rented, 9 GPUs are paid for every hour. The busiest hours keep 4 and 6
    replicas.

    Reserving 4 and 2 (6 in all): per option a rents 8 - 4 = 4 in hours 0-11, b 6 - 2 = 4 in
    hours 12-23: 2 + 2 = 4 on average. Pooled, hours 0-11 need 9 - 6 = 3 on demand, shared 8/9
    to a and 1/9 to b; hours 12-23 need 8 - 6 = 2, shared 2/8 and 6/8. a rents (12 x 8/3 + 12 x
    1/2) / 24 = 38/24, b (12 x 1/3 + 12 x 3/2) / 24 = 22/24: 60/24 = 2.5 in all; 9 and 8 GPUs are
    paid for: 8.5 on average.

    Without autoscaling each pool runs its busiest hour all day: 8 + 6 = 14 GPUs. Reserving 10 and
    3, per option a rents max(0, 8 - 10) = 0 and b 6 - 3 = 3; pooled, 14 - 13 = 1, shared 8/14
    and 6/14: a's 2 idle reserved GPUs serve b.
    """
    rented, provisioned, top = _two_options_on_one_gpu_type(6.0, 3.0, True)
    np.testing.assert_array_equal(rented, [0.0, 0.0])
    assert provisioned == 9.0
    np.testing.assert_array_equal(top, [4.0, 6.0])
    rented, provisioned, _ = _two_options_on_one_gpu_type(4.0, 2.0, True)
    np.testing.assert_allclose(rented, [38 / 24, 22 / 24], rtol=1e-13)
    assert rented.sum() == pytest.approx(2.5, rel=1e-13)
    assert provisioned == 8.5
    rented, provisioned, _ = _two_options_on_one_gpu_type(10.0, 3.0, False)
    np.testing.assert_allclose(rented, [8 / 14, 6 / 14], rtol=1e-13)
    assert provisioned == 14.0


def test_one_pool_prices_as_its_own_fleet() -> None:
    """One pool alone on its GPU type rents what ``on_demand_gpus`` gives for its replicas
    against its own reservation, hour by hour (the two functions are written independently)."""
    need = np.array([3.5] * 12 + [0.5] * 12).reshape(1, 1, 1, 24)
    for autoscale in (True, False):
        rented, provisioned, top = np.empty((1, 1, 1)), np.empty((1, 1)), np.empty((1, 1, 1))
        price_gpu_type(need, np.array([1.0]), np.array([2.0]), np.array([autoscale]),
                       np.array([[3.0]]), rented, provisioned, top)
        expected = on_demand_gpus(replicas(need[0], 1.0), 2.0, np.array([[3.0]]), autoscale)
        assert rented[0, 0, 0] == expected[0, 0]
        assert top[0, 0, 0] == 4.0


def test_reserved_gpus_of_two_models_on_one_gpu_type_serve_each_other() -> None:
    """Two self-hosted models on H200s, each reserving 4 GPUs, carry the shipped bot (peak by day)
    and nightly summarisation (peak by night): their replicas cannot pool (different weights),
    but the 8 reserved H200s serve either model's replicas hour by hour. So the fleets never cost
    more than each workload's own fleet against its own reservation on any path, and less on
    most (the other model's reservation idles at each one's peak); both bases still add up."""
    raw = two_h200_models(4)
    raw["risks"] = [r for r in raw["risks"] if r["kind"] != "licence_change"]
    pf = validate_portfolio(raw)
    assert pools_by_gpu(pf) == {"h200": (0, 1)}
    result = simulate_portfolio(pf, paths=PATHS, seed=9)
    assert np.all(result.pooling_saving_usd >= 0.0)
    assert np.mean(result.pooling_saving_usd > 0.0) > 0.5
    np.testing.assert_allclose(result.usage_basis_usd.sum(axis=1), result.npv_usd, rtol=1e-10)
    np.testing.assert_allclose(result.allocation_basis_usd.sum(axis=1) + result.idle_usd,
                               result.npv_usd, rtol=1e-10)


def test_flat_profiles_pool_to_the_standalone_sum() -> None:
    """Flat loads of whole replicas (3 and 2 every hour) gain nothing from pooling: 5 = 3 + 2;
    with fractions the pooled fleet rounds once instead of twice: ceil(2.4 + 1.4) = 4 < 3 + 2."""
    assert replicas(np.full((1, 1, 24), 5.0), 1.0).max() == 3 + 2
    assert replicas(np.full((1, 1, 24), 3.8), 1.0).max() == 4


def test_pooled_replicas_never_exceed_the_standalone_sum(shipped) -> None:
    for key, pooled in shipped.pooled_replicas.items():
        alone = shipped.standalone_replicas[key]
        assert np.all(pooled <= alone)
        assert np.any(pooled < alone)  # the shipped peaks are hours apart: pooling saves
    assert np.all(shipped.pooling_saving_usd >= 0.0)


def test_one_workload_pools_to_exactly_its_own_fleet() -> None:
    """A portfolio of one workload on a rented fleet: the pooled fleet is the workload's own,
    so the pooling saving is 0.0 on every path (the replay prices the fleet as the kernel did)."""
    text = SHIPPED.read_text()
    pf = loads_portfolio(text[:text.index("  code-assistant:")])  # the support bot alone
    result = simulate_portfolio(pf, paths=PATHS, seed=3)
    assert np.all(result.pooling_saving_usd == 0.0)


def test_both_bases_sum_to_the_total(shipped) -> None:
    """Usage basis: pooled costs split by use. Allocation basis: use at the pool's unit cost,
    idle capacity and unused commitment on their own line. Each adds up to the total, per path."""
    total = shipped.npv_usd
    np.testing.assert_allclose(shipped.usage_basis_usd.sum(axis=1), total, rtol=1e-10)
    np.testing.assert_allclose(shipped.allocation_basis_usd.sum(axis=1) + shipped.idle_usd, total,
                               rtol=1e-10)
    assert np.all(shipped.idle_usd >= -1e-6 * np.abs(total))
    table = shipped.workload_table()
    assert table["usage_basis_usd"].sum() == pytest.approx(total.mean(), rel=1e-10)
    assert table["allocation_basis_usd"].sum() == pytest.approx(total.mean(), rel=1e-10)


def test_vendor_euler_contributions_add_up_to_cvar95(shipped) -> None:
    """E[vendor cost | total in the worst 5%] over vendors and the rest sums to CVaR95,
    recomputed here from the sorted totals."""
    table = shipped.vendor_table()
    k = int(np.ceil(0.05 * PATHS))
    cvar = np.sort(shipped.npv_usd)[-k:].mean()
    assert table["cvar95_contribution_usd"].sum() == pytest.approx(cvar, rel=1e-10)
    assert table["cvar95_share"].sum() == pytest.approx(1.0, rel=1e-10)


def test_commitment_bills_the_tier_or_discounted_usage() -> None:
    """Tier $50k at 10% off for 2 months: usage $40k bills $50k (the tier), $60k bills
    0.9 x 60k = $54k, and after the term $200k bills at list."""
    bill = commitment_bill(np.array([[40_000.0, 60_000.0, 200_000.0]]), 50_000.0, 0.1, 2)
    np.testing.assert_allclose(bill, [[50_000.0, 54_000.0, 200_000.0]])


def test_commitment_changes_the_total_by_its_adjustment(shipped) -> None:
    np.testing.assert_allclose(
        shipped.npv_usd,
        shipped.workload_npv_usd.sum(axis=1) - shipped.pooling_saving_usd + shipped.commitment_usd,
        rtol=1e-10)


def _bad(mutate) -> str:
    raw = _api_portfolio(2)
    mutate(raw)
    with pytest.raises(ScenarioError) as info:
        validate_portfolio(raw)
    line = str(info.value)
    assert "\n" not in line
    return line


def test_bad_input_is_one_line_naming_the_field() -> None:
    assert _bad(lambda r: r["workloads"]["w0"]["strategies"]["api"].update(
        {"mix": {"nope": 1.0}})) == ("workloads.w0.strategies.api.mix.nope: is not a defined "
                                     "option (options are haiku, gpt)")
    raw_other = _api_portfolio(2)
    raw_other["workloads"]["w1"]["strategies"]["mine"] = {"mix": {"gpt": 1.0}}

    def other(r):
        r.update(raw_other)
        r["workloads"]["w0"]["strategy"] = "mine"
    assert _bad(other).startswith("workloads.w0.strategy: must be one of this workload's")

    def vendor(r):
        r["commitments"] = {"acme": {"tiers": [{"usd_per_month": 1000, "discount": 0.1}]}}
    assert _bad(vendor).startswith("commitments.acme: no option billed per token has this vendor")

    def tier(r):
        r["commitments"] = {"anthropic": {"tiers": [{"usd_per_month": 1000, "discount": 0.1}],
                                          "tier": 2}}
    assert _bad(tier).startswith("commitments.anthropic.tier: must be from 1 to 1")

    def duplicate(r):
        r["workloads"]["W0"] = copy.deepcopy(r["workloads"]["w0"])
    assert _bad(duplicate).startswith("workloads.W0: duplicates workload w0")
    assert _bad(lambda r: r.update({"poolin": True})).startswith(
        "poolin: is not a known field (did you mean 'pooling'?)")


def test_pooling_options_that_differ_is_refused() -> None:
    text = SHIPPED.read_text().replace("pooling: true ", "pooling: [[llama, llama-b]] ")
    text = text.replace("switching:", """  llama-b:
    kind: self_hosted
    model: llama-3.3-70b
    gpu: h100-sxm
    precision: fp8
    usd_per_gpu_hour: 2.5
    target_utilization: 0.6
    min_replicas: 1
    max_inter_token_ms: 50
    ops_fte: 1.0
    usd_per_fte_year: 220_000
    setup_usd: 100_000
switching:""", 1)
    with pytest.raises(ScenarioError, match=r"^pooling\.0: cannot pool llama and llama-b: they "
                       r"differ in gpu \(h200 and h100-sxm\)"):
        loads_portfolio(text)


def test_yaml_duplicate_workload_names_are_refused() -> None:
    text = SHIPPED.read_text()
    start = text.index("  rag-search:")
    with pytest.raises(ScenarioError):
        loads_portfolio(text + text[start:])


def test_cli_run_validate_and_bad_input(tmp_path: Path, capsys) -> None:
    assert main(["portfolio", "validate", str(SHIPPED)]) == 0
    assert "ok (Enterprise LLM portfolio; 4 workloads" in capsys.readouterr().out
    assert main(["portfolio", "run", str(SHIPPED), "--paths", str(PATHS), "--json",
                 "--csv-dir", str(tmp_path / "out"), "--xlsx", str(tmp_path / "p.xlsx")]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data["npv"]) >= {"mean", "p5", "p50", "p95", "cvar95"}
    assert [w["workload"] for w in data["workloads"]][:4] == [
        "support-bot", "code-assistant", "batch-summarisation", "rag-search"]
    assert (tmp_path / "out" / "portfolio_workloads.csv").exists()
    assert (tmp_path / "p.xlsx").read_bytes()[:2] == b"PK"
    assert main(["portfolio", "deck", str(SHIPPED), "-o", str(tmp_path / "p.pptx"), "--paths",
                 str(PATHS)]) == 0
    assert (tmp_path / "p.pptx").read_bytes()[:2] == b"PK"
    capsys.readouterr()
    bad = tmp_path / "bad.yaml"
    bad.write_text(SHIPPED.read_text().replace("strategy: self-host", "strategy: hybrid"))
    assert main(["portfolio", "validate", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: workloads.batch-summarisation.strategy: must be one of")
    assert "\n" not in err


def test_outputs_render(shipped) -> None:
    from pptx import Presentation

    data = deck(shipped)
    assert len(Presentation(io.BytesIO(data)).slides) == 7
    assert workbook(shipped)[:2] == b"PK"
    files = csv_files(shipped)
    assert b"usage_basis_npv_usd" in files["portfolio_workloads.csv"]


def test_the_page_opens_the_shipped_portfolio() -> None:
    """The sidebar's portfolio choice opens the shipped portfolio: its name, the four
    workloads on both bases, and the expected NPV as ``simulate_portfolio`` gives it."""
    from streamlit.testing.v1 import AppTest

    from tco.format import usd

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.run()
    # The choice reads as the file's name, not its stem (an internal identifier).
    assert at.selectbox(key="portfolio").options == ["(none: a single scenario)", "Enterprise LLM portfolio"]
    at.selectbox(key="portfolio").select("portfolio-enterprise").run()
    assert not at.exception
    assert at.title[0].value == "Enterprise LLM portfolio"
    assert "10,000" in at.select_slider(key="portfolio_paths").options  # thousands separated
    workloads = at.table[0].value  # a static table: its cells wrap at 1280 px
    assert list(workloads["Workload"])[:4] == ["support-bot", "code-assistant",
                                               "batch-summarisation", "rag-search"]
    expected = simulate_portfolio(load_portfolio(str(SHIPPED)), paths=DEFAULT_PATHS,
                                  seed=DEFAULT_SEED).summary()
    assert at.metric[0].value == usd(expected["mean"])


def test_a_bad_portfolio_upload_is_one_error_line() -> None:
    from tco.ui.portfolio_page import portfolio_page  # noqa: F401 - the page module imports

    bad = SHIPPED.read_text().replace("tier: 1 ", "tier: 3 ")
    with pytest.raises(ScenarioError, match=r"^commitments\.anthropic\.tier: must be from 1 to 2"):
        loads_portfolio(bad)


def test_one_workload_is_its_scenario_bit_for_bit() -> None:
    """A portfolio of one workload, nothing pooled or committed, draws exactly what
    ``tco.simulate`` draws for that workload's scenario: the same per-path NPV, bit for bit."""
    from tco.simulate import simulate

    pf = validate_portfolio(_api_portfolio(1))
    result = simulate_portfolio(pf, paths=PATHS, seed=5)
    alone = simulate(pf.workloads["w0"], paths=PATHS, seed=5)
    assert np.array_equal(result.npv_usd, alone.npv_usd[:, 0])


def test_replayed_token_usage_is_what_the_kernel_billed() -> None:
    """API-only workloads with no risks, no overhead and no switching: the kernel's whole cost is
    list token usage, so the vendors' spend from the replayed routing is the total, per path."""
    raw = _api_portfolio(2)
    raw["risks"] = []
    raw["workloads"]["w1"]["workload"]["requests_per_month"] = 3_000_000
    result = simulate_portfolio(validate_portfolio(raw), paths=PATHS, seed=5)
    spend = sum(result.vendor_usd.values())
    np.testing.assert_allclose(spend, result.npv_usd, rtol=1e-12)
    assert result.vendor_table().set_index("vendor").loc["OpenAI", "mean_usd"] == 0.0


def test_vendors_read_as_companies_and_your_own_fleets(shipped) -> None:
    """The vendor table names a company as it writes itself and a fleet you run by the model it
    serves: never a key ('anthropic', 'llama')."""
    names = set(shipped.vendor_table()["vendor"])
    assert "Anthropic" in names and "Llama 3.3 70B Instruct (your GPUs)" in names
    assert not names & {"anthropic", "llama"}


def test_the_portfolio_deck_reads_as_the_scenario_deck(shipped) -> None:
    """Headings are the page's words with the currency, money is '$5.97M' as on the page (never
    '5,971,478' under 'npv usd'), titles fit their box, and no table or text runs off a slide
    (text heights from ``tco.slides``' glyph widths)."""
    from pptx import Presentation

    from tco.format import usd

    prs = Presentation(io.BytesIO(deck(shipped)))
    cells = [cell.text for slide in prs.slides for shape in slide.shapes if shape.has_table
             for row in shape.table.rows for cell in row.cells]
    assert "Measure" in cells and "NPV ($)" in cells and "Share of CVaR95" in cells
    assert usd(shipped.summary()["mean"]) in cells
    assert not [c for c in cells if "_" in c or c.lower().startswith(("npv usd", "alone npv"))]
    assert not [c for c in cells if c.replace(",", "").replace("-", "").isdigit() and len(c) > 4]
    for slide in prs.slides:
        for shape in slide.shapes:
            assert shape.top + shape.height <= prs.slide_height, slide.shapes.title.text
            assert shape.left + shape.width <= prs.slide_width
    charts = [shape.chart for slide in prs.slides for shape in slide.shapes if shape.has_chart]
    assert len(charts) == 1 and charts[0].value_axis.tick_labels.number_format.startswith('"$"')


def test_compile_readies_the_portfolio_so_a_first_run_compiles_nothing() -> None:
    """``tco compile`` (the README's setup step) leaves the portfolio's compiled functions in
    numba's on-disk cache: a first ``portfolio run`` afterwards, in a new process, writes no cache
    file (numba writes its index and one file per signature it compiles) and says nothing about
    compiling."""
    import subprocess
    import sys

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "tco", *args], capture_output=True, text=True,
                              cwd=ROOT, timeout=900, check=False)

    caches = [ROOT / "tco" / "kernel" / "__pycache__", ROOT / "tco" / "portfolio" / "__pycache__"]
    for stale in [*caches[1].glob("*.nbi"), *caches[1].glob("*.nbc")]:
        stale.unlink()  # a new install: the portfolio's functions are not compiled yet
    done = cli("compile")
    assert done.returncode == 0, done.stderr
    assert "portfolio pooling ready: compiled and cached" in done.stdout

    def files() -> dict[Path, int]:
        return {p: p.stat().st_mtime_ns for c in caches for p in c.glob("*.nb*")}

    before = files()
    assert any(p.name.startswith("pooling.price_gpu_type-") for p in before)
    run = cli("portfolio", "run", str(SHIPPED), "--paths", "300")
    assert run.returncode == 0, run.stderr
    assert "compiling" not in run.stderr
    assert files() == before


def test_a_pooled_commitment_bills_usage_after_the_strategys_negotiated_discount() -> None:
    """One workload, no growth, no risk: 1,000,000 requests a month of 1,000 input and 200 output
    tokens at $3/$15 per Mtok list $6,000 a month; the strategy's 25% negotiated discount bills
    $4,500. A pooled tier of $5,000 at 10% off for the 12 months bills max(5,000, 0.9 x 4,500) =
    $5,000 a month: $60,000 over the horizon (undiscounted, rate 0). Priced on the undiscounted
    usage it would read max(5,000, 0.9 x 6,000) = $5,400 a month, $64,800."""
    workload = {"requests_per_month": 1_000_000, "input_tokens_per_request": 1000,
                "output_tokens_per_request": 200}
    raw = {
        "name": "negotiated", "horizon_months": 12, "discount_rate_per_year": 0.0,
        "options": {"api": {"kind": "api", "input_usd_per_mtok": 3.0, "output_usd_per_mtok": 15.0}},
        "pooling": False,
        "commitments": {"api": {"tiers": [{"usd_per_month": 5_000, "discount": 0.1}],
                                 "term_months": 12}},
        "workloads": {"w": {"workload": workload, "strategy": "api",
                            "strategies": {"api": {"mix": {"api": 1.0},
                                                   "list_price_discount": 0.25}}}},
    }
    result = simulate_portfolio(validate_portfolio(raw), paths=64, seed=1)
    np.testing.assert_allclose(result.npv_usd, 60_000, rtol=1e-12)


def test_the_portfolio_deck_has_a_marked_backup_and_a_glossary(shipped) -> None:
    """As the scenario deck: a main part (title, NPV and tail, cost per workload, vendor shares),
    the 'Backup' divider, then slides whose titles all start 'Backup: ' with one colon, the last a
    glossary that explains every measure the deck's tables head (CVaR95, the bases, the vendors'
    share of the tail)."""
    from pptx import Presentation

    from tco.portfolio.slides import GLOSSARY_COLUMNS
    from tco.slides import BACKUP

    prs = Presentation(io.BytesIO(deck(shipped)))
    titles = [s.shapes.title.text if s.shapes.title is not None else
              next(sh.text_frame.text for sh in s.shapes if sh.has_text_frame) for s in prs.slides]
    divider = titles.index(BACKUP)
    assert divider == 4
    assert all(t.startswith(f"{BACKUP}: ") and t.count(":") == 1 for t in titles[divider + 1:])
    assert titles[-1] == f"{BACKUP}: glossary"
    terms = [row.cells[0].text for shape in prs.slides[-1].shapes if shape.has_table
             for row in shape.table.rows]
    from tco.glossary import describe
    assert {describe(c).label for c in GLOSSARY_COLUMNS} <= set(terms)
    assert {"CVaR95", "Usage basis, expected NPV", "Share of CVaR95"} <= set(terms)


@pytest.mark.parametrize(("tier_usd", "expected_usd"), [(15_000, 180_000), (10_000, 129_600)])
def test_a_pooled_commitment_counts_a_vendor_fine_tune_at_its_fine_tuned_price(
        tier_usd: float, expected_usd: float) -> None:
    """One workload, no growth, no risk, rate 0: 1,000,000 requests a month of 1,000 input and
    200 output tokens at $3/$15 per Mtok list $6,000 a month; every request goes to the vendor's
    fine-tune at 2x the base price (traffic share 1, multiplier 2; training, evaluation and
    hosting free), so the usage billed is $12,000 a month. A pooled tier at 10% off for 12 months:

    - $15,000: max(15,000, 0.9 x 12,000 = 10,800) = $15,000 a month (a $4,200 shortfall),
      $180,000; counted at the base price it read 12,000 + max(15,000, 0.9 x 6,000) - 6,000 =
      $21,000 a month, $252,000.
    - $10,000: max(10,000, 10,800) = $10,800 a month, $129,600 (no shortfall); at the base
      price 12,000 + max(10,000, 5,400) - 6,000 = $16,000 a month, $192,000.
    """
    workload = {"requests_per_month": 1_000_000, "input_tokens_per_request": 1000,
                "output_tokens_per_request": 200}
    raw = {
        "name": "fine-tuned", "horizon_months": 12, "discount_rate_per_year": 0.0,
        "fine_tuning": {"dataset_tokens": 0},
        "options": {"api": {"kind": "api", "input_usd_per_mtok": 3.0, "output_usd_per_mtok": 15.0,
                            "fine_tune": {"usd_per_mtok_trained": 0.0, "price_multiplier": 2.0,
                                          "traffic_share": 1.0}}},
        "pooling": False,
        "commitments": {"api": {"tiers": [{"usd_per_month": tier_usd, "discount": 0.1}],
                                 "term_months": 12}},
        "workloads": {"w": {"workload": workload, "strategy": "api",
                            "strategies": {"api": {"mix": {"api": 1.0}}}}},
    }
    result = simulate_portfolio(validate_portfolio(raw), paths=64, seed=1)
    np.testing.assert_allclose(result.npv_usd, expected_usd, rtol=1e-12)
