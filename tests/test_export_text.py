"""Exports never fail on text that passed validation: a property test over generated names.

A lone surrogate in a scenario's name passed validation and then made every export raise (the
table, the CSVs, the workbook, the deck, the YAML round trip). Here hypothesis draws names and
descriptions from the whole of Unicode, keeps those the schema accepts, and builds every export
that carries text: the CSV files and provenance, the workbook, the deck, the YAML written back
(which must load to an equal scenario), the image footers and the command line's printed table.
"""

from __future__ import annotations

import io
import json
import zipfile
from contextlib import redirect_stdout

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tco.images as images
from tco.cli.common import say, shown
from tco.deck import build_deck
from tco.excel import workbook_bytes
from tco.export import bundle_zip, csv_files, scenario_yaml
from tco.fields import MAX_NAME_CHARS, refused_character
from tco.load import loads
from tco.simulate import simulate
from tests.conftest import HOSTED, build, raw


def _chart() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (80, 40), "white").save(buffer, format="PNG")
    return buffer.getvalue()


CHART = _chart()


def _valid_name(text: str) -> bool:
    return refused_character(text) is None and bool(text.strip()) and len(text) <= MAX_NAME_CHARS


NAMES = st.text(st.characters(codec="utf-8"), min_size=1, max_size=40).filter(_valid_name)
PROSE = st.text(st.characters(codec="utf-8"), max_size=200).filter(
    lambda t: refused_character(t, "\n\t") is None)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=NAMES, description=PROSE, stress=NAMES, part=NAMES, cost=NAMES)
def test_every_export_takes_any_valid_text(name: str, description: str, stress: str, part: str,
                                           cost: str) -> None:
    data = raw()
    data["options"]["hosted"] = {**HOSTED, "missing_components": [{"name": part, "usd_per_month": 10}]}
    data["strategies"]["self"] = {"mix": {"hosted": 1.0}, "fallback": "api",
                                  "other_costs": [{"name": cost[:60], "usd_per_month": 5}]}
    data["stresses"] = [{"name": stress, "kind": "exit", "on": "api", "month": 2}]
    sc = build(data, name=name, description=description)
    result = simulate(sc, paths=20, seed=1)
    files = csv_files(result)
    assert json.loads(files["provenance.json"])["scenario"] == name
    workbook = workbook_bytes(result)
    with zipfile.ZipFile(io.BytesIO(bundle_zip(result, workbook))) as archive:
        assert archive.testzip() is None
    deck = build_deck(sc, result)
    assert deck[:2] == b"PK"
    again = loads(scenario_yaml(sc))
    assert again == sc and again.name == name and again.description == description
    footer = f"{name} | {stress}"
    assert images._svg_footer(b'<svg width="10" height="5"></svg>', footer, 10, 8).startswith(b"<svg")
    assert images._png_footer(CHART, footer, 40, 30)[:4] == b"\x89PNG"
    printed = io.StringIO()
    with redirect_stdout(printed):
        say(f"{shown(name)}: {shown(stress)}")
    printed.getvalue().encode("utf-8")  # a terminal in UTF-8 can take it
