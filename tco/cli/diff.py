"""``diff``: two scenarios compared, the inputs that differ and the NPV of each strategy."""

from __future__ import annotations

import argparse
import json

from tco.cli.common import check_run, money_units, number, run_simulation, say, shown, with_meta
from tco.load import load_scenario

JSON_KEYS = ("mean_a_usd", "p95_a_usd", "mean_b_usd", "p95_b_usd", "difference_usd",
             "difference_se_usd")
"""The per-strategy money keys of ``diff --json`` (tco.compare's columns)."""


def diff(args: argparse.Namespace) -> int:
    from tco.compare import compare, text  # noqa: PLC0415 - only this command needs it

    check_run(args)
    a, b = load_scenario(args.base), load_scenario(args.other)
    result = compare(a, b, args.paths, args.seed, (run_simulation(a, args), run_simulation(b, args)))
    fmt = "json" if args.json else args.format
    if fmt == "markdown":
        from tco.gate import comparison_markdown  # noqa: PLC0415

        say(comparison_markdown(result, args.base, args.other, a.currency).rstrip("\n"))
        return 0
    if fmt == "text":
        say(text(result, shown(args.base), shown(args.other)))
        return 0
    say(json.dumps(with_meta({
        "base": args.base, "other": args.other, "paths": args.paths, "seed": args.seed,
        "currency": a.currency, "paired_paths": result.paired,
        "inputs": result.inputs.to_dict(orient="records"),
        "strategies": {r["strategy"]: {k: number(v) for k, v in r.items() if k != "strategy"}
                       for r in result.strategies.to_dict(orient="records")},
    }, a.currency, {**money_units(a.currency, *JSON_KEYS), "paths": "simulated paths"}),
        indent=2, allow_nan=False))
    return 0
