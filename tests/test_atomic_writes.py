"""Concurrent writers to one file: no exception, the file is exactly one writer's bytes, no debris.

``write_atomic`` used one fixed ``<file>.tmp`` name, so two writers truncated each other's temporary
file and the second rename found it gone (FileNotFoundError), or renamed a mix of both.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from tco.export import write_atomic
from tests.conftest import ROOT

SIZE = 256 * 1024  # larger than one write() of a pipe or page, so torn or mixed files would show


def _payload(writer: int, round_: int) -> bytes:
    return bytes([writer * 16 + round_ % 16]) * SIZE


def _check(folder: Path, target: Path, payloads: set[bytes]) -> None:
    assert [p.name for p in folder.iterdir()] == [target.name], "temporary files left behind"
    assert target.read_bytes() in payloads


def test_threads_writing_one_file(tmp_path) -> None:
    target = tmp_path / "summary.csv"
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def writer(number: int) -> None:
        start.wait()
        for round_ in range(40):
            try:
                write_atomic(target, _payload(number, round_))
            except BaseException as exc:  # noqa: BLE001 - collected and reported below
                errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors[:3]
    _check(tmp_path, target, {_payload(n, r) for n in range(8) for r in range(40)})


WRITER = """
import sys, time
from pathlib import Path
from tco.export import write_atomic
number, target, go = int(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
(go.parent / f"ready-{{number}}").touch()
while not go.exists():
    time.sleep(0.01)
for round_ in range(30):
    write_atomic(target, bytes([number * 16 + round_ % 16]) * {size})
"""


def test_processes_writing_one_file(tmp_path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    target, go = folder / "deck.pptx", tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", WRITER.format(size=SIZE), str(n), str(target), str(go)],
                              env=env, stderr=subprocess.PIPE, text=True) for n in range(4)]
    deadline = time.monotonic() + 120
    while len(list(tmp_path.glob("ready-*"))) < len(procs) and time.monotonic() < deadline:
        time.sleep(0.05)
    go.touch()  # every writer has imported tco: they start together
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert all(p.returncode == 0 for p in procs), errors
    _check(folder, target, {_payload(n, r) for n in range(4) for r in range(30)})
