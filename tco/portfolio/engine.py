"""A portfolio's Monte Carlo: every workload on the same draws, then pooled fleets and commitments.

1. Draw once. Path-level uniforms have one column per input: shared inputs (options, risks,
   switching, the discount rate) one column for every workload, each workload's own traffic and
   strategy inputs their own columns. Events, their sizes and price noise are drawn once
   (``tco.draws.draw_shocks``) and the same ``Shocks`` reach every workload: one fact, one draw.
2. Evaluate each workload's strategy in force with the cost kernel on those draws (its cost as if
   it ran alone: its own fleets, list prices).
3. Take the kernel's routing (``tco.portfolio.usage``): each workload's traffic per option,
   then price what the portfolio shares: rented fleets pooled hour by hour (pooled replicas per
   hour = ceil(sum of the workloads' load x replica-seconds per request / capacity), the fleet the
   busiest hour of that sum, reserved GPUs pooled per GPU type across options and workloads),
   and commitment tiers per vendor on pooled list usage. The portfolio's cost is the workloads'
   own plus those adjustments.

``simulate_portfolio`` runs every path; ``portfolio_npv`` the paths of a range of RNG blocks
(a sweep's task), with the same bits on those rows.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter

import numpy as np

import tco._runtime as runtime
import tco.options as options
import tco.views as views
from tco.draws import RNG_BLOCK_PATHS, U_EPSILON, Shocks, draw_shocks, generator, inputs_from_uniforms
from tco.errors import ScenarioError
from tco.load import Loaded
from tco.portfolio.pooling import HOURS_PER_DAY, add_workload, commitment_bill, price_gpu_type
from tco.portfolio.result import PortfolioResult
from tco.portfolio.spec import Portfolio, reservation_contracts, validate_portfolio
from tco.portfolio.usage import evaluate
from tco.units import HOURS_PER_MONTH

CHUNK_PATHS = 2 * RNG_BLOCK_PATHS
"""Paths per batch: each workload's monthly costs and hourly loads for a batch stay a few MB."""
Force = Callable[[Loaded, Shocks], None]
"""Adds events to a batch's drawn shocks in place (a sweep's stress), given the scenario drawn."""
OWN = ("workload", "strategies")
"""Input sections each workload draws for itself; every other input is one draw shared by all."""


def column_keys(pf: Portfolio) -> dict[str, list[str]]:
    """Each workload's sampled inputs as columns of the portfolio's uniforms, in its order."""
    return {w: [f"workloads.{w}.{p.path}" if p.path.split(".")[0] in OWN else p.path
                for p in sc.inputs.sampled] for w, sc in pf.workloads.items()}


def portfolio_uniforms(pf: Portfolio, seed: int, paths: int, method: str,
                       blocks: range | None = None) -> dict[str, np.ndarray]:
    """Uniforms ``(paths, inputs)`` per workload; a shared input is the same column for all.

    ``blocks``: only the rows of those consecutive RNG blocks, the same values bit for bit (as
    ``tco.draws.block_uniforms``): pseudo-random sampling draws only their streams; a Latin
    hypercube or Sobol design spans every path, so it is built whole and cut.
    """
    keys = column_keys(pf)
    union = list(dict.fromkeys(k for ks in keys.values() for k in ks))
    dims = len(union)
    blocks = range(-(-paths // RNG_BLOCK_PATHS)) if blocks is None else blocks
    rows = slice(blocks.start * RNG_BLOCK_PATHS, min(blocks.stop * RNG_BLOCK_PATHS, paths))
    n = rows.stop - rows.start
    if dims == 0:
        u = np.zeros((n, 0))
    elif method == "random":
        u = np.concatenate([generator(seed, "paths", b).random((RNG_BLOCK_PATHS, dims))
                            for b in blocks])[:n]
    else:
        from scipy.stats import qmc  # noqa: PLC0415 - only these methods need scipy.stats (48 MB, 1 s of import)
        if method == "lhs":
            u = qmc.LatinHypercube(d=dims, rng=generator(seed, "qmc")).random(paths)[rows]
        else:
            sobol = qmc.Sobol(d=dims, scramble=True, rng=generator(seed, "qmc"))
            u = sobol.random_base2(int(np.ceil(np.log2(max(paths, 2)))))[:paths][rows]
    u = np.clip(u, U_EPSILON, 1.0 - U_EPSILON)
    column = {k: i for i, k in enumerate(union)}
    return {w: u[:, [column[k] for k in ks]].reshape(n, len(ks)) for w, ks in keys.items()}


def exact_row_sums(parts: np.ndarray) -> np.ndarray:
    """Each row's sum, correctly rounded (``math.fsum``), so N equal parts sum to exactly N x one.

    Parameters
    ----------
    parts : (paths, k)
    """
    return np.array([math.fsum(row) for row in parts.tolist()])


@dataclass
class _Pool:
    """One pool's running sums over workloads for a batch of paths."""

    options: tuple[str, ...]
    need: np.ndarray
    """(paths, months, hours) replicas' worth of load each hour, every workload's together."""
    reserved_gpus: np.ndarray
    """(paths, months) reserved GPUs in force, every signing workload's together."""
    reserved_usd: np.ndarray
    """(paths, months) what those reservations cost."""
    standalone_usd: np.ndarray
    """(paths, months) the workloads' own fleets on the pool's options, summed over workloads."""
    standalone_npv_usd: np.ndarray
    """(paths, workloads) NPV of each workload's own fleet on the pool's options."""
    used_gpus: np.ndarray
    """(paths, workloads, months) GPUs each workload's average load keeps busy at target use."""
    price_usd: np.ndarray | None = None
    """(paths, months) the rent of one GPU for the month at its price index."""
    pooled_usd: np.ndarray | None = None
    """(paths, months) the pooled fleet's cost."""
    alone_replicas: np.ndarray | float = 0.0
    """(paths, months) the sum of the workloads' own busiest-hour replicas."""


def _npv(cost: np.ndarray, discount: np.ndarray) -> np.ndarray:
    """NPV of (paths, months) monthly costs, or (paths, k, months), under (paths, months) factors."""
    return (cost * (discount if cost.ndim == 2 else discount[:, None, :])).sum(axis=-1)


def simulate_portfolio(pf: Portfolio, paths: int = 10_000, seed: int = 7,
                       sampling: str | None = None) -> PortfolioResult:
    """Simulate the portfolio over ``paths`` paths; the same seed and inputs give the same bits."""
    method = _checked(paths, seed, sampling, pf)
    n_w, months = len(pf.workloads), pf.horizon_months
    npv_w, total = np.empty((paths, n_w)), np.empty(paths)
    out = {k: np.empty(paths) for k in ("pool", "commit", "idle")}
    usage_b, alloc_b = np.empty((paths, n_w)), np.empty((paths, n_w))
    vendor_usd = {v: np.empty(paths) for v in dict.fromkeys(pf.vendors.values())}
    cumulative = np.empty((paths, months), dtype=np.float32)
    pooled_rep = {"+".join(g): np.empty((paths, months)) for g in pf.pooling}
    alone_rep = {"+".join(g): np.empty((paths, months)) for g in pf.pooling}
    blocks = -(-paths // RNG_BLOCK_PATHS)
    step = CHUNK_PATHS // RNG_BLOCK_PATHS
    for first_block in range(0, blocks, step):
        chunk = range(first_block, min(first_block + step, blocks))
        u = portfolio_uniforms(pf, seed, paths, method, chunk)
        rows = slice(first_block * RNG_BLOCK_PATHS, min(chunk.stop * RNG_BLOCK_PATHS, paths))
        b = _batch(pf, u, seed, first_block, rows.stop - rows.start)
        npv_w[rows], total[rows], usage_b[rows], alloc_b[rows] = b.npv_w, b.total, b.usage, b.alloc
        out["pool"][rows], out["commit"][rows], out["idle"][rows] = b.pool, b.commit, b.idle
        cumulative[rows] = b.cumulative
        for v, usd in b.vendor_usd.items():
            vendor_usd[v][rows] = usd
        for key, top in b.pooled_replicas.items():
            pooled_rep[key][rows], alone_rep[key][rows] = top, b.standalone_replicas[key]
    return PortfolioResult(pf, paths, seed, method, total, npv_w, out["pool"], out["commit"], usage_b,
                           alloc_b, out["idle"], vendor_usd, cumulative, pooled_rep, alone_rep)


def portfolio_npv(pf: Portfolio, seed: int, paths: int, blocks: range, sampling: str | None = None,
                  force: Force | None = None) -> np.ndarray:
    """The portfolio's NPV on the paths of consecutive RNG ``blocks`` of a ``paths``-path run:
    ``(paths in those blocks,)``, ``simulate_portfolio``'s ``npv_usd`` on those rows bit for bit
    (every stream is keyed by block). ``force(first workload's scenario, shocks)`` may add events
    to the drawn shocks before any workload is costed (a sweep's stress)."""
    method = _checked(paths, seed, sampling, pf)
    step = CHUNK_PATHS // RNG_BLOCK_PATHS
    parts = []
    for first_block in range(blocks.start, blocks.stop, step):
        chunk = range(first_block, min(first_block + step, blocks.stop))
        u = portfolio_uniforms(pf, seed, paths, method, chunk)
        n = min(chunk.stop * RNG_BLOCK_PATHS, paths) - first_block * RNG_BLOCK_PATHS
        parts.append(_batch(pf, u, seed, first_block, n, force).total)
    return np.concatenate(parts)


def _checked(paths: int, seed: int, sampling: str | None, pf: Portfolio) -> str:
    """The sampling method of a run, after checking its paths and seed; readies the engine."""
    if paths < 1:
        raise ScenarioError("paths", "must be at least 1")
    if not 0 <= seed <= 2**32 - 1:
        raise ScenarioError("seed", "must be a whole number between 0 and 4,294,967,295")
    runtime.configure()
    return sampling or pf.sampling


@dataclass
class _Batch:
    """A batch of paths' results: ``PortfolioResult``'s arrays on those rows."""

    npv_w: np.ndarray
    total: np.ndarray
    pool: np.ndarray
    commit: np.ndarray
    idle: np.ndarray
    usage: np.ndarray
    alloc: np.ndarray
    vendor_usd: dict[str, np.ndarray]
    cumulative: np.ndarray
    pooled_replicas: dict[str, np.ndarray]
    standalone_replicas: dict[str, np.ndarray]


def _batch(pf: Portfolio, u: dict[str, np.ndarray], seed: int, first_block: int, n: int,
           force: Force | None = None) -> _Batch:
    """Every workload costed on one batch of ``n`` paths from RNG block ``first_block``, then the
    pooled fleets and commitments priced on their sum. ``u``: each workload's uniforms (n, inputs)."""
    names = list(pf.workloads)
    n_w, months = len(names), pf.horizon_months
    hours = HOURS_PER_DAY if any(sc.workload.profile is not None for sc in pf.workloads.values()) else 1
    shared = bool(pf.pooling or pf.commitments)
    first = pf.first
    gpu_types = pools_by_gpu(pf)
    token_vendor = {o: v for o, v in pf.vendors.items()
                    if options.of(first.options[o]).billing_code == options.TOKENS}
    vendor_usd = {v: np.zeros(n) for v in dict.fromkeys(pf.vendors.values())}
    npv_w = np.empty((n, n_w))
    pooled_rep, alone_rep = {}, {}
    x0 = inputs_from_uniforms(first.inputs, u[names[0]])
    shocks = draw_shocks(first, x0, seed, first_block, n)
    if force is not None:
        force(first, shocks)
    cost = np.zeros((n, months))
    needs = [np.zeros((len(ks), n, months, hours)) for ks in gpu_types.values()]
    need_of = {k: need[m] for need, ks in zip(needs, gpu_types.values(), strict=True)
               for m, k in enumerate(ks)}
    pools = [_Pool(g, need_of[k], np.zeros((n, months)), np.zeros((n, months)), np.zeros((n, months)),
                   np.zeros((n, n_w)), np.zeros((n, n_w, months)),
                   alone_replicas=np.zeros((n, months))) for k, g in enumerate(pf.pooling)]
    listed = {v: np.zeros((n, n_w, months)) for v in pf.commitments}
    token_usd = {v: np.zeros((n, months)) for v in vendor_usd}
    discount = None
    # The events are the shared risks' on the shared draws: the same for every workload.
    ev = views.events(first, x0, shocks, n)
    for i, w in enumerate(names):
        sc = pf.workloads[w]
        x = inputs_from_uniforms(sc.inputs, u[w])
        result, use = evaluate(sc, x, shocks, ev)
        npv_w[:, i] = result.npv_usd[:, 0]
        cost += result.cost_usd[:, 0, :]
        discount = use.discount
        r = use.rows
        for j, name in enumerate(sc.options):
            if name in token_vendor and use.share[:, j].any():  # skip options it never uses
                usd = use.token_usd(j)
                token_usd[token_vendor[name]] += usd
                if token_vendor[name] in listed:
                    listed[token_vendor[name]][:, i] += usd
        for pool in pools:
            for name in pool.options:
                j = list(sc.options).index(name)
                if use.signed[j] or use.share[:, j].any():  # adding nothing leaves every sum as it is
                    _add_to_pool(pool, i, j, use, sc.workload.profile, hours)
                elif pool.price_usd is None:
                    pool.price_usd = _rent(use, j)
    cost_adjust = np.zeros((n, months))
    usage_adj, alloc_adj = np.zeros((n, n_w)), np.zeros((n, n_w))
    idle = np.zeros(n)
    for gpu, need, ks in zip(gpu_types, needs, gpu_types.values(), strict=True):
        members = [pools[k] for k in ks]
        js = [list(first.options).index(pf.pooling[k][0]) for k in ks]
        rented, top = np.empty((len(ks), n, months)), np.empty((len(ks), n, months))
        provisioned = np.empty((n, months))
        reserved = (_decided_reservation(pf, gpu, members, r, n, months)
                    if gpu in pf.reserved_gpus else _total([p.reserved_gpus for p in members]))
        price_gpu_type(need, r.fleet.min_replicas[js].astype(float),
                       r.fleet.gpus_per_replica[js].astype(float), r.fleet.autoscale[js].astype(bool),
                       reserved, rented, provisioned, top)
        for m, pool in enumerate(members):
            pool.pooled_usd = pool.reserved_usd + rented[m] * pool.price_usd
            key = "+".join(pool.options)
            pooled_rep[key] = top[m]
            alone_rep[key] = pool.alone_replicas
            vendor_usd[pf.vendors[pool.options[0]]] += _npv(pool.pooled_usd, discount)
        # The type's fleet is one: its cost is shared on both bases across every workload
        # that keeps its GPUs busy, whichever pool serves it.
        pooled = _total([p.pooled_usd for p in members])
        standalone_npv = _total([p.standalone_npv_usd for p in members])
        cost_adjust += pooled - _total([p.standalone_usd for p in members])
        used = _total([p.used_gpus for p in members])
        total_used = used.sum(axis=1)
        usage_adj += _shared_npv(pooled, used, total_used, discount) - standalone_npv
        unit = np.where(provisioned > 0, pooled / np.where(provisioned > 0, provisioned, 1.0), 0.0)
        alloc_adj += _weighted_npv(used, unit * discount) - standalone_npv
        idle += _npv(pooled - unit * total_used, discount)
    for v, contract in pf.commitments.items():
        tier = contract.chosen
        listed_v = listed[v].sum(axis=1)
        bill = commitment_bill(listed_v, tier.usd_per_month, tier.discount, contract.term_months)
        cost_adjust += bill - listed_v
        usage_adj += _shared_npv(bill - listed_v, listed[v], listed_v, discount)
        in_term = np.arange(months) < contract.term_months
        kept = np.where(in_term, (1.0 - tier.discount), 1.0)
        alloc_adj += _weighted_npv(listed[v], (kept - 1.0) * discount)
        idle += _npv(bill - listed_v * kept, discount)
        token_usd[v] += bill - listed_v
    for v, usd in token_usd.items():
        vendor_usd[v] += _npv(usd, discount)
    adjust_npv = _npv(cost_adjust, discount)
    pool_npv = sum((_npv(_pool_adjust(p), discount) for p in pools), np.zeros(n))
    total = exact_row_sums(np.concatenate([npv_w, adjust_npv[:, None]], axis=1) if shared else npv_w)
    return _Batch(npv_w, total, -pool_npv, adjust_npv - pool_npv, idle, npv_w + usage_adj,
                  npv_w + alloc_adj, vendor_usd, np.cumsum(cost + cost_adjust, axis=1),
                  pooled_rep, alone_rep)


def pools_by_gpu(pf: Portfolio) -> dict[str, tuple[int, ...]]:
    """The pools (indices into ``pf.pooling``) on each GPU type: their reserved GPUs are pooled.

    A reserved H200 serves any replica that runs on an H200, whichever model it holds, so the
    reservation is one per GPU type across options and workloads, as the issue asks; replicas
    still pool only within a pool (the same weights served the same way)."""
    out: dict[str, list[int]] = {}
    for k, group in enumerate(pf.pooling):
        out.setdefault(pf.first.inputs.plans[group[0]].gpu, []).append(k)
    return {gpu: tuple(ks) for gpu, ks in out.items()}


def _decided_reservation(pf: Portfolio, gpu: str, members: list[_Pool], rows: views.OptionRows,
                         n: int, months: int) -> np.ndarray:
    """(paths, months) the GPU type's reserved GPUs as decided (``Portfolio.reserved_gpus``), in
    force over the term of the type's offer (``Portfolio.reserved_offers``), else of the contract
    of its first option with one; the bill, count x 730 h x its price per GPU-hour a month, goes
    to the type's first pool or the pool holding that option, and the workloads' own
    reservations on the type are not billed (their standalone bills cancel in the pooled
    adjustment)."""
    month = np.arange(months)
    offer = pf.reserved_offers.get(gpu)
    if offer is not None:  # the file's offer for the type: a fixed price, billed to its first pool
        holder = members[0].options[0]
        in_term = (month >= offer.start_month) & (month < offer.start_month + offer.term_months)
        usd_per_gpu_month = np.full(n, offer.usd_per_gpu_hour * HOURS_PER_MONTH)
    else:
        holder = reservation_contracts(pf)[gpu]
        j = list(pf.first.options).index(holder)
        f = rows.fleet
        in_term = (month >= f.reserved_start[j]) & (month < f.reserved_end[j])
        usd_per_gpu_month = f.reserved_month_usd[j] / f.reserved_gpus[j]  # (paths,)
    count = float(pf.reserved_gpus[gpu])
    for pool in members:
        pool.reserved_usd = (np.where(in_term[None, :], count * usd_per_gpu_month[:, None], 0.0)
                             if holder in pool.options else np.zeros((n, months)))
    return np.ascontiguousarray(np.broadcast_to(np.where(in_term, count, 0.0), (n, months)))


def _weighted_npv(parts: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """sum over months of parts x weight, per path and part, in one pass: (paths, k).

    Parameters
    ----------
    parts : (paths, k, months)
    weight : (paths, months), discount factors times a rate per unit of ``parts``
    """
    return np.einsum("pkt,pt->pk", parts, weight)


def _shared_npv(cost: np.ndarray, parts: np.ndarray, total: np.ndarray, discount: np.ndarray
                ) -> np.ndarray:
    """NPV of each part's share of ``cost``, shared in proportion to ``parts``: (paths, k).

    A month where the parts sum to nothing shares its cost equally. Shapes: ``cost``, ``total``
    (the parts' sum) and ``discount`` (paths, months); ``parts`` (paths, k, months).
    """
    some = total > 0
    per_unit = np.where(some, cost * discount / np.where(some, total, 1.0), 0.0)
    equal = np.where(some, 0.0, cost * discount).sum(axis=1) / parts.shape[1]
    return _weighted_npv(parts, per_unit) + equal[:, None]


def _rent(use, j: int) -> np.ndarray:
    """(paths, months) the rent of one GPU of option j for each month at its price index."""
    return np.ascontiguousarray(use.rows.fleet.gpu_month_usd[j][:, None] * use.price_multiplier[:, j])


def _total(parts: list[np.ndarray]) -> np.ndarray:
    """The elementwise sum of same-shaped arrays; one array is returned as it is (bit for bit)."""
    return sum(parts[1:], parts[0])


def _pool_adjust(pool: _Pool) -> np.ndarray:
    """(paths, months) the pooled fleet's cost less the workloads' own fleets."""
    return pool.pooled_usd - pool.standalone_usd


def _add_to_pool(pool: _Pool, i: int, j: int, use, profile, hours: int) -> None:
    """Add workload i's traffic on option j to the pool: its own fleet (as the kernel sizes it)
    and its hourly load in replicas' worth (``tco.portfolio.pooling.add_workload``)."""
    months = use.requests.shape[1]
    load = np.ascontiguousarray(use.requests * use.share[:, j])
    month = np.arange(months)
    f = use.rows.fleet
    owed = (month >= f.reserved_start[j]) & (month < f.reserved_end[j]) & bool(use.signed[j])
    reserved = np.where(owed, f.reserved_gpus[j], 0.0)
    reserved_usd = np.where(owed[None, :], f.reserved_month_usd[j][:, None], 0.0)
    price = _rent(use, j)
    use_hourly = profile is not None and hours > 1
    hourly = np.asarray(profile if use_hourly else np.ones(HOURS_PER_DAY), dtype=float)
    used = np.empty_like(load)
    own_usd = np.zeros_like(load)
    add_workload(load, f.peak[j], f.load_factor[j], np.ascontiguousarray(f.profile[j]),
                 bool(f.autoscale[j]), float(f.min_replicas[j]), float(f.gpus_per_replica[j]),
                 reserved, reserved_usd, price, hourly, use_hourly, pool.need,
                 own_usd, pool.alone_replicas, used)
    pool.standalone_usd += own_usd
    pool.standalone_npv_usd[:, i] += _npv(own_usd, use.discount)
    pool.used_gpus[:, i] += used
    pool.reserved_gpus += reserved[None, :]
    pool.reserved_usd += reserved_usd
    if pool.price_usd is None:
        pool.price_usd = price


WARM_UP_PORTFOLIO = {
    "name": "warm-up", "horizon_months": 2,
    "options": {"api": {"kind": "api", "input_usd_per_mtok": 1.0, "output_usd_per_mtok": 2.0},
                "fleet": {"kind": "self_hosted", "model": "llama-3.3-70b", "gpu": "h200",
                          "precision": "fp8", "usd_per_gpu_hour": 3.0, "target_utilization": 0.6,
                          "ops_fte": 0.0, "usd_per_fte_year": 0.0, "autoscale": True}},
    "commitments": {"api": {"tiers": [{"usd_per_month": 10.0, "discount": 0.1}]}},
    "workloads": {name: {"workload": {"requests_per_month": 100_000, "input_tokens_per_request": 100,
                                      "output_tokens_per_request": 10, "hourly_profile": [1.0] * 24},
                         "strategies": {"mix": {"mix": {"api": 0.5, "fleet": 0.5}}},
                         "strategy": "mix"} for name in ("a", "b")},
}
"""The smallest portfolio that calls every compiled function of a portfolio run: the kernel with
its usage output, a pooled fleet that autoscales, token usage under a commitment."""


def warm_up() -> float:
    """Compile the portfolio's numba functions (``tco.portfolio.pooling``) and the kernel's
    usage output, or load them from numba's on-disk cache; returns the seconds it took.
    ``python -m tco compile`` calls it after the cost kernel's, so a first portfolio run
    compiles nothing."""
    started = perf_counter()
    simulate_portfolio(validate_portfolio(WARM_UP_PORTFOLIO), paths=64, seed=0)
    return perf_counter() - started


def compiled() -> bool:
    """Whether the portfolio's pooling functions are in numba's on-disk cache."""
    cache = Path(__file__).resolve().parent / "__pycache__"
    return all(any(cache.glob(f"pooling.{name}-*.nbi")) for name in ("add_workload", "price_gpu_type"))
