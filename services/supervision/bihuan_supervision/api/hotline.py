"""A hotline work order as supervision holds it (the newest version received)."""
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from fastapi import APIRouter

from bihuan_shared.auth import CurrentPrincipal, Role
from bihuan_shared.web.deps import SessionDep
from bihuan_shared.web.errors import NotFound
from bihuan_supervision.store.feed_tables import HotlineOrder

router = APIRouter(prefix="/hotline", tags=["hotline"])


class HotlineOrderOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    order_id: str
    version: int
    received_at: datetime
    category: str
    sub_category: str | None
    assigned_unit: str | None
    status: str
    status_history: list[dict]
    signed_at: datetime | None
    closed_at: datetime | None
    resolved: bool | None
    satisfaction: int | None
    repeat_of: str | None
    batch_id: int


@router.get("/orders/{order_id}")
async def get_order(order_id: str, principal: CurrentPrincipal, session: SessionDep) -> HotlineOrderOut:
    """One work order: its newest version, status and history."""
    order = await session.get(HotlineOrder, (principal.scope, order_id))
    if order is None:
        raise NotFound(f"工单 {order_id} 不存在", code="hotline_order_not_found")
    principal.require_unit(order.assigned_unit, oversight=(Role.SUPERVISOR, Role.LEADER, Role.TARGET_OFFICE))
    return HotlineOrderOut.model_validate(order)
