"""What an option kind declares: its model, billing, resolve and fill, controls, words and history.

A kind is one ``OptionKind`` value in its own module; ``tco.options.REGISTRY`` lists them. The
schema builds the ``Option`` union from the declared models, the load boundary calls the declared
``resolve`` and ``check``, the kernel's views call ``fill`` and the kernel itself branches on
``billing`` only. The page, the story, the deck, the break-even table and the backtest read the
declared label, controls, words, side and history rule instead of testing an option's kind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

TOKENS, FLEET = 0, 1
"""The kernel's billing codes: per token at a price index (APIs, hosted endpoints), or a fleet of
GPUs sized for the load (self-hosted). The only distinction the kernel knows."""

Billing = Literal["tokens", "fleet"]
BILLING_CODES: dict[str, int] = {"tokens": TOKENS, "fleet": FLEET}


@dataclass(frozen=True)
class Control:
    """A sidebar control an option kind offers for one of its fields (the page builds the widget
    and labels it from the glossary)."""

    field: str
    """The field under ``options.<name>.`` ('usd_per_gpu_hour', 'purchase.usd_per_gpu')."""
    widget: Literal["number", "slider"]
    scale: float
    """Shown value = stored value x scale (100 for a share shown in %, with the glossary's unit
    turned into its percentage form)."""
    low: float | None
    high: float | None
    step: float
    fmt: str


def _no_check(name: str, option: Any, scenario: Any) -> None:
    return None


def _no_schedule(name: str, option: Any, scenario: Any, start: str, months: int) -> list:
    return []


def _no_weights(option: Any) -> Any:
    return None


def _never(option: Any) -> bool:
    return False


@dataclass(frozen=True)
class OptionKind:
    """Everything the engine, the page and the deck need to know about one kind of option."""

    name: str
    """The ``kind:`` value in scenario files ('api')."""
    label: str
    """Human name, capitalised: 'Self-hosted open weights'."""
    one: str
    """How a rule names one option of the kind: 'an API option'."""
    plural: str
    """How a rule names all of them: 'API options'."""
    model: type
    """The pydantic model of the option's section (its ``kind`` field a one-value Literal)."""
    billing: Billing
    resolve: Callable[..., None]
    """``resolve(table, name, option, scenario, plans, warnings)``: the option's inputs into the
    parameter table, from the scenario, the catalogs and defaults."""
    fill: Callable[..., None]
    """``fill(rows, j, get, workload, option, plan, profile)``: the option's rows of kernel
    inputs from per-path values, in the records it names in ``rows``."""
    rows: tuple[str, ...]
    """The records of kernel inputs (``tco.options.ROWS``) its ``fill`` writes: ``common`` and
    the ones of its features (``fleet``, ``commitment``, ``track``); it leaves every other at
    rest. Fine-tuning (``tuning``) is filled for any kind by ``tco.options.fine_tune``."""
    describe: Callable[[Any], str]
    """The option in words, as the story and the deck name it: 'self-hosted llama-3.1-70b on h100-sxm'."""
    history: Literal["models", "families"]
    """How the backtest reads ``history:``: successive API models, or an open-weight family."""
    controls: tuple[Control, ...] = ()
    """The sidebar controls, in order; a control whose field is not in the parameter table (a
    rented option has no purchase price) is left out."""
    check: Callable[[str, Any, Any], None] = _no_check
    """``check(name, option, scenario)``: the rules tying the option to the rest of the scenario;
    raises a ``FieldError`` with an absolute path."""
    scheduled: Callable[..., list] = _no_schedule
    """``scheduled(name, option, scenario, start, months)``: announced catalog price changes
    within the horizon as (month, multiplier, date)."""
    weights: Callable[[Any], str | None] = _no_weights
    """The open-weight model key the option serves (None for a closed model): two options serving
    the same weights switch at ``same_weights_switching_share`` of the migration effort."""
    track: Callable[[Any], Any] = _no_weights
    """The option's ``release_track`` (None where the kind has none or it is not given)."""
    parts: Callable[[Any], tuple] = lambda option: ()
    """The parts of the vendor's product the option builds or buys (``missing_components``)."""
    reservation: Callable[[Any], Any] = _no_weights
    """The option's reserved-GPU contract (None where the kind has none or it is not given)."""
    commitment: Callable[[Any], Any] = _no_weights
    """The option's committed-spend contract (None where the kind has none or it is not given)."""
    fee_at_release: Callable[[Any], bool] = _never
    """Whether the option owes a licence fee tested at each release (Llama's rule), so a
    family that stops releasing never owes it for a later version."""
    product: Callable[[Any], str | None] = _no_weights
    """The price catalog key of the closed model the option sells ('anthropic/claude-sonnet-4-6'),
    None where it has none: labels name the model rather than the option."""
    sends_to_fallback: Callable[[Any], bool] = _never
    """Whether the option sends traffic to the strategy's fallback without any event (an
    ``escalation_share`` above 0), so strategies using it need one."""
    vendor: Callable[[Any], str | None] = _no_weights
    """Who sells the option: the API provider or the host ('anthropic', 'together'); None where
    nobody does (weights you serve yourself), so a vendor's exit is that option's own fact."""
    family: Callable[[Any], str | None] = _no_weights
    """The open-weight family the option serves ('meta/llama', from the model catalog); None for a
    closed model. A licence change is a fact about the family."""

    @property
    def side(self) -> Billing:
        """Which side of a break-even the option sits on: billed per token, or a fleet."""
        return self.billing

    @property
    def billing_code(self) -> int:
        return BILLING_CODES[self.billing]
