"""The one input exception of the package."""

from __future__ import annotations


class ScenarioError(ValueError):
    """Bad input, as one line ``"<field path>: <rule>"`` a FinOps reader can act on."""

    def __init__(self, field: str, rule: str) -> None:
        self.field = field
        self.rule = rule
        super().__init__(f"{field}: {rule}" if field else rule)
