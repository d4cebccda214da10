"""Writing supervision orders: every change adds a trail step and an event (sequence = the order's step number)."""
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bihuan_shared.audit import record_audit
from bihuan_shared.auth import Principal, Role
from bihuan_shared.contracts.supervision import SupervisionOrderEscalated
from bihuan_shared.events import new_event
from bihuan_supervision.domain.orders import AWAITING_REPLY, due_for_escalation
from bihuan_supervision.events.notify import stage_envelopes
from bihuan_supervision.store.order_tables import OrderStep, SupervisionOrder


SYSTEM = Principal(user="system:clock", roles=frozenset({Role.SUPERVISOR}))


def step(order: SupervisionOrder, action: str, actor: str, note: str = "", progress: str | None = None,
         evidence: list | None = None) -> OrderStep:
    order.sequence += 1
    return OrderStep(order_id=order.id, action=action, actor=actor, note=note, progress=progress,
                     evidence=evidence or [], at=datetime.now(UTC))


async def emit(session: AsyncSession, order: SupervisionOrder, payload, resources: dict, after: list) -> None:
    envelope = new_event(payload, scope=order.scope, aggregate_id=f"order:{order.id}", sequence=order.sequence)
    await stage_envelopes(session, order.scope, [envelope], {order.leader}, resources=resources, after=after)


async def escalate_overdue(session: AsyncSession, resources: dict, today: date) -> list:
    """Orders past their reply deadline without a reply go to the leader in charge (once)."""
    after: list = []
    rows = (await session.scalars(select(SupervisionOrder).where(
        SupervisionOrder.status.in_(AWAITING_REPLY), ~SupervisionOrder.escalated, SupervisionOrder.reply_by < today)
        .with_for_update(skip_locked=True))).all()
    for order in rows:
        if not due_for_escalation(order.status, order.escalated, order.reply_by, today):
            continue
        order.escalated = True
        await record_audit(session, SYSTEM, "order.escalated", "supervision_order", order.id,
                           after={"leader": order.leader, "reply_by": order.reply_by.isoformat()})
        session.add(step(order, "escalated", "system", note=f"逾期未回复（应于 {order.reply_by} 前回复），已提交分管领导"))
        await emit(session, order, SupervisionOrderEscalated(order_id=order.id, unit=order.unit, leader=order.leader,
                                                             reply_by=order.reply_by, escalated_at=datetime.now(UTC)),
                   resources, after)
    return after
