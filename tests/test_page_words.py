"""Words the page prints where a scenario file has a key: the footer's sampling method."""
from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT

APP = str(ROOT / "app.py")


def test_the_footer_says_latin_hypercube_not_lhs() -> None:
    """api-price-shock samples with ``sampling: lhs``: the footer under every tab reads 'Latin
    hypercube sampling', never the file's key 'lhs sampling'."""
    at = AppTest.from_file(APP, default_timeout=300)
    at.query_params["scenario"] = "api-price-shock"
    at.query_params["paths"] = "500"
    at.run()
    assert not at.exception
    captions = [c.value for c in at.caption]
    assert any("seed 7, Latin hypercube sampling; NPV in USD" in c for c in captions), captions[-1:]
    assert not any("lhs" in c for c in captions)
