"""The throughput-latency chart of a self-hosted option (InferenceX-style).

Output tokens per second per GPU against output tokens per second per user (1 / time per output
token), for the option's replica at the scenario's request shape: the model's curve over every
batch the replica can hold, the chosen operating point, the published points of the same model
and GPU whose time per output token is known, and the user's own runs when the option is
calibrated. Moving up the curve (bigger batches) buys GPU throughput with each user's speed.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

import tco.capacity as capacity
import tco.catalog as catalog
import tco.engines as engines
import tco.published_latency as published_latency
from tco.calibration import files
from tco.figures.spec import OPTION_PALETTE, ROLES, Axis, FigureSpec, Style

MODEL_CURVE = "capacity model"
CHOSEN = "chosen operating point"
PUBLISHED = "published runs, same model and GPU"
OWN = "your runs"


def throughput_latency(plan: capacity.CapacityPlan, input_tokens: float, output_tokens: float,
                       efficiency: capacity.Efficiency = capacity.EFFICIENCY, multiplier: float = 1.0,
                       own_runs: Sequence[tuple[float, float]] = (), colour: str = OPTION_PALETTE[0],
                       name: str = "") -> FigureSpec:
    """The chart's spec.

    Parameters
    ----------
    plan
        The option's capacity plan (its replica, format and engine).
    efficiency, multiplier
        The factors the plan used (a calibration file's, or the shipped fit) and its regime's
        throughput multiplier.
    own_runs
        (output tokens/s per user, output tokens/s per GPU) of each of the user's runs.
    """
    m, g = catalog.model(plan.model), catalog.gpu(plan.gpu)
    engine = engines.engine(plan.serving_engine) if plan.serving_engine in engines.engines() else \
        engines.engine(capacity.DEFAULT_SERVING_ENGINE)
    r = capacity.replica(m, g, plan.precision, plan.kv_cache_precision, engine, plan.gpus, input_tokens,
                         output_tokens, efficiency, plan.layout, plan.pipeline_stages)
    # one point per batch on a log grid: the curve's shape, not 4,000 points
    picks = np.unique(np.round(np.geomspace(1, len(r.batch), num=min(len(r.batch), 60))).astype(int)) - 1
    per_user = multiplier / r.t_step[picks]
    per_gpu = r.batch[picks] * multiplier / r.t_step[picks] / plan.gpus
    frames = [pd.DataFrame({"series": MODEL_CURVE, "x": per_user, "y": per_gpu,
                            "detail": [f"batch {int(b)}" for b in r.batch[picks]]}),
              pd.DataFrame({"series": [CHOSEN], "x": [1000.0 / plan.inter_token_ms],
                            "y": [plan.output_tokens_per_s_per_gpu], "detail": [f"batch {plan.max_batch}"]})]
    published_rows = [(1000.0 / ms, b.measured_output_tokens_per_s_per_gpu, b.key)
                      for b, ms in published_latency.timed_points()
                      if b.model == plan.model and b.gpu == plan.gpu]
    if published_rows:
        x, y, keys = zip(*published_rows, strict=True)
        frames.append(pd.DataFrame({"series": PUBLISHED, "x": x, "y": y, "detail": keys}))
    if own_runs:
        x, y = zip(*own_runs, strict=True)
        frames.append(pd.DataFrame({"series": OWN, "x": x, "y": y, "detail": OWN}))
    styles = {MODEL_CURVE: Style(colour), CHOSEN: Style(colour, marker="diamond"),
              PUBLISHED: Style(ROLES["published_runs"], marker="x"),
              OWN: Style(ROLES["own_runs"], marker="circle")}
    title = f"Throughput and speed per user{': ' + name if name else ''} ({plan.gpus} x {g.key}, " \
            f"{input_tokens:,.0f} input / {output_tokens:,.0f} output tokens)"
    return FigureSpec(
        name="throughput_latency", kind="line", title=title,
        x=Axis("Output tokens per second per user", "number", log=True),
        y=Axis("Output tokens per second per GPU", "number", log=True),
        frame=pd.concat(frames, ignore_index=True), styles=styles,
        notes=("Each point of the curve is one batch size: bigger batches give more tokens per GPU "
               "and fewer per user.",))


def option_chart(name: str, plan: capacity.CapacityPlan, input_tokens: float, output_tokens: float,
                 colour: str = OPTION_PALETTE[0]) -> FigureSpec:
    """The chart of self-hosted option ``name`` as its costs use it: with its calibration file's
    factors, regime multiplier and runs where it has one, else the shipped fit (page and deck)."""
    if not plan.calibration_file:
        return throughput_latency(plan, input_tokens, output_tokens, colour=colour, name=name)
    cal = files.load(plan.calibration_file)
    return throughput_latency(plan, input_tokens, output_tokens, efficiency=cal.efficiency,
                              multiplier=cal.multiplier(plan.regime), own_runs=cal.own_points(),
                              colour=colour, name=name)
