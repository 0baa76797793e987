"""Serving engines' documented defaults: how many sequences and tokens a step may hold, and how
much GPU memory the KV cache gets.

The table lives in ``tco/data/engines.csv`` with a source and an as-of date on every row. The
capacity model reads three things from it:

- the sequence cap (vLLM ``max_num_seqs``, SGLang ``max_running_requests``, TensorRT-LLM
  ``max_batch_size``), which can depend on the GPU (vLLM raises it on GPUs with >= 70 GiB);
- the token budget per step (``max_num_batched_tokens`` / ``max_num_tokens`` / SGLang's prefill
  chunk): in steady state a step carries B decode tokens plus B x input / output prefill tokens;
- the memory given to the KV cache, either a share of total memory (vLLM, SGLang) or a share of
  what is left after the weights (TensorRT-LLM), and whether a request reserves its full length
  up front (TensorRT-LLM's GUARANTEED_NO_EVICT) or grows page by page (vLLM, SGLang).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache

import tco.catalog as catalog
from tco.errors import ScenarioError

BYTES_PER_GIB = 2**30
"""HBM sizes in datasheets are binary: an "80 GB" H100 reports 81,559 MiB in nvidia-smi."""


@dataclass(frozen=True)
class Engine:
    key: str
    name: str
    max_sequences: int
    max_sequences_small_gpu: int
    max_tokens_per_step: int
    max_tokens_per_step_small_gpu: int
    large_gpu_min_gib: float
    large_gpu_excluded: str
    token_budget_counts_decode: bool
    memory_share: float
    memory_share_of: str
    kv_reservation: str
    source: str
    as_of: str

    def _large(self, g: catalog.Gpu) -> bool:
        excluded = bool(self.large_gpu_excluded) and self.large_gpu_excluded in g.key
        return g.memory_gb >= self.large_gpu_min_gib and not excluded

    def sequence_cap(self, g: catalog.Gpu) -> int:
        """Concurrent sequences per replica the engine allows by default on this GPU."""
        return self.max_sequences if self._large(g) else self.max_sequences_small_gpu

    def token_budget(self, g: catalog.Gpu) -> int:
        """Tokens per step (decode plus prefill, or prefill only where decode is not counted)."""
        return self.max_tokens_per_step if self._large(g) else self.max_tokens_per_step_small_gpu

    def kv_bytes_available(self, memory_bytes: float, weights_bytes: float,
                           reserve_bytes: float = 0.0) -> float:
        """KV-cache bytes on GPUs with ``memory_bytes`` of HBM holding ``weights_bytes`` of weights
        and ``reserve_bytes`` the runtime keeps (context, activations, workspaces).

        TensorRT-LLM measures the memory left after weights and activations and gives the KV
        cache its share of that; vLLM and SGLang cap everything at a share of total memory."""
        if self.memory_share_of == "free":
            return max(0.0, (memory_bytes - weights_bytes - reserve_bytes) * self.memory_share)
        return max(0.0, memory_bytes * self.memory_share - weights_bytes - reserve_bytes)


def _row(raw: dict[str, str]) -> Engine:
    return Engine(
        key=raw["key"], name=raw["name"], max_sequences=int(raw["max_sequences"]),
        max_sequences_small_gpu=int(raw["max_sequences_small_gpu"]),
        max_tokens_per_step=int(raw["max_tokens_per_step"]),
        max_tokens_per_step_small_gpu=int(raw["max_tokens_per_step_small_gpu"]),
        large_gpu_min_gib=float(raw["large_gpu_min_gib"]), large_gpu_excluded=raw["large_gpu_excluded"],
        token_budget_counts_decode=raw["token_budget_counts_decode"] == "yes",  # noqa: S105 - a flag
        memory_share=float(raw["memory_share"]), memory_share_of=raw["memory_share_of"],
        kv_reservation=raw["kv_reservation"], source=raw["source"], as_of=raw["as_of"])


@cache
def engines() -> dict[str, Engine]:
    """Return the serving-engine table keyed by engine name."""
    with open(catalog.DATA_DIR / "engines.csv", newline="", encoding="utf-8") as handle:
        return {row["key"]: _row(row) for row in csv.DictReader(handle)}


def engine(key: str, field: str = "serving_engine") -> Engine:
    """Look up one engine; an unknown name is a ``ScenarioError`` listing the valid ones."""
    table = engines()
    if key not in table:
        raise ScenarioError(field, f"unknown serving engine '{key}' (valid: {', '.join(table)})")
    return table[key]
