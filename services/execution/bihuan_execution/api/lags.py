"""Lag explanations (滞后原因): why a milestone is overdue or at risk, what will recover it, and by when."""
from datetime import date
from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select

from bihuan_execution.api.access import Reader, Reporter, load_milestone, load_target, may_read_target, \
    require_owner_unit, settings_of, today_of
from bihuan_execution.clock import now
from bihuan_execution.domain.lag import OBJECTIVE_CATEGORIES, may_explain
from bihuan_execution.domain.status import status_of
from bihuan_execution.store.models import LagExplanation
from bihuan_shared.audit import record_audit
from bihuan_shared.contracts.execution import LagExplained
from bihuan_shared.events import new_event
from bihuan_shared.messaging.outbox import record_events
from bihuan_shared.web.deps import SessionDep
from bihuan_shared.web.errors import Conflict, Forbidden, Invalid

router = APIRouter(tags=["lags"])


class LagIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason_kind: Literal["objective", "subjective"]
    reason_category: Literal["policy_change", "external_approval", "funding", "weather", "other", "subjective"] | None = None
    explanation: str = Field(min_length=1, max_length=10000)
    recovery_plan: str = Field(default="", max_length=10000)
    new_expected_date: date | None = None

    @model_validator(mode="after")
    def category_fits_kind(self) -> "LagIn":
        if self.reason_kind == "subjective":
            self.reason_category = self.reason_category or "subjective"
            if self.reason_category != "subjective":
                raise ValueError("主观原因的 reason_category 只能是 subjective")
        elif self.reason_category not in OBJECTIVE_CATEGORIES:
            raise ValueError("客观原因须选择类别: " + ", ".join(OBJECTIVE_CATEGORIES))
        return self


class LagOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    target_id: str
    milestone_id: str
    unit: str
    reason_kind: str
    reason_category: str
    explanation: str
    recovery_plan: str
    new_expected_date: date | None
    explained_by: str
    explained_on: date


@router.post("/targets/{target_id}/milestones/{milestone_id}/lag-explanations", status_code=201)
async def explain_lag(target_id: str, milestone_id: str, body: LagIn, principal: Reporter, session: SessionDep,
                      request: Request) -> LagOut:
    """The lead or a responsible unit explains an overdue or at-risk milestone; a later explanation adds to history."""
    day = today_of(request)
    if body.new_expected_date is not None and body.new_expected_date < day:
        raise Invalid("预计完成日期不能早于今天", code="new_expected_date_past",
                      details=[{"field": "body.new_expected_date", "message": "不能早于今天"}])
    async with session.begin():
        target = await load_target(session, principal, target_id, open_only=True)
        require_owner_unit(principal, target)
        milestone = await load_milestone(session, target_id, milestone_id, for_update=True)
        # Judged on today's calendar, not on the stored status the clock refreshes every minute.
        status = status_of(milestone.due_date, milestone.completed_on, day, settings_of(request).due_soon_days)
        if not may_explain(status):
            raise Conflict(f"节点状态为 {status}，未滞后也无风险，无需说明滞后原因", code="milestone_not_lagging")
        lag = LagExplanation(target_id=target_id, milestone_id=milestone_id, unit=principal.unit,
                             explained_by=principal.user, explained_on=day, **body.model_dump())
        session.add(lag)
        await session.flush()
        milestone.event_seq += 1
        await record_events(session, [new_event(LagExplained(
            lag_id=lag.id, target_id=target_id, milestone_id=milestone_id, unit=lag.unit,
            reason_kind=lag.reason_kind, reason_category=lag.reason_category, explanation=lag.explanation,
            recovery_plan=lag.recovery_plan, new_expected_date=lag.new_expected_date, explained_by=lag.explained_by,
            explained_at=now(settings_of(request))), scope=target.scope, aggregate_id=milestone_id,
            sequence=milestone.event_seq)])
        await record_audit(session, principal, "lag.explained", "milestone", milestone_id,
                           after=dict(body.model_dump(mode="json"), lag_id=lag.id))
    return LagOut.model_validate(lag)


@router.get("/targets/{target_id}/milestones/{milestone_id}/lag-explanations")
async def list_lag_explanations(target_id: str, milestone_id: str, principal: Reader,
                                session: SessionDep) -> list[LagOut]:
    """A milestone's lag explanations, newest first."""
    target = await load_target(session, principal, target_id, read=True)
    if not may_read_target(principal, target):
        raise Forbidden("无权查看其他单位的目标进展", code="unit_forbidden")
    await load_milestone(session, target_id, milestone_id)
    rows = await session.scalars(select(LagExplanation).where(LagExplanation.milestone_id == milestone_id)
                                 .order_by(LagExplanation.explained_at.desc()))
    return [LagOut.model_validate(r) for r in rows]
