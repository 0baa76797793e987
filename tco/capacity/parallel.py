"""How a replica's GPUs work together: the all-reduce of tensor parallelism, the activations a
pipeline stage sends to the next, and the micro-batches a pipeline runs.

The step-time model that adds these to a step is ``tco/capacity/physics.py``.
"""

from __future__ import annotations

import numpy as np

from tco.catalog import Gpu, OpenModel

GPUS_PER_NODE = 8
INTER_NODE_GB_PER_S = 50.0
"""Per-GPU network between nodes: one 400 Gb/s ConnectX-7 port per GPU (DGX H100 datasheet)."""

ACTIVATION_BYTES = 2.0  # all-reduced and dispatched activations are BF16

ALLREDUCE_BASE_US = 6.6
"""Fixed latency of one all-reduce: NCCL's Ring/LL base latency (NVIDIA/nccl src/graph/tuning.cc,
v2.30.7 ncclTunerConstantsDefaults.baseLatencies). Latency matters only for small messages, which
NCCL sends with the LL protocol."""

HOP_US = {"nvlink": 0.6, "pcie": 1.0, "network": 2.7}
"""Latency per ring step, Ring/LL protocol, by link (same file, hwLatencies: NVLINK, PCI, NET);
AMD's Infinity Fabric takes NVLink's."""

P2P_HOPS = 1
"""A stage boundary's send and receive is one step of NCCL's ring (a point-to-point transfer):
NCCL's base latency plus one link latency (``ALLREDUCE_BASE_US``, ``HOP_US``; NVIDIA/nccl
src/graph/tuning.cc, v2.30.7; the same constants, derived)."""

PCIE_MAX_GB_PER_S = 64.0
"""A GPU-to-GPU link this slow is PCIe (Gen5 x16 is 64 GB/s each way; NVLink 3 and Infinity
Fabric start at 300): its ring steps take PCIe latency."""


def allreduce_seconds(m: OpenModel, g: Gpu, size: int, tokens: np.ndarray, link_efficiency: float = 1.0,
                      per_layer: int = 2, latency: bool = True) -> np.ndarray:
    """``per_layer`` ring all-reduces per layer of ``tokens`` x hidden BF16 values over ``size`` GPUs.

    NCCL's ring model (src/graph/tuning.cc): every GPU sends 2 (n - 1) / n of the message in
    2 (n - 1) steps, at the link bandwidth x ``link_efficiency``, and the all-reduce pays the base
    latency plus each step's link latency. Within an 8-GPU node the link is the GPU-to-GPU one;
    a larger ring crosses nodes 2 (nodes - 1) times over the network, whose bandwidth bounds it.
    """
    tokens = np.asarray(tokens, dtype=float)
    if size == 1:
        return np.zeros_like(tokens)
    nodes = -(-size // GPUS_PER_NODE)
    link_gb_per_s = g.interconnect_gb_per_s if nodes == 1 else min(
        g.interconnect_gb_per_s, INTER_NODE_GB_PER_S)
    message_bytes = tokens * m.hidden_size * ACTIVATION_BYTES
    steps = 2.0 * (size - 1)
    seconds = steps / size * message_bytes / (link_gb_per_s * 1e9 * link_efficiency)
    if latency:
        network_steps = 2.0 * (nodes - 1)
        local = "pcie" if g.interconnect_gb_per_s <= PCIE_MAX_GB_PER_S else "nvlink"
        seconds = seconds + 1e-6 * (ALLREDUCE_BASE_US + (steps - network_steps) * HOP_US[local]
                                    + network_steps * HOP_US["network"])
    return m.layers * per_layer * seconds


def p2p_seconds(m: OpenModel, g: Gpu, gpus: int, tokens: np.ndarray, link_efficiency: float = 1.0,
                latency: bool = True) -> np.ndarray:
    """Seconds to send one stage boundary's activations: ``tokens`` x hidden BF16 values.

    The bytes go at the GPU-to-GPU link bandwidth x ``link_efficiency`` (a replica of more than one
    node's GPUs crosses the network at some boundary; the slowest boundary sets the pace), plus
    NCCL's base latency and one link latency (``P2P_HOPS``). Tensor-parallel ranks of a stage send
    their own copies in parallel, so the time does not depend on the stage's size.
    """
    tokens = np.asarray(tokens, dtype=float)
    link_gb_per_s = g.interconnect_gb_per_s if gpus <= GPUS_PER_NODE else min(
        g.interconnect_gb_per_s, INTER_NODE_GB_PER_S)
    seconds = tokens * m.hidden_size * ACTIVATION_BYTES / (link_gb_per_s * 1e9 * link_efficiency)
    if latency:
        link = ("network" if gpus > GPUS_PER_NODE else
                "pcie" if g.interconnect_gb_per_s <= PCIE_MAX_GB_PER_S else "nvlink")
        seconds = seconds + 1e-6 * (ALLREDUCE_BASE_US + P2P_HOPS * HOP_US[link])
    return seconds


def stage_imbalance(m: OpenModel, stages: int) -> float:
    """S x ceil(L / S) / L: the pipeline's pace (S times its slowest stage, which holds ceil(L / S)
    of the L layers) over an even split's (1 where S divides L)."""
    return stages * -(-m.layers // stages) / m.layers


def micro_batch(batch: np.ndarray, stages: int) -> np.ndarray:
    """Sequences in the largest micro-batch when ``batch`` sequences run in a pipeline of ``stages``
    stages: ceil(B / S), at least 1 (the grid's shape). B < S runs B micro-batches of one; otherwise
    S micro-batches as even as whole sequences allow, and the pipeline keeps the largest one's
    pace."""
    batch = np.asarray(batch, dtype=float)
    return np.ceil(batch / float(stages))
