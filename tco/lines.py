"""Cost lines, declared once: name, label, colour and unit.

The kernel adds each cost to its line by position in ``LINES``; charts, CSV exports, the deck and
the verdict read the label and colour from here. A new line is one new entry: nothing else needs an
edit, and no chart can run out of colours because each line carries its own.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CostLine:
    """One line of the monthly cost breakdown."""

    name: str
    label: str
    colour: str
    help: str
    unit: str = "USD per month"


LINES: tuple[CostLine, ...] = (
    CostLine("api_tokens", "API tokens", "#1F4E79",
             "Tokens billed by closed-API vendors for the traffic each option carries."),
    CostLine("escalated_traffic", "Escalated traffic", "#6FA8DC",
             "Hard requests a self-hosted model sends to the fallback API, billed there."),
    CostLine("gpu_rent", "GPU rent", "#B45F06",
             "Rented GPU-hours: GPUs provisioned x 730 h x price x price index."),
    CostLine("gpu_purchase", "GPU purchase (amortised)", "#F6B26B",
             "Bought GPUs, purchase price spread straight-line over their useful life."),
    CostLine("power", "Power", "#BF9000",
             "Electricity of bought GPUs: kW per GPU x 730 h x price per kWh x PUE."),
    CostLine("ops_staff", "Ops staff", "#38761D",
             "People who run a self-hosted fleet, in loaded cost per FTE-year."),
    CostLine("setup", "Setup", "#93C47D",
             "One-off cost of standing up a self-hosted option, paid in its first month."),
    CostLine("missing_components", "Missing components", "#741B47",
             "Parts the vendor did not open (safety tooling, guard models): setup and monthly cost."),
    CostLine("licence", "Licence fees", "#C27BA0",
             "Fees a licence charges above its user threshold."),
    CostLine("gateway", "Gateway and overhead", "#666666",
             "A strategy's own monthly overhead, such as a model gateway and eval suite."),
    CostLine("switching", "Switching", "#990000",
             "Forced migrations: engineering effort x (1 - portability), one-off costs and dual running."),
)
"""Every cost line, in the order tables and charts show them."""

NAMES: tuple[str, ...] = tuple(line.name for line in LINES)
BY_NAME: dict[str, CostLine] = {line.name: line for line in LINES}


def index(name: str) -> int:
    """Position of a line in ``LINES`` (the kernel's line axis)."""
    return NAMES.index(name)
