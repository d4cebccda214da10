"""Important matters (重要事项报告) as supervision knows them from execution: what the office may issue an order
about. The office sees its scope's, a leader those raised to her."""
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from bihuan_shared.auth import Principal, Role, require_roles
from bihuan_shared.web.deps import SessionDep
from bihuan_supervision.store.matter_tables import MatterView

router = APIRouter(prefix="/matters", tags=["orders"])

MatterReader = Annotated[Principal, Depends(require_roles(Role.SUPERVISOR, Role.TARGET_OFFICE, Role.LEADER))]


class MatterOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    target_id: str | None
    milestone_id: str | None
    unit: str
    title: str
    to_leader: str | None
    status: str
    raised_at: datetime
    answered_at: datetime | None


@router.get("")
async def list_matters(principal: MatterReader, session: SessionDep,
                       status: Literal["open", "answered", "all"] = "open",
                       limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[MatterOut]:
    """The scope's important matters, newest first (a leader's: those raised to her)."""
    query = select(MatterView).where(MatterView.scope == principal.scope).order_by(
        MatterView.raised_at.desc()).limit(limit)
    if status != "all":
        query = query.where(MatterView.status == status)
    if not principal.has(Role.SUPERVISOR, Role.TARGET_OFFICE):
        query = query.where(MatterView.to_leader == principal.user)
    return [MatterOut.model_validate(m) for m in (await session.scalars(query)).all()]
