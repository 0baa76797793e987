"""Fleets pooled across workloads, hour by hour, and commitment tiers billed on pooled usage.

Pure array functions; shapes are (paths, months[, hours]). The rules mirror the kernel's fleet
(``tco.kernel.bills.fleet`` and ``on_demand_gpus``) so that one workload alone pools to exactly
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
def price_pool(need, min_replicas, gpus_per_replica, reserved_gpus, autoscale, rented,
               provisioned, peak_replicas):  # pragma: no cover - compiled
    """The pooled fleet per path and month from its hourly need (paths, months, hours): the
    on-demand GPUs beyond the pooled reservation and the GPUs paid for (both averaged over the
    day's hours), and the busiest hour's replicas. Without autoscaling the busiest hour's fleet
    runs all day."""
    paths, months, hours = need.shape
    for p in prange(paths):
        for t in range(months):
            top, od, paid = 0.0, 0.0, 0.0
            for h in range(hours):
                n = need[p, t, h]
                r = max(np.ceil(n), min_replicas) if n > 0.0 else 0.0
                top = max(top, r)
                if autoscale:
                    od += max(0.0, r * gpus_per_replica - reserved_gpus[p, t])
                    paid += max(r * gpus_per_replica, reserved_gpus[p, t])
            if autoscale:
                od /= hours
                paid /= hours
            else:
                od = max(0.0, top * gpus_per_replica - reserved_gpus[p, t])
                paid = max(top * gpus_per_replica, reserved_gpus[p, t])
            rented[p, t] = od
            provisioned[p, t] = paid
            peak_replicas[p, t] = top
