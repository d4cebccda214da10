"""PDF report of an assessment's results for the committee's meeting and the notice: one ranking table per group, then
one section per unit with every point of its scorecard (report_pdf_unit.py), so the committee can defend each one."""
import io
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table

from bihuan_assessment.api.report_pdf_style import HEADING, MARGIN, TITLE, WIDTH, grid, para
from bihuan_assessment.api.report_pdf_unit import notes_of, unit_section


def render_pdf(title: str, groups: dict[str, str], cards: list[dict]) -> bytes:
    """groups: group key -> name; cards: scorecards (as stored) in group and rank order."""
    buffer = io.BytesIO()
    story = [Paragraph(escape(title), TITLE), Spacer(1, 8)]
    by_group: dict[str, list[dict]] = {}
    for card in cards:
        by_group.setdefault(card["group"], []).append(card)
    for key, members in by_group.items():
        story += [para(f"考核组: {_group_label(key, groups)}", HEADING), Spacer(1, 4), _ranking(members),
                  Spacer(1, 12)]
    story += [PageBreak(), Paragraph("各单位计分明细", TITLE), Spacer(1, 8)]
    for card in cards:
        story += unit_section(card, _group_label(card["group"], groups))
    SimpleDocTemplate(buffer, pagesize=A4, title=title, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                      bottomMargin=MARGIN).build(story)
    return buffer.getvalue()


def _group_label(key: str, groups: dict[str, str]) -> str:
    name = groups.get(key)
    return f"{name}（{key}）" if name and name != key else key


def _ranking(cards: list[dict]) -> Table:
    data = [["排名", "单位代码", "单位名称", "总分", "等次", "备注"]]
    for c in cards:
        data.append([c["rank"], para(c["unit"]), para(c["name"]), f"{c['total']:.2f}", para(c["grade"]),
                     para(notes_of(c))])
    return grid(data, [30, 70, 170, 50, 60, WIDTH - 380])
