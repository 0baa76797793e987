"""Shared links: the page's inputs as query parameters and back. Pure functions, no streamlit.

A link holds the shipped scenario's file stem, the path count, the seed and every changed input as
``<scenario path>=<value in stored units>`` (fractions stay fractions; widgets may show percentages).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from tco.ui.controls import Control

RESERVED = ("scenario", "paths", "seed", "embed")  # every other parameter names an input


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
    """

    scenario: str | None = None
    paths: int | None = None
    seed: int | None = None
    inputs: dict[str, str] = field(default_factory=dict)


def parse(params: Mapping[str, str], stems: Collection[str], path_choices: Collection[int]) -> Link:
    """Read query parameters; an unknown scenario or a path count not offered is left out.

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
    paths = params.get("paths", "")
    seed = params.get("seed", "")
    return Link(scenario=scenario if scenario in stems else None,
                paths=int(paths) if paths.isdigit() and int(paths) in path_choices else None,
                seed=int(seed) if seed.lstrip("-").isdigit() else None,
                inputs={k: v for k, v in params.items() if k not in RESERVED})


def widget_values(inputs: Mapping[str, str], known: Mapping[str, Control]
                  ) -> tuple[dict[str, int | float], list[str]]:
    """Turn a link's input values (stored units) into widget values (displayed units).

    Parameters
    ----------
    inputs : mapping of str to str
        Input values by scenario path, as in ``Link.inputs``.
    known : mapping of str to Control
        The page's inputs by scenario path.

    Returns
    -------
    values : dict of str to int or float
        Widget values by scenario path.
    ignored : list of str
        One message per parameter left out (not a number, or not an input of the page).
    """
    values: dict[str, int | float] = {}
    ignored: list[str] = []
    for path, text in inputs.items():
        try:
            value = float(text)
        except ValueError:
            ignored.append(f"Ignored link parameter {path}={text!r}: not a number")
            continue
        control = known.get(path)
        if control is None:
            ignored.append(f"Ignored link parameter {path}: not an input of this page")
            continue
        values[path] = control.shown(value)
    return values, ignored


def encode(stem: str | None, changes: Mapping[str, float], paths: int, seed: int,
           embed: str | None = None) -> dict[str, str]:
    """Query parameters for the page's state; ``parse`` reads them back.

    Parameters
    ----------
    stem : str or None
        Shipped scenario stem; None for an uploaded scenario, which a link cannot carry.
    changes : mapping of str to float
        Changed inputs by scenario path, in stored units.
    paths, seed : int
        Simulation settings.
    embed : str or None
        Streamlit's ``embed`` parameter, carried over when the page was opened with it.
    """
    wanted: dict[str, str] = {}
    if stem:
        wanted["scenario"] = stem
    wanted["paths"], wanted["seed"] = str(paths), str(seed)
    # 12 significant digits keep links short and drop float noise left by dividing out the display scale.
    wanted.update({path: f"{value:.12g}" for path, value in sorted(changes.items())})
    if embed is not None:
        wanted["embed"] = embed
    return wanted
