"""The page's speed work keeps its numbers: the warmed server, runs keyed by text but computed from
the scenario at hand, controls made once per scenario, charts measured without copying them."""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
import pytest

import tco
from tco.load import dumps, loads
from tco.simulate import DEFAULT_PATHS, DEFAULT_SEED
from tco.ui import cache, controls, overview, server
from tco.ui.edits import apply_edits
from tco.ui.lru import size_of
from tests.conftest import ROOT, SCENARIOS


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_a_run_from_the_scenario_at_hand_equals_the_run_from_its_text(path) -> None:
    """``compute`` runs the edited scenario object that wrote its key; the oracle is the old way,
    reading the key's YAML and source notes back: the same scenario and the same summary, bit for
    bit, on every shipped story with an edit."""
    base = tco.load_scenario(path)
    sc = apply_edits(base, {"workload.growth_per_month": 0.047})
    key = cache.inputs_key(sc, 400, 11)
    view = cache.compute(*key)
    assert view.scenario is sc
    back = loads(key[0], json.loads(key[3]))
    assert back.scenario == sc.scenario and dict(back.comments) == dict(sc.comments)
    again = tco.simulate(back, paths=400, seed=11)
    assert view.summary.equals(again.summary())
    assert np.array_equal(view.result.npv_usd, again.npv_usd)


def test_a_key_nobody_wrote_on_this_server_is_read_from_its_text() -> None:
    """A key from elsewhere (another process wrote it) still runs: from its YAML, as before."""
    sc = tco.load_scenario(SCENARIOS[0])
    text, comments = dumps(sc), json.dumps(dict(sc.comments), sort_keys=True)
    cache.READ.clear()
    view = cache.compute(text + "\n", 300, 5, comments)  # the same file, one byte longer: unknown
    assert view.scenario is not sc and view.scenario.scenario == sc.scenario
    assert view.summary.equals(tco.simulate(sc, paths=300, seed=5).summary())


def test_controls_are_made_once_per_scenario_and_equal_fresh_ones() -> None:
    sc = tco.load_scenario(SCENARIOS[0])
    assert controls.controls(sc) is controls.controls(sc)
    assert controls.controls(sc) == controls._controls(sc)  # the oracle: made again, uncached
    assert controls.by_path(sc) == {c.path: c for _, items in controls._controls(sc) for c in items}
    other = apply_edits(sc, {"workload.growth_per_month": 0.05})
    assert controls.controls(other) is not controls.controls(sc)


def test_a_chart_is_measured_by_its_arrays_without_copying_it() -> None:
    """Two 1,000-point float arrays hold 16,000 bytes: a chart holding them measures at least
    that, and within a few kB of what its deep-copied JSON form measures (the old way)."""
    fig = go.Figure(go.Scatter(x=np.arange(1000.0), y=np.arange(1000.0)), layout={"title": {"text": "t"}})
    measured = size_of(fig)
    assert 16_000 <= measured <= size_of(fig.to_plotly_json()) + 1_000
    assert size_of(fig.to_plotly_json()) - measured < 10_000  # the template's expanded defaults


def test_the_warm_up_fills_the_caches_the_first_visit_reads() -> None:
    """After ``warm``, the default scenario's run and both Overview charts are kept under the keys
    the page asks for, so a first visit computes nothing."""
    steps = server.warm()
    assert list(steps) == ["imports", "kernel", "scenario", "simulation", "charts"]
    files = cache.shipped(server.SCENARIO_DIR)
    base = cache.scenario(files["open-model-goes-closed"][2])
    key = cache.inputs_key(base, DEFAULT_PATHS, DEFAULT_SEED)
    assert cache.compute.kept(*key)
    height = overview.chart_height(len(cache.compute(*key).summary))
    assert all(overview.compact_figure.kept(*key, name, height) for name in overview.CHART_KEYS)


def test_the_app_command_passes_streamlit_options_through() -> None:
    from tco.cli.parser import parser

    args = parser("app").parse_args(["app", "--", "--server.port", "8600"])
    assert args.command == "app" and args.streamlit_args == ["--", "--server.port", "8600"]
    assert server.APP == ROOT / "app.py" and server.APP.exists()


def test_the_app_command_warms_then_serves_the_page() -> None:
    """``python -m tco app`` (the README's first command) says what it warmed, then answers
    Streamlit's health check and serves the page; stopping it ends it cleanly."""
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "tco", "app", "--", "--server.port", str(port), "--server.address",
         "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url, deadline, health = f"http://127.0.0.1:{port}", time.monotonic() + 240, b""
        while time.monotonic() < deadline and process.poll() is None:
            try:
                health = urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read()
                break
            except OSError:
                time.sleep(0.2)
        assert health == b"ok", process.poll()
        assert urllib.request.urlopen(url, timeout=10).status == 200
    finally:
        process.terminate()
        out, _ = process.communicate(timeout=30)
    assert "tco app: warmed in" in out and "Traceback" not in out, out


def test_the_page_server_skips_streamlits_collection_after_each_run() -> None:
    """Streamlit's full garbage collection after every script run held the GIL while the step's
    last messages waited to be sent (40 ms a slider step under py-spy); the page's config turns it
    off (Python's own generational collector still runs)."""
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["runner"]["postScriptGC"] is False
