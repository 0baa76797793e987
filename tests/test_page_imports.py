"""The page's first run loads only what its first tab needs.

The Overview's first chart needs the kernel, the summary and two figures. The optimiser, scipy's
solvers and statistics, the event ledger, the workbook and slide writers and the image exporter
come with the tabs and buttons that use them: imported with the page, they were most of a cold
load. Each check runs in a fresh interpreter, so modules other tests imported do not count.
"""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT

DEFERRED = ("scipy.stats", "scipy.optimize", "scipy.sparse", "openpyxl", "pptx", "kaleido",
            "tco.optimise.decide", "tco.optimise.information", "tco.optimise.voi",
            "tco.optimise.portfolio", "tco.portfolio", "tco.backtest", "tco.hazards", "tco.ledger",
            "tco.deck", "tco.excel", "tco.export", "tco.ui.decide_tab", "tco.ui.history_tab",
            "tco.ui.portfolio_page")
"""Modules the Overview's first run must not import (``tco.portfolio`` covers its submodules)."""

PROBE = """
import gc, json, sys
from streamlit.testing.v1 import AppTest
at = AppTest.from_file(sys.argv[1], default_timeout=300)
at.query_params.update(scenario="open-model-goes-closed", paths="2000", seed="7")
at.run()
assert not at.exception, [e.value for e in at.exception]
first = sorted(sys.modules)
frozen, tracked = gc.get_freeze_count(), len(gc.get_objects())
at.session_state["view"] = sys.argv[2]
at.run()
assert not at.exception, [e.value for e in at.exception]
print(json.dumps({"first": first, "then": sorted(sys.modules), "frozen": frozen, "tracked": tracked}))
"""


def probe(tab: str) -> dict:
    """Modules in ``sys.modules`` after the page's first run (``first``) and after then opening
    ``tab`` (``then``); objects frozen out of the garbage collector and still tracked by it after
    the first run."""
    out = subprocess.run([sys.executable, "-c", PROBE, str(ROOT / "app.py"), tab], cwd=ROOT,
                         capture_output=True, text=True, timeout=600, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def deferred(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == d or m.startswith(d + ".") for d in DEFERRED))


def test_the_first_tab_does_not_import_what_other_tabs_need() -> None:
    """The first run imports none of ``DEFERRED``; opening the Decide tab then imports its own
    module and the optimiser (so the probe sees imports made during a run)."""
    found = probe("Decide")
    assert deferred(set(found["first"])) == []
    assert {"tco.ui.decide_tab", "tco.optimise.decide", "scipy.optimize"} <= set(found["then"])
    # Streamlit collects garbage after every run: what the process keeps for good (libraries, the
    # kernel) is frozen out of those collections, more objects than the first run left to walk.
    assert found["frozen"] > found["tracked"]
