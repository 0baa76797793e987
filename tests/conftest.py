"""Shared helpers: small scenarios built in code, so each test states the numbers it relies on."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import pytest

from tco.scenario import Scenario, set_path, validate

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
OUTPUT_DIR = Path(os.environ.get("E2E_OUT", ROOT / "test-output"))

API_ONLY: dict[str, Any] = {
    "name": "test",
    "horizon_months": 12,
    "discount_rate_per_year": 0.0,
    "workload": {"requests_per_month": 1_000_000, "input_tokens_per_request": 1000,
                 "output_tokens_per_request": 200},
    "options": {
        "api": {"kind": "api", "input_usd_per_mtok": 3.0, "cached_input_usd_per_mtok": 0.3,
                "output_usd_per_mtok": 15.0, "batch_discount": 0.5},
        "backup": {"kind": "api", "input_usd_per_mtok": 1.0, "output_usd_per_mtok": 5.0},
    },
    "strategies": {"api-only": {"mix": {"api": 1.0}, "fallback": "backup"}},
}

HOSTED: dict[str, Any] = {
    "kind": "self_hosted", "model": "llama-3.1-8b", "gpu": "h100-sxm", "precision": "bf16",
    "usd_per_gpu_hour": 2.0, "target_utilization": 0.6, "min_replicas": 1,
    "tokens_per_second_per_gpu": 1000.0, "ops_fte": 1.0, "usd_per_fte_year": 120_000,
}


def build(base: dict[str, Any] | None = None, **changes: Any) -> Scenario:
    """Validate a copy of ``base`` (API_ONLY by default) with dotted-path changes ('a__b' = 'a.b')."""
    data = copy.deepcopy(base if base is not None else API_ONLY)
    for key, value in changes.items():
        set_path(data, key.replace("__", "."), value)
    return validate(data)


def raw(base: dict[str, Any] | None = None) -> dict[str, Any]:
    return copy.deepcopy(base if base is not None else API_ONLY)


@pytest.fixture(scope="session")
def output_dir() -> Path:
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    return OUTPUT_DIR
