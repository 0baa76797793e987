"""The hosted open-weight kind: open weights billed per token by a host, whose exit to the same
weights elsewhere costs only ``same_weights_switching_share`` of a migration.

Closed forms are worked by hand in each docstring, through the kernel with events forced.
"""

from __future__ import annotations

import numpy as np
import pytest

import tco
import tco.kernel as kernel
from tco.draws import Shocks
from tco.errors import ScenarioError
from tco.load import validate
from tco.model import nominal_inputs
from tests.test_economics import forced, lines_of

OWN = {"kind": "self_hosted", "model": "llama-3.1-8b", "gpu": "h100-sxm", "gpus": 1,
       "usd_per_gpu_hour": 2.0, "target_utilization": 1.0, "min_replicas": 1,
       "tokens_per_second_per_gpu": 1000.0, "ops_fte": 0.0, "usd_per_fte_year": 0.0}
"""One replica of one GPU serves the workload below (1e6 x 0.2 s / 2.628e6 s = 0.08 replicas)."""

HOST = {"kind": "hosted_open", "model": "llama-3.1-8b", "provider": "together",
        "input_usd_per_mtok": 0.2, "output_usd_per_mtok": 0.2}
"""$0.2 per 1M tokens in and out: one request of 1,000 + 200 tokens costs $0.00024."""


def scenario(fallback: str, **host: object) -> dict:
    return {
        "name": "hosted", "horizon_months": 6,
        "workload": {"requests_per_month": 1_000_000, "input_tokens_per_request": 1000,
                     "output_tokens_per_request": 200},
        "options": {"host": {**HOST, **host}, "own": OWN,
                    "api": {"kind": "api", "input_usd_per_mtok": 3.0, "output_usd_per_mtok": 15.0}},
        "strategies": {"hosted-first": {"mix": {"host": 1.0}, "fallback": fallback,
                                        "portability": 0.2}},
        "switching": {"engineer_weeks": 10, "usd_per_engineer_week": 5000, "one_off_usd": 2000,
                      "dual_running_months": 0},
    }


def test_a_host_exit_moves_traffic_to_self_hosting_the_same_weights() -> None:
    """The host exits in month 2; the fallback self-hosts the same weights (llama-3.1-8b).

    Migration effort = 10 weeks x $5,000 + $2,000 one-off = $52,000. The same weights carry
    prompts, evals and adapters over, so the move costs the default share 0.25 of it:
    52,000 x 0.25 = 13,000, times (1 - portability 0.2) = $10,400 of switching in month 2.
    Tokens: 1e6 requests x $0.00024 = $240 a month on the host in months 0-1, none after;
    self-hosting: 1 replica x 1 GPU x 730 h x $2 = $1,460 a month from month 2.
    """
    lines = lines_of(forced(scenario("own"), [("exit", "host", 2)]))
    assert lines["switching"].tolist() == pytest.approx([0, 0, 10_400, 0, 0, 0], abs=1e-9)
    assert lines["api_tokens"].tolist() == pytest.approx([240, 240, 0, 0, 0, 0], rel=1e-12)
    assert lines["gpu_rent"].tolist() == pytest.approx([0, 0, 1460, 1460, 1460, 1460], rel=1e-12)


def test_an_exit_to_other_weights_costs_the_whole_migration() -> None:
    """The same exit to a closed API: no weights carry over, so the whole effort applies:
    52,000 x (1 - 0.2) = $41,600; the API then bills 1e6 x (1,000 x 3 + 200 x 15) / 1e6 = $6,000."""
    lines = lines_of(forced(scenario("api"), [("exit", "host", 2)]))
    assert lines["switching"].tolist() == pytest.approx([0, 0, 41_600, 0, 0, 0], abs=1e-9)
    assert lines["api_tokens"].tolist() == pytest.approx([240, 240] + [6000] * 4, rel=1e-12)


def test_the_share_is_the_scenarios_and_the_smaller_of_two_hosts() -> None:
    """same_weights_switching_share 0.5 on the host: 52,000 x 0.5 x 0.8 = $20,800."""
    lines = lines_of(forced(scenario("own", same_weights_switching_share=0.5), [("exit", "host", 2)]))
    assert lines["switching"][2] == pytest.approx(20_800, rel=1e-12)


def test_a_licence_change_on_the_family_escalates_the_hosted_traffic() -> None:
    """A licence change in month 1 at 0.1 a month, cap 0.3: the host's escalated share is 0.1 in
    month 1, 0.2 in month 2, 0.3 from month 3 (the event's month counts as the first); the
    fallback API bills that share at $0.006 a request (0.1 x 1e6 x 0.006 = $600, ...), the host
    the rest at $0.00024."""
    data = scenario("api")
    data["risks"] = [{"kind": "licence_change", "on": ["host"], "annual_probability": 0.0,
                      "escalation_per_month": 0.1, "escalation_cap": 0.3}]
    sc = validate(data)
    cells = np.zeros((1, sc.horizon_months), dtype=bool)
    cells[0, 1] = True
    shocks = Shocks(paths=1, fired={(0, "host"): cells}, impact={(0, "host"): np.ones(1)},
                    weeks={(0, "host"): np.zeros(1)})
    lines = lines_of(kernel.run(sc, nominal_inputs(sc.inputs), shocks, want_cost=True))
    escalated = [0.0, 0.1, 0.2, 0.3, 0.3, 0.3]
    assert lines["escalated_traffic"].tolist() == pytest.approx([6000 * e for e in escalated],
                                                                rel=1e-12)
    assert lines["api_tokens"].tolist() == pytest.approx([240 * (1 - e) for e in escalated],
                                                         rel=1e-12)


def test_prices_come_from_the_catalog_entry_with_its_date() -> None:
    """Left out, the host's prices come from the genai-prices entry named by catalog:, with the
    snapshot's source and as-of date, as an API's do."""
    data = scenario("own")
    data["options"]["host"] = {"kind": "hosted_open", "model": "llama-3.3-70b", "provider": "together",
                               "catalog": "together/meta-llama/Llama-3.3-70B-Instruct-Turbo"}
    sc = validate(data)
    param = sc.inputs.params["options.host.input_usd_per_mtok"]
    assert param.as_of is not None and "genai-prices" in param.source
    assert param.nominal > 0
    share = sc.inputs.params["options.host.same_weights_switching_share"]
    assert share.nominal == 0.25 and share.source.startswith("default")


def test_a_host_without_prices_or_a_catalog_entry_is_one_line() -> None:
    data = scenario("own")
    data["options"]["host"] = {"kind": "hosted_open", "model": "llama-3.1-8b", "provider": "nohost"}
    with pytest.raises(ScenarioError) as info:
        validate(data)
    assert str(info.value).startswith("options.host.input_usd_per_mtok: is required: the price "
                                      "catalog lists no 'nohost/llama-3.1-8b'")


def test_an_unknown_model_is_one_line() -> None:
    data = scenario("own", model="llama-9")
    with pytest.raises(ScenarioError) as info:
        validate(data)
    assert str(info.value).startswith("options.host.model:")


def test_the_hosted_path_runs_end_to_end() -> None:
    """A Monte Carlo run with a host exit risk: finite NPVs, the exit counted."""
    data = scenario("own")
    data["risks"] = [{"kind": "exit", "on": ["host"], "annual_probability": 0.5}]
    result = tco.simulate(validate(data), paths=512, seed=3)
    summary = result.summary()
    assert summary["mean"].notna().all() and (summary["mean"] > 0).all()
