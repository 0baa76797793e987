"""The parameter table: every numeric input with its path, source, as-of date and bounds (its label
and unit are the glossary's, ``tco.glossary.entry``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from tco.distributions import Distribution, nominal
from tco.fields import Bounds
from tco.fx import Converter

SCENARIO_SOURCE = "scenario file"
EDITED = "edited on the page"
"""How a source comment starts when the page set the value ('edited on the page (was 5,000,000)'):
such a note is the input's whole source, in every export and in a scenario file written back."""
DEFAULT_SOURCE = "default (not set in the scenario)"
"""The source of an input the scenario leaves at its default."""


@dataclass(frozen=True)
class Param:
    """One numeric input: where it lives in the scenario, its value and where that came from."""

    path: str
    value: float | Distribution
    source: str
    as_of: str | None = None
    bounds: Bounds = Bounds()
    per_event: bool = False
    """Drawn afresh for every event (impacts, migration effort) rather than once per path."""

    @property
    def uncertain(self) -> bool:
        return isinstance(self.value, Distribution)

    @property
    def nominal(self) -> float:
        return nominal(self.value)


def bounds_of(model: Any, name: str) -> Bounds:
    """The ``Bounds`` declared on a model's field (unbounded when none)."""
    info = type(model).model_fields.get(name)
    if info is not None:
        for meta in info.metadata:
            if isinstance(meta, Bounds):
                return meta
        annotation = info.annotation
        for arg in getattr(annotation, "__args__", ()) or ():
            for meta in getattr(arg, "__metadata__", ()) or ():
                if isinstance(meta, Bounds):
                    return meta
    return Bounds()


class Table:
    """Builds the parameter table in scenario order, citing the file's comments as sources."""

    def __init__(self, comments: dict[str, str] | None = None, usd: Converter | None = None,
                 file_as_of: str | None = None) -> None:
        self.params: dict[str, Param] = {}
        self.comments = comments or {}
        self.file_as_of = file_as_of
        """The scenario's ``as_of``: the as-of date of every input the file sets or leaves at its
        default."""
        self.usd = usd or Converter("USD", None)
        """Converts the catalogs' and defaults' US dollars into the scenario's currency."""
        self.converted: set[str] = set()
        """Paths whose value is a converted US-dollar amount."""

    def add(self, path: str, value: float | Distribution, model: Any = None, name: str = "",
            source: str = SCENARIO_SOURCE, as_of: str | None = None, per_event: bool = False,
            usd: bool = False) -> None:
        """Add one input; ``usd``: the value is a catalog's or a default's US dollars, converted
        into the scenario's currency (the source then names the rate)."""
        name = name or path.rsplit(".", 1)[-1]
        if usd and not isinstance(value, Distribution):
            converted = self.usd(float(value), path)
            if converted != value:
                value, source = converted, source + self.usd.note()
                self.converted.add(path)
        bounds = bounds_of(model, name) if model is not None else Bounds()
        if source == SCENARIO_SOURCE and path in self.comments:
            note = self.comments[path]
            source = note if note.startswith(EDITED) else f"{SCENARIO_SOURCE}: {note}"
        # A value the file sets, or leaves at its default, is as of the file's date: leaving an
        # input at its default is part of the file as its author last checked it.
        if as_of is None and (source.startswith(SCENARIO_SOURCE) or source == DEFAULT_SOURCE):
            as_of = self.file_as_of
        self.params[path] = Param(path, value, source, as_of, bounds, per_event)

    def fields(self, prefix: str, model: Any, names: tuple[str, ...], per_event: tuple[str, ...] = ()
               ) -> None:
        for name in names:
            value = getattr(model, name)
            if value is not None:
                given = name in model.model_fields_set
                source = SCENARIO_SOURCE if given else DEFAULT_SOURCE
                # Names carry units: a default named in usd is a dollar figure.
                self.add(f"{prefix}.{name}", value, model, name, source, per_event=name in per_event,
                         usd=not given and "usd" in name)


def per_path(value: np.ndarray | float, paths: int) -> np.ndarray:
    """A fresh, writeable (paths,) float64 array: numba compiles once per array type, and a
    read-only view would be a second type (and a second compile)."""
    return np.array(np.broadcast_to(np.asarray(value, dtype=float), (paths,)))


class OptionInputs:
    """One option's inputs per path, as its kind's ``fill`` reads them: ``get(field)`` is a fresh,
    writeable (paths,) float64 array (numba compiles once per array type), ``get.has(field)``
    whether the parameter table has that field (some exist only where the workload needs them)."""

    def __init__(self, x: dict[str, np.ndarray], prefix: str, paths: int) -> None:
        self.x, self.prefix, self.paths = x, prefix, paths

    def __call__(self, field: str) -> np.ndarray:
        return per_path(self.x[self.prefix + field], self.paths)

    def has(self, field: str) -> bool:
        return self.prefix + field in self.x
