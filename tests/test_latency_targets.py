"""Throughput under latency targets: the per-token target, the time-to-first-token target, and how
the published points held by a latency target or a client's concurrency are evaluated."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

import tco.capacity as capacity
import tco.catalog as catalog
import tco.published as published
import tco.published_harness as published_harness
import tco.published_latency as published_latency
from tco.errors import ScenarioError
from tests.conftest import HOSTED, message, raw

SIMPLE = capacity.Efficiency(memory=1.0, compute=1.0)
"""Datasheet bandwidth, the measured matmul ceiling, perfect overlap: the hand sums use these."""

DENSE = dict(model="llama-3.1-8b", gpu="h100-sxm", precision="bf16", gpus=1, input_tokens=1,
             output_tokens=100, serving_engine="tensorrt-llm", efficiency=SIMPLE)
"""Llama 3.1 8B in BF16 on one H100, 1 token in and 100 out, TensorRT-LLM's defaults (2,048
sequences, 8,192 tokens a step)."""

PER_TOKEN_S = 2 * 8.03e9 / (989e12 * 0.803)
"""GEMM seconds per token: 2 x 8.03e9 FLOPs over 989 TFLOPS x the measured 0.803 = 20.2225 us."""
KV_S = 32 * 2 * 8 * 128 * 2 * 51 / 3.35e12
"""KV-cache seconds per decoding sequence: 32 layers x K and V x 8 heads x 128 x 2 bytes x 51
tokens of context (1 + 100 / 2) = 6,684,672 B over 3.35 TB/s = 1.99542 us."""


def test_the_batch_that_meets_a_40_ms_target_and_its_throughput() -> None:
    """A step of B sequences carries B / 100 prefill tokens (its whole chunk: each prompt is one
    token), so T = 1.01 B tokens. Above 237 tokens the GEMMs (1.01 B x 20.2225 us) outlast the
    weight reads (16.06 GB / 3.35 TB/s = 4.794 ms), and the KV reads (B x 1.99542 us) outlast the
    attention FLOPs (51 x 2 x 32 x 32 x 256 = 26.7 MFLOP a sequence, 0.034 us), so with perfect
    overlap

        t_step(B) = B x (1.01 x 20.2225 + 1.99542) us = B x 22.4201 us.

    The largest B with t_step <= 40 ms is floor(40,000 / 22.4201) = floor(1,784.11) = 1,784
    (39.997 ms; 1,785 takes 40.020 ms), below the KV memory's 4,749 and the 2,048-sequence cap.
    Throughput B / t_step = 1 / 22.4201 us = 44,603 output tokens/s."""
    step_s = 1.01 * PER_TOKEN_S + KV_S
    assert step_s == pytest.approx(22.4201e-6, rel=1e-5)
    p = capacity.plan(max_inter_token_ms=40, **DENSE)
    assert p.max_batch == math.floor(0.040 / step_s) == 1784
    assert p.batch_bound == "latency target"
    assert p.inter_token_ms == pytest.approx(1784 * step_s * 1e3, rel=1e-12)
    assert p.output_tokens_per_s == pytest.approx(1 / step_s, rel=1e-12)
    assert p.output_tokens_per_s == pytest.approx(44_603, rel=1e-4)
    unbounded = capacity.plan(**DENSE)
    assert unbounded.max_batch > p.max_batch


def test_a_time_to_first_token_target_shrinks_the_batch() -> None:
    """The one-token prompt is prefilled in one step carrying the whole chunk, t(B, C) =
    t_step(B) = B x 22.4201 us, after the step in flight, a decode step t(B, 0) = B x (20.2225 +
    1.99542) us = B x 22.2179 us:

        TTFT(B) = B x 44.6380 us.

    At 60 ms: B = floor(60,000 / 44.6380) = floor(1,344.15) = 1,344, TTFT 59.99 ms; its step is
    30.13 ms, inside 40 ms, so the first-token target binds. The step stays linear in B, so
    throughput is still 1 / 22.4201 us per second."""
    step_s, decode_s = 1.01 * PER_TOKEN_S + KV_S, PER_TOKEN_S + KV_S
    p = capacity.plan(max_inter_token_ms=40, max_time_to_first_token_ms=60, **DENSE)
    assert p.max_batch == math.floor(0.060 / (step_s + decode_s)) == 1344
    assert p.batch_bound == "time-to-first-token target"
    assert p.bound.startswith("time-to-first-token target")
    assert p.time_to_first_token_ms == pytest.approx(1344 * (step_s + decode_s) * 1e3, rel=1e-12)
    assert p.inter_token_ms == pytest.approx(1344 * step_s * 1e3, rel=1e-12)
    assert p.output_tokens_per_s == pytest.approx(1 / step_s, rel=1e-12)
    assert "time-to-first-token target" in capacity.why(p)
    chosen = capacity.explain(p).query("chosen").iloc[0]
    assert chosen["time_to_first_token_ms"] == pytest.approx(p.time_to_first_token_ms)


def test_a_long_prompt_takes_one_step_per_chunk() -> None:
    """A 20,000-token prompt in chunks of 8,000: ceil(20,000 / 8,000) = 3 steps of 50 ms after a
    10 ms step in flight, 160 ms; 5,000-token chunks give 4 steps, 210 ms; a chunk of exactly the
    prompt one step, 60 ms. Under attention data parallelism a step's 32,000 prefill tokens are
    4 ranks' chunks of 8,000 each: 3 steps again."""
    def times(chunk: float) -> capacity.StepTimes:
        return capacity.StepTimes(np.array([0.030]), np.array([0.010]), np.array([0.050]),
                                  np.array([chunk]))

    assert capacity.first_token_seconds(times(8000.0), 20_000)[0] == pytest.approx(0.160)
    assert capacity.first_token_seconds(times(5000.0), 20_000)[0] == pytest.approx(0.210)
    assert capacity.first_token_seconds(times(20_000.0), 20_000)[0] == pytest.approx(0.060)
    assert capacity.first_token_seconds(times(32_000.0), 20_000, ranks=4)[0] == pytest.approx(0.160)


def test_a_first_token_target_no_batch_meets_is_one_line() -> None:
    """At batch 1 the prompt's step and the decode step take about 9.6 ms (two weight reads of
    4.794 ms); 5 ms cannot be met."""
    with pytest.raises(ScenarioError, match=r"^max_time_to_first_token_ms: 5 ms cannot be met by "
                       r"llama-3.1-8b on h100-sxm \(10 ms to the first token at batch 1\)$"):
        capacity.plan(max_time_to_first_token_ms=5, **DENSE)


def test_the_option_field_is_validated_and_reaches_the_plan() -> None:
    data = raw()
    data["options"]["hosted"] = {**HOSTED, "max_time_to_first_token_ms": 0}
    data["strategies"]["self"] = {"mix": {"hosted": 1.0}, "fallback": "api"}
    assert message(data) == "options.hosted.max_time_to_first_token_ms: must be greater than 0"
    for bad in (float("inf"), float("nan"), -1.0):
        data["options"]["hosted"]["max_time_to_first_token_ms"] = bad
        text = message(data)
        assert text.startswith("options.hosted.max_time_to_first_token_ms: ") and "\n" not in text
    data["options"]["hosted"]["max_time_to_first_token_ms"] = 0.5
    assert message(data).startswith("options.hosted.max_time_to_first_token_ms: 0.5 ms cannot be met by "
                                    "llama-3.1-8b on h100-sxm (")


def test_a_client_concurrency_caps_the_batch_at_its_requests() -> None:
    """An InferenceX run holds c requests in flight; the hold-out evaluates it at batch c (the KV
    cache allowing), with the run's own engine otherwise, as a closed loop: below the open
    stream's B / t_step by the time each request spends waiting for its first token."""
    columns = published_harness.row_columns()
    for key in ("ix3330-b200-gpt-oss-120b-fp4-tp1-1024-1024-c4",
                "ix3330-b200-gpt-oss-120b-fp4-tp1-1024-1024-c128"):
        b = catalog.external_benchmarks()[key]
        p = published.plan_at(b)
        assert p.max_batch == int(columns[key]["concurrency"])
        assert p.batch_bound == "engine sequence cap"
        closed = published.predict(b)
        assert closed == pytest.approx(published.closed_loop_tokens_per_s(p, 1024) / p.gpus, rel=1e-12)
        assert closed < p.output_tokens_per_s_per_gpu


def test_a_closed_loop_emits_by_littles_law() -> None:
    """4 clients, 101 output tokens, 50 ms to the first token and 10 ms a step: a request holds
    its slot 0.05 + 100 x 0.01 = 1.05 s, so 4 x 101 / 1.05 = 384.76 tokens/s, where an open
    stream keeping 4 sequences decoding would give 4 / 0.01 = 400."""
    p = dataclasses.replace(capacity.plan(**DENSE), max_batch=4, time_to_first_token_ms=50.0,
                            inter_token_ms=10.0)
    assert published.closed_loop_tokens_per_s(p, 101) == pytest.approx(4 * 101 / 1.05, rel=1e-12)
    assert published.closed_loop_tokens_per_s(p, 101) == pytest.approx(384.762, rel=1e-6)


def test_the_model_ttft_is_reported_beside_each_runs_mean() -> None:
    """Every external run's note gives its mean TTFT ('mean TTFT 44 ms' for gpt-oss-120b on one
    B200 at concurrency 4); the table puts the model's beside it at the run's batch."""
    frame = published_latency.first_token_table().set_index("key")
    # the RTX PRO 6000 pipeline rows are throughput tables with no latency
    columns = published_harness.row_columns()
    noted = [k for k in catalog.external_benchmarks() if "mean TTFT" in columns[k]["note"]]
    assert sorted(frame.index) == sorted(noted) and len(noted) == 213
    key = "ix3330-b200-gpt-oss-120b-fp4-tp1-1024-1024-c4"
    row = frame.loc[key]
    assert row["measured_ms"] == 44.0 and row["concurrency"] == 4
    model_ms = published.plan_at(catalog.external_benchmarks()[key]).time_to_first_token_ms
    assert row["model_ms"] == pytest.approx(model_ms) and row["ratio"] == pytest.approx(model_ms / 44.0)
