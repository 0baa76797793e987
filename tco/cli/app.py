"""``app``: serve the page from a process that has already loaded the kernel and computed the
default scenario (``tco.ui.server``), so the first visitor waits no longer than any other."""

from __future__ import annotations

import argparse

from tco.ui.server import serve


def app(args: argparse.Namespace) -> int:
    options = list(args.streamlit_args)
    return serve(options[1:] if options[:1] == ["--"] else options)
