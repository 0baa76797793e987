"""Plain-language verdict, assumptions table and input changes: the words around the numbers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pandas as pd

import tco.glossary as glossary
import tco.narrative as narrative
import tco.risks as risks
from tco.distributions import Distribution
from tco.fields import Bounds
from tco.format import pct, quantity, usd
from tco.inputs import Param
from tco.load import Loaded as Scenario
from tco.load import get_path, set_path, validate
from tco.options.table import DEFAULT_SOURCE
from tco.options.tokens import negotiated
from tco.sections import COVERED
from tco.simulate import SimulationResult
from tco.yamlio import to_dict

STALE_AFTER_DAYS = 90


def price_basis(sc: Scenario) -> str:
    """Whether the token prices are list prices or negotiated ones, in one sentence."""
    discounts = negotiated(sc.inputs.params)
    deals = {name: sc.inputs.params[f"strategies.{name}.list_price_discount"].nominal
             for name in sc.strategies
             if sc.inputs.params[f"strategies.{name}.list_price_discount"].nominal > 0.0}
    if not discounts and not deals:
        return "Token prices are list prices (no negotiated discount given)."
    given = ", ".join([f"{name} {pct(share, 1)}" for name, share in discounts.items()]
                      + [f"{pct(share, 1)} on every token price of {name}" for name, share in deals.items()])
    return f"Token prices less negotiated discounts off list prices: {given}; others at list prices."


def not_included(sc: Scenario) -> dict[str, tuple[str, ...]]:
    """The costs a FinOps review expects (``tco.sections.COVERED``) that each strategy has no
    line for: {strategy: missing}. A line counts when a named cost of the strategy, or of an
    option in its mix, ``covers`` it; ops staff (``ops_fte`` above 0) on such an option is staff.
    Fallbacks do not count: their lines are paid only once traffic reaches them."""
    out = {}
    for name, strategy in sc.strategies.items():
        costs = [*strategy.other_costs, *(c for o in strategy.mix for c in sc.options[o].other_costs)]
        covered = {c.covers for c in costs}
        fte = [sc.inputs.params.get(f"options.{o}.ops_fte") for o in strategy.mix]
        if any(p is not None and p.nominal > 0 for p in fte):
            covered.add("staff")
        out[name] = tuple(c for c in COVERED if c not in covered)
    return out


def missing_sentence(sc: Scenario) -> str:
    """'Not included: storage, egress and evaluation (no strategy has a line for them); staff in
    api-only.', or '' when every strategy carries every expected cost."""
    missing = not_included(sc)
    everywhere = [c for c in COVERED if all(c in m for m in missing.values())]
    parts = [f"{_and(everywhere)} (no strategy has a line for {'them' if len(everywhere) > 1 else 'it'})"
             ] if everywhere else []
    parts += [f"{c} in {_and([s for s, m in missing.items() if c in m])}" for c in COVERED
              if c not in everywhere and any(c in m for m in missing.values())]
    return f"Not included: {'; '.join(parts)}." if parts else ""


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def verdict(result: SimulationResult) -> str:
    """One paragraph a board member understands, generated from the numbers."""
    table = result.summary()
    sc = result.scenario
    best = narrative.cheapest(table)
    exposed = table["lock_in_premium"].idxmax()
    years = sc.horizon_months / 12
    text = (f"Over {years:g} years, {best} has the lowest expected cost: {usd(table.loc[best, 'mean'])} "
            f"in present value, and it is the cheapest strategy on {pct(table.loc[best, 'p_cheapest'])} "
            f"of {result.paths:,} simulated futures. {narrative.tail_sentence(result)}")
    text += (f" Vendor shocks ({_shock_phrases(sc, table)}) add "
             f"{usd(table.loc[exposed, 'lock_in_premium'])} to {exposed}'s expected cost, the largest "
             f"lock-in premium of the strategies compared")
    others = [s for s in table.index if s != best]
    if others:
        worst = table.loc[others, "expected_regret"].idxmax()
        text += (f"; choosing {worst} instead of the best choice on each path would waste "
                 f"{usd(table.loc[worst, 'expected_regret'])} on average.")
    else:
        text += "."
    missing = missing_sentence(sc)
    return f"{text} {missing}" if missing else text


def _shock_phrases(sc: Scenario, table: pd.DataFrame) -> str:
    """'price rises, retirements and exits': the kinds of shock in the scenario, else every kind
    (the summary's ``events_<kind>`` columns)."""
    kinds = list(dict.fromkeys(r.kind for r in sc.risks)) or [
        c.removeprefix("events_") for c in table.columns if c.startswith("events_")]
    words = [risks.phrase(kind) for kind in kinds]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


PARAMETER_NAMES = {"triangular": ("low", "mode", "high"), "pert": ("low", "mode", "high"),
                   "uniform": ("low", "high")}
"""Names of the list-form distributions' parameters, in order."""
DISTRIBUTION_DIGITS = 4
"""Significant figures of a distribution's parameters in words: enough to tell two apart."""


def describe(value: float | Distribution, unit: str = "") -> str:
    """An input's value in words, in its unit: '$5,000,000', '3%', 'lognormal (median 1, P90
    1.147)', 'triangular (low $4, mode $8, high $20)'."""
    if isinstance(value, Distribution):
        body = value.to_yaml()[value.form]
        pairs = body.items() if isinstance(body, dict) else zip(
            PARAMETER_NAMES.get(value.form, ()), body, strict=False)
        args = ", ".join(f"{k.upper() if k.startswith('p') and k[1:].isdigit() else k} "
                         f"{quantity(v, unit, DISTRIBUTION_DIGITS)}" for k, v in pairs)
        return f"{value.form} ({args})"
    return quantity(value, unit)


def age_days(as_of: str | None, today: dt.date | None = None) -> int | None:
    if not as_of:
        return None
    return ((today or dt.date.today()) - dt.date.fromisoformat(as_of)).days


def stale_days(param: Param, today: dt.date | None = None) -> int | None:
    """Age in days of a price older than STALE_AFTER_DAYS, None for fresh prices and non-prices
    (an input left at a default of $0, none of a cost, is no price: every dollar default of the
    shipped stories is one; a non-zero dollar default ages like the file's own prices)."""
    age = age_days(param.as_of, today)
    if (age is None or not glossary.entry(param.path).unit.startswith("$") or age <= STALE_AFTER_DAYS
            or (param.source == DEFAULT_SOURCE and param.nominal == 0.0)):
        return None
    return age


def assumptions(sc: Scenario, today: dt.date | None = None) -> pd.DataFrame:
    """Every input with its label, path, value, unit, source, as-of date and a staleness warning.

    ``label`` is the glossary's name for the input; ``input`` keeps the dotted path (secondary).
    """
    rows = []
    for path, p in sc.inputs.params.items():
        age = stale_days(p, today)
        label = glossary.describe(path, sc)
        rows.append({"label": label.label,
                     "value": describe(p.value, label.unit), "nominal": p.nominal, "unit": label.unit,
                     "source": p.source, "as_of": p.as_of or "",
                     "warning": f"{age} days old" if age is not None else "", "input": path})
    return pd.DataFrame(rows)


def apply_nominal(sc: Scenario, changes: dict[str, float],
                  notes: Mapping[str, str] | None = None) -> Scenario:
    """Return a scenario with inputs moved to new nominal values.

    A fixed input takes the value. A distribution keeps its shape: scaled by new / old nominal when
    the field cannot go negative and the old nominal is not zero, shifted by the difference
    otherwise, so a slider moves the centre of an uncertain input without dropping its spread.
    Catalog-derived defaults become explicit fields. A moved distribution's numbers are kept at
    ``SIGNIFICANT_DIGITS``, so a scenario written back reads 0.01, not 0.010000000000000002.
    ``notes`` gives the changed fields their new source comments.
    """
    params = sc.inputs.params
    data = to_dict(sc.scenario)
    for path, new in changes.items():
        p: Param | None = params.get(path)
        value: Any = float(new)
        if p is not None and isinstance(p.value, Distribution):
            value = _move(p.value, float(new), p.bounds)
        set_path(data, path, value)
    kept = {k: v for k, v in dict(sc.comments).items() if k not in changes}
    return validate(data, {**kept, **(notes or {})})


SIGNIFICANT_DIGITS = 12
"""Digits a moved value keeps: those a share link carries, and no float noise."""


def _significant(v: float) -> float:
    return float(f"{v:.{SIGNIFICANT_DIGITS}g}")


def _move(dist: Distribution, new: float, bounds: Bounds) -> dict[str, Any]:
    old = dist.nominal
    positive = (bounds.ge is not None and bounds.ge >= 0) or (bounds.gt is not None and bounds.gt >= 0)
    body = dist.to_yaml()[dist.form]

    def move(v: float) -> float:
        return _significant(v * new / old if positive and old != 0 else v + (new - old))

    if isinstance(body, list):
        moved: Any = [move(v) for v in body]
    else:
        moved = {k: (move(v) if k in ("median", "p90", "mean") else
                     _significant(v * abs(new / old)) if k == "sd" and positive and old != 0 else v)
                 for k, v in body.items()}
    if bounds.le is not None and isinstance(moved, list):
        moved = [min(v, bounds.le) for v in moved]
    if bounds.ge is not None and isinstance(moved, list):
        moved = [max(v, bounds.ge) for v in moved]
    return {dist.form: moved}


def identity(sc: Scenario, path: str) -> str:
    """The name an input keeps across scenarios: a risk's fields are known by the risk's kind and
    options ('risks[licence_change on llama-70b].escalation_cap'), never by its list position,
    so two scenarios that list their risks in another order still pair the same risk. Two risks
    of one kind on the same options are told apart by their order among themselves."""
    head, _, rest = path.partition(".")
    if head != "risks":
        return path
    index, _, field = rest.partition(".")
    risk = sc.risks[int(index)]
    same = [i for i, r in enumerate(sc.risks[:int(index)])
            if r.kind == risk.kind and sorted(r.on) == sorted(risk.on)]
    tag = f" #{len(same) + 1}" if same else ""
    return f"risks[{risk.kind} on {', '.join(sorted(risk.on))}{tag}].{field}"


def changed_inputs(base: Scenario, current: Scenario) -> pd.DataFrame:
    """Inputs whose value differs between two scenarios: label, base, current, and the path.

    Inputs pair by ``identity``: a risk by its kind and options, anything else by its path.
    """
    before = {identity(base, path): (path, p) for path, p in base.inputs.params.items()}
    after = {identity(current, path): (path, p) for path, p in current.inputs.params.items()}
    rows = []
    for key in dict.fromkeys([*before, *after]):
        (path_a, a), (path_b, b) = before.get(key, ("", None)), after.get(key, ("", None))
        if a is None or b is None or a.value != b.value:
            path, sc = (path_b, current) if b is not None else (path_a, base)
            label = glossary.describe(path, sc)
            rows.append({"label": label.label, "base": describe(a.value, label.unit) if a else "",
                         "current": describe(b.value, label.unit) if b else "", "input": path})
    for field in ("horizon_months",):
        if get_path(base, field) != get_path(current, field):
            rows.append({"label": glossary.describe(field).label, "base": str(get_path(base, field)),
                         "current": str(get_path(current, field)), "input": field})
    return pd.DataFrame(rows, columns=["label", "base", "current", "input"])
