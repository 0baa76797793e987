"""Hostile scenario files: each ends in one error line and exit 2, quickly, under a memory cap.

Every file is run as ``python -m tco validate FILE`` in a subprocess limited by ``prlimit`` to 2 GB of
address space and 30 s of CPU, so a file that makes the parser blow up fails the test (by a kill or a
traceback) instead of taking the machine with it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tco.yamlio import parse_yaml
from tests.conftest import ROOT

PRLIMIT = shutil.which("prlimit") or ("/usr/bin/prlimit" if Path("/usr/bin/prlimit").exists() else None)
WALL_SECONDS = 10.0
BASE = ROOT / "scenarios" / "startup-api-cheaper.yaml"

pytestmark = pytest.mark.skipif(PRLIMIT is None, reason="util-linux prlimit is not installed")


def _scenario() -> dict:
    return parse_yaml(BASE.read_bytes())


def _billion_laughs() -> bytes:
    """432-ish bytes whose aliases expand to 9**9 strings."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    return ("\n".join(lines) + "\n").encode()


def _one_line_description() -> bytes:
    """A 900 kB one-line JSON scenario: a huge description, one unknown field at the end."""
    data = {**_scenario(), "description": "lorem ipsum dolor " * 50_000, "unknown_field": 1}
    return json.dumps(data).encode()


def _one_line_values() -> bytes:
    """A one-line JSON scenario with 90,000 values on its only line (quadratic comment scans)."""
    return json.dumps({**_scenario(), "unknown_field": list(range(90_000))}).encode()


def _with_line(old: str, new: str) -> Callable[[], bytes]:
    def build() -> bytes:
        text = BASE.read_text()
        assert old in text
        return text.replace(old, new, 1).encode()
    return build


CASES: dict[str, Callable[[], bytes] | str] = {
    "billion laughs (nested aliases)": _billion_laughs,
    "one alias": lambda: BASE.read_bytes() + b"again: &x 1\nand_again: *x\n",
    "one-line JSON, 900 kB description": _one_line_description,
    "one-line JSON, 90,000 values": _one_line_values,
    "5,000 nested lists": lambda: b"a: " + b"[" * 5000 + b"]" * 5000 + b"\n",
    "5,000 nested mappings": lambda: b"a: " + b"{a: " * 5000 + b"1" + b"}" * 5000 + b"\n",
    "200,000 values in a block list": lambda: BASE.read_bytes() + b"z:\n" + b"- 1\n" * 200_000,
    "binary": lambda: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 100,
    "not UTF-8": lambda: b"name: caf\xe9\n" * 100,
    "empty": lambda: b"",
    "only comments": lambda: b"# nothing\n" * 1000,
    "1.5 MB": lambda: b"# padding\n" * 150_000,
    "base-60 integer of 300,000 parts": lambda: b"a: 1" + b":59" * 300_000 + b"\n",
    "integer beyond float range": _with_line("discount_rate_per_year: 0.15",
                                             "discount_rate_per_year: 0x" + "f" * 2000),
    "integer of 5,000 digits": _with_line("horizon_months: 24", "horizon_months: " + "9" * 5000),
    "impossible timestamp": _with_line("currency: USD", "currency: !!timestamp 2024-13-01"),
    "a list as a key": lambda: BASE.read_bytes() + b"? [1, 2]\n: x\n",
    "a mapping tag on a list": lambda: BASE.read_bytes() + b"z: !!map [1]\n",
    "terminal escapes in a key": lambda: BASE.read_bytes() + b'"\\e[2J\\rboom\\u2028x": 1\n',
    "/dev/zero": "/dev/zero",
    "an endless pipe (/dev/stdin)": "pipe",
}


def _validate(path: str, stdin: int | None = None) -> tuple[subprocess.CompletedProcess, float]:
    command = [PRLIMIT, "--as=2000000000", "--cpu=30", sys.executable, "-m", "tco", "validate", path]
    start = time.monotonic()
    try:
        out = subprocess.run(command, cwd=ROOT, capture_output=True, timeout=60, stdin=stdin)
    except subprocess.TimeoutExpired:
        pytest.fail(f"validate {path} ran for more than 60 s")
    return out, time.monotonic() - start


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_file_is_one_error_line(name: str, tmp_path: Path) -> None:
    case = CASES[name]
    writer = None
    if case == "pipe":
        if not Path("/dev/stdin").exists():
            pytest.skip("no /dev/stdin")
        endless = "import sys\nwhile True: sys.stdout.write('a: b\\n' * 4096)"
        writer = subprocess.Popen([sys.executable, "-c", endless], stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL)
        path = "/dev/stdin"
    elif isinstance(case, str):
        if not Path(case).exists():
            pytest.skip(f"no {case}")
        path = case
    else:
        file = tmp_path / "hostile.yaml"
        file.write_bytes(case())
        path = str(file)
    try:
        out, seconds = _validate(path, stdin=writer.stdout.fileno() if writer else None)
    finally:
        if writer is not None:
            writer.kill()
            writer.wait()
    stderr = out.stderr.decode("utf-8", "replace")
    assert out.returncode == 2, stderr[-2000:]
    lines = stderr.splitlines()  # splits on \r, \x1c-\x1e, \x85 and \u2028 too
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr[-2000:]
    assert "\x1b" not in stderr and len(stderr) < 2000
    assert out.stdout == b""
    assert seconds < WALL_SECONDS, f"{seconds:.1f} s"
