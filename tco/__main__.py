"""``python -m tco``: the command line (``tco.cli``)."""

from __future__ import annotations

import sys

from tco.cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
