"""``deck``: build the PowerPoint deck of a scenario and write it atomically."""

from __future__ import annotations

import argparse

from tco.cli.common import check_run, output_file, run_simulation, say, shown, write_file
from tco.load import load_scenario


def deck(args: argparse.Namespace) -> int:
    from tco.deck import build_deck  # noqa: PLC0415 - python-pptx and plotly load only here

    check_run(args)
    target = output_file("--output", args.output, inputs=(args.scenario,))
    sc = load_scenario(args.scenario)
    data = build_deck(sc, run_simulation(sc, args, show_progress=True))
    write_file("--output", target, data)
    say(f"wrote {shown(target)} ({len(data) / 1000:.0f} kB)")
    return 0
