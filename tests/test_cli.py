"""The command line: documented JSON keys, golden outputs, exit codes and one-line errors."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pandas as pd
import pytest

import tco
from tests.conftest import ROOT, SCENARIOS
from tests.regen_golden import GOLDEN, golden_json

KEYS = {"deterministic_npv", "mean", "p5", "p50", "p95", "cvar95", "p_cheapest", "expected_regret",
        "lock_in_premium"}


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tco", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_golden_json(path) -> None:
    """Bit-for-bit numbers for the same seed; regenerate with tests/regen_golden.py."""
    got = golden_json(path)
    expected = json.loads((GOLDEN / f"{path.stem}.json").read_text())
    taxed = {"after_tax"} if tco.load_scenario(path).tax is not None else set()
    assert set(got) == {"scenario", "paths", "seed", "strategies", "evpi_usd", "evppi", "currency",
                        "version", "units", *taxed}
    for name, row in got["strategies"].items():
        assert set(row) == KEYS
        for key in KEYS:
            assert row[key] == pytest.approx(expected["strategies"][name][key], rel=1e-9, abs=1e-9)


def test_run_prints_a_readable_table() -> None:
    out = cli("run", str(SCENARIOS[0]), "--paths", "500")
    assert out.returncode == 0, out.stderr
    assert "NPV of total cost per strategy" in out.stdout and "$" in out.stdout
    assert "e+0" not in out.stdout  # no raw floats


def test_csv_dir_writes_the_audit_trail(tmp_path) -> None:
    out = cli("run", str(SCENARIOS[0]), "--paths", "300", "--csv-dir", str(tmp_path))
    assert out.returncode == 0, out.stderr
    paths = pd.read_csv(tmp_path / "paths.csv")
    assert len(paths) == 300 and any(c.startswith("npv_usd.") for c in paths.columns)
    assert any(c.startswith("events.") for c in paths.columns)
    assert len(pd.read_csv(tmp_path / "summary.csv")) >= 2
    provenance = json.loads((tmp_path / "provenance.json").read_text())
    assert provenance["seed"] == 7 and provenance["paths"] == 300 and len(provenance["scenario_sha256"]) == 64


def test_stress_command() -> None:
    story = ROOT / "scenarios" / "open-model-goes-closed.yaml"
    out = cli("stress", str(story), "--event", "exit", "--on", "frontier-api", "--month", "6")
    assert out.returncode == 0, out.stderr
    assert "api-only" in out.stdout and "impact" in out.stdout


def test_catalog_and_schema_commands() -> None:
    for which in ("gpus", "models", "prices", "benchmarks"):
        out = cli("catalog", which)
        assert out.returncode == 0 and "as_of" in out.stdout
    assert "2026-11-09" in cli("catalog", "prices").stdout
    assert json.loads(cli("schema").stdout)["title"] == "LLM TCO scenario (v1)"


BAD = [
    ("empty", b"", "error: scenario: file is empty"),
    ("binary", b"\x00\x01\x02\xff", "error: scenario: is a binary file, not YAML text"),
    ("malformed", b"name: [x\n", "error: line 2, column 1: did not find expected ',' or ']'"),
    ("wrong type", b"name: x\nhorizon_months: soon\n",
     "error: horizon_months: must be a number, got the text 'soon'"),
    ("missing", b"name: x\nhorizon_months: 12\n", "error: workload: is required"),
]


@pytest.mark.parametrize(("label", "data", "expected"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_exits_2_with_one_line(tmp_path, label, data, expected) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes(data)
    out = cli("run", str(path), "--paths", "10")
    assert out.returncode == 2
    assert out.stderr.strip() == expected
    assert "Traceback" not in out.stderr and out.stdout == ""


@pytest.mark.parametrize(("args", "expected"), [
    (("run", "no-such.yaml"), "error: no-such.yaml: no such file"),
    (("run", str(SCENARIOS[0]), "--paths", "0"), "error: --paths: must be between 1 and 2,000,000"),
    (("run", str(SCENARIOS[0]), "--paths", "many"),
     "error: arguments: argument --paths: invalid int value: 'many'"),
    (("stress", str(SCENARIOS[0]), "--event", "flood", "--on", "x", "--month", "1"),
     "error: --event: must be one of price_change, deprecation, exit, licence_change, "
     "fine_tune_withdrawn"),
])
def test_bad_arguments(args, expected) -> None:
    out = cli(*args)
    assert out.returncode == 2
    assert out.stderr.strip() == expected


def test_an_unknown_command_lists_every_command_in_one_line() -> None:
    from tco.cli import COMMANDS

    out = cli("frobnicate")
    assert out.returncode == 2
    line = out.stderr.strip()
    assert "\n" not in line
    assert line.startswith("error: arguments: argument command: invalid choice: 'frobnicate' (choose from ")
    assert all(f"'{name}'" in line for name in COMMANDS)


def test_validate_all_shipped() -> None:
    out = cli("validate", *map(str, SCENARIOS))
    assert out.returncode == 0
    assert out.stdout.count(": ok (") == len(SCENARIOS)


def test_diff_prints_and_writes_strict_json() -> None:
    """`tco diff` on a scenario and a copy with a cheaper output price: one input differs, the
    paths pair up, and every strategy's difference equals the two runs' means."""
    import tco
    from tco.load import with_changes
    from tco.yamlio import dumps

    base = tco.load_scenario(SCENARIOS[0])
    field = next(p for p in base.inputs.params if p.endswith("output_usd_per_mtok"))
    other = with_changes(base, {field: base.inputs.params[field].nominal * 0.8})
    target = ROOT / "test-output" / "diff-other.yaml"
    target.parent.mkdir(exist_ok=True)
    target.write_text(dumps(other.scenario, dict(other.comments)))
    out = cli("diff", str(SCENARIOS[0]), str(target), "--paths", "600", "--json")
    assert out.returncode == 0, out.stderr

    def refuse(name: str) -> None:
        raise AssertionError(f"not strict JSON: {name}")

    got = json.loads(out.stdout, parse_constant=refuse)
    assert got["paired_paths"] is True and [r["input"] for r in got["inputs"]] == [field]
    ra, rb = tco.simulate(base, paths=600), tco.simulate(other, paths=600)
    for i, name in enumerate(ra.strategies):
        expected = rb.npv_usd[:, i].mean() - ra.npv_usd[:, i].mean()
        assert got["strategies"][name]["difference_usd"] == pytest.approx(expected, rel=1e-12)
    text = cli("diff", str(SCENARIOS[0]), str(target), "--paths", "600")
    assert text.returncode == 0 and "Inputs that differ" in text.stdout


def test_validate_reports_every_file_and_fails_if_any_fails(tmp_path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\n")
    out = cli("validate", str(SCENARIOS[0]), str(bad), str(SCENARIOS[1]))
    assert out.returncode == 2
    assert [line.split(":")[0] for line in out.stdout.splitlines()] == [str(SCENARIOS[0]), str(SCENARIOS[1])]
    assert out.stderr.strip() == f"error: {bad}: horizon_months: is required"


def test_help_describes_every_option_with_its_default() -> None:
    """The CLI and the page share one default path count and seed."""
    from tco.simulate import DEFAULT_PATHS, DEFAULT_SEED
    from tco.ui import state

    out = cli("run", "--help")
    assert f"(default: {DEFAULT_PATHS})" in out.stdout and f"(default: {DEFAULT_SEED})" in out.stdout
    assert state.DEFAULT_PATHS == DEFAULT_PATHS == 10_000 and state.DEFAULT_SEED == DEFAULT_SEED


def _keys(data: object) -> set[str]:
    """Every key of a JSON value, at any depth."""
    if isinstance(data, dict):
        return set(data) | {k for v in data.values() for k in _keys(v)}
    if isinstance(data, list):
        return {k for v in data for k in _keys(v)}
    return set()


@pytest.mark.parametrize("args", [
    ("run", str(SCENARIOS[0]), "--paths", "200", "--json"),
    ("stress", str(ROOT / "scenarios" / "open-model-goes-closed.yaml"), "--event", "exit", "--on",
     "frontier-api", "--month", "6", "--json"),
    ("catalog", "prices", "--provider", "anthropic", "--json"),
    ("catalog", "events", "--provider", "openai", "--json"),
    ("catalog", "gpus", "--json"),
    ("backtest", str(SCENARIOS[0]), "--from", "2024-01", "--paths", "200", "--json"),
    ("diff", str(SCENARIOS[0]), str(SCENARIOS[0]), "--paths", "200", "--json"),
], ids=["run", "stress", "catalog prices", "catalog events", "catalog gpus", "backtest", "diff"])
def test_every_json_carries_currency_version_and_units(args, capsys) -> None:
    """Each --json object names its currency, the tool's version and the unit of its numbers;
    every key ``units`` names is a key of the object."""
    from tco.cli import main
    from tco.version import __version__

    assert main(list(args)) == 0
    data = json.loads(capsys.readouterr().out)
    assert isinstance(data, dict) and data["version"] == __version__
    assert data["currency"] == "USD"
    assert data["units"] and set(data["units"]) <= _keys({k: v for k, v in data.items() if k != "units"})
    assert all(isinstance(unit, str) and unit for unit in data["units"].values())


def test_run_json_keeps_its_documented_keys(capsys) -> None:
    from tco.cli import main

    assert main(["run", str(SCENARIOS[0]), "--paths", "100", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"scenario", "paths", "seed", "strategies"} <= set(data)
    assert all(set(row) == KEYS for row in data["strategies"].values())
    assert data["units"]["mean"] == "USD, present value"
    assert data["units"]["p_cheapest"].startswith("fraction")


def test_catalog_prices_filter_by_provider_and_search(capsys) -> None:
    """--provider keeps one provider's models, --search the ids or names holding the text (any
    case); each row has its per-1M-token prices and the snapshot's date, or the date its prices
    were last checked upstream where tco/data/prices_checked.csv records one."""
    from tco.cli import main

    assert main(["catalog", "prices", "--provider", "Anthropic", "--search", "SONNET", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["prices"] and data["as_of"] == "2026-11-09"
    for row in data["prices"]:
        assert row["provider"] == "anthropic" and "sonnet" in (row["model"] + row["name"]).lower()
        assert row["as_of"] == {"claude-sonnet-4-6": "2026-07-29"}.get(row["model"], "2026-11-09")
        assert {"input_usd_per_mtok", "cached_input_usd_per_mtok", "output_usd_per_mtok"} <= set(row)
    assert data["units"]["input_usd_per_mtok"] == "USD per 1M tokens"
    assert main(["catalog", "prices", "--search", "claude-sonnet-4-5"]) == 0
    text = capsys.readouterr().out
    assert "as of 2026-11-09" in text and "claude-sonnet-4-5" in text and "gpt" not in text
    header = next(line for line in text.splitlines() if "provider" in line).split()
    assert header[:6] == ["provider", "model", "name", "input_usd_per_mtok", "cached_input_usd_per_mtok",
                          "output_usd_per_mtok"]
    assert main(["catalog", "prices", "--search", "no-such-model"]) == 0
    assert "no API model matches search 'no-such-model'" in capsys.readouterr().out


def test_a_provider_outside_the_listed_ones_is_priced(capsys) -> None:
    """The default list holds ten providers; --provider reaches every one of the snapshot."""
    from tco.cli import main
    from tco.prices import LISTED_PROVIDERS

    assert "cohere" not in LISTED_PROVIDERS
    assert main(["catalog", "prices", "--provider", "cohere", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["prices"]
    assert rows and {r["provider"] for r in rows} == {"cohere"}


def test_simulate_reports_progress_without_changing_a_number() -> None:
    """progress(paths_done, paths) after each chunk, in order, from both threads; bit for bit."""
    import numpy as np

    from tco.load import load_scenario
    from tco.simulate import chunk_paths, simulate

    sc = load_scenario(SCENARIOS[0])  # api-price-shock: 3 strategies, 2 noisy options, 24 months
    paths = 16 * 1024 + 7
    # A large run: 2,048 x 480 / ((3 + 2) x 24) = 8,192 paths a chunk, so three chunks, the last
    # of 7 paths.
    assert chunk_paths(paths, sc, 2) == chunk_paths(paths, sc, 1) == 8192
    calls: list[tuple[int, int]] = []
    for workers in (1, 2):
        calls.clear()
        plain = simulate(sc, paths=paths, seed=11, workers=workers)
        watched = simulate(sc, paths=paths, seed=11, workers=workers,
                           progress=lambda done, total: calls.append((done, total)))
        assert len(calls) == 3 and calls[-1] == (paths, paths)
        assert [done for done, _ in calls] == sorted({done for done, _ in calls})
        assert {total for _, total in calls} == {paths}
        for name in ("npv_usd", "npv_no_events_usd", "cumulative_usd", "events", "event_counts",
                     "line_mean_usd"):
            assert np.array_equal(getattr(plain, name), getattr(watched, name)), name


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_bar_shows_only_on_a_terminal_for_long_runs() -> None:
    import tco.cli.progress as progress

    assert progress.bar(progress.MIN_PATHS, io.StringIO()) is None  # a pipe or a file
    assert progress.bar(progress.MIN_PATHS - 1, _Terminal()) is None  # a short run
    terminal = _Terminal()
    show = progress.bar(progress.MIN_PATHS, terminal)
    assert show is not None
    show(6_144, 20_000)
    assert terminal.getvalue() == "\rsimulating [#########.....................]  31% 6,144 / 20,000 paths\r"
    show(20_000, 20_000)  # the last call erases the bar
    line = progress.line_text(6_144, 20_000)
    assert terminal.getvalue().endswith("\r" + " " * len(line) + "\r")


def test_long_runs_print_no_progress_into_a_pipe(tmp_path) -> None:
    out = cli("run", str(SCENARIOS[0]), "--paths", "20000", "--json")
    assert out.returncode == 0 and out.stderr == ""


def test_run_writes_the_excel_workbook(tmp_path) -> None:
    import openpyxl

    target = tmp_path / "plan.xlsx"
    out = cli("run", str(SCENARIOS[0]), "--paths", "200", "--xlsx", str(target))
    assert out.returncode == 0, out.stderr
    assert "NPV of total cost per strategy" in out.stdout
    book = openpyxl.load_workbook(target)
    assert book.sheetnames[0] == "Summary"
    assert [p.name for p in tmp_path.iterdir()] == ["plan.xlsx"]  # no temporary file left


def test_compile_readies_the_kernel_and_says_how() -> None:
    """``tco compile`` (the README's setup step) leaves the kernel's machine code in numba's cache
    and says whether it compiled or loaded it; afterwards no command announces a compile."""
    import tco._runtime as runtime

    done = cli("compile")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("cost kernel ready: ")
    assert runtime.kernel_compiled()
    again = cli("run", str(SCENARIOS[0]), "--paths", "200")
    assert again.returncode == 0 and "compiling the cost kernel" not in again.stderr


def test_calibrate_hazards_runs_the_backtest_calibration_not_a_module() -> None:
    """Importing the submodule tco.cli.calibrate rebinds the package's attribute 'calibrate': the
    command table once held that module, and `python -m tco calibrate-hazards` raised TypeError."""
    import sys

    import tco.cli
    import tco.cli.calibrate  # rebinds the package's attribute 'calibrate', as the CLI may

    assert tco.cli.command_function("calibrate-hazards") is sys.modules["tco.cli.backtest"].calibrate
    assert tco.cli.command_function("calibrate") is sys.modules["tco.cli.calibrate"].calibrate_command
