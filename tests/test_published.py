"""The capacity model beside every published result, and the fit / hold-out discipline.

Each point prints its ratio (model / measured output tokens per second per GPU). Asserted: the
issue's tolerance band, which the fitted model meets on fit and hold-out points alike (every
point within a factor of 2.2, none refused; the worst is 1.86), and on the hold-out half a median
|log10 ratio| <= 0.08 (0.046) and >= 90% within x/÷1.5 (98%) overall and in every regime (the
mixtures of experts, now modelled with attention data parallelism and expert parallelism as
NVIDIA ran them, reach 95%).
"""

from __future__ import annotations

import numpy as np
import pytest

import tco.capacity as capacity
import tco.catalog as catalog
import tco.published as published

TABLE = published.table()
ROWS = {row.key: row for row in TABLE.itertuples()}


def test_enough_points_across_the_space() -> None:
    assert len(TABLE) >= 40
    assert {"h100-sxm", "h200", "b200"} <= set(TABLE["gpu"])
    assert {"fp8", "fp4"} <= set(TABLE["precision"])
    assert set(TABLE["regime"]) == set(capacity.REGIMES)
    assert list(TABLE.columns) == ["key", "model", "gpu", "precision", "shape", "engine", "measured",
                                   "predicted", "ratio", "regime", "split", "source", "as_of"]
    assert TABLE["source"].str.len().min() > 0


@pytest.mark.parametrize("key", sorted(ROWS))
def test_point(key: str) -> None:
    row = ROWS[key]
    print(f"{key} [{row.split}, {row.regime}]: measured {row.measured:.0f}, model {row.predicted:.0f} "
          f"tok/s/GPU, ratio {row.ratio:.2f}")
    assert np.isfinite(row.ratio), "refused a configuration that was published"
    assert 1 / 2.2 <= row.ratio <= 2.2


def test_holdout_summary() -> None:
    summary = published.summary(TABLE).set_index(["regime", "split"])
    held = summary.loc[("all", "holdout")]
    print(summary.round(3).to_string())
    assert held["refusals"] == 0
    assert held["median_abs_log10"] <= 0.08
    assert held["within_1_5"] >= 0.90
    assert held["max_ratio_error"] <= 2.2
    for regime in capacity.REGIMES:
        assert summary.loc[(regime, "holdout"), "within_1_5"] >= 0.90, regime


def test_split_rule() -> None:
    """Within a regime, sorted by key, points alternate hold-out, fit: fit is never the larger half."""
    for regime, part in TABLE.groupby("regime"):
        ordered = part.sort_values("key")
        expected = ["fit" if i % 2 else "holdout" for i in range(len(ordered))]
        assert list(ordered["split"]) == expected, regime
        assert (ordered["split"] == "fit").sum() <= (ordered["split"] == "holdout").sum()


def test_fit_reads_only_the_fit_half_within_the_bounds(monkeypatch) -> None:
    """The loss the optimiser sees is computed from fit points only, and the optimiser is held
    to ``capacity.FIT_BOUNDS``; the shipped factors are the fit's own result (a refit from them
    returns them: benchmarks/calibrate_capacity.py)."""
    seen: list[str] = []
    passed: dict = {}
    judged: list[capacity.Efficiency] = []
    real_predict = published.predict

    def recording(b, efficiency=capacity.EFFICIENCY):
        seen.append(b.key)
        judged.append(efficiency)
        return real_predict(b, efficiency)

    def one_call(loss, x0, **kwargs):
        passed.update(kwargs)
        loss(x0)
        return type("R", (), {"x": x0})()

    monkeypatch.setattr(published, "predict", recording)
    import scipy.optimize  # published.fit imports minimize from it when it runs

    monkeypatch.setattr(scipy.optimize, "minimize", one_call)
    assert published.fit() == capacity.EFFICIENCY
    fit_keys = set(TABLE.loc[TABLE["split"] == "fit", "key"])
    assert set(seen) == fit_keys
    # the optimiser moves each factor's place within its bounds (0 at the low one, 1 at the high)
    assert passed["bounds"] == [(0.0, 1.0)] * len(published.FITTED)
    for name in published.FITTED:
        assert getattr(judged[0], name) == pytest.approx(getattr(capacity.EFFICIENCY, name), abs=1e-9)


def test_harness_limits_by_hand() -> None:
    """trtllm-bench's heuristic for Qwen3-235B FP8 on 8 x H100, 1000 in / 1000 out: 8 x 80 GiB
    - 235e9 B / 2^30 = 421.14 GiB free, x 0.95 = 400.08 GiB; a token's KV cache is 2 x 94 layers
    x max(8 GPUs, 4 heads) x 128 x 1 B = 192,512 B, so 2,000 tokens hold 0.35858 GiB and 1,115.7
    requests fit: batch rounded up to 256s = 1,280; tokens 2 x 1,115.7 = 2,231 rounded up to 256s
    = 2,304 (at least 1,000 + 1,280 without chunked prefill). vLLM v0.6.0 rows cap at 256."""
    b = catalog.benchmarks()["trtllm10-h100-sxm-qwen3-235b-a22b-tp8-1000-1000"]
    assert published.trtllm_bench_limits(b, chunked_prefill=False) == (1280, 2304)
    e = published.harness_engine(b)
    assert (e.key, e.max_sequences, e.max_tokens_per_step, e.memory_share) == (
        "trtllm-bench-pytorch", 1280, 2304, 0.95)
    assert published.layout(b) == "dp-ep"
    vllm = published.harness_engine(catalog.benchmarks()["vllm060-h100-llama31-70b-tp4"])
    assert vllm.sequence_cap(catalog.gpu("h100-sxm")) == 256
    mlperf = catalog.benchmarks()["mlperf41-h100-llama2-70b-offline"]
    assert published.harness_engine(mlperf) == "tensorrt-llm"


def test_regime_sd_matches_the_fit_half() -> None:
    """REGIME_LOG_SD in tco/capacity.py is the fit half's RMS ln ratio (to the printed 3 digits)."""
    for regime, sd in published.regime_log_sd(TABLE).items():
        assert capacity.REGIME_LOG_SD[regime] == pytest.approx(sd, abs=5e-4)


def test_every_benchmark_names_known_keys() -> None:
    for b in (*catalog.benchmarks().values(), *catalog.external_benchmarks().values()):
        m = catalog.model(b.model)
        catalog.gpu(b.gpu)
        assert b.engine in capacity.SERVING_ENGINES
        assert b.precision in capacity.PRECISIONS
        assert published.layout(b) in capacity.LAYOUTS
        assert published.layout(b) == "tp" or m.is_moe
        assert published.row_columns()[b.key]["harness"] in published.HARNESSES


LOSO = published.loso_table()


def test_external_sources_are_never_fitted() -> None:
    """benchmarks_external.csv shares no key with the table the factors are fitted on; where it
    shares a publication (the RTX PRO 6000 tables of TensorRT-LLM v1.0, whose other GPUs are in the
    table), its points are judged by the fold fitted without that publication."""
    table, external = catalog.benchmarks(), catalog.external_benchmarks()
    assert not set(table) & set(external)
    shared = {published.source_group(b) for b in table.values()} & {
        published.source_group(b) for b in external.values()}
    assert shared == {"TensorRT-LLM v1.0"}
    folds = published.stored_loso()
    rows = LOSO[LOSO["external"] & LOSO["source_group"].isin(shared)]
    assert len(rows) == 79 and {external[k].gpu for k in rows["key"]} == {"rtx-pro-6000"}
    for key in rows["key"].head(3):
        b = external[key]
        expected = published.predict(b, folds["TensorRT-LLM v1.0"]) / b.measured_output_tokens_per_s_per_gpu
        assert rows.set_index("key").loc[key, "ratio"] == pytest.approx(expected, rel=1e-12)
    assert {"InferenceMAX nightly run 20218553330", "InferenceMAX nightly run 20613446912"} <= set(
        LOSO["source_group"])


def test_pipeline_points_meet_the_holdout_goal() -> None:
    """The 79 RTX PRO 6000 points (TP x PP, 69 of them with 2 to 8 stages), judged without their
    publication: the issue's goal on held-out sources (median |log10| <= 0.08, >= 85% within
    x/1.5, every point within x/2.5, no refusal) holds for the pipeline-parallel category."""
    summary = published.loso_summary(LOSO)
    row = summary[(summary["sources"] == "external sources")
                  & (summary["category"] == "pipeline-parallel")].iloc[0]
    assert row["n"] == 69 and row["refusals"] == 0
    assert row["median_abs_log10"] <= 0.08 and row["within_1_5"] >= 0.85 and row["max_ratio_error"] <= 2.5


def test_loso_factors_cover_every_source_within_the_bounds() -> None:
    """tco/data/capacity_loso.csv has one fold per source of benchmarks.csv, fitted on every other
    source (its point count says so), plus the fold on the whole table; benchmarks/
    calibrate_capacity.py --loso rewrites it when a source is added."""
    import csv as csv_module
    table = list(catalog.benchmarks().values())
    groups = {published.source_group(b) for b in table}
    with open(catalog.DATA_DIR / published.LOSO_FILE, newline="", encoding="utf-8") as handle:
        rows = {row["held_out"]: row for row in csv_module.DictReader(handle)}
    assert set(rows) == groups | {published.ALL_TABLE}
    for group, row in rows.items():
        expected = len(table) if group == published.ALL_TABLE else sum(
            published.source_group(b) != group for b in table)
        assert int(row["fitted_points"]) == expected, group
        for name in published.FITTED:
            low, high, _ = capacity.FIT_BOUNDS[name]
            assert low <= float(row[name]) <= high, (group, name)


def test_loso_report_per_category() -> None:
    """Every point judged without its source; no refusal anywhere (the issue's first goal) and
    every category of the issue reported."""
    summary = published.loso_summary(LOSO)
    print(summary.round(3).to_string())
    print(published.loso_by_source(LOSO).round(3).to_string())
    assert int(summary.loc[(summary["sources"] == "all sources") & (summary["category"] == "all"),
                           "refusals"].iloc[0]) == 0
    assert set(published.CATEGORIES) <= set(summary["category"])
    assert len(LOSO) == len(catalog.benchmarks()) + len(catalog.external_benchmarks())
