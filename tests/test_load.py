"""The load boundary: Loaded is immutable, with_changes revalidates, json_schema names the fields."""

from __future__ import annotations

import json
import os
import re

import pytest

import tco.glossary as glossary
from tco.errors import ScenarioError
from tco.load import json_schema, with_changes
from tco.schema import Scenario
from tests.conftest import build


def test_scenario_is_immutable() -> None:
    sc = build()
    with pytest.raises(Exception):
        sc.horizon_months = 3  # type: ignore[misc]


def test_with_changes_validates() -> None:
    sc = build()
    changed = with_changes(sc, {"workload.requests_per_month": 5})
    assert changed.workload.requests_per_month == 5.0
    with pytest.raises(ScenarioError, match="workload.requests_per_month: must be between 0 and 1e"):
        with_changes(sc, {"workload.requests_per_month": -5})


def test_json_schema_is_json_and_names_fields() -> None:
    schema = json_schema()
    text = json.dumps(schema)
    assert "requests_per_month" in text and "escalation_cap" in text
    assert schema["additionalProperties"] is False


def test_reading_stops_at_the_size_limit(tmp_path) -> None:
    """A pipe, a device or a huge file is read to one byte past 1 MB, never to its end."""
    import threading

    from tco.fields import MAX_SCENARIO_BYTES
    from tco.load import load_scenario

    total = 3 * MAX_SCENARIO_BYTES
    read_end, write_end = os.pipe()

    def feed() -> None:
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(b"#" * total)

    writer = threading.Thread(target=feed)
    writer.start()
    # A pipe is read only as standard input: any other FIFO is refused at once (one with no
    # writer hung the command forever).
    with pytest.raises(ScenarioError, match=r"is a FIFO \(named pipe\), not a regular file"):
        load_scenario(f"/dev/fd/{read_end}")
    saved = os.dup(0)
    os.dup2(read_end, 0)
    try:
        with pytest.raises(ScenarioError, match="^scenario: file is larger than 1000 kB$"):
            load_scenario("/dev/stdin")
    finally:
        os.dup2(saved, 0)
        os.close(saved)
        left = 0
        while chunk := os.read(read_end, 1 << 20):  # what the loader did not read
            left += len(chunk)
        writer.join()
        os.close(read_end)
    assert total - left <= MAX_SCENARIO_BYTES + 1


def test_unreadable_paths_are_one_line(tmp_path) -> None:
    from tco.load import load_scenario

    cases = [(tmp_path, f"{tmp_path}: is a directory, not a scenario file"),
             (tmp_path / "missing.yaml", f"{tmp_path / 'missing.yaml'}: no such file"),
             ("bad\x00name.yaml", "'bad\\x00name.yaml': is not a valid file path")]
    for path, expected in cases:
        with pytest.raises(ScenarioError) as info:
            load_scenario(path)
        assert str(info.value) == expected
    locked = tmp_path / "locked.yaml"
    locked.write_text("name: x\n")
    locked.chmod(0)
    if not os.access(locked, os.R_OK):  # root reads it anyway
        with pytest.raises(ScenarioError, match=r"locked.yaml: cannot be read \(permission denied\)$"):
            load_scenario(locked)


def test_a_number_beyond_float_range_names_its_field() -> None:
    """Python's float() overflows on such an integer (an OverflowError, not a validation error)."""
    from tco.load import validate
    from tests.conftest import raw

    data = raw()
    data["options"]["api"]["input_usd_per_mtok"] = 10**400
    with pytest.raises(ScenarioError) as info:
        validate(data)
    assert str(info.value) == "options.api.input_usd_per_mtok: is a number too large for any field"


UNIT_PARENTHESIS = re.compile(r"\((\$|USD|fraction|months?|users|FTE|years|multiplier|ratio|kW|"
                              r"tokens|engineer|requests|probability|GPUs|replicas|milliseconds)"
                              r"[^()]*\)")


def _fields(model, seen):
    if model in seen:
        return
    seen.add(model)
    for name, field in model.model_fields.items():
        yield model, name, field
        for sub in glossary.sections_in(field.annotation)[0]:
            yield from _fields(sub, seen)


def test_a_unit_is_declared_once_never_in_a_description() -> None:
    """No field's description states a unit in parentheses: the glossary (inputs), the risk kind
    or ``SETTING_UNITS`` declares it once, and every view shows that one."""
    stated = [f"{m.__name__}.{name}: {UNIT_PARENTHESIS.search(f.description).group(0)}"
              for m, name, f in _fields(Scenario, set())
              if f.description and UNIT_PARENTHESIS.search(f.description)]
    assert stated == []


def test_the_editor_schema_gives_every_number_its_declared_unit() -> None:
    """``tco schema``: each numeric field carries ``x-unit`` and ends its description with it;
    for an input the unit is the glossary's (the page's and the deck's)."""
    schema = json_schema()
    models = [("Scenario", schema), *schema["$defs"].items()]
    numeric = [(name, key, prop) for name, node in models for key, prop in node["properties"].items()
               if '"number"' in json.dumps(prop) or '"integer"' in json.dumps(prop)]
    assert len(numeric) > 100
    assert [f"{name}.{key}" for name, key, prop in numeric if not prop.get("x-unit")] == []
    for _, _, prop in numeric:
        assert prop["description"].endswith(f"Unit: {prop['x-unit']}.")
    kwh = schema["$defs"]["Purchase"]["properties"]["usd_per_kwh"]
    assert kwh["x-unit"] == glossary.entry("options.x.purchase.usd_per_kwh").unit == "$ per kWh"
    assert schema["$defs"]["Reserved"]["properties"]["term_months"]["x-unit"] == "months"
