"""The command line's files and streams: nothing it is given is destroyed, nothing hangs, and a
write that fails says so in one line.

Each case is a real file, device, FIFO, link or descriptor, run through ``python -m tco`` in a
subprocess: an output path that is the scenario being read, an existing target that is not a
regular file (``/dev/null``, a FIFO, a link to either), an input FIFO with no writer (which hung
``run`` forever), standard input, ``/dev/full``, a closed standard output and empty paths.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tco.export import CSV_DIR_FILES, csv_files, write_atomic
from tests.conftest import ROOT
from tests.test_cli_errors import one_error_line

SOURCE = ROOT / "scenarios" / "startup-api-cheaper.yaml"
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
FAST = ("--paths", "50")


def tco(*args: str, cwd: Path, stdin=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tco", *args], capture_output=True, text=True,
                          cwd=cwd, env=ENV, timeout=300, stdin=stdin)


def shell(command: str, cwd: Path) -> subprocess.CompletedProcess:
    """A command line with shell redirections (a closed descriptor, /dev/full)."""
    return subprocess.run(["bash", "-c", command], capture_output=True, text=True, cwd=cwd, env=ENV,
                          timeout=300)


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    path = tmp_path / "plan.yaml"
    shutil.copyfile(SOURCE, path)
    return path


def _intact(path: Path) -> None:
    assert path.is_file() and path.read_bytes() == SOURCE.read_bytes(), "the scenario was overwritten"


@pytest.mark.parametrize("how", ["run --xlsx", "deck -o", "csv-dir holding it", "through a link",
                                 "relative path"])
def test_an_output_that_is_the_input_is_refused(scenario: Path, how: str) -> None:
    """`run x.yaml --xlsx x.yaml` replaced the scenario with a workbook, silently."""
    folder = scenario.parent
    if how == "run --xlsx":
        out = tco("run", str(scenario), *FAST, "--xlsx", str(scenario), cwd=folder)
        where = f"--xlsx: '{scenario}'"
    elif how == "deck -o":
        out = tco("deck", str(scenario), *FAST, "-o", str(scenario), cwd=folder)
        where = f"--output: '{scenario}'"
    elif how == "csv-dir holding it":
        inside = folder / "paths.csv"
        scenario.rename(inside)
        scenario = inside
        out = tco("run", str(inside), *FAST, "--csv-dir", str(folder), cwd=folder)
        where = f"--csv-dir: '{inside}'"
    elif how == "through a link":
        link = folder / "link.xlsx"
        link.symlink_to(scenario)
        out = tco("run", str(scenario), *FAST, "--xlsx", str(link), cwd=folder)
        where = f"--xlsx: '{link}'"
    else:
        out = tco("run", "plan.yaml", *FAST, "--xlsx", "./plan.yaml", cwd=folder)
        where = "--xlsx: 'plan.yaml'"
    assert one_error_line(out) == (f"error: {where} is the scenario file being read; writing there "
                                   "would destroy it, choose another name")
    _intact(scenario)


def _special_target(kind: str, folder: Path) -> tuple[Path, str]:
    if kind == "/dev/null":
        return Path("/dev/null"), "a character device"
    if kind == "fifo":
        path = folder / "pipe.xlsx"
        os.mkfifo(path)
        return path, "a FIFO (named pipe)"
    if kind == "link to /dev/null":
        path = folder / "null.xlsx"
        path.symlink_to("/dev/null")
        return path, "a character device"
    path = folder / "fifo-link.xlsx"
    os.mkfifo(folder / "real-fifo")
    path.symlink_to(folder / "real-fifo")
    return path, "a FIFO (named pipe)"


@pytest.mark.parametrize("kind", ["/dev/null", "fifo", "link to /dev/null", "link to a fifo"])
@pytest.mark.parametrize("command", ["run --xlsx", "deck -o", "run --csv-dir"])
def test_a_target_that_is_not_a_regular_file_is_refused(scenario: Path, kind: str, command: str) -> None:
    """The atomic rename replaced a device node or a link with a regular file (as root, `--xlsx
    /dev/null` would have replaced the system's /dev/null)."""
    folder = scenario.parent
    if command == "run --csv-dir" and kind == "/dev/null":
        pytest.skip("/dev holds no summary.csv")
    target, what = _special_target(kind, folder)
    before = os.lstat(target)
    if command == "run --csv-dir":
        listed = folder / "out"
        listed.mkdir()
        (listed / "summary.csv").symlink_to(target) if kind != "fifo" else os.mkfifo(listed / "summary.csv")
        out = tco("run", str(scenario), *FAST, "--csv-dir", str(listed), cwd=folder)
        expected = f"error: --csv-dir: '{listed / 'summary.csv'}' is {what}, not a regular file"
    else:
        flag = "--xlsx" if command == "run --xlsx" else "-o"
        out = tco(*command.split()[:1], str(scenario), *FAST, flag, str(target), cwd=folder)
        field = "--xlsx" if flag == "--xlsx" else "--output"
        expected = f"error: {field}: '{target}' is {what}, not a regular file"
    assert one_error_line(out) == f"{expected}; refusing to replace it"
    after = os.lstat(target)
    assert (after.st_ino, stat.S_IFMT(after.st_mode)) == (before.st_ino, stat.S_IFMT(before.st_mode))


def test_a_link_to_a_regular_file_is_written_through(scenario: Path) -> None:
    """The link stays a link; the file it names gets the workbook."""
    folder = scenario.parent
    real = folder / "real.xlsx"
    real.write_bytes(b"old")
    link = folder / "plan.xlsx"
    link.symlink_to(real)
    out = tco("run", str(scenario), *FAST, "--xlsx", str(link), cwd=folder)
    assert out.returncode == 0, out.stderr
    assert link.is_symlink() and real.read_bytes()[:2] == b"PK"
    dangling = folder / "gone.xlsx"
    dangling.symlink_to(folder / "nowhere")
    assert one_error_line(tco("run", str(scenario), *FAST, "--xlsx", str(dangling), cwd=folder)) == (
        f"error: --xlsx: '{dangling}' is a symbolic link to nothing; remove it or choose another name")
    assert dangling.is_symlink() and not (folder / "nowhere").exists()


def test_write_atomic_refuses_special_files_itself(tmp_path: Path) -> None:
    """The library's writer holds the rule too (the page's exports and scripts call it)."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match="not a regular file"):
        write_atomic(fifo, b"x")
    with pytest.raises(OSError, match="not a regular file"):
        write_atomic("/dev/null", b"x")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and sorted(p.name for p in tmp_path.iterdir()) == ["fifo"]


def test_csv_dir_files_are_the_files_written() -> None:
    """The names checked before a run are the names written after it."""
    from tco.simulate import simulate
    from tests.conftest import BASE

    assert tuple(csv_files(simulate(BASE, paths=20))) == CSV_DIR_FILES


@pytest.mark.parametrize("args", [("run", "--xlsx", ""), ("run", "--csv-dir", ""), ("deck", "-o", "")],
                         ids=["--xlsx ''", "--csv-dir ''", "-o ''"])
def test_an_empty_output_path_is_an_error(scenario: Path, args: tuple[str, str, str]) -> None:
    """`--xlsx ''` was silently ignored: the run ended 0 with no workbook."""
    command, flag, value = args
    out = tco(command, str(scenario), *FAST, flag, value, cwd=scenario.parent)
    field = "--output" if flag == "-o" else flag
    assert one_error_line(out).startswith(f"error: {field}: is empty; give a ")
    assert sorted(p.name for p in scenario.parent.iterdir()) == ["plan.yaml"]


@pytest.mark.parametrize("command", ["run", "validate", "deck"])
def test_an_input_fifo_with_no_writer_is_refused_at_once(scenario: Path, command: str) -> None:
    """A FIFO with no writer hung `run` forever (the open blocks until a writer comes)."""
    fifo = scenario.parent / "scenario.yaml"
    os.mkfifo(fifo)
    extra = ("-o", str(scenario.parent / "x.pptx")) if command == "deck" else ()
    start = time.monotonic()
    out = tco(command, str(fifo), *(FAST if command != "validate" else ()), *extra, cwd=scenario.parent)
    assert one_error_line(out) == (f"error: {fifo}: is a FIFO (named pipe), not a regular file; give a "
                                   "scenario file (or pipe it to /dev/stdin)")
    assert time.monotonic() - start < 60


def test_standard_input_is_read(scenario: Path) -> None:
    """/dev/stdin as a pipe or a redirect is the one non-regular input taken."""
    with scenario.open("rb") as handle:
        redirected = tco("validate", "/dev/stdin", cwd=scenario.parent, stdin=handle)
    assert redirected.returncode == 0 and redirected.stdout.startswith("/dev/stdin: ok"), redirected.stderr
    piped = shell(f"cat {scenario} | {sys.executable} -m tco validate /dev/stdin", scenario.parent)
    assert piped.returncode == 0 and piped.stdout.startswith("/dev/stdin: ok"), piped.stderr


def test_a_character_device_input_is_refused(scenario: Path) -> None:
    out = tco("validate", "/dev/zero", cwd=scenario.parent)
    assert one_error_line(out) == ("error: /dev/zero: is a character device, not a regular file; give "
                                   "a scenario file (or pipe it to /dev/stdin)")


@pytest.mark.parametrize("args", ["run {s} --paths 50 --json", "run {s} --paths 50", "validate {s}",
                                  "stress {s} --event exit --on small-api --month 3 --json",
                                  "catalog gpus", "schema"])
def test_a_full_disk_on_standard_output_is_one_line_and_exit_1(scenario: Path, args: str) -> None:
    """`run --json > /dev/full` ended in a traceback."""
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    out = shell(f"{sys.executable} -m tco {args.format(s=scenario)} > /dev/full", scenario.parent)
    assert out.returncode == 1, out.stderr
    assert out.stderr.splitlines() == ["error: standard output: cannot write (no space left on device); "
                                       "the result was not printed"], out.stderr


@pytest.mark.parametrize("args", ["run {s} --paths 50", "run {s} --paths 50 --json", "validate {s}"])
def test_a_closed_standard_output_is_one_line_and_exit_1(scenario: Path, args: str) -> None:
    """With standard output closed, `run` exited 0 and its result was lost."""
    out = shell(f"{sys.executable} -m tco {args.format(s=scenario)} >&-", scenario.parent)
    assert out.returncode == 1, out.stderr
    assert out.stderr.splitlines() == ["error: standard output: is closed, so no result could be "
                                       "printed; give the command somewhere to write (a terminal, a "
                                       "file or a pipe)"], out.stderr


def test_a_reader_that_leaves_early_is_not_an_error(scenario: Path) -> None:
    """`| head -1` closes the pipe: the command stops quietly with 0, as Unix tools do."""
    out = shell(f"{sys.executable} -m tco run {scenario} --paths 50 | head -1; exit ${{PIPESTATUS[0]}}",
                scenario.parent)
    assert out.returncode == 0 and out.stderr == "" and out.stdout.count("\n") == 1


def test_one_seed_range_on_the_command_line(scenario: Path) -> None:
    """CLI seeds went to 2^63-1 while links stopped at 2^32-1: one range now, 0 to 2^32-1."""
    out = tco("run", str(scenario), *FAST, "--seed", str(2**32), "--json", cwd=scenario.parent)
    assert one_error_line(out) == "error: --seed: must be a whole number between 0 and 4,294,967,295"
    out = tco("run", str(scenario), *FAST, "--seed", str(2**32 - 1), "--json", cwd=scenario.parent)
    assert out.returncode == 0, out.stderr
