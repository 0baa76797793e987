"""Risk kinds as a registry: each kind declares itself once, and a new kind is one module and one line.

The end-to-end test adds the README's worked example (``vendor_acquired``) to a copy of the
package, exactly as a contributor would, and runs it through validation, the Monte Carlo, the
stress test and the labels.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tco import risks
from tco.risks.base import Effect
from tests.conftest import ROOT, build

TOY_MODULE = '''\
"""vendor_acquired: the vendor is bought; its models move to the acquirer's at the acquirer's price."""

from __future__ import annotations

from tco.fields import Positive
from tco.risks.base import Effect, RiskField, RiskKind

KIND = RiskKind(
    name="vendor_acquired",
    label="Vendor acquired",
    phrase="acquisitions",
    help="The vendor is acquired: its models move to the acquirer's, one migration, at the "
         "acquirer's price.",
    effects=Effect.PRICE | Effect.MIGRATE,
    applies_to=("api",),
    fields={"acquirer_price_multiplier": RiskField(
        Positive, "Acquirer price multiplier", "multiplier",
        "The acquirer's price over the old one.", required=True, per_event=True)},
    impact_field="acquirer_price_multiplier",
)
'''

PROBE = r'''
import json, sys
import tco
from tco.glossary import describe
from tco.stress import stress
sc = tco.loads(sys.argv[1])
twin = tco.loads(sys.argv[2])
result = tco.simulate(sc, paths=4000, seed=3).summary()
print(json.dumps({
    "deterministic": tco.evaluate(sc).npv_usd.tolist(),
    "deterministic_without_risk": tco.evaluate(twin).npv_usd.tolist(),
    "events": result["events_vendor_acquired"].tolist(),
    "stress": stress(sc, "vendor_acquired", "api", 3)["stressed_npv_usd"].tolist(),
    "twin_stress": stress(twin, "deprecation", "api", 3)["stressed_npv_usd"].tolist(),
    "label": describe("risks.0.acquirer_price_multiplier", sc).label,
}))
'''

SCENARIO = textwrap.dedent("""
    name: toy
    horizon_months: 12
    workload: {requests_per_month: 1000000, input_tokens_per_request: 1000,
               output_tokens_per_request: 200}
    options:
      api: {kind: api, input_usd_per_mtok: 3, output_usd_per_mtok: 15}
      backup: {kind: api, input_usd_per_mtok: 1, output_usd_per_mtok: 5}
    strategies:
      api-only: {mix: {api: 1.0}, fallback: backup}
    switching: {engineer_weeks: 6, usd_per_engineer_week: 5000, dual_running_months: 1}
    """)


def test_registry_declares_the_five_shipped_kinds() -> None:
    assert list(risks.REGISTRY) == ["price_change", "deprecation", "exit", "licence_change",
                                    "fine_tune_withdrawn"]
    assert risks.kind("exit").effects == Effect.EXIT and risks.kind("exit").needs_fallback
    assert risks.label("licence_change") == "Licence change"
    assert risks.phrase("deprecation") == "retirements"


def test_a_kind_applies_only_to_its_option_kinds() -> None:
    """licence_change declares applies_to=('self_hosted',): the rule text comes from it."""
    from tco.errors import ScenarioError

    with pytest.raises(ScenarioError, match="licence_change applies to self-hosted options"):
        build(risks=[{"kind": "licence_change", "on": ["api"], "annual_probability": 0.1,
                      "escalation_per_month": 0.1}])


@pytest.fixture(scope="module")
def toy_package(tmp_path_factory) -> Path:
    """A copy of the package with the worked example added: one module and one registry line."""
    root = tmp_path_factory.mktemp("toy")
    # copy2 keeps modification times, so numba's on-disk cache of the kernel stays valid.
    shutil.copytree(ROOT / "tco", root / "tco", copy_function=shutil.copy2)
    (root / "tco" / "risks" / "vendor_acquired.py").write_text(TOY_MODULE)
    registry = root / "tco" / "risks" / "__init__.py"
    text = registry.read_text()
    line = ("from tco.risks import deprecation, fine_tune_withdrawn, licence_change, price_change, "
            "vendor_exit")
    text = text.replace(line, line + "\nfrom tco.risks import vendor_acquired")
    text = text.replace("    licence_change.KIND,\n", "    licence_change.KIND,\n    vendor_acquired.KIND,\n")
    assert text.count("vendor_acquired") == 2, "the registry's layout changed: update the README too"
    registry.write_text(text)
    return root


def run_probe(root: Path, scenario: str, twin: str) -> dict:
    out = subprocess.run([sys.executable, "-c", PROBE, scenario, twin], cwd=root,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_new_kind_is_one_module_and_one_registry_line(toy_package: Path) -> None:
    """The toy kind composes PRICE and MIGRATE, as deprecation does: forced in month 3 with
    multiplier 1.25 it must cost exactly what a deprecation with successor multiplier 1.25 costs.
    With no event the deterministic NPV is the scenario's without the risk. Events fire at
    1 - (1 - 0.3)^(1/12) a month: 12 q = 0.3497 expected events per path over 12 months."""
    toy = SCENARIO + ("risks:\n  - {kind: vendor_acquired, on: [api], annual_probability: 0.3,\n"
                      "     acquirer_price_multiplier: 1.25}\n")
    twin = SCENARIO + ("risks:\n  - {kind: deprecation, on: [api], annual_probability: 0.3,\n"
                       "     successor_price_multiplier: 1.25}\n")
    got = run_probe(toy_package, toy, twin)
    assert got["deterministic"] == got["deterministic_without_risk"]
    assert got["stress"] == pytest.approx(got["twin_stress"], rel=1e-12)
    assert got["stress"][0] > got["deterministic"][0]
    q = 1 - 0.7 ** (1 / 12)
    mean, sd = 12 * q, (12 * q * (1 - q)) ** 0.5
    assert abs(got["events"][0] - mean) < 4 * sd / 4000 ** 0.5  # 4 standard errors
    assert got["label"] == "Vendor acquired on api: acquirer price multiplier"


def test_the_new_kinds_rules_come_from_its_declaration(toy_package: Path) -> None:
    """A required field left out, and a field of another kind, are one-line errors naming it."""
    missing = SCENARIO + "risks:\n  - {kind: vendor_acquired, on: [api], annual_probability: 0.3}\n"
    path = toy_package / "missing.yaml"
    path.write_text(missing)
    out = subprocess.run([sys.executable, "-m", "tco", "validate", str(path)], cwd=toy_package,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 2
    assert out.stderr.strip() == ("error: risks.0.acquirer_price_multiplier: is required for "
                                  "vendor_acquired risks")
    path.write_text(SCENARIO + "risks:\n  - {kind: vendor_acquired, on: [api], annual_probability: 0.3,\n"
                    "     acquirer_price_multiplier: 1.2, escalation_cap: 0.5}\n")
    out = subprocess.run([sys.executable, "-m", "tco", "validate", str(path)], cwd=toy_package,
                         capture_output=True, text=True, timeout=300)
    assert out.stderr.strip() == "error: risks.0.escalation_cap: does not apply to vendor_acquired risks"
