"""The deterministic model: the cost kernel on nominal inputs with one path and no shocks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

import tco._runtime as runtime
import tco.calendar as calendar
import tco.kernel as kernel
import tco.limits as limits
import tco.options as options
from tco.draws import Shocks
from tco.errors import ScenarioError
from tco.fields import EXTREME_U
from tco.inputs import Resolved
from tco.kernel import KernelResult
from tco.load import Loaded
from tco.units import TOKENS_PER_MTOK
from tco.views import Strategies

if TYPE_CHECKING:  # pandas is imported where a table is built: 65 MB a run does not need
    import pandas as pd

BREAK_EVEN_RANGE = (1e-3, 1e3)
"""Break-even volumes are searched from 1/1000 to 1000 times the scenario's month-0 volume."""
CURVE_SPAN = 100.0
"""Run-rate curves are drawn from 1/100 to 100 times the scenario's month-0 volume."""


def nominal_inputs(resolved: Resolved) -> dict[str, np.ndarray]:
    """Every input at its nominal value, as shape ``(1,)`` arrays."""
    return {path: np.array([p.nominal]) for path, p in resolved.params.items()}


@dataclass(frozen=True)
class Evaluation:
    """Deterministic result of a scenario.

    Attributes
    ----------
    monthly
        Tidy frame: strategy, month, line, usd.
    npv_usd
        Net present value per strategy.
    fleet
        Tidy frame: strategy, option, month, gpus, utilization (self-hosted options only).
    cost_per_mtok_usd
        Undiscounted total cost over the horizon divided by millions of tokens served.
    break_even
        One row per (API option, self-hosted option) pair: the month-0 request volume at which their
        monthly costs cross, or NaN with a note when they do not cross within range.
    """

    scenario: Loaded
    monthly: pd.DataFrame
    npv_usd: pd.Series
    fleet: pd.DataFrame
    cost_per_mtok_usd: pd.Series
    break_even: pd.DataFrame
    warnings: tuple[str, ...]
    amortised: pd.DataFrame
    """Monthly cost per strategy (rows) and month (columns) with bought GPUs depreciated
    straight-line over their life instead of paid when bought, and no residual credit."""
    lines: tuple[str, ...]
    """The cost lines of ``monthly``, in order: the declared ones, then named other costs."""

    def __getitem__(self, key):
        return self.monthly[key]

    def __len__(self) -> int:
        return len(self.monthly)

    def by_line(self) -> pd.DataFrame:
        """Total undiscounted cost per strategy (rows) and line (columns)."""
        return self.monthly.pivot_table(index="strategy", columns="line", values="usd",
                                        aggfunc="sum", sort=False)[list(self.lines)]


def require_finite(sc: Loaded, values: np.ndarray) -> None:
    """Turn a non-finite result into a one-line error naming the input most likely to blame.

    Every input is bounded at validation, but compounding (growth over the horizon, price events
    that fire month after month) can still overflow; the blamed input is the one whose largest
    possible value, compounded over the horizon where it compounds, is the largest power of ten.
    """
    if np.isfinite(values).all():
        return
    months = sc.horizon_months
    worst, blamed = -np.inf, "scenario"
    for path, param in sc.inputs.params.items():
        extremes = (param.value.ppf(np.array([EXTREME_U, 1 - EXTREME_U])) if param.uncertain
                    else np.array([param.nominal]))
        top = float(np.max(np.abs(extremes)))
        if path.endswith(("growth_per_month", "multiplier")):
            size = months * np.log10(max(1.0 + top if path.endswith("month") else top, 1.0))
        elif path.endswith("trend_per_year"):
            size = months / 12 * np.log10(1.0 + top)
        else:
            size = np.log10(max(top, 1.0))
        if size > worst:
            worst, blamed = size, path
    raise ScenarioError(blamed, f"makes costs overflow over {months} months (no finite result); "
                        "use a smaller value")


def evaluate_kernel(sc: Loaded, x: dict[str, np.ndarray] | None = None,
                    shocks: Shocks | None = None) -> KernelResult:
    """Run the kernel on nominal inputs (or ``x``) with no shocks (or ``shocks``): one path."""
    x = nominal_inputs(sc.inputs) if x is None else x
    shocks = shocks or Shocks(paths=1)
    if shocks.paths > 1:
        return kernel.run(sc, x, shocks, want_cost=True)
    with runtime.one_thread():
        return kernel.run(sc, x, shocks, want_cost=True)


def evaluate(sc: Loaded) -> Evaluation:
    """Evaluate a scenario deterministically: nominal inputs, no events, no price noise."""
    import pandas as pd  # noqa: PLC0415 - tables only; a run does not load pandas
    result = evaluate_kernel(sc)
    require_finite(sc, result.npv_usd)
    limits.require_bounded(sc, result.npv_usd, lambda x: evaluate_kernel(sc, x).npv_usd)
    strategies = list(sc.strategies)
    months = np.arange(sc.horizon_months)
    frames = []
    calendar_months = calendar.labels(sc.inputs.start, sc.horizon_months)
    for s_i, s_name in enumerate(strategies):
        for l_i, line in enumerate(result.lines):
            frames.append(pd.DataFrame({"strategy": s_name, "month": months,
                                        "calendar_month": calendar_months, "line": line,
                                        "usd": result.line_sum_usd[s_i, l_i]}))
    monthly = pd.concat(frames, ignore_index=True)
    fleet_rows = []
    for s_i, s_name in enumerate(strategies):
        for o_i, (o_name, option) in enumerate(sc.options.items()):
            if options.of(option).billing == "fleet" and result.gpus_sum[s_i, o_i].any():
                fleet_rows.append(pd.DataFrame({
                    "strategy": s_name, "option": o_name, "month": months,
                    "gpus": result.gpus_sum[s_i, o_i], "utilization": result.utilization_sum[s_i, o_i]}))
    fleet = (pd.concat(fleet_rows, ignore_index=True) if fleet_rows else
             pd.DataFrame(columns=["strategy", "option", "month", "gpus", "utilization"]))
    total_usd = result.cost_usd[0].sum(axis=1)
    per_mtok = total_usd / (result.tokens[0] / TOKENS_PER_MTOK) if result.tokens[0] > 0 else (
        np.full(len(strategies), np.nan))
    return Evaluation(
        scenario=sc, monthly=monthly,
        npv_usd=pd.Series(result.npv_usd[0], index=strategies, name="npv_usd"),
        fleet=fleet,
        cost_per_mtok_usd=pd.Series(per_mtok, index=strategies, name="cost_per_mtok_usd"),
        break_even=break_even(sc), warnings=sc.inputs.warnings,
        amortised=pd.DataFrame(result.amortised_sum_usd, index=strategies, columns=months),
        lines=result.lines)


def monthly_run_rate_usd(sc: Loaded, option: str, requests_per_month: np.ndarray,
                         fallback: str | None = None) -> np.ndarray:
    """Month-0 monthly cost of serving all traffic on one option, for several volumes.

    Self-hosted: whole replicas for the peak at target utilisation (at least min_replicas), ops
    staff, missing components and setup spread over the horizon; its escalated share goes to
    ``fallback`` where the kernel's rule allows (it serves other weights), else to the next
    per-token option that does (``_chain``). API: volume x cost per request. Shape ``(volumes,)``.
    """
    volumes = np.asarray(requests_per_month, dtype=float)
    ones = np.ones_like(volumes)
    x = {k: v * ones for k, v in nominal_inputs(sc.inputs).items()}
    x["workload.requests_per_month"] = volumes
    x["workload.growth_per_month"] = 0.0 * ones
    cost = _run_rate(sc, x, option, fallback)
    p, spec = f"options.{option}", sc.options[option]
    kind = options.of(spec)
    setup = sum((x[f"{p}.other_costs.{i}.setup_usd"] for i in range(len(spec.other_costs))),
                0.0 * ones)
    if kind.billing == "fleet":
        setup = setup + x[f"{p}.setup_usd"] + sum(
            x[f"{p}.missing_components.{i}.setup_usd"] for i in range(len(kind.parts(spec))))
    # The kernel charged every one-off in month 0; spread them over the horizon for a run rate,
    # whatever the option's billing (a host's safety parts are set up once too).
    return cost - setup + setup / sc.horizon_months


def _noun(sc: Loaded, option: str) -> str:
    """How a sentence names an option's kind without its article: 'API', 'hosted open-weight option'."""
    return options.of(sc.options[option]).one.split(" ", 1)[1]


def _chain(sc: Loaded, option: str, first: str | None) -> list[str]:
    """The fallback chain of a run rate's one-option strategy: ``first``, then every other
    per-token option in scenario order. Where escalated requests go along it is the kernel's own
    rule (``tco.kernel.traffic.shares``: the first option serving other weights)."""
    rest = [name for name in options.on_side(sc.options, "tokens") if name not in (option, first)]
    return ([first] if first not in (None, option) else []) + rest


def run_rate_curves(sc: Loaded, points: int = 200) -> pd.DataFrame:
    """Month-0 monthly run rate of every option against monthly volume (the break-even chart's data).

    Volumes run from 1/CURVE_SPAN to CURVE_SPAN times the scenario's month-0 volume on a log grid.
    An open-weight option's escalated share goes where the kernel sends it along ``_chain``.
    Columns: option, side ('tokens': billed per token, or 'fleet'; see ``OptionKind.side``),
    requests_per_month, usd_per_month.
    """
    import pandas as pd  # noqa: PLC0415 - tables only; a run does not load pandas
    base = max(sc.inputs.params["workload.requests_per_month"].nominal, 1.0)
    volumes = np.geomspace(base / CURVE_SPAN, base * CURVE_SPAN, points)
    frames = []
    for name, option in sc.options.items():
        side = options.of(option).side
        frames.append(pd.DataFrame({
            "option": name, "side": side,
            "requests_per_month": volumes,
            "usd_per_month": monthly_run_rate_usd(sc, name, volumes)}))
    return pd.concat(frames, ignore_index=True)


def _run_rate(sc: Loaded, x: dict[str, np.ndarray], option: str, fallback: str | None) -> np.ndarray:
    """Month-0 cost of carrying all traffic on one option, one value per path of ``x``, with no
    event fired: the kernel on one strategy made for the purpose, ``{option: 1}`` falling back
    along ``_chain``. (paths,)"""
    paths = np.size(x["workload.requests_per_month"])  # one path per volume
    names = list(sc.options)
    j = names.index(option)
    chain = [names.index(name) for name in _chain(sc, option, fallback)] or [-1]
    zeros = np.zeros((1, paths))
    plan = Strategies(mix_option=np.array([[j]]), mix_share=np.array([[1.0]]),
                      fallback=np.array([chain]), relied=np.array([[j, *chain]]), portability=zeros,
                      overhead_usd=zeros, price_factor=np.ones((1, paths)))
    with runtime.one_thread():  # a few volumes of one month: a parallel region costs more
        result = kernel.run(sc, x, Shocks(paths), want_cost=True, plan=plan, months=1)
    return result.cost_usd[:, 0, 0].copy()


def break_even(sc: Loaded) -> pd.DataFrame:
    """Find the month-0 volume where each API option and each self-hosted option cost the same.

    The self-hosted curve is a staircase (whole replicas), so the search scans a log grid for the
    first sign change and refines it with Brent's method.
    """
    import pandas as pd  # noqa: PLC0415 - tables only; a run does not load pandas
    apis = options.on_side(sc.options, "tokens")
    hosted = options.on_side(sc.options, "fleet")
    base = max(sc.inputs.params["workload.requests_per_month"].nominal, 1.0)
    low, high = base * BREAK_EVEN_RANGE[0], base * BREAK_EVEN_RANGE[1]
    grid = np.geomspace(low, high, 400)
    rows = []
    for api in apis:
        api_cost = monthly_run_rate_usd(sc, api, grid)
        for h in hosted:
            hosted_cost = monthly_run_rate_usd(sc, h, grid, fallback=api)
            diff = hosted_cost - api_cost
            crossing = np.flatnonzero(np.sign(diff[:-1]) != np.sign(diff[1:]))
            falling = [i for i in crossing if diff[i] > 0 >= diff[i + 1]]
            if not falling:
                note = ("self-hosting is cheaper across the whole range" if (diff < 0).all() else
                        f"the {_noun(sc, api)} is cheaper across the whole range" if (diff > 0).all() else
                        "none within range")
                rows.append({"api_option": api, "self_hosted_option": h,
                             "break_even_requests_per_month": np.nan,
                             "run_rate_usd_per_month": np.nan, "note": note})
                continue
            i = falling[0]

            def gap(v: float, api: str = api, h: str = h) -> float:
                volume = np.array([v])
                return float(monthly_run_rate_usd(sc, h, volume, fallback=api)[0]
                             - monthly_run_rate_usd(sc, api, volume)[0])

            from scipy import optimize  # noqa: PLC0415 - 23 MB (with linalg, sparse) a run does not need

            root = optimize.brentq(gap, grid[i], grid[i + 1], xtol=1e-6 * grid[i])
            rows.append({"api_option": api, "self_hosted_option": h,
                         "break_even_requests_per_month": root,
                         "run_rate_usd_per_month": float(monthly_run_rate_usd(
                             sc, api, np.array([root]))[0]),
                         "note": "self-hosting is cheaper above this volume"})
    return pd.DataFrame(rows, columns=["api_option", "self_hosted_option",
                                       "break_even_requests_per_month", "run_rate_usd_per_month",
                                       "note"])

