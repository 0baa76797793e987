"""The numba kernel on hand-placed shocks: escalation, switching efforts and costs, running sums."""

from __future__ import annotations

import numpy as np
import pytest

from tco import kernel
from tco.draws import Shocks, draw_shocks, inputs_from_uniforms, path_uniforms
from tco.lines import NAMES as LINES
from tco.load import load_scenario
from tco.model import nominal_inputs
from tco.stress import stress
from tests.conftest import BASE, HOSTED, PER_REQUEST_API, SCENARIOS, build, raw


def hosted_with_licence_risk(rate: float, cap: float, base: float):
    data = raw()
    data["options"]["hosted"] = {**HOSTED, "escalation_share": base}
    data["strategies"] = {"self": {"mix": {"hosted": 1.0}, "fallback": "api"}}
    data["risks"] = [{"kind": "licence_change", "on": ["hosted"], "annual_probability": 0.0,
                      "escalation_per_month": rate, "escalation_cap": cap}]
    return build(data)


def test_escalation_grows_to_its_cap() -> None:
    """Licence change in month 3: escalated share = min(cap, base + rate (t - 3 + 1)) from t = 3,
    base before; billed at the API fallback ($0.006 a request, 1M requests)."""
    sc = hosted_with_licence_risk(rate=0.1, cap=0.35, base=0.05)
    resolved = sc.inputs
    fired = np.zeros((1, 12), dtype=bool)
    fired[0, 3] = True
    shocks = Shocks(1, fired={(0, "hosted"): fired}, impact={(0, "hosted"): np.ones(1)},
                    weeks={(0, "hosted"): np.zeros(1)})
    result = kernel.run(sc, nominal_inputs(resolved), shocks)
    escalated = result.line_sum_usd[0, LINES.index("escalated_traffic")] / (1e6 * PER_REQUEST_API)
    t = np.arange(12)
    expected = np.where(t >= 3, np.minimum(0.35, 0.05 + 0.1 * (t - 2)), 0.05)
    assert escalated == pytest.approx(expected, rel=1e-12)


def test_migration_and_exit_efforts_land_on_their_paths_and_months() -> None:
    """Hand-placed events on two paths with different engineer-week prices ($1,000 and $2,000,
    one-off $500, no dual running, portability 0). Path 0: deprecation in month 2 (10 weeks), exit
    in months 4 and 9 (3 and 7 weeks: only the first exit counts). Path 1: deprecations in months 5
    and 8 (4 and 6 weeks). Effort is weeks x price + $500 in each event's own month."""
    sc = build(switching={"engineer_weeks": {"triangular": [1, 5, 12]}, "usd_per_engineer_week": 1000,
                          "dual_running_months": 0, "one_off_usd": 500},
               risks=[{"kind": "deprecation", "on": ["api"], "annual_probability": 0.0},
                      {"kind": "exit", "on": ["api"], "annual_probability": 0.0}])
    resolved = sc.inputs
    x = {k: np.repeat(v, 2) for k, v in nominal_inputs(resolved).items()}
    x["switching.usd_per_engineer_week"] = np.array([1000.0, 2000.0])
    deprecated, exited = np.zeros((2, 12), dtype=bool), np.zeros((2, 12), dtype=bool)
    deprecated[0, 2] = deprecated[1, 5] = deprecated[1, 8] = True
    exited[0, 4] = exited[0, 9] = True
    shocks = Shocks(2, fired={(0, "api"): deprecated, (1, "api"): exited},
                    impact={(0, "api"): np.ones(3), (1, "api"): np.ones(2)},
                    weeks={(0, "api"): np.array([10.0, 4.0, 6.0]), (1, "api"): np.array([3.0, 7.0])})
    result = kernel.run(sc, x, shocks)
    switching = result.line_sum_usd[0, LINES.index("switching")]
    expected = np.zeros(12)
    expected[[2, 4, 5, 8]] = [10 * 1000 + 500, 3 * 1000 + 500, 4 * 2000 + 500, 6 * 2000 + 500]
    assert switching == pytest.approx(expected, rel=1e-12, abs=1e-9)
    assert result.portable_npv_usd[:, 0] == pytest.approx([14_000.0, 21_000.0], rel=1e-12)


@pytest.mark.parametrize("portability", [0.0, 1.0])
def test_switching_cost_with_portability(portability: float) -> None:
    """Deprecation in month 2 on the API: (10 weeks x $1,000 + $5,000) x (1 - portability) plus one
    month of dual running of the moved traffic at the successor price (x1.2): 1M x $0.006 x 1.2."""
    sc = build(**{"strategies__api-only__portability": portability},
               switching={"engineer_weeks": 10, "usd_per_engineer_week": 1000,
                          "dual_running_months": 1, "dual_running_share": 1.0, "one_off_usd": 5000},
               risks=[{"kind": "deprecation", "on": ["api"], "annual_probability": 0.0,
                       "successor_price_multiplier": 1.2}])
    frame = stress(sc, "deprecation", "api", 2)
    resolved = sc.inputs
    fired = np.zeros((1, 12), dtype=bool)
    fired[0, 2] = True
    shocks = Shocks(1, fired={(0, "api"): fired}, impact={(0, "api"): np.array([1.2])},
                    weeks={(0, "api"): np.array([10.0])})
    switching = kernel.run(sc, nominal_inputs(resolved), shocks).line_sum_usd[
        0, LINES.index("switching")]
    expected = (10 * 1000 + 5000) * (1 - portability) + 1e6 * PER_REQUEST_API * 1.2
    assert switching[2] == pytest.approx(expected, rel=1e-12)
    assert np.count_nonzero(switching) == 1
    # The stress test sees the same switching cost plus ten months at 1.2x prices (r = 0).
    assert frame["impact_usd"].iloc[0] == pytest.approx(expected + 10 * 0.2 * 1e6 * PER_REQUEST_API)


def test_cumulative_cost_is_the_running_sum_of_monthly_cost() -> None:
    """The kernel writes each path's cumulative cost as it goes (float64 sum, stored in float32):
    it equals numpy's cumsum of the monthly cost it also returns, bit for bit."""
    sc = BASE
    u = path_uniforms(sc, 3, 300, "random")
    x = inputs_from_uniforms(sc.inputs, u)
    result = kernel.run(sc, x, draw_shocks(sc, x, 3, 0, 300), want_cost=True)
    assert np.array_equal(result.cumulative_usd,
                          np.cumsum(result.cost_usd, axis=-1).astype(np.float32))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_the_no_event_reference_is_the_same_paths_run_without_events(path) -> None:
    """The lock-in premium's reference, recomputed independently: the kernel run again on the same
    inputs with every event removed (``Shocks.without_events``: noise and release delays kept).
    The kernel copies it for strategies relying on no option an event fell on and recomputes it
    for the others; both must equal this bit for bit, on every shipped scenario (every risk kind,
    release tracks, licences, fine-tuning), on paths that do and do not fire events."""
    sc = load_scenario(path)
    paths = 1500  # one full RNG block and a partial one
    x = inputs_from_uniforms(sc.inputs, path_uniforms(sc, 5, paths, "random"))
    shocks = draw_shocks(sc, x, 5, 0, paths)
    with_events = kernel.run(sc, x, shocks)
    alone = kernel.run(sc, x, shocks.without_events())
    assert np.array_equal(with_events.npv_no_events_usd, alone.npv_usd)
    assert np.array_equal(alone.npv_no_events_usd, alone.npv_usd)
    copied = with_events.npv_no_events_usd == with_events.npv_usd
    assert not copied.all()  # the events changed some costs, so the reference was recomputed


def test_an_autoscaled_fleet_priced_on_one_path_is_not_reused_on_the_next() -> None:
    """The kernel remembers an autoscaled fleet's GPUs per strategy, option and month for the
    no-event reference pass (``tco.kernel.bills.remembered_fleet``), keyed on the path. Paths with
    the same traffic (100M requests a month, no growth) but target utilisations drawn between 0.4
    and 0.8 need fleets about twice apart, so a fleet remembered from the previous path would bill
    the wrong GPUs: each path's NPV must equal that path run alone, bit for bit."""
    data = raw()
    data["workload"] = {**data["workload"], "requests_per_month": 100_000_000,
                        "hourly_profile": [0.5] * 12 + [1.5] * 12}
    data["options"]["hosted"] = {**HOSTED, "autoscale": True,
                                 "target_utilization": {"triangular": [0.4, 0.6, 0.8]}}
    data["strategies"] = {"self": {"mix": {"hosted": 1.0}, "fallback": "api"}}
    sc = build(data)
    paths = 6
    x = inputs_from_uniforms(sc.inputs, path_uniforms(sc, 3, paths, "random"))
    together = kernel.run(sc, x, Shocks(paths), want_cost=True)
    assert (np.diff(together.npv_usd[:, 0]) != 0.0).all()  # each path's fleet differs from the last
    for p in range(paths):
        alone = kernel.run(sc, {k: v[p:p + 1] if v.shape[0] == paths else v for k, v in x.items()},
                           Shocks(1), want_cost=True)
        assert np.array_equal(alone.npv_usd[0], together.npv_usd[p])
        assert np.array_equal(alone.cost_usd[0], together.cost_usd[p])


def test_a_path_keeps_nothing_of_the_path_before_but_what_it_would_compute() -> None:
    """Within a block the kernel reuses the previous path's work where the inputs are the same
    (its traffic series when requests, growth and tokens per request repeat; its discount
    factors) and keeps option states from one path to the next (an option no event fell on is
    not recomputed in the no-event pass). Traffic inputs and price trends drawn from two values
    each, in runs of different lengths, and hand-placed price events on every third path mix
    paths that can and cannot reuse; each path's NPV, no-event NPV, monthly cost and tokens must
    equal that path run alone (no previous path), bit for bit. A cache that kept a stale series
    would bill the previous path's traffic."""
    data = raw()
    data["options"]["api"] = {**data["options"]["api"], "price_trend_per_year": -0.2}
    data["risks"] = [{"kind": "price_change", "on": ["api"], "annual_probability": 0.5,
                      "multiplier": 1.5}]
    sc = build(data)
    months = sc.horizon_months
    trends = [-0.2, -0.2, -0.1, -0.2, -0.1, -0.1, -0.1, -0.2, -0.2, -0.1, -0.2, -0.2]
    requests = [1e6, 1e6, 1e6, 2e6, 2e6, 1e6, 1e6, 1e6, 1e6, 2e6, 2e6, 2e6]
    growth = [0.02, 0.02, 0.05, 0.05, 0.05, 0.05, 0.02, 0.02, 0.05, 0.05, 0.05, 0.02]
    tokens_in = [1000, 1000, 1000, 1000, 1000, 1000, 1500, 1500, 1500, 1500, 1000, 1000]
    paths = len(trends)
    x = inputs_from_uniforms(sc.inputs, path_uniforms(sc, 3, paths, "random"))
    x["options.api.price_trend_per_year"] = np.array(trends)
    x["workload.requests_per_month"] = np.array(requests)
    x["workload.growth_per_month"] = np.array(growth)
    x["workload.input_tokens_per_request"] = np.array(tokens_in, dtype=float)
    fired = np.zeros((paths, months), dtype=bool)
    fired[::3, 5] = True
    impact = np.full(int(fired.sum()), 1.5)
    shocks = Shocks(paths, fired={(0, "api"): fired}, impact={(0, "api"): impact},
                    weeks={(0, "api"): np.zeros_like(impact)})
    together = kernel.run(sc, x, shocks, want_cost=True)
    for p in range(paths):
        one = {k: v[p:p + 1] if v.shape[0] == paths else v for k, v in x.items()}
        mine = int(fired[p].sum())
        before = int(fired[:p].sum())
        alone = kernel.run(sc, one, Shocks(1, fired={(0, "api"): fired[p:p + 1]},
                                           impact={(0, "api"): impact[before:before + mine]},
                                           weeks={(0, "api"): np.zeros(mine)}), want_cost=True)
        assert np.array_equal(alone.npv_usd[0], together.npv_usd[p]), p
        assert np.array_equal(alone.npv_no_events_usd[0], together.npv_no_events_usd[p]), p
        assert np.array_equal(alone.cost_usd[0], together.cost_usd[p]), p
        assert alone.tokens[0] == together.tokens[p], p
    assert len(set(together.tokens)) == 7  # (requests, growth, tokens) take 7 distinct values
    assert len(set(together.npv_usd[:, 0])) > 5


def test_the_no_event_reference_keeps_no_month_of_an_event_and_every_month_before_one() -> None:
    """The no-event pass keeps an option's index from the pass with events in the months before
    its first event (``State.first_event``: no impact had fired there) and recomputes the rest.
    Hand-placed price events, one path per first month (0 to 11, then none), a second event
    later on some, on a noisy price: each path's no-event NPV must equal the same path run with
    no event at all, bit for bit, and differ from the with-events NPV wherever an event fired."""
    data = raw()
    data["options"]["api"] = {**data["options"]["api"], "price_volatility_per_year": 0.3,
                              "price_trend_per_year": -0.2}
    data["risks"] = [{"kind": "price_change", "on": ["api"], "annual_probability": 0.5,
                      "multiplier": 1.5}]
    sc = build(data)
    months = sc.horizon_months
    paths = months + 1  # path m's first event falls in month m; the last path has none
    x = inputs_from_uniforms(sc.inputs, path_uniforms(sc, 3, paths, "random"))
    fired = np.zeros((paths, months), dtype=bool)
    for m in range(months):
        fired[m, m] = True
        fired[m, min(months - 1, m + 3)] = True  # a later one too (the same month at the end)
    impact = np.full(int(fired.sum()), 1.5)
    noise = np.random.default_rng(0).standard_normal((paths, months))
    shocks = Shocks(paths, noise={"api": noise}, fired={(0, "api"): fired},
                    impact={(0, "api"): impact}, weeks={(0, "api"): np.zeros_like(impact)})
    with_events = kernel.run(sc, x, shocks)
    alone = kernel.run(sc, x, shocks.without_events())
    assert np.array_equal(with_events.npv_no_events_usd, alone.npv_usd)
    assert (with_events.npv_usd[:months] != alone.npv_usd[:months]).all()
    assert with_events.npv_usd[months] == alone.npv_usd[months]
