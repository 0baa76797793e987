"""Shared helpers: small scenarios built in code, so each test states the numbers it relies on."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import pytest

from tco.errors import ScenarioError
from tco.load import Loaded as Scenario
from tco.load import load_scenario, scenario_files, set_path, validate

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = scenario_files(ROOT / "scenarios")
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


Z = 4.0  # standard errors; P(|N(0,1)| > 4) = 6.3e-5
"""Tolerance of closed-form and statistical checks, in standard errors of the Monte Carlo estimate: a
correct engine fails one such check by chance with probability about 6e-5 (two-sided normal tail).
The seeds are fixed, so the suite is deterministic; the bound says how unlucky a seed would have to be.
"""

PER_REQUEST_API = (1000 * 3 + 200 * 15) / 1e6      # $0.006: API_ONLY's "api" option, one request
PER_REQUEST_BACKUP = (1000 * 1 + 200 * 5) / 1e6    # $0.002: its "backup" option

STORY = SCENARIOS[[p.stem for p in SCENARIOS].index("open-model-goes-closed")]
BASE = load_scenario(STORY)
"""The shipped story scenario, loaded once: the invariant and reproducibility tests run it."""


def message(data) -> str:
    """The one-line ``ScenarioError`` message that validating ``data`` raises."""
    with pytest.raises(ScenarioError) as info:
        validate(data)
    text = str(info.value)
    assert "\n" not in text
    return text


def story_warnings(stem: str) -> list[str]:
    """The warning lines a shipped story shows of its own (a catalog price last checked long before
    its start), as the Overview words them: what hostile links and edits may not add to."""
    import tco
    import tco.glossary as glossary

    sc = tco.load_scenario(ROOT / "scenarios" / f"{stem}.yaml")
    return [glossary.humanize(w, sc.scenario) for w in sc.inputs.warnings]


def two_h200_models(reserved_gpus: int = 4) -> dict[str, Any]:
    """The shipped portfolio cut to two workloads on H200s: the support bot on Llama and nightly
    summarisation on Qwen, each option reserving ``reserved_gpus`` at $2.50 an hour for 36 months
    (below the on-demand mode of $3.80), no stresses, no vendor commitments."""
    from tco.yamlio import parse_document  # only the portfolio tests need it

    data, _ = parse_document((ROOT / "scenarios" / "portfolio-enterprise.yaml").read_bytes())
    reserved = {"gpus": reserved_gpus, "usd_per_gpu_hour": 2.5, "term_months": 36}
    data["options"]["llama"]["reserved"] = dict(reserved)
    data["options"]["qwen"] = {**copy.deepcopy(data["options"]["llama"]), "model": "qwen3-32b",
                               "reserved": dict(reserved)}
    data["stresses"] = []
    bot, nightly = data["workloads"]["support-bot"], data["workloads"]["batch-summarisation"]
    bot["strategies"] = {"own": {"mix": {"llama": 1.0}, "fallback": "haiku", "portability": 0.5}}
    bot["strategy"] = "own"
    nightly["strategies"] = {"own": {"mix": {"qwen": 1.0}, "fallback": "haiku", "portability": 0.5}}
    nightly["strategy"] = "own"
    data["workloads"] = {"support-bot": bot, "batch-summarisation": nightly}
    data.pop("commitments")
    return data
