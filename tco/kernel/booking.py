"""Booking a cost on its line: the one place the kernel writes the per-block line sums."""

from __future__ import annotations

from numba import njit


@njit(cache=True, nogil=True, inline="always", error_model="numpy", _nrt=False)
def add(out, b, s, line, t, usd):  # pragma: no cover - compiled
    """Book ``usd`` on cost line ``line`` of strategy s in month t and return it.

    ``b`` is the block of paths whose sums it joins; the no-event reference pass books nothing
    (``b`` < 0) and only uses the returned amount.
    """
    if b >= 0:
        out.line_sum[b, s, line, t] += usd
    return usd
