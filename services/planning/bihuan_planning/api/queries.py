"""Queries a user needs: targets of a unit (as lead, responsible or cooperating), of a leader, a category,
an area; text search on titles; paginated."""
from typing import Literal

from fastapi import APIRouter, Query
from sqlalchemy import any_, func, or_, select

from bihuan_planning.api.schemas import TargetOut, TargetPage
from bihuan_planning.store.models import Target
from bihuan_shared.auth import CurrentPrincipal
from bihuan_shared.web.deps import SessionDep

router = APIRouter(prefix="/targets", tags=["targets"])


@router.get("")
async def list_targets(
    principal: CurrentPrincipal, session: SessionDep, scope: str, year: int | None = None,
    unit: str | None = None, unit_role: Literal["any", "lead", "responsible", "cooperating"] = "any",
    leader: str | None = None, category: str | None = None, area: str | None = None, status: str | None = None,
    parent_id: str | None = None, top_level: bool = False, q: str | None = Query(default=None, max_length=100),
    page: int = Query(default=1, ge=1), size: int = Query(default=50, ge=1, le=500),
) -> TargetPage:
    """Targets of a scope, filtered; ordered by code. A city office reads its districts' books too."""
    principal.require_read_scope(scope)
    where = [Target.scope == scope]
    if unit:
        where.append(_unit_filter(unit, unit_role))
    for column, value in ((Target.year, year), (Target.leader, leader), (Target.category, category),
                          (Target.area, area), (Target.status, status), (Target.parent_id, parent_id)):
        if value is not None:
            where.append(column == value)
    if top_level:
        where.append(Target.parent_id.is_(None))
    if q:
        where.append(Target.title.ilike(f"%{_escape_like(q)}%", escape="\\"))
    total = await session.scalar(select(func.count()).select_from(Target).where(*where))
    rows = await session.scalars(select(Target).where(*where).order_by(Target.year, Target.code, Target.id)
                                 .offset((page - 1) * size).limit(size))
    return TargetPage(items=[TargetOut.model_validate(t) for t in rows], total=total or 0, page=page, size=size)


def _unit_filter(unit: str, role: str):
    by_role = {"lead": Target.lead_unit == unit, "responsible": unit == any_(Target.responsible_units),
               "cooperating": unit == any_(Target.cooperating_units)}
    return by_role[role] if role in by_role else or_(*by_role.values())


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
