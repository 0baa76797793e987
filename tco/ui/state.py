"""The page's session state: widget keys, defaults, resets, and its mirror in the query string.

The query-string wrappers here are thin; parsing and encoding are pure, in ``tco.ui.links``.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

import streamlit as st

import tco.glossary as glossary
from tco.errors import ScenarioError
from tco.format import quantity
from tco.simulate import DEFAULT_PATHS, DEFAULT_SEED  # one default for the page and the CLI
from tco.ui import links
from tco.ui.controls import by_path
from tco.ui.edits import Edit, apply_cells, apply_edits, nominal, set_nominal
from tco.ui.safe import escape_markdown

if TYPE_CHECKING:
    from tco.load import Loaded as Scenario

PATH_CHOICES = (1_000, 2_000, 5_000, 10_000, 20_000, 50_000)
DEFAULT_SCENARIO = "open-model-goes-closed"
MAX_SEED = links.MAX_SEED
PREFIX = "in:"  # widget keys are "in:" + the input's scenario path
EDITS, BASE, ERRORS, EDITOR_VERSION = "edits", "base_scenario", "edit_errors", "editor_version"
STRATEGY = "link_strategy"  # the strategy a link added (links.AddedStrategy), until a reset


def input_key(path: str) -> str:
    """The widget key of the input at scenario ``path``."""
    return PREFIX + path


def reset_inputs() -> None:
    """Forget every edit (sidebar, table and link), so the base scenario's values show again."""
    for key in [k for k in st.session_state if str(k).startswith(PREFIX)]:
        del st.session_state[key]
    st.session_state[EDITS] = {}
    st.session_state.pop(STRATEGY, None)
    st.session_state[EDITOR_VERSION] = st.session_state.get(EDITOR_VERSION, 0) + 1


def edits() -> dict[str, Edit]:
    """The page's input edits by scenario path (``tco.ui.edits``): the one state the sidebar, the
    Assumptions table and the link all read and write."""
    return st.session_state.setdefault(EDITS, {})


def set_defaults(stems: list[str]) -> None:
    """Scenario, path count and seed of a new session, where a link did not set them."""
    st.session_state.setdefault("scenario", DEFAULT_SCENARIO if DEFAULT_SCENARIO in stems else stems[0])
    st.session_state.setdefault("paths", DEFAULT_PATHS)
    st.session_state.setdefault("seed", DEFAULT_SEED)
    st.session_state.setdefault(EDITOR_VERSION, 0)


def read_link(stems: Collection[str]) -> None:
    """Seed the page's state from a shared link once per session; what it leaves out is shown by
    ``apply_link``."""
    if st.session_state.get("query_loaded"):
        return
    st.session_state["query_loaded"] = True
    link, problems = links.read({key: st.query_params.get_all(key) for key in st.query_params}, stems,
                                PATH_CHOICES)
    st.session_state["link_problems"] = links.query_problems(_raw_query(), len(st.query_params)) + problems
    if link.scenario is not None:
        st.session_state["scenario"] = link.scenario
    if link.paths is not None:
        st.session_state["paths"] = link.paths
    if link.seed is not None:
        st.session_state["seed"] = link.seed
    st.session_state["pending_changes"] = link.inputs
    st.session_state["pending_strategy"] = link.strategy


def with_link_strategy(base: Scenario) -> Scenario:
    """The base scenario with the strategy a link added (the Decide tab's saved mix), kept for
    the session until the inputs are reset; a link's strategy that breaks a rule is left out with
    one line naming the rule (shown by ``apply_link``)."""
    raw = st.session_state.pop("pending_strategy", None)
    if raw is not None:
        try:
            st.session_state[STRATEGY] = links.parse_strategy(raw)
        except ValueError as exc:
            st.session_state.setdefault("link_problems", []).append(
                f"Ignored link parameter strategy={links.echo(raw)}: {exc}")
    added = st.session_state.get(STRATEGY)
    if added is None:
        return base
    # The optimiser and scipy's solvers load only for a link that adds a strategy.
    from tco.optimise.decide import with_mix  # noqa: PLC0415

    try:
        return with_mix(base, added.name, added.mix, added.fallback)
    except ScenarioError as exc:
        del st.session_state[STRATEGY]
        st.session_state.setdefault("link_problems", []).append(
            f"Ignored link parameter strategy={links.echo(raw or links.encode_strategy(added))}: "
            f"{exc}")
        return base


def _raw_query() -> str:
    """The query string as the browser sent it: Streamlit drops a long one from ``st.query_params``
    without a word, and ``query_problems`` says so."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx  # noqa: PLC0415 - page only

    ctx = get_script_run_ctx()
    return str(getattr(ctx, "query_string", "") or "")


def apply_link(base: Scenario) -> None:
    """Make the link's input values the page's edits, once the scenario (and so its inputs) is
    known; each parameter left out shows one line, escaped (names and values come from anyone)."""
    st.session_state[BASE] = base  # what the widget and table callbacks edit
    if "pending_changes" not in st.session_state:
        return
    values, ignored = links.edits_from_link(st.session_state.pop("pending_changes"), base, by_path(base))
    for message in links.capped([*st.session_state.pop("link_problems", []), *ignored]):
        st.warning(escape_markdown(message))
    st.session_state[EDITS] = values
    _sync_widgets(base, values)


def _sync_widgets(base: Scenario, values: dict[str, Edit]) -> None:
    """Show the edited scenario's values in the sidebar's widgets."""
    current = apply_edits(base, values)
    for path, control in by_path(base).items():
        st.session_state[input_key(path)] = control.shown(nominal(current, path))


def show_edit_errors() -> None:
    """Edits refused since the last run (sidebar or table), one line each naming the input."""
    for message in st.session_state.pop(ERRORS, []):
        st.error(escape_markdown(message, limit=300))


def _refused(base: Scenario, path: str, value: float, exc: Exception) -> None:
    rule = exc.rule if isinstance(exc, ScenarioError) and exc.field == path else str(exc)
    label = glossary.describe(path, base)  # the value as the reader typed it: '700%', not '7'
    st.session_state.setdefault(ERRORS, []).append(
        f"Not applied: {label.label} = {quantity(value, label.unit)}: {rule}")


def widget_changed(path: str) -> None:
    """A sidebar widget moved: its value (in stored units) becomes the input's edit, or is refused
    with a message and the widget shows the value in force again."""
    base: Scenario = st.session_state[BASE]
    control = by_path(base)[path]
    value = float(st.session_state[input_key(path)]) / control.display_scale
    try:
        st.session_state[EDITS] = set_nominal(base, edits(), path, value)
    except ScenarioError as exc:
        _refused(base, path, value, exc)
    _sync_widgets(base, edits())


def table_changed(editor_key: str, paths: list[str]) -> None:
    """Cells of the Assumptions table changed: each becomes an edit (or is refused with a message);
    the sidebar then shows the same values and a fresh table the edited scenario."""
    base: Scenario = st.session_state[BASE]
    changed, refused = apply_cells(base, edits(), st.session_state[editor_key].get("edited_rows", {}), paths)
    for path, value, exc in refused:
        _refused(base, path, value, exc)
    st.session_state[EDITS] = changed
    st.session_state[EDITOR_VERSION] = st.session_state.get(EDITOR_VERSION, 0) + 1
    _sync_widgets(base, changed)


def editor_key() -> str:
    """The Assumptions table's widget key: a new one after each applied edit, so the table starts
    again from the edited scenario."""
    return f"assumptions_editor_{st.session_state.get(EDITOR_VERSION, 0)}"


def embedded() -> bool:
    """True when the page was opened with ``embed=true``: results only, no sidebar or upload.

    Streamlit keeps ``embed`` out of ``st.query_params`` (and keeps it in the address bar itself);
    the browser reports it through ``st.context``."""
    return bool(st.context.is_embedded)


def write_link(stem: str | None, changes: dict[str, Edit], paths: int, seed: int) -> None:
    """Keep the address bar equal to the page's state, so it can be shared."""
    embed = st.query_params.get("embed")
    wanted = links.encode(stem, changes, paths, seed, embed, st.session_state.get(STRATEGY))
    if dict(st.query_params) != wanted:
        st.query_params.from_dict(wanted)
