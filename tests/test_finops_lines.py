"""The costs a FinOps review looks for beyond tokens and GPUs: which strategies have no line for
them, named in the verdict."""

from __future__ import annotations

from tco.load import load_scenario
from tco.report import missing_sentence, not_included, verdict
from tco.simulate import simulate
from tests.conftest import HOSTED, ROOT, build, raw


def _two() -> dict:
    data = raw()
    data["options"]["own"] = dict(HOSTED)  # ops_fte 1.0: its strategy has staff
    data["strategies"] = {
        "api-only": {"mix": {"api": 1.0}, "fallback": "own",  # the fallback's staff does not count
                     "other_costs": [{"name": "tracing", "covers": "observability",
                                      "usd_per_month": 100}]},
        "own": {"mix": {"own": 1.0}, "fallback": "api"},
    }
    return data


def test_each_strategy_lacks_what_no_line_of_it_covers() -> None:
    sc = build(_two())
    assert not_included(sc) == {"api-only": ("staff", "storage", "egress", "evaluation"),
                                "own": ("observability", "storage", "egress", "evaluation")}
    assert missing_sentence(sc) == ("Not included: storage, egress and evaluation (no strategy has "
                                    "a line for them); staff in api-only; observability in own.")


def test_the_verdict_ends_with_the_missing_lines() -> None:
    sc = build(_two())
    assert verdict(simulate(sc, paths=64, seed=1)).endswith(missing_sentence(sc))


def test_a_strategy_covering_everything_adds_nothing() -> None:
    data = _two()
    every = [{"name": c, "covers": c, "usd_per_month": 1} for c in
             ("staff", "observability", "storage", "egress", "evaluation")]
    for strategy in data["strategies"].values():
        strategy["other_costs"] = every
    assert missing_sentence(build(data)) == ""


def test_the_flagship_story_carries_staff_and_observability_on_every_strategy() -> None:
    sc = load_scenario(ROOT / "scenarios" / "open-model-goes-closed.yaml")
    assert set(not_included(sc).values()) == {("storage", "egress", "evaluation")}
