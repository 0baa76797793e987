"""The calibration file: what ``python -m tco calibrate`` writes and a self-hosted option reads.

A YAML mapping (``KIND``, ``VERSION``): the setup it was measured on (model, GPU, precision, KV
precision, GPUs, layout, engine), the factors (every fitted ``capacity.Efficiency`` field and the
three step floors, the refit ones marked; a file written before the floors travelled reads the
shipped ones), the per-regime multipliers, the residual spread about the user's runs, the
shapes and batches the runs cover, each source file with its SHA-256 and format, the as-of date
and every run before and after.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

import yaml

import tco.capacity as capacity
from tco.calibration.refit import FACTOR_NAMES, FLOOR_NAMES, Calibration
from tco.errors import ScenarioError

KIND = "tco-capacity-calibration"
VERSION = 1
FACTORS = FACTOR_NAMES
"""The ``capacity.Efficiency`` fields a calibration file carries."""
MIN_RESIDUAL_LOG_SD = 0.05
"""A self-hosted option's throughput spread never drops below this, however well the user's runs
fit (the issue's floor: a benchmark is one day of one cluster)."""
SHAPE_SLACK = 1.25
"""A request shape counts as covered within 25% of the runs' mean lengths (judgement: a run's
mean prompt and output lengths are means of spreads about that wide)."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def document(cal: Calibration, sources: list[tuple[str, bytes, str, int]], as_of: dt.date) -> dict[str, Any]:
    """The calibration file's content; ``sources`` is (name, bytes, format, runs) per file."""
    s = cal.setup
    covers = cal.covers()
    return {
        "kind": KIND, "version": VERSION, "as_of": as_of.isoformat(),
        "model": s.model, "gpu": s.gpu, "precision": s.precision,
        "kv_cache_precision": s.kv_cache_precision, "gpus": s.gpus, "layout": s.layout, "engine": s.engine,
        "factors": {name: float(getattr(cal.efficiency, name)) for name in FACTORS},
        "refit": list(cal.refit),
        "shipped_factors": {name: float(getattr(cal.shipped, name)) for name in FACTORS},
        "multipliers": dict(cal.multipliers),
        "residual_log_sd": round(cal.residual_log_sd, 4),
        "noise_log_sd": round(cal.noise_log_sd, 4),
        "covers": {key: [round(low, 1), round(high, 1)] for key, (low, high) in covers.items()},
        "sources": [{"file": name, "sha256": sha256(data), "format": fmt, "runs": runs}
                    for name, data, fmt, runs in sources],
        "runs": [{"file": r.point.file, "run": r.point.label, "regime": r.regime,
                  "input_tokens": round(r.point.input_tokens, 1),
                  "output_tokens": round(r.point.output_tokens, 1),
                  "concurrency": round(r.concurrency, 2),
                  "time_per_output_token_ms": round(r.point.time_per_output_token_ms, 4),
                  "measured_output_tokens_per_s": round(r.point.output_tokens_per_s, 2),
                  "model_before_output_tokens_per_s": round(r.predicted_before, 2),
                  "model_after_output_tokens_per_s": round(r.predicted_after, 2)} for r in cal.rows],
    }


def dumps(doc: dict[str, Any]) -> bytes:
    head = "# Capacity calibration written by python -m tco calibrate; see the README's capacity section.\n"
    return (head + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)).encode("utf-8")


@dataclass(frozen=True)
class CalibrationFile:
    """A calibration file as a self-hosted option uses it."""

    path: str
    sha256: str
    model: str
    gpu: str
    precision: str
    gpus: int
    efficiency: capacity.Efficiency
    multipliers: dict[str, float]
    residual_log_sd: float
    covers: dict[str, tuple[float, float]]
    as_of: str
    sources: tuple[dict[str, Any], ...]
    runs: tuple[dict[str, Any], ...] = ()

    def own_points(self) -> list[tuple[float, float]]:
        """(output tokens/s per user, output tokens/s per GPU) of each run, for the chart."""
        return [(1000.0 / r["time_per_output_token_ms"], r["measured_output_tokens_per_s"] / self.gpus)
                for r in self.runs if r.get("time_per_output_token_ms")]

    @property
    def throughput_log_sd(self) -> float:
        """The spread a calibrated option's throughput factor draws with (never below the floor)."""
        return max(self.residual_log_sd, MIN_RESIDUAL_LOG_SD)

    def multiplier(self, regime: str) -> float:
        return self.multipliers.get(regime, 1.0)

    def check_shape(self, input_tokens: float, output_tokens: float, field: str) -> None:
        """Refuse a request shape the runs do not cover (within ``SHAPE_SLACK``)."""
        for name, value in (("input_tokens", input_tokens), ("output_tokens", output_tokens)):
            low, high = self.covers[name]
            if not low / SHAPE_SLACK <= value <= high * SHAPE_SLACK:
                what = name.replace("_", " ")
                raise ScenarioError(field, f"{value:,.0f} {what} per request is outside what "
                                    f"{self.path} covers ({low:,.0f}-{high:,.0f}, within x{SHAPE_SLACK:g}); "
                                    "calibrate on runs of this shape")


def _need(doc: dict, key: str, path: str, kind: type | tuple[type, ...]) -> Any:
    if key not in doc:
        raise ScenarioError(f"{path}: {key}", "is missing")
    value = doc[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ScenarioError(f"{path}: {key}", "has the wrong type")
    return value


def load(path: str, field: str = "capacity_calibration") -> CalibrationFile:
    """Read a calibration file, checking its kind, version and every factor's bounds."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise ScenarioError(field, f"cannot read '{path}' ({exc.strerror})") from None
    try:
        doc = yaml.safe_load(data.decode("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError):
        raise ScenarioError(field, f"'{path}' is not a YAML calibration file") from None
    if not isinstance(doc, dict) or doc.get("kind") != KIND:
        raise ScenarioError(field, f"'{path}' is not a calibration file (kind: {KIND}); write one with "
                            "python -m tco calibrate")
    if doc.get("version") != VERSION:
        raise ScenarioError(f"{path}: version", f"must be {VERSION}")
    factors = _need(doc, "factors", path, dict)
    values = {}
    for name in FACTORS:
        if name in FLOOR_NAMES and name not in factors:
            continue  # written before calibration files carried the floors: the shipped ones
        value = _need(factors, name, f"{path}: factors", (int, float))
        low, high, _ = capacity.FIT_BOUNDS[name]
        if not low <= value <= high:
            raise ScenarioError(f"{path}: factors: {name}", f"must be within {low:g}-{high:g}")
        values[name] = float(value)
    multipliers = _need(doc, "multipliers", path, dict)
    for regime, value in multipliers.items():
        if regime not in capacity.REGIMES or not isinstance(value, (int, float)) or value <= 0:
            raise ScenarioError(f"{path}: multipliers: {regime}", "must be a regime's positive multiplier")
    covers = _need(doc, "covers", path, dict)
    shapes = {}
    for name in ("input_tokens", "output_tokens", "concurrency"):
        pair = _need(covers, name, f"{path}: covers", list)
        if len(pair) != 2 or not all(isinstance(v, (int, float)) and v > 0 for v in pair):
            raise ScenarioError(f"{path}: covers: {name}", "must be [low, high], both positive")
        shapes[name] = (float(pair[0]), float(pair[1]))
    spread = _need(doc, "residual_log_sd", path, (int, float))
    if spread < 0:
        raise ScenarioError(f"{path}: residual_log_sd", "must not be negative")
    return CalibrationFile(
        path=path, sha256=sha256(data), model=str(_need(doc, "model", path, str)),
        gpu=str(_need(doc, "gpu", path, str)), precision=str(_need(doc, "precision", path, str)),
        gpus=int(_need(doc, "gpus", path, int)),
        efficiency=dataclasses.replace(capacity.EFFICIENCY, **values),
        multipliers={k: float(v) for k, v in multipliers.items()}, residual_log_sd=float(spread),
        covers=shapes, as_of=str(doc.get("as_of", "")), sources=tuple(doc.get("sources") or ()),
        runs=tuple(r for r in doc.get("runs") or () if isinstance(r, dict)))


LATENCY_TARGETS = ("max_inter_token_ms", "max_time_to_first_token_ms")


def calibrated_plan(path: str, calibration_field: str, **plan_args: Any) -> capacity.CapacityPlan:
    """``capacity.plan`` with a calibration file's factors, its regime multiplier and its spread.

    The file must have been measured on the option's model, GPU and weight format, and on its
    replica size when the option pins one (the file's size is taken when it does not); the
    option's request shape must lie within what the runs cover (``check_shape``).
    """
    field = calibration_field
    cal = load(path, field)
    for key in ("model", "gpu", "precision"):
        if plan_args.get(key) != getattr(cal, key):
            raise ScenarioError(field, f"{path} was measured with {key} {getattr(cal, key)}, not "
                                f"{plan_args.get(key)}")
    if plan_args.get("gpus") not in (None, cal.gpus):
        raise ScenarioError(field, f"{path} was measured on {cal.gpus} GPUs per replica, not "
                            f"{plan_args['gpus']}")
    cal.check_shape(plan_args["input_tokens"], plan_args["output_tokens"], field)
    args = {**plan_args, "gpus": cal.gpus}
    plan = capacity.plan(**args, efficiency=cal.efficiency)
    m = cal.multiplier(plan.regime)
    # the multiplier is the measured throughput over the model's at the same batch, so every
    # step, and with them the inter-token latency and the time to first token, takes 1 / m as
    # long: the batch that meets a target T is the one whose modelled step meets T x m
    targets = [k for k in LATENCY_TARGETS if args.get(k) is not None]
    if m != 1.0 and targets:
        try:
            plan = capacity.plan(**{**args, **{k: args[k] * m for k in targets}}, efficiency=cal.efficiency)
        except ScenarioError:
            raise ScenarioError(field, f"with {path}'s {plan.regime} multiplier {m:g} no batch meets the "
                                "option's latency targets") from None
    return dataclasses.replace(
        plan, output_tokens_per_s=plan.output_tokens_per_s * m,
        input_tokens_per_s=plan.input_tokens_per_s * m,
        inter_token_ms=plan.inter_token_ms / m, time_to_first_token_ms=plan.time_to_first_token_ms / m,
        replica_seconds_per_input_token=plan.replica_seconds_per_input_token / m,
        replica_seconds_per_output_token=plan.replica_seconds_per_output_token / m,
        throughput_log_sd=cal.throughput_log_sd,
        calibration_file=path, calibration_sha256=cal.sha256, calibration_as_of=cal.as_of)


def plan(calibration: str | None, *, field: str, **plan_args: Any) -> capacity.CapacityPlan:
    """A self-hosted option's plan: ``capacity.plan``, or with its ``capacity_calibration`` file."""
    if calibration is None:
        return capacity.plan(**plan_args, field=field)
    return calibrated_plan(calibration, f"{field}.capacity_calibration", **plan_args, field=field)


def spread_source(p: capacity.CapacityPlan) -> tuple[str, str | None] | None:
    """(source, as-of) of a calibrated plan's throughput spread for the assumptions table, which
    exports and the deck's provenance carry; None for the shipped fit."""
    if not p.calibration_file:
        return None
    return (f"your benchmark calibration {p.calibration}: residual spread of your runs (log-sd "
            f"{p.throughput_log_sd:.3f}, at least {MIN_RESIDUAL_LOG_SD})", p.calibration_as_of or None)
