"""Period reports for a scope, unit, leader or category as of any date: JSON and an Excel export."""
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel

from bihuan_execution.api.access import OVERSIGHT, Reader, today_of
from bihuan_execution.reports.excel import workbook
from bihuan_execution.reports.period import PeriodFilter, PeriodReport, build
from bihuan_shared.audit import record_read
from bihuan_shared.auth import Principal
from bihuan_shared.web.deps import SessionDep
from bihuan_shared.web.errors import Forbidden, Invalid
from bihuan_shared.web.files import attachment

router = APIRouter(tags=["reports"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class LaggingItem(BaseModel):
    target_id: str
    target_code: str
    target_title: str
    lead_unit: str
    leader: str | None
    milestone_id: str
    milestone_seq: int
    due_date: date
    days_late: int
    expected_value: float | None
    latest_value: float | None
    reason_kind: str | None
    reason_category: str | None
    explanation: str | None
    recovery_plan: str | None
    new_expected_date: date | None


class PeriodReportOut(BaseModel):
    scope: str
    as_of: date
    unit: str | None
    leader: str | None
    category: str | None
    headline: str
    key_tasks: int
    sub_items: int
    milestones_due: int
    met: int
    met_early: int
    met_on_time: int
    met_late: int
    met_percent: float
    lagging: int
    lagging_objective: int
    lagging_subjective: int
    lagging_unexplained: int
    not_yet_due: int
    lagging_items: list[LaggingItem]


async def period_filter(request: Request, principal: Reader, scope: str | None = None, as_of: date | None = None,
                        unit: str | None = None, leader: str | None = None, category: str | None = None,
                        year: int | None = None) -> PeriodFilter:
    scope = scope or principal.scope
    principal.require_read_scope(scope)
    if not principal.has(*OVERSIGHT):  # a unit reports on its own targets only
        if unit not in (None, principal.unit):
            raise Forbidden("只能查看本单位的报告", code="unit_forbidden")
        unit = principal.unit
    return PeriodFilter(scope, as_of or today_of(request), unit, leader, category, year)


Filter = Annotated[PeriodFilter, Depends(period_filter)]


@router.get("/reports/period")
async def period_report(f: Filter, session: SessionDep) -> PeriodReportOut:
    """Key tasks, sub-items, milestones met and lagging (with reasons) as of a date."""
    report = await build(session, f)
    return _out(report)


@router.get("/reports/period.xlsx", response_class=Response)
async def period_report_xlsx(f: Filter, principal: Reader, session: SessionDep) -> Response:
    """The same report as an Excel workbook (汇总 + 滞后清单)."""
    report = await build(session, f)
    await record_read(session, principal, "report.exported", "period_report", f"{f.scope}/{f.as_of.isoformat()}",
                      note=f"unit={f.unit or ''} leader={f.leader or ''} category={f.category or ''}")
    body = workbook(report, [i.model_dump(mode="json") for i in _lagging(report)])
    return Response(body, media_type=XLSX, headers=attachment(f"执行情况报告_{f.scope}_{f.as_of.isoformat()}.xlsx"))


def _out(report: PeriodReport) -> PeriodReportOut:
    c, f = report.counts, report.filter
    numbers = {k: getattr(c, k) for k in PeriodReportOut.model_fields
               if hasattr(c, k) and k not in ("lagging_items", "headline")}
    return PeriodReportOut(scope=f.scope, as_of=f.as_of, unit=f.unit, leader=f.leader, category=f.category,
                           headline=c.headline(), lagging_items=_lagging(report), **numbers)


def _lagging(report: PeriodReport) -> list[LaggingItem]:
    items = []
    for fact, lag in report.counts.lagging_items:
        t, m = report.targets[fact.target_id], report.milestones[fact.milestone_id]
        items.append(LaggingItem(
            target_id=t.id, target_code=t.code, target_title=t.title, lead_unit=t.lead_unit, leader=t.leader,
            milestone_id=m.id, milestone_seq=m.seq, due_date=m.due_date,
            days_late=(report.filter.as_of - m.due_date).days, expected_value=m.expected_value,
            latest_value=m.latest_value, reason_kind=lag.reason_kind if lag else None,
            reason_category=lag.reason_category if lag else None, explanation=lag.explanation if lag else None,
            recovery_plan=lag.recovery_plan if lag else None, new_expected_date=lag.new_expected_date if lag else None))
    return items
