"""Slide layout for the deck: a 16:9 page, titles, text boxes, bullets and tables sized to their text.

Every box is as tall as its text needs at the deck's type sizes, estimated from an average glyph
width that errs wide (the widths of DejaVu Sans, which LibreOffice draws in place of Calibri, are
wider than PowerPoint's), so a box sized here holds its text in either program. ``tco.deck`` says
what goes on the slides; this module only says where and how big.
"""

from __future__ import annotations

import math

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.util import Emu, Inches, Pt

SLIDE_W, SLIDE_H = Emu(12_192_000), Emu(6_858_000)  # 13.333 x 7.5 in, PowerPoint's 16:9
SLIDE_H_IN = 7.5
MARGIN = Inches(0.6)
MARGIN_IN = 0.6
CONTENT_W = SLIDE_W - 2 * MARGIN
CONTENT_W_IN = 13.333 - 2 * MARGIN_IN
BOTTOM_IN = 7.2
"""Nothing is placed below this line (0.3 in above the slide's edge)."""
BODY_TOP_IN = 1.3
TITLE_COLOUR = RGBColor(0x1F, 0x2A, 0x44)
MUTED = RGBColor(0x59, 0x59, 0x59)
TITLE_PT = 26
EM_REGULAR, EM_BOLD = 0.60, 0.66
"""Average glyph width as a share of the type size: DejaVu Sans averages about 0.55 on prose and
0.64 on digits, so 0.60 (0.66 bold) errs on the wide side."""
LINE_SPACING = 1.2
"""Line height as a multiple of the type size."""
BOX_INSET_IN = 0.1
"""python-pptx text boxes inset their text 0.1 in left and right, 0.05 in top and bottom."""
CELL_MARGIN_IN, CELL_PAD_IN = 0.05, 0.03


def wrapped_lines(text: str, width_in: float, size_pt: float, bold: bool = False) -> int:
    """Lines ``text`` takes when wrapped at word boundaries into ``width_in`` at ``size_pt``."""
    per_line = max(1, int(width_in * 72 / (size_pt * (EM_BOLD if bold else EM_REGULAR))))
    total = 0
    for paragraph in str(text).split("\n"):
        lines, used = 1, 0
        for word in paragraph.split(" "):
            need = len(word) + (1 if used else 0)
            if used and used + need > per_line:
                lines, used = lines + 1, len(word)
            else:
                used += need
            if used > per_line:  # a word longer than the line breaks inside it
                extra = math.ceil(used / per_line) - 1
                lines, used = lines + extra, used - extra * per_line
        total += lines
    return total


def text_height_in(text: str, width_in: float, size_pt: float, bold: bool = False) -> float:
    """Height of ``text`` in inches, wrapped into ``width_in``."""
    return wrapped_lines(text, width_in, size_pt, bold) * size_pt * LINE_SPACING / 72


def font(paragraphs, size: float, bold: bool = False, colour: RGBColor | None = None) -> None:
    """Set type on the runs themselves: PowerPoint does not always apply a paragraph's defaults."""
    for para in paragraphs:
        for run in para.runs:
            run.font.size, run.font.bold = Pt(size), bold
            if colour is not None:
                run.font.color.rgb = colour


def new_deck() -> Presentation:
    prs = Presentation()
    prs.slide_width, prs.slide_height = SLIDE_W, SLIDE_H
    return prs


def slide(prs: Presentation, title: str, size: float = TITLE_PT):
    """A title-only slide with the title moved to the 16:9 width (the template is 4:3)."""
    page = prs.slides.add_slide(prs.slide_layouts[5])
    shape = page.shapes.title
    shape.left, shape.top, shape.width, shape.height = MARGIN, Inches(0.25), CONTENT_W, Inches(0.95)
    shape.text = title
    shape.text_frame.word_wrap = True
    font(shape.text_frame.paragraphs, size, bold=True, colour=TITLE_COLOUR)
    return page


def text(page, body: str, top_in: float, size: float = 18, colour: RGBColor | None = None,
         left_in: float = MARGIN_IN, width_in: float = CONTENT_W_IN, bold: bool = False) -> float:
    """A text box as tall as ``body`` needs; returns its bottom in inches."""
    height_in = (sum(text_height_in(line, width_in - 2 * BOX_INSET_IN, size, bold)
                     for line in body.split("\n")) + 0.1)
    box = page.shapes.add_textbox(Inches(left_in), Inches(top_in), Inches(width_in), Inches(height_in))
    frame = box.text_frame
    frame.word_wrap = True
    for i, line in enumerate(body.split("\n")):
        para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        para.text = line
    font(frame.paragraphs, size, bold=bold, colour=colour)
    return top_in + height_in


BACKUP = "Backup"
"""The divider's title, and the prefix of every slide after it."""


def backup_title(title: str) -> str:
    """A backup slide's title: 'Backup: ' and the slide's own title, whose colons become dashes
    ('Backup: Cumulative cost – median, P5 and P95'), so the title has one colon, after 'Backup'."""
    return f"{BACKUP}: {title.replace(': ', ' – ')}"


def backup_divider(prs: Presentation, holds: str) -> None:
    """The slide that ends a deck's main part: 'Backup' and a sentence on what follows."""
    page = prs.slides.add_slide(prs.slide_layouts[6])
    text(page, BACKUP, 2.8, 44, TITLE_COLOUR, bold=True)
    text(page, holds, 3.9, 18, MUTED)


BULLET = "\u2022  "
LEAD_PT, POINT_PT, POINT_GAP_PT = 20, 16, 10


def bullets(page, lead: str, points: list[str], top_in: float, lead_pt: float = LEAD_PT,
            point_pt: float = POINT_PT, width_in: float = CONTENT_W_IN,
            left_in: float = MARGIN_IN) -> float:
    """A lead sentence in bold, then one paragraph per point; returns the box's bottom in inches."""
    inner = width_in - 2 * BOX_INSET_IN
    height_in = (text_height_in(lead, inner, lead_pt, bold=True) if lead else 0.0) + 0.1 + sum(
        text_height_in(BULLET + p, inner, point_pt) + POINT_GAP_PT / 72 for p in points)
    box = page.shapes.add_textbox(Inches(left_in), Inches(top_in), Inches(width_in), Inches(height_in))
    frame = box.text_frame
    frame.word_wrap = True
    frame.paragraphs[0].text = lead
    font(frame.paragraphs[:1], lead_pt, bold=True, colour=TITLE_COLOUR)
    for point in points:
        para = frame.add_paragraph()
        para.text = BULLET + point
        para.space_before = Pt(POINT_GAP_PT)
        font([para], point_pt)
    return top_in + height_in


def row_heights_in(rows: list[list[str]], widths_in: list[float], size: float) -> list[float]:
    """Each row as tall as its tallest wrapped cell (the header in bold)."""
    return [max(text_height_in(cell, w - 2 * CELL_MARGIN_IN, size, bold=i == 0)
                for cell, w in zip(row, widths_in, strict=True)) + 2 * CELL_PAD_IN + 0.04
            for i, row in enumerate(rows)]


def fit_widths(weights: tuple[float, ...], width_in: float = CONTENT_W_IN) -> list[float]:
    total = sum(weights)
    return [width_in * w / total for w in weights]


def table(page, rows: list[list[str]], top_in: float, weights: tuple[float, ...], size: float,
          left_in: float = MARGIN_IN, width_in: float = CONTENT_W_IN, bold_last: bool = False):
    """A table whose rows are as tall as their text; returns (table, bottom in inches)."""
    widths_in = fit_widths(weights, width_in)
    heights_in = row_heights_in(rows, widths_in, size)
    shape = page.shapes.add_table(len(rows), len(rows[0]), Inches(left_in), Inches(top_in),
                                  Inches(width_in), Inches(sum(heights_in)))
    grid = shape.table
    for j, w in enumerate(widths_in):
        grid.columns[j].width = Inches(w)
    for i, row in enumerate(rows):
        grid.rows[i].height = Inches(heights_in[i])
        for j, value in enumerate(row):
            cell = grid.cell(i, j)
            cell.margin_left = cell.margin_right = Inches(CELL_MARGIN_IN)
            cell.margin_top = cell.margin_bottom = Inches(CELL_PAD_IN)
            cell.text = value or " "  # an empty cell would take the template's 18 pt and grow its row
            font(cell.text_frame.paragraphs, size, bold=i == 0 or (bold_last and i == len(rows) - 1))
    return grid, top_in + sum(heights_in)


def rows_per_page(rows: list[list[str]], weights: tuple[float, ...], size: float,
                  top_in: float) -> list[list[list[str]]]:
    """Split a table's body (``rows[0]`` is the header) into pages that each fit above the bottom."""
    widths_in = fit_widths(weights)
    heights = row_heights_in(rows, widths_in, size)
    room = BOTTOM_IN - top_in - heights[0]
    pages: list[list[list[str]]] = [[]]
    used = 0.0
    for row, h in zip(rows[1:], heights[1:], strict=True):
        if pages[-1] and used + h > room:
            pages.append([])
            used = 0.0
        pages[-1].append(row)
        used += h
    return pages
