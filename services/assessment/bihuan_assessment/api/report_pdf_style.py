"""Fonts, styles and table helpers of the PDF report. Chinese text uses Adobe's built-in STSong-Light CID font, so no
font file has to ship with the service."""
import re
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, Table, TableStyle

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))
TITLE = ParagraphStyle("title", fontName=FONT, fontSize=16, leading=22)
HEADING = ParagraphStyle("heading", fontName=FONT, fontSize=12, leading=18)
# wordWrap CJK breaks anywhere: rule keys and event ids have no spaces to break at.
CELL = ParagraphStyle("cell", fontName=FONT, fontSize=8, leading=10, wordWrap="CJK")
SMALL = ParagraphStyle("small", fontName=FONT, fontSize=6.5, leading=8, wordWrap="CJK", textColor=colors.dimgrey)
# Event ids and rule keys are ASCII: breaking them at spaces and dots is much cheaper than CJK breaking.
ASCII = ParagraphStyle("ascii", fontName=FONT, fontSize=6.5, leading=8, textColor=colors.dimgrey)
MARGIN = 36
WIDTH = A4[0] - 2 * MARGIN
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def para(text, style: ParagraphStyle = CELL) -> Paragraph:
    """User text (unit names, bases of entries) as a paragraph: markup characters escaped, control characters gone."""
    return Paragraph(escape(_CONTROL.sub("", str(text))).replace("\n", "<br/>"), style)


def grid(data: list[list], widths: list[float] | None = None) -> Table:
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT), ("FONTSIZE", (0, 0), (-1, -1), 8),
                               ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey)]))
    return table
