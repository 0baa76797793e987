"""Fleets pooled across workloads, hour by hour, and commitment tiers billed on pooled usage.

Pure array functions; shapes are (paths, months[, hours]). The rules mirror the kernel's fleet
(``tco.kernel.bills.fleet``) so that one workload alone pools to exactly
its own fleet.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

HOURS_PER_DAY = 24


def replicas(need: np.ndarray, min_replicas: float) -> np.ndarray:
    """Whole replicas for ``need`` replicas' worth of load: ceil(need), never fewer than
    ``min_replicas``, none where there is no load."""
    return np.where(need > 0.0, np.maximum(np.ceil(need), min_replicas), 0.0)


def on_demand_gpus(hourly_replicas: np.ndarray, gpus_per_replica: float, reserved_gpus: np.ndarray,
                   autoscale: bool) -> np.ndarray:
    """GPUs rented on demand beyond the reserved ones, averaged over the day's hours.

    Parameters
    ----------
    hourly_replicas : (paths, months, hours) replicas each hour needs
    reserved_gpus : (paths, months) or (months,) reserved GPUs in force

    Returns
    -------
    (paths, months). Without autoscaling the busiest hour's fleet runs all day.
    """
    gpus = hourly_replicas * gpus_per_replica
    if not autoscale:
        gpus = gpus.max(axis=2, keepdims=True)
    return np.maximum(0.0, gpus - np.asarray(reserved_gpus)[..., None]).mean(axis=2)


def provisioned_gpus(hourly_replicas: np.ndarray, gpus_per_replica: float,
                     reserved_gpus: np.ndarray, autoscale: bool) -> np.ndarray:
    """GPUs paid for, averaged over the day's hours: the reserved ones, and on-demand beyond."""
    gpus = hourly_replicas * gpus_per_replica
    if not autoscale:
        gpus = gpus.max(axis=2, keepdims=True)
    return np.maximum(gpus, np.asarray(reserved_gpus)[..., None]).mean(axis=2)


def commitment_bill(list_usage_usd: np.ndarray, tier_usd_per_month: float, discount: float,
                    term_months: int) -> np.ndarray:
    """Bill of a committed-spend contract on pooled list usage, (paths, months).

    In the term: max(tier, (1 - discount) x usage), so usage short of the tier is paid anyway
    (owed after a workload leaves, or after the vendor exits); after it, list usage.
    """
    months = list_usage_usd.shape[-1]
    in_term = np.arange(months) < term_months
    committed = np.maximum(tier_usd_per_month, (1.0 - discount) * list_usage_usd)
    return np.where(in_term, committed, list_usage_usd)


@njit(cache=True, parallel=True, nogil=True, error_model="numpy")
def add_workload(load, peak, load_factor, own_profile, autoscale, min_replicas, gpus_per_replica,
                 reserved_gpus, reserved_usd, price_usd, hourly, use_hourly, need, standalone_usd,
                 alone_replicas, used_gpus):  # pragma: no cover - compiled
    """Add one workload's traffic on one option to a pool, per path and month.

    Its own fleet, as the kernel sizes it (``replicas``, ``on_demand_gpus``): the busiest hour
    ceil((load x peak) x load_factor) all day, or each hour of the option's profile when it
    autoscales; its cost, reserved plus on-demand GPUs at the month's rent. Its hourly load in
    replicas' worth into ``need`` (paths, months, hours): (load x h) x load_factor, with h the
    workload's own hourly profile (``use_hourly``) or its peak every hour.

    Shapes: ``load``, ``reserved_usd``, ``price_usd`` and the outputs (paths, months);
    ``peak``, ``load_factor`` (paths,); ``own_profile``, ``hourly`` (24,); ``reserved_gpus``
    (months,).
    """
    paths, months = load.shape
    hours = need.shape[2]
    for p in prange(paths):
        for t in range(months):
            x = load[p, t]
            gpus_od, top = 0.0, 0.0
            if x > 0.0:
                if autoscale:
                    for h in range(HOURS_PER_DAY):
                        r = max(np.ceil(x * own_profile[h] * load_factor[p]), min_replicas)
                        top = max(top, r)
                        gpus_od += max(0.0, r * gpus_per_replica - reserved_gpus[t])
                    gpus_od /= HOURS_PER_DAY
                else:
                    top = max(np.ceil(x * peak[p] * load_factor[p]), min_replicas)
                    gpus_od = max(0.0, top * gpus_per_replica - reserved_gpus[t])
            standalone_usd[p, t] += reserved_usd[p, t] + gpus_od * price_usd[p, t]
            alone_replicas[p, t] += top
            used_gpus[p, t] = x * load_factor[p] * gpus_per_replica
            for h in range(hours):
                need[p, t, h] += (x * (hourly[h] if use_hourly else peak[p])) * load_factor[p]


@njit(cache=True, parallel=True, nogil=True, error_model="numpy")
def price_gpu_type(need, min_replicas, gpus_per_replica, autoscale, reserved_gpus, rented,
                   provisioned, peak_replicas):  # pragma: no cover - compiled
    """The pooled fleets of one GPU type per path and month, their reserved GPUs pooled.

    Each pool (options serving the same weights the same way) rounds its hourly need up to whole
    replicas, as ``replicas`` does; a pool that does not autoscale runs its busiest hour's fleet
    all day. The GPU type's reserved GPUs serve whichever pool needs them that hour: the GPUs
    rented on demand are max(0, sum over pools of replicas x GPUs per replica - reserved), shared
    out among the pools in proportion to their GPUs that hour (each pays its own rent for its
    share). With one pool this is that pool's fleet against its own reservation.

    Parameters
    ----------
    need : (pools, paths, months, hours) replicas' worth of load each hour
    min_replicas, gpus_per_replica : (pools,)
    autoscale : (pools,) bool
    reserved_gpus : (paths, months) the type's reserved GPUs in force, every pool's together

    Outputs
    -------
    rented : (pools, paths, months) each pool's on-demand GPUs, averaged over the day's hours
    provisioned : (paths, months) the type's GPUs paid for (reserved, and on demand beyond),
        averaged over the day's hours
    peak_replicas : (pools, paths, months) each pool's busiest-hour replicas
    """
    pools, paths, months, hours = need.shape
    hourly = False
    for k in range(pools):
        hourly = hourly or autoscale[k]
    steps = hours if hourly else 1  # without autoscaling every hour is the busiest one
    for p in prange(paths):
        top = np.empty(pools)
        gpus = np.empty(pools)
        od = np.empty(pools)
        for t in range(months):
            for k in range(pools):
                most = 0.0
                for h in range(hours):
                    n = need[k, p, t, h]
                    r = max(np.ceil(n), min_replicas[k]) if n > 0.0 else 0.0
                    most = max(most, r)
                top[k] = most
                od[k] = 0.0
            paid = 0.0
            for s in range(steps):
                total = 0.0
                for k in range(pools):
                    r = top[k]
                    if autoscale[k]:
                        n = need[k, p, t, s]
                        r = max(np.ceil(n), min_replicas[k]) if n > 0.0 else 0.0
                    gpus[k] = r * gpus_per_replica[k]
                    total += gpus[k]
                extra = max(0.0, total - reserved_gpus[p, t])
                if extra > 0.0:
                    for k in range(pools):
                        od[k] += extra * (gpus[k] / total)
                paid += max(total, reserved_gpus[p, t])
            for k in range(pools):
                rented[k, p, t] = od[k] / steps
                peak_replicas[k, p, t] = top[k]
            provisioned[p, t] = paid / steps
