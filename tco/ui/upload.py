"""Scenario files uploaded in the sidebar: size and validity checks, and the last good one kept."""

from __future__ import annotations

import streamlit as st

from tco.errors import ScenarioError
from tco.fields import MAX_SCENARIO_BYTES
from tco.load import loads
from tco.ui.safe import escape_markdown
from tco.ui.state import reset_inputs

UPLOAD_KEY = "uploaded"  # session state: (file name, YAML text) of the last valid upload


def scenario_text(data: bytes) -> str:
    """The YAML text of an uploaded file.

    Raises
    ------
    ScenarioError
        If the file is too large or not a valid scenario.
    """
    if len(data) > MAX_SCENARIO_BYTES:
        raise ScenarioError("scenario", f"file is larger than {MAX_SCENARIO_BYTES // 1000} kB")
    loads(data)  # validate before replacing the previous scenario
    return data.decode("utf-8-sig")


def load_upload() -> tuple[str, str] | None:
    """The last valid uploaded scenario (name, YAML); a bad file shows one line and keeps it."""
    upload = st.sidebar.file_uploader("Or upload a scenario (.yaml, at most 1 MB)",
                                      type=["yaml", "yml"], key="upload")
    if upload is not None:
        data = upload.getvalue()
        marker = (upload.name, len(data), hash(data))
        # Each rerun sees the same file again; check and apply it only when it is new.
        if st.session_state.get("upload_marker") != marker:
            st.session_state["upload_marker"] = marker
            try:
                st.session_state[UPLOAD_KEY] = (upload.name, scenario_text(data))
                reset_inputs()
            except ScenarioError as exc:
                st.session_state["upload_error"] = f"{upload.name}: {exc}"
            else:
                st.session_state.pop("upload_error", None)
    if st.session_state.get("upload_error"):
        # The file's name and the error (which may quote the file) are the uploader's text.
        st.sidebar.error(escape_markdown(st.session_state["upload_error"], limit=400))
    return st.session_state.get(UPLOAD_KEY)
