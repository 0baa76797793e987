"""A progress bar on stderr for long runs, driven by ``simulate``'s ``progress`` callback."""

from __future__ import annotations

import sys
import time
from typing import TextIO

MIN_PATHS = 20_000
"""Shorter runs finish in a second or two: a bar would only flicker."""
WIDTH_CHARS = 30
MIN_INTERVAL_S = 0.1
"""Redraw at most ten times a second, however small the chunks."""


class Bar:
    """``progress(paths_done, paths)`` drawing 'simulating [####....]  31% 6,144 / 20,000 paths'.

    Each drawing starts and ends at the line's start, so anything printed next (an error) begins
    in column 0; the bar erases itself when the run completes or ``close`` is called.
    """

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.drawn_chars = 0
        self.last_drawn_s = -MIN_INTERVAL_S

    def __call__(self, done: int, total: int) -> None:
        now_s = time.monotonic()
        if done >= total:
            self.close()
            return
        if now_s - self.last_drawn_s < MIN_INTERVAL_S:
            return
        self.last_drawn_s = now_s
        line = line_text(done, total)
        self.stream.write(f"\r{line}\r")
        self.stream.flush()
        self.drawn_chars = len(line)

    def close(self) -> None:
        if self.drawn_chars:
            self.stream.write("\r" + " " * self.drawn_chars + "\r")
            self.stream.flush()
            self.drawn_chars = 0


def bar(paths: int, stream: TextIO | None = None) -> Bar | None:
    """A bar on ``stream`` (stderr) for a run of ``paths``, or None, so nothing is drawn, below
    ``MIN_PATHS`` paths and when the stream is not a terminal: pipes, files and tests."""
    stream = sys.stderr if stream is None else stream
    if paths < MIN_PATHS or not _is_terminal(stream):
        return None
    return Bar(stream)


def line_text(done: int, total: int) -> str:
    """'simulating [#########.....................]  31% 6,144 / 20,000 paths'."""
    share = done / total if total else 1.0
    filled = int(round(share * WIDTH_CHARS))
    return (f"simulating [{'#' * filled}{'.' * (WIDTH_CHARS - filled)}] {share:4.0%} "
            f"{done:,} / {total:,} paths")


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False
