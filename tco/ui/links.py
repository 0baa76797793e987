"""Shared links: the page's inputs as query parameters and back. Pure functions, no streamlit.

A link holds the shipped scenario's file stem, the path count, the seed and every changed input as
``<scenario path>=<value in stored units>``; widgets may show percentages.

Links come from anyone, so nothing in one is applied unchecked: ``read`` and ``widget_values``
return one message per parameter they leave out (given twice, not a whole number, not finite,
outside the page's widgets or breaking the scenario's own rules), naming the parameter and the rule;
the page shows those messages (escaped, see ``tco.ui.safe``) and keeps the scenario's numbers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from tco.errors import ScenarioError
from tco.report import apply_nominal
from tco.simulate import MAX_SEED
from tco.ui.controls import Control
from tco.ui.edits import Edit, apply_edits, clean, editable_paths, encode_value, parse_value

if TYPE_CHECKING:
    from tco.load import Loaded as Scenario

RESERVED = ("scenario", "paths", "seed", "embed", "strategy")  # every other parameter names an input
# MAX_SEED (tco.simulate): one range for the page and the command line
MAX_WIDGET_INT = 2**53 - 1  # the largest whole number a browser's number box holds exactly
ECHO_CHARS = 40  # a value longer than this is shortened in messages
MAX_MESSAGES = 8
"""Messages shown for one link; the rest are counted in one more line."""
QUERY_MAX_FIELDS, QUERY_MAX_CHARS = 1000, 512 * 1024
"""Streamlit reads no parameter of a query string with more parameters or characters than these
(``streamlit.runtime.state.query_params``, 1.67): it drops the whole string without a word."""
STRATEGY_MAX_CHARS, STRATEGY_MAX_OPTIONS = 600, 16
"""A link's added strategy: at most this long, with at most this many options in its mix."""
_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")  # a strategy or option name as a link writes it
_WHOLE = re.compile(r"-?[0-9]{1,18}")  # ASCII digits only: '²'.isdigit() is True but int('²') fails


@dataclass(frozen=True)
class Link:
    """What a link asks for; None where it asks for nothing usable.

    Attributes
    ----------
    scenario : str or None
        Stem of a shipped scenario file.
    paths, seed : int or None
        Simulation settings.
    inputs : dict of str to str
        Input values by scenario path, as written in the link (not yet checked).
    strategy : str or None
        A strategy to add to the scenario, as written in the link (``encode_strategy``; not yet
        checked).
    """

    scenario: str | None = None
    paths: int | None = None
    seed: int | None = None
    inputs: dict[str, str] = field(default_factory=dict)
    strategy: str | None = None


@dataclass(frozen=True)
class AddedStrategy:
    """A strategy a link adds: its name, its mix (option -> share) and its fallback chain."""

    name: str
    mix: dict[str, float]
    fallback: tuple[str, ...] = ()


def encode_strategy(added: AddedStrategy) -> str:
    """'optimised:gpt=0.62,qwen=0.38/gemini' (name, mix, then the fallback chain after '/')."""
    mix = ",".join(f"{name}={share!r}" for name, share in added.mix.items())  # repr: exact
    return f"{added.name}:{mix}" + (f"/{','.join(added.fallback)}" if added.fallback else "")


def parse_strategy(text: str) -> AddedStrategy:
    """Read ``encode_strategy``'s form; a ValueError names the rule broken. Names are checked
    against the scenario later (``tco.ui.state``), by the scenario's own rules."""
    if len(text) > STRATEGY_MAX_CHARS:
        raise ValueError(f"longer than {STRATEGY_MAX_CHARS} characters")
    name, sep, rest = text.partition(":")
    if not sep or not _NAME.fullmatch(name):
        raise ValueError("must be NAME:OPTION=SHARE,... with a name of letters, digits, '_', '-' "
                         "or '.'")
    body, _, chain = rest.partition("/")
    mix: dict[str, float] = {}
    for part in body.split(","):
        option, eq, share = part.partition("=")
        if not eq or not _NAME.fullmatch(option) or option in mix:
            raise ValueError(f"{echo(part)} is not OPTION=SHARE for a new option")
        value = _share(share)
        if value is None:
            raise ValueError(f"the share of {option} must be a number from 0 to 1")
        mix[option] = value
    if len(mix) > STRATEGY_MAX_OPTIONS:
        raise ValueError(f"mixes more than {STRATEGY_MAX_OPTIONS} options")
    fallback = tuple(chain.split(",")) if chain else ()
    if len(fallback) > STRATEGY_MAX_OPTIONS or not all(_NAME.fullmatch(n) for n in fallback):
        raise ValueError("the fallback after '/' must be option names separated by ','")
    return AddedStrategy(name, mix, fallback)


def _share(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and 0.0 <= value <= 1.0 and text.strip() == text else None


def parse(params: Mapping[str, str], stems: Collection[str], path_choices: Collection[int]) -> Link:
    """Read query parameters; an unknown scenario or a path count not offered is left out.

    Numbers are whole numbers in ASCII digits; the seed is kept as written, sign included (the page
    reads links through ``read``, which also refuses a seed outside 0 to ``MAX_SEED``, repeated
    keys, and says what it left out).

    Parameters
    ----------
    params : mapping of str to str
        Query parameters (one value each).
    stems : collection of str
        Shipped scenario stems.
    path_choices : collection of int
        The path counts the page offers.
    """
    scenario = params.get("scenario")
    paths = _whole(params.get("paths", ""))
    return Link(scenario=scenario if scenario in stems else None,
                paths=paths if paths in path_choices else None,
                seed=_whole(params.get("seed", "")),
                inputs={k: v for k, v in params.items() if k not in RESERVED},
                strategy=params.get("strategy"))


def _whole(text: str) -> int | None:
    """A whole number written in ASCII digits (at most 18), else None."""
    return int(text) if _WHOLE.fullmatch(text) else None


def echo(text: str) -> str:
    """A value as a message quotes it, shortened past ``ECHO_CHARS``."""
    return repr(text if len(text) <= ECHO_CHARS else text[:ECHO_CHARS - 1] + "…")


def read(params: Mapping[str, Sequence[str]], stems: Collection[str], path_choices: Collection[int]
         ) -> tuple[Link, list[str]]:
    """Read query parameters with every value each was given, and say what is left out and why.

    Parameters
    ----------
    params : mapping of str to sequence of str
        Query parameters with all their values (``st.query_params.get_all``).
    stems, path_choices
        As for ``parse``.

    Returns
    -------
    link : Link
        What the link asks for that the page can use; a parameter given more than once is left out.
    problems : list of str
        One message per setting left out. Inputs are checked later, by ``widget_values``.
    """
    problems = [f"Ignored link parameter {key}: given {len(values)} times; a link gives each once"
                for key, values in params.items() if len(values) != 1]
    single = {key: values[0] for key, values in params.items() if len(values) == 1}
    link = parse(single, stems, path_choices)
    if "scenario" in single and link.scenario is None:
        problems.append(f"Ignored link parameter scenario={echo(single['scenario'])}: not a shipped "
                        "scenario")
    if "paths" in single and link.paths is None:
        problems.append(f"Ignored link parameter paths={echo(single['paths'])}: must be one of "
                        + ", ".join(f"{n:,}" for n in sorted(path_choices)))
    if "seed" in single and (link.seed is None or not 0 <= link.seed <= MAX_SEED):
        problems.append(f"Ignored link parameter seed={echo(single['seed'])}: must be a whole number "
                        f"from 0 to {MAX_SEED:,}")
        link = replace(link, seed=None)
    return link, problems


def query_problems(raw: str, read: int) -> list[str]:
    """What went wrong with a link's query string as a whole, in one line, or nothing.

    Parameters
    ----------
    raw : str
        The query string as the browser sent it (without '?').
    read : int
        Parameters the page received from it.
    """
    raw = raw.lstrip("?")
    if not raw:
        return []
    fields = raw.count("&") + 1
    if read == 0:
        return [f"This link's settings were not read: its query string has {fields:,} parameters "
                f"and {len(raw):,} characters, more than the page reads ({QUERY_MAX_FIELDS:,} "
                f"parameters, {QUERY_MAX_CHARS // 1024:,} KiB); the scenario's own values are shown"]
    last = raw.rsplit("&", 1)[-1]
    if re.search(r"%[0-9A-Fa-f]?$", last) or "=" not in last or last.endswith("="):
        return [f"This link looks cut short: its last parameter {echo(last)} ends without a "
                "value; check that the whole link was copied"]
    return []


def capped(messages: Sequence[str], limit: int = MAX_MESSAGES) -> list[str]:
    """At most ``limit`` messages, then one line counting the rest ('and 590 more ...').

    Messages about unknown parameters go last, so a value refused by a rule is never hidden
    behind hundreds of names the page does not know.
    """
    messages = sorted(messages, key=lambda m: "not an input of this" in m)  # stable
    if len(messages) <= limit:
        return messages
    rest = messages[limit - 1:]
    unknown = sum("not an input of this" in m for m in rest)
    what = ("unknown parameters" if unknown == len(rest) else
            f"ignored link parameters ({unknown:,} of them unknown)" if unknown else
            "ignored link parameters")
    return [*messages[:limit - 1], f"…and {len(rest):,} more {what}"]


def widget_values(inputs: Mapping[str, str], known: Mapping[str, Control], base: Scenario | None = None
                  ) -> tuple[dict[str, int | float], list[str]]:
    """Turn a link's input values (stored units) into widget values (displayed units).

    Parameters
    ----------
    inputs : mapping of str to str
        Input values by scenario path, as in ``Link.inputs``.
    known : mapping of str to Control
        The page's inputs by scenario path.
    base : Scenario, optional
        The scenario the values change; when given, a value that breaks its rules (alone or with
        the values before it) is left out with the rule, and so is one below a number box's minimum.

    Returns
    -------
    values : dict of str to int or float
        Widget values by scenario path.
    ignored : list of str
        One message per parameter left out (not a finite number, not an input of the page, or
        against a rule), naming the parameter.
    """
    values: dict[str, int | float] = {}
    stored: dict[str, float] = {}
    ignored: list[str] = []
    for path, text in inputs.items():
        try:
            parsed = parse_value(text)
        except ValueError as exc:
            ignored.append(f"Ignored link parameter {path}={echo(text)}: {exc}")
            continue
        if isinstance(parsed, dict):
            ignored.append(f"Ignored link parameter {path}={echo(text)}: not a number")
            continue
        value = float(parsed)
        control = known.get(path)
        if control is None:
            ignored.append(f"Ignored link parameter {path}: not an input of this page")
            continue
        shown = control.shown(value)
        rule = _broken_rule(control, value, shown, base, stored)
        if rule:
            ignored.append(f"Ignored link parameter {path}={echo(text)}: {rule}")
            continue
        values[path] = shown
        stored[path] = shown / control.display_scale
    return values, ignored


def _broken_rule(control: Control, value: float, shown: float, base: Scenario | None,
                 before: Mapping[str, float]) -> str | None:
    """The rule ``value`` breaks, or None: the scenario's own rules first, then the widget's."""
    if base is not None:
        # The value as written and as the widget will hold it (whole-number widgets round it).
        for candidate in dict.fromkeys((value, shown / control.display_scale)):
            try:
                apply_nominal(base, {**before, control.path: candidate})
            except ScenarioError as exc:
                return exc.rule if exc.field == control.path else str(exc)
    if abs(shown) > MAX_WIDGET_INT:
        return "too large for this page"
    rounded = _rounding(control, value * control.display_scale)  # ``shown`` is already rounded
    if rounded is not None:
        return rounded
    if control.widget == "number" and control.low is not None and shown < control.low:
        return f"must be at least {control.low:g} on this page"
    return None


def _rounding(control: Control, shown: float) -> str | None:
    """Why a widget would show ``shown`` rounded (the page never rounds a link's value silently)."""
    match = re.fullmatch(r"%(?:\.(\d+))?[df]", control.fmt or "")
    if match is None:
        return None
    digits = 0 if control.fmt == "%d" else int(match.group(1) or 6)
    step = 10.0 ** -digits
    if abs(round(shown, digits) - shown) <= 1e-12 * abs(shown):  # float noise (0.07 x 100) aside
        return None
    low, high = math.floor(shown / step) * step, math.ceil(shown / step) * step
    scale = control.display_scale
    what = "whole numbers" if digits == 0 else f"{digits} decimal{'s' if digits > 1 else ''}"
    return (f"this page's {control.widget} holds {what}{' of percent' if scale == 100 else ''}, so "
            f"it would be rounded; give {_plain(low / scale)} or {_plain(high / scale)}")


def _plain(value: float) -> str:
    return f"{value:.12g}"


def edits_from_link(inputs: Mapping[str, str], base: Scenario, known: Mapping[str, Control]
                    ) -> tuple[dict[str, Edit], list[str]]:
    """A link's input values as edits of ``base`` (see ``tco.ui.edits``), each checked first.

    Any input of the scenario may be in a link (the Assumptions table edits them all), as a number
    or a distribution (``triangular:0.01,0.03,0.08``). A value that is not a finite number or a
    distribution, names no input, breaks the scenario's rules (alone or with the values before it)
    or is below a sidebar number box's minimum is left out, with one message naming it and the rule.
    """
    paths = set(editable_paths(base))
    out: dict[str, Edit] = {}
    ignored: list[str] = []
    for path, text in inputs.items():
        try:
            edit = parse_value(text)
        except ValueError as exc:
            ignored.append(f"Ignored link parameter {path}={echo(text)}: {exc}")
            continue
        if path not in paths:
            ignored.append(f"Ignored link parameter {path}: not an input of this scenario")
            continue
        control = known.get(path)
        if control is not None and not isinstance(edit, dict):
            shown = control.shown(edit)
            rule = _broken_rule(control, edit, shown, base, {})
            if rule is None and control.fmt == "%d":
                edit = clean(shown / control.display_scale)  # whole-number boxes hold whole numbers
        else:
            rule = None
        if rule is None:
            try:
                apply_edits(base, {**out, path: edit})
            except ScenarioError as exc:
                rule = exc.rule if exc.field == path else str(exc)
        if rule:
            ignored.append(f"Ignored link parameter {path}={echo(text)}: {rule}")
            continue
        out[path] = edit
    return out, ignored


def encode(stem: str | None, changes: Mapping[str, Edit], paths: int, seed: int,
           embed: str | None = None, strategy: AddedStrategy | None = None) -> dict[str, str]:
    """Query parameters for the page's state; ``parse`` reads them back.

    Parameters
    ----------
    stem : str or None
        Shipped scenario stem; None for an uploaded scenario, which a link cannot carry.
    changes : mapping of str to edit
        Changed inputs by scenario path, in stored units: numbers or distributions.
    paths, seed : int
        Simulation settings.
    embed : str or None
        Streamlit's ``embed`` parameter, carried over when the page was opened with it.
    strategy : AddedStrategy or None
        A strategy the link adds to the scenario (the Decide tab's saved mix).
    """
    wanted: dict[str, str] = {}
    if stem:
        wanted["scenario"] = stem
    wanted["paths"], wanted["seed"] = str(paths), str(seed)
    # 12 significant digits keep links short and drop float noise left by dividing out the display scale.
    wanted.update({path: encode_value(value) for path, value in sorted(changes.items())})
    if strategy is not None:
        wanted["strategy"] = encode_strategy(strategy)
    if embed is not None:
        wanted["embed"] = embed
    return wanted
