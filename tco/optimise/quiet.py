"""Keep the solver's own console output from the user: HiGHS writes some lines straight to the
process's stdout and stderr from C++, where its ``output_flag`` (scipy's ``disp``, off by default)
does not reach them (ERGO-Code/HiGHS issues 2734 and 2749). A refusal must be one line, so while
HiGHS solves, file descriptors 1 and 2 point at the null device.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_LOCK = threading.RLock()
"""Descriptors are the process's: two solves in two threads (two page sessions) take turns, or the
second would save the first's null device as "stderr" and restore it for good."""

SOLVER_OPTIONS = {"disp": False}
"""HiGHS's own log off (scipy's default, stated so a reader need not look it up)."""


@contextmanager
def silenced() -> Iterator[None]:
    """Send what is written to file descriptors 1 and 2 inside the block to the null device.

    Python's own buffers are flushed first, so nothing written before the block is lost or
    reordered; the descriptors are restored however the block ends.
    """
    streams = [stream for stream in (sys.stdout, sys.stderr) if stream is not None]
    with _LOCK:
        for stream in streams:
            stream.flush()
        saved = [os.dup(fd) for fd in (1, 2)]
        try:
            null = os.open(os.devnull, os.O_WRONLY)
            try:
                for fd in (1, 2):
                    os.dup2(null, fd)
            finally:
                os.close(null)
            yield
        finally:
            for stream in streams:
                stream.flush()
            for fd, copy in zip((1, 2), saved, strict=True):
                os.dup2(copy, fd)
                os.close(copy)
