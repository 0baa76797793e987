"""Decisions: the cheapest mix under a risk budget, the efficient frontier, and what information
is worth (EVPI and EVPPI), all on the common random paths the engine draws.

``lp`` solves linear programmes over a (paths, options) cost matrix; ``voi`` values information
on a (paths, strategies) NPV matrix; ``candidates`` builds the cost matrix from a scenario through
the engine; ``section`` reads the scenario's ``optimise:`` constraints.
"""
