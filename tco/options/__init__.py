"""Option kinds, one module each, declared as ``OptionKind`` values (``tco.options.base``).

Each module declares its pydantic model, label, billing (tokens or fleet: the only thing the
kernel branches on), ``resolve`` (the parameter table), ``fill`` (its typed row of kernel inputs),
the sidebar controls it offers, its words, the side of a break-even it sits on and how the
backtest reads its history. Adding a kind is one module plus one line in ``REGISTRY``; nothing
outside ``tco/options`` and ``tco/risks`` tests an option's kind.
"""

from __future__ import annotations

from typing import Annotated, Any, Union

from pydantic import Field

from tco.errors import ScenarioError
from tco.options import api, fine_tune, hosted_open, rows, self_hosted, track
from tco.options.base import FLEET, TOKENS, Control, OptionKind

REGISTRY: dict[str, OptionKind] = {kind.name: kind for kind in (
    api.KIND,
    hosted_open.KIND,
    self_hosted.KIND,
)}
"""Every option kind by its ``kind:`` value, in the order rules and tables list them."""

ROWS: dict[str, rows.Row] = {
    "common": rows.COMMON,
    "fleet": self_hosted.FLEET,
    "commitment": api.COMMITMENT,
    "track": track.TRACK,
    "tuning": fine_tune.TUNING,
}
"""The kernel's records of option inputs by name, each declared by the module that fills it;
``tco.views.OptionRows`` holds one of each."""

Option = Annotated[Union[tuple(k.model for k in REGISTRY.values())],  # noqa: UP007 - built
                   Field(discriminator="kind")]
"""The ``options:`` entry: one of the declared models, chosen by its ``kind``."""


def kinds() -> tuple[str, ...]:
    return tuple(REGISTRY)


def of(option: Any) -> OptionKind:
    """The declaration of an option's kind."""
    return REGISTRY[option.kind]


def kind(name: str) -> OptionKind:
    """The declaration of a kind by name, or a one-line error naming the known kinds."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise ScenarioError("kind", "must be one of " + ", ".join(f"'{k}'" for k in REGISTRY)) from None


def kinds_text() -> str:
    """The known kinds for error messages: "'api', 'hosted_open', 'self_hosted'"."""
    return ", ".join(f"'{k}'" for k in REGISTRY)


def on_side(options: dict[str, Any], side: str) -> list[str]:
    """Names of the options on one side of a break-even ('tokens' or 'fleet'), in order."""
    return [name for name, option in options.items() if of(option).side == side]


def fact_unit(option: Any, about: str) -> str | None:
    """The option's ``vendor`` or ``family`` (what a risk kind's event is a fact about), or None
    where it has none."""
    kind = of(option)
    return {"vendor": kind.vendor, "family": kind.family}[about](option)


def provides(option: Any, field: str) -> bool:
    """Whether an option has ``field`` set: a risk kind that ``requires`` it (``fine_tune``)
    applies only to such options."""
    return getattr(option, field, None) is not None


__all__ = ["FLEET", "REGISTRY", "ROWS", "TOKENS", "Control", "Option", "OptionKind", "kind", "kinds",
           "kinds_text", "of", "on_side"]
