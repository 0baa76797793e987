"""User errors on the command line: exit 2 and one line ``error: <field>: <rule>``, never a traceback.

Covers numbers (huge or negative seeds and paths, the cell budget), output paths (a folder, a missing
folder, a file where a folder should be, a place nobody can write), text echoed from user input
(escapes are printed, not obeyed), and strict JSON.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tco.load import load_scenario
from tco.simulate import SimulationResult
from tests.conftest import ROOT, SCENARIOS

SCENARIO = str(SCENARIOS[0])
SEED_RULE = "must be a whole number between 0 and 4,294,967,295"  # the page's range too


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "tco", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=300)


def one_error_line(out: subprocess.CompletedProcess) -> str:
    assert out.returncode == 2, out.stderr[-2000:]
    lines = out.stderr.splitlines()  # splits on \r and other line breaks too
    assert len(lines) == 1 and lines[0].startswith("error: "), out.stderr[-2000:]
    assert "\x1b" not in out.stderr and out.stdout == ""
    return lines[0]


@pytest.mark.parametrize(("args", "expected"), [
    (("--seed", "-1"), f"error: --seed: {SEED_RULE}"),
    (("--seed", "99999999999999999999999999"), f"error: --seed: {SEED_RULE}"),
    (("--paths", str(10**400)), "error: --paths: must be between 1 and 2,000,000"),
    (("--paths", "9" * 5000), None),  # more digits than Python converts: argparse's one line
    (("--max-cells", "0"), "error: --max-cells: must be a whole number of at least 1"),
    (("--paths", "10", "--max-cells", "100"), None),
], ids=["negative seed", "huge seed", "huge paths", "5000-digit paths", "zero cells", "over budget"])
def test_bad_numbers(args: tuple[str, ...], expected: str | None) -> None:
    line = one_error_line(cli("run", SCENARIO, *args))
    if expected is not None:
        assert line == expected
    elif "--max-cells" in args:
        assert line.startswith("error: --paths: 10 paths x ") and line.endswith(
            "; --max-cells raises the limit")
    else:
        assert line.startswith("error: arguments: argument --paths: invalid int value: '999")


def test_max_cells_raises_the_limit() -> None:
    out = cli("run", SCENARIO, "--paths", "20", "--max-cells", str(10**400), "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["paths"] == 20


@pytest.mark.parametrize("case", ["folder", "dot", "missing folder", "file as folder"])
def test_bad_deck_output(tmp_path: Path, case: str) -> None:
    (tmp_path / "afile").write_text("x")
    (tmp_path / "plan").mkdir()
    target, expected = {
        "folder": (str(tmp_path / "plan"),
                   f"error: --output: '{tmp_path / 'plan'}' is a folder; give a file name such as plan.pptx"),
        "dot": (".", "error: --output: '.' is a folder; give a file name such as plan.pptx"),
        "missing folder": (str(tmp_path / "nope" / "plan.pptx"),
                           f"error: --output: folder '{tmp_path / 'nope'}' does not exist"),
        "file as folder": (str(tmp_path / "afile" / "plan.pptx"),
                           f"error: --output: folder '{tmp_path / 'afile'}' is not a folder"),
    }[case]
    out = cli("deck", SCENARIO, "--paths", "50", "-o", target, cwd=tmp_path)
    assert one_error_line(out) == expected
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "plan"]  # no plan.tmp left behind


def test_bad_csv_dir(tmp_path: Path) -> None:
    afile = tmp_path / "afile"
    afile.write_text("x")
    assert one_error_line(cli("run", SCENARIO, "--paths", "50", "--csv-dir", str(afile))) == (
        f"error: --csv-dir: '{afile}' is a file, not a folder")
    assert one_error_line(cli("run", SCENARIO, "--paths", "50", "--csv-dir", str(afile / "sub"))) == (
        f"error: --csv-dir: '{afile}' is a file, not a folder")
    # A place nobody can write, root included: /proc refuses new files.
    if Path("/proc/self").exists():
        assert one_error_line(cli("run", SCENARIO, "--paths", "50", "--csv-dir", "/proc")).startswith(
            "error: --csv-dir: ")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    if not os.access(locked, os.W_OK):  # root writes anyway
        assert one_error_line(cli("run", SCENARIO, "--paths", "50", "--csv-dir", str(locked / "out"))) == (
            f"error: --csv-dir: '{locked}' is not writable")


def test_deep_nesting_is_one_line(tmp_path: Path) -> None:
    """Thousands of nested brackets overflowed Python's stack (a RecursionError traceback)."""
    path = tmp_path / "deep.yaml"
    path.write_text("name: " + "[" * 4000 + "]" * 4000 + "\n")
    assert one_error_line(cli("run", str(path), "--paths", "10")) == (
        "error: line 1, column 26: nesting is too deep (more than 20 levels)")


def test_control_characters_are_escaped(tmp_path: Path) -> None:
    """A carriage return or a terminal escape in user input is printed as \\r or \\x1b, not obeyed."""
    missing = tmp_path / "\x1b[2Jred\rdone.yaml"
    assert one_error_line(cli("validate", str(missing))) == (
        f"error: {tmp_path}/\\x1b[2Jred\\rdone.yaml: no such file")
    key = tmp_path / "key.yaml"
    key.write_bytes(Path(SCENARIO).read_bytes() + b'"\\e]0;owned\\a\\rx\\u2028y": 1\n')
    assert "\\x1b]0;owned\\x07\\rx\\u2028y" in one_error_line(cli("validate", str(key)))
    out = cli("stress", SCENARIO, "--event", "exit", "--on", "x\x1b[2J\r", "--month", "1")
    assert one_error_line(out).startswith("error: --on: 'x\\x1b[2J\\r' is not a defined option")


def test_unreadable_scenarios(tmp_path: Path) -> None:
    assert one_error_line(cli("validate", str(tmp_path))) == (
        f"error: {tmp_path}: is a directory, not a scenario file")
    assert one_error_line(cli("validate", str(tmp_path / "none.yaml"))) == (
        f"error: {tmp_path / 'none.yaml'}: no such file")
    locked = tmp_path / "locked.yaml"
    locked.write_text("name: x\n")
    locked.chmod(0)
    if not os.access(locked, os.R_OK):
        assert one_error_line(cli("validate", str(locked))) == (
            f"error: {locked}: cannot be read (permission denied)")


def _strict(text: str) -> object:
    def refuse(constant: str) -> None:
        raise ValueError(f"{constant} is not JSON")
    return json.loads(text, parse_constant=refuse)


def test_json_is_strict() -> None:
    out = cli("run", SCENARIO, "--paths", "200", "--json")
    assert out.returncode == 0, out.stderr
    assert set(_strict(out.stdout)["strategies"])


def test_json_refuses_a_non_finite_value(monkeypatch, capsys) -> None:
    """NaN and Infinity are not JSON: name the strategy and key instead of printing them."""
    from tco.__main__ import main

    real = SimulationResult.to_json

    def with_infinity(self: SimulationResult) -> dict:
        data = real(self)
        name = next(iter(data["strategies"]))
        data["strategies"][name]["p95"] = math.inf
        return data

    monkeypatch.setattr(SimulationResult, "to_json", with_infinity)
    assert main(["run", SCENARIO, "--paths", "100", "--json"]) == 2
    out = capsys.readouterr()
    assert out.out == ""
    name = next(iter(load_scenario(SCENARIO).strategies))
    assert out.err == (f"error: strategies.{name}.p95: is inf, which JSON cannot hold; an input is so "
                       "large that the costs overflow\n")


def test_an_unknown_price_provider_names_the_known_ones() -> None:
    line = one_error_line(cli("catalog", "prices", "--provider", "opnai"))
    assert line.startswith("error: --provider: unknown provider 'opnai' (did you mean openai")
    assert "known providers are anthropic, " in line and ", x-ai, " in line


@pytest.mark.parametrize(("args", "expected"), [
    (("gpus", "--search", "h100"), "error: --search: applies to catalog prices, not gpus"),
    (("models", "--provider", "meta"), "error: --provider: applies to catalog prices and events, not models"),
    (("prices", "--kind", "exit"), "error: --kind: applies to catalog events, not prices"),
])
def test_a_catalog_filter_names_the_catalogs_it_applies_to(args: tuple[str, ...], expected: str) -> None:
    assert one_error_line(cli("catalog", *args)) == expected


def test_bad_xlsx_output(tmp_path: Path) -> None:
    """Checked before the run, like --output and --csv-dir."""
    assert one_error_line(cli("run", SCENARIO, "--paths", "50", "--xlsx", str(tmp_path))) == (
        f"error: --xlsx: '{tmp_path}' is a folder; give a file name such as plan.xlsx")
    assert one_error_line(cli("run", SCENARIO, "--paths", "50", "--xlsx",
                              str(tmp_path / "nope" / "plan.xlsx"))) == (
        f"error: --xlsx: folder '{tmp_path / 'nope'}' does not exist")
