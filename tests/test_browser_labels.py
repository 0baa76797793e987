"""Chart labels measured where they are drawn: plotly.js in Debian's Chromium lays out each text
label, and the browser's own bounding boxes are compared (skipped where Chromium is missing).

The placement rule (``tco.figures.labels``) works on estimated boxes in plot shares; this checks
its promise against real text metrics, so a wrong width estimate or offset fails here even where
the rule's own geometry says the boxes are apart.
"""

from __future__ import annotations

import pytest

import tco
from tco import figures
from tco.figures import data
from tco.figures.spec import FigureSpec
from tests.conftest import ROOT
from tests.test_browser import (  # noqa: F401 - fixtures pytest finds by name, and the same marks
    browser_context_args,
    browser_type_launch_args,
    pytestmark,
)
from tests.test_figures import CLOSE_DECIDE_POINTS, close_decide_spec

STORIES = sorted(p.stem for p in (ROOT / "scenarios").glob("*.yaml") if not p.stem.startswith("portfolio"))
BOXES_JS = """() => Array.from(document.querySelectorAll('g.annotation')).map(g => {
    const r = g.querySelector('.bg').getBoundingClientRect();
    return {text: g.textContent, left: r.left, top: r.top, right: r.right, bottom: r.bottom};
})"""


def _drawn_boxes(page, spec: FigureSpec) -> list[dict]:
    """Each annotation's white box as Chromium drew it, at the page's chart size (1280x720)."""
    fig = figures.to_figure(spec)
    fig.update_layout(width=820, height=380)
    page.set_content(fig.to_html(include_plotlyjs=True, full_html=True))
    page.wait_for_selector("g.annotation", timeout=30_000)
    return page.evaluate(BOXES_JS)


def _meet(a: dict, b: dict) -> bool:
    return (a["left"] < b["right"] and b["left"] < a["right"]
            and a["top"] < b["bottom"] and b["top"] < a["bottom"])


def _collisions(boxes: list[dict]) -> list[tuple[str, str]]:
    return [(a["text"], b["text"]) for i, a in enumerate(boxes) for b in boxes[i + 1:] if _meet(a, b)]


def test_close_decide_points_have_labels_apart_in_the_browser(page) -> None:
    """The flagship's Decide points that once overprinted (hosted-then-own at 10.1M, 3.26M and
    self-host at 11.1M, 3.68M): drawn by plotly.js, their five label boxes meet nowhere. The same
    five points with every label forced up-left do meet (the check can fail)."""
    points = CLOSE_DECIDE_POINTS
    spec = close_decide_spec()
    boxes = _drawn_boxes(page, spec)
    assert sorted(b["text"] for b in boxes) == sorted(points)
    assert _collisions(boxes) == []
    # The control: the same figure with self-host's label moved up-left, as before the rule.
    fig = figures.to_figure(spec)
    for annotation in fig.layout.annotations:
        annotation.update(ax=-30, ay=-34, xanchor="right")
    fig.update_layout(width=820, height=380)
    page.set_content(fig.to_html(include_plotlyjs=True, full_html=True))
    page.wait_for_selector("g.annotation", timeout=30_000)
    assert ("hosted-then-own", "self-host") in _collisions(page.evaluate(BOXES_JS))


@pytest.mark.parametrize("stem", STORIES)
def test_break_even_labels_never_meet_on_a_shipped_story(page, stem: str) -> None:
    """Every shipped story's break-even chart as the page draws it: no two label boxes meet."""
    sc = tco.load_scenario(str(ROOT / "scenarios" / f"{stem}.yaml"))
    spec = data.break_even(sc, tco.evaluate(sc))
    if "text" not in spec.frame or not spec.frame["text"].fillna("").astype(bool).any():
        pytest.skip(f"{stem}: no labelled point on its break-even chart")
    boxes = _drawn_boxes(page, spec)
    assert _collisions(boxes) == []
