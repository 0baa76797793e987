"""The page's session state: widget keys, defaults, resets, and its mirror in the query string.

The query-string wrappers here are thin; parsing and encoding are pure, in ``tco.ui.links``.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

import streamlit as st

from tco.simulate import DEFAULT_PATHS, DEFAULT_SEED  # one default for the page and the CLI
from tco.ui import links
from tco.ui.controls import by_path
from tco.ui.safe import escape_markdown

if TYPE_CHECKING:
    from tco.load import Loaded as Scenario

PATH_CHOICES = (1_000, 2_000, 5_000, 10_000, 20_000, 50_000)
DEFAULT_SCENARIO = "open-model-goes-closed"
MAX_SEED = links.MAX_SEED
PREFIX = "in:"  # widget keys are "in:" + the input's scenario path


def input_key(path: str) -> str:
    """The widget key of the input at scenario ``path``."""
    return PREFIX + path


def reset_inputs() -> None:
    """Forget every input widget and assumption edit, so the base scenario's values show again."""
    for key in [k for k in st.session_state if str(k).startswith(PREFIX)]:
        del st.session_state[key]
    st.session_state.pop("assumptions_editor", None)


def set_defaults(stems: list[str]) -> None:
    """Scenario, path count and seed of a new session, where a link did not set them."""
    st.session_state.setdefault("scenario", DEFAULT_SCENARIO if DEFAULT_SCENARIO in stems else stems[0])
    st.session_state.setdefault("paths", DEFAULT_PATHS)
    st.session_state.setdefault("seed", DEFAULT_SEED)


def read_link(stems: Collection[str]) -> None:
    """Seed widget state from a shared link once per session; what it leaves out is shown by
    ``apply_link``."""
    if st.session_state.get("query_loaded"):
        return
    st.session_state["query_loaded"] = True
    link, problems = links.read({key: st.query_params.get_all(key) for key in st.query_params}, stems,
                                PATH_CHOICES)
    st.session_state["link_problems"] = problems
    if link.scenario is not None:
        st.session_state["scenario"] = link.scenario
    if link.paths is not None:
        st.session_state["paths"] = link.paths
    if link.seed is not None:
        st.session_state["seed"] = link.seed
    st.session_state["pending_changes"] = link.inputs


def apply_link(base: Scenario) -> None:
    """Put the link's input values into the input widgets, once the scenario (and so its inputs) is
    known; each parameter left out shows one line, escaped (names and values come from anyone)."""
    values, ignored = links.widget_values(st.session_state.pop("pending_changes", {}), by_path(base), base)
    for message in [*st.session_state.pop("link_problems", []), *ignored]:
        st.warning(escape_markdown(message))
    for path, value in values.items():
        st.session_state[input_key(path)] = value


def write_link(stem: str | None, changes: dict[str, float], paths: int, seed: int) -> None:
    """Keep the address bar equal to the page's state, so it can be shared."""
    embed = st.query_params.get("embed")
    wanted = links.encode(stem, changes, paths, seed, embed)
    if dict(st.query_params) != wanted:
        st.query_params.from_dict(wanted)
