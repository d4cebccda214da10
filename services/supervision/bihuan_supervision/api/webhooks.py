"""The outgoing webhook's deliveries, for the supervision office: what the receiver got, what is still being
retried and what failed for good (kept to inspect)."""
from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select

from bihuan_shared.audit import record_audit
from bihuan_shared.web.deps import SessionDep
from bihuan_shared.web.errors import Conflict, NotFound
from bihuan_supervision.api.warnings import Supervisor
from bihuan_supervision.events.webhooks import kick
from bihuan_supervision.store.webhook_tables import WebhookDelivery

router = APIRouter(prefix="/warnings/webhook-deliveries", tags=["warnings"])


class DeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    event_id: UUID
    event_type: str
    url: str
    status: str
    attempts: int
    next_attempt_at: datetime | None  # only while pending
    last_attempt_at: datetime | None
    last_status: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    total: int
    page: int
    size: int


@router.get("")
async def list_deliveries(principal: Supervisor, session: SessionDep,
                          status: Literal["pending", "delivered", "failed"] | None = None,
                          page: Annotated[int, Query(ge=1, le=100_000)] = 1,
                          size: Annotated[int, Query(ge=1, le=500)] = 50) -> DeliveryPage:
    """Deliveries of the caller's scope, newest first, optionally of one status."""
    where = [WebhookDelivery.scope == principal.scope]
    if status is not None:
        where.append(WebhookDelivery.status == status)
    total = await session.scalar(select(func.count()).select_from(WebhookDelivery).where(*where))
    rows = await session.scalars(select(WebhookDelivery).where(*where).order_by(WebhookDelivery.id.desc())
                                 .offset((page - 1) * size).limit(size))
    items = [DeliveryOut.model_validate(r) for r in rows]
    for item in items:
        if item.status != "pending":
            item.next_attempt_at = None
    return DeliveryPage(items=items, total=total or 0, page=page, size=size)


@router.post("/{delivery_id}/retry")
async def retry_delivery(delivery_id: int, request: Request, principal: Supervisor, session: SessionDep) -> DeliveryOut:
    """Send a failed delivery again (the receiver was fixed): it goes back to pending with a fresh count of attempts,
    and is sent at once."""
    async with session.begin():
        row = await session.scalar(select(WebhookDelivery).where(
            WebhookDelivery.id == delivery_id, WebhookDelivery.scope == principal.scope).with_for_update())
        if row is None:
            raise NotFound(f"推送记录 {delivery_id} 不存在", code="webhook_delivery_not_found")
        if row.status != "failed":
            raise Conflict(f"推送记录 {delivery_id} 状态为 {row.status}，只有发送失败的记录可以重发",
                           code="webhook_delivery_not_failed")
        before = {"status": row.status, "attempts": row.attempts, "last_error": row.last_error}
        row.status, row.attempts, row.next_attempt_at = "pending", 0, func.now()
        await record_audit(session, principal, "webhook.delivery.retried", "webhook_delivery", str(row.id),
                           before=before, after={"status": "pending"})
    state = request.app.state
    await kick({"sessionmaker": state.sessionmaker, "settings": state.settings})()
    await session.refresh(row)
    return DeliveryOut.model_validate(row)
