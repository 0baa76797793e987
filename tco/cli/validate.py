"""``validate``: check scenario files, each reported pass or fail."""

from __future__ import annotations

import sys

from tco.cli.common import say, shown
from tco.errors import ScenarioError
from tco.load import load_scenario


def validate(paths: list[str]) -> int:
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
        say(f"{shown(path)}: ok ({shown(sc.name)}; {len(sc.options)} options, "
            f"{len(sc.strategies)} strategies, {len(sc.risks)} risks)")
    return 2 if failed else 0
