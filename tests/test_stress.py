"""Stress tests: an exit's switching cost against a closed form."""

from __future__ import annotations

import pytest

from tco.stress import stress
from tests.conftest import PER_REQUEST_API, build


def test_exit_switching_cost_in_a_stress_test() -> None:
    """Exit of the API in month 3 (r = 0): traffic moves to the $0.002 backup for months 3-11
    (-9 x $4,000), plus (10 weeks x $1,000 + $5,000) x (1 - 0.25) + one month of dual running on
    the backup (1M x $0.002): impact = -36,000 + 11,250 + 2,000 = -$22,750."""
    sc = build(**{"strategies__api-only__portability": 0.25},
               switching={"engineer_weeks": 10, "usd_per_engineer_week": 1000,
                          "dual_running_months": 1, "dual_running_share": 1.0, "one_off_usd": 5000})
    frame = stress(sc, "exit", "api", 3)
    assert frame["impact_usd"].iloc[0] == pytest.approx(-22_750.0, rel=1e-12)


def test_a_forced_price_change_takes_the_risks_adverse_p90_size() -> None:
    """A price change whose size is lognormal(median 0.85, p90 2.0), forced in month 3 (r = 0):
    the stress takes the P90, x2.0, not the median cut. Months 3-11 cost 1M x $0.006 x (2.0 - 1)
    more each: impact = 9 x $6,000 = +$54,000, and the words say so."""
    sc = build(risks=[{"kind": "price_change", "on": ["api"], "annual_probability": 0.2,
                       "multiplier": {"lognormal": {"median": 0.85, "p90": 2.0}}}])
    frame = stress(sc, "price_change", "api", 3)
    assert frame["impact_usd"].iloc[0] == pytest.approx(9 * 1e6 * PER_REQUEST_API * 1.0, rel=1e-9)
    assert frame["event_size"].iloc[0] == "price multiplier x2.00 (the risk's P90)"
    assert frame["why"].iloc[0] == "cost rises by $54.0k: api's prices x2.00"


def test_a_fixed_size_is_forced_as_it_is() -> None:
    sc = build(risks=[{"kind": "price_change", "on": ["api"], "annual_probability": 0.2,
                       "multiplier": 0.5}])
    frame = stress(sc, "price_change", "api", 3)
    assert frame["impact_usd"].iloc[0] == pytest.approx(-9 * 1e6 * PER_REQUEST_API * 0.5, rel=1e-9)
    assert frame["event_size"].iloc[0] == "price multiplier x0.50 (the risk's size)"
    assert frame["why"].iloc[0].startswith("cost falls by $27.0k: ")  # a fall says so in words


def test_an_exit_says_where_the_traffic_goes_and_how_much_cheaper() -> None:
    """The API ($0.006 a request) exits; its traffic moves to the backup ($0.002): 3x cheaper, and
    the strategy's cost falls by $22,750 (the closed form above). A strategy that never touches the
    API says so."""
    sc = build(**{"strategies__api-only__portability": 0.25,
                  "strategies__backup-only": {"mix": {"backup": 1.0}}},
               switching={"engineer_weeks": 10, "usd_per_engineer_week": 1000,
                          "dual_running_months": 1, "dual_running_share": 1.0, "one_off_usd": 5000})
    frame = stress(sc, "exit", "api", 3).set_index("strategy")
    assert frame.loc["api-only", "why"] == "cost falls by $22.8k: traffic moves to backup, 3x cheaper"
    assert frame.loc["backup-only", "why"] == "does not use api"
    assert set(frame["event_size"]) == {"api loses all its traffic"}


def test_no_two_named_stresses_of_a_shipped_scenario_say_the_same_thing() -> None:
    """A stress that repeats another (the licence of one family forced on two of its fleets
    reaches all of them, the same fact) shows the reader one result twice under two names: each
    shipped scenario's named stresses differ in their impact on some strategy."""
    import tco
    from tco.stress import named_stresses
    from tests.conftest import ROOT

    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        if path.stem.startswith("portfolio"):
            continue
        frame = named_stresses(tco.load_scenario(path))
        impacts = [tuple(rows["impact_usd"].round(2)) for _, rows in frame.groupby("stress", sort=False)]
        assert len(set(impacts)) == len(impacts), path.stem
