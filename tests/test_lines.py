"""Cost lines are declared once: a new line is one declaration, and nothing else breaks.

The old page zipped a fixed tuple of 11 colours with the lines, so a twelfth line crashed it at
import. Here a twelfth line is added to a copy of the package and every consumer is exercised.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import tco
from tco import lines
from tests.conftest import ROOT

STORY = "open-model-goes-closed.yaml"
PROBE = r'''
import json
import tco
from tco import export, lines
from tco.deck import build_deck
from tco.figures import data, to_figure
sc = tco.load_scenario("scenarios/open-model-goes-closed.yaml")
ev = tco.evaluate(sc)
result = tco.simulate(sc, paths=500, seed=1)
figure = to_figure(data.cost_lines(result.mean_lines(), "hybrid"))
deck = build_deck(sc, result)
files = export.csv_files(result)
print(json.dumps({
    "lines": list(lines.NAMES),
    "by_line_columns": list(ev.by_line().columns),
    "carbon_total": float(ev.by_line()["carbon"].sum()),
    "npv": ev.npv_usd.tolist(),
    "deck_bytes": len(deck), "files": sorted(files),
}))
'''


def test_every_line_has_its_own_colour_and_label() -> None:
    assert len({line.colour for line in lines.LINES}) == len(lines.LINES)
    assert all(line.label and line.help and "_" not in line.label for line in lines.LINES)
    assert lines.index("residual_value") == len(lines.LINES) - 1


def test_named_other_costs_are_lines_of_their_own() -> None:
    """Each ``other_costs`` name becomes a line after the declared ones, with its own label and a
    stable colour from a palette no declared line uses. Its label starts with a capital as the
    declared lines' labels do, in the legends where they stand side by side; a name whose first
    word is a name ('LLM observability', 'gpt-oss tuning') stays as written."""
    assert lines.BY_NAME["eval suite"].name == "eval suite"
    assert lines.BY_NAME["eval suite"].label == "Eval suite"
    assert lines.BY_NAME["LLM observability"].label == "LLM observability"
    assert lines.BY_NAME["gpt-oss tuning"].label == "gpt-oss tuning"
    assert lines.BY_NAME["eval suite"] == lines.BY_NAME["eval suite"]
    assert not {line.colour for line in lines.LINES} & set(lines.OTHER_PALETTE)


def test_a_twelfth_line_is_one_declaration(tmp_path: Path) -> None:
    """Charts, the deck, the CSVs and the deterministic breakdown take a new line without any
    other edit; until the kernel books a cost on it, it holds zero and no other number moves."""
    shutil.copytree(ROOT / "tco", tmp_path / "tco", copy_function=shutil.copy2)
    shutil.copytree(ROOT / "scenarios", tmp_path / "scenarios")
    declared = tmp_path / "tco" / "lines.py"
    text = declared.read_text()
    anchor = '    CostLine("switching", "Switching",'
    assert anchor in text, "lines.py's layout changed: update this test"
    declared.write_text(text.replace(anchor, '    CostLine("carbon", "Carbon offsets", "#2E8B57",\n'
                                             '             "Offsets bought for the fleet\'s power."),\n'
                                     + anchor))
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=tmp_path, capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout.strip().splitlines()[-1])
    at = lines.index("switching")
    assert got["lines"] == [*lines.NAMES[:at], "carbon", *lines.NAMES[at:]]
    assert "carbon" in got["by_line_columns"] and got["carbon_total"] == 0.0
    assert got["npv"] == tco.evaluate(tco.load_scenario(ROOT / "scenarios" / STORY)).npv_usd.tolist()
    assert got["deck_bytes"] > 0 and "summary.csv" in got["files"]
