"""Option kinds: a self-hosted option resolves against the model and GPU catalogs, or says why not."""

from __future__ import annotations

from tco.load import validate
from tests.conftest import HOSTED, message, raw


def hosted_data(**extra) -> dict:
    data = raw()
    data["options"]["hosted"] = {**HOSTED, **extra}
    data["strategies"]["self"] = {"mix": {"hosted": 1.0}, "fallback": "api"}
    return data


def test_self_hosted_rules() -> None:
    assert message(hosted_data(model="llama-9000")) == (
        "options.hosted.model: unknown model 'llama-9000' (did you mean llama-2-70b, llama-3.3-70b, "
        "llama-3.1-70b)")
    assert message(hosted_data(gpu="h1000")) == (
        "options.hosted.gpu: unknown GPU 'h1000' (did you mean h200, h100-sxm, a100-80gb)")
    # FP8 weights on an A100 are a weight-only format: stored in 8 bits, computed in BF16.
    plan = validate(hosted_data(gpu="a100-80gb", precision="fp8",
                                usd_per_gpu_hour=2.0)).inputs.plans["hosted"]
    assert plan.weights_gb == validate(hosted_data(precision="fp8")).inputs.plans["hosted"].weights_gb
    assert message(hosted_data(purchase={"usd_per_gpu": 1})) == (
        "options.hosted.purchase: give usd_per_gpu_hour (rented) or purchase (bought), not both")
    assert message(hosted_data(max_inter_token_ms=0.05, tokens_per_second_per_gpu=None)) == (
        "options.hosted.max_inter_token_ms: 0.05 ms cannot be met by llama-3.1-8b on h100-sxm "
        "(3 ms at batch 1)")
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


def test_each_kind_fills_only_the_records_it_declares() -> None:
    """A kind's ``fill`` writes its own small records (``OptionKind.rows``) and leaves every other
    record of the kernel's inputs at rest: an API option has no fleet, a self-hosted one no
    commitment. Checked on every option of every shipped story, against freshly blank records."""
    from types import SimpleNamespace

    import numpy as np

    import tco
    import tco.options as options
    from tco.model import nominal_inputs
    from tco.options.table import OptionInputs
    from tco.views import workload
    from tests.conftest import SCENARIOS

    seen = set()
    for path in SCENARIOS:
        sc = tco.load_scenario(path)
        x = nominal_inputs(sc.inputs)
        _, w = workload(sc, x, 1)
        n = len(sc.options)
        for j, (name, option) in enumerate(sc.options.items()):
            kind = options.of(option)
            rows = SimpleNamespace(**{r: row.blank(n, 1, sc.horizon_months)
                                      for r, row in options.ROWS.items()})
            kind.fill(rows, j, OptionInputs(x, f"options.{name}.", 1), w, option,
                      sc.inputs.plans.get(name), sc.workload.profile)
            for record, row in options.ROWS.items():
                rest = row.blank(n, 1, sc.horizon_months)
                same = all(np.array_equal(getattr(getattr(rows, record), f), getattr(rest, f))
                           for f in row.record._fields)
                assert same or record in kind.rows, (path.stem, name, record)
            assert not all(np.array_equal(getattr(rows.common, f), getattr(
                options.ROWS["common"].blank(n, 1, sc.horizon_months), f))
                for f in options.ROWS["common"].record._fields), (path.stem, name)
            seen.add(kind.name)
    assert seen == set(options.REGISTRY)
