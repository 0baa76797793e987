"""``run``: a scenario's deterministic and Monte Carlo results as a table, JSON, CSVs or a workbook."""

from __future__ import annotations

import argparse
from typing import Any

from tco.cli.common import (
    check_run,
    money_units,
    output_file,
    output_folder,
    run_simulation,
    say,
    shown,
    strict_json,
    table,
    with_meta,
    write_error,
    write_file,
)
from tco.errors import ScenarioError
from tco.format import compact, pct, usd, usd_per_mtok
from tco.glossary import SAMPLING_WORDS
from tco.load import load_scenario
from tco.model import evaluate
from tco.simulate import SimulationResult

# The tables, sentences and the value of information are built from pandas frames, imported after
# the simulation (noqa: PLC0415 below): the run itself then holds neither pandas (57 MB) nor the
# optimiser's scipy modules while its paths are in memory (benchmarks/bench_memory.py).


def json_units(currency: str) -> dict[str, str]:
    """Units of ``run --json``'s per-strategy keys."""
    return {**money_units(currency, "deterministic_npv", "mean", "p5", "p50", "p95", "cvar95",
                          "expected_regret", "lock_in_premium"),
            "p_cheapest": "fraction 0-1 of paths", "paths": "simulated paths"}


def run_json(result: SimulationResult, taxed: Any = None) -> str:
    """The documented ``--json`` object with currency, version and units; with ``taxed``
    (``tco.tax.AfterTax``) an ``after_tax`` object beside the strategies."""
    from tco.optimise.information import value_of_information  # noqa: PLC0415 - see the imports

    currency = result.scenario.currency
    data, units = result.to_json(), json_units(currency)
    data.update(value_of_information(result).to_json())
    units.update(money_units(currency, "evpi_usd", "usd", "se_usd"))
    units["share_of_evpi"] = "fraction 0-1 of evpi_usd"
    if taxed is not None:
        money = [c for c in taxed.table.columns if c.endswith("_usd")]
        data["after_tax"] = {"tax_rate": taxed.tax_rate, "depreciation": taxed.depreciation,
                             "exact": taxed.exact, "strategies": {
                                 r["strategy"]: {k: r[k] for k in money}
                                 for r in taxed.table.to_dict(orient="records")}}
        units = {**units, **money_units(currency, *money), "tax_rate": "fraction 0-1 of profit"}
    return strict_json(with_meta(data, currency, units))


def run(args: argparse.Namespace) -> int:
    check_run(args)
    if args.tax_rate is not None and not 0.0 <= args.tax_rate < 1.0:  # before the run, not after
        raise ScenarioError("--tax-rate", "must be a share from 0 to below 1 (0.25 = 25%)")
    inputs = (args.scenario,)
    folder = focus_folder = None
    if args.csv_dir is not None:
        from tco.export import CSV_DIR_FILES  # noqa: PLC0415 - the writers load only when asked for

        folder = output_folder("--csv-dir", args.csv_dir, CSV_DIR_FILES, inputs)
    workbook = (output_file("--xlsx", args.xlsx, "plan.xlsx", inputs)
                if args.xlsx is not None else None)
    if args.focus_dir is not None:
        from tco.focus import COMMITMENT_FILE, COST_FILE, NOTES_FILE  # noqa: PLC0415 - likewise

        focus_folder = output_folder("--focus-dir", args.focus_dir,
                                     (COST_FILE, COMMITMENT_FILE, NOTES_FILE), inputs)
    sc = load_scenario(args.scenario)
    # Only the exports (the fan chart's CSV, the workbook's column notes, FOCUS) read the
    # cumulative cost per path and month; the printed tables and --json do not.
    exports = (folder, workbook, focus_folder)
    result = run_simulation(sc, args, show_progress=True, sampling=args.sampling,
                            keep_cumulative=any(path is not None for path in exports))
    taxed = None
    if args.tax_rate is not None or sc.tax is not None:
        from tco.tax import after_tax  # noqa: PLC0415 - only a tax rate needs it

        # The flag overrides the scenario's tax: section, as a what-if on the same file.
        rate, depreciation = ((args.tax_rate, args.depreciation) if args.tax_rate is not None
                              else (sc.tax.rate, sc.tax.depreciation))
        taxed = after_tax(result, rate, depreciation)
    text = run_json(result, taxed) if args.json else None  # fail before writing any file
    if folder is not None:
        from tco.export import write_csv_dir  # noqa: PLC0415 - only this flag needs it

        try:
            write_csv_dir(result, folder)
        except OSError as exc:
            raise write_error("--csv-dir", folder, exc) from None
    if focus_folder is not None:
        from tco.focus import write_focus_dir  # noqa: PLC0415 - only this flag needs it

        try:
            write_focus_dir(result, focus_folder)
        except OSError as exc:
            raise write_error("--focus-dir", focus_folder, exc) from None
    if workbook is not None:
        from tco.excel import workbook_bytes  # noqa: PLC0415 - openpyxl loads only for this flag

        write_file("--xlsx", workbook, workbook_bytes(result))
    if text is not None:
        print(text)
        return 0
    _print_tables(result, args)
    if taxed is not None:
        _print_after_tax(taxed)
    return 0


def _print_after_tax(taxed: Any) -> None:
    import pandas as pd  # noqa: PLC0415 - see the imports

    from tco.tax import DEPRECIATION_WORDS  # noqa: PLC0415 - only a tax rate needs it

    t = taxed.table
    say(f"\nNPV before and after tax at {pct(taxed.tax_rate, 1)} ({DEPRECIATION_WORDS[taxed.depreciation]} "
        "depreciation of bought GPUs)" + ("" if taxed.exact else "; the shield is discounted at the "
                                          "nominal discount rate, which the scenario samples"))
    say(table(pd.DataFrame({
        "strategy": t["strategy"],
        "deterministic": [usd(v) for v in t["deterministic_npv_usd"]],
        "after tax": [usd(v) for v in t["deterministic_after_tax_npv_usd"]],
        "mean": [usd(v) for v in t["mean_npv_usd"]],
        "mean after tax": [usd(v) for v in t["mean_after_tax_npv_usd"]],
        "tax shield": [usd(v) for v in t["mean_tax_shield_usd"]]})))


def _print_tables(result: SimulationResult, args: argparse.Namespace) -> None:
    import pandas as pd  # noqa: PLC0415 - see the imports

    import tco.narrative as narrative  # noqa: PLC0415 - likewise
    from tco.story import recommendation  # noqa: PLC0415 - likewise

    sc = result.scenario
    det = evaluate(sc)
    summary = result.summary()
    say(f"{shown(sc.name)}: {sc.horizon_months} months, {args.paths:,} paths, seed {args.seed}, "
        f"{SAMPLING_WORDS[result.sampling]}, money in {shown(sc.currency)} (NPV at "
        f"{pct(result.resolved.params['discount_rate_per_year'].nominal, 1)}/yr)\n")
    rows = pd.DataFrame({
        "strategy": summary.index,
        "deterministic": [usd(v) for v in summary["deterministic_npv"]],
        "mean": [usd(v) for v in summary["mean"]],
        "P5": [usd(v) for v in summary["p5"]],
        "P50": [usd(v) for v in summary["p50"]],
        "P95": [usd(v) for v in summary["p95"]],
        "CVaR95": [usd(v) for v in summary["cvar95"]],
        "P(cheapest)": [pct(v) for v in summary["p_cheapest"]],
        "regret": [usd(v) for v in summary["expected_regret"]],
        "lock-in premium": [usd(v) for v in summary["lock_in_premium"]],
        "cost/Mtok": [usd_per_mtok(det.cost_per_mtok_usd[s]) for s in summary.index],
    })
    say("NPV of total cost per strategy")
    say(table(rows))
    say(f"\n{shown(recommendation(result))}\n{shown(narrative.tail_sentence(result))}")
    if not det.fleet.empty:
        fleet = det.fleet.groupby(["strategy", "option"], sort=False).agg(
            first=("gpus", "first"), peak=("gpus", "max"), utilization=("utilization", "mean"))
        say("\nSelf-hosted fleet (deterministic): GPUs in month 0, peak GPUs, mean utilisation")
        say(table(pd.DataFrame({
            "strategy": [s for s, _ in fleet.index], "option": [o for _, o in fleet.index],
            "GPUs month 0": [f"{v:.0f}" for v in fleet["first"]],
            "peak GPUs": [f"{v:.0f}" for v in fleet["peak"]],
            "mean utilisation": [pct(v) for v in fleet["utilization"]]})))
        for name, plan in result.resolved.plans.items():
            say(f"  {shown(name)}: replica of {plan.gpus} x {plan.gpu} ({plan.precision}), batch "
                f"{plan.max_batch}, {plan.output_tokens_per_s_per_gpu:,.0f} output tok/s per GPU, "
                f"{plan.inter_token_ms:.0f} ms/token ({plan.bound})")
    if not det.break_even.empty:
        say("\nBreak-even month-0 volume (requests per month)")
        for row in det.break_even.itertuples():
            volume = (compact(row.break_even_requests_per_month)
                      if pd.notna(row.break_even_requests_per_month) else "none within range")
            say(f"  {shown(row.api_option)} vs {shown(row.self_hosted_option)}: {volume} ({row.note})")
    for warning in result.resolved.warnings:
        say(f"warning: {shown(warning)}")
