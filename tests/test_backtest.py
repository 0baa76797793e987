"""The replay of real history: one event replays exactly as its stress test, two events match a hand
computation to the cent, the percentile is reproducible, the command line refuses bad windows in one
line, and every shipped scenario runs.

Synthetic ledgers pass through ``ledger.validate``, so the replay sees what it sees in the shipped file.
"""

from __future__ import annotations

import copy
import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

import tco.backtest as backtest
import tco.hazards as hazards
import tco.ledger as ledger
import tco.prices as prices
from tco.__main__ import main
from tco.errors import ScenarioError
from tco.load import load_scenario, validate
from tco.model import evaluate
from tco.simulate import simulate
from tco.stress import stress
from tco.yamlio import to_dict
from tests.conftest import ROOT, SCENARIOS

AS_OF = dt.date(2026, 1, 15)
PRICE_SHOCK = ROOT / "scenarios" / "api-price-shock.yaml"
GOES_CLOSED = ROOT / "scenarios" / "open-model-goes-closed.yaml"


def row(date: str, kind: str, model: str, provider: str = "acme", **values: str) -> dict[str, str]:
    base = {c: "" for c in ledger.COLUMNS}
    base.update(date=date, provider=provider, model=model, kind=kind, source="https://example.com/ledger",
                as_of=AS_OF.isoformat(), derived_from="synthetic")
    base.update(values)
    return base


def timeline(*rows: dict[str, str]) -> ledger.Timeline:
    return ledger.Timeline(ledger.validate(pd.DataFrame(list(rows), columns=list(ledger.COLUMNS))))


def with_history(path, **histories: list[str]):
    data = to_dict(load_scenario(path).scenario)
    for option, entries in histories.items():
        data["options"][option]["history"] = entries
    return validate(data)


@pytest.mark.parametrize(("kind", "ledger_row", "size"), [
    # The scenario's own sizes at their nominal values: a 1.5x price rise, a successor at 0.87x.
    ("price_change", row("2024-06-10", "price_change", "m1", price_multiplier_blend_3in_1out="1.5"), 1.5),
    ("deprecation", row("2024-06-10", "retirement_effective", "m1", successor="m2",
                        successor_price_multiplier_blend_3in_1out="0.87"), 0.87),
])
def test_one_replayed_event_equals_its_stress_test(kind: str, ledger_row: dict, size: float) -> None:
    """A single ledger event in 2024-06 is month 5 of a window from 2024-01; its replay is the stress
    test of that event in month 5 with the same size, on the same re-based scenario."""
    sc = with_history(PRICE_SHOCK, gemini=["acme/m1"])
    led = timeline(row("2023-06-01", "release_api", "m1"), ledger_row)
    result = backtest.backtest(sc, "2024-01", 24, paths=200, timeline=led)
    assert result.events["applied"].tolist() == [True] and result.events["month"].tolist() == [5]
    own = next(i for i, r in enumerate(sc.risks) if r.kind == kind and "gemini" in r.on)
    assert sc.inputs.impact(own, sc.scenario).nominal == size  # the stress test's size is the ledger's
    stressed = stress(result.scenario, kind, "gemini", 5, size=size)  # not the default P90
    np.testing.assert_allclose(result.realised_npv_usd, stressed["stressed_npv_usd"], rtol=1e-9, atol=0)
    assert not np.allclose(result.realised_npv_usd, stressed["base_npv_usd"])  # the event did something


def test_a_licence_turn_replays_as_its_stress_test_and_only_the_first_counts() -> None:
    """Two tightened Llama licences (2024-09 and 2025-04) on an option running Llama 3.3: the first
    is the stress test of a licence change in month 8; the second has no further effect."""
    data = to_dict(load_scenario(GOES_CLOSED).scenario)  # without the hosted Llama, whose own
    del data["options"]["llama-hosted"], data["strategies"]["hosted-then-own"]  # licence would
    data["risks"] = [{**r, "on": [o for o in r["on"] if o != "llama-hosted"]} for r in data["risks"]
                     if r["on"] != ["llama-hosted"]]  # turn too
    data["stresses"] = [s for s in data["stresses"] if s["on"] != "llama-hosted"]
    sc = validate(data)
    led = timeline(row("2024-12-06", "release_open", "llama-3.3", provider="meta"),
                   row("2024-09-25", "licence_change", "llama-3.2", provider="meta", direction="tightened"),
                   row("2025-04-05", "licence_change", "llama-4", provider="meta", direction="tightened"),
                   row("2025-01-30", "licence_change", "llama-x", provider="meta", direction="loosened"))
    result = backtest.backtest(sc, "2024-01", 24, paths=200, timeline=led)
    assert result.histories["llama-70b"].entries == ("meta/llama",)
    assert result.events["applied"].tolist() == [True, False]  # the loosened licence is no event
    assert "only the first" in result.events["note"].iloc[1]
    stressed = stress(result.scenario, "licence_change", "llama-70b", 8)
    np.testing.assert_allclose(result.realised_npv_usd, stressed["stressed_npv_usd"], rtol=1e-9, atol=0)


HAND: dict = {
    "name": "hand", "start": "2025-01", "horizon_months": 6, "discount_rate_per_year": 0.0,
    "workload": {"requests_per_month": 1_000_000, "input_tokens_per_request": 1000,
                 "output_tokens_per_request": 200},
    "options": {"api": {"kind": "api", "input_usd_per_mtok": 2.0, "output_usd_per_mtok": 10.0,
                        "history": ["acme/model-a"]}},
    "strategies": {"solo": {"mix": {"api": 1.0}, "portability": 0.25}},
    "switching": {"engineer_weeks": 2, "usd_per_engineer_week": 5000, "one_off_usd": 1000,
                  "dual_running_months": 0.5, "dual_running_share": 1.0},
}


def test_a_price_cut_then_a_retirement_match_the_hand_computation() -> None:
    """One API option, 1M requests a month of 1,000 input and 200 output tokens at $2 and $10 per
    million: a request costs (1000 x 2 + 200 x 10) / 1e6 = $0.004, a month $4,000. No discounting.

    - 2025-02-10: list price x0.5 (month 1): $2,000 a month from month 1.
    - 2025-04-15: model-a retired, successor at x1.5 of its price (month 3): $3,000 a month from
      month 3, plus the migration: (2 weeks x $5,000 + $1,000 one-off) x (1 - 0.25 portability)
      = $8,250, plus 0.5 months of dual running of all traffic at the successor's price: $1,500.

    Months: 4,000; 2,000; 2,000; 3,000 + 8,250 + 1,500 = 12,750; 3,000; 3,000. NPV = $26,750.00.
    """
    sc = validate(copy.deepcopy(HAND))
    led = timeline(row("2024-01-01", "release_api", "model-a"),
                   row("2025-02-10", "price_change", "model-a", price_multiplier_blend_3in_1out="0.5"),
                   row("2025-04-15", "retirement_effective", "model-a", successor="model-b",
                       successor_price_multiplier_blend_3in_1out="1.5"))
    result = backtest.backtest(sc, "2025-01", 6, paths=100, timeline=led)
    assert result.events["month"].tolist() == [1, 3]
    assert result.realised_npv_usd[0] == pytest.approx(26_750.00, abs=0.005)
    np.testing.assert_allclose(result.realised_cumulative_usd[0],
                               [4_000, 6_000, 8_000, 20_750, 23_750, 26_750], rtol=0, atol=0.005)


def test_a_missing_successor_price_is_taken_as_one_and_said() -> None:
    sc = validate(copy.deepcopy(HAND))
    led = timeline(row("2024-01-01", "release_api", "model-a"),
                   row("2025-04-15", "retirement_effective", "model-a", successor="model-b"))
    result = backtest.backtest(sc, "2025-01", 6, paths=100, timeline=led)
    assert result.events["applied"].tolist() == [True]
    assert result.events["note"].iloc[0] == backtest.ASSUMED_SUCCESSOR
    # x1: months 4,000 each, plus 8,250 of effort and 0.5 x 4,000 of dual running in month 3.
    assert result.realised_npv_usd[0] == pytest.approx(6 * 4_000 + 8_250 + 2_000, abs=0.005)


def test_the_percentile_is_against_a_simulation_with_the_same_seed_bit_for_bit() -> None:
    sc = load_scenario(GOES_CLOSED)
    first = backtest.backtest(sc, "2024-01", 24, paths=2_000, seed=11)
    again = backtest.backtest(sc, "2024-01", 24, paths=2_000, seed=11)
    pd.testing.assert_frame_equal(first.summary(), again.summary(), check_exact=True)
    npv = simulate(backtest.rebase(sc, backtest.Window("2024-01", 24)), paths=2_000, seed=11).npv_usd
    expected = [100 * np.mean(npv[:, s] < r) + 50 * np.mean(npv[:, s] == r)
                for s, r in enumerate(first.realised_npv_usd)]
    assert first.summary()["percentile"].tolist() == pytest.approx(expected, rel=0, abs=1e-9)
    other = backtest.backtest(sc, "2024-01", 24, paths=2_000, seed=12)
    assert not np.array_equal(other.summary()["simulated_p95_usd"], first.summary()["simulated_p95_usd"])


def test_percentile_counts_ties_half() -> None:
    assert backtest.percentile(np.array([1.0, 2.0, 2.0, 3.0]), 2.0) == 50.0
    assert backtest.percentile(np.array([1.0, 2.0, 3.0, 4.0]), 0.5) == 0.0


def test_the_window_is_the_scenarios_months_from_the_start() -> None:
    """Month 0 is --from; without --months the window runs for the horizon, cut at the ledger's end."""
    sc = load_scenario(GOES_CLOSED)  # 36 months
    led = ledger.Timeline()
    assert backtest.parse_window(sc, "2024-01", None, led) == backtest.Window("2024-01", 35)
    assert backtest.parse_window(sc, "2023-01", None, led) == backtest.Window("2023-01", 36)
    window_sc = backtest.rebase(sc, backtest.Window("2024-01", 35))
    assert (window_sc.start, window_sc.horizon_months, window_sc.stresses) == ("2024-01", 35, ())
    assert backtest.default_start(led) == "2024-12"  # 24 months ending with the snapshot's month 2026-11


@pytest.mark.parametrize(("args", "field", "rule"), [
    (["--from", "2024-1"], "--from", "must be a month written YYYY-MM"),
    (["--from", "2024-13"], "--from", "must be a month written YYYY-MM"),
    (["--from", "January 2024"], "--from", "must be a month written YYYY-MM"),
    (["--from", "2027-01"], "--from", "must be between 2023-01 and 2026-11"),
    (["--from", "2022-12"], "--from", "must be between 2023-01 and 2026-11"),
    (["--from", "2024-01", "--months", "0"], "--months", "must be a whole number of at least 1"),
    (["--from", "2024-01", "--months", "-5"], "--months", "must be a whole number of at least 1"),
    (["--from", "2024-01", "--months", "36"], "--months", "must be at most 35"),
    (["--from", "2024-01", "--paths", "0"], "--paths", "must be between 1 and"),
])
def test_bad_windows_are_one_line_exit_2(args: list[str], field: str, rule: str, capsys) -> None:
    assert main(["backtest", str(PRICE_SHOCK), *args]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {field}: {rule}"), captured.err
    assert "Traceback" not in captured.err and captured.out == ""


def test_the_command_names_options_without_history_in_one_line_and_exits_0(capsys) -> None:
    assert main(["backtest", str(PRICE_SHOCK), "--from", "2024-01", "--paths", "500"]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.startswith("No history to replay")]
    # Named as a reader knows them: the price catalog's model names, not its keys.
    gemini, gpt = (prices.lookup(key).name for key in ("google/gemini-4-argon", "openai/gpt-6.1-sol"))
    assert lines == [f"No history to replay for gemini ({gemini}), gpt ({gpt}): "
                     "the scenario gives none and the event ledger has no rows for that model or its "
                     "family, so the replay has no events there."]
    for strategy in load_scenario(PRICE_SHOCK).strategies:
        assert strategy in out
    assert "2024-01 to 2025-12 (24 months)" in out


def test_the_json_object(capsys) -> None:
    assert main(["backtest", str(GOES_CLOSED), "--from", "2024-01", "--months", "24", "--paths", "500",
                 "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["from"], data["to"], data["months"]) == ("2024-01", "2025-12", 24)
    assert data["no_history"] == [] and data["ledger"]["as_of"] == "2026-11-09"
    licence = [e for e in data["events"] if e["event"] == "Licence change"]
    assert licence[0]["date"] == "2024-09-25" and licence[0]["applied"] is True
    assert all(e["source"].startswith("https://") for e in data["events"])
    assert set(data["strategies"]) == set(load_scenario(GOES_CLOSED).strategies)
    assert all(0 <= s["percentile"] <= 100 for s in data["strategies"].values())


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_shipped_scenario_replays_from_2024_01(path, capsys) -> None:
    assert main(["backtest", str(path), "--from", "2024-01", "--paths", "300"]) == 0
    assert "Realised NPV against 300 simulated paths" in capsys.readouterr().out


def test_a_history_entry_not_in_the_ledger_is_named() -> None:
    sc = with_history(PRICE_SHOCK, gemini=["openai/gpt-4o-2024-05-14"])
    with pytest.raises(ScenarioError) as info:
        backtest.backtest(sc, "2024-01", paths=100)
    assert str(info.value).startswith("options.gemini.history.0: 'openai/gpt-4o-2024-05-14' is not a "
                                      "model in the event ledger (did you mean openai/gpt-4o-2024-05-13)")


def test_catalog_matching_takes_only_unambiguous_models() -> None:
    led = timeline(row("2024-01-01", "release_api", "fast-1-20240101"),
                   row("2024-01-01", "release_api", "big-1-20240101"),
                   row("2024-06-01", "release_api", "big-1-20240601"))
    assert led.match_catalog("acme/fast-1") == "acme/fast-1-20240101"  # its only dated snapshot
    assert led.match_catalog("acme/big-1") is None  # two snapshots: ambiguous
    assert led.match_catalog("acme/fast-1-20240101") == "acme/fast-1-20240101"
    shipped = ledger.Timeline()
    assert shipped.family_of_model("llama-3.3-70b") == "meta/llama"
    assert shipped.family_of_model("qwen3-235b-a22b") == "alibaba/qwen"
    assert shipped.family_of_model("no-such-model") is None


def test_a_chain_follows_its_models_then_the_named_successors() -> None:
    """a retired before the window is skipped; b runs from the window's start, cut to x0.8, retired
    to c (the chain's next); c is retired to d (the ledger's successor), whose price changes count
    only from then on."""
    led = timeline(row("2023-01-01", "release_api", "a"),
                   row("2023-06-01", "retirement_effective", "a", successor="b"),
                   row("2024-02-01", "price_change", "b", price_multiplier_blend_3in_1out="0.8"),
                   row("2024-05-01", "retirement_effective", "b", successor="z",
                       successor_price_multiplier_blend_3in_1out="2"),
                   row("2024-04-01", "price_change", "c", price_multiplier_blend_3in_1out="3"),
                   row("2024-09-01", "retirement_announced", "c", successor="d", effective_date="2024-10-01",
                       successor_price_multiplier_blend_3in_1out="0.5"),
                   row("2024-11-01", "price_change", "d", price_multiplier_blend_3in_1out="0.9"))
    events = led.chain_events(("acme/a", "acme/b", "acme/c"), dt.date(2024, 1, 1), dt.date(2025, 1, 1))
    assert [(e.date.isoformat(), e.kind, e.size) for e in events] == [
        ("2024-02-01", "price_change", 0.8), ("2024-05-01", "deprecation", 2.0),
        ("2024-10-01", "deprecation", 0.5), ("2024-11-01", "price_change", 0.9)]


def test_the_realised_path_without_events_is_the_deterministic_model() -> None:
    """A window with nothing to replay costs what the deterministic model says of the same window."""
    sc = validate(copy.deepcopy(HAND))
    led = timeline(row("2024-01-01", "release_api", "model-a"))
    result = backtest.backtest(sc, "2025-01", 6, paths=100, timeline=led)
    expected = evaluate(backtest.rebase(sc, backtest.Window("2025-01", 6))).npv_usd.to_numpy()
    np.testing.assert_allclose(result.realised_npv_usd, expected, rtol=1e-12, atol=0)


def test_cohort_cells_score_each_live_model_against_the_simulated_range() -> None:
    """Cohorts start monthly from 2023-03. A model counts in a cohort when its provider's pages were
    read after the window ends (2026-01-15 here), so the last is 2025-01 (window to 2025-12): 23
    cohorts. model-a is live in each (released 2023-01, never retired) and model-b from 2024-06;
    each is one cell per cohort for 'solo', the only strategy."""
    sc = validate(copy.deepcopy(HAND))
    led = timeline(row("2023-01-01", "release_api", "model-a"),
                   row("2024-06-01", "release_api", "model-b"),
                   row("2024-08-01", "price_change", "model-b", price_multiplier_blend_3in_1out="4"))
    cells = backtest.cohort_cells(sc, 12, led, paths=200)
    assert cells["cohort"].nunique() == 23 and (cells["cohort"].min(), cells["cohort"].max()) == (
        "2023-03", "2025-01")
    assert len(cells) == 23 + 8  # model-b is live at the cohorts 2024-06 .. 2025-01
    quadrupled = cells[(cells["model"] == "acme/model-b") & (cells["cohort"] <= "2024-08")]
    assert (quadrupled["events"] == 1).all() and (quadrupled["percentile"] == 100).all()
    rows = backtest.coverage({"hand": sc}, led, paths=200)
    twelve = next(r for r in rows if r["window_months"] == 12 and r["scenario"] == "all")
    assert twelve["coverage"] == hazards.p5_p95_coverage(cells["realised_npv_usd"], cells["p5_usd"],
                                                         cells["p95_usd"])
    assert twelve["cells"] == len(cells)


def test_the_history_chart_shows_the_simulated_fan_the_realised_path_and_labelled_events() -> None:
    from tco.figures.history import event_frame, history_figure, history_spec, realised_frame

    sc = validate(copy.deepcopy(HAND))
    led = timeline(row("2024-01-01", "release_api", "model-a"),
                   row("2025-02-10", "price_change", "model-a", price_multiplier_blend_3in_1out="0.5"))
    result = backtest.backtest(sc, "2025-01", 6, paths=100, timeline=led)
    spec = history_spec(result)
    q = result.simulation.monthly_percentiles()
    np.testing.assert_array_equal(spec.frame["y"], q["p50_cumulative_usd"])
    np.testing.assert_array_equal(spec.frame["high"], q["p95_cumulative_usd"])
    assert spec.frame["x"].iloc[0] == dt.date(2025, 1, 1) and set(spec.frame["series"]) == {
        "solo: realised at P0"}  # a price cut the simulation never draws: below every path
    np.testing.assert_array_equal(realised_frame(result)["cumulative_usd"], result.realised_cumulative_usd[0])
    marks = event_frame(result)
    assert marks["label"].tolist() == ["Price change on api, x0.5 price (2025-02-10)"]
    assert marks["cumulative_usd"].tolist() == [6_000.0]
    names = {trace.name for trace in history_figure(result).data}
    assert {"Realised: the ledger's events replayed", "Price change"} <= names


def test_history_event_markers_carry_no_text_that_could_collide() -> None:
    """Two events weeks apart (as in open-model-goes-closed) wrote their labels over each other and
    over the lines: the markers carry no text, and the legend names every kind."""
    from tco.figures.history import history_figure

    sc = validate(copy.deepcopy(HAND))
    led = timeline(row("2024-01-01", "release_api", "model-a"),
                   row("2025-02-10", "price_change", "model-a", price_multiplier_blend_3in_1out="0.5"),
                   row("2025-03-01", "price_change", "model-a", price_multiplier_blend_3in_1out="0.8"))
    fig = history_figure(backtest.backtest(sc, "2025-01", 6, paths=100, timeline=led))
    markers = [t for t in fig.data if t.mode and "markers" in t.mode]
    assert markers and all(t.mode == "markers" and t.text is None for t in markers)
    legend = {t.name for t in fig.data if t.showlegend is not False}
    assert {t.name for t in markers} <= legend


def test_a_strategy_with_no_history_to_replay_is_not_called_realised() -> None:
    """api-price-shock's gemini and gpt have no history: gemini-only (gemini, falling back to gpt)
    replays nothing, so neither its chart panel nor its table row reads 'realised at P..'; the two
    strategies that use or fall back to qwen (an open family with ledger rows) do."""
    from tco.figures.history import history_spec, realised_summary

    result = backtest.backtest(load_scenario(PRICE_SHOCK), "2024-01", 24, paths=200)
    assert result.replayed == {"gemini-only": False, "multi-vendor": True, "mostly-self-hosted": True}
    titles = set(history_spec(result).styles)
    assert "gemini-only: no history to replay" in titles
    assert sum(t.startswith("gemini-only: realised") for t in titles) == 0
    row = realised_summary(result).set_index("Strategy").loc["gemini-only"]
    assert row["Percentile of the realised NPV"] == "no history to replay (nominal run)"


def test_histories_are_named_as_a_reader_knows_them() -> None:
    """The ledger's keys never reach a reader: a model is the vendor's own id and the vendor, a
    family its name; the flagship's replay lines say so, in the CLI's text."""
    from tco.option_labels import history_label

    assert history_label("meta/llama", families=True) == "the Llama family (Meta)"
    assert history_label("openai/gpt-4o-2024-05-13", families=False) == "gpt-4o-2024-05-13 (OpenAI)"
    assert history_label("arcee/trinity", families=True) == "the Trinity family (Arcee)"
    sc = load_scenario(ROOT / "scenarios" / "open-model-goes-closed.yaml")
    found = backtest.histories(sc, ledger.Timeline())
    words = {name: backtest.history_words(sc, name, h) for name, h in found.items() if h}
    assert words == {"frontier-api": "claude-sonnet-4-6 (Anthropic)",
                     "llama-70b": "the Llama family (Meta)", "llama-hosted": "the Llama family (Meta)"}


def test_a_price_step_that_leaves_the_3_to_1_request_unchanged_says_what_it_changed() -> None:
    """The ledger keeps a price step that leaves the 3:1 request's price unchanged only when it
    changes a 300,000 + 100,000 token request, so a size of x1 reads as that, not as no event;
    x0.5 reads as it is."""
    def event(size: float) -> ledger.LedgerEvent:
        return ledger.LedgerEvent(dt.date(2025, 6, 1), "price_change", size, "m", "price_change", "", "s")
    sc = None  # read only for a licence turn's escalation
    expected = "x1 on a 3:1 request (the step changed long-context prices)"
    assert backtest._size(sc, event(1.0002), "api") == expected
    assert backtest._size(sc, event(0.5), "api") == "x0.5 price"  # type: ignore[arg-type]
