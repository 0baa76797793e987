"""YAML 1.2 in and out: bad files, YAML 1.2 scalars, and a round trip keeping source comments."""

from __future__ import annotations

import pytest

import tco
from tco import yamlio
from tco.errors import ScenarioError
from tco.load import dumps, loads
from tco.yamlio import _comment_on as comment_on
from tco.yamlio import line_comments, parse_yaml, to_dict
from tests.conftest import SCENARIOS


@pytest.mark.parametrize(("text", "expected"), [
    (b"", "scenario: file is empty"),
    (b"   \n# only a comment\n", "scenario: file is empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "scenario: is a binary file, not YAML text"),
    (b"\xff\xfe\xfa", "scenario: is not UTF-8 text"),
    (b"- just\n- a list\n", "scenario: must be a mapping of fields (name:, workload:, options:, ...)"),
    (b"name: [unclosed\n", "line 2, column 1: did not find expected ',' or ']'"),
    (b"name: a\nname: b\n", "line 2, column 1: duplicate key 'name'"),
])
def test_bad_files(text: bytes, expected: str) -> None:
    with pytest.raises(ScenarioError) as info:
        loads(text)
    assert str(info.value) == expected


def test_yaml_reads_exponents_and_on_keys() -> None:
    parsed = parse_yaml("a: 1e6\nb: 2.5e-3\nc: 20_000\non: x\nd: yes\n")
    assert parsed == {"a": 1e6, "b": 2.5e-3, "c": 20000, "on": "x", "d": "yes"}


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_round_trip(path) -> None:
    sc = tco.load_scenario(path)
    again = loads(dumps(sc))
    assert again == sc
    assert to_dict(again) == to_dict(sc)
    # Source comments survive the trip, so an exported scenario still cites its numbers.
    path = "workload.requests_per_month"
    assert again.comments[path] == sc.comments[path]


# Hostile input: parsing is linear in the file, and every failure is a one-line ScenarioError.
MAX_DEPTH = 20  # tco.yamlio.MAX_DEPTH and MAX_NODES, the documented limits
MAX_NODES = 25_000
MAX_KEYS = 10_000


def _laughs(levels: int) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def test_aliases_are_refused() -> None:
    """Aliases expand by reference, so a few hundred bytes of them are billions of values to walk."""
    with pytest.raises(ScenarioError) as info:
        parse_yaml(_laughs(4))
    assert str(info.value) == ("line 2, column 10: YAML aliases (*name) are not allowed in scenario "
                               "files; write the value out")
    with pytest.raises(ScenarioError, match="aliases"):
        loads(b"name: &n x\ndescription: *n\n")
    assert line_comments(_laughs(4) + "b: 1  # note\n") == {}


def test_nesting_is_capped() -> None:
    assert parse_yaml("a: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n")
    with pytest.raises(ScenarioError) as info:
        parse_yaml("a: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "\n")
    assert str(info.value) == f"line 1, column {3 + MAX_DEPTH}: nesting is too deep (more than 20 levels)"
    # Thousands of levels overflowed Python's stack in the recursive composer: a traceback.
    with pytest.raises(ScenarioError, match="nesting is too deep"):
        parse_yaml("a: " + "{a: " * 5000 + "1" + "}" * 5000 + "\n")


def test_values_are_capped() -> None:
    assert len(parse_yaml("a: [" + ", ".join(["0"] * (MAX_NODES - 3)) + "]\n")["a"]) == MAX_NODES - 3
    with pytest.raises(ScenarioError, match="more than 25,000 values"):
        parse_yaml("a: [" + ", ".join(["0"] * MAX_NODES) + "]\n")


def test_keys_of_one_mapping_are_capped() -> None:
    """49,000 unknown keys cost 14 s of CPU under load before the one-line refusal: each was
    composed, constructed and then reported by validation. The 10,001st key is refused as it is
    composed, and the count is of one mapping, not of the file."""
    assert len(parse_yaml("a: {" + ", ".join(f"k{i}: 1" for i in range(MAX_KEYS)) + "}\n")["a"]) == MAX_KEYS
    with pytest.raises(ScenarioError) as info:
        parse_yaml("a: {" + ", ".join(f"k{i}: 1" for i in range(MAX_KEYS + 1)) + "}\n")
    assert str(info.value).endswith("a mapping holds more than 10,000 keys; a scenario needs far fewer")
    block = "".join(f"k{i}: 1\n" for i in range(MAX_KEYS + 1))
    with pytest.raises(ScenarioError, match=r"^line 10001, column 1: a mapping holds more than"):
        parse_yaml(block)


@pytest.mark.parametrize("text", ['name: "bad\\ud800name"\n', '"k\\udfff": 1\n',
                                  'a: ["x", "\\udc00"]\n'])
def test_lone_surrogates_are_refused(text: str) -> None:
    """A lone surrogate (only a quoted escape can write one) broke every export with a traceback."""
    with pytest.raises(ScenarioError, match=r"lone UTF-16 surrogate \('\\ud[89abcdef]"):
        parse_yaml(text)
    assert parse_yaml('name: "\\U0001F600"\n') == {"name": "\U0001F600"}
    # JSON writes an astral character as a surrogate pair: joined, not refused.
    assert parse_yaml('{"name": "\\ud83d\\ude80 plan", "\\ud83d\\ude00": 1}') == {
        "name": "\U0001F680 plan", "\U0001F600": 1}
    with pytest.raises(ScenarioError, match="lone UTF-16 surrogate"):
        parse_yaml('name: "\\ude80\\ud83d"\n')  # the pair's halves in the wrong order


def test_each_line_is_scanned_for_its_comment_once(monkeypatch) -> None:
    """A one-line JSON file of n values was scanned n times (21 s at 57 kB): now once per line."""
    calls = []

    def counted(line: str) -> str | None:
        calls.append(line)
        return comment_on(line)

    monkeypatch.setattr(yamlio, "_comment_on", counted)
    text = '{"a": [' + ", ".join(['"x # y"'] * 2000) + ']}  # source\n'
    assert line_comments(text)["a"] == "source"
    assert len(calls) <= text.count("\n")


@pytest.mark.parametrize(("text", "expected"), [
    ("a: 1:30\n", "line 1, column 4: base-60 numbers such as 1:30 are not supported; write the number out"),
    ("a: 0x" + "f" * 300 + "\n", "line 1, column 4: this number is too large for any field"),
    ("a: !!timestamp 2024-13-01\n",
     "line 1, column 4: cannot read this timestamp value (month must be in 1..12)"),
    ("a: !!int xyz\n", "line 1, column 4: cannot read this int value (invalid literal for int() with "
                       "base 10: 'xyz')"),
    ("? [1, 2]\n: x\n", "line 1, column 3: a key must be a single value, not a list or mapping"),
    ("a: !!map [1]\n", "line 1, column 4: cannot read this map value (cannot unpack non-iterable "
                       "ScalarNode object)"),
])
def test_values_python_cannot_build_are_one_line(text: str, expected: str) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_yaml(text)
    assert str(info.value) == expected


@pytest.mark.parametrize("text", ["0E0", "1e5", "-2E+3", ".5", "true", "1_000", "0x1F", "12:30"])
def test_a_name_the_reader_would_take_for_a_number_is_written_quoted(text) -> None:
    """The writer resolves plain scalars as the reader does: '0E0' is a float to the YAML 1.2
    reader (a digit, an exponent, no dot) though not to YAML 1.1, so it must come back as text."""
    from tests.conftest import build, raw

    data = raw()
    data["strategies"]["api-only"]["other_costs"] = [{"name": text, "usd_per_month": 5}]
    sc = build(data, name=text)
    again = loads(dumps(sc))
    assert again == sc and again.name == text
    assert again.strategies["api-only"].other_costs[0].name == text


def test_an_unquoted_date_stays_the_text_the_file_wrote() -> None:
    """YAML 1.2 has no timestamps: ``as_of: 2026-12-05`` reads as the text, as JSON would give it,
    so a scenario's data stays JSON-serialisable."""
    assert parse_yaml("as_of: 2026-12-05\n") == {"as_of": "2026-12-05"}
