"""A portfolio run's per-path results and the tables made from them: the NPV distribution, each
workload's cost on the usage and allocation bases, vendor shares of CVaR95, the fan chart."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

import tco.metrics as metrics
from tco.option_labels import option_label, vendor_name
from tco.portfolio.spec import Portfolio

PERCENTILES = (5, 25, 50, 75, 95)
IDLE = "Idle capacity and unused commitment"
NOT_VENDOR = "Staff, setup, switching and other costs"
"""Rows of their own in the workload and vendor tables, written as the names beside them are
(capitalised: 'Anthropic', 'support-bot' keep their own case)."""


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
        rows = [{"vendor": self.vendor_label(v), "mean_usd": float(x.mean()),
                 "cvar95_contribution_usd": float(x[self.tail].mean()),
                 "cvar95_share": float(x[self.tail].mean()) / cvar if cvar else 0.0}
                for v, x in parts.items()]
        return pd.DataFrame(rows)

    def vendor_label(self, vendor: str) -> str:
        """A vendor as a reader knows it: the company ('Anthropic'), or for a fleet you run (its
        own supplier, ``spec.vendor_of``) the model it serves and 'your GPUs'."""
        first = next(iter(self.portfolio.workloads.values()))
        if vendor in first.options:
            return f"{option_label(first, vendor)} (your GPUs)"
        return vendor if vendor == NOT_VENDOR else vendor_name(vendor)

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
