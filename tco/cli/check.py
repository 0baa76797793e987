"""``check``: the budget gate for CI. Exit 0 within budget, 1 over it, 2 for bad input.

Prints the Markdown summary (``tco.gate.markdown``) and, with ``--markdown FILE``, writes it
there for a pull-request comment.
"""

from __future__ import annotations

import argparse

from tco.cli.common import check_run, output_file, run_simulation, say, write_file
from tco.errors import ScenarioError
from tco.load import load_scenario

DEFAULT_MAX_INCREASE_SHARE = 0.05
"""With --base and no --max-increase-share, a rise of more than 5% fails (judgement)."""


def check(args: argparse.Namespace) -> int:
    from tco.gate import check as gate  # noqa: PLC0415 - only this command needs it
    from tco.gate import markdown  # noqa: PLC0415

    check_run(args)
    if args.max_increase_share is not None and args.base is None:
        raise ScenarioError("--max-increase-share", "needs --base, the scenario to compare with")
    if args.budget_usd is None and args.base is None:
        raise ScenarioError("--budget-usd", "give a budget, or a --base scenario to compare with")
    target = output_file("--markdown", args.markdown, "summary.md") if args.markdown else None
    sc = load_scenario(args.scenario)
    base = load_scenario(args.base) if args.base else None
    if args.strategy is not None and args.strategy not in sc.strategies:
        raise ScenarioError("--strategy", f"'{args.strategy}' is not a strategy of the scenario; "
                            "one of " + ", ".join(sc.strategies))
    result = run_simulation(sc, args)
    base_result = run_simulation(base, args) if base is not None else None
    share = args.max_increase_share
    if base is not None and share is None:
        share = DEFAULT_MAX_INCREASE_SHARE
    verdict = gate(result, args.metric, args.budget_usd, args.strategy, base_result, share)
    text = markdown(verdict, args.scenario, args.base)
    if target is not None:
        write_file("--markdown", target, text.encode("utf-8"))
    say(text.rstrip("\n"))
    return 0 if verdict.passed else 1
