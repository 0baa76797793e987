"""Exports that return bytes (CSV, JSON, YAML, ZIP), so the page, the CLI and tests share them."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import json
import os
import secrets
import stat
import zipfile
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import tco.calendar as calendar
import tco.catalog as catalog
import tco.glossary as glossary
import tco.lines as lines
import tco.prices as prices
import tco.report as report
from tco.load import Loaded as Scenario
from tco.load import dumps
from tco.model import evaluate_kernel
from tco.options.table import EDITED
from tco.simulate import SimulationResult
from tco.version import __version__
from tco.yamlio import to_dict

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def package_version() -> str:
    """This package's version (the same installed or run from a checkout)."""
    return __version__


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def escape_cell(value: Any) -> Any:
    """Prefix text a spreadsheet would execute (=, +, -, @, tab, CR) with a quote; numbers pass."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES) and not _is_number(value):
        return "'" + value
    return value


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """CSV with formula-like text escaped, UTF-8, full float precision."""
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(escape_cell)
    safe.columns = [escape_cell(str(c)) for c in safe.columns]
    return safe.to_csv(index=False, float_format="%.10g").encode("utf-8")


def scenario_hash(sc: Scenario) -> str:
    """SHA-256 of the scenario's fields as canonical JSON (comments do not change it)."""
    canonical = json.dumps(to_dict(sc.scenario), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def edits(sc: Scenario) -> dict[str, str]:
    """Inputs the page edited, by path, with their notes ('edited on the page (was 5,000,000)')."""
    return {path: note for path, note in sc.comments.items() if note.startswith(EDITED)}


def provenance(result: SimulationResult, link: str | None = None) -> dict[str, Any]:
    """Where the numbers came from: scenario hash, seed, paths, versions and data snapshot dates,
    the inputs edited on the page and the page's share link (``link``, when there is one)."""
    sc = result.scenario
    return {
        "scenario": result.scenario.name,
        "scenario_sha256": scenario_hash(result.scenario),
        "seed": result.seed,
        "paths": result.paths,
        "sampling": result.sampling,
        "start": result.scenario.inputs.start,
        "start_source": result.scenario.inputs.start_source,
        "tco_version": package_version(),
        "genai_prices_version": prices.package_version(),
        "api_prices_as_of": prices.snapshot_as_of(),
        "gpu_catalog_as_of": max(g.as_of for g in catalog.gpus().values()),
        "model_catalog_as_of": max(m.as_of for m in catalog.models().values()),
        "numpy_version": metadata.version("numpy"),
        "warnings": list(result.resolved.warnings),
        "edits": [{"input": path, "label": glossary.describe(path, sc).label, "note": note,
                   "value": sc.inputs.params[path].nominal if path in sc.inputs.params else None}
                  for path, note in edits(sc).items()],
        "share_link": link or "",
    }


def _with_provenance(frame: pd.DataFrame, result: SimulationResult) -> pd.DataFrame:
    info = provenance(result)
    frame = frame.copy()
    for key in ("scenario_sha256", "seed", "paths", "sampling", "tco_version", "api_prices_as_of"):
        frame[key] = info[key]
    return frame


def summary_csv(result: SimulationResult) -> bytes:
    return csv_bytes(_with_provenance(result.summary().reset_index(), result))


def monthly_percentiles_csv(result: SimulationResult) -> bytes:
    return csv_bytes(_with_provenance(result.monthly_percentiles(), result))


def paths_csv(result: SimulationResult) -> bytes:
    return csv_bytes(result.paths_frame())


def monthly_lines(result: SimulationResult) -> pd.DataFrame:
    """Monthly cost by strategy and line, deterministic and mean over paths, undiscounted, with the
    calendar month and the fiscal year (named by the year it ends in)."""
    sc = result.scenario
    deterministic = evaluate_kernel(sc).line_sum_usd
    months = np.arange(sc.horizon_months)
    labels = calendar.labels(sc.inputs.start, sc.horizon_months)
    fiscal = [calendar.fiscal_year(sc.inputs.start, int(t), sc.fiscal_year_start_month) for t in months]
    frames = [pd.DataFrame({"strategy": name, "month": months, "calendar_month": labels,
                            "fiscal_year": fiscal, "line": lines.BY_NAME[line].label,
                            "deterministic_usd": deterministic[s_i, l_i],
                            "mean_usd": result.line_mean_usd[s_i, l_i], "discounted": "no"})
              for s_i, name in enumerate(result.strategies) for l_i, line in enumerate(result.lines)]
    return pd.concat(frames, ignore_index=True)


def fiscal_years(result: SimulationResult) -> pd.DataFrame:
    """The monthly lines rolled up by fiscal year (partial years at the ends of the horizon)."""
    frame = monthly_lines(result)
    return (frame.groupby(["strategy", "fiscal_year", "line"], sort=False)[
        ["deterministic_usd", "mean_usd"]].sum().reset_index().assign(discounted="no"))


CSV_DIR_FILES = ("summary.csv", "monthly_percentiles.csv", "monthly_cost_by_line.csv",
                 "fiscal_years.csv", "paths.csv", "assumptions.csv", "value_of_information.csv",
                 "columns.csv", "provenance.json")
"""The files ``write_csv_dir`` writes (``csv_files``' keys), checked before a run starts."""


def _frames(result: SimulationResult) -> dict[str, pd.DataFrame]:
    """The tables behind the CSV files, built once for both the files and their column notes."""
    return {"summary.csv": _with_provenance(result.summary().reset_index(), result),
            "monthly_percentiles.csv": _with_provenance(result.monthly_percentiles(), result),
            "monthly_cost_by_line.csv": monthly_lines(result),
            "fiscal_years.csv": fiscal_years(result),
            "paths.csv": result.paths_frame(),
            "assumptions.csv": assumptions_frame(result.scenario),
            "value_of_information.csv": _information(result)}


def assumptions_frame(sc: Scenario) -> pd.DataFrame:
    """Every input with its label, value, unit, source (an edit on the page says so) and as-of
    date: the Assumptions table as a CSV."""
    return report.assumptions(sc).rename(columns={"label": "input_label", "unit": "input_unit"})[
        ["input_label", "value", "nominal", "input_unit", "source", "as_of", "warning", "input"]]


def _information(result: SimulationResult) -> pd.DataFrame:
    """EVPPI per risk line and sampled input, with EVPI on every row."""
    # scipy.stats comes with it (a second of import): the page's summary CSV does not wait for it.
    from tco.optimise.information import value_of_information  # noqa: PLC0415

    info = value_of_information(result)
    frame = info.table.copy()
    frame.insert(3, "evpi_usd", info.evpi_usd)
    return frame


def _columns_csv(frames: dict[str, pd.DataFrame], sc: Scenario) -> bytes:
    """column, label, unit, description for every column of the CSV files, each column once.

    Labels come from ``tco.glossary``, which raises on a column it has no label for, so a new
    column cannot ship undocumented.
    """
    columns = [str(c) for frame in frames.values() for c in frame.columns]
    rows = [{"column": label.path, "label": label.label, "unit": in_currency(label.unit, sc.currency),
             "description": label.help}
            for label in glossary.columns_table(columns, sc)]
    return csv_bytes(pd.DataFrame(rows, columns=["column", "label", "unit", "description"]))


def in_currency(unit: str, currency: str) -> str:
    """A glossary unit with the scenario's currency named: '$ per month' -> 'USD per month'."""
    return currency + unit[1:] if unit.startswith("$") else unit


def documented_columns(result: SimulationResult) -> list[str]:
    """Every column of the CSV files, each once, in file order."""
    return list(dict.fromkeys(str(c) for frame in _frames(result).values() for c in frame.columns))


def columns_csv(result: SimulationResult) -> bytes:
    """The header documentation of summary.csv, monthly_percentiles.csv and paths.csv."""
    return _columns_csv(_frames(result), result.scenario)


def provenance_json(result: SimulationResult, link: str | None = None) -> bytes:
    return (json.dumps(provenance(result, link), indent=2) + "\n").encode("utf-8")


def scenario_yaml(sc: Scenario) -> bytes:
    return dumps(sc).encode("utf-8")


WORKBOOK_NAME = "workbook.xlsx"


def bundle_zip(result: SimulationResult, workbook: bytes | None = None, link: str | None = None) -> bytes:
    """All CSVs, provenance.json and the effective scenario in one ZIP, and the Excel workbook
    (``tco.excel.workbook_bytes(result)``) as workbook.xlsx when given.

    The workbook is passed in rather than built here because it is built from this module's
    tables: ``tco.excel`` imports ``tco.export``, so the reverse import would be a cycle.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in csv_files(result, link).items():
            archive.writestr(name, data)
        archive.writestr("scenario.yaml", scenario_yaml(result.scenario))
        if workbook is not None:
            archive.writestr(WORKBOOK_NAME, workbook)
    return buffer.getvalue()


def csv_files(result: SimulationResult, link: str | None = None) -> dict[str, bytes]:
    """summary.csv, monthly_percentiles.csv, paths.csv, columns.csv (their headers explained) and
    provenance.json (with ``link``, the page's share link)."""
    frames = _frames(result)
    return {**{name: csv_bytes(frame) for name, frame in frames.items()},
            "columns.csv": _columns_csv(frames, result.scenario),
            "provenance.json": provenance_json(result, link)}


def write_atomic(target: str | Path, data: bytes) -> Path:
    """Write bytes through a temporary file and a rename, so no half-written file is ever left.

    The temporary file has a unique name in the target's folder (a rename is atomic only within one
    file system), so concurrent writers to one target never share it: the target ends as exactly one
    writer's bytes. It is flushed to disk before the rename and removed on any error.

    A symbolic link to a regular file is followed, so the link stays and its file gets the bytes;
    any other existing target that is not a regular file (a device such as ``/dev/null``, a FIFO,
    a link to one) is refused, since the rename would put a regular file in its place.

    Raises
    ------
    OSError
        The target is a directory or not a regular file, its folder is missing or not writable, or
        the disk is full.
    """
    target = Path(target)
    if target.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a directory", str(target))
    if target.is_symlink():
        if not target.exists():
            raise FileNotFoundError(errno.ENOENT, "is a symbolic link to nothing", str(target))
        target = Path(os.path.realpath(target))
    if target.exists() and not stat.S_ISREG(target.stat().st_mode):
        raise OSError(errno.EPERM, "not a regular file; refusing to replace it", str(target))
    folder = target.parent
    # Unique and created with O_EXCL, like mkstemp, but with the umask's usual permissions: mkstemp's
    # 0600 would leave the written file readable by its owner only.
    for _ in range(100):
        temporary = folder / f".{target.name}.{secrets.token_hex(8)}.tmp"
        try:
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
            break
        except FileExistsError:
            continue
    else:
        raise FileExistsError(errno.EEXIST, "no free temporary file name", str(folder))
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    _sync_folder(folder)
    return target


def _sync_folder(folder: Path) -> None:
    """Flush the rename to disk too; some systems cannot open or sync a folder, which is harmless."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_csv_dir(result: SimulationResult, directory: str | Path) -> list[Path]:
    """Write summary.csv, monthly_percentiles.csv, paths.csv, columns.csv and provenance.json."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in csv_files(result).items():
        written.append(write_atomic(directory / name, data))
    return written
