"""``backtest`` and ``calibrate-hazards``: the event ledger's real history against the model."""

from __future__ import annotations

import argparse
from pathlib import Path

from tco.cli.common import check_run, money_units, over_budget, say, strict_json, with_meta
from tco.errors import ScenarioError
from tco.load import load_scenario, scenario_files

SCENARIOS_DIR = Path(__file__).resolve().parent.parent.parent / "scenarios"
"""The shipped scenarios, replayed by ``calibrate-hazards`` when none is named."""


def json_units(currency: str) -> dict[str, str]:
    """Units of ``backtest --json``'s per-strategy and per-event keys."""
    return {**money_units(currency, "realised_npv_usd", "simulated_mean_usd", "simulated_p5_usd",
                          "simulated_p50_usd", "simulated_p95_usd"),
            "percentile": "percent 0-100 of simulated paths below the realised NPV",
            "coverage": "fraction 0-1 of realised NPVs inside the simulated P5-P95",
            "below_p5": "fraction 0-1 of realised NPVs below the simulated P5",
            "above_p95": "fraction 0-1 of realised NPVs above the simulated P95",
            "mean_percentile": "percent 0-100: mean percentile of realised NPVs",
            "window_months": "months", "cells": "realised histories scored",
            "months": "months", "month": "months from the window's first month",
            "paths": "simulated paths"}


def backtest(args: argparse.Namespace) -> int:
    import tco.backtest as replay  # noqa: PLC0415 - only this command needs it
    import tco.holdout as holdout  # noqa: PLC0415

    check_run(args)
    cutoff = getattr(args, "cutoff", holdout.CUTOFF)
    if not replay.MONTH_PATTERN.match(str(cutoff)):
        raise ScenarioError("--cutoff", f"'{cutoff}' is not a month written YYYY-MM")
    sc = load_scenario(args.scenario)
    try:
        result = replay.backtest(sc, getattr(args, "start", None), getattr(args, "months", None),
                                 args.paths, args.seed, max_cells=args.max_cells)
    except ScenarioError as exc:
        raise over_budget(exc) from None
    if args.json:
        data = replay.to_json(result)
        # Out-of-sample beside in-sample, on the cohorts from the cut-off (tco.holdout)
        data["calibration"] = {"cutoff": cutoff, "windows": [
            {k: v for k, v in row.items() if k not in ("scenario", "cutoff")}
            for row in holdout.coverage({sc.name: sc}, cutoff) if row["scenario"] == sc.name]}
        say(strict_json(with_meta(data, sc.currency, json_units(sc.currency))))
    else:
        say(replay.text(result))
    return 0


def calibrate(args: argparse.Namespace) -> int:
    import tco.backtest as replay  # noqa: PLC0415
    import tco.hazards as hazards  # noqa: PLC0415
    import tco.holdout as holdout  # noqa: PLC0415

    files = args.scenarios or scenario_files(SCENARIOS_DIR)
    scenarios = {Path(f).stem: load_scenario(f) for f in files}
    say(hazards.report(coverage=replay.coverage(scenarios) if scenarios else None))
    if scenarios:
        say("\n" + "\n".join(holdout.lines(holdout.coverage(scenarios))))
    return 0
