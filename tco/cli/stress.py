"""``stress``: force one event on one option in one month and compare the strategies."""

from __future__ import annotations

import argparse

import pandas as pd

from tco.cli.common import money_units, number, say, shown, strict_json, table, with_meta
from tco.format import signed_pct, signed_usd, usd
from tco.load import load_scenario


def stress(args: argparse.Namespace) -> int:
    from tco.stress import stress as forced  # noqa: PLC0415

    sc = load_scenario(args.scenario)
    frame = forced(sc, args.event, args.on, args.month)
    if args.json:
        units = {**money_units(sc.currency, "base_npv_usd", "stressed_npv_usd", "impact_usd"),
                 "impact_share": "fraction of the base NPV (null where the base is 0)",
                 "month": "months from start (0 = first)"}
        say(strict_json(with_meta({
            "scenario": sc.name, "event": args.event, "on": args.on, "month": args.month,
            "deterministic": True,
            "event_size": frame["event_size"].iloc[0],
            "strategies": {r["strategy"]: {k: v if k == "why" else number(v) for k, v in r.items()
                                           if k not in ("strategy", "event_size")}
                           for r in frame.to_dict(orient="records")},
        }, sc.currency, units)))
        return 0
    say(f"{shown(sc.name)}: forced {shown(args.event)} on {shown(args.on)} in month {args.month} "
        f"(deterministic); event size: {shown(frame['event_size'].iloc[0])}")
    say(table(pd.DataFrame({
        "strategy": frame["strategy"], "base NPV": frame["base_npv_usd"].map(usd),
        "stressed NPV": frame["stressed_npv_usd"].map(usd), "impact": frame["impact_usd"].map(signed_usd),
        "impact %": frame["impact_share"].map(lambda v: signed_pct(v, 1)),
        "why": frame["why"].map(shown)})))
    return 0
