"""The command line's arguments: every command, its options and their defaults."""

from __future__ import annotations

import argparse
import functools
import importlib
from collections.abc import Sequence

import tco.budget as budget
import tco.risks as risks
from tco.errors import ScenarioError
from tco.simulate import DEFAULT_PATHS, DEFAULT_SEED

PATHS_HELP = "simulated paths (the page uses the same default)"
SEED_HELP = "random seed: the same seed and inputs give the same numbers, bit for bit"
CELLS_HELP = "the largest paths x strategies x months to run (memory bound)"
OWN_ARGUMENTS = {
    "calibrate": ("tco.cli.calibrate", "refit the capacity model on your own benchmark files "
                  "(vllm bench serve, GuideLLM, AIPerf, inference-perf, InferenceX)"),
    "optimise": ("tco.cli.optimise", "the cheapest mix of options under a CVaR95 or P95 budget, "
                 "re-costed on a fresh seed, and the efficient frontier"),
    "portfolio": ("tco.cli.portfolio", "a portfolio of workloads: pooled fleets, commitments, "
                  "per-workload cost"),
}
"""Commands whose arguments their own module declares (``add_parser(sub, help)``), and their help.
That module is imported only when its command is asked for (or no known command is): each loads
the optimiser, the portfolio engine or the slide writer, which ``run`` never needs."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line and exit 2, as for any bad input
        raise ScenarioError("arguments", message)


def _run_options(command: argparse.ArgumentParser) -> None:
    """--paths, --seed and --max-cells, shared by every command that simulates."""
    command.add_argument("--paths", type=int, default=DEFAULT_PATHS, help=PATHS_HELP)
    command.add_argument("--seed", type=int, default=DEFAULT_SEED, help=SEED_HELP)


def command_of(argv: Sequence[str]) -> str | None:
    """The command an argument list asks for: its first word that is not an option."""
    return next((arg for arg in argv if not arg.startswith("-")), None)


def parser(command: str | None = None) -> argparse.ArgumentParser:
    """Every command's arguments; a command of ``OWN_ARGUMENTS`` other than ``command`` is listed
    with its help but without its arguments (its module is not imported)."""
    parser = _Parser(prog="python -m tco", description="LLM lock-in risk and TCO calculator")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sub.add_parser = functools.partial(  # every command's --help shows each option's default
        sub.add_parser, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    run = sub.add_parser("run", help="deterministic and Monte Carlo results for a scenario")
    run.add_argument("scenario", help="scenario file (YAML)")
    _run_options(run)
    run.add_argument("--sampling", choices=("random", "lhs", "sobol"), default=None,
                     help="sampling of the uncertain inputs; None takes the scenario's own")
    run.add_argument("--json", action="store_true", help="print the documented JSON object")
    run.add_argument("--csv-dir", help="write summary.csv, monthly_percentiles.csv, paths.csv, "
                     "provenance.json")
    run.add_argument("--xlsx", help="write an Excel workbook: summary, monthly cost by line, fiscal "
                     "years, assumptions and provenance")
    run.add_argument("--focus-dir", help="write the forecast as FOCUS 1.3 rows: "
                     "focus_cost_and_usage.csv (mean by option, line and month; P50 and P95 by month), "
                     "focus_contract_commitment.csv and focus_notes.json")
    run.add_argument("--tax-rate", type=float, default=None, help="also show expected and "
                     "deterministic NPV after tax at this rate (a share of profit, 0.25 = 25%%)")
    run.add_argument("--depreciation", choices=("straight_line", "macrs_5"), default="straight_line",
                     help="with --tax-rate: how bought GPUs are depreciated for tax")
    run.add_argument("--max-cells", type=int, default=budget.CLI_MAX_CELLS, help=CELLS_HELP)
    validate = sub.add_parser("validate", help="check scenario files")
    validate.add_argument("scenarios", nargs="+", help="scenario files; each is reported, pass or fail")
    cat = sub.add_parser("catalog", help="print a reference catalog with sources")
    cat.add_argument("which", choices=("gpus", "models", "prices", "benchmarks", "events",
                                          "currencies"),
                     help="which catalog; benchmarks lists the published throughput points with the "
                     "model's prediction and ratio; events the dated event ledger; currencies the "
                     "ECB reference rates that convert the catalogs' US dollars")
    cat.add_argument("--provider", default=None,
                     help="prices and events: only this provider (default: all)")
    cat.add_argument("--search", default=None, help="prices: only models whose id or name contains "
                     "this text, any case (default: all)")
    cat.add_argument("--kind", default=None, help="events: only this kind (default: all)")
    cat.add_argument("--json", action="store_true", help="print one JSON object: the records, "
                     "currency, version and units")
    hazards = sub.add_parser("calibrate-hazards", help="hazard rates, successor prices and Brier scores "
                             "estimated from the event ledger, and the coverage of replayed history")
    hazards.add_argument("scenarios", nargs="*", help="scenarios to replay for the P5-P95 coverage "
                         "(default: the shipped scenarios/*.yaml)")
    sub.add_parser("schema", help="print the JSON Schema of scenario files")
    sub.add_parser("compile", help="compile the cost kernel ahead of the first page or run (once per "
                   "install; later processes load it from disk)")
    app = sub.add_parser("app", help="serve the page, ready before the first visitor: loads the kernel "
                         "and computes the default scenario first, then starts Streamlit")
    app.add_argument("streamlit_args", nargs=argparse.REMAINDER, metavar="-- STREAMLIT_OPTION",
                     help="options of `streamlit run`, after --, e.g. -- --server.port 8600")
    stress = sub.add_parser("stress", help="force one event and compare strategies")
    stress.add_argument("scenario", help="scenario file (YAML)")
    stress.add_argument("--event", required=True, help="risk kind to force: " + ", ".join(risks.REGISTRY))
    stress.add_argument("--on", required=True, help="the option it hits")
    stress.add_argument("--month", type=int, required=True, help="the month it happens (0 = first)")
    stress.add_argument("--json", action="store_true", help="print the comparison as one JSON object")
    deck = sub.add_parser("deck", help="build the PowerPoint deck")
    deck.add_argument("scenario", help="scenario file (YAML)")
    deck.add_argument("-o", "--output", required=True, help="the .pptx file to write")
    _run_options(deck)
    deck.add_argument("--max-cells", type=int, default=budget.CLI_MAX_CELLS, help=CELLS_HELP)
    diff = sub.add_parser("diff", help="compare two scenarios: inputs that differ, NPV per strategy")
    diff.add_argument("base", help="the scenario compared against (a)")
    diff.add_argument("other", help="the scenario compared (b)")
    _run_options(diff)
    diff.add_argument("--max-cells", type=int, default=budget.CLI_MAX_CELLS, help=CELLS_HELP)
    diff.add_argument("--json", action="store_true", help="print the comparison as one JSON object "
                      "(the same as --format json)")
    diff.add_argument("--format", choices=("text", "json", "markdown"), default="text",
                      help="text for a terminal, json, or markdown for a pull-request comment")
    gate = sub.add_parser("check", help="budget gate for CI: exit 0 within budget, 1 over it, 2 for "
                          "bad input; prints a Markdown summary")
    gate.add_argument("scenario", help="scenario file (YAML)")
    gate.add_argument("--budget-usd", type=float, default=None, help="the most the metric may be, "
                      "NPV of total cost in the scenario's currency")
    gate.add_argument("--metric", choices=("mean", "p95", "cvar95"), default="mean",
                      help="expected NPV, its 95th percentile, or the mean of its worst 5%%")
    gate.add_argument("--strategy", default=None, help="the strategy to check (default: every "
                      "strategy must pass)")
    gate.add_argument("--base", default=None, help="a scenario to compare with (the file before "
                      "the change): the metric may rise at most --max-increase-share over it")
    gate.add_argument("--max-increase-share", type=float, default=None, help="with --base: the "
                      "largest allowed rise as a share of the base's metric (None: 0.05)")
    gate.add_argument("--markdown", default=None, help="also write the Markdown summary to this file")
    _run_options(gate)
    gate.add_argument("--max-cells", type=int, default=budget.CLI_MAX_CELLS, help=CELLS_HELP)
    back = sub.add_parser("backtest", help="replay the event ledger's real history against every strategy")
    back.add_argument("scenario", help="scenario file (YAML)")
    back.add_argument("--from", dest="start", default=argparse.SUPPRESS, help="the window's first "
                      "month, YYYY-MM (default: the start of the 24 months ending with the ledger's last)")
    back.add_argument("--months", type=int, default=argparse.SUPPRESS, help="the window's length "
                      "(default: the scenario's horizon, cut at the ledger's last month)")
    _run_options(back)
    back.add_argument("--max-cells", type=int, default=budget.CLI_MAX_CELLS, help=CELLS_HELP)
    back.add_argument("--cutoff", default="2025-01", help="--json's out-of-sample coverage: risks "
                      "refitted on ledger events before this month (YYYY-MM), scored on cohorts from it")
    back.add_argument("--json", action="store_true", help="print the replay as one JSON object")
    sweep = sub.add_parser("sweep", help="Monte Carlo under every chosen stress and seed, in tasks "
                           "of 1,024 paths, on this machine or a Dask cluster")
    sweep.add_argument("scenario", help="scenario or portfolio file (YAML)")
    sweep.add_argument("--stresses", default="all", help="the file's named stresses to run: all, "
                       "none, or names separated by commas (the unstressed run is always included)")
    sweep.add_argument("--seeds", default=str(DEFAULT_SEED), help="seeds separated by commas, 1,2,3")
    sweep.add_argument("--paths", type=int, default=DEFAULT_PATHS, help=PATHS_HELP)
    sweep.add_argument("--sampling", choices=("random", "lhs", "sobol"), default=None,
                       help="sampling of the uncertain inputs; None takes the file's own")
    sweep.add_argument("--executor", default="serial", help="serial, dask-local:N (N worker "
                       "processes here) or dask://HOST:PORT (a running Dask scheduler)")
    sweep.add_argument("--blocks-per-task", type=int, default=1, help="blocks of 1,024 paths per "
                       "task; results do not depend on it")
    sweep.add_argument("--out", required=True, help="folder for sweep.csv and sweep.json")
    light = command is not None and (command in OWN_ARGUMENTS or command in sub.choices)
    for name, (module, help_text) in OWN_ARGUMENTS.items():
        if light and name != command:
            sub.add_parser(name, help=help_text)
        else:
            importlib.import_module(module).add_parser(sub, help_text)
    return parser
