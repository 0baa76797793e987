"""``calibrate``: refit the capacity model on the user's own benchmark files and write a calibration.

    python -m tco calibrate FILE... --model M --gpu G --precision P --gpus N [--engine E]
        [--input-tokens I --output-tokens O] [-o calibration.yaml]

Reads every file (``tco.calibration.formats``), keeps the runs of the given replica (an InferenceX
file holds many configurations: rows of other GPUs, formats, sizes or models are left out),
refits (``tco.calibration.refit``), prints each run before and after with its regime, the factors
with their bounds, and writes the calibration file. Bad input is one line naming the file, the
field and the rule, exit 2, and nothing is written.
"""

from __future__ import annotations

import argparse
import datetime as dt

import pandas as pd

import tco.capacity as capacity
import tco.catalog as catalog
from tco.calibration import files, formats, refit
from tco.cli.common import output_file, say, write_file
from tco.errors import ScenarioError


def add_parser(sub: argparse._SubParsersAction, help_text: str) -> None:
    """The command's arguments (``tco.cli.parser`` calls this with the command's help)."""
    cal = sub.add_parser("calibrate", help=help_text)
    cal.add_argument("files", nargs="+",
                     help="benchmark result files: " + "; ".join(formats.FORMATS.values()))
    cal.add_argument("--model", required=True, help="model catalog key (python -m tco catalog models)")
    cal.add_argument("--gpu", required=True, help="GPU catalog key (python -m tco catalog gpus)")
    cal.add_argument("--precision", required=True, help="weight format: " + ", ".join(capacity.PRECISIONS))
    cal.add_argument("--gpus", type=int, required=True, help="GPUs of the benchmarked replica")
    cal.add_argument("--engine", default="vllm", help="serving engine the runs used: "
                     + ", ".join(capacity.SERVING_ENGINES))
    cal.add_argument("--kv-cache-precision", default=None, help="KV-cache format (default: follows the "
                     "weights as the capacity model does)")
    cal.add_argument("--layout", default="tp", help="replica layout: " + ", ".join(capacity.LAYOUTS))
    cal.add_argument("--input-tokens", type=float, default=None, help="with --output-tokens: also print "
                     "the planned throughput at this request shape before and after")
    cal.add_argument("--output-tokens", type=float, default=None, help="see --input-tokens")
    cal.add_argument("-o", "--output", default=None,
                     help="calibration file to write (YAML); none: print only")


def calibrate_command(args: argparse.Namespace) -> int:
    if args.engine not in capacity.SERVING_ENGINES:
        raise ScenarioError("--engine", "must be one of " + ", ".join(capacity.SERVING_ENGINES))
    if (args.input_tokens is None) != (args.output_tokens is None):
        raise ScenarioError("--input-tokens", "give both --input-tokens and --output-tokens, or neither")
    precision = args.precision
    kv = args.kv_cache_precision or capacity.DEFAULT_KV_CACHE_PRECISION.get(precision, "bf16")
    setup = refit.Setup(args.model, args.gpu, precision, args.gpus, kv, args.layout, args.engine)
    refit.check_setup(setup)
    target = output_file("--output", args.output, "calibration.yaml") if args.output else None
    points: list[formats.Measured] = []
    sources = []
    for name in args.files:
        runs, data = formats.read(name)
        kept = refit.runs_of(setup, runs, name)
        points += kept
        sources.append((name, data, kept[0].format, len(kept)))
    cal = refit.calibrate(setup, points)
    if args.input_tokens is not None:
        _shape(cal, args, sources)
    _report(cal)
    if target is not None:
        doc = files.document(cal, sources, dt.datetime.now(dt.UTC).date())
        write_file("--output", target, files.dumps(doc))
        say(f"\nwrote {target}")
    return 0


def _report(cal: refit.Calibration) -> None:
    frame = cal.frame().assign(run=[r.point.where.rsplit("/", 1)[-1] for r in cal.rows])
    with pd.option_context("display.width", 250, "display.max_colwidth", 60, "display.max_rows", None):
        say(frame.to_string(index=False))
    say("\nratio = model / measured output tokens per second, at each run's own mean batch "
        "(output tokens/s x mean time per output token)")
    say("\nfactors (shipped -> calibrated, within the cited bounds):")
    for line in cal.factor_lines():
        say(f"  {line}")
    say(f"residual spread about your runs: log-sd {cal.residual_log_sd:.3f} (before "
        f"{_log_sd([r.ratio_before for r in cal.rows]):.3f}); a calibrated option draws with at least "
        f"{files.MIN_RESIDUAL_LOG_SD}")


def _log_sd(ratios: list[float]) -> float:
    import numpy as np  # noqa: PLC0415 - one use

    return float(np.sqrt(np.mean(np.log(ratios) ** 2)))


def _shape(cal: refit.Calibration, args: argparse.Namespace, sources: list) -> None:
    covered = files.CalibrationFile(
        path=", ".join(s[0] for s in sources), sha256="", model=cal.setup.model, gpu=cal.setup.gpu,
        precision=cal.setup.precision, gpus=cal.setup.gpus, efficiency=cal.efficiency,
        multipliers=cal.multipliers, residual_log_sd=cal.residual_log_sd, covers=cal.covers(), as_of="",
        sources=())
    covered.check_shape(args.input_tokens, args.output_tokens, "--input-tokens")
    s = cal.setup
    kw = dict(model=s.model, gpu=s.gpu, precision=s.precision, gpus=s.gpus, input_tokens=args.input_tokens,
              output_tokens=args.output_tokens, kv_cache_precision=s.kv_cache_precision,
              serving_engine=s.engine, layout=s.layout if s.gpus > 1 else None)
    before = capacity.plan(**kw)
    after = capacity.plan(**kw, efficiency=cal.efficiency)
    tokens = after.output_tokens_per_s_per_gpu * covered.multiplier(after.regime)
    say(f"at {args.input_tokens:,.0f} in / {args.output_tokens:,.0f} out on {s.gpus} x "
        f"{catalog.gpu(s.gpu).key}: "
        f"{before.output_tokens_per_s_per_gpu:,.0f} -> {tokens:,.0f} output tokens/s per GPU "
        f"(batch {after.max_batch}, {after.bound})\n")
