"""Milestone completion counts per unit: the target-completion input of a unit's score."""
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlalchemy import case, func, select

from bihuan_assessment.store.models import MilestoneFact, TargetFact
from bihuan_shared.auth import Principal, Role, require_roles
from bihuan_shared.web.deps import SessionDep

router = APIRouter(prefix="/completion", tags=["completion"])

Assessor = Annotated[Principal, Depends(require_roles(Role.ASSESSOR, Role.TARGET_OFFICE))]


class Completion(BaseModel):
    scope: str
    unit: str
    milestones: int
    completed: int
    early: int
    on_time: int
    late: int
    overdue: int


@router.get("")
async def unit_completion(scope: str, unit: str, principal: Assessor, session: SessionDep) -> Completion:
    """How the milestones of the targets a unit leads were completed."""
    principal.require_read_scope(scope)
    t = MilestoneFact.timeliness
    row = (await session.execute(
        select(func.count(), func.count(MilestoneFact.completed_on),
               func.count(case((t == "early", 1))), func.count(case((t == "on_time", 1))),
               func.count(case((t == "late", 1))),
               func.count(case(((MilestoneFact.overdue & MilestoneFact.completed_on.is_(None)), 1))))
        .join(TargetFact, TargetFact.id == MilestoneFact.target_id)
        .where(TargetFact.scope == scope, TargetFact.lead_unit == unit, TargetFact.cancelled.is_(False))
    )).one()
    return Completion(scope=scope, unit=unit, milestones=row[0], completed=row[1], early=row[2], on_time=row[3],
                      late=row[4], overdue=row[5])
