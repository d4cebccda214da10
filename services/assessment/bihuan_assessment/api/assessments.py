"""An assessment's runs and results: request a recomputation (jobs on the work queue), follow it, read rankings and
scorecards with every point explained, and try a changed scheme (what-if) without storing or publishing anything."""
from fastapi import APIRouter, status
from pydantic import BaseModel
from sqlalchemy import select

from bihuan_assessment.api.deps import Assessor, AssessorOrOffice, Reader, get_assessment
from bihuan_assessment.domain.rules import SchemeRules
from bihuan_assessment.domain.scoring import score_group
from bihuan_assessment.store.models import AssessmentRun, Scheme, Scorecard
from bihuan_assessment.store.runs import latest_done_run, request_run
from bihuan_assessment.store.snapshot import load_group
from bihuan_shared.audit import record_audit, record_read
from bihuan_shared.web.deps import SessionDep
from bihuan_shared.web.errors import Conflict, NotFound

router = APIRouter(prefix="/assessments", tags=["assessments"])

SUMMARY = ("unit", "group_key", "total", "rank", "grade", "passed", "vetoed", "bottom")


@router.get("/{assessment_id}")
async def read_assessment(assessment_id: int, principal: Reader, session: SessionDep) -> dict:
    """The assessment, its scheme and the run its results come from."""
    a = await get_assessment(session, assessment_id, principal)
    return {"id": a.id, "scope": a.scope, "year": a.year, "scheme_id": a.scheme_id, "as_of": a.as_of,
            "status": a.status, "last_run": a.last_run, "published_run": a.published_run,
            "results_run": a.published_run or await latest_done_run(session, a.id)}


@router.post("/{assessment_id}/runs", status_code=status.HTTP_202_ACCEPTED)
async def recompute(assessment_id: int, principal: AssessorOrOffice, session: SessionDep) -> dict:
    """Recompute every group under the open scheme: one job per group, shared by all assessment workers."""
    async with session.begin():
        a = await get_assessment(session, assessment_id, principal, lock=True)
        if a.status == "published":
            raise Conflict("考核结果已发布，不能重新计算", code="assessment_published")
        rules = await session.scalar(select(Scheme.rules).where(Scheme.id == a.scheme_id))
        run = await request_run(session, a, rules, principal.user)
        await record_audit(session, principal, "assessment.recompute_requested", "assessment", str(a.id),
                           after={"run_no": run.run_no})
    return {"assessment_id": a.id, "run_no": run.run_no, "groups": run.groups_total, "status": run.status}


@router.get("/{assessment_id}/runs/{run_no}")
async def read_run(assessment_id: int, run_no: int, principal: Reader, session: SessionDep) -> dict:
    """Progress of a recomputation."""
    await get_assessment(session, assessment_id, principal)
    run = await session.get(AssessmentRun, (assessment_id, run_no))
    if run is None:
        raise NotFound(f"第{run_no}次计算不存在", code="run_not_found")
    return {"run_no": run.run_no, "status": run.status, "groups_total": run.groups_total,
            "groups_done": run.groups_done, "requested_at": run.requested_at, "finished_at": run.finished_at}


async def results_run(session, a) -> int:
    run_no = a.published_run or await latest_done_run(session, a.id)
    if run_no is None:
        raise NotFound("尚无计算完成的考核结果", code="no_results")
    return run_no


@router.get("/{assessment_id}/results")
async def results(assessment_id: int, principal: Reader, session: SessionDep, group: str | None = None) -> dict:
    """Rankings and grades per group (published results once published, else the latest finished run)."""
    a = await get_assessment(session, assessment_id, principal)
    run_no = await results_run(session, a)
    q = select(Scorecard).where(Scorecard.assessment_id == a.id, Scorecard.run_no == run_no)
    if group:
        q = q.where(Scorecard.group_key == group)
    cards = (await session.scalars(q.order_by(Scorecard.group_key, Scorecard.rank, Scorecard.unit))).all()
    return {"assessment_id": a.id, "run_no": run_no, "published": a.status == "published",
            "scores": [{k: getattr(c, k) for k in SUMMARY} | {"name": c.card["name"], "components": c.card["components"]}
                       for c in cards]}


@router.get("/{assessment_id}/scorecards/{unit}")
async def scorecard(assessment_id: int, unit: str, principal: Reader, session: SessionDep) -> dict:
    """One unit's scorecard: every point with the scheme rule and the source events that produced it."""
    a = await get_assessment(session, assessment_id, principal)
    principal.require_unit(unit, oversight=_oversight())
    run_no = await results_run(session, a)
    card = await session.get(Scorecard, (a.id, run_no, unit))
    if card is None:
        raise NotFound(f"单位 {unit} 不在本次考核中", code="unit_not_assessed")
    await record_read(session, principal, "scorecard.read", "scorecard", f"{a.id}/{run_no}/{unit}")
    return {"assessment_id": a.id, "run_no": run_no, **card.card}


def _oversight():
    from bihuan_shared.auth import Role
    return (Role.ASSESSOR, Role.TARGET_OFFICE, Role.LEADER, Role.SUPERVISOR)


class WhatIf(BaseModel):
    rules: SchemeRules


@router.post("/{assessment_id}/what-if")
async def what_if(assessment_id: int, body: WhatIf, principal: Assessor, session: SessionDep) -> dict:
    """Score the current inputs under changed rules; nothing is stored, published or frozen."""
    a = await get_assessment(session, assessment_id, principal)
    engine = session.bind
    scores = []
    for group in body.rules.groups:
        inputs = await load_group(engine, a.scope, a.year, a.as_of, body.rules, group)
        scores += [{k: v for k, v in c.as_dict().items() if k != "lines"} for c in score_group(group, inputs)]
    return {"assessment_id": a.id, "what_if": True, "scores": scores}
