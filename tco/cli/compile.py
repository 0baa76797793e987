"""``compile``: compile the cost kernel and the portfolio's pooling functions ahead of the
first page or run (the README's setup command runs it), or load them from numba's on-disk cache
where they already are; says which, and how long."""

from __future__ import annotations

import argparse

import tco._runtime as runtime
import tco.portfolio.engine as portfolio
from tco.engine import warm_up


def compile_kernel(args: argparse.Namespace) -> int:
    cached = runtime.kernel_compiled()
    seconds = warm_up()
    how = "loaded from the on-disk cache" if cached else "compiled and cached for later processes"
    print(f"cost kernel ready: {how} in {seconds:.1f} s")
    cached = portfolio.compiled()
    seconds = portfolio.warm_up()
    how = "loaded from the on-disk cache" if cached else "compiled and cached for later processes"
    print(f"portfolio pooling ready: {how} in {seconds:.1f} s")
    return 0
