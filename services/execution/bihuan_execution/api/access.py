"""Loading the records a route acts on, with the scope and unit checks every route needs."""
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import raiseload
from sqlalchemy.ext.asyncio import AsyncSession

from bihuan_execution.clock import today
from bihuan_execution.settings import ExecutionSettings
from bihuan_execution.store.models import MilestoneCopy, TargetCopy
from bihuan_shared.auth import Principal, Role, require_roles
from bihuan_shared.web.errors import Conflict, Forbidden, NotFound


def settings_of(request: Request) -> ExecutionSettings:
    return request.app.state.settings


def today_of(request: Request):
    return today(settings_of(request))


async def load_target(session: AsyncSession, principal: Principal, target_id: str, *, for_update: bool = False,
                      open_only: bool = False, with_milestones: bool = True, read: bool = False) -> TargetCopy:
    """read=True for the routes that only show a target: a city's offices read their districts' targets (the
    drill-down from a city task); every write stays inside the target's own scope."""
    options = [] if with_milestones else [raiseload(TargetCopy.milestones)]
    target = await session.get(TargetCopy, target_id, with_for_update=for_update or None, options=options)
    if target is None:
        raise NotFound(f"目标 {target_id} 尚未发布或不存在", code="target_not_found")
    (principal.require_read_scope if read else principal.require_scope)(target.scope)
    if open_only and target.cancelled:
        raise Conflict(f"目标 {target.code} 已撤销", code="target_cancelled")
    return target


async def load_milestone(session: AsyncSession, target_id: str, milestone_id: str, *,
                         for_update: bool = False) -> MilestoneCopy:
    query = select(MilestoneCopy).where(MilestoneCopy.id == milestone_id, MilestoneCopy.target_id == target_id)
    milestone = await session.scalar(query.with_for_update() if for_update else query)
    if milestone is None or milestone.withdrawn:
        raise NotFound(f"节点 {milestone_id} 不属于目标 {target_id}", code="milestone_not_found")
    return milestone


def require_reporter(principal: Principal) -> None:
    if not principal.has(Role.UNIT_REPORTER) or not principal.unit:
        raise Forbidden("只有单位填报员可以填报", code="role_forbidden")


def require_owner_unit(principal: Principal, target: TargetCopy) -> None:
    """Lead and responsible units own a target's milestones (cooperating units do not)."""
    require_reporter(principal)
    principal.require_unit(target.lead_unit, *target.responsible_units, oversight=())


def may_read_target(principal: Principal, target: TargetCopy) -> bool:
    """Units see the targets they take part in; oversight roles see the whole scope."""
    if principal.has(Role.TARGET_OFFICE, Role.LEADER, Role.SUPERVISOR, Role.ASSESSOR):
        return True
    return principal.unit in {target.lead_unit, *target.responsible_units, *target.cooperating_units}


# Route-level role gates (the authorisation matrix reads them); unit and scope are checked on the record.
Reporter = Annotated[Principal, Depends(require_roles(Role.UNIT_REPORTER))]
OVERSIGHT = (Role.TARGET_OFFICE, Role.LEADER, Role.SUPERVISOR, Role.ASSESSOR)
Reader = Annotated[Principal, Depends(require_roles(Role.UNIT_REPORTER, *OVERSIGHT))]
