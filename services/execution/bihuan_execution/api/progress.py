"""Progress reports on milestones, and reading a target's milestones with their status and report history."""
from fastapi import APIRouter, Request
from sqlalchemy import func, select
from sqlalchemy.orm import raiseload

from bihuan_execution.api.access import (
    load_milestone, load_target, may_read_target, require_owner_unit, settings_of, today_of,
)
from bihuan_execution.api.schemas import (
    ContributionOut, EvidenceOut, MilestoneHistory, MilestoneView, ProgressIn, ProgressOut, TargetView,
)
from bihuan_execution.clock import now
from bihuan_execution.domain.backdating import period_start, reported_on_problem
from bihuan_execution.domain.status import reaches, status_of, timeliness
from bihuan_execution.evidence.attach import attach
from bihuan_execution.store.models import Contribution, Evidence, MilestoneCopy, ProgressReport, TargetCopy, new_id
from bihuan_shared.audit import record_audit
from bihuan_shared.auth import CurrentPrincipal
from bihuan_shared.contracts.execution import MilestoneCompleted, ProgressReported
from bihuan_shared.events import new_event
from bihuan_shared.messaging.outbox import record_events
from bihuan_shared.web.deps import SessionDep
from bihuan_shared.web.errors import Conflict, Forbidden, Invalid, NotFound

router = APIRouter(tags=["progress"])


@router.get("/targets/{target_id}")
async def get_target(target_id: str, principal: CurrentPrincipal, session: SessionDep,
                     request: Request) -> TargetView:
    """A target as execution knows it, with every milestone's status."""
    target = await load_target(session, principal, target_id, read=True)
    view = TargetView.model_validate(target)
    view.milestones = [m for m in view.milestones if not m.withdrawn]
    # The stored status is refreshed by the worker's clock; between ticks, judge open milestones on today's date.
    day, soon = today_of(request), settings_of(request).due_soon_days
    for m in view.milestones:
        m.status = status_of(m.due_date, m.completed_on, day, soon)
    return view


@router.post("/targets/{target_id}/milestones/{milestone_id}/progress", status_code=201)
async def report_progress(target_id: str, milestone_id: str, body: ProgressIn, principal: CurrentPrincipal,
                          session: SessionDep, request: Request) -> ProgressOut:
    """Report progress on a milestone. Only the lead and responsible units of the target may report; a correction
    is a new report naming the one it corrects."""
    real_today = today_of(request)
    done_on = body.reported_on or real_today
    async with session.begin():
        target, milestone = await _target_and_milestone(session, principal, target_id, milestone_id)
        require_owner_unit(principal, target)
        if body.reported_on is not None:
            await _check_reported_on(session, target, milestone, body.reported_on, real_today,
                                     settings_of(request).report_backdate_days)
        await _check_corrects(session, body.corrects_report_id, milestone_id)
        # The id is drawn here, not by a flush: the inserts go out together when the outbox row is written.
        report = ProgressReport(id=new_id(), target_id=target_id, milestone_id=milestone_id, unit=principal.unit,
                                actual_value=body.actual_value, deliverable_done=body.deliverable_done,
                                narrative=body.narrative, reported_by=principal.user, reported_on=done_on,
                                corrects_report_id=body.corrects_report_id, reported_at=now(settings_of(request)))
        session.add(report)
        evidence = await attach(session, principal, body.evidence_ids, report_id=report.id)
        milestone.event_seq += 1
        events = [new_event(ProgressReported(report_id=report.id, target_id=target_id, milestone_id=milestone_id,
                                             unit=report.unit, actual_value=report.actual_value,
                                             deliverable_done=report.deliverable_done, narrative=report.narrative,
                                             reported_by=report.reported_by, reported_at=report.reported_at),
                            scope=target.scope, aggregate_id=milestone_id, sequence=milestone.event_seq)]
        if body.actual_value is not None:
            milestone.latest_value = body.actual_value
        completes = body.deliverable_done or reaches(milestone.expected_value, body.actual_value,
                                                     target.indicator.get("direction", "up"))
        # Completion is a fact once announced: a later correction is recorded beside it, never silently undoes it.
        if completes and milestone.completed_on is None:
            milestone.completed_on = done_on
            milestone.event_seq += 1
            events.append(new_event(MilestoneCompleted(
                target_id=target_id, milestone_id=milestone_id, unit=report.unit, due_date=milestone.due_date,
                completed_on=done_on, timeliness=timeliness(milestone.due_date, done_on), report_id=report.id,
            ), scope=target.scope, aggregate_id=milestone_id, sequence=milestone.event_seq))
        milestone.status = status_of(milestone.due_date, milestone.completed_on, real_today,
                                     settings_of(request).due_soon_days)
        await record_events(session, events)
        # Last before commit: the audit chain serialises writers from here on.
        await record_audit(session, principal, "progress.reported", "milestone", milestone_id,
                           after=dict(body.model_dump(mode="json"), report_id=report.id))
    return _report_out(report, milestone.status, evidence)


@router.get("/targets/{target_id}/milestones/{milestone_id}/reports")
async def milestone_history(target_id: str, milestone_id: str, principal: CurrentPrincipal,
                            session: SessionDep) -> MilestoneHistory:
    """Every progress report and contribution on a milestone, newest first, with their evidence."""
    target = await load_target(session, principal, target_id, read=True)
    if not may_read_target(principal, target):
        raise Forbidden("无权查看其他单位的目标进展", code="unit_forbidden")
    milestone = await load_milestone(session, target_id, milestone_id)
    reports = list(await session.scalars(select(ProgressReport).where(ProgressReport.milestone_id == milestone_id)
                                         .order_by(ProgressReport.reported_at.desc(), ProgressReport.id)))
    contributions = list(await session.scalars(select(Contribution).where(Contribution.milestone_id == milestone_id)
                                               .order_by(Contribution.reported_at.desc())))
    files = await evidence_by_owner(session, [r.id for r in reports], [c.id for c in contributions])
    return MilestoneHistory(
        milestone=MilestoneView.model_validate(milestone),
        reports=[_report_out(r, milestone.status, files.get(r.id, [])) for r in reports],
        contributions=[contribution_out(c, files.get(c.id, [])) for c in contributions],
    )


async def evidence_by_owner(session, report_ids: list[str], contribution_ids: list[str]) -> dict[str, list[Evidence]]:
    rows = await session.scalars(select(Evidence).where(
        Evidence.report_id.in_(report_ids) | Evidence.contribution_id.in_(contribution_ids)).order_by(Evidence.uploaded_at))
    owned: dict[str, list[Evidence]] = {}
    for e in rows:
        owned.setdefault(e.report_id or e.contribution_id, []).append(e)
    return owned


async def _target_and_milestone(session, principal, target_id: str, milestone_id: str):
    """Both in one round trip, the milestone locked (reports on one milestone queue; the target stays readable)."""
    row = (await session.execute(
        select(TargetCopy, MilestoneCopy).join(MilestoneCopy, MilestoneCopy.target_id == TargetCopy.id)
        .where(TargetCopy.id == target_id, MilestoneCopy.id == milestone_id)
        .options(raiseload(TargetCopy.milestones)).with_for_update(of=MilestoneCopy))).first()
    if row is None or row[1].withdrawn:  # say which of the two is missing
        await load_target(session, principal, target_id, with_milestones=False, read=True)
        await load_milestone(session, target_id, milestone_id)
        raise NotFound(f"节点 {milestone_id} 不属于目标 {target_id}", code="milestone_not_found")
    target, milestone = row
    principal.require_scope(target.scope)
    if target.cancelled:
        raise Conflict(f"目标 {target.code} 已撤销", code="target_cancelled")
    return target, milestone


async def _check_reported_on(session, target: TargetCopy, milestone: MilestoneCopy, reported_on, today,
                             tolerance_days: int) -> None:
    previous_due = await session.scalar(select(func.max(MilestoneCopy.due_date)).where(
        MilestoneCopy.target_id == target.id, MilestoneCopy.seq < milestone.seq, MilestoneCopy.withdrawn.is_(False)))
    problem = reported_on_problem(reported_on, today=today, starts=period_start(target.year, previous_due),
                                  tolerance_days=tolerance_days)
    if problem is not None:
        raise Invalid(problem.message, code=problem.code,
                      details=[{"field": "body.reported_on", "message": problem.message}])


async def _check_corrects(session, corrects_report_id: str | None, milestone_id: str) -> None:
    if corrects_report_id is None:
        return
    earlier = await session.get(ProgressReport, corrects_report_id)
    if earlier is None or earlier.milestone_id != milestone_id:
        raise Invalid(f"被更正的报送 {corrects_report_id} 不属于该节点", code="corrects_report_invalid",
                      details=[{"field": "body.corrects_report_id", "message": "不属于该节点的报送"}])


def _report_out(report: ProgressReport, status: str, evidence: list[Evidence]) -> ProgressOut:
    fields = {c: getattr(report, c) for c in ProgressOut.model_fields if c not in ("milestone_status", "evidence")}
    return ProgressOut(**fields, milestone_status=status, evidence=[EvidenceOut.model_validate(e) for e in evidence])


def contribution_out(c: Contribution, evidence: list[Evidence]) -> ContributionOut:
    fields = {f: getattr(c, f) for f in ContributionOut.model_fields if f != "evidence"}
    return ContributionOut(**fields, evidence=[EvidenceOut.model_validate(e) for e in evidence])
