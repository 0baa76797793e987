"""Cost lines, declared once: name, label, colour and unit.

The kernel adds each cost to its line by position in ``LINES``; charts, CSV exports, the deck and
the verdict read the label and colour from here. A new line is one new entry: nothing else needs an
edit, and no chart can run out of colours because each line carries its own.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

from tco.format import capitalised


@dataclass(frozen=True)
class CostLine:
    """One line of the monthly cost breakdown."""

    name: str
    label: str
    colour: str
    help: str
    unit: str = "USD per month"


LINES: tuple[CostLine, ...] = (
    CostLine("api_tokens", "Tokens (API or host)", "#1F4E79",
             "Tokens billed per token, by closed-API vendors or by hosts of open weights, for the "
             "traffic each option carries (at the committed discount while a commitment runs)."),
    CostLine("escalated_traffic", "Escalated traffic", "#A2C4C9",
             "Hard requests an open-weight model sends to the fallback, billed there."),
    CostLine("commitment_shortfall", "API commitment shortfall", "#4477EE",
             "What an API commitment charges above the discounted usage: the monthly minimum "
             "minus the usage, in months the usage falls short."),
    CostLine("gpu_rent", "GPU rent (on demand)", "#AA6644",
             "On-demand GPU-hours: GPUs beyond any reservation x hours x price x price index."),
    CostLine("reserved_gpus", "Reserved GPUs", "#BB9966",
             "Reserved GPUs: count x 730 h x the contract price, paid every month of the term "
             "whether used or not."),
    CostLine("gpu_capex", "GPU purchases (capex)", "#F6B26B",
             "Bought GPUs, paid in the month the fleet first needs them and owned to the horizon."),
    CostLine("power", "Power", "#FFCC33",
             "Electricity of bought GPUs in service: kW per GPU x 730 h x price per kWh x PUE."),
    CostLine("hosting", "Maintenance and colocation", "#7F6000",
             "Owned GPUs' maintenance (a share of the purchase price a year) and colocation, "
             "used or not."),
    CostLine("ops_staff", "Ops staff", "#557711",
             "People who run a self-hosted fleet, in loaded cost per FTE-year."),
    CostLine("setup", "Setup", "#99CC77",
             "One-off cost of standing up a self-hosted option, paid in its first month."),
    CostLine("missing_components", "Missing components", "#741B47",
             "Parts the vendor did not open (safety tooling, guard models): setup and monthly cost."),
    CostLine("licence", "Licence fees", "#D5A6BD",
             "Fees a licence charges above its user threshold."),
    CostLine("gateway", "Gateway and overhead", "#666666",
             "A strategy's own monthly overhead, such as a model gateway and eval suite."),
    CostLine("switching", "Switching", "#990000",
             "Forced migrations: engineering effort x (1 - portability), one-off costs and dual running."),
    CostLine("stranded_commitments", "Stranded commitments", "#CC0000",
             "Reservations and API commitments still owed in months their option carries none of "
             "the strategy's traffic (after an exit, a licence change or a move)."),
    CostLine("release_upgrades", "Release upgrades", "#6666AA",
             "Moving a self-hosted option to its family's next open release: evals and rollout "
             "x (1 - portability), in the month the release arrives."),
    CostLine("fine_tune_runs", "Fine-tune runs", "#0C343D",
             "Fine-tuning runs: training tokens x epochs x the price per million trained, plus "
             "evaluation and engineering, when an option starts carrying traffic, on schedule, "
             "and after every deprecation, move or release upgrade."),
    CostLine("fine_tune_platform", "Fine-tuning platform", "#5B8C85",
             "An owned pipeline's setup and monthly cost, or a vendor's fine-tuned model hosting, "
             "while the option carries traffic."),
    CostLine("residual_value", "Residual value (credit)", "#A4C2F4",
             "Owned GPUs' remaining straight-line value at the horizon end, as a negative cost in "
             "the last month."),
)
"""Every declared cost line, in the order tables and charts show them. A scenario's named
``other_costs`` follow them on the line axis (``other_names``)."""

OTHER_PALETTE = ("#8E7CC3", "#45818E", "#A64D79", "#6AA84F", "#1C4587", "#E06666", "#B4A7D6",
                 "#76A5AF", "#C90076", "#134F5C", "#DDAA33", "#EEBBAA", "#555544", "#1188EE")
"""Colours of named ``other_costs`` lines, by a stable hash of the name (none used above)."""

NAMES: tuple[str, ...] = tuple(line.name for line in LINES)


def other_names(scenario: Any) -> tuple[str, ...]:
    """Each ``other_costs`` name of a scenario's options and strategies, in order of first use."""
    owners = list(scenario.options.values()) + list(scenario.strategies.values())
    return tuple(dict.fromkeys(cost.name for owner in owners for cost in owner.other_costs))


def other_line(name: str) -> CostLine:
    """The line of a named ``other_costs`` entry: its own name as label, capitalised like the
    declared lines beside it in a legend ('platform staff' reads 'Platform staff' next to 'Ops
    staff'; 'LLM observability' stays as written), and a stable colour."""
    colour = OTHER_PALETTE[zlib.crc32(name.encode("utf-8")) % len(OTHER_PALETTE)]
    return CostLine(name, capitalised(name), colour, f"'{name}': a cost the scenario names itself.")


class _ByName(dict):
    """Declared lines by name; any other name is a scenario's own ``other_costs`` line."""

    def __missing__(self, name: str) -> CostLine:
        return other_line(name)


BY_NAME: dict[str, CostLine] = _ByName({line.name: line for line in LINES})


def index(name: str) -> int:
    """Position of a line in ``LINES`` (the kernel's line axis)."""
    return NAMES.index(name)
