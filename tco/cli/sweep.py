"""``sweep``: a scenario's or a portfolio's Monte Carlo under every chosen stress and seed, on one
machine or Dask."""

from __future__ import annotations

import argparse
import json

from tco.cli.common import output_folder, say, shown, write_file
from tco.errors import ScenarioError
from tco.load import read_bounded
from tco.simulate import MAX_SEED

SWEEP_FILES = ("sweep.csv", "sweep.json")


def seeds(text: str) -> list[int]:
    """'1,2,3' -> [1, 2, 3]: whole numbers in the seed's range, each once."""
    try:
        values = [int(part) for part in text.split(",")]
    except ValueError:
        raise ScenarioError("--seeds", "must be whole numbers separated by commas, such as 1,2,3") from None
    if any(not 0 <= v <= MAX_SEED for v in values):
        raise ScenarioError("--seeds", f"each must be between 0 and {MAX_SEED:,}")
    if len(set(values)) != len(values):
        raise ScenarioError("--seeds", "names a seed twice; name each once")
    return values


def sweep(args: argparse.Namespace) -> int:
    import tco.sweep as engine  # noqa: PLC0415 - only this command needs it

    chosen = seeds(args.seeds)
    folder = output_folder("--out", args.out, SWEEP_FILES, (args.scenario,))
    src = engine.source(read_bounded(args.scenario).decode("utf-8"), args.paths, args.stresses)
    frame = engine.sweep(src, chosen, args.executor, args.sampling, args.blocks_per_task)
    folder.mkdir(parents=True, exist_ok=True)
    write_file("--out", folder / "sweep.csv", frame.to_csv(index=False).encode())
    meta = {"scenario": src.name, "kind": src.kind, "paths": src.paths, "seeds": chosen,
            "stresses": list(src.stresses),
            "strategies": list(src.strategies), "tasks": len(engine.tasks(src, chosen, args.blocks_per_task)),
            "units": {"mean": "present value, scenario currency", "p5": "same", "p50": "same",
                      "p95": "same", "cvar95": "same", "p_cheapest": "probability"
                      if src.kind == "scenario" else "probability (1 for a portfolio's one row)"}}
    write_file("--out", folder / "sweep.json", json.dumps(meta, indent=2).encode())
    say(f"{shown(src.name)}: {len(src.stresses)} stress runs (with the unstressed one) x "
        f"{len(chosen)} seeds x {src.paths:,} paths -> {shown(str(folder / 'sweep.csv'))}")
    return 0
