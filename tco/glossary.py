"""Human labels for every input path and output column, declared once in ``GLOSSARY``.

Charts, the deck's appendix, the assumptions table and the CSV column notes all read their labels
here, so an input is called the same thing everywhere. A path no entry matches raises
``UnknownPath`` rather than showing the raw path: a new scenario field without a label fails the
glossary test instead of leaking ``options.x.new_field`` into a board deck.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import cache
from typing import Any

from pydantic import BaseModel

import tco.options as options
import tco.risks as risks
import tco.schema as schema
from tco.errors import ScenarioError
from tco.schema import Scenario


class UnknownPath(LookupError):
    """A path or column with no glossary entry (add one to ``GLOSSARY``)."""


@dataclass(frozen=True)
class Entry:
    """The generic label of one field pattern: label, unit and a one-sentence help text.

    An input's help is its schema field's description (``help_of``), written once there; an entry
    gives its own only where the field has none or the glossary says more than the field can
    (named other costs, whose owner the field does not know).
    """

    label: str
    unit: str
    help: str = ""


@dataclass(frozen=True)
class Label:
    """The label of one concrete path: ``label`` names its subject ('llama-70b: GPU rent')."""

    path: str
    label: str
    unit: str
    help: str

    @property
    def text(self) -> str:
        """Label with its unit in brackets, for headers and axis titles: 'Expected NPV ($)'."""
        return f"{self.label} ({self.unit})" if self.unit else self.label


_MONEY, _FRACTION, _PER_MONTH = "$", "fraction 0-1", "$ per month"

GLOSSARY: dict[str, Entry] = {
    # Scenario inputs: the paths of the resolved inputs (tco.inputs.resolve).
    "workload.requests_per_month": Entry("Requests per month", "requests per month"),
    "workload.input_tokens_per_request": Entry("Input tokens per request", "tokens"),
    "workload.output_tokens_per_request": Entry("Output tokens per request", "tokens"),
    "workload.cached_input_share": Entry("Cached input share", _FRACTION),
    "workload.batchable_share": Entry("Batchable share", _FRACTION),
    "workload.growth_per_month": Entry("Traffic growth", "fraction per month"),
    "workload.peak_to_average": Entry("Peak-to-average traffic", "ratio"),
    "workload.monthly_active_users": Entry("Monthly active users", "users"),
    "workload.mau_growth_per_month": Entry("User growth", "fraction per month"),
    "workload.long_context_share": Entry("Long-context share", _FRACTION),
    "workload.long_context_input_tokens": Entry("Long-context input tokens", "tokens"),
    "workload.cache_write_share": Entry("Cache-write share", _FRACTION),
    "horizon_months": Entry("Horizon", "months"),
    "discount_rate_per_year": Entry("Discount rate", "fraction per year"),
    "fx_volatility_per_year": Entry("Exchange-rate volatility", "fraction per year"),
    "options.*.input_usd_per_mtok": Entry("Input price", "$ per 1M tokens"),
    "options.*.cached_input_usd_per_mtok": Entry("Cached input price", "$ per 1M tokens"),
    "options.*.output_usd_per_mtok": Entry("Output price", "$ per 1M tokens"),
    "options.*.cache_write_usd_per_mtok": Entry("Cache-write price", "$ per 1M tokens"),
    "options.*.long_context_input_usd_per_mtok": Entry("Long-context input price", "$ per 1M tokens"),
    "options.*.long_context_cached_input_usd_per_mtok": Entry(
        "Long-context cached input price", "$ per 1M tokens"),
    "options.*.long_context_output_usd_per_mtok": Entry("Long-context output price", "$ per 1M tokens"),
    "options.*.commitment.usd_per_month": Entry("Committed spend", _PER_MONTH),
    "options.*.commitment.discount": Entry("Commitment discount", _FRACTION),
    "options.*.reserved.usd_per_gpu_hour": Entry("Reserved GPU price", "$ per GPU-hour"),
    "options.*.release_track.age_months_at_start": Entry("Weights' age at start", "months"),
    "options.*.release_track.vetting_delay_months": Entry("Vetting delay", "months"),
    "options.*.release_track.upgrade_usd": Entry("Upgrade cost", _MONEY),
    "options.*.release_track.lag_tolerance_months": Entry("Lag tolerance", "months"),
    "options.*.release_track.escalation_per_month_of_lag": Entry(
        "Escalation per month of lag", "fraction per month"),
    "options.*.release_track.escalation_cap": Entry("Lag escalation cap", _FRACTION),
    "options.*.fine_tune.usd_per_mtok_trained": Entry("Fine-tuning price", "$ per 1M tokens trained"),
    "options.*.fine_tune.setup_usd": Entry("Fine-tuning pipeline setup", _MONEY,
                                           "One-off cost to stand up the owned pipeline."),
    "options.*.fine_tune.usd_per_month": Entry("Fine-tuning pipeline", _PER_MONTH,
                                               "Monthly cost of the owned pipeline while in use."),
    "options.*.fine_tune.adapter_portability": Entry(
        "Adapter portability", _FRACTION, "Share of training a release upgrade within the family "
        "saves (adapters carried over)."),
    "options.*.fine_tune.hosting_usd_per_hour": Entry("Fine-tuned model hosting", "$ per hour"),
    "options.*.fine_tune.price_multiplier": Entry("Fine-tuned price multiplier", "multiplier"),
    "options.*.fine_tune.traffic_share": Entry("Fine-tuned traffic share", _FRACTION),
    "fine_tuning.dataset_tokens": Entry("Fine-tuning dataset", "tokens"),
    "fine_tuning.epochs": Entry("Fine-tuning epochs", "passes"),
    "fine_tuning.eval_usd_per_run": Entry("Evaluation per run", _MONEY),
    "fine_tuning.engineer_weeks_per_run": Entry("Engineering per run", "engineer-weeks"),
    "options.*.purchase.maintenance_share_per_year": Entry("GPU maintenance", "fraction of price per year"),
    "options.*.purchase.colocation_usd_per_gpu_month": Entry("Colocation", "$ per GPU-month"),
    "options.*.other_costs.*.usd_per_month": Entry("monthly cost", _PER_MONTH,
                                                   "A named cost paid while the option carries traffic."),
    "options.*.other_costs.*.usd_per_mtok": Entry("cost per 1M tokens", "$ per 1M tokens",
                                                  "A named cost per million tokens the option carries."),
    "options.*.other_costs.*.setup_usd": Entry("setup", _MONEY,
                                               "A named one-off cost in the option's first month of use."),
    "strategies.*.other_costs.*.usd_per_month": Entry("monthly cost", _PER_MONTH,
                                                      "A named cost the strategy pays every month."),
    "strategies.*.other_costs.*.usd_per_mtok": Entry("cost per 1M tokens", "$ per 1M tokens",
                                                     "A named cost per million tokens served."),
    "strategies.*.other_costs.*.setup_usd": Entry("setup", _MONEY,
                                                  "A named one-off cost in month 0."),
    "options.*.batch_discount": Entry("Batch discount", _FRACTION),
    "options.*.list_price_discount": Entry("Negotiated discount off list prices", _FRACTION),
    "options.*.catalog": Entry("Price catalog entry", ""),
    "options.*.price_trend_per_year": Entry("Price trend", "fraction per year"),
    "options.*.price_volatility_per_year": Entry("Price volatility", "fraction per year"),
    "options.*.usd_per_gpu_hour": Entry("GPU rent", "$ per GPU-hour"),
    "options.*.purchase.usd_per_gpu": Entry("GPU purchase price", "$ per GPU"),
    "options.*.purchase.years": Entry("GPU useful life", "years"),
    "options.*.purchase.kw_per_gpu": Entry("Power per GPU", "kW per GPU"),
    "options.*.purchase.usd_per_kwh": Entry("Electricity price", "$ per kWh"),
    "options.*.purchase.pue": Entry("Power usage effectiveness", "ratio"),
    "options.*.target_utilization": Entry("Target utilisation", _FRACTION),
    "options.*.ops_fte": Entry("Ops staff", "FTE"),
    "options.*.usd_per_fte_year": Entry("Ops staff cost", "$ per FTE-year"),
    "options.*.setup_usd": Entry("Setup cost", _MONEY),
    "options.*.escalation_share": Entry("Escalation share", _FRACTION),
    "options.*.same_weights_switching_share": Entry("Same-weights switching share", _FRACTION),
    "options.*.throughput_factor": Entry("Throughput factor", "multiplier",
                                         "Measured over modelled throughput: the spread of "
                                         "published benchmarks around the capacity model."),
    "options.*.tokens_per_second_per_gpu": Entry("Measured throughput", "output tokens/s per GPU"),
    "options.*.missing_components.*.setup_usd": Entry("setup", _MONEY),
    "options.*.missing_components.*.usd_per_month": Entry("monthly cost", _PER_MONTH),
    "options.*.licence.mau_threshold": Entry("Licence user threshold", "users"),
    "options.*.licence.usd_per_month_above": Entry("Licence fee above threshold", _PER_MONTH),
    "strategies.*.portability": Entry("Portability", _FRACTION),
    "strategies.*.overhead_usd_per_month": Entry("Gateway and overhead", _PER_MONTH),
    "strategies.*.list_price_discount": Entry("Negotiated discount off token prices (strategy)",
                                              _FRACTION),
    "switching.engineer_weeks": Entry("Engineer-weeks per migration", "engineer-weeks"),
    "switching.usd_per_engineer_week": Entry("Engineer cost", "$ per engineer-week"),
    "switching.dual_running_months": Entry("Dual running", "months"),
    "switching.dual_running_share": Entry("Dual-run share of moving traffic", _FRACTION),
    "switching.one_off_usd": Entry("One-off cost per migration", _MONEY),
    "risks.*.annual_probability": Entry("Annual probability", "probability per year"),
    # Each risk kind's own fields are labelled where the kind declares them (tco.risks).
    # Per-path event columns of paths.csv: drawn per risk and option (SimulationResult.event_columns,
    # also the global ranking's drivers), and fired per strategy (SimulationResult.fired_columns).
    "events.*.*": Entry("Events drawn", "events per path",
                        "Times the event was drawn for the option on one simulated path, before any "
                        "strategy: draws after the option's exit and repeats of one-off kinds "
                        "included. events_<kind>.<strategy> counts those that hit a strategy."),
    "events_*.*": Entry("Events fired", "events per path",
                        "Events of this kind on the options the strategy relied on, counted in the "
                        "months it carried traffic on them, on one simulated path; summary.csv's "
                        "events_<kind> is their mean over paths."),
    # Summary columns (SimulationResult.summary(), summary.csv).
    "strategy": Entry("Strategy", "", "Name of the strategy in the scenario."),
    "deterministic_npv": Entry("Deterministic NPV", _MONEY,
                               "Present value of total cost with every input at its nominal value and "
                               "no events."),
    "mean": Entry("Expected NPV", _MONEY, "Mean present value of total cost over the simulated paths."),
    "p5": Entry("P5 NPV", _MONEY, "Present value of total cost that 5% of paths stay below."),
    "p50": Entry("Median NPV", _MONEY, "Present value of total cost that half the paths stay below."),
    "p95": Entry("P95 NPV", _MONEY, "Present value of total cost that 95% of paths stay below."),
    "cvar95": Entry("CVaR95", _MONEY, "Mean present value of total cost over the worst 5% of paths."),
    "p_cheapest": Entry("P(cheapest)", "",
                        "Share of paths on which the strategy costs least (a percentage on the page "
                        "and the deck, a fraction 0-1 in the CSVs)."),
    "expected_regret": Entry("Expected regret", _MONEY,
                             "Mean extra cost over the best strategy on the same path."),
    "lock_in_premium": Entry("Lock-in premium", _MONEY,
                             "Expected cost added by vendor events over the same paths without them."),
    "se_mean": Entry("Standard error of expected NPV", _MONEY,
                     "Monte Carlo standard error of the mean NPV."),
    "se_p95": Entry("Standard error of P95 NPV", _MONEY, "Monte Carlo standard error of the P95 NPV."),
    "switching_spend": Entry("Switching spend", _MONEY,
                             "Mean present value of forced-migration costs."),
    "p_no_live_fallback": Entry("P(no live fallback)", "",
                                "Share of paths on which some traffic was left on an exited option "
                                "because every fallback had exited too (a percentage on the page and "
                                "the deck, a fraction 0-1 in the CSVs)."),
    "events_*": Entry("mean events per path", "events per path",
                      "Mean number of events fired per path: events of this kind on the options the "
                      "strategy relied on, counted in the months it carried traffic on them (the "
                      "mean of paths.csv's events_<kind>.<strategy>)."),
    # Provenance columns appended to summary.csv and monthly_percentiles.csv.
    "scenario_sha256": Entry("Scenario SHA-256", "", "Hash of the scenario's fields as canonical JSON."),
    "seed": Entry("Random seed", "", "Seed of the random paths; the same seed gives the same numbers."),
    "paths": Entry("Simulated paths", "paths", "Number of random futures simulated."),
    "sampling": Entry("Sampling method", "", "How path-level inputs were drawn: random, lhs or sobol."),
    "tco_version": Entry("Calculator version", "", "Version of this calculator."),
    "api_prices_as_of": Entry("API prices as of", "date", "Date of the API price snapshot."),
    # monthly_percentiles.csv and paths.csv.
    "month": Entry("Month", "months from start", "Month of the horizon, 0 being the first."),
    "fiscal_year": Entry("Fiscal year", "", "Fiscal year of the month, named by the calendar year it "
                                            "ends in (fiscal_year_start_month sets its first month)."),
    "line": Entry("Cost line", "", "The cost line (see the README's assumptions for each rule)."),
    "deterministic_usd": Entry("Deterministic cost", _MONEY,
                               "Undiscounted cost with every input at its nominal value and no events."),
    "mean_usd": Entry("Mean cost", _MONEY, "Undiscounted cost, mean over the simulated paths."),
    "discounted": Entry("Discounted", "", "Whether the money columns are discounted to present value."),
    "calendar_month": Entry("Calendar month", "YYYY-MM", "The calendar month of the horizon month."),
    "p5_cumulative_usd": Entry("P5 cumulative cost", _MONEY,
                               "Undiscounted cost to date that 5% of paths stay below."),
    "p25_cumulative_usd": Entry("P25 cumulative cost", _MONEY,
                                "Undiscounted cost to date that 25% of paths stay below."),
    "p50_cumulative_usd": Entry("Median cumulative cost", _MONEY,
                                "Undiscounted cost to date that half the paths stay below."),
    "p75_cumulative_usd": Entry("P75 cumulative cost", _MONEY,
                                "Undiscounted cost to date that 75% of paths stay below."),
    "p95_cumulative_usd": Entry("P95 cumulative cost", _MONEY,
                                "Undiscounted cost to date that 95% of paths stay below."),
    "mean_cumulative_usd": Entry("Mean cumulative cost", _MONEY,
                                 "Mean undiscounted cost to date over the simulated paths."),
    "path": Entry("Path", "", "Index of the simulated path."),
    # assumptions.csv: every input of the run, where it came from.
    "input": Entry("Input path", "", "The input's field path in the scenario file, risks.<index> for "
                   "a risk line (for scenario authors)."),
    "input_label": Entry("Input", "", "The input's name, as the page and the deck call it."),
    "value": Entry("Value", "the input's unit", "The input's value, or its distribution in words."),
    "nominal": Entry("Nominal value", "the input's unit",
                     "The value the deterministic model uses: the mode, midpoint, median or mean."),
    "input_unit": Entry("Unit", "", "The input's unit."),
    "source": Entry("Source", "", "Where the value came from: the scenario file's cited source, a "
                                  "catalog row, a default, or 'edited on the page (was ...)'."),
    "as_of": Entry("As of", "date", "Date of the source's data, where it has one."),
    "warning": Entry("Warning", "", "Why the value needs a look (a price older than 90 days)."),
    "npv_usd.*": Entry("NPV", _MONEY, "Present value of the strategy's total cost on this path."),
    # value_of_information.csv (tco.optimise.information).
    "label": Entry("Label", "", "The input or risk line in words."),
    "kind": Entry("Kind", "", "risk: whether the risk line fired over the horizon; input: the "
                  "sampled value, in quantile bins."),
    "evppi_usd": Entry("EVPPI", _MONEY, "Expected value of partial perfect information: how much "
                       "lower expected NPV would be if the strategy could be chosen knowing this "
                       "input's outcome (cross-fitted on two halves of the paths)."),
    "share_of_evpi": Entry("Share of EVPI", "fraction 0-1", "EVPPI as a share of EVPI, the worth "
                           "of perfect foresight of every shock."),
    "se_usd": Entry("Standard error of EVPPI", _MONEY, "Monte Carlo standard error of the EVPPI."),
    "evpi_usd": Entry("EVPI", _MONEY, "Expected value of perfect information: the smallest "
                      "expected regret over the strategies compared."),
    # The portfolio's tables: the page's and the deck's headers, the workbook's columns.
    "alone_npv_usd": Entry("Alone, expected NPV", _MONEY, "The workload run on its own."),
    "usage_basis_npv_usd": Entry("Usage basis, expected NPV", _MONEY, "Pools shared by use."),
    "allocation_basis_npv_usd": Entry("Allocation basis, expected NPV", _MONEY, "Use at unit cost."),
    "expected_npv_usd": Entry("Expected spend, NPV", _MONEY, "What the vendor is paid."),
    "cvar95_contribution_npv_usd": Entry("In the worst 5%, NPV", _MONEY, "Sums to CVaR95 over vendors."),
    "cvar95_share": Entry("Share of CVaR95", "", "The vendor's part of the portfolio's CVaR95."),
    "costed_by": Entry("Costed by", "", "How the chosen mix was costed (tco.optimise)."),
    "search_estimate": Entry("Estimate used for the search", _MONEY, "Options alone, mixed by share."),
    "recosted_same": Entry("Recosted on the same futures", _MONEY, "The full model, futures searched."),
    "recosted_fresh": Entry("Recosted on new futures", _MONEY, "The full model, futures never searched."),
}
"""Field pattern -> generic entry. ``*`` matches one dotted segment (an option, strategy or index)."""

SAMPLED_PREFIX = "input."
"""paths.csv and the global ranking prefix a sampled input's path with this."""


def entry(path: str) -> Entry:
    """The generic label, unit and help of a path's field, without its subject."""
    parts = path.split(".")
    if len(parts) == 3 and parts[0] == "risks":
        for kind in risks.REGISTRY.values():
            spec = kind.fields.get(parts[2])
            if spec is not None:
                return Entry(spec.label, spec.unit, spec.help)
    for pattern, entry in GLOSSARY.items():
        keys = pattern.split(".")
        if len(keys) == len(parts) and all(map(fnmatchcase, parts, keys)):
            return entry if entry.help else Entry(entry.label, entry.unit, help_of(path))
    raise UnknownPath(f"no glossary label for '{path}': add its pattern to tco.glossary.GLOSSARY")


def as_percent(unit: str) -> str:
    """The unit of a fraction shown x100: 'fraction 0-1' -> '%', 'fraction per month' ->
    '% per month', 'probability per year' -> '% per year'."""
    for word in ("fraction 0-1", "fraction", "probability"):
        if unit.startswith(word):
            return "%" + unit[len(word):]
    return unit


@cache
def help_of(path: str) -> str:
    """The description of the schema field at ``path`` ('options.x.purchase.pue'); '' where the
    path is no field. Descriptions never state the unit: the entry's unit is the one shown."""
    models: list[type] = [schema.Scenario]
    parts, i = path.split("."), 0
    while models:
        field = next((m.model_fields[parts[i]] for m in models if parts[i] in m.model_fields), None)
        if field is None:
            return ""
        if i == len(parts) - 1:
            return " ".join((field.description or "").split())
        models, skip = sections_in(field.annotation)
        i += 1 + skip
        if i >= len(parts):
            return ""
    return ""


def sections_in(annotation: Any) -> tuple[list[type], int]:
    """The section models a field's value holds, and how many path segments (a name or an index)
    sit between the field and their fields."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return sections_in(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        found = [sections_in(a) for a in typing.get_args(annotation)]
        return [m for models, _ in found for m in models], max(skip for _, skip in found)
    if origin in (dict, tuple):
        return sections_in(typing.get_args(annotation)[-1 if origin is dict else 0])[0], 1
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation], 0
    return [], 0


def _lower_first(text: str) -> str:
    """'Output price' -> 'output price' after a subject, but 'GPU rent' keeps its acronym."""
    return text if len(text) > 1 and text[1].isupper() else text[:1].lower() + text[1:]


def _risk_label(kind: str, path: str) -> str:
    try:
        return risks.label(kind)
    except ScenarioError:
        raise UnknownPath(f"'{path}': unknown risk kind '{kind}'") from None


def _index(text: str, path: str) -> int:
    if not text.isdigit():
        raise UnknownPath(f"'{path}': '{text}' should be an index")
    return int(text)


def _subject(parts: list[str], path: str, sc: Scenario | None) -> tuple[str, str]:
    """The subject a path belongs to and the text joining it to the field's label."""
    head = parts[0]
    if head in ("options", "strategies") and len(parts) > 4 and parts[2] == "other_costs":
        owner, index = parts[1], _index(parts[3], path)
        if sc is None:
            return f"{owner}: other cost {index + 1}", " "
        section = sc.options if head == "options" else sc.strategies
        costs = getattr(section.get(owner), "other_costs", ())
        if index >= len(costs):
            raise UnknownPath(f"'{path}': {owner} has no other cost {index}")
        return f"{owner}: {costs[index].name}", " "
    if head == "options" and len(parts) > 4 and parts[2] == "missing_components":
        option, index = parts[1], _index(parts[3], path)
        if sc is None:
            return f"{option}: missing component {index + 1}", " "
        owner = sc.options.get(option)
        components = options.of(owner).parts(owner) if owner is not None else ()
        if index >= len(components):
            raise UnknownPath(f"'{path}': {option} has no missing component {index}")
        return f"{option}: {components[index].name} (missing component)", " "
    if head == "options":
        return parts[1], ": "
    if head in ("strategies", "npv_usd"):
        return f"Strategy {parts[1]}", ": "
    if head == "switching":
        return "Switching", ": "
    if head == "events":
        return f"{_risk_label(parts[1], path)} on {parts[2]}", ": "
    if head.startswith("events_"):
        kind = _risk_label(head.removeprefix("events_"), path)
        return (f"Strategy {parts[1]}: {kind}", " ") if len(parts) == 2 else (kind, ": ")
    if head == "risks":
        index = _index(parts[1], path)
        if sc is None:
            return f"Risk {index + 1}", ": "
        if index >= len(sc.risks):
            raise UnknownPath(f"'{path}': the scenario has {len(sc.risks)} risks")
        risk = sc.risks[index]
        return f"{_risk_label(risk.kind, path)} on {', '.join(risk.on)}", ": "
    return "", ""


def describe(path: str, scenario: Scenario | None = None) -> Label:
    """Label a concrete input path or output column.

    Parameters
    ----------
    path
        A parameter path ('risks.3.escalation_cap'), a paths.csv column ('input.<path>',
        'events.exit.gpt', 'npv_usd.hybrid') or a summary / CSV column ('p_cheapest').
    scenario
        Supplies risk kinds and missing-component names; without it they read 'Risk 4' and
        'missing component 1'.

    Returns
    -------
    Label
        'Licence change on llama-70b: escalation cap', unit 'fraction 0-1', and its help.

    Raises
    ------
    UnknownPath
        No glossary entry matches the path.
    """
    if path.startswith(SAMPLED_PREFIX):
        inner = describe(path.removeprefix(SAMPLED_PREFIX), scenario)
        return Label(path, inner.label, inner.unit, inner.help)
    generic = entry(path)
    subject, joiner = _subject(path.split("."), path, scenario)
    text = f"{subject}{joiner}{_lower_first(generic.label)}" if subject else generic.label
    return Label(path, text, generic.unit, generic.help)


def columns_table(columns: list[str], scenario: Scenario | None = None) -> list[Label]:
    """Labels of several columns in order, each column once (the CSV column notes)."""
    return [describe(c, scenario) for c in dict.fromkeys(columns)]


def humanize(message: str, scenario: Scenario | None = None) -> str:
    """A message that starts with a dotted path ('options.x.target_utilization: above 0.9 ...'),
    with that path replaced by its label; other messages unchanged."""
    head, sep, rest = message.partition(": ")
    if not sep or " " in head or "." not in head:
        return message
    try:
        return f"{describe(head, scenario).label}: {rest}"
    except UnknownPath:
        parts = head.split(".")
        if parts[0] == "options" and len(parts) == 2:
            return f"Option {parts[1]}: {rest}"
        return message


SAMPLING_WORDS = {"random": "random sampling", "lhs": "Latin hypercube sampling",
                  "sobol": "Sobol sequence sampling"}
"""How a run drew its path-level inputs, in words for footers ('lhs' is the scenario file's key)."""
