"""The step floor and the memory/compute overlap of a step, worked by hand on a dense model on one GPU.

Llama 3.1 8B (8.03 B parameters, 32 layers, 8 KV heads of 128, 32 heads) in BF16 on one H100 SXM
(3.35 TB/s, 989 dense BF16 TFLOPS at a measured ceiling of 0.803), decoding only, at a context of
1,000 tokens (900 in, 200 out: input + output / 2), with HBM efficiency 0.5 and compute 1.0:

- t_weights = 8.03e9 x 2 B / (3.35e12 x 0.5) = 9.588060 ms, whatever the batch;
- t_gemm = B x 2 x 8.03e9 / (989e12 x 0.803) = B x 20.22245 us;
- t_kv = B x 32 x 2 x 8 x 128 x 2 B x 1,000 / 1.675e12 = B x 78.25194 us;
- t_attention = B x 2 x 32 x 32 x 256 x 1,000 / (989e12 x 0.803) = B x 0.6601735 us;
- floor = 32 layers x 20 us + 100 us = 740 us.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import tco.capacity as capacity
import tco.catalog as catalog

SHAPE = (900.0, 200.0)
HAND = capacity.Efficiency(memory=0.5, compute=1.0, overlap_loss=0.0, layer_floor_us=20.0,
                           step_floor_us=100.0)


def _decode_step(eff: capacity.Efficiency, batch: float) -> float:
    m, g = catalog.model("llama-3.1-8b"), catalog.gpu("h100-sxm")
    b = np.array([batch])
    return float(capacity.step_seconds(m, g, "bf16", "bf16", 1, b, 0.0 * b, SHAPE, eff)[0])


def test_the_floor_adds_per_layer_and_per_step_time() -> None:
    """Batch 1, no overlap loss: 9.588060 + 0.078252 (KV) + 0.740 (floor) = 10.406312 ms; the
    GEMMs (0.020 ms) and attention hide under the reads. Without the floor, 9.666312 ms."""
    assert _decode_step(HAND, 1.0) == pytest.approx(10.406312e-3, rel=1e-6)
    bare = dataclasses.replace(HAND, layer_floor_us=0.0, step_floor_us=0.0)
    assert _decode_step(bare, 1.0) == pytest.approx(9.666312e-3, rel=1e-6)


def test_a_mixture_of_experts_layer_adds_its_routing_kernels() -> None:
    """gpt-oss-120b, 36 layers: with 20 us a layer, 30 us more a mixture-of-experts layer and 100 us
    a step, the floor is 36 x (20 + 30) + 100 = 1,900 us at any batch; Llama 3.1 8B, dense, keeps
    32 x 20 + 100 = 740 us whatever the expert layer's floor."""
    g = catalog.gpu("h100-sxm")
    floors = dataclasses.replace(HAND, expert_layer_floor_us=30.0)
    bare = dataclasses.replace(HAND, layer_floor_us=0.0, step_floor_us=0.0)
    for key, precision, floor_us in (("gpt-oss-120b", "fp4", 1900.0), ("llama-3.1-8b", "bf16", 740.0)):
        m = catalog.model(key)
        b = np.array([1.0, 64.0])
        with_floor = capacity.step_seconds(m, g, precision, "bf16", 1, b, 0.0 * b, SHAPE, floors)
        without = capacity.step_seconds(m, g, precision, "bf16", 1, b, 0.0 * b, SHAPE, bare)
        assert with_floor - without == pytest.approx([floor_us * 1e-6] * 2, rel=1e-9), key


def test_overlap_loss_adds_that_share_of_the_shorter_side() -> None:
    """Batch 256: t_gemm = 5.176946 ms under t_weights 9.588060 ms, t_attention 0.169004 ms under
    t_kv 20.032497 ms. Overlap loss 0: 9.588060 + 20.032497 + 0.740 = 30.360556 ms; 0.5 adds half
    of 5.176946 + 0.169004: 33.033532 ms; 1 (a sum) 35.706507 ms."""
    for loss, hand_ms in ((0.0, 30.360556), (0.5, 33.033532), (1.0, 35.706507)):
        eff = dataclasses.replace(HAND, overlap_loss=loss)
        assert _decode_step(eff, 256.0) == pytest.approx(hand_ms * 1e-3, rel=1e-6), loss


def test_shipped_floor_and_overlap_sit_within_their_cited_bounds() -> None:
    for name in ("layer_floor_us", "expert_layer_floor_us", "step_floor_us", "overlap_loss"):
        low, high, why = capacity.FIT_BOUNDS[name]
        assert low <= getattr(capacity.EFFICIENCY, name) <= high
        assert "20" in why  # each bound cites a dated source


def test_an_expert_tile_follows_the_rows_each_expert_gets() -> None:
    """gpt-oss-120b: E = 128 experts, k = 4 a token, full tile 128 rows, smallest 16.

    - T = 1: 4 rows on X = 128 (1 - 124/128) = 4 experts, 1 row each: tiles of 16, 4 + 4 x 16 = 68;
    - T = 512: X = 128 (1 - (124/128)^512) = 128 - 1.1e-5, 2,048 rows, 16 each: 2,048 + 16 X = 4,096;
    - T = 2,048: 8,192 rows, 64 each: 8,192 + 64 x 128 = 16,384;
    - T = 4,096: 16,384 rows, 128 each: 16,384 + 128 x 128 = 32,768; T = 8,192: 256 each, the
      full tile of 128: 32,768 + 16,384 = 49,152.
    """
    m = catalog.model("gpt-oss-120b")
    tokens = np.array([1.0, 512.0, 2048.0, 4096.0, 8192.0])
    rows = capacity.expert_gemm_rows(m, tokens, 128.0)
    assert rows == pytest.approx([68.0, 4096.0, 16384.0, 32768.0, 49152.0], rel=1e-6)
    assert capacity.expert_gemm_rows(m, tokens, 0.0) == pytest.approx(4 * tokens)  # no padding at all
