"""Published runs' latencies beside the model's: the time to first token and time per output token
that the external runs' rows and notes state (``tco/data/benchmarks_external.csv``)."""

from __future__ import annotations

import re

import pandas as pd

import tco.capacity as capacity
import tco.catalog as catalog
import tco.published as published
import tco.published_harness as published_harness
from tco.errors import ScenarioError

MEAN_TTFT = re.compile(r"mean TTFT ([\d.]+) ms")  # how the external notes state a run's mean TTFT


def first_token_table(efficiency: capacity.Efficiency = capacity.EFFICIENCY) -> pd.DataFrame:
    """The model's time to first token beside each external run whose note gives its mean TTFT.

    Columns: key, source_group, concurrency, shape, measured_ms (the run's mean TTFT), model_ms
    (``capacity.first_token_seconds`` at the run's batch), ratio (model / measured),
    measured_tpot_ms, model_tpot_ms (the mean step). The model has no queue for the prefill
    budget, so it is a floor where a run's prompts wait for each other.
    """
    columns = published_harness.row_columns()
    rows = []
    for b in catalog.external_benchmarks().values():
        found, tpot = MEAN_TTFT.search(columns[b.key]["note"]), columns[b.key].get("time_per_output_token_ms")
        if found is None:
            continue
        try:
            p = published.plan_at(b, efficiency)
        except ScenarioError:
            continue
        measured = float(found.group(1))
        rows.append({"key": b.key, "source_group": published.source_group(b),
                     "concurrency": int(columns[b.key]["concurrency"]),
                     "shape": f"{b.input_tokens}/{b.output_tokens}", "measured_ms": measured,
                     "model_ms": p.time_to_first_token_ms, "ratio": p.time_to_first_token_ms / measured,
                     "measured_tpot_ms": float(tpot) if tpot else float("nan"),
                     "model_tpot_ms": p.inter_token_ms})
    return pd.DataFrame(rows)


def timed_points() -> list[tuple[catalog.Benchmark, float]]:
    """Published points whose mean time per output token is known (ms): the external runs."""
    columns = published_harness.row_columns()
    return [(b, float(columns[b.key]["time_per_output_token_ms"]))
            for b in catalog.external_benchmarks().values()
            if columns[b.key].get("time_per_output_token_ms")]
