"""City tasks (市级交办): the city office decomposes a draft city target to its districts (application/city_tasks.py
holds the commands, domain/city_tasks.py the rules)."""
from fastapi import APIRouter

from bihuan_planning.api.deps import TargetOffice
from bihuan_planning.api.schemas import AssignmentsIn, TargetOut
from bihuan_planning.api.targets import load
from bihuan_planning.application import city_tasks
from bihuan_shared.web.deps import SessionDep

router = APIRouter(prefix="/targets", tags=["city tasks"])


@router.put("/{target_id}/assignments")
async def assign_to_districts(target_id: str, body: AssignmentsIn, principal: TargetOffice,
                              session: SessionDep) -> TargetOut:
    """Decompose a draft city target to districts of the city, each with its share (and optionally its own
    milestones); publishing the city target then places a linked target in each district's book."""
    async with session.begin():
        target = await load(session, target_id, for_update=True)
        await city_tasks.assign(session, principal, target, city_tasks.shares_of(body))
    return TargetOut.model_validate(target)
