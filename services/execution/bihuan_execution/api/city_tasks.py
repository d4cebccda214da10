"""City tasks' roll-up (市级交办): for a city's offices and leaders, each city task with the districts behind it, their
shares and what each district's linked target reports (the rule: domain/city_rollup.py)."""
from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import String, bindparam, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import raiseload

from bihuan_execution.domain.city_rollup import DistrictLine, LinkedTarget, Rollup, roll_up
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


@router.get("", response_model=list[CityTaskOut])
async def city_tasks(principal: CityReader, session: SessionDep, scope: str | None = None,
                     year: Annotated[int | None, Query(ge=2000, le=2100)] = None) -> Response:
    """Every city task of a city (default: the caller's), each rolled up from its districts."""
    scope = scope or principal.scope
    principal.require_read_scope(scope)
    q = select(TargetCopy).options(raiseload(TargetCopy.milestones)).where(  # the tasks' own milestones: not shown
        TargetCopy.scope == scope, TargetCopy.cancelled.is_(False), TargetCopy.assignments != [])
    if year:
        q = q.where(TargetCopy.year == year)
    tasks = list(await session.scalars(q.order_by(TargetCopy.year, TargetCopy.code)))
    linked = await _linked(session, [t.id for t in tasks])
    # 200 tasks × 16 districts: plain dicts serialised once by orjson; validating 3,200 lines back through the
    # response model cost more than computing them (the model still documents the answer).
    return Response(orjson.dumps([_plain(t, linked.get(t.id, {})) for t in tasks]), media_type="application/json")


@router.get("/{target_id}")
async def city_task(target_id: str, principal: CityReader, session: SessionDep) -> CityTaskOut:
    """One city task's roll-up: the city figure by its rule, and each district's share and progress."""
    task = await session.get(TargetCopy, target_id, options=[raiseload(TargetCopy.milestones)])
    if task is None or not task.assignments:
        raise NotFound(f"市级任务 {target_id} 尚未发布或不存在", code="city_task_not_found")
    principal.require_read_scope(task.scope)
    return _out(task, (await _linked(session, [task.id])).get(task.id, {}))


# Each linked target summed by PostgreSQL: 3,200 rows for 200 tasks × 16 districts, not their 12,800 milestones.
LINKED = text("""
    SELECT t.id, t.scope, t.lead_unit, t.origin_target_id,
           count(m.id) AS total,
           count(m.id) FILTER (WHERE m.status IN ('done_early', 'done_on_time', 'done_late')) AS done,
           coalesce(bool_or(m.status = 'overdue'), false) AS overdue,
           coalesce(bool_or(m.status = 'due_soon'), false) AS due_soon,
           (array_agg(m.latest_value ORDER BY m.seq DESC) FILTER (WHERE m.latest_value IS NOT NULL))[1] AS last_value,
           sum(m.latest_value) AS value_sum
    FROM targets t LEFT JOIN milestones m ON m.target_id = t.id AND NOT m.withdrawn
    WHERE t.origin_target_id = ANY(:tasks) AND NOT t.cancelled
    GROUP BY t.id
""").bindparams(bindparam("tasks", type_=ARRAY(String)))


async def _linked(session, task_ids: list[str]) -> dict[str, dict[str, LinkedTarget]]:
    """The districts' published linked targets of these city tasks, summed, by task and district."""
    if not task_ids:
        return {}
    out: dict[str, dict[str, LinkedTarget]] = {}
    for r in (await session.execute(LINKED, {"tasks": task_ids})).all():
        out.setdefault(r.origin_target_id, {})[r.scope] = LinkedTarget(
            r.id, r.lead_unit, r.total, r.done, r.overdue, r.due_soon, r.last_value, r.value_sum)
    return out


def _plain(task: TargetCopy, linked: dict[str, LinkedTarget]) -> dict:
    r: Rollup = roll_up(task.indicator, task.assignments, linked)
    return dict(target_id=task.id, scope=task.scope, year=task.year, code=task.code, title=task.title,
                unit_of_measure=task.indicator.get("unit_of_measure"), kind=r.kind, rule=r.rule,
                target_value=r.target_value, achieved=r.achieved, percent=r.percent, done=r.done, counts=r.counts,
                districts=[vars(line) for line in r.districts])


def _out(task: TargetCopy, linked: dict[str, LinkedTarget]) -> CityTaskOut:
    return CityTaskOut.model_validate(_plain(task, linked))
