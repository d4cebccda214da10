"""Reports of an assessment's results: Excel (ranking per group and every scorecard line with its basis) and PDF."""
import io

from fastapi import APIRouter
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from openpyxl import Workbook
from sqlalchemy import select

from bihuan_assessment.api.assessments import results_run
from bihuan_assessment.api.deps import AssessorOrOffice, get_assessment
from bihuan_assessment.api.report_pdf import render_pdf
from bihuan_assessment.store.models import AssessmentRun, Scorecard
from bihuan_shared.audit import record_read
from bihuan_shared.web.deps import SessionDep
from bihuan_shared.web.files import append_row, attachment

router = APIRouter(prefix="/assessments", tags=["reports"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/{assessment_id}/report.xlsx")
async def excel_report(assessment_id: int, principal: AssessorOrOffice, session: SessionDep) -> Response:
    """Results as an Excel workbook: 排名 (ranking) and 明细 (every point with rule and sources)."""
    a = await get_assessment(session, assessment_id, principal)
    run_no = await results_run(session, a)
    cards = (await session.scalars(select(Scorecard).where(Scorecard.assessment_id == a.id, Scorecard.run_no == run_no)
                                   .order_by(Scorecard.group_key, Scorecard.rank, Scorecard.unit))).all()
    book = Workbook()
    ranking = book.active
    ranking.title = "排名"
    ranking.append(["考核组", "排名", "单位代码", "单位名称", "总分", "等次", "一票否决", "末位", "达标"])
    for c in cards:
        append_row(ranking, [c.group_key, c.rank, c.unit, c.card["name"], c.total, c.grade, "是" if c.vetoed else "",
                        "是" if c.bottom else "", {True: "达标", False: "未达标"}.get(c.passed, "")])
    detail = book.create_sheet("明细")
    detail.append(["单位代码", "组成部分", "规则", "得分", "说明", "来源"])
    for c in cards:
        for line in c.card["lines"]:
            append_row(detail, [c.unit, line["component"], line["rule"], line["points"], line["text"],
                           ", ".join(line["sources"])])
    buffer = io.BytesIO()
    book.save(buffer)
    name = f"assessment-{a.scope}-{a.year}-run{run_no}.xlsx"
    await record_read(session, principal, "report.exported", "assessment", f"{a.id}/{run_no}", note=name)
    return Response(buffer.getvalue(), media_type=XLSX, headers=attachment(name))


@router.get("/{assessment_id}/report.pdf")
async def pdf_report(assessment_id: int, principal: AssessorOrOffice, session: SessionDep) -> Response:
    """Results as a PDF: one ranking table per group, then every unit's scorecard line by line with its basis."""
    a = await get_assessment(session, assessment_id, principal)
    run_no = await results_run(session, a)
    cards = (await session.scalars(select(Scorecard).where(Scorecard.assessment_id == a.id, Scorecard.run_no == run_no)
                                   .order_by(Scorecard.group_key, Scorecard.rank, Scorecard.unit))).all()
    rules = await session.scalar(select(AssessmentRun.rules).where(AssessmentRun.assessment_id == a.id,
                                                                   AssessmentRun.run_no == run_no))
    groups = {g["key"]: g.get("name", g["key"]) for g in (rules or {}).get("groups", [])}
    state = "已发布" if a.status == "published" else f"第{run_no}次计算，未发布"
    # Sixty units' detail is a few seconds of CPU: off the event loop, so other requests are not held up.
    pdf = await run_in_threadpool(render_pdf, f"{a.scope} {a.year}年度考核结果（{state}）", groups,
                                  [c.card for c in cards])
    name = f"assessment-{a.scope}-{a.year}-run{run_no}.pdf"
    await record_read(session, principal, "report.exported", "assessment", f"{a.id}/{run_no}", note=name)
    return Response(pdf, media_type="application/pdf", headers=attachment(name))
