"""Reference catalogs of GPUs, open-weight models and published inference benchmarks.

The data lives in CSV files under ``tco/data`` with units in the column names and a ``source`` and
``as_of`` on every row. API prices come from :mod:`tco.prices`.
"""

from __future__ import annotations

import csv
import difflib
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path
from typing import Any

from tco.errors import ScenarioError

DATA_DIR = Path(__file__).parent / "data"


@dataclass(frozen=True)
class Gpu:
    key: str
    name: str
    memory_gb: float
    memory_bandwidth_tb_per_s: float
    bf16_dense_tflops: float
    fp8_dense_tflops: float | None
    fp4_dense_tflops: float | None
    tdp_kw: float
    server_kw_per_gpu: float
    usd_per_gpu_hour_on_demand_low: float | None
    usd_per_gpu_hour_on_demand_high: float | None
    usd_per_gpu_hour_on_demand_typical: float | None
    usd_per_gpu_hour_reserved_1y: float | None
    purchase_usd_per_gpu: float | None
    """Price of the GPU chip alone (no server, networking or facility share), on one basis for all rows."""
    interconnect_gb_per_s: float
    """GPU-to-GPU bandwidth in each direction (NVLink, Infinity Fabric or PCIe), for
    tensor-parallel all-reduce."""
    matmul_ceiling_share_bf16: float
    """Measured best large-matmul FLOP/s / datasheet dense peak in BF16 (the prefill ceiling)."""
    matmul_ceiling_share_fp8: float | None
    """Same in FP8; also used for FP4 where no FP4 measurement exists."""
    ceiling_source: str
    typical_price_basis: str
    """How the 'typical' rental price was formed: a median, a single quote, or a midpoint (derived)."""
    spec_source: str
    price_source: str
    as_of: str

    def dense_tflops(self, precision: str) -> float | None:
        """Dense tensor throughput at a precision, or None where the GPU has no such units.

        ``int4`` is a weight-only storage format here: no GPU in the catalog computes in it.
        """
        return {"bf16": self.bf16_dense_tflops, "fp8": self.fp8_dense_tflops,
                "fp4": self.fp4_dense_tflops}.get(precision)

    def matmul_ceiling_share(self, precision: str) -> float:
        """Measured matmul ceiling / datasheet peak at a compute precision (FP4 uses the FP8 share)."""
        if precision == "bf16" or self.matmul_ceiling_share_fp8 is None:
            return self.matmul_ceiling_share_bf16
        return self.matmul_ceiling_share_fp8

    @property
    def source(self) -> str:
        return f"{self.spec_source}; prices: {self.price_source}"


@dataclass(frozen=True)
class OpenModel:
    key: str
    name: str
    total_params_b: float
    active_params_b: float
    layers: int
    hidden_size: int
    attention_heads: int
    kv_heads: int
    head_dim: int
    kv_latent_dim: int | None
    sliding_window_tokens: int | None
    sliding_layers_share: float | None
    experts: int | None
    experts_per_token: int | None
    context_tokens: int
    licence: str
    licence_restrictions: str
    mau_threshold: int | None
    release: str
    family: str
    """The maker and release line ('meta/llama'): a licence change is a fact about it, shared by
    every model of the line, as the event ledger names open-weight families."""
    family_source: str
    source: str
    as_of: str

    @property
    def is_moe(self) -> bool:
        return bool(self.experts) and self.total_params_b > self.active_params_b


@dataclass(frozen=True)
class Benchmark:
    key: str
    model: str
    gpu: str
    system_gpus: int
    replica_gpus: int | None
    precision: str
    kv_cache_precision: str | None
    engine: str
    input_tokens: int
    output_tokens: int
    max_inter_token_ms: float | None
    measured_output_tokens_per_s_per_gpu: float
    source: str
    as_of: str
    note: str


def _convert(raw: str, annotation: Any) -> Any:
    text = raw.strip()
    kind = str(annotation)
    if text == "":
        if "None" not in kind:
            raise ValueError(f"missing value for a {kind} column")
        return None
    if kind.startswith("float"):
        return float(text)
    if kind.startswith("int"):
        return int(float(text))
    return text


def _read(name: str, cls: type) -> dict[str, Any]:
    rows: dict[str, Any] = {}
    with open(DATA_DIR / name, newline="", encoding="utf-8") as handle:
        for raw in csv.DictReader(handle):
            values = {f.name: _convert(raw[f.name], f.type) for f in fields(cls)}
            rows[values["key"]] = cls(**values)
    return rows


@cache
def gpus() -> dict[str, Gpu]:
    """Return the GPU catalog keyed by lower-case hyphenated key."""
    return _read("gpus.csv", Gpu)


@cache
def models() -> dict[str, OpenModel]:
    """Return the open-weight model catalog."""
    return _read("models.csv", OpenModel)


@cache
def benchmarks() -> dict[str, Benchmark]:
    """Return the published throughput results the capacity model is calibrated against."""
    return _read("benchmarks.csv", Benchmark)


@cache
def external_benchmarks() -> dict[str, Benchmark]:
    """Return published results kept out of every fit: sources the model is only judged on."""
    return _read("benchmarks_external.csv", Benchmark)


@dataclass(frozen=True)
class LicenceRule:
    """When a licence's user threshold is tested, in the licence's own words."""

    key: str
    """The licence's name, as the model catalog's ``licence`` column writes it."""
    tested: str
    """``at_release`` (users counted on the version's release date) or ``monthly``."""
    clause: str
    source: str
    as_of: str


@cache
def licence_rules() -> dict[str, LicenceRule]:
    """The licences whose threshold clause has been read, keyed by licence name."""
    return _read("licences.csv", LicenceRule)


def close_matches(key: str, keys: list[str] | tuple[str, ...], n: int = 3) -> list[str]:
    """Return up to ``n`` catalog keys that look like ``key``."""
    return difflib.get_close_matches(key.lower(), list(keys), n=n, cutoff=0.4)


def _lookup(table: dict[str, Any], key: str, what: str, field: str) -> Any:
    if key in table:
        return table[key]
    hint = close_matches(key, tuple(table))
    shown = hint if hint else sorted(table)
    label = "did you mean" if hint else "valid keys are"
    raise ScenarioError(field, f"unknown {what} '{key}' ({label} {', '.join(shown)})")


def gpu(key: str, field: str = "gpu") -> Gpu:
    """Look up one GPU; an unknown key is a ``ScenarioError`` naming close matches."""
    return _lookup(gpus(), key, "GPU", field)


def model(key: str, field: str = "model") -> OpenModel:
    """Look up one open-weight model; an unknown key is a ``ScenarioError``."""
    return _lookup(models(), key, "model", field)
