r"""What every command shares: safe printing, argument checks, output paths, strict JSON.

Everything printed from user data (file names, scenario names, error messages that quote input)
goes through ``shown``, so a carriage return or a terminal escape in it is printed as ``\r`` or
``\x1b`` and neither splits the error line nor takes effect.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import stat
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import tco.budget as budget
import tco.cli.progress as progress
from tco.errors import ScenarioError
from tco.load import file_kind
from tco.simulate import MAX_SEED, simulate
from tco.version import __version__

if TYPE_CHECKING:  # tables only: pandas loads with the first table, after a run
    import pandas as pd

_HIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
"""Control characters, line and paragraph separators and bidirectional overrides."""


def shown(text: object, keep: str = "", limit: int = 1000) -> str:
    """User data made safe for a terminal: hidden characters escaped as ``repr`` writes them.

    ``keep`` lists characters to print as they are (new lines in the tables the commands build);
    text longer than ``limit`` is cut, so a field name of a megabyte does not flood the terminal.
    """
    text = str(text)
    if len(text) > limit:
        text = f"{text[:limit]}..."
    return _HIDDEN.sub(lambda m: m.group() if m.group() in keep else repr(m.group())[1:-1], text)


def say(text: str) -> None:
    print(shown(text, keep="\n", limit=sys.maxsize))


def check_run(args: argparse.Namespace) -> None:
    """Refuse bad numbers before any file is read or any work is done."""
    if not 1 <= args.paths <= budget.MAX_PATHS:
        raise ScenarioError("--paths", f"must be between 1 and {budget.MAX_PATHS:,}")
    if not 0 <= args.seed <= MAX_SEED:
        raise ScenarioError("--seed", f"must be a whole number between 0 and {MAX_SEED:,}")
    if args.max_cells < 1:
        raise ScenarioError("--max-cells", "must be a whole number of at least 1")


def over_budget(exc: ScenarioError) -> ScenarioError:
    """The cell budget's refusal, naming the flags that change it; other errors unchanged."""
    if exc.field == "paths":
        return ScenarioError("--paths", f"{exc.rule}; --max-cells raises the limit")
    return exc


def run_simulation(sc: Any, args: argparse.Namespace, show_progress: bool = False,
                   **kwargs: Any) -> Any:
    """Simulate with the command's --paths, --seed and --max-cells; with ``show_progress``, a
    progress bar on stderr when it is a terminal and the run is long (``tco.cli.progress``)."""
    bar = progress.bar(args.paths) if show_progress else None
    try:
        return simulate(sc, paths=args.paths, seed=args.seed, max_cells=args.max_cells,
                        progress=bar, **kwargs)
    except ScenarioError as exc:
        raise over_budget(exc) from None
    finally:
        if bar is not None:  # erased whether the run completed or failed
            bar.close()


def output_file(field: str, target: str, example: str = "plan.pptx", inputs: tuple[str, ...] = ()
                ) -> Path:
    """Check a file to write before the run, so a bad path fails in a second, not after it.

    Refused: an empty path, a folder, a missing or unwritable folder, an existing target that is
    not a regular file (a device, a FIFO, a symbolic link to one: the rename that replaces it would
    put a regular file in its place), and any of ``inputs`` (the scenario being read).
    """
    if not target:
        raise ScenarioError(field, f"is empty; give a file name such as {example}")
    path = Path(target)
    try:
        _replaceable(field, path, inputs)
        if not path.name or path.is_dir():
            raise ScenarioError(field, f"'{target}' is a folder; give a file name such as {example}")
        if not path.parent.is_dir():
            reason = "is not a folder" if path.parent.exists() else "does not exist"
            raise ScenarioError(field, f"folder '{path.parent}' {reason}")
    except OSError as exc:
        raise write_error(field, path, exc) from None
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise ScenarioError(field, f"folder '{path.parent}' is not writable")
    return path


def output_folder(field: str, target: str, names: tuple[str, ...] = (),
                  inputs: tuple[str, ...] = ()) -> Path:
    """Check a folder to write into (it may not exist yet) before the run: the files ``names`` it
    will hold are checked as ``output_file`` checks one."""
    if not target:
        raise ScenarioError(field, "is empty; give a folder name such as results")
    path = Path(target)
    try:
        for name in names:
            _replaceable(field, path / name, inputs)
        existing = next((p for p in (path, *path.parents) if p.exists()), Path("."))
        if not existing.is_dir():
            raise ScenarioError(field, f"'{existing}' is a file, not a folder")
    except OSError as exc:
        raise write_error(field, path, exc) from None
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ScenarioError(field, f"'{existing}' is not writable")
    return path


def _replaceable(field: str, path: Path, inputs: tuple[str, ...]) -> None:
    """Refuse a target that exists and is not a regular file, or that is one of ``inputs``."""
    try:
        info = path.stat()
    except NotADirectoryError:
        return  # its folder is a file: reported by the caller
    except FileNotFoundError:
        if path.is_symlink():
            raise ScenarioError(field, f"'{path}' is a symbolic link to nothing; remove it or choose "
                                "another name") from None
        return
    if path.is_dir():
        return  # reported as a folder by the caller
    if not stat.S_ISREG(info.st_mode):
        raise ScenarioError(field, f"'{path}' is {file_kind(info.st_mode)}, not a regular file; "
                            "refusing to replace it")
    for source in inputs:
        try:
            same = os.path.samefile(path, source)
        except (OSError, ValueError):
            continue
        if same:
            raise ScenarioError(field, f"'{path}' is the scenario file being read; writing there "
                                "would destroy it, choose another name")


def write_error(field: str, target: Path, exc: OSError) -> ScenarioError:
    return ScenarioError(field, f"cannot write '{target}' ({(exc.strerror or 'error').lower()})")


def write_file(field: str, target: Path, data: bytes) -> None:
    """Write through a temporary file and a rename (``tco.export.write_atomic``), errors as one line."""
    from tco.export import write_atomic  # noqa: PLC0415 - only the commands that write need it

    try:
        write_atomic(target, data)
    except OSError as exc:
        raise write_error(field, target, exc) from None


def money_units(currency: str, *keys: str) -> dict[str, str]:
    """The unit of present-value money keys, in the scenario's currency."""
    return dict.fromkeys(keys, f"{currency}, present value")


def with_meta(data: dict[str, Any], currency: str, units: dict[str, str]) -> dict[str, Any]:
    """A ``--json`` object with the keys every one carries: currency, tool version and units.

    Added after the command's own keys, which stay as they are; ``units`` names the unit of each
    numeric key (keys not listed are names, counts or dates as their names say).
    """
    return {**data, "currency": currency, "version": __version__, "units": units}


def strict_json(data: Any) -> str:
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


def number(value: float) -> float | None:
    """A float for JSON, None where it is undefined (NaN: a strategy only one side has)."""
    return None if math.isnan(value) else float(value)


def table(frame: pd.DataFrame) -> str:
    return frame.to_string(index=False)
