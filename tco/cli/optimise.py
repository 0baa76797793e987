"""``optimise``: the cheapest mix under a CVaR95 or P95 budget, the frontier, and the mix saved
as a new strategy."""

from __future__ import annotations

import argparse
import math

import pandas as pd

import tco.budget as budget
import tco.glossary as glossary
from tco.cli.common import (
    money_units,
    output_file,
    say,
    shown,
    strict_json,
    table,
    with_meta,
    write_file,
)
from tco.errors import ScenarioError
from tco.format import usd
from tco.load import dumps, load_scenario, read_bounded
from tco.optimise.decide import FRONTIER_BUDGETS, Costed, Decision, optimise, with_strategy
from tco.optimise.portfolio import PortfolioDecision, load_choices, optimise_portfolio
from tco.portfolio import is_portfolio
from tco.simulate import DEFAULT_PATHS, DEFAULT_SEED, MAX_SEED
from tco.yamlio import parse_document


def add_parser(sub: argparse._SubParsersAction, help_text: str) -> None:
    """The command's arguments (``tco.cli.parser`` calls this with the command's help)."""
    command = sub.add_parser("optimise", help=help_text)
    command.add_argument("scenario", help="scenario file (YAML), whose optimise: section bounds "
                         "the mix; or a portfolio file, whose workloads each choose a mix of "
                         "their own strategies' options under one budget for the portfolio")
    budgets = command.add_mutually_exclusive_group()
    budgets.add_argument("--cvar-budget", type=float, default=None, help="the most the mix's "
                        "CVaR95 of NPV may be (the scenario's currency); None: the cheapest mix")
    budgets.add_argument("--p95-budget", type=float, default=None, help="the most the mix's P95 "
                        "of NPV may be (the scenario's currency)")
    command.add_argument("--paths", type=int, default=DEFAULT_PATHS, help="simulated paths")
    command.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed; the "
                         "out-of-sample check uses the next one")
    command.add_argument("--json", action="store_true", help="print the decision as one JSON "
                         "object")
    command.add_argument("--save-strategy", default=None, help="add the chosen mix to the "
                         "scenario as a strategy of this name (needs -o)")
    command.add_argument("-o", "--output", default=None, help="with --save-strategy: the "
                         "scenario file to write")


def _check(args: argparse.Namespace) -> None:
    if not 1 <= args.paths <= budget.MAX_PATHS:
        raise ScenarioError("--paths", f"must be between 1 and {budget.MAX_PATHS:,}")
    if not 0 <= args.seed <= MAX_SEED:
        raise ScenarioError("--seed", f"must be a whole number between 0 and {MAX_SEED:,}")
    for flag, value in (("--cvar-budget", args.cvar_budget), ("--p95-budget", args.p95_budget)):
        if value is not None and not (math.isfinite(value) and value > 0):
            raise ScenarioError(flag, "must be a positive amount of money")
    if (args.save_strategy is None) != (args.output is None):
        raise ScenarioError("--save-strategy", "and -o go together: the strategy's name and the "
                            "scenario file to write it into")


def optimise_command(args: argparse.Namespace) -> int:
    _check(args)
    raw, _ = parse_document(read_bounded(args.scenario))
    if is_portfolio(raw):
        return _portfolio(args)
    target = (output_file("--output", args.output, "plan.yaml", (args.scenario,))
              if args.output is not None else None)
    sc = load_scenario(args.scenario)
    if args.save_strategy is not None and args.save_strategy in sc.strategies:
        raise ScenarioError("--save-strategy", f"'{args.save_strategy}' is already a strategy of "
                            "the scenario; choose another name")
    decision = optimise(sc, args.paths, args.seed, cvar_budget_usd=args.cvar_budget,
                        p95_budget_usd=args.p95_budget)
    if target is not None:
        saved = with_strategy(decision.decided or sc, args.save_strategy, decision.chosen.strategy)
        write_file("--output", target, dumps(saved).encode())
    if args.json:
        units = money_units(sc.currency, "budget", "mean", "cvar95", "p95")
        units["mix"] = "fraction 0-1 of traffic per option"
        units["reserved_gpus"] = "GPUs reserved per option, refined on the exact kernel"
        units["commitments"] = ("per API option: usd_per_month (the scenario's currency per "
                                "month; 0 with discount 0: not signed) and discount (fraction "
                                "0-1), chosen on the exact kernel")
        say(strict_json(with_meta(decision.to_json(), sc.currency, units)))
        return 0
    _print(decision)
    if target is not None:
        say(f"\nwrote {shown(target)} with strategy '{shown(args.save_strategy)}'")
    return 0


def _portfolio(args: argparse.Namespace) -> int:
    """A portfolio: each workload's mix under the portfolio's budget, printed per workload."""
    if args.save_strategy is not None:
        raise ScenarioError("--save-strategy", "saves into a scenario file; for a portfolio, "
                            "copy each workload's mix from the output into its strategies")
    pf, choices = load_choices(args.scenario)
    budget.check(len(pf.workloads), pf.horizon_months, args.paths, 0, budget.CLI_MAX_CELLS)
    decision = optimise_portfolio(pf, args.paths, args.seed, cvar_budget_usd=args.cvar_budget,
                                  p95_budget_usd=args.p95_budget, choices=choices)
    if args.json:
        units = money_units(pf.currency, "budget", "mean", "cvar95", "p95")
        units["mix"] = "fraction 0-1 of the workload's traffic per option"
        units["reserved_gpus"] = ("GPUs reserved per GPU type for every workload together, "
                                  "chosen on the portfolio simulation")
        say(strict_json(with_meta(decision.to_json(), pf.currency, units)))
        return 0
    _print_portfolio(decision)
    return 0


def _costed_table(rows: dict[str, Costed]) -> str:
    return table(pd.DataFrame({
        "costed by": list(rows),
        "expected NPV": [usd(c.mean_usd) for c in rows.values()],
        "CVaR95": [usd(c.cvar95_usd) for c in rows.values()],
        "P95": [usd(c.p95_usd) for c in rows.values()]}))


def _budget(decision, mixes: str, of: str = "") -> str:
    """The budget in words: 'none: the cheapest mix', 'CVaR95 of the portfolio at most $9.00M'."""
    if decision.metric == "none":
        return f"none: the cheapest {mixes}"
    return f"{'CVaR95' if decision.metric == 'cvar95' else 'P95'}{of} at most {usd(decision.budget_usd)}"


def _print_portfolio(decision: PortfolioDecision) -> None:
    pf = decision.portfolio
    budget_text = _budget(decision, "mixes", " of the portfolio")
    say(f"{shown(pf.name)}: {decision.paths:,} paths, seed {decision.seed}; budget {budget_text}\n")
    say("Chosen mix per workload (each among the options its own strategies name):")
    for w, text in decision.chosen.cards.items():
        say(f"  {shown(w)}: {shown(text)}")
    chosen = decision.chosen
    labels = [glossary.entry(k).label for k in ("search_estimate", "recosted_same",
                                                 "recosted_fresh")]
    say(_costed_table({
        f"{labels[0]} (the workloads' own costs, summed)": chosen.linear,
        f"{labels[1]} (seed {decision.seed}; pooled fleets, commitments)": chosen.exact,
        f"{labels[2]} (seed {decision.fresh_seed})": decision.fresh,
        f"the portfolio as filed (seed {decision.seed})": decision.in_force}))
    if decision.reserved is not None:
        say("Reserved GPUs per GPU type, for every workload together, with these mixes in force "
            "(every count tried simulated as the portfolio):")
        for line in decision.reserved.sentences():
            say(f"  {shown(line)}")
    if decision.tiers is not None:
        say("Commitment tier per vendor, with these mixes (and reserved GPUs) in force (every "
            "level simulated as the portfolio):")
        for line in decision.tiers.sentences():
            say(f"  {shown(line)}")
    if decision.decided is not None and decision.decided_fresh is not None \
            and decision.in_force_fresh is not None:
        say("The whole decision (mixes, reserved GPUs, tiers) against the portfolio as filed:")
        say(_costed_table({
            f"as decided (seed {decision.seed})": decision.decided,
            f"as decided (seed {decision.fresh_seed}, new futures)": decision.decided_fresh,
            f"as filed (seed {decision.fresh_seed}, new futures)": decision.in_force_fresh}))
    say(f"Simulated as a portfolio, the expected NPV moved "
        f"{usd(chosen.exact.mean_usd - chosen.linear.mean_usd)} from the search's estimate: pooled "
        "fleets and the vendor commitments are not linear in the shares.")
    points = decision.efficient
    say(f"\nEfficient frontier ({len(decision.frontier)} CVaR95 budgets; the mixes no other beats "
        "on both counts once the portfolio is simulated on these paths)")
    say(table(pd.DataFrame({
        "CVaR95 budget": [usd(p.budget_usd) for p in points],
        "expected NPV": [usd(p.exact.mean_usd) for p in points],
        "CVaR95": [usd(p.exact.cvar95_usd) for p in points],
        "mixes": ["; ".join(f"{w}: {pct_mix(p.mixes[w].mix)}" for w in p.mixes) for p in points]})))


def pct_mix(mix: dict[str, float]) -> str:
    """'70% llama + 30% sonnet': a workload's mix, short enough for a table cell."""
    return " + ".join(f"{round(100 * s)}% {shown(o)}" for o, s in
                      sorted(mix.items(), key=lambda kv: -kv[1]))


def _print(decision: Decision) -> None:
    sc = decision.scenario
    say(f"{shown(sc.name)}: {decision.paths:,} paths, seed {decision.seed}; budget "
        f"{_budget(decision, 'mix')}\n")
    chosen = decision.chosen
    say(f"Chosen mix: {shown(chosen.card)}")
    labels = [glossary.entry(k).label for k in ("search_estimate", "recosted_same",
                                                 "recosted_fresh")]
    say(_costed_table({labels[0]: chosen.linear,
                       f"{labels[1]} (seed {decision.seed})": chosen.exact,
                       f"{labels[2]} (seed {decision.fresh_seed})": decision.fresh}))
    say(f"Recosted in full, the expected NPV moved {usd(chosen.exact.mean_usd - chosen.linear.mean_usd)} "
        f"and CVaR95 {usd(chosen.exact.cvar95_usd - chosen.linear.cvar95_usd)} from the search's "
        "estimate; the new futures' figures are what to expect of the mix on futures it was not "
        "tuned to.")
    points = decision.efficient
    say(f"\nEfficient frontier ({len(decision.frontier)} CVaR95 budgets from the least any mix "
        "reaches to the cheapest mix's; the mixes no other beats on both counts, recosted in "
        "full on these paths)")
    note = decision.frontier_note()
    if note is not None:
        say(f"  {shown(note)}")
    else:
        say(table(pd.DataFrame({
            "CVaR95 budget": [usd(p.budget_usd) for p in points],
            "expected NPV": [usd(p.exact.mean_usd) for p in points],
            "CVaR95": [usd(p.exact.cvar95_usd) for p in points],
            "mix": [shown(p.card) for p in points]})))
    say("\nThe scenario's strategies on the same paths")
    say(table(pd.DataFrame({
        "strategy": list(decision.strategies),
        "expected NPV": [usd(c.mean_usd) for c in decision.strategies.values()],
        "CVaR95": [usd(c.cvar95_usd) for c in decision.strategies.values()]})))


__all__ = ["FRONTIER_BUDGETS", "add_parser", "optimise_command"]
