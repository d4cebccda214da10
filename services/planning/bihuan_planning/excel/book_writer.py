"""Writing a target book in the same layout it is imported from, so that an import of the export is the same book."""
import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from bihuan_planning.excel import book_layout as L
from bihuan_shared.web.files import append_row


def write_book(title: str, year: int, period: str, targets: list, unit_names: dict[str, str],
               leader_names: dict[str, str]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "目标书"
    header = L.columns(period)
    ws.append((title,))
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(header)
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for t in _tree_order(targets):
        append_row(ws, _row(t, year, period, unit_names, leader_names))
    for row in ws.iter_rows(min_row=3):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for letter, width in (("C", 30), ("D", 40), ("E", 40)):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "C3"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _tree_order(targets: list) -> list:
    """Parents before their sub-items, siblings in natural order of 序号."""
    children: dict[str | None, list] = {}
    ids = {t.id for t in targets}
    for t in targets:
        children.setdefault(t.parent_id if t.parent_id in ids else None, []).append(t)
    out = []

    def walk(parent):
        for t in sorted(children.get(parent, []), key=lambda x: L.code_key(x.code)):
            out.append(t)
            walk(t.id)

    walk(None)
    return out


def _row(t, year: int, period: str, unit_names: dict, leader_names: dict) -> tuple:
    ind = t.indicator
    names = lambda codes: "、".join(unit_names.get(c, c) for c in codes)  # noqa: E731
    quantitative = ind["kind"] == "quantitative"
    return (
        t.code, t.area or "", t.title, t.content, t.work_measures,
        *_milestone_cells(t.milestones, year, period, quantitative),
        unit_names.get(t.lead_unit, t.lead_unit), names(t.responsible_units), names(t.cooperating_units),
        leader_names.get(t.leader, t.leader) if t.leader else "", L.CATEGORY_LABELS[t.category], t.source or "",
        L.format_number(ind["target_value"]) if quantitative and ind.get("target_value") is not None else "",
        ind.get("unit_of_measure") or "", L.format_number(t.weight),
        L.format_number(ind["baseline"]) if ind.get("baseline") is not None else "",
        L.DIRECTION_LABELS[ind.get("direction", "up")], L.YES if ind.get("cumulative", True) else L.NO,
        (t.proposal or {}).get("reference") or "",
    )


def _milestone_cells(milestones, year: int, period: str, quantitative: bool) -> list:
    cells: list[list[str]] = [[] for _ in (L.MONTHS if period == "month" else L.QUARTERS)]
    for m in milestones:
        i = L.period_index(m.due_date, period)
        value = str(L.format_number(m.expected_value)) if quantitative else (m.deliverable or "")
        at_end = m.due_date == L.period_end(year, period, i)
        cells[i].append(value if at_end else f"{m.due_date.isoformat()}：{value}")
    # A single plain number stays a number, so the sheet sums and sorts as users expect.
    return [L.format_number(float(c[0])) if len(c) == 1 and quantitative and _plain(c[0]) else "\n".join(c)
            for c in cells]


def _plain(value: str) -> bool:
    return L.parse_number(value) is not None and "：" not in value
