"""Supervision's view of a target: every milestone with its status, for the supervision office and leaders."""
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict

from bihuan_shared.auth import Principal, Role, require_roles
from bihuan_shared.web.deps import SessionDep
from bihuan_shared.web.errors import NotFound
from bihuan_supervision.store.models import TargetView
from bihuan_supervision.store.voice import citizen_voice, recent_orders

router = APIRouter(prefix="/targets", tags=["targets"])

Overseer = Annotated[Principal, Depends(require_roles(Role.SUPERVISOR, Role.LEADER, Role.TARGET_OFFICE))]


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


class TargetOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    scope: str
    code: str
    title: str
    category: str
    lead_unit: str
    leader: str | None
    version: int
    cancelled: bool
    milestones: list[MilestoneOut]
    # The citizens' voice: hotline categories linked to this target, with their counts and rates for its year.
    citizen_voice: list[dict] = []


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
