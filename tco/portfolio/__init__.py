"""Portfolios: several workloads on shared options, shared shocks, pooled fleets and
per-vendor commitments (``python -m tco portfolio run|validate|deck``)."""

from tco.portfolio.engine import simulate_portfolio
from tco.portfolio.result import PortfolioResult
from tco.portfolio.spec import Portfolio, is_portfolio, load_portfolio, loads_portfolio

__all__ = ["Portfolio", "PortfolioResult", "is_portfolio", "load_portfolio", "loads_portfolio",
           "simulate_portfolio"]
