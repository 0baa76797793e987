"""Fleets pooled across workloads, hour by hour, and commitment tiers billed on pooled usage.

Pure array functions; shapes are (paths, months[, hours]). The rules mirror the kernel's fleet
(``tco.kernel.bills.fleet`` and ``on_demand_gpus``) so that one workload alone pools to exactly
its own fleet.
"""

from __future__ import annotations

import numpy as np

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
