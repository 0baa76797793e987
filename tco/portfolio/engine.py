"""A portfolio's Monte Carlo: every workload on the same draws, then pooled fleets and commitments.

1. Draw once. Path-level uniforms have one column per input: shared inputs (options, risks,
   switching, the discount rate) one column for every workload, each workload's own traffic and
   strategy inputs their own columns. Events, their sizes and price noise are drawn once
   (``tco.draws.draw_shocks``) and the same ``Shocks`` reach every workload: one fact, one draw.
2. Evaluate each workload's strategy in force with the cost kernel on those draws (its cost as if
   it ran alone: its own fleets, list prices).
3. Replay the kernel's routing (``tco.portfolio.usage``) to get each workload's traffic per option,
   then price what the portfolio shares: rented fleets pooled hour by hour (pooled replicas per
   hour = ceil(sum of the workloads' load x replica-seconds per request / capacity), the fleet the
   busiest hour of that sum, reserved GPUs pooled), and commitment tiers per vendor on pooled list
   usage. The portfolio's cost is the workloads' own plus those adjustments.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
from scipy.stats import qmc

import tco._runtime as runtime
import tco.metrics as metrics
import tco.options as options
from tco.draws import RNG_BLOCK_PATHS, U_EPSILON, draw_shocks, generator, inputs_from_uniforms
from tco.errors import ScenarioError
from tco.portfolio.pooling import HOURS_PER_DAY, add_workload, commitment_bill, price_pool
from tco.portfolio.spec import Portfolio
from tco.portfolio.usage import evaluate

CHUNK_PATHS = 2 * RNG_BLOCK_PATHS
"""Paths per batch: each workload's monthly costs and hourly loads for a batch stay a few MB."""
PERCENTILES = (5, 25, 50, 75, 95)
OWN = ("workload", "strategies")
"""Input sections each workload draws for itself; every other input is one draw shared by all."""
IDLE = "idle capacity and unused commitment"
NOT_VENDOR = "staff, setup, switching and other costs"


def column_keys(pf: Portfolio) -> dict[str, list[str]]:
    """Each workload's sampled inputs as columns of the portfolio's uniforms, in its order."""
    return {w: [f"workloads.{w}.{p.path}" if p.path.split(".")[0] in OWN else p.path
                for p in sc.inputs.sampled] for w, sc in pf.workloads.items()}


def portfolio_uniforms(pf: Portfolio, seed: int, paths: int, method: str) -> dict[str, np.ndarray]:
    """Uniforms ``(paths, inputs)`` per workload; a shared input is the same column for all."""
    keys = column_keys(pf)
    union = list(dict.fromkeys(k for ks in keys.values() for k in ks))
    dims = len(union)
    if dims == 0:
        u = np.zeros((paths, 0))
    elif method == "random":
        blocks = -(-paths // RNG_BLOCK_PATHS)
        u = np.concatenate([generator(seed, "paths", b).random((RNG_BLOCK_PATHS, dims))
                            for b in range(blocks)])[:paths]
    elif method == "lhs":
        u = qmc.LatinHypercube(d=dims, rng=generator(seed, "qmc")).random(paths)
    else:
        sobol = qmc.Sobol(d=dims, scramble=True, rng=generator(seed, "qmc"))
        u = sobol.random_base2(int(np.ceil(np.log2(max(paths, 2)))))[:paths]
    u = np.clip(u, U_EPSILON, 1.0 - U_EPSILON)
    column = {k: i for i, k in enumerate(union)}
    return {w: u[:, [column[k] for k in ks]].reshape(paths, len(ks)) for w, ks in keys.items()}


def exact_row_sums(parts: np.ndarray) -> np.ndarray:
    """Each row's sum, correctly rounded (``math.fsum``), so N equal parts sum to exactly N x one.

    Parameters
    ----------
    parts : (paths, k)
    """
    return np.array([math.fsum(row) for row in parts.tolist()])


@dataclass
class _Pool:
    """One pool's running sums over workloads for a batch: (paths, months[, hours])."""

    options: tuple[str, ...]
    need: np.ndarray
    reserved_gpus: np.ndarray
    reserved_usd: np.ndarray
    standalone_usd: np.ndarray
    """(paths, workloads, months) each workload's own fleet cost on the pool's options."""
    used_gpus: np.ndarray
    """(paths, workloads, months) GPUs each workload's average load keeps busy at target use."""
    price_usd: np.ndarray | None = None
    """(paths, months) the rent of one GPU for the month at its price index."""
    pooled_usd: np.ndarray | None = None
    """(paths, months) the pooled fleet's cost."""
    alone_replicas: np.ndarray | float = 0.0
    """(paths, months) the sum of the workloads' own busiest-hour replicas."""


@dataclass
class PortfolioResult:
    """Per-path results of a portfolio run. Money is NPV in the portfolio's currency.

    Arrays: ``npv_usd`` (paths,); ``workload_npv_usd``, ``usage_basis_usd``,
    ``allocation_basis_usd`` (paths, workloads); ``cumulative_usd`` (paths, months) float32.
    """

    portfolio: Portfolio
    paths: int
    seed: int
    sampling: str
    npv_usd: np.ndarray
    workload_npv_usd: np.ndarray
    """Each workload's cost as if it ran alone: its own fleets, list prices."""
    pooling_saving_usd: np.ndarray
    """(paths,) standalone fleets minus the pooled fleets."""
    commitment_usd: np.ndarray
    """(paths,) commitment bills minus the list usage they replace."""
    usage_basis_usd: np.ndarray
    allocation_basis_usd: np.ndarray
    idle_usd: np.ndarray
    """(paths,) idle pooled capacity and unused commitment: the allocation basis's own line."""
    vendor_usd: dict[str, np.ndarray]
    """(paths,) spend with each vendor: list usage (after commitments) and pooled fleets; the
    rest of the cost (staff, setup, switching, gateways) is ``NOT_VENDOR``."""
    cumulative_usd: np.ndarray
    pooled_replicas: dict[str, np.ndarray] = field(default_factory=dict)
    """By pool: (paths, months) the pooled fleet's busiest-hour replicas."""
    standalone_replicas: dict[str, np.ndarray] = field(default_factory=dict)
    """By pool: (paths, months) the sum of the workloads' own busiest-hour replicas."""

    @property
    def workloads(self) -> list[str]:
        return list(self.portfolio.workloads)

    def summary(self) -> dict[str, float]:
        """The NPV distribution: mean, P5, P50, P95, CVaR95, and the mean pooling saving."""
        q = np.percentile(self.npv_usd, [5, 50, 95])
        return {"mean": float(self.npv_usd.mean()), "p5": float(q[0]), "p50": float(q[1]),
                "p95": float(q[2]), "cvar95": float(metrics.cvar(self.npv_usd)),
                "standalone_mean": float(self.workload_npv_usd.sum(axis=1).mean()),
                "pooling_saving_mean": float(self.pooling_saving_usd.mean()),
                "pooling_saving_p5": float(np.percentile(self.pooling_saving_usd, 5)),
                "pooling_saving_p95": float(np.percentile(self.pooling_saving_usd, 95)),
                "commitment_mean": float(self.commitment_usd.mean())}

    def workload_table(self) -> pd.DataFrame:
        """Mean cost per workload on both bases (each sums to the mean total), standalone beside
        them; the allocation basis's idle capacity is its own row."""
        rows = [{"workload": w, "strategy": self.portfolio.strategy[w],
                 "standalone_usd": float(self.workload_npv_usd[:, i].mean()),
                 "usage_basis_usd": float(self.usage_basis_usd[:, i].mean()),
                 "allocation_basis_usd": float(self.allocation_basis_usd[:, i].mean())}
                for i, w in enumerate(self.workloads)]
        rows.append({"workload": IDLE, "strategy": "", "standalone_usd": 0.0,
                     "usage_basis_usd": 0.0, "allocation_basis_usd": float(self.idle_usd.mean())})
        return pd.DataFrame(rows)

    @cached_property
    def tail(self) -> np.ndarray:
        """The paths of the worst ceil(5%) totals, as ``metrics.cvar`` takes them."""
        n = self.paths
        k = max(1, int(np.ceil(metrics.TAIL_SHARE * n)))
        return np.argsort(self.npv_usd, kind="stable")[n - k:]

    def vendor_table(self) -> pd.DataFrame:
        """Each vendor's share of CVaR95 by Euler contributions: E[vendor cost | total in the
        worst 5%], which add up to CVaR95 over vendors and the non-vendor rest."""
        parts = dict(self.vendor_usd)
        parts[NOT_VENDOR] = self.npv_usd - sum(self.vendor_usd.values())
        cvar = float(self.npv_usd[self.tail].mean())
        rows = [{"vendor": v, "mean_usd": float(x.mean()),
                 "cvar95_contribution_usd": float(x[self.tail].mean()),
                 "cvar95_share": float(x[self.tail].mean()) / cvar if cvar else 0.0}
                for v, x in parts.items()]
        return pd.DataFrame(rows)

    def fan(self) -> pd.DataFrame:
        """Percentiles of the portfolio's cumulative cost by month (the fan chart), tidy."""
        q = np.percentile(self.cumulative_usd, PERCENTILES, axis=0)
        frame = pd.DataFrame({"month": np.arange(self.cumulative_usd.shape[1])})
        for i, p in enumerate(PERCENTILES):
            frame[f"p{p}_cumulative_usd"] = q[i].astype(float)
        frame["mean_cumulative_usd"] = self.cumulative_usd.mean(axis=0, dtype=np.float64)
        return frame

    def to_json(self) -> dict:
        return {"portfolio": self.portfolio.name, "paths": self.paths, "seed": self.seed,
                "npv": self.summary(),
                "workloads": self.workload_table().to_dict(orient="records"),
                "vendors": self.vendor_table().to_dict(orient="records")}


def _npv(cost: np.ndarray, discount: np.ndarray) -> np.ndarray:
    """NPV of (paths, months) monthly costs, or (paths, k, months), under (paths, months) factors."""
    return (cost * (discount if cost.ndim == 2 else discount[:, None, :])).sum(axis=-1)


def simulate_portfolio(pf: Portfolio, paths: int = 10_000, seed: int = 7,
                       sampling: str | None = None) -> PortfolioResult:
    """Simulate the portfolio over ``paths`` paths; the same seed and inputs give the same bits."""
    if paths < 1:
        raise ScenarioError("paths", "must be at least 1")
    if not 0 <= seed <= 2**32 - 1:
        raise ScenarioError("seed", "must be a whole number between 0 and 4,294,967,295")
    runtime.configure()
    method = sampling or pf.sampling
    u = portfolio_uniforms(pf, seed, paths, method)
    names = list(pf.workloads)
    n_w, months = len(names), pf.horizon_months
    hours = HOURS_PER_DAY if any(sc.workload.profile is not None for sc in pf.workloads.values()) else 1
    npv_w = np.empty((paths, n_w))
    out = {k: np.empty(paths) for k in ("pool", "commit", "idle")}
    usage_b, alloc_b = np.empty((paths, n_w)), np.empty((paths, n_w))
    vendor_usd = {v: np.zeros(paths) for v in dict.fromkeys(pf.vendors.values())}
    cumulative = np.empty((paths, months), dtype=np.float32)
    pooled_rep = {"+".join(g): np.empty((paths, months)) for g in pf.pooling}
    alone_rep = {"+".join(g): np.empty((paths, months)) for g in pf.pooling}
    first = pf.first
    token_vendor = {o: v for o, v in pf.vendors.items()
                    if options.of(first.options[o]).billing_code == options.TOKENS}
    for start in range(0, paths, CHUNK_PATHS):
        rows = slice(start, min(start + CHUNK_PATHS, paths))
        n = rows.stop - rows.start
        x0 = inputs_from_uniforms(first.inputs, u[names[0]][rows])
        shocks = draw_shocks(first, x0, seed, start // RNG_BLOCK_PATHS, n)
        cost = np.zeros((n, months))
        pools = [_Pool(g, np.zeros((n, months, hours)), np.zeros((n, months)), np.zeros((n, months)),
                       np.zeros((n, n_w, months)), np.zeros((n, n_w, months)),
                       alone_replicas=np.zeros((n, months))) for g in pf.pooling]
        listed = {v: np.zeros((n, n_w, months)) for v in pf.commitments}
        token_usd = {v: np.zeros((n, months)) for v in vendor_usd}
        discount = None
        for i, w in enumerate(names):
            sc = pf.workloads[w]
            x = inputs_from_uniforms(sc.inputs, u[w][rows])
            result, use = evaluate(sc, x, shocks)
            npv_w[rows, i] = result.npv_usd[:, 0]
            cost += result.cost_usd[:, 0, :]
            discount = use.discount
            r = use.rows
            for j, name in enumerate(sc.options):
                if name in token_vendor and use.share[:, j].any():  # skip options it never uses
                    usd = use.requests * use.share[:, j] * r.common.unit_usd[j][:, None] * use.index[:, j]
                    token_usd[token_vendor[name]] += usd
                    if token_vendor[name] in listed:
                        listed[token_vendor[name]][:, i] += usd
            for pool in pools:
                for name in pool.options:
                    j = list(sc.options).index(name)
                    _add_to_pool(pool, i, j, use, sc.workload.profile, hours)
        cost_adjust = np.zeros((n, months))
        usage_adj, alloc_adj = np.zeros((n, n_w)), np.zeros((n, n_w))
        idle = np.zeros(n)
        for g, pool in zip(pf.pooling, pools, strict=True):
            j0 = list(first.options).index(g[0])
            rented, provisioned, top = (np.empty((n, months)) for _ in range(3))
            price_pool(pool.need, float(r.fleet.min_replicas[j0]), float(r.fleet.gpus_per_replica[j0]),
                       pool.reserved_gpus, bool(r.fleet.autoscale[j0]), rented, provisioned, top)
            pooled = pool.reserved_usd + rented * pool.price_usd
            key = "+".join(g)
            pool.pooled_usd = pooled
            pooled_rep[key][rows] = top
            alone_rep[key][rows] = pool.alone_replicas
            cost_adjust += pooled - pool.standalone_usd.sum(axis=1)
            used = pool.used_gpus
            total_used = used.sum(axis=1, keepdims=True)
            share = np.where(total_used > 0, used / np.where(total_used > 0, total_used, 1.0), 1.0 / n_w)
            usage_adj += _npv(pooled[:, None, :] * share - pool.standalone_usd, discount)
            unit = np.where(provisioned > 0, pooled / np.where(provisioned > 0, provisioned, 1.0), 0.0)
            allocated = used * unit[:, None, :]
            alloc_adj += _npv(allocated - pool.standalone_usd, discount)
            idle += _npv(pooled - allocated.sum(axis=1), discount)
            vendor_usd[pf.vendors[g[0]]][rows] += _npv(pooled, discount)
        for v, contract in pf.commitments.items():
            tier = contract.chosen
            listed_v = listed[v].sum(axis=1)
            bill = commitment_bill(listed_v, tier.usd_per_month, tier.discount, contract.term_months)
            cost_adjust += bill - listed_v
            total = listed[v].sum(axis=1, keepdims=True)
            share = np.where(total > 0, listed[v] / np.where(total > 0, total, 1.0), 1.0 / n_w)
            usage_adj += _npv((bill - listed_v)[:, None, :] * share, discount)
            in_term = np.arange(months) < contract.term_months
            kept = np.where(in_term, (1.0 - tier.discount), 1.0)
            alloc_adj += _npv(listed[v] * (kept - 1.0), discount)
            idle += _npv(bill - listed_v * kept, discount)
            token_usd[v] += bill - listed_v
        for v, usd in token_usd.items():
            vendor_usd[v][rows] += _npv(usd, discount)
        adjust_npv = _npv(cost_adjust, discount)
        pool_npv = sum((_npv(_pool_adjust(p), discount) for p in pools), np.zeros(n))
        out["pool"][rows] = -pool_npv
        out["commit"][rows] = adjust_npv - pool_npv
        out["idle"][rows] = idle
        usage_b[rows] = npv_w[rows] + usage_adj
        alloc_b[rows] = npv_w[rows] + alloc_adj
        cumulative[rows] = np.cumsum(cost + cost_adjust, axis=1)
        out.setdefault("adjust", np.empty(paths))[rows] = adjust_npv
    if pf.pooling or pf.commitments:
        total = exact_row_sums(np.concatenate([npv_w, out["adjust"][:, None]], axis=1))
    else:  # nothing shared to price: exactly the workloads' own costs
        total = exact_row_sums(npv_w)
    return PortfolioResult(pf, paths, seed, method, total, npv_w, out["pool"], out["commit"], usage_b,
                           alloc_b, out["idle"], vendor_usd, cumulative, pooled_rep, alone_rep)


def _pool_adjust(pool: _Pool) -> np.ndarray:
    """(paths, months) the pooled fleet's cost less the workloads' own fleets."""
    return pool.pooled_usd - pool.standalone_usd.sum(axis=1)


def _add_to_pool(pool: _Pool, i: int, j: int, use, profile, hours: int) -> None:
    """Add workload i's traffic on option j to the pool: its own fleet (as the kernel sizes it)
    and its hourly load in replicas' worth (``tco.portfolio.pooling.add_workload``)."""
    r = use.rows
    months = use.requests.shape[1]
    load = np.ascontiguousarray(use.requests * use.share[:, j])
    month = np.arange(months)
    owed = (month >= r.fleet.reserved_start[j]) & (month < r.fleet.reserved_end[j]) & bool(use.signed[j])
    reserved = np.where(owed, r.fleet.reserved_gpus[j], 0.0)
    reserved_usd = np.where(owed[None, :], r.fleet.reserved_month_usd[j][:, None], 0.0)
    price = np.ascontiguousarray(r.fleet.gpu_month_usd[j][:, None] * use.index[:, j])
    use_hourly = profile is not None and hours > 1
    hourly = np.asarray(profile if use_hourly else np.ones(HOURS_PER_DAY), dtype=float)
    used = np.empty_like(load)
    f = r.fleet
    add_workload(load, f.peak[j], f.load_factor[j], np.ascontiguousarray(f.profile[j]),
                 bool(f.autoscale[j]), float(f.min_replicas[j]), float(f.gpus_per_replica[j]),
                 reserved, reserved_usd, price, hourly, use_hourly, pool.need,
                 pool.standalone_usd[:, i], pool.alone_replicas, used)
    pool.used_gpus[:, i] = used
    pool.reserved_gpus += reserved[None, :]
    pool.reserved_usd += reserved_usd
    if pool.price_usd is None:
        pool.price_usd = price
