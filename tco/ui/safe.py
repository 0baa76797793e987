"""Text a visitor controls, made safe to echo on the page. Pure (no streamlit).

Streamlit renders alerts, captions, titles and widget labels as GitHub-flavoured Markdown with its
own extras (``:red[...]`` colours, ``$...$`` formulas). Link parameters, link values, uploaded file
names, a scenario file's own text and error messages quoting any of them go through
``escape_markdown`` before they reach one of those elements, so they show as typed and never become a
link, an image, HTML, a heading, a list or a formula.
"""

from __future__ import annotations

import re
import unicodedata

MAX_CHARS = 200
"""Longer text is cut (with an ellipsis): a 5,000-character link value is not worth echoing."""

# Backslash-escaped wherever they appear: links and images ([ ] !), code (`), emphasis and
# strikethrough (* ~), raw HTML and autolinks (< >), entities (&), tables (|), headings (#),
# formulas ($) and the escape character itself.
_ALWAYS = frozenset("\\`*[]!<>&|~#$")
# Some constructs are found in the text after escapes are resolved, so escaping cannot stop them:
# bare web and e-mail addresses (GFM autolinks) and Streamlit's ':red[...]' colours, ':smile:'
# emoji and ':material/...:' icons. A word joiner (U+2060, invisible) inside each breaks it.
_WORD_JOINER = "\u2060"
_BREAK = re.compile(r"(?<=:)(?=//|[A-Za-z])|(?i:(?<=www))(?=\.)|(?<=@)")
_BLOCK_START = re.compile(r"^(\s*)([-+=]|\d+(?=[.)]))")


def escape_markdown(text: object, limit: int = MAX_CHARS) -> str:
    """``text`` as Markdown that displays exactly that text, on one line, at most ``limit`` characters.

    Control, format and line-break characters become spaces (no new block, no hidden
    right-to-left override); ``_`` is escaped unless it sits inside a word, so ``horizon_months``
    and ``bad.yaml: ...`` read unchanged in the Markdown source too.
    """
    plain = "".join(" " if unicodedata.category(ch)[0] in "CZ" else ch for ch in str(text))
    if len(plain) > limit:
        plain = plain[:limit - 1] + "…"
    plain = _BREAK.sub(_WORD_JOINER, plain)
    out: list[str] = []
    for i, ch in enumerate(plain):
        if ch in _ALWAYS:
            out.append("\\" + ch)
        elif ch == "_" and not (0 < i < len(plain) - 1 and plain[i - 1].isalnum() and plain[i + 1].isalnum()):
            out.append("\\_")
        else:
            out.append(ch)
    # A leading '-', '+' or '=' would start a list or underline a heading, '1.' or '1)' a list.
    return _BLOCK_START.sub(lambda m: m.group(1) + (m.group(2) + "\\" if m.group(2)[0].isdigit()
                                                     else "\\" + m.group(2)), "".join(out), count=1)
