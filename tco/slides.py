"""Slide layout for the deck: a 16:9 page, titles, text boxes, bullets and tables sized to their text.

Every box is as tall as its text needs at the deck's type sizes, wrapped with the glyph widths of
DejaVu Sans taken 4% wide (LibreOffice draws DejaVu Sans in place of Calibri, and it is wider than
PowerPoint's Calibri), so a box sized here holds its text in either program. ``tco.deck`` says
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
GLYPH_WIDTHS = {
    False: (318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318, 337, 636, 636,
            636, 636, 636, 636, 636, 636, 636, 636, 337, 337, 838, 838, 838, 531, 1000, 684, 686, 698,
            770, 632, 575, 775, 752, 295, 295, 656, 557, 863, 748, 787, 603, 787, 695, 635, 611, 732,
            684, 989, 685, 611, 685, 390, 337, 390, 838, 500, 500, 613, 635, 550, 635, 615, 352, 635,
            634, 278, 278, 579, 278, 974, 634, 612, 635, 635, 411, 521, 392, 634, 592, 818, 592, 592,
            525, 636, 337, 636, 838),
    True: (348, 456, 521, 838, 696, 1002, 872, 306, 457, 457, 523, 838, 380, 415, 380, 365, 696, 696,
           696, 696, 696, 696, 696, 696, 696, 696, 400, 400, 838, 838, 838, 580, 1000, 774, 762, 734,
           830, 683, 683, 821, 837, 372, 372, 775, 637, 995, 837, 850, 733, 850, 770, 720, 682, 812,
           774, 1103, 771, 724, 725, 457, 365, 457, 838, 500, 500, 675, 716, 593, 716, 678, 435, 716,
           712, 343, 343, 665, 343, 1042, 712, 687, 716, 716, 493, 595, 478, 712, 652, 924, 645, 652,
           582, 712, 365, 712, 838),
}
"""Advance widths of the printable ASCII characters (space to tilde) in DejaVu Sans 2.37, regular
and bold, in thousandths of the type size: the font LibreOffice draws in place of Calibri, and
wider than Calibri, so a box sized by it holds its text in PowerPoint too. Any other character
counts as a full em (wider than most)."""
WIDTH_MARGIN = 1.04
"""Widths are taken 4% wide: renderers add kerning and hinting differences of a few per cent."""
LINE_SPACING = 1.2
"""Line height as a multiple of the type size."""
BOX_INSET_IN = 0.1
"""python-pptx text boxes inset their text 0.1 in left and right, 0.05 in top and bottom."""
CELL_MARGIN_IN, CELL_PAD_IN = 0.05, 0.03


def text_width_in(text: str, size_pt: float, bold: bool = False) -> float:
    """Width of ``text`` on one line, in inches, at ``size_pt`` (``GLYPH_WIDTHS``, taken wide)."""
    widths = GLYPH_WIDTHS[bold]
    ems = sum(widths[ord(c) - 32] if 32 <= ord(c) < 127 else 1000 for c in text) / 1000
    return ems * size_pt / 72 * WIDTH_MARGIN


def wrapped_lines(text: str, width_in: float, size_pt: float, bold: bool = False) -> int:
    """Lines ``text`` takes when wrapped at word boundaries into ``width_in`` at ``size_pt``."""
    space = text_width_in(" ", size_pt, bold)
    total = 0
    for paragraph in str(text).split("\n"):
        lines, used = 1, 0.0
        for word in paragraph.split(" "):
            width = text_width_in(word, size_pt, bold)
            need = width + (space if used else 0.0)
            if used and used + need > width_in:
                lines, used = lines + 1, width
            else:
                used += need
            if used > width_in:  # a word longer than the line breaks inside it
                extra = math.ceil(used / width_in) - 1
                lines, used = lines + extra, used - extra * width_in
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
