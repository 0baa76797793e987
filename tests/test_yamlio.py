"""YAML 1.2 in and out: bad files, YAML 1.2 scalars, and a round trip keeping source comments."""

from __future__ import annotations

import pytest

import tco
from tco.errors import ScenarioError
from tco.load import dumps, loads
from tco.yamlio import parse_yaml, to_dict
from tests.conftest import SCENARIOS


@pytest.mark.parametrize(("text", "expected"), [
    (b"", "scenario: file is empty"),
    (b"   \n# only a comment\n", "scenario: file is empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "scenario: is a binary file, not YAML text"),
    (b"\xff\xfe\xfa", "scenario: is not UTF-8 text"),
    (b"- just\n- a list\n", "scenario: must be a mapping of fields (name:, workload:, options:, ...)"),
    (b"name: [unclosed\n", "line 2, column 1: expected ',' or ']', but got '<stream end>'"),
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
