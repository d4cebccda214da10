"""Supervision's view of a target: every milestone with its status, for the supervision office and leaders; and
the live status of every target of a year in one answer (the overview and the leader's board)."""
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from bihuan_shared.auth import Principal, Role, require_roles
from bihuan_shared.web.deps import SessionDep
from bihuan_shared.web.errors import NotFound
from bihuan_supervision.domain.metrics import check_code, parse_year
from bihuan_supervision.store.models import TargetView
from bihuan_supervision.store.voice import citizen_voice, recent_orders

router = APIRouter(prefix="/targets", tags=["targets"])

Overseer = Annotated[Principal, Depends(require_roles(Role.SUPERVISOR, Role.LEADER, Role.TARGET_OFFICE))]
# The overview is also the assessment committee's: it reads milestone statuses, nothing a unit wrote.
StatusReader = Annotated[Principal, Depends(require_roles(Role.SUPERVISOR, Role.LEADER, Role.TARGET_OFFICE,
                                                          Role.ASSESSOR))]
MAX_LEADER = 64


class MilestoneOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    seq: int
    due_date: date
    expected_value: float | None
    status: str
    completed_on: date | None
    latest_value: float | None
    last_reported_at: datetime | None


class TargetStatusOut(BaseModel):
    """A target with the live status of its milestones: one line of the overview."""
    model_config = ConfigDict(from_attributes=True)

    id: str
    year: int
    code: str
    title: str
    category: str
    lead_unit: str
    leader: str | None
    version: int
    milestones: list[MilestoneOut]


class TargetOut(TargetStatusOut):
    scope: str
    cancelled: bool
    # The citizens' voice: hotline categories linked to this target, with their counts and rates for its year.
    citizen_voice: list[dict] = []


@router.get("")
async def list_targets(principal: StatusReader, session: SessionDep, year: Annotated[str | None, Query()] = None,
                       leader: Annotated[str | None, Query()] = None) -> dict:
    """Every target of the caller's scope for a year (optionally one leader's), not cancelled, by code, with the live
    status of each milestone: one answer instead of one request per target."""
    query = (select(TargetView).where(TargetView.scope == principal.scope, TargetView.year == parse_year(year),
                                      ~TargetView.cancelled).order_by(TargetView.code))
    if leader is not None:
        query = query.where(TargetView.leader == check_code(leader, "leader", MAX_LEADER, "分管领导编码"))
    views = (await session.scalars(query)).all()
    return {"items": [TargetStatusOut.model_validate(v) for v in views], "total": len(views)}


@router.get("/{target_id}")
async def get_target(target_id: str, principal: Overseer, session: SessionDep) -> TargetOut:
    """A target with the live status of each milestone."""
    view = await session.get(TargetView, target_id)
    if view is None:
        raise NotFound(f"目标 {target_id} 不存在", code="target_not_found")
    principal.require_scope(view.scope)
    out = TargetOut.model_validate(view)
    out.citizen_voice = await citizen_voice(session, view.scope, view.id, view.year)
    return out


@router.get("/{target_id}/voice")
async def target_voice(target_id: str, principal: Overseer, session: SessionDep) -> dict:
    """The citizens' voice on a target: the latest work orders of its linked hotline categories, and their counts."""
    view = await session.get(TargetView, target_id)
    if view is None:
        raise NotFound(f"目标 {target_id} 不存在", code="target_not_found")
    principal.require_scope(view.scope)
    return {"items": await recent_orders(session, view.scope, target_id),
            "topics": await citizen_voice(session, view.scope, view.id, view.year)}
