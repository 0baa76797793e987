"""Serving engines' documented limits and the memory they give the KV cache, by hand."""

from __future__ import annotations

import pytest

import tco.catalog as catalog
import tco.engines as engines
from tco.errors import ScenarioError

GIB = 2**30


def test_kv_memory_by_hand() -> None:
    """One H100 (80 GiB = 85.90 GB) holding 70.6 GB of weights, 4 GB kept by the runtime.
    TensorRT-LLM: 0.90 x (85.90 - 70.6 - 4) = 10.17 GB. vLLM: 0.90 x 85.90 - 70.6 - 4 = 2.71 GB.
    Weights that leave nothing give 0, not a negative cache."""
    memory, weights, reserve = 80 * GIB, 70.6e9, 4e9
    trt, vllm = engines.engine("tensorrt-llm"), engines.engine("vllm")
    trt_bytes = trt.kv_bytes_available(memory, weights, reserve)
    assert trt_bytes == pytest.approx(0.9 * (memory - weights - reserve))
    assert trt_bytes == pytest.approx(10.169e9, rel=1e-3)
    vllm_bytes = vllm.kv_bytes_available(memory, weights, reserve)
    assert vllm_bytes == pytest.approx(0.9 * memory - weights - reserve)
    assert vllm.kv_bytes_available(memory, 90e9) == 0.0
    assert trt.kv_bytes_available(memory, weights) > trt.kv_bytes_available(memory, weights, reserve)


def test_caps_and_budgets_follow_the_documented_defaults() -> None:
    """vLLM: 1,024 sequences and 8,192 tokens on >= 70 GiB GPUs other than A100, else 256 and
    2,048; SGLang 2,048 and an 8,192-token prefill chunk (decode not counted); TensorRT-LLM 2,048
    sequences and 8,192 tokens, each request reserving its full length."""
    vllm, sglang, trt = (engines.engine(k) for k in ("vllm", "sglang", "tensorrt-llm"))
    h100, a100, l40s = (catalog.gpu(k) for k in ("h100-sxm", "a100-80gb", "l40s"))
    assert (vllm.sequence_cap(h100), vllm.token_budget(h100)) == (1024, 8192)
    assert (vllm.sequence_cap(a100), vllm.token_budget(a100)) == (256, 2048)
    assert vllm.sequence_cap(l40s) == 256
    assert (sglang.sequence_cap(h100), sglang.token_budget(h100), sglang.token_budget_counts_decode) == (
        2048, 8192, False)
    assert (trt.sequence_cap(h100), trt.token_budget(h100)) == (2048, 8192)
    assert trt.kv_reservation == "full_request"
    for e in engines.engines().values():
        assert e.source and e.as_of


def test_unknown_engine_lists_the_valid_ones() -> None:
    with pytest.raises(ScenarioError, match=r"^o.serving_engine: unknown serving engine 'tgi' \(valid: vllm"):
        engines.engine("tgi", "o.serving_engine")
