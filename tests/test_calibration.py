"""The user's own benchmark files: parsers on published example outputs, the refit, the file, the CLI.

Parser oracles are the numbers printed in each file (tests/data/benchfiles/README.md says where
each file comes from). The refit is checked on runs the capacity model itself generates at known
factors: recovered within 1e-3, and unchanged at the shipped factors.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import yaml

import tco.capacity as capacity
import tco.catalog as catalog
import tco.engines as engines
from tco.calibration import files, formats, refit
from tco.cli import main
from tco.errors import ScenarioError

DATA = Path(__file__).parent / "data" / "benchfiles"
STAGES = sorted(DATA.glob("inference-perf-h100-llama-3.1-8b-stage_*_lifecycle_metrics.json"))
SETUP_8B = refit.Setup("llama-3.1-8b", "h100-sxm", "bf16", 1, "bf16")


def _one(name: str) -> formats.Measured:
    runs, _ = formats.read(str(DATA / name))
    assert len(runs) == 1
    return runs[0]


def test_vllm_bench_serve_save_result() -> None:
    """199 completed of 200: 39,800 / 199 prompt and 25,472 / 199 output tokens per request."""
    p = _one("vllm-bench-serve.json")
    assert p.format == "vllm"
    assert (p.input_tokens, p.output_tokens) == pytest.approx((39800 / 199, 25472 / 199))
    assert p.output_tokens_per_s == pytest.approx(124.58542994370372)
    assert p.time_per_output_token_ms == pytest.approx(34.43461520473263)
    assert p.time_to_first_token_ms == pytest.approx(97.50969301155726)
    assert (p.completed, p.failed) == (199, 1)
    # Little's law: 124.6 tokens/s x 34.4 ms = 4.29 sequences decoding on average
    assert p.concurrency == pytest.approx(124.58542994370372 * 0.03443461520473263)


def test_guidellm_benchmarks_json() -> None:
    runs, _ = formats.read(str(DATA / "guidellm-benchmarks.json"))
    assert [r.label for r in runs] == ["benchmark 0", "benchmark 1"]
    second = runs[1]
    assert (second.input_tokens, second.output_tokens) == (256.0, 128.0)
    assert (second.output_tokens_per_s, second.time_per_output_token_ms) == (3900.0, 9.8)
    assert (second.completed, second.failed) == (600, 2)


def test_aiperf_profile_export() -> None:
    p = _one("aiperf-profile_export_aiperf.json")
    assert (p.format, p.input_tokens, p.output_tokens) == ("aiperf", 550.0, 256.0)
    assert (p.output_tokens_per_s, p.time_per_output_token_ms) == (371.2, 10.1)
    assert p.time_to_first_token_ms == 95.2
    assert (p.completed, p.failed) == (20, 0)


def test_inference_perf_lifecycle_metrics() -> None:
    """Stage 0 of the KubeCon 2025 demo: time per output token = (0.48323 s latency - 0.03332 s
    TTFT) / (62.35 - 1) tokens = 7.33 ms (the report's own 3.48 ms counts streamed chunks)."""
    p = formats.read(str(STAGES[0]))[0][0]
    assert (p.input_tokens, p.output_tokens) == pytest.approx((200.68333333333334, 62.35))
    assert p.output_tokens_per_s == pytest.approx(62.15363932698074)
    latency_s, ttft_s = 0.48322820343310013, 0.03331898592878133
    assert p.time_per_output_token_ms == pytest.approx((latency_s - ttft_s) / 61.35 * 1000)
    assert p.time_per_output_token_ms == pytest.approx(7.333, abs=1e-3)
    assert (p.completed, p.failed) == (60, 0)


def test_benchmark_report_v0_2() -> None:
    """Latencies in s/token are converted to ms; requests total 500 with 0 failures."""
    p = _one("benchmark-report-v0.2.yaml")
    assert p.format == "benchmark-report"
    assert p.output_tokens_per_s == 2262.448
    assert p.time_per_output_token_ms == pytest.approx(36.8578234128654)
    assert (p.completed, p.failed) == (500, 0)


def test_inferencex_json_and_csv_read_the_same_rows() -> None:
    """43 H100 rows; the first: 888.17 output tokens/s per GPU on tp 4 = 3,552.7 for the replica."""
    as_json, _ = formats.read(str(DATA / "inferencex-agg_bmk-h100-gpt-oss-120b.json"))
    as_csv, _ = formats.read(str(DATA / "inferencex-h100-gpt-oss-120b.csv"))
    assert len(as_json) == len(as_csv) == 43
    strip = [dataclasses.replace(r, file="") for r in as_json]
    assert strip == [dataclasses.replace(r, file="") for r in as_csv]
    first = next(r for r in as_csv if r.label == "row 1")
    assert first.output_tokens_per_s == pytest.approx(888.1698152106957 * 4)
    assert (first.gpu, first.replica_gpus, first.model, first.precision, first.layout) == (
        "h100-sxm", 4, "gpt-oss-120b", "fp4", "tp")
    assert (first.input_tokens, first.output_tokens) == (8192.0, 1024.0)


VLLM_RUN = {"date": "20261205-000000", "backend": "vllm", "model_id": "meta-llama/Llama-3.1-8B-Instruct",
            "num_prompts": 100, "completed": 100, "failed": 0, "mean_ttft_ms": 50.0}


def _write_vllm(path: Path, *, throughput: float, tpot_ms: float, shape=(1000.0, 250.0), **extra) -> Path:
    doc = dict(VLLM_RUN, total_input_tokens=100 * shape[0], total_output_tokens=100 * shape[1],
               output_throughput=throughput, mean_tpot_ms=tpot_ms, **extra)
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _model_runs(tmp_path: Path, eff: capacity.Efficiency, batches, shape=(1000.0, 250.0),
                setup: refit.Setup = SETUP_8B) -> list[Path]:
    """vLLM result files the capacity model itself produces at ``eff``: at batch B the mean step
    (prompts prefilled in chunks of the engine's budget, ``capacity.step_times``) takes t(B), the
    run emits B / t(B) tokens/s and each sequence waits t(B) per token."""
    m, g = catalog.model(setup.model), catalog.gpu(setup.gpu)
    out = []
    for b in batches:
        arr = np.array([float(b)])
        chunk = capacity.chunk_tokens(engines.engine(setup.engine), g, shape[0], arr)
        t = capacity.step_times(m, g, setup.precision, setup.kv_cache_precision, setup.gpus, arr, shape, eff,
                                setup.layout, chunk).mean[0]
        out.append(_write_vllm(tmp_path / f"run-{b}.json", throughput=b / t, tpot_ms=t * 1000, shape=shape))
    return out


def cal_runs(paths: list[Path]) -> list[formats.Measured]:
    return _runs(paths)


def _runs(paths: list[Path]) -> list[formats.Measured]:
    return [r for p in paths for r in formats.read(str(p))[0]]


MEMORY_BOUND_BATCHES = (1, 2, 4, 8, 16)


def test_runs_at_a_known_efficiency_recover_it(tmp_path: Path) -> None:
    """Runs generated with HBM efficiency 0.60 (the shipped fit has 0.729) recover 0.60 within 1e-3."""
    truth = dataclasses.replace(capacity.EFFICIENCY, memory=0.60)
    runs = _runs(_model_runs(tmp_path, truth, MEMORY_BOUND_BATCHES))
    cal = refit.calibrate(SETUP_8B, runs)
    assert {r.regime for r in cal.rows} == {"decode memory-bound"}
    # 1-16 sequences: the floor's share hardly moves (0.135 to 0.101), so it is not refit
    assert cal.refit == ("memory",)
    assert cal.efficiency.memory == pytest.approx(0.60, abs=1e-3)
    assert max(abs(np.log(r.ratio_after)) for r in cal.rows) < 2e-3
    assert min(abs(np.log(r.ratio_before)) for r in cal.rows) > 0.05  # the shipped fit missed them


def test_runs_at_the_shipped_factors_change_nothing(tmp_path: Path) -> None:
    """Memory-bound, compute-bound and prefill runs the shipped model generates: every factor and
    multiplier stays as shipped."""
    batches = (*MEMORY_BOUND_BATCHES, 64, 128, 256, 512)
    runs = _runs(_model_runs(tmp_path, capacity.EFFICIENCY, batches, shape=(200.0, 400.0)))
    cal = refit.calibrate(SETUP_8B, runs)
    assert len(cal.refit) >= 1
    for name in files.FACTORS:
        assert getattr(cal.efficiency, name) == getattr(capacity.EFFICIENCY, name), name
    assert all(v == 1.0 for v in cal.multipliers.values())
    assert cal.residual_log_sd < 1e-9


SMALL_BATCHES = (1, 2, 4, 8, 16, 32, 64, 128)


def test_runs_at_a_known_floor_recover_it(tmp_path: Path) -> None:
    """Runs generated with a per-layer floor of 20 us (33 us shipped) and HBM efficiency 0.60:
    Llama 3.1 8B in BF16 on one H100 decoding 1-128 sequences (1,000 in, 250 out), where 32 layers
    x 20 us = 0.64 ms is about a tenth of a step at batch 1 and 2-3% at 128. Both are refit (the
    floor is the step's intercept, the bandwidth its slope in the KV cache) and recovered within
    1e-3 (relative); the file carries the floor and reads it back."""
    truth = dataclasses.replace(capacity.EFFICIENCY, memory=0.60, layer_floor_us=20.0)
    paths = _model_runs(tmp_path, truth, SMALL_BATCHES)
    cal = refit.calibrate(SETUP_8B, _runs(paths))
    assert set(cal.refit) == {"memory", "layer_floor_us"}
    assert cal.efficiency.layer_floor_us == pytest.approx(20.0, rel=1e-3)
    assert cal.efficiency.memory == pytest.approx(0.60, rel=1e-3)
    doc = files.document(cal, [("runs.json", b"{}", "vllm", len(paths))], dt.date(2026, 12, 5))
    assert doc["factors"]["layer_floor_us"] == cal.efficiency.layer_floor_us
    assert doc["factors"]["step_floor_us"] == capacity.EFFICIENCY.step_floor_us
    path = tmp_path / "cal.yaml"
    path.write_bytes(files.dumps(doc))
    assert files.load(str(path)).efficiency.layer_floor_us == cal.efficiency.layer_floor_us


def test_runs_at_the_shipped_floor_leave_it_unchanged(tmp_path: Path) -> None:
    """Runs of 1-128 sequences the shipped model generates: the floor is refit and stays at 33 us."""
    cal = refit.calibrate(SETUP_8B, _runs(_model_runs(tmp_path, capacity.EFFICIENCY, SMALL_BATCHES)))
    assert "layer_floor_us" in cal.refit
    assert cal.efficiency.layer_floor_us == capacity.EFFICIENCY.layer_floor_us
    assert cal.efficiency == capacity.EFFICIENCY


def test_large_batch_runs_do_not_touch_the_floor(tmp_path: Path) -> None:
    """At 64-512 sequences (200 in, 400 out) the floor is 3-10% of a step: it is not refit."""
    runs = _runs(_model_runs(tmp_path, capacity.EFFICIENCY, (64, 128, 256, 512), shape=(200.0, 400.0)))
    cal = refit.calibrate(SETUP_8B, runs)
    assert "layer_floor_us" not in cal.refit
    assert all(refit.floor_share(SETUP_8B, r.point, capacity.EFFICIENCY) < refit.FLOOR_GOVERNS_SHARE
               for r in cal.rows)


def _slow_runs(tmp_path: Path, tpot_ms_per_s: float) -> list[Path]:
    """vLLM results at batches 1 and 2 of Llama 3.1 8B on one H100 in bf16 (1,000 in, 250 out),
    each at 1 / 1.2 of the model's tokens per second, with an inter-token latency of the model's
    step x ``tpot_ms_per_s`` (1,000: the model's step; 1,200: 20% longer)."""
    paths = []
    for b in (1, 2):
        arr = np.array([float(b)])
        m, g = catalog.model("llama-3.1-8b"), catalog.gpu("h100-sxm")
        t = capacity.step_seconds(m, g, "bf16", "bf16", 1, arr, arr * 4.0, (1000.0, 250.0),
                                  capacity.EFFICIENCY)[0]
        paths.append(_write_vllm(tmp_path / f"slow-{b}.json", throughput=b / t / 1.2,
                                 tpot_ms=t * tpot_ms_per_s))
    return paths


def test_fewer_than_three_runs_in_a_regime_fit_one_multiplier(tmp_path: Path) -> None:
    """Two runs 20% slower than the shipped model: no factor moves; the regime gets a multiplier
    between 1/1.2 and 1, shrunk toward 1 by the prior."""
    cal = refit.calibrate(SETUP_8B, _runs(_slow_runs(tmp_path, tpot_ms_per_s=1000)))
    assert cal.refit == ()
    assert cal.efficiency == capacity.EFFICIENCY
    (regime, value), = cal.multipliers.items()
    assert regime == "decode memory-bound"
    assert 1 / 1.2 - 1e-3 < value < 1.0


def test_real_inference_perf_runs_fit_better_after(tmp_path: Path) -> None:
    """The seven KubeCon 2025 stages (Llama 3.1 8B, one H100, vLLM 0.11): the calibration narrows
    the spread about them, and every run lands within 10% afterwards."""
    cal = refit.calibrate(SETUP_8B, _runs(STAGES))
    before = np.sqrt(np.mean([np.log(r.ratio_before) ** 2 for r in cal.rows]))
    assert cal.residual_log_sd < before
    assert all(abs(np.log(r.ratio_after)) < np.log(1.1) for r in cal.rows)
    for name in cal.refit:
        low, high, _ = capacity.FIT_BOUNDS[name]
        assert low <= getattr(cal.efficiency, name) <= high


def test_cli_writes_the_calibration_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "calibration.yaml"
    code = main(["calibrate", *map(str, STAGES), "--model", "llama-3.1-8b", "--gpu", "h100-sxm",
                 "--precision", "bf16", "--gpus", "1", "--input-tokens", "200", "--output-tokens", "60",
                 "-o", str(target)])
    out = capsys.readouterr().out
    assert code == 0
    assert "ratio before" in out and "decode memory-bound" in out and "prefill-bound" in out
    doc = yaml.safe_load(target.read_text(encoding="utf-8"))
    assert doc["kind"] == files.KIND and doc["model"] == "llama-3.1-8b"
    hashes = [hashlib.sha256(p.read_bytes()).hexdigest() for p in STAGES]
    assert [s["sha256"] for s in doc["sources"]] == hashes
    assert len(doc["runs"]) == 7
    loaded = files.load(str(target))
    assert loaded.efficiency.memory == doc["factors"]["memory"]
    assert loaded.throughput_log_sd == max(doc["residual_log_sd"], files.MIN_RESIDUAL_LOG_SD)
    first = next(r for r in cal_runs(STAGES) if r.file == str(STAGES[0]))
    assert loaded.own_points()[0] == pytest.approx((1000 / first.time_per_output_token_ms,
                                                    first.output_tokens_per_s), rel=1e-4)
    with pytest.raises(ScenarioError, match="outside what"):
        loaded.check_shape(8000, 60, "options.x.capacity_calibration")


def test_cli_keeps_only_the_inferencex_rows_of_the_replica(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """The file holds tp 2, 4 and 8 runs: --gpus 2 keeps the 15 rows with tp 2."""
    code = main(["calibrate", str(DATA / "inferencex-h100-gpt-oss-120b.csv"), "--model", "gpt-oss-120b",
                 "--gpu", "h100-sxm", "--precision", "fp4", "--gpus", "2"])
    out = capsys.readouterr().out
    assert code == 0
    assert out.count("inferencex-h100-gpt-oss-120b.csv (row") == 15


def _fails(argv: list[str], capsys: pytest.CaptureFixture[str], target: Path) -> str:
    code = main([*argv, "-o", str(target)])
    captured = capsys.readouterr()
    assert code == 2
    assert not target.exists()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1
    return lines[0]


BASE = ["--model", "llama-3.1-8b", "--gpu", "h100-sxm", "--precision", "bf16", "--gpus", "1"]


def test_bad_files_fail_in_one_line_and_write_nothing(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "out.yaml"
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text("name: not a benchmark\noptions: {}\n", encoding="utf-8")
    line = _fails(["calibrate", str(scenario), *BASE], capsys, target)
    assert f"{scenario}: format: is none of the benchmark formats" in line
    zero = _write_vllm(tmp_path / "zero.json", throughput=0.0, tpot_ms=10.0)
    assert "zero.json: output_throughput: must be greater than 0" in _fails(["calibrate", str(zero), *BASE],
                                                                          capsys, target)
    negative = _write_vllm(tmp_path / "neg.json", throughput=100.0, tpot_ms=-3.0)
    assert "neg.json: mean_tpot_ms: must be greater than 0" in _fails(["calibrate", str(negative), *BASE],
                                                                     capsys, target)
    failed = tmp_path / "failed.json"
    failed.write_text(json.dumps(dict(VLLM_RUN, completed=0, failed=100, total_input_tokens=0,
                                      total_output_tokens=0, output_throughput=0.0, mean_tpot_ms=0.0)),
                      encoding="utf-8")
    assert "failed.json: completed: no successful request (100 failed)" in _fails(
        ["calibrate", str(failed), *BASE], capsys, target)
    good = str(STAGES[0])
    assert "--model: unknown model 'llama-9'" in _fails(
        ["calibrate", good, "--model", "llama-9", "--gpu", "h100-sxm", "--precision", "bf16", "--gpus", "1"],
        capsys, target)
    assert "--gpu: unknown GPU 'tpu-v9'" in _fails(
        ["calibrate", good, "--model", "llama-3.1-8b", "--gpu", "tpu-v9", "--precision", "bf16",
         "--gpus", "1"],
        capsys, target)
    assert "--input-tokens: 8,000 input tokens per request is outside what" in _fails(
        ["calibrate", good, *BASE, "--input-tokens", "8000", "--output-tokens", "60"], capsys, target)
    long = _write_vllm(tmp_path / "long.json", throughput=100.0, tpot_ms=10.0, shape=(200_000.0, 100.0))
    assert "long.json: input and output tokens: 200,100 tokens per request exceed" in _fails(
        ["calibrate", str(long), *BASE], capsys, target)
    other_gpu = ["calibrate", str(DATA / "inferencex-h100-gpt-oss-120b.csv"), "--model", "gpt-oss-120b",
                 "--gpu", "b200", "--precision", "fp4", "--gpus", "2"]
    assert "inferencex-h100-gpt-oss-120b.csv: rows: no run matches" in _fails(other_gpu, capsys, target)


def test_calibration_file_rules(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("kind: something-else\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="is not a calibration file"):
        files.load(str(path))
    cal = refit.calibrate(SETUP_8B, _runs(STAGES))
    doc = files.document(cal, [], __import__("datetime").date(2026, 12, 5))
    doc["factors"]["memory"] = 0.95
    path.write_bytes(files.dumps(doc))
    with pytest.raises(ScenarioError, match="factors: memory: must be within 0.42-0.84"):
        files.load(str(path))


def _scenario_with(tmp_path: Path, calibration: Path, gpus: str = "") -> Path:
    shipped_scenario = Path(__file__).parent.parent / "scenarios" / "startup-api-cheaper.yaml"
    text = shipped_scenario.read_text(encoding="utf-8")
    anchor = "    precision: bf16\n"
    assert text.count(anchor) == 1
    text = text.replace(anchor, f"{anchor}    capacity_calibration: {calibration}\n{gpus}")
    path = tmp_path / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_self_hosted_option_takes_a_calibration_file(tmp_path: Path) -> None:
    """startup-api-cheaper's Llama 3.1 8B on H100 (1,200 in / 300 out) calibrated on runs the model
    makes at HBM efficiency 0.60: the plan uses the file's factors, and the throughput factor the
    file's spread floored at 0.05, citing the file and its hash."""
    import tco

    truth = dataclasses.replace(capacity.EFFICIENCY, memory=0.60)
    runs = _model_runs(tmp_path, truth, MEMORY_BOUND_BATCHES, shape=(1200.0, 300.0))
    target = tmp_path / "calibration.yaml"
    assert main(["calibrate", *map(str, runs), *BASE, "-o", str(target)]) == 0
    loaded = tco.load_scenario(_scenario_with(tmp_path, target))
    plan = loaded.inputs.plans["llama-8b"]
    kw = dict(model="llama-3.1-8b", gpu="h100-sxm", precision="bf16", gpus=1, input_tokens=1200,
              output_tokens=300, max_inter_token_ms=30)
    shipped = capacity.plan(**kw)
    expected = capacity.plan(**kw, efficiency=files.load(str(target)).efficiency)
    assert plan.output_tokens_per_s == pytest.approx(expected.output_tokens_per_s)
    assert plan.output_tokens_per_s < shipped.output_tokens_per_s  # slower memory, fewer tokens
    assert plan.throughput_log_sd == files.MIN_RESIDUAL_LOG_SD  # the runs fit almost exactly
    param = loaded.inputs.params["options.llama-8b.throughput_factor"]
    assert hashlib.sha256(target.read_bytes()).hexdigest() in param.source
    assert str(target) in param.source


def test_a_calibration_of_another_shape_or_model_is_refused(tmp_path: Path) -> None:
    import tco

    target = tmp_path / "calibration.yaml"
    assert main(["calibrate", *map(str, STAGES), *BASE, "-o", str(target)]) == 0
    with pytest.raises(ScenarioError, match=r"options.llama-8b.capacity_calibration: 1,200 input tokens "
                       r"per request is outside what .* covers \(201-201"):
        tco.load_scenario(_scenario_with(tmp_path, target))
    with pytest.raises(ScenarioError, match="was measured on 1 GPUs per replica, not 2"):
        tco.load_scenario(_scenario_with(tmp_path, target, gpus="    gpus: 2\n"))


def test_throughput_latency_chart() -> None:
    """gpt-oss-120b on 2 x H100: along the model's curve tokens per GPU rise and tokens per user
    fall with the batch; the chosen point is the curve's point at the plan's batch; the 15
    InferenceX runs on H100 and the user's runs are drawn; plotly renders it."""
    from tco.figures import to_figure
    from tco.figures.capacity import CHOSEN, MODEL_CURVE, OWN, PUBLISHED, throughput_latency

    plan = capacity.plan(model="gpt-oss-120b", gpu="h100-sxm", precision="fp4", gpus=2, input_tokens=1024,
                         output_tokens=1024, max_inter_token_ms=40, serving_engine="vllm")
    spec = throughput_latency(plan, 1024, 1024, own_runs=[(150.0, 900.0), (60.0, 1800.0)])
    curve = spec.frame[spec.frame["series"] == MODEL_CURVE]
    assert (np.diff(curve["y"]) > 0).all() and (np.diff(curve["x"]) < 0).all()
    chosen = spec.frame[spec.frame["series"] == CHOSEN].iloc[0]
    assert chosen["y"] == pytest.approx(plan.output_tokens_per_s_per_gpu)
    assert chosen["x"] == pytest.approx(1000 / plan.inter_token_ms)
    assert chosen["x"] >= 1000 / 40  # the latency target holds
    assert (spec.frame["series"] == PUBLISHED).sum() == 43  # every H100 gpt-oss run, any size
    assert (spec.frame["series"] == OWN).sum() == 2
    assert len(to_figure(spec).data) == 4


def test_a_calibration_and_a_measured_speed_are_not_both_given(tmp_path: Path) -> None:
    import tco

    path = _scenario_with(tmp_path, tmp_path / "c.yaml", gpus="    tokens_per_second_per_gpu: 900\n")
    with pytest.raises(ScenarioError, match="capacity_calibration: give it or tokens_per_second_per_gpu"):
        tco.load_scenario(path)


def test_a_regime_multiplier_scales_the_latencies_with_the_throughput(tmp_path: Path) -> None:
    """Two runs whose steps take 20% longer than the model's give one multiplier m near 1 / 1.2:
    the calibrated replica emits m x the tokens the model does at a batch, each step, the
    inter-token latency and the time to first token taking 1 / m as long; under a 12 ms target its
    batch is the model's under 12 x m ms, so the calibrated step still meets 12 ms."""
    import datetime as dt

    # every step 20% longer: b sequences (Little's law) at 1 / 1.2 of the model's tokens/s
    cal = refit.calibrate(SETUP_8B, _runs(_slow_runs(tmp_path, tpot_ms_per_s=1200)))
    target = tmp_path / "calibration.yaml"
    target.write_bytes(files.dumps(files.document(cal, [], dt.date(2026, 12, 5))))
    kw = dict(model="llama-3.1-8b", gpu="h100-sxm", precision="bf16", input_tokens=1000.0,
              output_tokens=250.0, max_inter_token_ms=12.0, field="o")
    shipped = capacity.plan(**kw, gpus=1)
    calibrated = files.plan(str(target), **kw)
    assert shipped.regime == "decode memory-bound"  # a small batch under the 12 ms target
    multiplier = cal.multipliers[shipped.regime]
    assert 1 / 1.2 - 1e-3 < multiplier < 0.9
    tighter = capacity.plan(**{**kw, "max_inter_token_ms": 12.0 * multiplier}, gpus=1)
    assert calibrated.max_batch == tighter.max_batch < shipped.max_batch
    assert calibrated.output_tokens_per_s == pytest.approx(tighter.output_tokens_per_s * multiplier)
    assert calibrated.inter_token_ms == pytest.approx(tighter.inter_token_ms / multiplier)
    assert calibrated.inter_token_ms <= 12.0
    assert calibrated.time_to_first_token_ms == pytest.approx(tighter.time_to_first_token_ms / multiplier)
