"""Scenario validation: every rule gives its exact one-line message; YAML edge cases; round trip."""

from __future__ import annotations

import json

import pytest

import tco
from tco.distributions import Lognormal, Pert, Triangular, Uniform
from tco.errors import ScenarioError
from tco.scenario import (
    comments_of,
    dumps,
    json_schema,
    loads,
    parse_yaml,
    to_dict,
    validate,
    with_changes,
)
from tests.conftest import HOSTED, SCENARIOS, build, raw


def message(data) -> str:
    with pytest.raises(ScenarioError) as info:
        validate(data)
    text = str(info.value)
    assert "\n" not in text
    return text


def with_(changes: dict, base=None) -> dict:
    from tco.scenario import set_path

    data = raw(base)
    for path, value in changes.items():
        set_path(data, path, value)
    return data


def hosted_data(**extra) -> dict:
    data = raw()
    data["options"]["hosted"] = {**HOSTED, **extra}
    data["strategies"]["self"] = {"mix": {"hosted": 1.0}, "fallback": "api"}
    return data


CASES = [
    ({"workload.growth_per_month": -1.5}, "workload.growth_per_month: must be greater than -1"),
    ({"workload.requests_per_month": -5}, "workload.requests_per_month: must be at least 0"),
    ({"workload.cached_input_share": 1.2}, "workload.cached_input_share: must be between 0 and 1"),
    ({"workload.requests_per_month": "lots"},
     "workload.requests_per_month: must be a number or a distribution, got 'lots'"),
    ({"workload.requests_per_month": True}, "workload.requests_per_month: must be a number, got True"),
    ({"workload.peak_to_averge": 2}, "workload.peak_to_averge: is not a known field (did you mean "
                                      "'peak_to_average'?)"),
    ({"workload.growth_per_month": {"triangular": [0.05, 0.01, 0.1]}},
     "workload.growth_per_month: triangular needs low <= mode <= high, got [0.05, 0.01, 0.1]"),
    ({"workload.growth_per_month": {"lognormal": {"median": 0.1, "p90": 0.05}}},
     "workload.growth_per_month: lognormal needs p90 > median > 0, got median 0.1, p90 0.05"),
    ({"workload.cached_input_share": {"lognormal": {"median": 0.1, "p90": 0.2}}},
     "workload.cached_input_share: must be between 0 and 1; a lognormal is unbounded above, use "
     "triangular, pert or uniform"),
    ({"workload.requests_per_month": {"normal": {"mean": 10, "sd": 2}}},
     "workload.requests_per_month: must be at least 0; a normal distribution is unbounded, use "
     "triangular, pert or uniform"),
    ({"workload.requests_per_month": {"triangular": [-1, 5, 10]}},
     "workload.requests_per_month: must be at least 0 (the triangular range is -1 to 10)"),
    ({"workload.growth_per_month": {"beta": [1, 2]}},
     "workload.growth_per_month: unknown distribution 'beta'; use one of triangular, pert, uniform, "
     "lognormal, normal"),
    ({"workload.growth_per_month": {"uniform": [0.1, 0.0]}},
     "workload.growth_per_month: uniform needs low <= high, got [0.1, 0]"),
    ({"horizon_months": 0}, "horizon_months: must be greater than or equal to 1"),
    ({"horizon_months": 1.5}, "horizon_months: must be a valid integer, got a number with a "
                              "fractional part"),
    ({"currency": "dollars"}, "currency: must be a three-letter ISO code such as USD"),
    ({"sampling": "quasi"}, "sampling: must be 'random', 'lhs' or 'sobol'"),
    ({"strategies.api-only.mix": {"api": 0.7}}, "strategies.api-only.mix: shares must sum to 1, got 0.7"),
    ({"strategies.api-only.mix": {"api": 1.5, "backup": -0.5}},
     "strategies.api-only.mix.api: must be between 0 and 1"),
    ({"strategies.api-only.mix": {"apii": 1.0}},
     "strategies.api-only.mix.apii: is not a defined option (options are api, backup)"),
    ({"strategies.api-only.fallback": "nope"},
     "strategies.api-only.fallback: 'nope' is not a defined option (options are api, backup)"),
    ({"strategies.api-only.portability": 2}, "strategies.api-only.portability: must be between 0 and 1"),
    ({"options.api.input_usd_per_mtok": -1}, "options.api.input_usd_per_mtok: must be at least 0"),
    ({"options.api.kind": "cloud"}, "options.api.kind: must be one of 'api', 'self_hosted'"),
    ({"options.api.catalog": "anthropic/claude-sonet-4-6"},
     "options.api.catalog: unknown API model 'anthropic/claude-sonet-4-6' (did you mean "
     "anthropic/claude-sonnet-4-6, anthropic/claude-sonnet-4-5, anthropic/claude-sonnet-4-0)"),
    ({"options.Big API": {"kind": "api", "input_usd_per_mtok": 1, "output_usd_per_mtok": 1}},
     "options.Big API: names must use lower-case letters, digits, '-' or '_'"),
    ({"risks": [{"kind": "meteor", "on": ["api"], "annual_probability": 0.1}]},
     "risks.0.kind: must be 'price_change', 'deprecation', 'exit' or 'licence_change'"),
    ({"risks": [{"kind": "exit", "on": ["nope"], "annual_probability": 0.1}]},
     "risks.0.on: 'nope' is not a defined option (options are api, backup)"),
    ({"risks": [{"kind": "exit", "on": ["api"], "annual_probability": 1.5}]},
     "risks.0.annual_probability: must be between 0 and 1"),
    ({"risks": [{"kind": "price_change", "on": ["api"], "annual_probability": 0.1}]},
     "risks.0.multiplier: is required for price_change risks"),
    ({"risks": [{"kind": "exit", "on": ["api"], "annual_probability": 0.1, "multiplier": 2}]},
     "risks.0.multiplier: does not apply to exit risks"),
    ({"risks": [{"kind": "licence_change", "on": ["api"], "annual_probability": 0.1,
                 "escalation_per_month": 0.1}]},
     "risks.0.on: licence_change applies to self-hosted options; 'api' is an API"),
    ({"stresses": [{"name": "x", "kind": "exit", "on": "api", "month": 12}]},
     "stresses.0.month: must be less than horizon_months (12)"),
    ({"correlations": [{"between": ["workload.growth_per_month", "workload.requests_per_month"],
                        "rho": 0.5}]},
     "correlations.0.between: 'workload.growth_per_month' must be a distribution sampled once per path"),
    ({"correlations": [{"between": ["a.b", "a.b"], "rho": 0.5}]},
     "correlations.0.between: must name two different fields"),
    ({"workload": None}, "workload: must be a mapping of fields"),
]


@pytest.mark.parametrize(("changes", "expected"), CASES, ids=[c[1].split(":")[0] + str(i)
                                                              for i, c in enumerate(CASES)])
def test_rule_message(changes: dict, expected: str) -> None:
    assert message(with_(changes)) == expected


def test_missing_field() -> None:
    data = raw()
    del data["workload"]["input_tokens_per_request"]
    assert message(data) == "workload.input_tokens_per_request: is required"


def test_missing_kind() -> None:
    data = raw()
    del data["options"]["api"]["kind"]
    assert message(data) == "options.api.kind: is required (one of 'api', 'self_hosted')"


def test_api_without_prices_or_catalog() -> None:
    data = raw()
    del data["options"]["api"]["output_usd_per_mtok"]
    assert message(data) == "options.api.output_usd_per_mtok: is required when no catalog: entry is given"


def test_self_hosted_rules() -> None:
    assert message(hosted_data(model="llama-9000")) == (
        "options.hosted.model: unknown model 'llama-9000' (did you mean llama-2-70b, llama-3.3-70b, "
        "llama-3.1-70b)")
    assert message(hosted_data(gpu="h1000")) == (
        "options.hosted.gpu: unknown GPU 'h1000' (did you mean h200, h100-sxm, a100-80gb)")
    assert message(hosted_data(gpu="a100-80gb", precision="fp8")) == (
        "options.hosted.precision: a100-80gb has no fp8 tensor cores; use bf16")
    assert message(hosted_data(purchase={"usd_per_gpu": 1})) == (
        "options.hosted.purchase: give usd_per_gpu_hour (rented) or purchase (bought), not both")
    assert message(hosted_data(max_inter_token_ms=0.05, tokens_per_second_per_gpu=None)) == (
        "options.hosted.max_inter_token_ms: 0.05 ms cannot be met by llama-3.1-8b on h100-sxm "
        "(8 ms at batch 1)")
    data = hosted_data(model="qwen3-32b")
    data["workload"]["input_tokens_per_request"] = 40_000
    assert message(data) == ("options.hosted.model: requests of 40,200 tokens exceed qwen3-32b's "
                             "context of 32,768 tokens")
    assert message(hosted_data(gpu="l40s", usd_per_gpu_hour=None)) == (
        "options.hosted.usd_per_gpu_hour: is required: the GPU catalog has no rental price for l40s "
        "(or give purchase:)")
    data = hosted_data(escalation_share=0.1)
    data["strategies"]["self"].pop("fallback")
    assert message(data) == ("strategies.self.fallback: is required: options.hosted.escalation_share "
                             "sends traffic to the fallback")
    # Llama's licence carries its 700M MAU threshold in the catalog, so none is needed here.
    validate(hosted_data(licence={"usd_per_month_above": 5}))
    data = hosted_data(model="qwen3-32b", licence={"usd_per_month_above": 5})
    assert message(data) == ("options.hosted.licence.mau_threshold: is required: qwen3-32b's licence "
                             "(Apache-2.0) has no user threshold")


def test_non_positive_definite_correlations() -> None:
    data = raw()
    data["workload"]["growth_per_month"] = {"uniform": [0, 0.1]}
    data["options"]["api"]["price_trend_per_year"] = {"uniform": [-0.2, 0]}
    data["options"]["backup"]["price_trend_per_year"] = {"uniform": [-0.2, 0]}
    a, b, c = ("workload.growth_per_month", "options.api.price_trend_per_year",
               "options.backup.price_trend_per_year")
    data["correlations"] = [{"between": [a, b], "rho": 0.95}, {"between": [b, c], "rho": 0.95},
                            {"between": [a, c], "rho": -0.95}]
    assert message(data) == ("correlations: the rank correlations are not consistent (the matrix is "
                             "not positive definite); weaken some rho values")


@pytest.mark.parametrize(("text", "expected"), [
    (b"", "scenario: file is empty"),
    (b"   \n# only a comment\n", "scenario: file is empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "scenario: is a binary file, not YAML text"),
    (b"\xff\xfe\xfa", "scenario: is not UTF-8 text"),
    (b"- just\n- a list\n", "scenario: must be a mapping of fields (name:, workload:, options:, ...)"),
    (b"name: [unclosed\n", "line 2, column 1: expected ',' or ']', but got '<stream end>'"),
    (b"name: a\nname: b\n", "line 2, column 1: duplicate key 'name'"),
])
def test_bad_files(text: bytes, expected: str) -> None:
    with pytest.raises(ScenarioError) as info:
        loads(text)
    assert str(info.value) == expected


def test_yaml_reads_exponents_and_on_keys() -> None:
    parsed = parse_yaml("a: 1e6\nb: 2.5e-3\nc: 20_000\non: x\nd: yes\n")
    assert parsed == {"a": 1e6, "b": 2.5e-3, "c": 20000, "on": "x", "d": "yes"}


def test_distributions_and_nominals() -> None:
    sc = build(workload__growth_per_month={"pert": [0, 0.02, 0.1]},
               workload__requests_per_month={"lognormal": {"median": 1e6, "p90": 2e6}},
               workload__input_tokens_per_request={"uniform": [500, 1500]},
               workload__output_tokens_per_request={"triangular": [100, 200, 400]})
    w = sc.workload
    assert w.growth_per_month == Pert(0, 0.02, 0.1)
    assert w.requests_per_month == Lognormal(1e6, 2e6)
    assert w.input_tokens_per_request == Uniform(500, 1500)
    assert w.output_tokens_per_request == Triangular(100, 200, 400)
    assert [d.nominal for d in (w.growth_per_month, w.requests_per_month, w.input_tokens_per_request,
                                w.output_tokens_per_request)] == [0.02, 1e6, 1000, 200]


def test_scenario_is_immutable() -> None:
    sc = build()
    with pytest.raises(Exception):
        sc.horizon_months = 3  # type: ignore[misc]


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_round_trip(path) -> None:
    sc = tco.load_scenario(path)
    again = loads(dumps(sc))
    assert again == sc
    assert to_dict(again) == to_dict(sc)
    # Source comments survive the trip, so an exported scenario still cites its numbers.
    assert comments_of(again)["workload.requests_per_month"] == comments_of(sc)["workload.requests_per_month"]


def test_with_changes_validates() -> None:
    sc = build()
    changed = with_changes(sc, {"workload.requests_per_month": 5})
    assert changed.workload.requests_per_month == 5.0
    with pytest.raises(ScenarioError, match="workload.requests_per_month: must be at least 0"):
        with_changes(sc, {"workload.requests_per_month": -5})


def test_json_schema_is_json_and_names_fields() -> None:
    schema = json_schema()
    text = json.dumps(schema)
    assert "requests_per_month" in text and "escalation_cap" in text
    assert schema["additionalProperties"] is False
