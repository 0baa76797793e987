"""The load boundary: Loaded is immutable, with_changes revalidates, json_schema names the fields."""

from __future__ import annotations

import json

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
    with pytest.raises(ScenarioError, match="workload.requests_per_month: must be at least 0"):
        with_changes(sc, {"workload.requests_per_month": -5})


def test_json_schema_is_json_and_names_fields() -> None:
    schema = json_schema()
    text = json.dumps(schema)
    assert "requests_per_month" in text and "escalation_cap" in text
    assert schema["additionalProperties"] is False
