"""Generated hostile scenario files: hundreds of variants of a shipped scenario, each either refused
with one line and exit 2 in well under a second of CPU, or run to exit 0 with finite, bounded numbers.

The categories follow the third hostile-input audit: text no export can hold (surrogates, format
characters, separators, noncharacters, blank or huge names), numbers that pass a loose rule and
break the outputs (utilisation 1e-300, a discount rate of 500%, a $1e12 GPU-hour, 1e9 replicas, a
peak of 1e30, a normal with sd 1e300, a result above 1e15), numbers written as text, semantics
accepted silently (duplicate stress names, an option named twice in a risk, kinds on options they
cannot apply to) and mappings that cost seconds to parse. Each variant is written both as YAML and
as one-line JSON (YAML 1.2 reads both; JSON escapes reach characters raw YAML cannot carry).

Most cases run the real command line in this process (``tco.cli.main``: argument parsing, file
reading, validation, simulation and printing, no mocks), so 300 files cost seconds rather than
300 interpreter starts; a sample also runs as ``python -m tco`` in a subprocess to check the exit
code and the absence of a traceback end to end.
"""

from __future__ import annotations

import copy
import json
import math
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tco.cli import main
from tco.errors import ScenarioError
from tco.fields import MAX_RESULT
from tco.load import get_path, set_path
from tco.yamlio import parse_yaml
from tests.conftest import ROOT

SOURCE = ROOT / "scenarios" / "open-model-goes-closed.yaml"
BASE = parse_yaml(SOURCE.read_bytes())
REFUSAL_CPU_SECONDS = 1.0
"""The issue's bound on the CPU time of any refusal (parsing, validation and the result check)."""
PATHS = "200"


@dataclass(frozen=True)
class Case:
    name: str
    data: bytes
    must_run: bool
    field: str | None = None
    """The start of the error line's field (None: any), for cases that must be refused."""
    command: str = "validate"


def _variant(changes: dict[str, Any] | Callable[[dict], None]) -> dict:
    data = copy.deepcopy(BASE)
    if callable(changes):
        changes(data)
    else:
        for path, value in changes.items():
            set_path(data, path, value)
    return data


def _both(name: str, data: dict, must_run: bool, field: str | None = None, command: str = "validate",
          yaml_too: bool = True) -> list[Case]:
    cases = [Case(f"{name} [json]", json.dumps(data, ensure_ascii=True).encode(), must_run,
                  field, command)]
    if yaml_too:
        cases.append(Case(f"{name} [yaml]", yaml.safe_dump(data, allow_unicode=True, sort_keys=False,
                                                           width=10_000).encode("utf-8"),
                          must_run, field, command))
    return cases


# Text: every refused category in every kind of name, key and label, and descriptions.
REFUSED_CHARACTERS = {
    "surrogate D800": "\ud800", "surrogate DFFF": "\udfff", "zero-width space": "\u200b",
    "zero-width non-joiner": "\u200c", "zero-width joiner": "\u200d", "left-to-right mark": "\u200e",
    "right-to-left mark": "\u200f", "LRE": "\u202a", "RLE": "\u202b", "PDF": "\u202c", "LRO": "\u202d",
    "RLO": "\u202e", "LRI": "\u2066", "RLI": "\u2067", "FSI": "\u2068", "PDI": "\u2069",
    "byte order mark": "\ufeff", "soft hyphen": "\u00ad", "Arabic letter mark": "\u061c",
    "word joiner": "\u2060", "line separator": "\u2028", "paragraph separator": "\u2029",
    "bell": "\u0007", "escape": "\u001b", "delete": "\u007f", "next line": "\u0085",
    "noncharacter FFFE": "\ufffe", "noncharacter FFFF": "\uffff", "noncharacter FDD0": "\ufdd0",
}
TEXT_FIELDS = {
    "name": "name",
    "description": "description",
    "stress name": "stresses.0.name",
    "missing component": "options.llama-70b.missing_components.0.name",
    "other cost": "options.frontier-api.other_costs.0.name",
}


def _text_cases() -> list[Case]:
    cases = []
    for label, ch in REFUSED_CHARACTERS.items():
        for where, path in TEXT_FIELDS.items():
            def change(data: dict, path: str = path, ch: str = ch) -> None:
                data["options"]["frontier-api"]["other_costs"] = [{"name": "gateway", "usd_per_month": 10}]
                set_path(data, path, f"plan{ch}name")
            data = _variant(change)
            surrogate = "surrogate" in label
            # A surrogate is refused by the reader (line and column); the rest by the field's rule.
            field = None if surrogate or label in ("next line", "noncharacter FFFE", "noncharacter FFFF",
                                                   "bell", "escape", "delete") else path
            # YAML folds a raw NEL into a line break in some styles: such a file is not hostile.
            keeps = not surrogate and ch in _yaml_text(data)
            cases += _both(f"{label} in {where}", data, False, field, yaml_too=keeps)
    return cases


def _yaml_text(data: dict) -> str:
    """The names and descriptions of ``data`` after a trip through YAML, as one string."""
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10_000)
    try:
        back = parse_yaml(text.encode("utf-8"))
    except ScenarioError:  # refused by the reader (U+FFFE): hostile as written
        back = data
    return json.dumps(back, ensure_ascii=False)


def _name_cases() -> list[Case]:
    long_name = "n" * 201
    return [
        *_both("empty name", _variant({"name": ""}), False, "name"),
        *_both("spaces-only name", _variant({"name": "    "}), False, "name"),
        *_both("ideographic-space name", _variant({"name": "\u3000\u3000"}), False, "name"),
        *_both("zero-width-only name", _variant({"name": "\u200b\u200b"}), False, "name"),
        *_both("201-character name", _variant({"name": long_name}), False, "name"),
        *_both("500,000-character name", _variant({"name": "x" * 500_000}), False, "name", yaml_too=False),
        *_both("5,001-character description", _variant({"description": "d" * 5001}), False, "description"),
        *_both("blank stress name", _variant({"stresses.0.name": " "}), False, "stresses.0.name"),
        *_both("201-character stress name", _variant({"stresses.0.name": long_name}), False,
               "stresses.0.name"),
    ]


HOSTED = "options.llama-70b"
API = "options.frontier-api"
REFUSED_NUMBERS: list[tuple[str, Any]] = [
    (f"{HOSTED}.target_utilization", 1e-300), (f"{HOSTED}.target_utilization", 0.0),
    (f"{HOSTED}.target_utilization", 0.04), (f"{HOSTED}.target_utilization", 1.5),
    (f"{HOSTED}.target_utilization", {"uniform": [0.01, 0.6]}),
    ("discount_rate_per_year", -0.99), ("discount_rate_per_year", -0.06), ("discount_rate_per_year", 0.51),
    ("discount_rate_per_year", 5), ("discount_rate_per_year", 100), ("discount_rate_per_year", -1),
    ("discount_rate_per_year", {"triangular": [0.0, 0.1, 0.9]}),
    (f"{HOSTED}.usd_per_gpu_hour", 1e12), (f"{HOSTED}.usd_per_gpu_hour", 1000.01),
    (f"{HOSTED}.usd_per_gpu_hour", 0), (f"{HOSTED}.usd_per_gpu_hour", -1),
    (f"{HOSTED}.usd_per_gpu_hour", {"normal": {"mean": 2.5, "sd": 1e300}}),
    (f"{HOSTED}.usd_per_gpu_hour", {"uniform": [1, 2000]}),
    (f"{HOSTED}.usd_per_gpu_hour", {"lognormal": {"median": 2.5, "p90": 900}}),
    (f"{HOSTED}.min_replicas", 1e9), (f"{HOSTED}.min_replicas", 100_001), (f"{HOSTED}.min_replicas", -1),
    (f"{HOSTED}.ops_fte", 1e9), (f"{HOSTED}.ops_fte", 100_001), (f"{HOSTED}.ops_fte", -0.5),
    (f"{HOSTED}.usd_per_fte_year", 1e8),
    ("switching.dual_running_months", 1e9), ("switching.dual_running_months", 241),
    ("workload.peak_to_average", 1e30), ("workload.peak_to_average", 101),
    ("workload.peak_to_average", 0.5),
    (f"{API}.price_volatility_per_year", 100), (f"{API}.price_volatility_per_year", 2.01),
    (f"{HOSTED}.price_volatility_per_year", 3),
    ("workload.requests_per_month", {"normal": {"mean": 1e6, "sd": 1e300}}),
    ("workload.requests_per_month", 1e13), ("workload.input_tokens_per_request", 1e9),
    ("workload.output_tokens_per_request", 0),
    (f"{API}.input_usd_per_mtok", 1e5), (f"{API}.output_usd_per_mtok", 20_000),
    ("workload.growth_per_month", 5), ("workload.monthly_active_users", 1e11),
    (f"{HOSTED}.reserved", {"gpus": 200_000, "usd_per_gpu_hour": 2, "term_months": 12}),
    (f"{HOSTED}.reserved", {"gpus": 8, "usd_per_gpu_hour": 5000, "term_months": 12}),
    ("horizon_months", 241), ("stresses.0.month", 10_000),
]


def _number_cases() -> list[Case]:
    cases = []
    for path, value in REFUSED_NUMBERS:
        cases += _both(f"{path} = {json.dumps(value)}", _variant({path: value}), False, path)
    # Each inside its range, together above 1e15: the result check refuses the run.
    huge = {"workload.requests_per_month": 1e11, "workload.input_tokens_per_request": 100_000,
            f"{API}.input_usd_per_mtok": 9000, f"{API}.output_usd_per_mtok": 15, f"{API}.catalog": None}
    cases += _both("result above 1e15", _variant(huge), False, "workload.requests_per_month",
                   command="run")
    cases += _both("result above 1e15 by growth", _variant({
        "workload.requests_per_month": 1e10, "workload.growth_per_month": 0.9, "horizon_months": 120,
        "stresses": []}), False, "workload.growth_per_month", command="run")
    return cases


def _text_number_cases() -> list[Case]:
    values = [("horizon_months", "36"), (f"{HOSTED}.min_replicas", "2"), ("correlations.0.rho", "0.5"),
              (f"{HOSTED}.usd_per_gpu_hour", "2.5"), ("workload.requests_per_month", "1e6"),
              ("stresses.0.month", "9"), ("risks.2.max_events", "1"), (f"{HOSTED}.autoscale", "true"),
              ("fiscal_year_start_month", "4"), (f"{HOSTED}.max_inter_token_ms", "50"),
              (f"{HOSTED}.gpus", "4"), (f"{HOSTED}.autoscale", 1)]
    cases = []
    for path, value in values:
        data = _variant({path: value})
        # PyYAML writes the text 1e6 unquoted (a YAML 1.1 string, a 1.2 number): JSON only then.
        dumped = parse_yaml(yaml.safe_dump(data, sort_keys=False, width=10_000).encode())
        cases += _both(f"{path} as text {value!r}", data, False, path,
                       yaml_too=get_path(dumped, path) == value)
    profile = _variant({"workload.hourly_profile": ["1"] * 24})
    cases += _both("hourly profile as text", profile, False, "workload.hourly_profile")
    return cases


NEW_STRESS, NEW_RISK = f"stresses.{len(BASE['stresses'])}", f"risks.{len(BASE['risks'])}"
"""The paths of a stress test and a risk appended to the scenario's own."""


def _semantic_cases() -> list[Case]:
    def stress(name: str) -> dict:
        return {"name": name, "kind": "exit", "on": "frontier-api", "month": 3}

    def add_risk(risk: dict) -> Callable[[dict], None]:
        return lambda data: data["risks"].append(risk)

    def add_stress(item: dict) -> Callable[[dict], None]:
        return lambda data: data["stresses"].append(item)

    specs = [
        ("duplicate stress name", add_stress(stress("API vendor exits in month 6")), NEW_STRESS + ".name"),
        ("duplicate stress name, other case", add_stress(stress(" api vendor exits in month 6 ")),
         NEW_STRESS + ".name"),
        ("option twice in a risk", add_risk({"kind": "exit", "on": ["frontier-api", "frontier-api"],
                                             "annual_probability": 0.1}), NEW_RISK + ".on"),
        ("deprecation risk on a self-hosted option", add_risk({
            "kind": "deprecation", "on": ["llama-70b"], "annual_probability": 0.1}), NEW_RISK + ".on"),
        ("deprecation stress on a self-hosted option", add_stress({
            "name": "x", "kind": "deprecation", "on": "llama-70b", "month": 3}), NEW_STRESS + ".on"),
        ("licence change on an API", add_risk({"kind": "licence_change", "on": ["frontier-api"],
                                               "annual_probability": 0.1, "escalation_per_month": 0.1}),
         NEW_RISK + ".on"),
        ("fine-tune withdrawal without fine-tuning", add_risk({
            "kind": "fine_tune_withdrawn", "on": ["frontier-api"], "annual_probability": 0.1}),
         NEW_RISK + ".on"),
    ]
    cases = []
    for name, change, field in specs:
        cases += _both(name, _variant(change), False, field)
    return cases


def _parsing_cases() -> list[Case]:
    base = SOURCE.read_text(encoding="utf-8")
    flow = ", ".join(f"k{i}: 1" for i in range(10_001))
    return [
        Case("10,001 keys in a flow mapping", (base + "zz: {" + flow + "}\n").encode(), False),
        Case("10,001 keys in a block mapping",
             (base + "zz:\n" + "".join(f"  k{i}: 1\n" for i in range(10_001))).encode(), False),
        Case("49,000 keys in a flow mapping",
             (base + "zz: {" + ", ".join(f"k{i}: 1" for i in range(49_000)) + "}\n").encode(), False),
        Case("25,001 values in a list", (base + "zz: [" + ", ".join(["1"] * 25_001) + "]\n").encode(), False),
        Case("a surrogate in a key", (base + '"k\\udc00": 1\n').encode(), False),
    ]


# Accepted: text a reader may use, and numbers at the ends of their ranges.
ACCEPTED_NAMES = ["Café plan", "東京の LLM 計画", "Ελληνικό σχέδιο", "תוכנית עברית", "خطة عربية",
                  "🚀 launch plan", "e\u0301te\u0301", "n" * 200, "=SUM(A1:A9)", "+cmd|' /C calc'!A0",
                  "<b>bold</b> & [link](https://x.example)", 'quotes "double" and \'single\'',
                  "≤ 5 % ≥ 2 ‰", "a\u00a0b (no-break space)", "Ω≈ç√∫"]
ACCEPTED_NUMBERS: list[dict[str, Any]] = [
    {f"{HOSTED}.target_utilization": 0.05}, {f"{HOSTED}.target_utilization": 1.0},
    {"discount_rate_per_year": -0.05}, {"discount_rate_per_year": 0.5}, {"discount_rate_per_year": 0.3},
    {f"{HOSTED}.usd_per_gpu_hour": 1000}, {"workload.peak_to_average": 100},
    {f"{API}.price_volatility_per_year": 2.0}, {f"{HOSTED}.price_volatility_per_year": 2.0},
    {f"{HOSTED}.min_replicas": 1000, f"{HOSTED}.ops_fte": 1000},
    {"switching.dual_running_months": 36},
    {f"{HOSTED}.usd_per_gpu_hour": {"normal": {"mean": 2.5, "sd": 1.0}}},
    {f"{HOSTED}.target_utilization": {"normal": {"mean": 0.9, "sd": 0.1}}},
    {"workload.requests_per_month": 1e9, "workload.input_tokens_per_request": 100_000},
    {"description": "Line one.\n\tLine two, indented."},
]


def _accepted_cases() -> list[Case]:
    cases = []
    for name in ACCEPTED_NAMES:
        data = _variant({"name": name, "stresses.0.name": f"{name[:180]} stress",
                         f"{HOSTED}.missing_components.0.name": f"{name[:180]} part"})
        cases += _both(f"name {name[:30]!r}", data, True, command="run")
    for changes in ACCEPTED_NUMBERS:
        cases += _both(f"accepted {json.dumps(changes)[:80]}", _variant(changes), True, command="run")
    return cases


CASES = [*_text_cases(), *_name_cases(), *_number_cases(), *_text_number_cases(), *_semantic_cases(),
         *_parsing_cases(), *_accepted_cases()]
REFUSED = [c for c in CASES if not c.must_run]
ACCEPTED = [c for c in CASES if c.must_run]


def test_the_audit_has_at_least_300_files() -> None:
    assert len(CASES) >= 300 and len(REFUSED) >= 200 and len(ACCEPTED) >= 50, (len(REFUSED), len(ACCEPTED))
    assert len({c.name for c in CASES}) == len(CASES)


def _run_cli(case: Case, folder: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str, float]:
    path = folder / "scenario.yaml"
    path.write_bytes(case.data)
    args = [case.command, str(path)] + (["--paths", PATHS, "--json"] if case.command == "run" else [])
    capsys.readouterr()
    # This thread's CPU only: the refusal runs in it, and the suite's other threads (a finished
    # Dask cluster's, the page tests' servers) must not count against the bound.
    start = time.thread_time()
    code = main(args)
    seconds = time.thread_time() - start
    out = capsys.readouterr()
    return code, out.out, out.err, seconds


@pytest.mark.parametrize("case", REFUSED, ids=[c.name for c in REFUSED])
def test_a_refused_file_is_one_line_exit_2_within_a_second(case: Case, tmp_path: Path, capsys) -> None:
    code, out, err, seconds = _run_cli(case, tmp_path, capsys)
    assert code == 2, err[-2000:]
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err[-2000:]
    assert "Traceback" not in err and out == "" and len(err) < 1200
    if case.field is not None:
        assert lines[0].startswith(f"error: {case.field}: ") or lines[0].startswith(
            f"error: {case.field}."), lines[0]
    # A refused run pays for its simulation before the result check: only parsing and validation
    # are held to the second.
    assert case.command == "run" or seconds < REFUSAL_CPU_SECONDS, f"{seconds:.2f} s of CPU"


def _numbers(node: Any) -> list[float]:
    if isinstance(node, dict):
        return [x for v in node.values() for x in _numbers(v)]
    if isinstance(node, list):
        return [x for v in node for x in _numbers(v)]
    return [float(node)] if isinstance(node, (int, float)) and not isinstance(node, bool) else []


@pytest.mark.parametrize("case", ACCEPTED, ids=[c.name for c in ACCEPTED])
def test_an_accepted_file_runs_to_finite_bounded_numbers(case: Case, tmp_path: Path, capsys) -> None:
    code, out, err, _ = _run_cli(case, tmp_path, capsys)
    assert code == 0, err[-2000:]
    result = json.loads(out)
    numbers = _numbers(result["strategies"])
    assert numbers and all(math.isfinite(x) and abs(x) <= MAX_RESULT for x in numbers)
    assert result["paths"] == int(PATHS)


SAMPLE = REFUSED[::12] + ACCEPTED[::12]


@pytest.mark.parametrize("case", SAMPLE, ids=[c.name for c in SAMPLE])
def test_a_sample_in_a_real_process(case: Case, tmp_path: Path) -> None:
    """`python -m tco` end to end: the exit code, one error line, no traceback."""
    path = tmp_path / "scenario.yaml"
    path.write_bytes(case.data)
    args = [case.command, str(path)] + (["--paths", PATHS, "--json"] if case.command == "run" else [])
    out = subprocess.run([sys.executable, "-m", "tco", *args], capture_output=True, text=True, cwd=ROOT,
                         timeout=300)
    if case.must_run:
        assert out.returncode == 0, out.stderr[-2000:]
        return
    assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr[-2000:]
    assert len(out.stderr.splitlines()) == 1 and out.stdout == ""
