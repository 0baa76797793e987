"""``portfolio run|validate|deck``: several workloads on shared options, fleets and contracts."""

from __future__ import annotations

import argparse
import sys

import tco.budget as budget
import tco.portfolio.engine as engine
from tco.cli.common import (
    money_units,
    output_file,
    output_folder,
    say,
    shown,
    strict_json,
    table,
    with_meta,
    write_file,
)
from tco.errors import ScenarioError
from tco.format import pct, usd
from tco.portfolio import load_portfolio, simulate_portfolio
from tco.portfolio.outputs import CSV_FILES, csv_files, tables, workbook
from tco.portfolio.slides import deck
from tco.simulate import DEFAULT_PATHS, DEFAULT_SEED

COMPILE_NOTE = ("compiling the portfolio's pooling functions, once per install (under a minute; "
                "`python -m tco compile` does it ahead)")


def add_parser(sub: argparse._SubParsersAction, help_text: str) -> None:
    """``portfolio`` and its three commands (``tco.cli.parser`` calls this with its help)."""
    command = sub.add_parser("portfolio", help=help_text)
    inner = command.add_subparsers(dest="portfolio_command", required=True,
                                   parser_class=type(command))
    run = inner.add_parser("run", help="simulate a portfolio file")
    run.add_argument("portfolio", help="portfolio file (YAML)")
    run.add_argument("--paths", type=int, default=DEFAULT_PATHS, help="simulated paths")
    run.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    run.add_argument("--json", action="store_true", help="print one JSON object")
    run.add_argument("--csv-dir", help="write " + ", ".join(CSV_FILES))
    run.add_argument("--xlsx", help="write an Excel workbook of the tables")
    validate = inner.add_parser("validate", help="check a portfolio file")
    validate.add_argument("portfolio", help="portfolio file (YAML)")
    pdeck = inner.add_parser("deck", help="build the portfolio's PowerPoint deck")
    pdeck.add_argument("portfolio", help="portfolio file (YAML)")
    pdeck.add_argument("-o", "--output", required=True, help="the .pptx file to write")
    pdeck.add_argument("--paths", type=int, default=DEFAULT_PATHS, help="simulated paths")
    pdeck.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")


def _simulate(args: argparse.Namespace):
    if args.paths < 1:
        raise ScenarioError("--paths", "must be at least 1")
    pf = load_portfolio(args.portfolio)
    months, n_w = pf.horizon_months, len(pf.workloads)
    budget.check(n_w, months, args.paths, 0, budget.CLI_MAX_CELLS)
    if not engine.compiled():
        print(f"note: {COMPILE_NOTE}", file=sys.stderr, flush=True)
    return simulate_portfolio(pf, paths=args.paths, seed=args.seed)


def _decision(args: argparse.Namespace):
    """The optimiser with no budget on the deck's paths and seed, for its Decide slides. Bounds no
    mix can meet are bad input like any other: one line and exit 2, never a deck without them."""
    # Imported here: `portfolio run` and `validate` never load the optimiser.
    from tco.optimise.portfolio import load_choices, optimise_portfolio  # noqa: PLC0415

    pf, choices = load_choices(args.portfolio)
    return optimise_portfolio(pf, args.paths, args.seed, choices=choices)


def portfolio(args: argparse.Namespace) -> int:
    which = args.portfolio_command
    if which == "validate":
        pf = load_portfolio(args.portfolio)
        say(f"{shown(args.portfolio)}: ok ({shown(pf.name)}; {len(pf.workloads)} workloads, "
            f"{len(pf.first.options)} options, {len(pf.commitments)} commitments)")
        return 0
    if which == "deck":
        target = output_file("--output", args.output, inputs=(args.portfolio,))
        result = _simulate(args)
        data = deck(result, _decision(args))
        write_file("--output", target, data)
        say(f"wrote {shown(target)} ({len(data) / 1000:.0f} kB)")
        return 0
    csv_dir = output_folder("--csv-dir", args.csv_dir, CSV_FILES, (args.portfolio,)) if args.csv_dir else None
    xlsx = output_file("--xlsx", args.xlsx, "plan.xlsx", (args.portfolio,)) if args.xlsx else None
    result = _simulate(args)
    cur = result.portfolio.currency
    if args.json:
        data = result.to_json()
        say(strict_json(with_meta(data, cur, money_units(cur, *data["npv"]))))
    else:
        t = tables(result)
        say(f"{shown(result.portfolio.name)}: {result.paths:,} paths, seed {result.seed}")
        say("\n".join(f"  {row.measure}: {usd(row[1])}" for row in t["summary"].itertuples(index=False)))
        for name in ("workloads", "vendors"):
            frame = t[name].copy()
            for column in frame.columns:
                if "npv" in column:
                    frame[column] = frame[column].map(usd)
                elif column.endswith("_share"):
                    frame[column] = frame[column].map(pct)
            say(table(frame))
    if csv_dir is not None:
        csv_dir.mkdir(parents=True, exist_ok=True)
        for name, data in csv_files(result).items():
            write_file("--csv-dir", csv_dir / name, data)
    if xlsx is not None:
        write_file("--xlsx", xlsx, workbook(result))
    return 0
