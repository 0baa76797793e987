"""Command line: ``python -m tco run|validate|catalog|schema|stress|deck|diff|check|backtest``.

Exit codes: 0 ok; 2 bad input, with one line naming the field and the rule; 1 an internal error.
Each command is one module of this package; ``tco.cli.common`` holds what they share (printing
user data safely, checking arguments and output paths, strict JSON with currency, version and
units).
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from collections.abc import Callable, Sequence

import tco._runtime as runtime
from tco.cli.backtest import backtest, calibrate
from tco.cli.catalog import catalog_command
from tco.cli.check import check
from tco.cli.common import shown
from tco.cli.deck import deck
from tco.cli.diff import diff
from tco.cli.parser import parser
from tco.cli.run import run
from tco.cli.stress import stress
from tco.cli.validate import validate
from tco.errors import ScenarioError
from tco.load import json_schema


def _schema(args: argparse.Namespace) -> int:
    print(json.dumps(json_schema(), indent=2, allow_nan=False))
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "run": run, "validate": lambda args: validate(args.scenarios), "catalog": catalog_command,
    "calibrate-hazards": calibrate, "backtest": backtest, "schema": _schema, "stress": stress,
    "deck": deck, "diff": diff, "check": check,
}


def main(argv: Sequence[str] | None = None) -> int:
    runtime.configure()
    try:
        args = parser().parse_args(argv)
        command = COMMANDS.get(args.command)
        if command is not None:
            return command(args)
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
