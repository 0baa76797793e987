"""The sidebar's portfolio choice and upload, drawn on every run of the page.

The portfolio page itself (``tco.ui.portfolio_page``, with python-pptx, openpyxl and the optimiser
behind its downloads) is imported only when a portfolio is open: the single-scenario page never
needs it.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

import streamlit as st

from tco.errors import ScenarioError
from tco.fields import MAX_SCENARIO_BYTES
from tco.load import PORTFOLIO_PREFIX
from tco.simulate import DEFAULT_PATHS, DEFAULT_SEED
from tco.ui.safe import escape_markdown
from tco.ui.state import PATH_CHOICES
from tco.yamlio import parse_document

NONE = ""
PORTFOLIO_KEY = "portfolio"
PATHS_KEY = "portfolio_paths"
UPLOAD_KEY = "portfolio_upload"
"""Session state: (file name, YAML text) of the last valid portfolio upload."""


@st.cache_data(show_spinner=False)
def shipped_portfolios(folder: Path) -> dict[str, tuple[str, str]]:
    """Shipped portfolio files by stem: (name, YAML text), the name the file's own (the stem is a
    file name). Read once per server, as the shipped scenarios are (``tco.ui.cache.shipped``):
    reading and parsing them on every run was 9 ms of a slider step."""
    out = {}
    for path in sorted(folder.glob(f"{PORTFOLIO_PREFIX}*.yaml")):
        text = path.read_text(encoding="utf-8")
        out[path.stem] = (str(parse_document(text)[0].get("name") or path.stem), text)
    return out


def _upload() -> tuple[str, str] | None:
    """The last valid uploaded portfolio; a bad one shows one line and the previous is kept."""
    upload = st.sidebar.file_uploader("Or upload a portfolio (.yaml)", type=["yaml", "yml"],
                                      key="portfolio_file")
    if upload is not None:
        from tco.portfolio import loads_portfolio  # noqa: PLC0415 - only an upload is read here

        data = upload.getvalue()
        try:
            if len(data) > MAX_SCENARIO_BYTES:
                raise ScenarioError("portfolio", f"file is larger than {MAX_SCENARIO_BYTES // 1000} kB")
            loads_portfolio(data)
            st.session_state[UPLOAD_KEY] = (upload.name, data.decode("utf-8-sig"))
        except ScenarioError as exc:
            st.sidebar.error(escape_markdown(f"{upload.name}: {exc}"))
    return st.session_state.get(UPLOAD_KEY)


def portfolio_sidebar(folder: Path) -> bool:
    """The sidebar's portfolio choice; True when a portfolio is open (the page drew it)."""
    files = shipped_portfolios(folder)
    stem = st.sidebar.selectbox("Portfolio", [NONE, *files], key=PORTFOLIO_KEY,
                                format_func=lambda s: files[s][0] if s else "(none: a single scenario)")
    uploaded = _upload()
    if stem == NONE and uploaded is None:
        return False
    text = uploaded[1] if stem == NONE and uploaded is not None else files[stem][1]
    # Its own paths control: the scenario view's widget is not drawn here, so Streamlit drops
    # its value; the default is the command line's.
    paths = st.sidebar.select_slider("Paths", PATH_CHOICES, value=DEFAULT_PATHS, key=PATHS_KEY,
                                     format_func=lambda v: f"{v:,}",
                                     help="Simulated futures for the portfolio and its optimiser")
    page = import_module("tco.ui.portfolio_page")
    page.portfolio_page(text, int(paths), int(st.session_state.get("seed", DEFAULT_SEED)))
    return True
