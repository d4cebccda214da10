"""Progress reports on milestones, and reading a target's milestones with their status."""
from datetime import date, datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select

from bihuan_execution.api.access import settings_of, today_of
from bihuan_execution.domain.status import DONE, reaches, status_of, timeliness
from bihuan_execution.store.models import MilestoneCopy, ProgressReport, TargetCopy
from bihuan_shared.audit import record_audit
from bihuan_shared.auth import CurrentPrincipal, Role
from bihuan_shared.contracts.execution import MilestoneCompleted, ProgressReported
from bihuan_shared.events import new_event
from bihuan_shared.messaging.outbox import record_events
from bihuan_shared.web.deps import SessionDep
from bihuan_shared.web.errors import Conflict, Forbidden, Invalid, NotFound

router = APIRouter(tags=["progress"])


class ProgressIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    actual_value: float | None = Field(default=None, description="cumulative actual value (quantitative targets)")
    deliverable_done: bool | None = Field(default=None, description="deliverable finished (qualitative targets)")
    narrative: str = Field(default="", max_length=10000)
    reported_on: date | None = Field(default=None, description="date the work was done, for backfill (补录); "
                                     "defaults to today, never in the future")

    @model_validator(mode="after")
    def one_measure(self) -> "ProgressIn":
        if self.actual_value is None and self.deliverable_done is None:
            raise ValueError("actual_value 或 deliverable_done 必须填写其一")
        return self


class ProgressOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    target_id: str
    milestone_id: str
    unit: str
    actual_value: float | None
    deliverable_done: bool | None
    narrative: str
    reported_by: str
    reported_on: date
    reported_at: datetime
    milestone_status: str


class MilestoneView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    seq: int
    due_date: date
    expected_value: float | None
    deliverable: str | None
    status: str
    completed_on: date | None
    latest_value: float | None


class TargetView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    scope: str
    code: str
    title: str
    lead_unit: str
    responsible_units: list[str]
    cooperating_units: list[str]
    version: int
    cancelled: bool
    milestones: list[MilestoneView]


@router.get("/targets/{target_id}")
async def get_target(target_id: str, principal: CurrentPrincipal, session: SessionDep) -> TargetView:
    """A target as execution knows it, with every milestone's status."""
    target = await session.get(TargetCopy, target_id)
    if target is None:
        raise NotFound(f"目标 {target_id} 尚未发布或不存在", code="target_not_found")
    principal.require_scope(target.scope)
    return TargetView.model_validate(target)


@router.post("/targets/{target_id}/milestones/{milestone_id}/progress", status_code=201)
async def report_progress(target_id: str, milestone_id: str, body: ProgressIn, principal: CurrentPrincipal,
                          session: SessionDep, request: Request) -> ProgressOut:
    """Report progress on a milestone. Only the lead and responsible units of the target may report."""
    if not principal.has(Role.UNIT_REPORTER):
        raise Forbidden("只有单位填报员可以报送进展", code="role_forbidden")
    real_today = today_of(request)
    if body.reported_on is not None and body.reported_on > real_today:
        raise Invalid("报送日期不能晚于今天", code="reported_on_in_future",
                      details=[{"field": "body.reported_on", "message": "不能晚于今天"}])
    today = body.reported_on or real_today
    async with session.begin():
        target = await session.get(TargetCopy, target_id)
        if target is None:
            raise NotFound(f"目标 {target_id} 尚未发布或不存在", code="target_not_found")
        principal.require_scope(target.scope)
        principal.require_unit(target.lead_unit, *target.responsible_units, oversight=())
        if target.cancelled:
            raise Conflict("目标已撤销，不能报送进展", code="target_cancelled")
        milestone = await session.scalar(select(MilestoneCopy).where(
            MilestoneCopy.id == milestone_id, MilestoneCopy.target_id == target_id).with_for_update())
        if milestone is None:
            raise NotFound(f"节点 {milestone_id} 不属于目标 {target_id}", code="milestone_not_found")
        report = ProgressReport(target_id=target_id, milestone_id=milestone_id, unit=principal.unit,
                                actual_value=body.actual_value, deliverable_done=body.deliverable_done,
                                narrative=body.narrative, reported_by=principal.user, reported_on=today)
        session.add(report)
        await session.flush()
        milestone.event_seq += 1
        events = [new_event(ProgressReported(report_id=report.id, target_id=target_id, milestone_id=milestone_id,
                                             unit=report.unit, actual_value=report.actual_value,
                                             deliverable_done=report.deliverable_done, narrative=report.narrative,
                                             reported_by=report.reported_by, reported_at=datetime.now().astimezone()),
                            scope=target.scope, aggregate_id=milestone_id, sequence=milestone.event_seq)]
        if body.actual_value is not None:
            milestone.latest_value = body.actual_value
        completes = body.deliverable_done or reaches(milestone.expected_value, body.actual_value,
                                                     target.indicator.get("direction", "up"))
        if completes and milestone.status not in DONE:
            milestone.completed_on = today
            milestone.event_seq += 1
            events.append(new_event(MilestoneCompleted(
                target_id=target_id, milestone_id=milestone_id, unit=report.unit, due_date=milestone.due_date,
                completed_on=today, timeliness=timeliness(milestone.due_date, today), report_id=report.id,
            ), scope=target.scope, aggregate_id=milestone_id, sequence=milestone.event_seq))
        milestone.status = status_of(milestone.due_date, milestone.completed_on, real_today,
                                     settings_of(request).due_soon_days)
        await record_events(session, events)
        await record_audit(session, principal, "progress.reported", "milestone", milestone_id,
                           after=body.model_dump(mode="json"))
    return ProgressOut(**{c: getattr(report, c) for c in ProgressOut.model_fields if c != "milestone_status"},
                       milestone_status=milestone.status)
