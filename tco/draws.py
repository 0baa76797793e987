"""Draws: every random input of a Monte Carlo run, drawn into fixed-shape arrays before the kernel.

Randomness comes only from ``np.random.SeedSequence(seed)`` through named child streams (the order
of ``STREAMS`` is only ever appended to). Path inputs and price noise are drawn in blocks of
``RNG_BLOCK_PATHS``, each with its own stream keyed by (stream, block); events, their sizes and
migration efforts come from a counter-based generator (SplitMix64) addressed by path. So results do
not depend on how paths are grouped into chunks or workers, and the first N paths of a longer run
are the N paths of a shorter one (for pseudo-random sampling).

Events are drawn by inter-arrival (since 0.4.0): each risk-option pair's events on a path are a
Bernoulli process with the path's monthly probability q, drawn as geometric gaps from one uniform
per event (``_fired``), not one uniform per month. Coupling kept: on the same seed a likelier
event fires no later. Each gap ceil(ln u / ln(1 - q)) inverts the same uniform, so it is
non-increasing in q, and the k-th event of a higher-probability run falls in the same month as,
or before, the k-th event of a lower one (the months that fire are no longer a superset, as they
were with one uniform per month). Options of one risk line that share the unit its kind is about
(``RiskKind.fact_about``) take the first such option's events.

An event's size and migration effort are needed only for the events that fire, so they come from
SplitMix64 addressed by (risk-option pair, path, event index): the k-th event of a path has the
same size whatever month it falls in. With the gaps' coupling this keeps a likelier cost-raising
event from lowering a path: at every month the likelier run has fired at least as many events, the
first of them the same sizes, each no later (a size keyed by month would give the earlier event
another size, and a smaller one could lower the path).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import special

import tco.options as options
from tco.errors import ScenarioError
from tco.fields import EXTREME_U
from tco.inputs import Resolved
from tco.load import Loaded
from tco.units import monthly_probability

FX_VOLATILITY = "fx_volatility_per_year"
STREAMS = ("paths", "events", "impacts", "weeks", "noise", "qmc", "releases", "arrivals")
"""Named streams, only ever appended to: "events" (a uniform per path and month, up to 0.3.x) is
no longer drawn, and its place is kept so the others keep their keys."""
RNG_BLOCK_PATHS = 1024
U_EPSILON = EXTREME_U
"""Uniforms are kept inside [eps, 1 - eps] so quantile functions stay finite (and the bounds that
validation checks distributions' extremes against are those of the draws)."""


@dataclass
class Shocks:
    """Random shocks for a batch of paths.

    Keys are ``(risk index, option name)`` for events and option names for price noise. A missing
    key means no shock of that kind (no event fired, zero noise). ``noise`` and ``fired`` are
    ``(paths, months)``; ``impact`` (an event's price multiplier) and ``weeks`` (its migration
    effort) hold one value per fired cell, in the row-major order of ``np.flatnonzero(fired)``:
    events are rare, and full arrays of them cost more to fill than the rest of the draw.
    """

    paths: int
    noise: dict[str, np.ndarray] = field(default_factory=dict)
    fired: dict[tuple[int, str], np.ndarray] = field(default_factory=dict)
    impact: dict[tuple[int, str], np.ndarray] = field(default_factory=dict)
    weeks: dict[tuple[int, str], np.ndarray] = field(default_factory=dict)
    delays: dict[str, np.ndarray] = field(default_factory=dict)
    """Vetting delay of each planned release, months, by option: ``(paths, releases)``. A missing
    option takes its nominal delay (the deterministic model)."""

    def without_events(self) -> Shocks:
        """The same paths with no event fired: price noise, release delays and inputs unchanged."""
        return Shocks(self.paths, self.noise, delays=self.delays)



def generator(seed: int, stream: str, block: int = 0) -> np.random.Generator:
    """Return the generator of one named stream and block."""
    sequence = np.random.SeedSequence(seed, spawn_key=(STREAMS.index(stream), block))
    return np.random.Generator(np.random.PCG64(sequence))


_GOLDEN_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)
PAIR_STRIDE = 1 << 40
"""Counters of one risk-option pair: path x months + k (k < months: a month, or an event index)
stay below it up to 1.8e10 paths."""


def splitmix64(key: np.uint64, counters: np.ndarray) -> np.ndarray:
    """Output number ``counter`` of a SplitMix64 stream seeded with ``key``, for each counter.

    SplitMix64 (Steele, Lea and Flood, 2014, "Fast splittable pseudorandom number generators"; the
    reference is Vigna's splitmix64.c) adds the golden gamma to its state and mixes the result, so
    output n is mix(key + (n + 1) x gamma) and any output can be computed without the others.
    """
    z = key + (counters.astype(np.uint64) + np.uint64(1)) * _GOLDEN_GAMMA  # arithmetic is mod 2^64
    z = (z ^ (z >> np.uint64(30))) * _MIX_1
    z = (z ^ (z >> np.uint64(27))) * _MIX_2
    return z ^ (z >> np.uint64(31))


def stream_key(seed: int, stream: str) -> np.uint64:
    """The SplitMix64 key of a named stream: the first word of its SeedSequence."""
    return np.random.SeedSequence(seed, spawn_key=(STREAMS.index(stream),)).generate_state(1, np.uint64)[0]


def unit_uniforms(bits: np.ndarray) -> np.ndarray:
    """Uniforms in (0, 1) from 64-bit words: the top 53 bits, offset by half a step (never 0 or 1)."""
    return ((bits >> np.uint64(11)).astype(float) + 0.5) / float(1 << 53)


def cell_uniforms(seed: int, stream: str, counters: np.ndarray) -> np.ndarray:
    """Uniforms in (0, 1), one per cell counter, from SplitMix64 keyed by the stream's SeedSequence.

    The same (seed, stream, counter) always gives the same value, so cells can be drawn in any
    order and any subset.
    """
    return unit_uniforms(splitmix64(stream_key(seed, stream), np.asarray(counters)))


def path_uniforms(sc: Loaded, seed: int, paths: int, method: str) -> np.ndarray:
    """Uniforms for the path-level inputs, correlated through the copula: ``(paths, inputs)``."""
    return block_uniforms(sc, seed, paths, method, range(-(-paths // RNG_BLOCK_PATHS)))


def block_uniforms(sc: Loaded, seed: int, paths: int, method: str, blocks: range) -> np.ndarray:
    """The rows of ``path_uniforms(sc, seed, paths, method)`` in consecutive RNG ``blocks``:
    ``(paths in those blocks, inputs)``, the same values bit for bit.

    Pseudo-random sampling draws only those blocks' streams; a Latin hypercube or Sobol design
    spans every path, so it is built whole and cut.
    """
    dims = len(sc.inputs.sampled)
    rows = slice(blocks.start * RNG_BLOCK_PATHS, min(blocks.stop * RNG_BLOCK_PATHS, paths))
    if dims == 0:
        return np.zeros((rows.stop - rows.start, 0))
    if method == "random":
        u = np.concatenate([generator(seed, "paths", b).random((RNG_BLOCK_PATHS, dims))
                            for b in blocks])[:rows.stop - rows.start]
    elif method in ("lhs", "sobol"):
        from scipy.stats import qmc  # noqa: PLC0415 - only these methods need scipy.stats (48 MB, 1 s of import)
        u = _quasi(qmc, method, dims, seed, paths)[rows]
    else:
        raise ScenarioError("sampling", "must be one of 'random', 'lhs', 'sobol'")
    return _correlated(sc, u)


def _quasi(qmc, method: str, dims: int, seed: int, paths: int) -> np.ndarray:
    """Latin hypercube or scrambled Sobol uniforms, (paths, dims)."""
    if method == "lhs":
        return qmc.LatinHypercube(d=dims, rng=generator(seed, "qmc")).random(paths)
    sobol = qmc.Sobol(d=dims, scramble=True, rng=generator(seed, "qmc"))
    return sobol.random_base2(int(np.ceil(np.log2(max(paths, 2)))))[:paths]


def _correlated(sc: Loaded, u: np.ndarray) -> np.ndarray:
    """Uniforms kept off 0 and 1, then correlated through the scenario's Gaussian copula."""
    u = np.clip(u, U_EPSILON, 1.0 - U_EPSILON)
    factor = sc.inputs.correlation_factor
    if factor is not None:
        u = np.clip(special.ndtr(special.ndtri(u) @ factor.T), U_EPSILON, 1.0 - U_EPSILON)
    return u


def inputs_from_uniforms(resolved: Resolved, u: np.ndarray) -> dict[str, np.ndarray]:
    """Map uniforms ``(paths, sampled inputs)`` to input arrays; fixed inputs stay scalars.

    Where the exchange rate walks, a US-dollar-priced option's ``price_volatility_per_year`` is
    the volatility of its whole price index in the scenario's currency, hypot(own, fx): the
    vendor's own walk and the rate's are independent, so their variances add (``draw_shocks``
    gives the matching noise).
    """
    x: dict[str, np.ndarray] = {}
    columns = {p.path: j for j, p in enumerate(resolved.sampled)}
    for path, param in resolved.params.items():
        if path in columns:
            x[path] = param.value.ppf(u[:, columns[path]])  # type: ignore[union-attr]
        else:
            x[path] = np.array([param.nominal])
    if fx_moves(resolved):
        for name in resolved.usd_priced:
            path = f"options.{name}.price_volatility_per_year"
            x[path] = np.hypot(x[path], x[FX_VOLATILITY])
    return x


def fx_moves(resolved: Resolved) -> bool:
    """Whether the exchange rate walks (a non-USD scenario with ``fx_volatility_per_year``) and
    moves some option's price index."""
    param = resolved.params.get(FX_VOLATILITY)
    return bool(resolved.usd_priced) and param is not None and (param.uncertain or param.nominal > 0)


def risk_option_pairs(sc: Loaded) -> list[tuple[int, str]]:
    """Every (risk index, option) pair that draws events, in the order streams are drawn."""
    return [(i, name) for i, risk in enumerate(sc.risks) for name in risk.on]


def fact_unit(sc: Loaded, i: int, name: str) -> str:
    """What an event of risk ``i`` on option ``name`` is a fact about: 'vendor:anthropic',
    'family:meta/llama', or 'option:<name>' where the kind is about the option, the option lacks
    the unit (a closed model has no family) or the line is ``independent``."""
    risk = sc.risks[i]
    about = risk.spec.fact_about
    unit = None if about == "option" or risk.independent else options.fact_unit(sc.options[name], about)
    return f"option:{name}" if unit is None else f"{about}:{unit}"


def fact_of_pair(sc: Loaded) -> list[int]:
    """For each risk-option pair, the first pair of its line that is the same fact (itself where
    none is): the pairs that take that pair's events, month for month and size for size.

    One fact, one draw: a family's licence change or a vendor's exit named on several options is
    one real-world event, so it fires once per path for all of them.
    """
    first: dict[tuple[int, str], int] = {}
    return [first.setdefault((i, fact_unit(sc, i, name)), k)
            for k, (i, name) in enumerate(risk_option_pairs(sc))]


def facts(sc: Loaded) -> dict[int, list[str]]:
    """The distinct facts a run draws: each fact's first pair, with the options it reaches."""
    out: dict[int, list[str]] = {}
    for (_, name), first in zip(risk_option_pairs(sc), fact_of_pair(sc), strict=True):
        out.setdefault(first, []).append(name)
    return out


def noisy_options(sc: Loaded) -> list[str]:
    """Options whose price index has volatility (their own, or the exchange rate's), so they draw
    a normal per path and month."""
    fx = set(sc.inputs.usd_priced) if fx_moves(sc.inputs) else set()
    return [name for name in sc.options
            if sc.inputs.params[f"options.{name}.price_volatility_per_year"].uncertain
            or sc.inputs.params[f"options.{name}.price_volatility_per_year"].nominal > 0 or name in fx]


def planned_releases(sc: Loaded, name: str) -> int:
    """How many releases of an option's track are planned within the horizon (0 without one)."""
    option = sc.options[name]
    track = options.of(option).track(option)
    if track is None or track.next_release_month >= sc.horizon_months:
        return 0
    return -(-(sc.horizon_months - track.next_release_month) // track.cadence_months)


def _fired(sc: Loaded, x: dict[str, np.ndarray], seed: int, first_path: int, paths: int,
           pairs: list[tuple[int, str]], drawn: list[int]) -> dict[int, np.ndarray]:
    """Whether each drawn pair's event fires in each (path, month): ``(paths, months)`` by pair index.

    ``drawn`` are the indices of the pairs that are their own fact (at least the first pair).

    Notes
    -----
    Each pair's events on a path form a Bernoulli process with monthly probability q, drawn by its
    gaps: G_k = max(1, ceil(ln u_k / ln(1 - q))) is geometric, P(G > g) = P(u < (1 - q)^g) =
    (1 - q)^g, and an event falls in months G_1 - 1, G_1 + G_2 - 1, ... (counted from 0) while
    inside the horizon, at most ``max_events`` of them. u_k is the cell uniform of the "arrivals"
    stream at counter pair x PAIR_STRIDE + path x months + k: the k-th event falls in month k or
    later, so k < months and a pair's counters never meet another path's. All pairs and paths are
    drawn together, one k at a time over those still inside the horizon: a path needs one uniform
    per event plus one: 23 for the benchmark's 10 pairs over 60 months, where one per month needs 600.
    Plain numpy rather than a compiled loop: a numba version of this step gave the same months and
    saved 0.06 s of the 0.7 s the benchmark's 100,000 paths take to draw, not worth a compile on
    first use.
    """
    months = sc.horizon_months
    fired = np.zeros((len(drawn), paths, months), dtype=bool)
    # One entry per (drawn pair, path), pair after pair: ln(1 - q), the counter of its first gap,
    # the most events it may take and the month of its latest event (-1 before the first).
    annual = [np.broadcast_to(x[f"risks.{pairs[k][0]}.annual_probability"], (paths,)) for k in drawn]
    with np.errstate(divide="ignore"):  # q = 1: ln 0 = -inf, and every gap is one month
        log_stay = np.log1p(-monthly_probability(np.concatenate(annual)))
    path_counter = (first_path + np.arange(paths, dtype=np.int64)) * months
    first_counter = np.concatenate([k * PAIR_STRIDE + path_counter for k in drawn])
    caps = [sc.risks[pairs[k][0]].max_events for k in drawn]
    cap = np.repeat([months if c is None else min(c, months) for c in caps], paths)
    latest = np.full(len(drawn) * paths, -1, dtype=np.int64)
    live = np.flatnonzero(log_stay < 0.0)  # q = 0 never fires
    key = stream_key(seed, "arrivals")
    for k in range(months):
        live = live[cap[live] > k]  # only a path's first ``max_events`` events
        if live.size == 0:
            break
        log_u = np.log(unit_uniforms(splitmix64(key, first_counter[live] + k)))
        with np.errstate(over="ignore"):  # any gap past the horizon is as good as infinite
            gap = np.minimum(np.ceil(log_u / log_stay[live]), months + 1)
        # ln u / ln(1 - q) is 0 where q = 1: an event every month.
        latest[live] += np.maximum(gap, 1.0).astype(np.int64)
        live = live[latest[live] < months]
        fired.reshape(-1)[live * months + latest[live]] = True
    return dict(zip(drawn, fired, strict=True))


def event_counters(fired: np.ndarray, pair: int, first_path: int) -> np.ndarray:
    """Counters of the events of ``fired`` ((paths, months), paths from ``first_path``) for pair
    ``pair``, in ``np.flatnonzero`` order: pair x PAIR_STRIDE + path x months + k for a path's
    k-th event (k < months, so no two paths' counters meet)."""
    months = fired.shape[1]
    rows, _ = np.nonzero(fired)  # row-major: the order of np.flatnonzero
    k = np.arange(rows.size) - np.searchsorted(rows, rows)  # position within its path's events
    return pair * PAIR_STRIDE + (first_path + rows.astype(np.int64)) * months + k


def draw_shocks(sc: Loaded, x: dict[str, np.ndarray], seed: int, first_block: int, paths: int, *,
                with_noise: bool = True) -> Shocks:
    """Draw events, impacts, migration effort and price noise for consecutive blocks of paths.

    ``x`` holds the inputs of exactly these paths (the annual probabilities may vary by path).
    """
    resolved = sc.inputs
    months = sc.horizon_months
    blocks = -(-paths // RNG_BLOCK_PATHS)
    shocks = Shocks(paths=paths)

    def draw(stream: str, method: str, count: int) -> list[np.ndarray]:
        """``count`` arrays of (paths, months), each block's stream consumed in a fixed order.

        Drawn straight into their rows of the result (``out=``) rather than concatenated.
        """
        arrays = [np.empty((blocks * RNG_BLOCK_PATHS, months)) for _ in range(count)]
        for b in range(blocks):
            rng = generator(seed, stream, first_block + b)
            rows = slice(b * RNG_BLOCK_PATHS, (b + 1) * RNG_BLOCK_PATHS)
            for array in arrays:
                getattr(rng, method)(out=array[rows])
        return [array[:paths] for array in arrays]

    first_path = first_block * RNG_BLOCK_PATHS
    pairs = risk_option_pairs(sc)
    if pairs:
        fact = fact_of_pair(sc)
        fired_by_pair = _fired(sc, x, seed, first_path, paths, pairs,
                               [k for k in range(len(pairs)) if fact[k] == k])
        weeks = resolved.params["switching.engineer_weeks"]
        for k, (i, name) in enumerate(pairs):
            if fact[k] != k:
                # The same fact as an earlier pair of the line: its months and sizes (it draws no
                # gaps of its own). Each option's migration is its own work, so its effort keeps
                # its own counters.
                first = pairs[fact[k]]
                fired = shocks.fired[(i, name)] = shocks.fired[first]
                shocks.impact[(i, name)] = shocks.impact[first]
                counters = event_counters(fired, k, first_path)
                shocks.weeks[(i, name)] = (
                    weeks.value.ppf(cell_uniforms(seed, "weeks", counters))  # type: ignore[union-attr]
                    if weeks.uncertain else np.full(counters.size, weeks.nominal))
                continue
            fired = shocks.fired[(i, name)] = fired_by_pair[k]
            # Sizes and efforts only for the events that fired, in np.flatnonzero order.
            counters = event_counters(fired, k, first_path)
            impact_param = resolved.impact(i, sc.scenario)
            if impact_param is None:
                shocks.impact[(i, name)] = np.ones(counters.size)
            elif impact_param.uncertain:
                shocks.impact[(i, name)] = impact_param.value.ppf(  # type: ignore[union-attr]
                    cell_uniforms(seed, "impacts", counters))
            else:
                shocks.impact[(i, name)] = np.full(counters.size, impact_param.nominal)
            shocks.weeks[(i, name)] = (
                weeks.value.ppf(cell_uniforms(seed, "weeks", counters))  # type: ignore[union-attr]
                if weeks.uncertain else np.full(counters.size, weeks.nominal))
    for o_i, name in enumerate(sc.options):
        count = planned_releases(sc, name)
        delay = resolved.params.get(f"options.{name}.release_track.vetting_delay_months")
        if count and delay is not None and delay.uncertain:
            # One uniform per (option, path, release), fixed whatever the chunking.
            cells = (o_i * PAIR_STRIDE + (first_path + np.arange(paths))[:, None] * count
                     + np.arange(count)[None, :])
            shocks.delays[name] = delay.value.ppf(  # type: ignore[union-attr]
                cell_uniforms(seed, "releases", cells.ravel())).reshape(paths, count)
    if with_noise:
        noisy = noisy_options(sc)
        if noisy:
            moves = fx_moves(resolved)
            normals = draw("noise", "standard_normal", len(noisy) + moves)
            for name, z in zip(noisy, normals, strict=False):
                shocks.noise[name] = z
            if moves:
                _add_fx(shocks, resolved, x, normals[-1])
    return shocks


def _add_fx(shocks: Shocks, resolved: Resolved, x: dict[str, np.ndarray], z_fx: np.ndarray) -> None:
    """Mix the exchange rate's one walk into the noise of every US-dollar-priced option.

    Notes
    -----
    The kernel moves log I by sigma z - sigma^2 / 2 a month. With sigma = hypot(s_own, s_fx)
    (``inputs_from_uniforms``) and z = (s_own z_own + s_fx z_fx) / sigma, a standard normal, the
    move is s_own z_own + s_fx z_fx - (s_own^2 + s_fx^2) / 2: the vendor's walk and the rate's
    walk, shared by every such option on the path, each mean-preserving, so E[I(t)] is unchanged.
    ``z_fx`` is ``(paths, months)``, drawn after every option's own normals in the block's stream.
    """
    s_fx = x[FX_VOLATILITY][:, None]
    for name in resolved.usd_priced:
        total = x[f"options.{name}.price_volatility_per_year"][:, None]
        w_fx = np.divide(s_fx, total, out=np.zeros(np.broadcast_shapes(s_fx.shape, total.shape)),
                         where=total > 0)
        shocks.noise[name] = np.sqrt(1.0 - w_fx**2) * shocks.noise[name] + w_fx * z_fx
