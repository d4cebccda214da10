"""The period report as an Excel workbook: a summary sheet and the list of lagging items with their reasons."""
from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Font

from bihuan_execution.reports.period import PeriodReport
from bihuan_shared.web.files import append_row

REASON_WORDS = {"policy_change": "政策调整", "external_approval": "外部审批", "funding": "资金", "weather": "天气",
                "other": "其他客观原因", "subjective": "主观原因"}
LAG_COLUMNS = ["目标编号", "目标名称", "牵头单位", "分管领导", "节点序号", "节点截止日期", "滞后天数", "计划值", "最新实际值",
               "原因类型", "原因类别", "原因说明", "整改措施", "预计完成日期"]


def workbook(report: PeriodReport, rows: list[dict]) -> bytes:
    c, f = report.counts, report.filter
    wb = Workbook()
    summary = wb.active
    summary.title = "汇总"
    summary.append([c.headline()])
    summary["A1"].font = Font(bold=True, size=13)
    summary.append([])
    for label, value in (("辖区", f.scope), ("统计截至", f.as_of.isoformat()), ("单位", f.unit or "全部"),
                         ("分管领导", f.leader or "全部"), ("目标类别", f.category or "全部"),
                         ("重点工作（项）", c.key_tasks), ("子项目（个）", c.sub_items),
                         ("到期节点（个）", c.milestones_due), ("已完成（个）", c.met), ("其中提前完成", c.met_early),
                         ("其中按期完成", c.met_on_time), ("其中逾期完成", c.met_late), ("完成率（%）", c.met_percent),
                         ("滞后（个）", c.lagging), ("其中客观原因", c.lagging_objective),
                         ("其中主观原因", c.lagging_subjective), ("其中未说明原因", c.lagging_unexplained),
                         ("未到期节点（个）", c.not_yet_due)):
        append_row(summary, [label, value])
    summary.column_dimensions["A"].width = 20
    lagging = wb.create_sheet("滞后清单")
    lagging.append(LAG_COLUMNS)
    for cell in lagging[1]:
        cell.font = Font(bold=True)
    for r in rows:
        append_row(lagging, [r["target_code"], r["target_title"], r["lead_unit"], r["leader"], r["milestone_seq"],
                        r["due_date"], r["days_late"], r["expected_value"], r["latest_value"],
                        {"objective": "客观", "subjective": "主观"}.get(r["reason_kind"], "未说明"),
                        REASON_WORDS.get(r["reason_category"] or "", ""), r["explanation"] or "",
                        r["recovery_plan"] or "", r["new_expected_date"] or ""])
    for column, width in zip("ABCDEFGHIJKLMN", (12, 36, 12, 10, 8, 12, 8, 8, 10, 8, 12, 40, 40, 12)):
        lagging.column_dimensions[column].width = width
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
