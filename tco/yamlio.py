"""YAML 1.2 text in and out: safe loading, source comments, and a round trip back to text.

Reading gives plain data and the trailing ``# comment`` of each field (its source); writing gives
YAML that loads to an equal scenario, with those comments put back. Validation is ``tco.load``'s job.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from tco.distributions import FORMS as DISTRIBUTION_FORMS
from tco.errors import ScenarioError
from tco.fields import MAX_SCENARIO_BYTES
from tco.schema import Scenario


class _Loader(yaml.SafeLoader):
    """Safe loader with YAML 1.2 scalars: ``1e6`` is a number, ``on``/``yes``/``no`` are text.

    YAML 1.1 (PyYAML's default) reads the key ``on:`` as the boolean True and ``1e6`` as a string;
    scenario files use ``on:`` for the options a risk hits. Duplicate keys are rejected.
    """


# Start from no implicit resolvers for booleans, then allow only true/false.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))

_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
                |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
                |\.[0-9_]+(?:[eE][-+][0-9]+)?
                |[-+]?\.(?:inf|Inf|INF)
                |\.(?:nan|NaN|NAN))$""", re.X),
    list("-+0123456789."),
)


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node)
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key '{key}'", key_node.start_mark)
        mapping[key] = loader.construct_object(value_node, deep=True)
    return mapping


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def parse_yaml(data: bytes | str) -> dict[str, Any]:
    """Parse scenario text into a mapping, with one-line errors for empty, binary or bad YAML."""
    if isinstance(data, bytes):
        if len(data) > MAX_SCENARIO_BYTES:
            raise ScenarioError("scenario", f"file is larger than {MAX_SCENARIO_BYTES // 1000} kB")
        if b"\x00" in data:
            raise ScenarioError("scenario", "is a binary file, not YAML text")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ScenarioError("scenario", "is not UTF-8 text") from None
    else:
        text = data
    if not text.strip():
        raise ScenarioError("scenario", "file is empty")
    try:
        raw = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "yaml"
        raise ScenarioError(where, f"{exc.problem or exc.context or 'invalid YAML'}") from None
    except yaml.YAMLError as exc:
        raise ScenarioError("yaml", str(exc).splitlines()[0]) from None
    if raw is None:
        raise ScenarioError("scenario", "file is empty")
    if not isinstance(raw, dict):
        raise ScenarioError("scenario", "must be a mapping of fields (name:, workload:, options:, ...)")
    return raw


def _comment_on(line: str) -> str | None:
    """The trailing ``# comment`` of one line, ignoring '#' inside quotes."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            text = line[i + 1:].strip()
            return text or None
    return None


def line_comments(text: str) -> dict[str, str]:
    """Map each dotted field path to the trailing comment that documents it (its source).

    A value's own line wins; otherwise the comment after the flow mapping or list that holds it
    (``- {kind: ..., multiplier: ...}   # source``) applies to every field inside.
    """
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError:
        return {}
    lines = text.splitlines()
    found: dict[str, str] = {}

    def comment(line_no: int) -> str | None:
        return _comment_on(lines[line_no]) if 0 <= line_no < len(lines) else None

    def walk(node: yaml.Node, path: list[str], inherited: str | None) -> None:
        flow = getattr(node, "flow_style", False)
        own = comment(node.end_mark.line if node.end_mark.column > 0 else node.end_mark.line - 1)
        here = own if (flow or isinstance(node, yaml.ScalarNode)) and own else inherited
        if isinstance(node, yaml.MappingNode):
            if path and here:
                found[".".join(path)] = here
            if len(node.value) == 1 and node.value[0][0].value in DISTRIBUTION_FORMS:
                return  # a distribution is one field: its parts need no sources of their own
            for key_node, value_node in node.value:
                key_comment = comment(key_node.start_mark.line)
                child = key_comment if not isinstance(value_node, yaml.MappingNode) or getattr(
                    value_node, "flow_style", False) else None
                walk(value_node, [*path, str(key_node.value)], child or here)
        elif isinstance(node, yaml.SequenceNode):
            if path and here:
                found[".".join(path)] = here
            for i, item in enumerate(node.value):
                walk(item, [*path, str(i)], here if flow else None)
        elif path and here:
            found[".".join(path)] = here

    if root is not None:
        walk(root, [], None)
    return found


def to_dict(scenario: Scenario) -> dict[str, Any]:
    """Return the scenario as plain data: the fields the author set, distributions as mappings."""
    return scenario.model_dump(mode="json", exclude_unset=True)


def dumps(scenario: Scenario, comments: dict[str, str] | None = None) -> str:
    """Write a scenario back to YAML that loads to an equal scenario, with its source comments."""
    text = yaml.dump(_flow_distributions(to_dict(scenario)), Dumper=_Dumper, sort_keys=False,
                     allow_unicode=True, width=100)
    if not comments:
        return text
    lines = text.splitlines()
    key_lines: dict[str, int] = {}

    def walk(node: yaml.Node, path: list[str]) -> None:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                child = [*path, str(key_node.value)]
                key_lines[".".join(child)] = key_node.start_mark.line
                walk(value_node, child)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                key_lines[".".join([*path, str(i)])] = item.start_mark.line
                walk(item, [*path, str(i)])

    walk(yaml.compose(text, Loader=_Loader), [])
    placed: set[int] = set()
    for path, note in comments.items():
        line = key_lines.get(path)
        if line is not None and line not in placed and "#" not in lines[line]:
            lines[line] = f"{lines[line]}  # {note}"
            placed.add(line)
    return "\n".join(lines) + "\n"


class _Flow(dict):
    """A mapping written on one line: distributions read as ``{triangular: [1, 2, 3]}``."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(_Flow, lambda dumper, data: dumper.represent_mapping(
    "tag:yaml.org,2002:map", data, flow_style=True))


def _flow_distributions(node: Any) -> Any:
    if isinstance(node, dict):
        if len(node) == 1 and next(iter(node)) in DISTRIBUTION_FORMS:
            return _Flow(node)
        return {k: _flow_distributions(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_flow_distributions(v) for v in node]
    return node
