"""The load boundary: Loaded is immutable, with_changes revalidates, json_schema names the fields."""

from __future__ import annotations

import json
import os

import pytest

from tco.errors import ScenarioError
from tco.load import json_schema, with_changes
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
