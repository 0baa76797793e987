r"""Command line: ``python -m tco run|validate|catalog|schema|stress|deck|diff|backtest``.

Exit codes: 0 ok; 2 bad input, with one line naming the field and the rule; 1 an internal error.
Everything printed from user data (file names, scenario names, error messages that quote input)
goes through ``shown``, so a carriage return or a terminal escape in it is printed as ``\r`` or
``\x1b`` and neither splits the error line nor takes effect.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import os
import re
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

import tco.budget as budget
import tco.catalog as catalog
import tco.prices as prices
import tco.risks as risks
from tco.errors import ScenarioError
from tco.format import compact, pct, usd, usd_per_mtok
from tco.load import json_schema, load_scenario
from tco.model import evaluate
from tco.simulate import DEFAULT_PATHS, DEFAULT_SEED, simulate

MAX_SEED = 2**63 - 1
"""Seeds fit a signed 64-bit column, so provenance and paths.csv read back as integers anywhere."""
_HIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
"""Control characters, line and paragraph separators and bidirectional overrides."""


def shown(text: object, keep: str = "", limit: int = 1000) -> str:
    """User data made safe for a terminal: hidden characters escaped as ``repr`` writes them.

    ``keep`` lists characters to print as they are (new lines in the tables this module builds);
    text longer than ``limit`` is cut, so a field name of a megabyte does not flood the terminal.
    """
    text = str(text)
    if len(text) > limit:
        text = f"{text[:limit]}..."
    return _HIDDEN.sub(lambda m: m.group() if m.group() in keep else repr(m.group())[1:-1], text)


def _say(text: str) -> None:
    print(shown(text, keep="\n", limit=sys.maxsize))


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line and exit 2, as for any bad input
        raise ScenarioError("arguments", message)


PATHS_HELP = "simulated paths (the page uses the same default)"
SEED_HELP = "random seed: the same seed and inputs give the same numbers, bit for bit"


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m tco", description="LLM lock-in risk and TCO calculator")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sub.add_parser = functools.partial(  # every command's --help shows each option's default
        sub.add_parser, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    run = sub.add_parser("run", help="deterministic and Monte Carlo results for a scenario")
    run.add_argument("scenario", help="scenario file (YAML)")
    run.add_argument("--paths", type=int, default=DEFAULT_PATHS, help=PATHS_HELP)
    run.add_argument("--seed", type=int, default=DEFAULT_SEED, help=SEED_HELP)
    run.add_argument("--sampling", choices=("random", "lhs", "sobol"), default=None,
                     help="sampling of the uncertain inputs; None takes the scenario's own")
    run.add_argument("--json", action="store_true", help="print the documented JSON object")
    run.add_argument("--csv-dir", help="write summary.csv, monthly_percentiles.csv, paths.csv, "
                     "provenance.json")
    run.add_argument("--max-cells", type=int, default=budget.CLI_MAX_CELLS,
                     help="the largest paths x strategies x months to run (memory bound)")
    validate = sub.add_parser("validate", help="check scenario files")
    validate.add_argument("scenarios", nargs="+", help="scenario files; each is reported, pass or fail")
    cat = sub.add_parser("catalog", help="print a reference catalog with sources")
    cat.add_argument("which", choices=("gpus", "models", "prices", "benchmarks", "events"),
                     help="which catalog; benchmarks lists the published throughput points with the "
                     "model's prediction and ratio; events the dated event ledger")
    cat.add_argument("--provider", default=None, help="events: only this provider (default: all)")
    cat.add_argument("--kind", default=None, help="events: only this kind (default: all)")
    cat.add_argument("--json", action="store_true", help="events: print JSON records")
    hazards = sub.add_parser("calibrate-hazards", help="hazard rates, successor prices and Brier scores "
                             "estimated from the event ledger, and the coverage of replayed history")
    hazards.add_argument("scenarios", nargs="*", help="scenarios to replay for the P5-P95 coverage "
                         "(default: the shipped scenarios/*.yaml)")
    sub.add_parser("schema", help="print the JSON Schema of scenario files")
    stress = sub.add_parser("stress", help="force one event and compare strategies")
    stress.add_argument("scenario", help="scenario file (YAML)")
    stress.add_argument("--event", required=True, help="risk kind to force: " + ", ".join(risks.REGISTRY))
    stress.add_argument("--on", required=True, help="the option it hits")
    stress.add_argument("--month", type=int, required=True, help="the month it happens (0 = first)")
    deck = sub.add_parser("deck", help="build the PowerPoint deck")
    deck.add_argument("scenario", help="scenario file (YAML)")
    deck.add_argument("-o", "--output", required=True, help="the .pptx file to write")
    deck.add_argument("--paths", type=int, default=DEFAULT_PATHS, help=PATHS_HELP)
    deck.add_argument("--seed", type=int, default=DEFAULT_SEED, help=SEED_HELP)
    deck.add_argument("--max-cells", type=int, default=budget.CLI_MAX_CELLS,
                      help="the largest paths x strategies x months to run (memory bound)")
    diff = sub.add_parser("diff", help="compare two scenarios: inputs that differ, NPV per strategy")
    diff.add_argument("base", help="the scenario compared against (a)")
    diff.add_argument("other", help="the scenario compared (b)")
    diff.add_argument("--paths", type=int, default=DEFAULT_PATHS, help=PATHS_HELP)
    diff.add_argument("--seed", type=int, default=DEFAULT_SEED, help=SEED_HELP)
    diff.add_argument("--max-cells", type=int, default=budget.CLI_MAX_CELLS,
                      help="the largest paths x strategies x months to run (memory bound)")
    diff.add_argument("--json", action="store_true", help="print the comparison as one JSON object")
    back = sub.add_parser("backtest", help="replay the event ledger's real history against every strategy")
    back.add_argument("scenario", help="scenario file (YAML)")
    back.add_argument("--from", dest="start", default=argparse.SUPPRESS, help="the window's first "
                      "month, YYYY-MM (default: the start of the 24 months ending with the ledger's last)")
    back.add_argument("--months", type=int, default=argparse.SUPPRESS, help="the window's length "
                      "(default: the scenario's horizon, cut at the ledger's last month)")
    back.add_argument("--paths", type=int, default=DEFAULT_PATHS, help=PATHS_HELP)
    back.add_argument("--seed", type=int, default=DEFAULT_SEED, help=SEED_HELP)
    back.add_argument("--max-cells", type=int, default=budget.CLI_MAX_CELLS,
                      help="the largest paths x strategies x months to run (memory bound)")
    back.add_argument("--json", action="store_true", help="print the replay as one JSON object")
    return parser


def _backtest(args: argparse.Namespace) -> int:
    import tco.backtest as backtest  # noqa: PLC0415 - only this command needs it

    _check_run(args)
    sc = load_scenario(args.scenario)
    try:
        result = backtest.backtest(sc, getattr(args, "start", None), getattr(args, "months", None),
                                   args.paths, args.seed, max_cells=args.max_cells)
    except ScenarioError as exc:
        if exc.field == "paths":  # over the cell budget: say which flags change it
            raise ScenarioError("--paths", f"{exc.rule}; --max-cells raises the limit") from None
        raise
    _say(_strict_json(backtest.to_json(result)) if args.json else backtest.text(result))
    return 0


def _calibrate(args: argparse.Namespace) -> int:
    import tco.backtest as backtest  # noqa: PLC0415
    import tco.hazards as hazards  # noqa: PLC0415

    files = args.scenarios or sorted((Path(__file__).resolve().parent.parent / "scenarios").glob("*.yaml"))
    scenarios = {Path(f).stem: load_scenario(f) for f in files}
    _say(hazards.report(coverage=backtest.coverage(scenarios) if scenarios else None))
    return 0


def _diff(args: argparse.Namespace) -> int:
    from tco.compare import compare, text  # noqa: PLC0415 - only this command needs it

    _check_run(args)
    a, b = load_scenario(args.base), load_scenario(args.other)
    result = compare(a, b, args.paths, args.seed, (_simulate(a, args), _simulate(b, args)))
    if not args.json:
        _say(text(result, shown(args.base), shown(args.other)))
        return 0

    def number(value: float) -> float | None:
        return None if math.isnan(value) else float(value)  # NaN: a strategy only one side has

    _say(json.dumps({
        "base": args.base, "other": args.other, "paths": args.paths, "seed": args.seed,
        "currency": a.currency, "paired_paths": result.paired,
        "inputs": result.inputs.to_dict(orient="records"),
        "strategies": {r["strategy"]: {k: number(v) for k, v in r.items() if k != "strategy"}
                       for r in result.strategies.to_dict(orient="records")},
    }, indent=2, allow_nan=False))
    return 0


def _validate(paths: list[str]) -> int:
    """Check every file and report each, pass or fail; exit 2 if any fails. With several files,
    each error line names its file first."""
    failed = 0
    for path in paths:
        try:
            sc = load_scenario(path)
        except ScenarioError as exc:
            if len(paths) == 1:
                raise
            failed += 1
            where = shown(path) + (f": {shown(exc.field, limit=200)}" if exc.field != path else "")
            print(f"error: {where}: {shown(exc.rule)}", file=sys.stderr)
            continue
        _say(f"{shown(path)}: ok ({shown(sc.name)}; {len(sc.options)} options, "
             f"{len(sc.strategies)} strategies, {len(sc.risks)} risks)")
    return 2 if failed else 0


def _check_run(args: argparse.Namespace) -> None:
    """Refuse bad numbers before any file is read or any work is done."""
    if not 1 <= args.paths <= budget.MAX_PATHS:
        raise ScenarioError("--paths", f"must be between 1 and {budget.MAX_PATHS:,}")
    if not 0 <= args.seed <= MAX_SEED:
        raise ScenarioError("--seed", f"must be a whole number between 0 and {MAX_SEED:,}")
    if args.max_cells < 1:
        raise ScenarioError("--max-cells", "must be a whole number of at least 1")


def _simulate(sc: Any, args: argparse.Namespace, **kwargs: Any) -> Any:
    try:
        return simulate(sc, paths=args.paths, seed=args.seed, max_cells=args.max_cells, **kwargs)
    except ScenarioError as exc:
        if exc.field == "paths":  # over the cell budget: say which flags change it
            raise ScenarioError("--paths", f"{exc.rule}; --max-cells raises the limit") from None
        raise


def _output_file(field: str, target: str) -> Path:
    """Check a file to write before the run, so a bad path fails in a second, not after it."""
    path = Path(target)
    try:
        if not path.name or path.is_dir():
            raise ScenarioError(field, f"'{target}' is a folder; give a file name such as plan.pptx")
        if not path.parent.is_dir():
            reason = "is not a folder" if path.parent.exists() else "does not exist"
            raise ScenarioError(field, f"folder '{path.parent}' {reason}")
    except OSError as exc:
        raise _write_error(field, path, exc) from None
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise ScenarioError(field, f"folder '{path.parent}' is not writable")
    return path


def _output_folder(field: str, target: str) -> Path:
    """Check a folder to write into (it may not exist yet) before the run."""
    path = Path(target)
    try:
        existing = next((p for p in (path, *path.parents) if p.exists()), Path("."))
        if not existing.is_dir():
            raise ScenarioError(field, f"'{existing}' is a file, not a folder")
    except OSError as exc:
        raise _write_error(field, path, exc) from None
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ScenarioError(field, f"'{existing}' is not writable")
    return path


def _write_error(field: str, target: Path, exc: OSError) -> ScenarioError:
    return ScenarioError(field, f"cannot write '{target}' ({(exc.strerror or 'error').lower()})")


def _strict_json(data: Any) -> str:
    """JSON that strict parsers accept: a NaN or an infinity is an error naming where it is."""
    try:
        return json.dumps(data, indent=2, allow_nan=False)
    except ValueError:
        path, value = _non_finite(data) or ("result", math.nan)
        raise ScenarioError(path, f"is {value}, which JSON cannot hold; an input is so large that the "
                            "costs overflow") from None


def _non_finite(data: Any, path: str = "") -> tuple[str, float] | None:
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        where = f"{path}.{key}" if path else str(key)
        if isinstance(value, float) and not math.isfinite(value):
            return where, value
        found = _non_finite(value, where)
        if found:
            return found
    return None


def _table(frame: pd.DataFrame) -> str:
    return frame.to_string(index=False)


def _run(args: argparse.Namespace) -> int:
    _check_run(args)
    folder = _output_folder("--csv-dir", args.csv_dir) if args.csv_dir else None
    sc = load_scenario(args.scenario)
    result = _simulate(sc, args, sampling=args.sampling)
    text = _strict_json(result.to_json()) if args.json else None  # fail before writing any file
    if folder is not None:
        from tco.export import write_csv_dir  # noqa: PLC0415 - only this flag needs it

        try:
            write_csv_dir(result, folder)
        except OSError as exc:
            raise _write_error("--csv-dir", folder, exc) from None
    if text is not None:
        print(text)
        return 0
    det = evaluate(sc)
    table = result.summary()
    _say(f"{shown(sc.name)}: {sc.horizon_months} months, {args.paths:,} paths, seed {args.seed}, "
         f"{result.sampling} sampling, money in {shown(sc.currency)} (NPV at "
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
    _say("NPV of total cost per strategy")
    _say(_table(rows))
    if not det.fleet.empty:
        fleet = det.fleet.groupby(["strategy", "option"], sort=False).agg(
            first=("gpus", "first"), peak=("gpus", "max"), utilization=("utilization", "mean"))
        _say("\nSelf-hosted fleet (deterministic): GPUs in month 0, peak GPUs, mean utilisation")
        _say(_table(pd.DataFrame({
            "strategy": [s for s, _ in fleet.index], "option": [o for _, o in fleet.index],
            "GPUs month 0": [f"{v:.0f}" for v in fleet["first"]],
            "peak GPUs": [f"{v:.0f}" for v in fleet["peak"]],
            "mean utilisation": [pct(v) for v in fleet["utilization"]]})))
        for name, plan in result.resolved.plans.items():
            _say(f"  {shown(name)}: replica of {plan.gpus} x {plan.gpu} ({plan.precision}), batch "
                 f"{plan.max_batch}, {plan.output_tokens_per_s_per_gpu:,.0f} output tok/s per GPU, "
                 f"{plan.inter_token_ms:.0f} ms/token ({plan.bound})")
    if not det.break_even.empty:
        _say("\nBreak-even month-0 volume (requests per month)")
        for row in det.break_even.itertuples():
            volume = (compact(row.break_even_requests_per_month)
                      if pd.notna(row.break_even_requests_per_month) else "none within range")
            _say(f"  {shown(row.api_option)} vs {shown(row.self_hosted_option)}: {volume} ({row.note})")
    for warning in result.resolved.warnings:
        _say(f"warning: {shown(warning)}")
    return 0


def _catalog(args: argparse.Namespace) -> int:
    which = args.which
    if which == "events":
        import tco.ledger as ledger  # noqa: PLC0415 - the ledger loads only when asked for
        frame = ledger.events(provider=args.provider, kind=args.kind)
        if args.json:
            _say(json.dumps(ledger.to_records(frame), indent=2))
        else:
            _say(ledger.format_events(frame))
        return 0
    if which == "benchmarks":
        import tco.published as published  # noqa: PLC0415
        table = published.table()
        with pd.option_context("display.max_rows", None, "display.max_columns", None,
                               "display.width", 250, "display.max_colwidth", 40):
            _say(table.drop(columns=["source"]).to_string(index=False))
            _say("")
            _say(published.summary().to_string(index=False))
        return 0
    if which == "gpus":
        frame = pd.DataFrame([vars(g) for g in catalog.gpus().values()])
    elif which == "models":
        frame = pd.DataFrame([vars(m) for m in catalog.models().values()])
    elif which == "benchmarks":
        frame = pd.DataFrame([vars(b) for b in catalog.benchmarks().values()])
    else:
        frame = pd.DataFrame([{**vars(p), "scheduled_changes": "; ".join(p.scheduled_changes)}
                              for p in prices.listed_prices()])
        _say(f"API prices from genai-prices {prices.package_version()}, snapshot as of "
             f"{prices.snapshot_as_of()}, per 1M tokens for a 1,000-in / 300-out request")
    with pd.option_context("display.max_rows", None, "display.max_columns", None,
                           "display.width", 250, "display.max_colwidth", 80):
        _say(frame.to_string(index=False))
    return 0


def _stress(args: argparse.Namespace) -> int:
    from tco.stress import stress  # noqa: PLC0415

    sc = load_scenario(args.scenario)
    frame = stress(sc, args.event, args.on, args.month)
    _say(f"{shown(sc.name)}: forced {shown(args.event)} on {shown(args.on)} in month {args.month} "
         "(deterministic)")
    _say(_table(pd.DataFrame({
        "strategy": frame["strategy"], "base NPV": frame["base_npv_usd"].map(usd),
        "stressed NPV": frame["stressed_npv_usd"].map(usd), "impact": frame["impact_usd"].map(usd),
        "impact %": frame["impact_share"].map(lambda v: pct(v, 1))})))
    return 0


def _deck(args: argparse.Namespace) -> int:
    from tco.deck import build_deck  # noqa: PLC0415 - python-pptx and plotly load only here

    _check_run(args)
    target = _output_file("--output", args.output)
    sc = load_scenario(args.scenario)
    from tco.export import write_atomic  # noqa: PLC0415

    data = build_deck(sc, _simulate(sc, args))
    try:
        write_atomic(target, data)
    except OSError as exc:
        raise _write_error("--output", target, exc) from None
    _say(f"wrote {shown(target)} ({len(data) / 1000:.0f} kB)")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
        if args.command == "run":
            return _run(args)
        if args.command == "validate":
            return _validate(args.scenarios)
        if args.command == "catalog":
            return _catalog(args)
        if args.command == "calibrate-hazards":
            return _calibrate(args)
        if args.command == "backtest":
            return _backtest(args)
        if args.command == "schema":
            print(json.dumps(json_schema(), indent=2, allow_nan=False))
            return 0
        if args.command == "stress":
            return _stress(args)
        if args.command == "deck":
            return _deck(args)
        if args.command == "diff":
            return _diff(args)
    except ScenarioError as exc:
        rule = shown(exc.rule)
        print(f"error: {shown(exc.field, limit=200)}: {rule}" if exc.field else f"error: {rule}",
              file=sys.stderr)
        return 2
    except MemoryError:  # a run the user allowed with --max-cells but this machine cannot hold
        print("error: memory: the run needs more memory than is available; lower --paths or --max-cells",
              file=sys.stderr)
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
