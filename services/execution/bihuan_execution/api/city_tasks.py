"""City tasks' roll-up (市级交办): for a city's offices and leaders, each city task with the districts behind it, their
shares and what each district's linked target reports (the rule: domain/city_rollup.py)."""
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy import select

from bihuan_execution.domain.city_rollup import DistrictLine, LinkedTarget, MilestoneState, Rollup, roll_up
from bihuan_execution.store.models import TargetCopy
from bihuan_shared.auth import Principal, Role, require_roles
from bihuan_shared.web.deps import SessionDep
from bihuan_shared.web.errors import NotFound

router = APIRouter(prefix="/city-tasks", tags=["city tasks"])
CityReader = Annotated[Principal, Depends(require_roles(Role.TARGET_OFFICE, Role.LEADER, Role.SUPERVISOR,
                                                        Role.ASSESSOR))]


class CityTaskOut(BaseModel):
    target_id: str
    scope: str
    year: int
    code: str
    title: str
    unit_of_measure: str | None
    kind: str
    rule: str
    target_value: float | None
    achieved: float | None
    percent: float | None
    done: bool
    counts: dict[str, int]
    districts: list[DistrictLine]  # the domain's own lines: one definition of what a district line holds


@router.get("")
async def city_tasks(principal: CityReader, session: SessionDep, scope: str | None = None,
                     year: Annotated[int | None, Query(ge=2000, le=2100)] = None) -> list[CityTaskOut]:
    """Every city task of a city (default: the caller's), each rolled up from its districts."""
    scope = scope or principal.scope
    principal.require_read_scope(scope)
    q = select(TargetCopy).where(TargetCopy.scope == scope, TargetCopy.cancelled.is_(False),
                                 TargetCopy.assignments != [])
    if year:
        q = q.where(TargetCopy.year == year)
    tasks = list(await session.scalars(q.order_by(TargetCopy.year, TargetCopy.code)))
    linked = await _linked(session, [t.id for t in tasks])
    return [_out(t, linked.get(t.id, {})) for t in tasks]


@router.get("/{target_id}")
async def city_task(target_id: str, principal: CityReader, session: SessionDep) -> CityTaskOut:
    """One city task's roll-up: the city figure by its rule, and each district's share and progress."""
    task = await session.get(TargetCopy, target_id)
    if task is None or not task.assignments:
        raise NotFound(f"市级任务 {target_id} 尚未发布或不存在", code="city_task_not_found")
    principal.require_read_scope(task.scope)
    return _out(task, (await _linked(session, [task.id])).get(task.id, {}))


async def _linked(session, task_ids: list[str]) -> dict[str, dict[str, LinkedTarget]]:
    """The districts' published linked targets of these city tasks, by task and district, in one query (their
    milestones in a second, by the relationship's selectin)."""
    if not task_ids:
        return {}
    rows = await session.scalars(select(TargetCopy).where(TargetCopy.origin_target_id.in_(task_ids),
                                                          TargetCopy.cancelled.is_(False)))
    out: dict[str, dict[str, LinkedTarget]] = {}
    for t in rows:
        milestones = [MilestoneState(m.seq, m.status, m.latest_value) for m in t.milestones if not m.withdrawn]
        out.setdefault(t.origin_target_id, {})[t.scope] = LinkedTarget(t.id, t.lead_unit, milestones)
    return out


def _out(task: TargetCopy, linked: dict[str, LinkedTarget]) -> CityTaskOut:
    r: Rollup = roll_up(task.indicator, task.assignments, linked)
    return CityTaskOut(target_id=task.id, scope=task.scope, year=task.year, code=task.code, title=task.title,
                       unit_of_measure=task.indicator.get("unit_of_measure"), kind=r.kind, rule=r.rule,
                       target_value=r.target_value, achieved=r.achieved, percent=r.percent, done=r.done,
                       counts=r.counts, districts=r.districts)
