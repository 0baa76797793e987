"""Decisions: the cheapest mix under a risk budget, the efficient frontier, and what information
is worth (EVPI and EVPPI), all on the common random paths the engine draws.

``lp`` solves the programmes over a (paths, options) cost matrix, ``p95`` those with a P95
budget; ``voi`` values information on a (paths, strategies) NPV matrix; ``problem`` reads the
``optimise:`` section and builds candidate strategies; ``paths`` costs them through
``tco.engine``; ``decide`` puts these together with the exact re-costing; ``portfolio`` does the
same per workload of a portfolio, re-costing by simulating the portfolio; ``information`` values
a simulation's risks and inputs; ``slide`` is the deck's slide (a layer above the rest: it draws).
"""
