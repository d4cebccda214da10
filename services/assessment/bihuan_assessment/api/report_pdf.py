"""PDF report of an assessment's results: one ranking table per group, for the committee's meeting and the notice.
Chinese text uses Adobe's built-in STSong-Light CID font, so no font file has to ship with the service."""
import io

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))
TITLE = ParagraphStyle("title", fontName=FONT, fontSize=16, leading=22)
HEADING = ParagraphStyle("heading", fontName=FONT, fontSize=12, leading=18)


def render_pdf(title: str, groups: dict[str, list[dict]]) -> bytes:
    """groups: group key -> summary rows (rank, unit, name, total, grade, vetoed, bottom, passed), in rank order."""
    buffer = io.BytesIO()
    story = [Paragraph(title, TITLE), Spacer(1, 8)]
    for group, rows in groups.items():
        story += [Paragraph(f"考核组: {group}", HEADING), Spacer(1, 4), _table(rows), Spacer(1, 12)]
    SimpleDocTemplate(buffer, pagesize=A4, title=title).build(story)
    return buffer.getvalue()


def _table(rows: list[dict]) -> Table:
    data = [["排名", "单位代码", "单位名称", "总分", "等次", "备注"]]
    for r in rows:
        notes = [n for n, on in (("一票否决", r["vetoed"]), ("末位", r["bottom"]), ("未达标", r["passed"] is False)) if on]
        data.append([r["rank"], r["unit"], r["name"], f"{r['total']:.2f}", r["grade"], "、".join(notes)])
    table = Table(data, repeatRows=1)
    table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT), ("FONTSIZE", (0, 0), (-1, -1), 9),
                               ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey)]))
    return table
