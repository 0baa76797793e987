"""Command line: ``python -m tco run|validate|catalog|schema|stress|deck``.

Exit codes: 0 ok; 2 bad input, with one line naming the field and the rule; 1 an internal error.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from collections.abc import Sequence

import pandas as pd

from tco import catalog, prices
from tco.errors import ScenarioError
from tco.format import compact, pct, usd, usd_per_mtok
from tco.load import json_schema, load_scenario
from tco.model import evaluate
from tco.simulate import DEFAULT_PATHS, DEFAULT_SEED, simulate

MAX_PATHS = 2_000_000


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line and exit 2, as for any bad input
        raise ScenarioError("arguments", message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m tco", description="LLM lock-in risk and TCO calculator")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = sub.add_parser("run", help="deterministic and Monte Carlo results for a scenario")
    run.add_argument("scenario")
    run.add_argument("--paths", type=int, default=DEFAULT_PATHS)
    run.add_argument("--seed", type=int, default=DEFAULT_SEED)
    run.add_argument("--sampling", choices=("random", "lhs", "sobol"), default=None)
    run.add_argument("--json", action="store_true", help="print the documented JSON object")
    run.add_argument("--csv-dir", help="write summary.csv, monthly_percentiles.csv, paths.csv, "
                     "provenance.json")
    validate = sub.add_parser("validate", help="check scenario files")
    validate.add_argument("scenarios", nargs="+")
    cat = sub.add_parser("catalog", help="print a reference catalog with sources")
    cat.add_argument("which", choices=("gpus", "models", "prices", "benchmarks"))
    sub.add_parser("schema", help="print the JSON Schema of scenario files")
    stress = sub.add_parser("stress", help="force one event and compare strategies")
    stress.add_argument("scenario")
    stress.add_argument("--event", required=True)
    stress.add_argument("--on", required=True)
    stress.add_argument("--month", type=int, required=True)
    deck = sub.add_parser("deck", help="build the PowerPoint deck")
    deck.add_argument("scenario")
    deck.add_argument("-o", "--output", required=True)
    deck.add_argument("--paths", type=int, default=DEFAULT_PATHS)
    deck.add_argument("--seed", type=int, default=DEFAULT_SEED)
    return parser


def _check_paths(paths: int) -> None:
    if not 1 <= paths <= MAX_PATHS:
        raise ScenarioError("--paths", f"must be between 1 and {MAX_PATHS:,}")


def _table(frame: pd.DataFrame) -> str:
    return frame.to_string(index=False)


def _run(args: argparse.Namespace) -> int:
    _check_paths(args.paths)
    sc = load_scenario(args.scenario)
    result = simulate(sc, paths=args.paths, seed=args.seed, sampling=args.sampling)
    if args.csv_dir:
        from tco.export import write_csv_dir  # noqa: PLC0415 - only this flag needs it

        write_csv_dir(result, args.csv_dir)
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
        return 0
    det = evaluate(sc)
    table = result.summary()
    print(f"{sc.name}: {sc.horizon_months} months, {args.paths:,} paths, seed {args.seed}, "
          f"{result.sampling} sampling, money in {sc.currency} (NPV at "
          f"{pct(result.resolved.params['discount_rate_per_year'].nominal, 1)}/yr)\n")
    rows = pd.DataFrame({
        "strategy": table.index,
        "deterministic": [usd(v) for v in table["deterministic_npv"]],
        "mean": [usd(v) for v in table["mean"]],
        "P5": [usd(v) for v in table["p5"]],
        "P50": [usd(v) for v in table["p50"]],
        "P95": [usd(v) for v in table["p95"]],
        "CVaR95": [usd(v) for v in table["cvar95"]],
        "P(cheapest)": [pct(v) for v in table["p_cheapest"]],
        "regret": [usd(v) for v in table["expected_regret"]],
        "lock-in premium": [usd(v) for v in table["lock_in_premium"]],
        "cost/Mtok": [usd_per_mtok(det.cost_per_mtok_usd[s]) for s in table.index],
    })
    print("NPV of total cost per strategy")
    print(_table(rows))
    if not det.fleet.empty:
        fleet = det.fleet.groupby(["strategy", "option"], sort=False).agg(
            first=("gpus", "first"), peak=("gpus", "max"), utilization=("utilization", "mean"))
        print("\nSelf-hosted fleet (deterministic): GPUs in month 0, peak GPUs, mean utilisation")
        print(_table(pd.DataFrame({
            "strategy": [s for s, _ in fleet.index], "option": [o for _, o in fleet.index],
            "GPUs month 0": [f"{v:.0f}" for v in fleet["first"]],
            "peak GPUs": [f"{v:.0f}" for v in fleet["peak"]],
            "mean utilisation": [pct(v) for v in fleet["utilization"]]})))
        for name, plan in result.resolved.plans.items():
            print(f"  {name}: replica of {plan.gpus} x {plan.gpu} ({plan.precision}), batch "
                  f"{plan.max_batch}, {plan.output_tokens_per_s_per_gpu:,.0f} output tok/s per GPU, "
                  f"{plan.inter_token_ms:.0f} ms/token ({plan.bound})")
    if not det.break_even.empty:
        print("\nBreak-even month-0 volume (requests per month)")
        for row in det.break_even.itertuples():
            volume = (compact(row.break_even_requests_per_month)
                      if pd.notna(row.break_even_requests_per_month) else "none within range")
            print(f"  {row.api_option} vs {row.self_hosted_option}: {volume} ({row.note})")
    for warning in result.resolved.warnings:
        print(f"warning: {warning}")
    return 0


def _catalog(which: str) -> int:
    if which == "gpus":
        frame = pd.DataFrame([vars(g) for g in catalog.gpus().values()])
    elif which == "models":
        frame = pd.DataFrame([vars(m) for m in catalog.models().values()])
    elif which == "benchmarks":
        frame = pd.DataFrame([vars(b) for b in catalog.benchmarks().values()])
    else:
        frame = pd.DataFrame([{**vars(p), "scheduled_changes": "; ".join(p.scheduled_changes)}
                              for p in prices.listed_prices()])
        print(f"API prices from genai-prices {prices.package_version()}, snapshot as of "
              f"{prices.snapshot_as_of()}, per 1M tokens for a 1,000-in / 300-out request")
    with pd.option_context("display.max_rows", None, "display.max_columns", None,
                           "display.width", 250, "display.max_colwidth", 80):
        print(frame.to_string(index=False))
    return 0


def _stress(args: argparse.Namespace) -> int:
    from tco.stress import stress  # noqa: PLC0415

    sc = load_scenario(args.scenario)
    frame = stress(sc, args.event, args.on, args.month)
    print(f"{sc.name}: forced {args.event} on {args.on} in month {args.month} (deterministic)")
    print(_table(pd.DataFrame({
        "strategy": frame["strategy"], "base NPV": frame["base_npv_usd"].map(usd),
        "stressed NPV": frame["stressed_npv_usd"].map(usd), "impact": frame["impact_usd"].map(usd),
        "impact %": frame["impact_share"].map(lambda v: pct(v, 1))})))
    return 0


def _deck(args: argparse.Namespace) -> int:
    from tco.deck import build_deck  # noqa: PLC0415 - python-pptx and plotly load only here

    _check_paths(args.paths)
    sc = load_scenario(args.scenario)
    from tco.export import write_atomic  # noqa: PLC0415

    data = build_deck(sc, simulate(sc, paths=args.paths, seed=args.seed))
    target = write_atomic(args.output, data)
    print(f"wrote {target} ({len(data) / 1000:.0f} kB)")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
        if args.command == "run":
            return _run(args)
        if args.command == "validate":
            for path in args.scenarios:
                sc = load_scenario(path)
                print(f"{path}: ok ({sc.name}; {len(sc.options)} options, {len(sc.strategies)} "
                      f"strategies, {len(sc.risks)} risks)")
            return 0
        if args.command == "catalog":
            return _catalog(args.which)
        if args.command == "schema":
            print(json.dumps(json_schema(), indent=2))
            return 0
        if args.command == "stress":
            return _stress(args)
        if args.command == "deck":
            return _deck(args)
    except ScenarioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return 1
    except Exception:  # noqa: BLE001 - an internal error: keep the trace for a bug report
        traceback.print_exc()
        return 1
    return 1


if __name__ == "__main__":
    sys.exit(main())
