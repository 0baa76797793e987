"""What information is worth to a scenario's choice of strategy: EVPI, and EVPPI per risk line
and per sampled input, from a simulation's per-path NPVs (``tco.optimise.voi``).

A risk line's outcome on a path is whether any of its events fired over the horizon (the
question "will the family's next release stay open?"); a sampled input's is its value, in
quantile bins. Nothing here draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

import tco.risks as risks
from tco.format import pct, usd
from tco.glossary import UnknownPath, describe
from tco.optimise import voi
from tco.simulate import SimulationResult

COLUMNS = ("input", "label", "kind", "evppi_usd", "share_of_evpi", "se_usd")


@dataclass(frozen=True)
class Information:
    """EVPI and a table of EVPPI, one row per risk line and sampled input, largest first."""

    evpi_usd: float
    table: pd.DataFrame
    """Columns ``COLUMNS``: input (``risks.<i>`` or the input's path), its label, kind ('risk'
    or 'input'), EVPPI in money, as a share of EVPI, and its standard error."""

    def to_json(self) -> dict:
        """``run --json``'s keys: ``evpi_usd`` and ``evppi`` by input."""
        return {"evpi_usd": self.evpi_usd, "evppi": {
            row.input: {"label": row.label, "kind": row.kind, "usd": row.evppi_usd,
                        "share_of_evpi": row.share_of_evpi, "se_usd": row.se_usd}
            for row in self.table.itertuples()}}

    def sentence(self, top: int = 1) -> list[str]:
        """The largest EVPPIs in words: 'Knowing whether licence change on llama-70b happens is
        worth at most $0.42M to this decision (38% of what perfect foresight is worth).'"""
        if self.table.empty or self.table["evppi_usd"].iloc[0] <= 0:
            return [f"No single risk line or input, known in advance, would change the choice "
                    f"between the strategies; perfect foresight of every shock is worth "
                    f"{usd(self.evpi_usd)}."]
        lines = []
        for row in self.table.head(top).itertuples():
            if row.evppi_usd <= 0:
                break
            what = f"whether {row.label[:1].lower()}{row.label[1:]} happens" if row.kind == "risk" \
                else f"{row.label[:1].lower()}{row.label[1:]} in advance"
            lines.append(f"Knowing {what} is worth at most {usd(row.evppi_usd)} to this decision "
                         f"({pct(row.share_of_evpi)} of what perfect foresight of every shock, "
                         f"{usd(self.evpi_usd)}, is worth).")
        return lines


def risk_outcomes(result: SimulationResult) -> dict[int, np.ndarray]:
    """By risk index: (paths,) 1 where any of its events fired over the horizon, else 0."""
    out, column = {}, 0
    for i, risk in enumerate(result.scenario.risks):
        width = len(risk.on)
        out[i] = (result.event_counts[:, column:column + width].sum(axis=1) > 0).astype(float)
        column += width
    return out


def _label(path: str, result: SimulationResult) -> str:
    try:
        return describe(path, result.scenario.scenario).label
    except UnknownPath:
        return path


def value_of_information(result: SimulationResult) -> Information:
    """EVPI and EVPPI of every risk line and sampled input of a simulation."""
    npv = result.npv_usd
    total = voi.evpi(npv)
    rows = []
    for i, fired in risk_outcomes(result).items():
        risk = result.scenario.risks[i]
        label = f"{risks.kind(risk.kind).label} on {', '.join(risk.on)}"
        rows.append((f"risks.{i}", label, "risk", voi.evppi(npv, fired, total)))
    for param in result.resolved.sampled:
        rows.append((param.path, _label(param.path, result), "input",
                     voi.evppi(npv, result.inputs[param.path], total)))
    table = pd.DataFrame([(key, label, kind, v.value_usd, v.share_of_evpi, v.se_usd)
                          for key, label, kind, v in rows], columns=list(COLUMNS))
    table = table.sort_values("evppi_usd", ascending=False, kind="stable").reset_index(drop=True)
    return Information(evpi_usd=total, table=table)
