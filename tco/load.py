"""The load boundary: bytes -> validated scenario -> resolved inputs, as one explicit ``Loaded``.

Every rule of the scenario format is enforced here or below (``tco.schema``), and every violation
becomes a one-line ``ScenarioError`` ``"<field path>: <rule>"``. What this module returns is all the
kernel and the analyses need; nothing is cached on the scenario.
"""

from __future__ import annotations

import difflib
import os
import stat
import sys
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

import tco.glossary as glossary
import tco.limits as limits
import tco.options as options
from tco.errors import ScenarioError
from tco.fields import MAX_SCENARIO_BYTES, FieldError
from tco.inputs import Resolved, resolve
from tco.schema import SECTIONS, Scenario
from tco.sections import SETTING_UNITS
from tco.yamlio import dumps as _dumps
from tco.yamlio import parse_document, to_dict


@dataclass(frozen=True, eq=False)
class Loaded:
    """A validated scenario with its source comments and resolved inputs.

    Every layer after this one takes a ``Loaded``. Scenario fields read through
    (``loaded.strategies`` is ``loaded.scenario.strategies``), so code reads like the scenario file.
    Two are equal when their scenarios are: comments do not count.
    """

    scenario: Scenario
    comments: Mapping[str, str]
    inputs: Resolved

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("scenario", "comments", "inputs"):
            raise AttributeError(name)
        return getattr(self.scenario, name)

    def __eq__(self, other: object) -> bool:
        other_scenario = other.scenario if isinstance(other, Loaded) else other
        return isinstance(other_scenario, Scenario) and (
            self.scenario.model_dump() == other_scenario.model_dump())

    __hash__ = None  # type: ignore[assignment] - holds dicts, so never hashable


@cache
def _all_field_names() -> tuple[str, ...]:
    names: set[str] = set()
    for cls in SECTIONS:
        names.update(cls.model_fields)
    return tuple(sorted(names))


def _location(loc: tuple[Any, ...]) -> list[str]:
    parts = [str(p) for p in loc]
    # A discriminated union puts the tag (the option's kind) after the option name: drop it.
    if len(parts) >= 3 and parts[0] == "options" and parts[2] in options.REGISTRY:
        del parts[2]
    # Union members add type names such as 'float' or 'function-before[...]' to the location.
    return [p for p in parts if p not in _TYPE_NAMES
            and not p.startswith(("function-", "tagged-union[", "is-instance[", "union["))]


_TYPE_NAMES = {"float", "int", "str", "bool", "Distribution", "none", "dict", "list", "tuple"}


def _translate(error: dict[str, Any]) -> ScenarioError:
    parts = _location(error["loc"])
    kind = error["type"]
    ctx = error.get("ctx") or {}
    original = ctx.get("error")
    if isinstance(original, FieldError):
        if original.absolute:
            return ScenarioError(original.field, original.rule)
        return ScenarioError(".".join([*parts, original.field]), original.rule)
    field = ".".join(parts) or "scenario"
    if kind == "extra_forbidden":
        key = parts[-1] if parts else ""
        hint = difflib.get_close_matches(key, _all_field_names(), n=1, cutoff=0.6)
        tail = f" (did you mean '{hint[0]}'?)" if hint else ""
        return ScenarioError(field, f"is not a known field{tail}")
    if kind == "missing":
        return ScenarioError(field, "is required")
    if kind == "union_tag_not_found":
        return ScenarioError(f"{field}.kind", f"is required (one of {options.kinds_text()})")
    if kind == "union_tag_invalid":
        return ScenarioError(f"{field}.kind", f"must be one of {options.kinds_text()}")
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return ScenarioError(field, "must be a mapping of fields")
    message = str(error["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            message = message[len(prefix):]
    message = message.replace("Input should be", "must be").replace("String should", "must")
    message = message.replace("Tuple should", "must").replace("List should", "must")
    return ScenarioError(field, message[0].lower() + message[1:] if message else "is invalid")


def validate_part(model: type[BaseModel], raw: Any, where: str) -> Any:
    """Validate one section of a file outside a scenario (a portfolio's reservation offer) by the
    model that declares it, refused as a scenario is: one line naming ``where``'s field."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        error = _translate(exc.errors()[0])
        field = where if error.field == "scenario" else f"{where}.{error.field}"
        raise ScenarioError(field, error.rule) from None


def _too_large(data: Any, path: str = "") -> str | None:
    """The dotted path of the first integer that no float can hold (``float()`` overflows on it)."""
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        where = f"{path}.{key}" if path else str(key)
        if isinstance(value, int) and abs(value) > sys.float_info.max:
            return where
        found = _too_large(value, where)
        if found:
            return found
    return None


def validate(raw: dict[str, Any], comments: Mapping[str, str] | None = None) -> Loaded:
    """Validate a parsed mapping and resolve its inputs, or raise a one-line ``ScenarioError``.

    Beyond the schema, this resolves every catalog reference and plans every self-hosted replica,
    so an unknown model or an unreachable latency target fails here and not in the kernel.
    ``comments`` maps field paths to the trailing comments that cite their sources.
    """
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        raise _translate(exc.errors()[0]) from None
    except OverflowError:  # yamlio refuses numbers beyond float range; this guards data built in code
        raise ScenarioError(_too_large(raw) or "scenario", "is a number too large for any field") from None
    kept = dict(comments or {})
    resolved = resolve(scenario, kept)
    extra = tuple(limits.warnings_of(scenario))
    return Loaded(scenario, kept, replace(resolved, warnings=resolved.warnings + extra) if extra
                  else resolved)


def loads(data: bytes | str, comments: Mapping[str, str] | None = None) -> Loaded:
    """Load a scenario from YAML text or bytes, keeping its trailing comments as sources.

    ``comments`` adds to (and overrides) the comments found in the text.
    """
    raw, found = parse_document(data)
    return validate(raw, {**found, **(comments or {})})


def read_bounded(path: str | Path) -> bytes:
    """The bytes of a scenario file, reading at most one byte more than the size limit.

    The file is opened without blocking and must be a regular file or the process's standard input
    (``/dev/stdin``, a pipe or a redirect): a FIFO with no writer would otherwise hang the open or
    the read forever, and a device such as ``/dev/zero`` never ends. The limit + 1 bytes are enough
    to refuse a larger file, so a pipe or a huge file costs no more than a valid one.
    """
    chunks: list[bytes] = []
    left = MAX_SCENARIO_BYTES + 1
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise ScenarioError(str(path), "no such file") from None
    except IsADirectoryError:
        raise ScenarioError(str(path), "is a directory, not a scenario file") from None
    except PermissionError:
        raise ScenarioError(str(path), "cannot be read (permission denied)") from None
    except OSError as exc:
        raise ScenarioError(str(path), f"cannot be read ({(exc.strerror or 'error').lower()})") from None
    except ValueError:  # a NUL byte in the path, from the Python API
        raise ScenarioError(repr(str(path)), "is not a valid file path") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise ScenarioError(str(path), "is a directory, not a scenario file")
        if not stat.S_ISREG(info.st_mode):
            if not _is_stdin(info):
                raise ScenarioError(str(path), f"is {file_kind(info.st_mode)}, not a regular file; "
                                    "give a scenario file (or pipe it to /dev/stdin)")
            os.set_blocking(fd, True)  # standard input: wait for the writer, as any tool does
        # Unbuffered: a buffered reader rounds the read up to its buffer size, past the limit.
        with os.fdopen(fd, "rb", buffering=0) as handle:
            fd = -1
            while left > 0 and (chunk := handle.read(left)):  # a pipe returns what it holds
                chunks.append(chunk)
                left -= len(chunk)
    except OSError as exc:
        raise ScenarioError(str(path), f"cannot be read ({(exc.strerror or 'error').lower()})") from None
    finally:
        if fd >= 0:
            os.close(fd)
    return b"".join(chunks)


def _is_stdin(info: os.stat_result) -> bool:
    """Whether an opened file is the process's standard input (``/dev/stdin`` reopened)."""
    try:
        own = os.fstat(0)
    except OSError:
        return False
    return (own.st_dev, own.st_ino) == (info.st_dev, info.st_ino)


def file_kind(mode: int) -> str:
    """What a file that is not a regular file or a folder is, in words (from its ``st_mode``)."""
    for test, name in ((stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "a special file"


PORTFOLIO_PREFIX = "portfolio-"
"""Shipped portfolio files (``tco.portfolio``) sit beside the scenarios under this name prefix."""


def scenario_files(folder: str | Path) -> list[Path]:
    """The scenario files of a folder, sorted: its ``*.yaml`` files but the portfolios."""
    return [p for p in sorted(Path(folder).glob("*.yaml")) if not p.stem.startswith(PORTFOLIO_PREFIX)]


def load_scenario(path: str | Path) -> Loaded:
    """Load and validate a scenario file."""
    return loads(read_bounded(path))


def dumps(loaded: Loaded) -> str:
    """Write a scenario back to YAML that loads to an equal scenario, source comments included."""
    return _dumps(loaded.scenario, dict(loaded.comments))


def with_changes(loaded: Loaded, changes: dict[str, Any],
                 notes: Mapping[str, str] | None = None) -> Loaded:
    """Return a new validated scenario with dotted-path fields replaced.

    ``changes`` maps paths such as ``"workload.requests_per_month"`` or ``"risks.2.annual_probability"``
    to new values (numbers or distribution mappings). A changed field loses its source comment;
    ``notes`` gives it a new one (the page's 'edited on the page (was 5,000,000)').
    """
    data = to_dict(loaded.scenario)
    for path, value in changes.items():
        set_path(data, path, value)
    kept = {k: v for k, v in loaded.comments.items() if k not in changes}
    return validate(data, {**kept, **(notes or {})})


def json_schema() -> dict[str, Any]:
    """Return the JSON Schema of scenario files, for editors: each field's description ends
    with its unit, which is declared once, in the glossary (or the risk kind), and never written
    into the description itself; ``x-unit`` holds it for tools."""
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "LLM TCO scenario (v1)"
    defs = {d.get("title"): d for d in schema.get("$defs", {}).values()}
    _add_units(Scenario, "", schema, defs, set())
    return schema


def _add_units(model: type[BaseModel], prefix: str, node: dict[str, Any],
               defs: dict[str, dict[str, Any]], seen: set[tuple[str, str]]) -> None:
    """Each field of ``model`` (at ``prefix``; '0' stands for any name or index) gets its unit."""
    for name, field in model.model_fields.items():
        path, prop = f"{prefix}{name}", node.get("properties", {}).get(name)
        try:
            unit = glossary.entry(path).unit
        except glossary.UnknownPath:
            unit = SETTING_UNITS.get(f"{model.__name__}.{name}", "")
        if unit and prop is not None and "x-unit" not in prop:
            prop["x-unit"] = unit
            prop["description"] = f"{prop.get('description', '').rstrip()} Unit: {unit}.".lstrip()
        models, skip = glossary.sections_in(field.annotation)
        for sub in models:
            inner = f"{path}.{'0.' * skip}"
            if (sub.__name__, inner) not in seen and sub.__name__ in defs:
                seen.add((sub.__name__, inner))
                _add_units(sub, inner, defs[sub.__name__], defs, seen)


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    """Set ``value`` at a dotted ``path`` inside nested dicts and lists, creating mappings as needed."""
    parts = path.split(".")
    node: Any = data
    for i, part in enumerate(parts[:-1]):
        if isinstance(node, list):
            node = node[int(part)]
        else:
            if part not in node or node[part] is None:
                node[part] = {}
            node = node[part]
        if not isinstance(node, (dict, list)):
            raise ScenarioError(".".join(parts[: i + 1]), "is not a section that holds fields")
    last = parts[-1]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


def get_path(data: Any, path: str) -> Any:
    """Return the value at a dotted ``path`` inside a scenario or plain data, or None."""
    node = data.scenario if isinstance(data, Loaded) else data
    for part in path.split("."):
        if node is None:
            return None
        if isinstance(node, BaseModel):
            node = getattr(node, part, None)
        elif isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, (list, tuple)):
            node = node[int(part)] if part.isdigit() and int(part) < len(node) else None
        else:
            return None
    return node
