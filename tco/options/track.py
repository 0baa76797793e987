"""An open-weight family's release track on an option that serves it (self-hosted or hosted)."""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import tco.catalog as catalog
from tco.options.rows import Row
from tco.options.table import OptionInputs, Table
from tco.sections import ReleaseTrack


def resolve(table: Table, prefix: str, track: ReleaseTrack | None, sc: Any,
            warnings: list[str]) -> None:
    """Add the track's inputs (the vetting delay is drawn afresh per release)."""
    if track is None:
        return
    table.fields(f"{prefix}.release_track", track, (
        "age_months_at_start", "vetting_delay_months", "upgrade_usd", "lag_tolerance_months",
        "escalation_per_month_of_lag", "escalation_cap"), per_event=("vetting_delay_months",))
    if track.next_release_month >= sc.horizon_months:
        warnings.append(f"{prefix}.release_track: the next release is planned after the horizon, "
                        "so no upgrade happens")


Track = namedtuple("Track", [
    "has", "age0_months", "upgrade_usd", "lag_tolerance_months", "lag_rate", "lag_cap", "slot"])
"""A release track: ``has`` one, the deployed weights' age at the start, the upgrade's cost, and
the escalation to the fallback per month of lag beyond the tolerance, up to ``lag_cap``.
``slot`` numbers the options whose track plans a release within the horizon (-1: none), whose
upgrades and weights' age the kernel reports."""

TRACK = Row(Track, codes={"has": bool, "slot": int}, ones=("lag_cap",))


def fill(rows: Any, j: int, get: OptionInputs, track: ReleaseTrack | None) -> None:
    """Write row ``j`` of the release-track record (left at rest without a track)."""
    if track is None:
        return
    rows.track.has[j] = True
    rows.track.age0_months[j] = get("release_track.age_months_at_start")
    rows.track.upgrade_usd[j] = get("release_track.upgrade_usd")
    rows.track.lag_tolerance_months[j] = get("release_track.lag_tolerance_months")
    rows.track.lag_rate[j] = get("release_track.escalation_per_month_of_lag")
    rows.track.lag_cap[j] = get("release_track.escalation_cap")


def family(option: Any) -> str | None:
    """The open-weight family of the option's ``model`` ('meta/llama'), from the model catalog's
    ``family`` column; None for a key the catalog lacks (validation names it)."""
    model = catalog.models().get(option.model)
    return None if model is None else model.family
