"""Schema rules: every broken rule gives its exact one-line message through validate."""

from __future__ import annotations

import pytest

from tco.errors import ScenarioError
from tco.load import validate
from tests.conftest import HOSTED, build, message, raw


def with_(changes: dict, base=None) -> dict:
    from tco.load import set_path

    data = raw(base)
    for path, value in changes.items():
        set_path(data, path, value)
    return data


CASES = [
    ({"workload.growth_per_month": -1.5}, "workload.growth_per_month: must be greater than -1"),
    ({"workload.requests_per_month": -5}, "workload.requests_per_month: must be between 0 and 1e+12"),
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
     "workload.cached_input_share: must be between 0 and 1; this lognormal reaches 4.49 in its far "
     "tail, use a smaller p90 or triangular, pert or uniform"),
    ({"workload.requests_per_month": {"normal": {"mean": -10, "sd": 2}}},
     "workload.requests_per_month: must be between 0 and 1e+12 (the normal's mean is -10)"),
    ({"workload.requests_per_month": {"triangular": [-1, 5, 10]}},
     "workload.requests_per_month: must be between 0 and 1e+12 (the triangular range is -1 to 10)"),
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
    ({"options.api.input_usd_per_mtok": -1},
     "options.api.input_usd_per_mtok: must be between 0 and 10000"),
    ({"options.api.kind": "cloud"}, "options.api.kind: must be one of 'api', 'hosted_open', 'self_hosted'"),
    ({"options.api.catalog": "anthropic/claude-sonet-4-6"},
     "options.api.catalog: unknown API model 'anthropic/claude-sonet-4-6' (did you mean "
     "anthropic/claude-sonnet-4-6, anthropic/claude-sonnet-4-5, anthropic/claude-sonnet-4-0)"),
    ({"options.Big API": {"kind": "api", "input_usd_per_mtok": 1, "output_usd_per_mtok": 1}},
     "options.Big API: names must use lower-case letters, digits, '-' or '_'"),
    ({"risks": [{"kind": "meteor", "on": ["api"], "annual_probability": 0.1}]},
     "risks.0.kind: must be 'price_change', 'deprecation', 'exit', 'licence_change' or "
     "'fine_tune_withdrawn'"),
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
     "risks.0.on: licence_change applies to self-hosted options and hosted open-weight options; "
     "'api' is an API"),
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
    assert message(data) == "options.api.kind: is required (one of 'api', 'hosted_open', 'self_hosted')"


def test_api_without_prices_or_catalog() -> None:
    data = raw()
    del data["options"]["api"]["output_usd_per_mtok"]
    assert message(data) == "options.api.output_usd_per_mtok: is required when no catalog: entry is given"


@pytest.mark.parametrize(("changes", "expected"), [
    ({"workload__growth_per_month": 20},
     "workload.growth_per_month: must be at most 1 (larger values make costs overflow)"),
    ({"workload__growth_per_month": {"lognormal": {"median": 0.1, "p90": 0.5}}},
     "workload.growth_per_month: must be at most 1 (larger values make costs overflow); this "
     "lognormal reaches 686.553"),
    ({"options__api__price_trend_per_year": 12},
     "options.api.price_trend_per_year: must be at most 10 (larger values make costs overflow)"),
    ({"workload__requests_per_month": 1e308},
     "workload.requests_per_month: must be between 0 and 1e+12"),
    ({"workload__peak_to_average": 1e30}, "workload.peak_to_average: must be between 1 and 100"),
    ({"discount_rate_per_year": -0.99}, "discount_rate_per_year: must be between -0.05 and 0.5"),
    ({"discount_rate_per_year": 5}, "discount_rate_per_year: must be between -0.05 and 0.5"),
    ({"switching": {"dual_running_months": 1e9}},
     "switching.dual_running_months: must be between 0 and 240"),
    ({"workload__requests_per_month": {"normal": {"mean": 1e6, "sd": 1e300}}},
     "workload.requests_per_month: must be between 0 and 1e+12; this normal's sd (1e+300) puts 100% "
     "of it outside that range, use a smaller sd"),
    ({"horizon_months": "36"}, "horizon_months: must be a number, got the text '36'; write it "
     "without quotes"),
    ({"correlations": [{"between": ["a.b", "c.d"], "rho": "0.5"}]},
     "correlations.0.rho: must be a number, got the text '0.5'; write it without quotes"),
    ({"stresses": [{"name": "x", "kind": "exit", "on": "api", "month": 1},
                   {"name": " X", "kind": "exit", "on": "backup", "month": 2}]},
     "stresses.1.name: ' X' is already the name of stresses.0; each stress test needs its own name"),
    ({"risks": [{"kind": "exit", "on": ["api", "backup", "api"], "annual_probability": 0.1}]},
     "risks.0.on: names 'api' twice; name each option once"),
    ({"name": "bad\ud800name"}, "name: must be a valid string, unable to parse raw data as a unicode "
     "string"),
    ({"name": " \u200b "}, "name: must not contain an invisible format character (found '\\u200b', "
     "ZERO WIDTH SPACE); retype it as plain text"),
    ({"name": "   "}, "name: must not be empty or only spaces"),
    ({"name": "x" * 201}, "name: must have at most 200 characters"),
    ({"description": "x" * 5001}, "description: must have at most 5000 characters"),
    ({"description": "a\u202eb"}, "description: must not contain an invisible format character (found "
     "'\\u202e', RIGHT-TO-LEFT OVERRIDE); retype it as plain text"),
    ({"description": "a\u2029b"}, "description: must not contain a paragraph separator (found "
     "'\\u2029', PARAGRAPH SEPARATOR); retype it as plain text"),
    ({"risks": [{"kind": "price_change", "on": ["api"], "annual_probability": 0.1,
                 "multiplier": {"lognormal": {"median": 1.3, "p90": 1e300}}}]},
     "risks.0.multiplier: must stay finite; this lognormal reaches inf"),
    ({"name": "plan\rEVIL"},
     "name: must not contain a control character (found '\\r'); retype it as plain text"),
    ({"name": "plan\x1b[31m"},
     "name: must not contain a control character (found '\\x1b'); retype it as plain text"),
    ({"strategies": {"x": {"mix": {"api": 1.0}, "fallback": "api"}}},
     "strategies.x.fallback: must differ from the strategy's only option ('api')"),
])
def test_inputs_that_would_overflow_or_mislead_are_refused(changes, expected) -> None:
    """Typos such as 20 for 0.20, unbounded tails, control characters that would split a one-line
    error or colour a terminal, and a fallback that cannot take traffic are each one line."""
    with pytest.raises(ScenarioError) as err:
        build(**changes)
    assert str(err.value) == expected


def test_an_infinite_measured_throughput_is_refused() -> None:
    data = raw()
    data["options"]["hosted"] = {**HOSTED, "tokens_per_second_per_gpu": float("inf")}
    data["strategies"]["self"] = {"mix": {"hosted": 1.0}, "fallback": "api"}
    with pytest.raises(ScenarioError, match=r"^options\.hosted\.tokens_per_second_per_gpu: "):
        validate(data)


def _model_properties(schema: dict) -> dict[str, dict]:
    """Every field of every model in the JSON Schema, as 'Model.field' -> its schema."""
    models = {"Scenario": schema, **schema["$defs"]}
    return {f"{name}.{field}": prop for name, model in models.items()
            for field, prop in model.get("properties", {}).items()}


def test_every_field_has_a_description() -> None:
    """`python -m tco schema` documents every field of every section, risk kinds' own fields
    included, and every model says what it is."""
    from tco.load import json_schema
    from tco.schema import SECTIONS

    schema = json_schema()
    properties = _model_properties(schema)
    assert len(properties) == sum(len(model.model_fields) for model in SECTIONS)
    missing = [name for name, prop in properties.items() if not prop.get("description", "").strip()]
    assert not missing, missing
    assert all(schema["$defs"][m.__name__].get("description") for m in SECTIONS if m.__name__ != "Scenario")


def test_descriptions_keep_the_rules_and_the_glossary_wording() -> None:
    """A number-or-distribution field's description ends with its rule (the schema's only word on
    its bounds); the wording is the glossary's where it has an entry, and the defaults stay."""
    from tco.glossary import entry
    from tco.load import json_schema

    properties = _model_properties(json_schema())
    requests = properties["Workload.requests_per_month"]["description"]
    assert requests == ("Requests served in month 0, before growth. A number or a distribution; must be "
                        "between 0 and 1e+12. Unit: requests per month.")
    assert properties["Scenario.discount_rate_per_year"]["description"].endswith(
        "A number or a distribution; must be between -0.05 and 0.5. Unit: fraction per year.")
    assert properties["Purchase.pue"]["default"] == 1.54
    for path, field in [("workload.cached_input_share", "Workload.cached_input_share"),
                        ("options.x.ops_fte", "SelfHostedOption.ops_fte"),
                        ("options.x.commitment.discount", "Commitment.discount"),
                        ("switching.engineer_weeks", "Switching.engineer_weeks"),
                        ("strategies.x.portability", "Strategy.portability"),
                        ("risks.*.annual_probability", "Risk.annual_probability"),
                        ("risks.0.multiplier", "Risk.multiplier")]:
        assert properties[field]["description"].startswith(entry(path).help.rstrip(".")), field
