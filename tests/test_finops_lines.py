"""The costs a FinOps review looks for beyond tokens and GPUs: which strategies have no line for
them, named in the verdict."""

from __future__ import annotations

import pytest

from tco.load import load_scenario
from tco.report import missing_sentence, not_included, verdict
from tco.simulate import simulate
from tests.conftest import HOSTED, ROOT, SCENARIOS, build, raw


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


def test_the_flagship_story_carries_staff_observability_storage_and_egress_on_every_strategy() -> None:
    sc = load_scenario(ROOT / "scenarios" / "open-model-goes-closed.yaml")
    assert set(not_included(sc).values()) == {("evaluation",)}


@pytest.mark.parametrize("path", [p for p in SCENARIOS if p.stem != "regulated-in-house"],
                         ids=lambda p: p.stem)
def test_storage_and_egress_lines_follow_the_stories_token_shapes(path) -> None:
    """Recomputed from the cited list prices and the story's own request shape: storage keeps 4
    bytes a token for 12 months at $0.020 per GB-month, 4e6 x 0.020 x 12 / 1e9 = $0.00096 per 1M
    tokens; egress sends 40 bytes an output token at $0.12 per GB, out / (in + out) x 40e6 x
    0.12 / 1e9 per 1M tokens (to the 6 decimals the file writes). A story whose request shape
    changes without its lines fails here."""
    sc = load_scenario(path)
    tokens_in = sc.inputs.params["workload.input_tokens_per_request"].nominal
    tokens_out = sc.inputs.params["workload.output_tokens_per_request"].nominal
    egress = round(tokens_out / (tokens_in + tokens_out) * 40e6 * 0.12 / 1e9, 6)
    for name, strategy in sc.strategies.items():
        lines = {c.covers: c for c in strategy.other_costs}
        assert lines["storage"].usd_per_mtok == pytest.approx(4e6 * 0.020 * 12 / 1e9, rel=1e-12), name
        assert lines["egress"].usd_per_mtok == pytest.approx(egress, rel=1e-12), name


PLATFORM_FTE = {
    ("open-model-goes-closed", "api-only"): 0.5, ("open-model-goes-closed", "hosted-then-own"): 0.5,
    ("open-release-slips", "api-only"): 0.5, ("api-price-shock", "gemini-only"): 0.5,
    ("api-price-shock", "multi-vendor"): 0.75, ("own-fine-tuning", "rent-fine-tuning"): 0.25,
    ("partial-open-release", "api"): 0.25, ("partial-open-release", "hosted-then-own"): 0.25,
    ("startup-api-cheaper", "api"): 0.1,
}
"""The platform staff each story gives a strategy with no ops team in its mix (judgement, as
the files say): 0.5 FTE for one frontier vendor at 20-30M requests a month, 0.75 for two, 0.25
at 8M, 0.1 in the seed-stage startup."""


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_strategy_of_every_story_carries_staff(path) -> None:
    """No shipped strategy leaves staff out: an API strategy carries a platform staff line worth
    its FTE share x the story's own self-hosting FTE-year / 12, to the dollar (0.5 x 220,000 / 12
    = $9,167; 0.75 x 230,000 / 12 = $14,375; 0.1 x 200,000 / 12 = $1,667)."""
    sc = load_scenario(path)
    assert not [s for s, missing in not_included(sc).items() if "staff" in missing]
    salaries = {sc.inputs.params[k].nominal for k in sc.inputs.params if k.endswith(".usd_per_fte_year")}
    assert len(salaries) == 1, salaries  # one salary per story: the one its self-hosting uses
    fte_year_usd = salaries.pop()
    for name, strategy in sc.strategies.items():
        staff = [c.usd_per_month for c in strategy.other_costs if c.covers == "staff"]
        share = PLATFORM_FTE.get((path.stem, name))
        assert staff == ([] if share is None else [round(share * fte_year_usd / 12)]), name
