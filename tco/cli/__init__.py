"""Command line: ``python -m tco COMMAND``, the commands in ``COMMANDS`` (run, validate, ..., compile).

Exit codes: 0 ok; 2 bad input, with one line naming the field and the rule; 1 an internal error,
or output that could not be written (a full disk, a closed standard output), said in one line.
Each command is one module of this package; ``tco.cli.common`` holds what they share (printing
user data safely, checking arguments and output paths, strict JSON with currency, version and
units).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import Any

import tco._runtime as runtime
from tco.cli.common import shown
from tco.cli.parser import command_of, parser
from tco.errors import ScenarioError


def schema_command(args: argparse.Namespace) -> int:
    from tco.load import json_schema  # noqa: PLC0415 - see COMMANDS

    print(json.dumps(json_schema(), indent=2, allow_nan=False))
    return 0


def validate_command(args: argparse.Namespace) -> int:
    from tco.cli.validate import validate  # noqa: PLC0415 - see COMMANDS

    return validate(args.scenarios)


COMMANDS: dict[str, str] = {
    "run": "tco.cli.run:run", "validate": "tco.cli:validate_command",
    "catalog": "tco.cli.catalog:catalog_command", "calibrate-hazards": "tco.cli.backtest:calibrate",
    "backtest": "tco.cli.backtest:backtest", "schema": "tco.cli:schema_command",
    "stress": "tco.cli.stress:stress", "deck": "tco.cli.deck:deck", "diff": "tco.cli.diff:diff",
    "check": "tco.cli.check:check", "calibrate": "tco.cli.calibrate:calibrate_command",
    "sweep": "tco.cli.sweep:sweep", "compile": "tco.cli.compile:compile_kernel", "app": "tco.cli.app:app",
    "optimise": "tco.cli.optimise:optimise_command", "portfolio": "tco.cli.portfolio:portfolio",
}
"""Each command's function as ``module:function``, its module imported when the command runs:
``run`` then never loads the slide, chart and workbook writers or ``scipy.stats`` that other
commands need (``benchmarks/bench_memory.py`` prints what a run holds)."""


def command_function(name: str) -> Callable[[argparse.Namespace], int]:
    """The function of command ``name``, its module imported now."""
    module, function = COMMANDS[name].split(":")
    return getattr(importlib.import_module(module), function)


KERNEL_COMMANDS = frozenset({"run", "stress", "deck", "diff", "check", "backtest", "calibrate-hazards",
                             "sweep", "compile", "optimise", "portfolio", "app"})
"""Commands that run the compiled kernel: on a new install the first one compiles it, and says so."""


class OutputError(Exception):
    """Standard output could not be written (``ENOSPC`` on ``/dev/full``, a closed descriptor)."""

    def __init__(self, exc: OSError) -> None:
        self.reason = (exc.strerror or type(exc).__name__).lower()
        super().__init__(self.reason)


class _GuardedOutput:
    """Standard output whose write errors, a broken pipe aside, become ``OutputError``."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise OutputError(exc) from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise OutputError(exc) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _silence_stdout() -> None:
    """Point the standard output's descriptor at /dev/null, so the interpreter's own flush at exit
    neither fails again nor prints a second error."""
    with contextlib.suppress(OSError, AttributeError, ValueError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.__stdout__.fileno())
        os.close(null)


def main(argv: Sequence[str] | None = None) -> int:
    if sys.stdout is None:  # started with descriptor 1 closed: every result would be lost
        print("error: standard output: is closed, so no result could be printed; give the command "
              "somewhere to write (a terminal, a file or a pipe)", file=sys.stderr)
        return 1
    runtime.configure()
    stdout = sys.stdout
    sys.stdout = _GuardedOutput(stdout)
    try:
        return _main(argv)
    except OutputError as exc:
        print(f"error: standard output: cannot write ({exc.reason}); the result was not printed",
              file=sys.stderr)
        _silence_stdout()
        return 1
    finally:
        sys.stdout = stdout


def _main(argv: Sequence[str] | None) -> int:
    try:
        argv = sys.argv[1:] if argv is None else list(argv)
        args = parser(command_of(argv)).parse_args(argv)
        if args.command in KERNEL_COMMANDS and not runtime.kernel_compiled():
            print(f"note: {runtime.COMPILE_NOTE}", file=sys.stderr, flush=True)
        if args.command in COMMANDS:
            code = command_function(args.command)(args)
            sys.stdout.flush()  # a full disk must fail here, inside the guard, not at exit
            return code
    except OutputError:
        raise
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
