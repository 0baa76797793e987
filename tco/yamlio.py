"""YAML 1.2 text in and out: safe loading, source comments, and a round trip back to text.

Reading gives plain data and the trailing ``# comment`` of each field (its source); writing gives
YAML that loads to an equal scenario, with those comments put back. Validation is ``tco.load``'s job.

Reading is linear in the file: aliases (``*name``) are refused, because a few hundred bytes of nested
aliases expand to billions of values for every later walk; nesting stops at ``MAX_DEPTH`` levels, one
mapping at ``MAX_KEYS`` keys and the document at ``MAX_NODES`` values, all checked while composing
so a hostile file is refused before the rest of it is even scanned (any refusal costs well under a
second of CPU: ``benchmarks/bench_refusals.py``). A lone UTF-16 surrogate (``"\ud800"``, which
only an escape in a quoted string can write) is refused wherever it appears, key or value: no
export, terminal or web page can encode it; a pair (JSON's escape of an emoji) is joined into the
one character it stands for. The text is composed once; comments are found in one pass
over its lines.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Hashable
from typing import Any

import yaml
import yaml.cyaml

from tco.distributions import FORMS as DISTRIBUTION_FORMS
from tco.errors import ScenarioError
from tco.fields import MAX_SCENARIO_BYTES
from tco.schema import Scenario

MAX_DEPTH = 20
"""Nested mappings and lists; a scenario needs about six (risks.0.multiplier.lognormal.median)."""
MAX_NODES = 25_000
"""Values in one file; the largest shipped scenario has about 400. Bounds the pure-Python parse of
a refused file (libyaml scans, Python composes) to about 0.14 s of CPU."""
MAX_KEYS = 10_000
"""Keys in one mapping; a scenario's largest mapping (its options or an hourly profile) has dozens.
Checked as each key is composed, so 49,000 unknown keys are refused at the 10,001st, before
validation would report them one by one."""
_SURROGATE = re.compile("[\ud800-\udfff]")


class _Limits:
    """The composing rules both loaders share: no aliases, no lone surrogates, and the size limits
    (``MAX_DEPTH``, ``MAX_NODES``, ``MAX_KEYS``) checked as each node is composed."""

    _depth = 0
    _nodes = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise yaml.composer.ComposerError(
                None, None, "YAML aliases (*name) are not allowed in scenario files; write the value out",
                event.start_mark)
        if isinstance(event, yaml.ScalarEvent) and (bad := _SURROGATE.search(event.value)):
            try:  # a pair, as JSON escapes astral characters ("\ud83d\ude80"), is one character
                event.value = event.value.encode("utf-16", "surrogatepass").decode("utf-16")
            except UnicodeDecodeError:
                raise yaml.composer.ComposerError(
                    None, None, f"text holds a lone UTF-16 surrogate ({bad.group()!a}), which no "
                    "file or page can show; remove the escape", event.start_mark) from None
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise yaml.composer.ComposerError(
                None, None, f"the file holds more than {MAX_NODES:,} values; a scenario needs far fewer",
                event.start_mark)
        if not isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            return super().compose_node(parent, index)
        if self._depth >= MAX_DEPTH:
            raise yaml.composer.ComposerError(
                None, None, f"nesting is too deep (more than {MAX_DEPTH} levels)", event.start_mark)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def compose_mapping_node(self, anchor: Any) -> yaml.MappingNode:
        # PyYAML's own loop, counting keys as they are composed.
        start = self.get_event()
        tag = start.tag
        if tag is None or tag == "!":
            tag = self.resolve(yaml.MappingNode, None, start.implicit)
        node = yaml.MappingNode(tag, [], start.start_mark, None, flow_style=start.flow_style)
        while not self.check_event(yaml.MappingEndEvent):
            if len(node.value) >= MAX_KEYS:
                raise yaml.composer.ComposerError(
                    None, None, f"a mapping holds more than {MAX_KEYS:,} keys; a scenario needs far "
                    "fewer", self.peek_event().start_mark)
            key = self.compose_node(node, None)
            node.value.append((key, self.compose_node(node, key)))
        node.end_mark = self.get_event().end_mark
        return node

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        # PyYAML lets Python's own errors escape for values such as '!!timestamp 2024-13-01' or an
        # integer of 5,000 digits; say where the value is instead of failing with a traceback.
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, ArithmeticError, LookupError, TypeError) as exc:
            reason = (str(exc).splitlines() or [""])[0].split(";")[0][:120]
            kind = node.tag.rsplit(":", 1)[-1]
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read this {kind} value ({reason})" if reason else
                f"cannot read this {kind} value", node.start_mark) from None


class _Loader(_Limits, yaml.composer.Composer, yaml.cyaml.CParser,
              yaml.constructor.SafeConstructor, yaml.resolver.Resolver):
    """Safe loader with YAML 1.2 scalars: ``1e6`` is a number, ``on``/``yes``/``no`` are text.

    YAML 1.1 (PyYAML's default) reads the key ``on:`` as the boolean True and ``1e6`` as a string;
    scenario files use ``on:`` for the options a risk hits. Duplicate keys are rejected, and so are
    aliases, nesting deeper than ``MAX_DEPTH`` and more than ``MAX_NODES`` values (see the module).

    libyaml (``yaml.cyaml.CParser``) scans and parses; composing stays in Python, ahead of it in the
    order of bases, so the limits are checked as each node is composed. PyYAML's pure-Python
    scanner took 0.4 s of CPU here (1.0 s on a slower machine) to reach the 10,001st key of a flow
    mapping; libyaml takes a quarter of that.
    """

    def __init__(self, stream: str) -> None:
        yaml.cyaml.CParser.__init__(self, stream)
        yaml.composer.Composer.__init__(self)
        yaml.constructor.SafeConstructor.__init__(self)
        yaml.resolver.Resolver.__init__(self)


class _EscapeLoader(_Limits, yaml.SafeLoader):
    """The pure-Python loader, for text that escapes a UTF-16 surrogate (``"\\ud83d\\ude80"``, as
    JSON writes an emoji): libyaml refuses every such escape, PyYAML reads it, and the composer
    joins a pair into its character or refuses a lone one."""


# Start from no implicit resolvers for booleans, then allow only true/false; and no timestamps
# (YAML 1.2 has none): `as_of: 2026-12-05` stays the text the file wrote, as JSON would read it.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers
            if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")]
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


_ESCAPED_SURROGATE = re.compile(r"\\(?:u|U0000)[dD][89a-fA-F]")
"""A double-quoted escape of a UTF-16 surrogate, which only ``_EscapeLoader`` reads."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node)
        if not isinstance(key, Hashable):
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be a single value, not a list or mapping", key_node.start_mark)
        if key in mapping:
            shown = str(key) if len(str(key)) <= 60 else f"{str(key)[:60]}..."
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key '{shown}'", key_node.start_mark)
        mapping[key] = loader.construct_object(value_node, deep=True)
    return mapping


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    # YAML 1.1 base-60 integers ('1:30:00') cost quadratic time in their length (each part
    # multiplies a growing integer by 60); scenario numbers never need them.
    if ":" in str(node.value):
        raise yaml.constructor.ConstructorError(
            None, None, "base-60 numbers such as 1:30 are not supported; write the number out",
            node.start_mark)
    value = yaml.constructor.SafeConstructor.construct_yaml_int(loader, node)
    if abs(value) > sys.float_info.max:  # 0xfff... of any length: no field holds it, float() overflows
        raise yaml.constructor.ConstructorError(
            None, None, "this number is too large for any field", node.start_mark)
    return value


_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_EscapeLoader.yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers
_EscapeLoader.yaml_constructors = _Loader.yaml_constructors


def _text(data: bytes | str) -> str:
    """The text of a scenario file, refusing one that is too large, binary, not UTF-8 or empty."""
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
    return text


def _compose(text: str) -> tuple[yaml.Node | None, Any]:
    """Compose the text once and construct its data: (root node, data), with one-line errors."""
    loader = None
    try:
        # either reader refuses unprintable characters here
        loader = (_EscapeLoader if _ESCAPED_SURROGATE.search(text) else _Loader)(text)
        node = loader.get_single_node()
        return node, (loader.construct_document(node) if node is not None else None)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "yaml"
        raise ScenarioError(where, f"{exc.problem or exc.context or 'invalid YAML'}") from None
    except yaml.YAMLError as exc:
        raise ScenarioError("yaml", (str(exc).splitlines() or ["invalid YAML"])[0]) from None
    except RecursionError:  # MAX_DEPTH stops the composer first; this guards the rest of PyYAML
        raise ScenarioError("scenario", "nesting is too deep") from None
    finally:
        if loader is not None:
            loader.dispose()


def _mapping(raw: Any) -> dict[str, Any]:
    if raw is None:
        raise ScenarioError("scenario", "file is empty")
    if not isinstance(raw, dict):
        raise ScenarioError("scenario", "must be a mapping of fields (name:, workload:, options:, ...)")
    return raw


def parse_yaml(data: bytes | str) -> dict[str, Any]:
    """Parse scenario text into a mapping, with one-line errors for empty, binary or bad YAML."""
    return _mapping(_compose(_text(data))[1])


def parse_document(data: bytes | str) -> tuple[dict[str, Any], dict[str, str]]:
    """Parse scenario text into (mapping, source comments by field path), composing it once."""
    text = _text(data)
    node, raw = _compose(text)
    return _mapping(raw), _harvest(node, text)


def _comment_on(line: str) -> str | None:
    """The trailing ``# comment`` of one line, ignoring '#' inside quotes."""
    if "#" not in line:
        return None
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
    (``- {kind: ..., multiplier: ...}   # source``) applies to every field inside. Text that does
    not parse has no comments.
    """
    try:
        node, _ = _compose(text)
    except ScenarioError:
        return {}
    return _harvest(node, text)


def _harvest(root: yaml.Node | None, text: str) -> dict[str, str]:
    """Comments by field path, from composed nodes (a tree: aliases are refused when composing)."""
    if root is None:
        return {}
    # Each line's comment is found once: nodes on one long line (a one-line JSON file) would
    # otherwise rescan it per node, which is quadratic in the line's length.
    notes = [_comment_on(line) for line in text.splitlines()]
    found: dict[str, str] = {}

    def comment(line_no: int) -> str | None:
        return notes[line_no] if 0 <= line_no < len(notes) else None

    def walk(node: yaml.Node, path: list[str], inherited: str | None) -> None:
        flow = getattr(node, "flow_style", False)
        own = comment(node.end_mark.line if node.end_mark.column > 0 else node.end_mark.line - 1)
        here = own if (flow or isinstance(node, yaml.ScalarNode)) and own else inherited
        if isinstance(node, yaml.MappingNode):
            if path and here:
                found[".".join(path)] = here
            if (len(node.value) == 1 and isinstance(node.value[0][0], yaml.ScalarNode)
                    and node.value[0][0].value in DISTRIBUTION_FORMS):
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

    walk(_compose(text)[0], [])
    placed = {i for i, line in enumerate(lines) if "#" in line}  # checked once per line, not per path
    for path, note in comments.items():
        line = key_lines.get(path)
        if line is not None and line not in placed:
            lines[line] = f"{lines[line]}  # {note}"
            placed.add(line)
    return "\n".join(lines) + "\n"


class _Flow(dict):
    """A mapping written on one line: distributions read as ``{triangular: [1, 2, 3]}``."""


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True  # the loader refuses aliases, so a value used twice is written out twice


# The writer quotes a string wherever the reader would take it for something else, so it must
# resolve plain scalars as the reader does: '0E0' is a float to our YAML 1.2 reader but not to
# PyYAML's 1.1 writer, which left it unquoted and read it back as a number.
_Dumper.yaml_implicit_resolvers = {first: list(resolvers)
                                   for first, resolvers in _Loader.yaml_implicit_resolvers.items()}


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
