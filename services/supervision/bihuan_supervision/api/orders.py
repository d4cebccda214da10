"""Supervision orders (督办单): the office issues, the unit replies with progress and evidence, the office accepts
or sends back; overdue orders escalate to the leader (worker clock). The whole trail is returned with the order."""
import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import select

from bihuan_shared.audit import record_audit
from bihuan_shared.auth import Principal, Role, require_roles
from bihuan_shared.contracts.supervision import (SupervisionOrderAccepted, SupervisionOrderIssued,
                                                 SupervisionOrderReplied, SupervisionOrderSentBack)
from bihuan_shared.web.deps import SessionDep
from bihuan_shared.web.errors import Forbidden, Invalid, NotFound
from bihuan_supervision.api.order_models import IssueIn, OrderOut, ReplyIn, ReviewIn
from bihuan_supervision.domain.orders import next_status
from bihuan_supervision.store.order_subjects import resolve_subject
from bihuan_supervision.store.order_tables import SupervisionOrder
from bihuan_supervision.store.orders import emit, step
from bihuan_supervision.store.warnings import today

router = APIRouter(prefix="/orders", tags=["orders"])

Supervisor = Annotated[Principal, Depends(require_roles(Role.SUPERVISOR))]
Reporter = Annotated[Principal, Depends(require_roles(Role.UNIT_REPORTER))]
READERS = (Role.SUPERVISOR, Role.TARGET_OFFICE)
OrderReader = Annotated[Principal, Depends(require_roles(*READERS, Role.LEADER, Role.UNIT_REPORTER))]


@router.post("", status_code=201)
async def issue(body: IssueIn, request: Request, principal: Supervisor, session: SessionDep) -> OrderOut:
    """Issue an order to a unit about a target, milestone, matter or hotline spike."""
    scope, after = principal.scope, []
    if body.reply_by < today():
        raise Invalid("回复期限不能早于今天", code="reply_by_past", details=[{"field": "reply_by", "message": "已过期"}])
    async with session.begin():
        leader = await resolve_subject(session, scope, body)
        order = SupervisionOrder(id=uuid.uuid4().hex, scope=scope, unit=body.unit, leader=leader,
                                 subject_kind=body.subject_kind, target_id=body.target_id,
                                 milestone_id=body.milestone_id, matter_id=body.matter_id,
                                 warning_id=body.warning_id, title=body.title,
                                 requirement=body.requirement, reply_by=body.reply_by, status="issued",
                                 escalated=False, sequence=0, issued_by=principal.user, issued_at=datetime.now(UTC))
        session.add(order)
        session.add(step(order, "issued", principal.user, note=body.requirement))
        await emit(session, order, SupervisionOrderIssued(
            order_id=order.id, unit=order.unit, leader=leader, subject_kind=body.subject_kind,
            target_id=body.target_id, milestone_id=body.milestone_id, warning_id=body.warning_id,
            matter_id=body.matter_id, title=body.title, reply_by=body.reply_by, issued_by=principal.user,
            issued_at=order.issued_at), _resources(request), after)
        await record_audit(session, principal, "order.issued", "supervision_order", order.id,
                           after=body.model_dump(mode="json"))
    await _run(after)
    return await _out(session, order.id)


@router.post("/{order_id}/replies")
async def reply(order_id: str, body: ReplyIn, request: Request, principal: Reporter, session: SessionDep) -> OrderOut:
    """The unit's reply: its progress and evidence (file ids or links)."""
    after = []
    async with session.begin():
        order = await _locked(session, principal, order_id)
        principal.require_unit(order.unit, oversight=())
        order.status = next_status(order.status, "reply")
        session.add(step(order, "replied", principal.user, progress=body.progress, evidence=body.evidence))
        now = datetime.now(UTC)
        await emit(session, order, SupervisionOrderReplied(
            order_id=order.id, unit=order.unit, progress=body.progress, evidence=body.evidence,
            replied_by=principal.user, replied_at=now, on_time=today() <= order.reply_by), _resources(request), after)
        await record_audit(session, principal, "order.replied", "supervision_order", order.id,
                           after=body.model_dump(mode="json"))
    await _run(after)
    return await _out(session, order_id)


@router.post("/{order_id}/accept")
async def accept(order_id: str, body: ReviewIn, request: Request, principal: Supervisor,
                 session: SessionDep) -> OrderOut:
    """Accept the unit's reply: the order is closed."""
    after = []
    async with session.begin():
        order = await _locked(session, principal, order_id)
        order.status = next_status(order.status, "accept")
        replied = [s for s in order.trail if s.action == "replied"]
        on_time = bool(replied) and replied[-1].at.astimezone(UTC).date() <= order.reply_by
        session.add(step(order, "accepted", principal.user, note=body.note))
        await emit(session, order, SupervisionOrderAccepted(
            order_id=order.id, unit=order.unit, accepted_by=principal.user, accepted_at=datetime.now(UTC),
            replied_on_time=on_time, escalated=order.escalated), _resources(request), after)
        await record_audit(session, principal, "order.accepted", "supervision_order", order.id,
                           after={"note": body.note})
    await _run(after)
    return await _out(session, order_id)


@router.post("/{order_id}/send-back")
async def send_back(order_id: str, body: ReviewIn, request: Request, principal: Supervisor,
                    session: SessionDep) -> OrderOut:
    """Send the reply back with the reason; optionally a new reply deadline."""
    if not body.note:
        raise Invalid("退回须说明理由", code="reason_required", details=[{"field": "note", "message": "必填"}])
    if body.reply_by is not None and body.reply_by < today():
        raise Invalid("回复期限不能早于今天", code="reply_by_past", details=[{"field": "reply_by", "message": "已过期"}])
    after = []
    async with session.begin():
        order = await _locked(session, principal, order_id)
        order.status = next_status(order.status, "send_back")
        order.reply_by = body.reply_by or order.reply_by
        session.add(step(order, "sent_back", principal.user, note=body.note))
        await emit(session, order, SupervisionOrderSentBack(
            order_id=order.id, unit=order.unit, reason=body.note, reply_by=order.reply_by,
            sent_back_by=principal.user, sent_back_at=datetime.now(UTC)), _resources(request), after)
        await record_audit(session, principal, "order.sent_back", "supervision_order", order.id,
                           after=body.model_dump(mode="json"))
    await _run(after)
    return await _out(session, order_id)


@router.get("")
async def list_orders(principal: OrderReader, session: SessionDep,
                      status: Annotated[str | None, Query(max_length=16)] = None,
                      escalated: bool | None = None) -> list[OrderOut]:
    """Orders the caller may see: the office all of its scope, a leader hers, a unit its own."""
    query = select(SupervisionOrder).where(SupervisionOrder.scope == principal.scope).order_by(
        SupervisionOrder.issued_at.desc()).limit(500)
    if status:
        query = query.where(SupervisionOrder.status == status)
    if escalated is not None:
        query = query.where(SupervisionOrder.escalated == escalated)
    query = _visible(query, principal)
    return [OrderOut.model_validate(o) for o in (await session.scalars(query)).all()]


@router.get("/{order_id}")
async def get_order(order_id: str, principal: OrderReader, session: SessionDep) -> OrderOut:
    """One order with its full trail."""
    order = await session.get(SupervisionOrder, order_id)
    if order is None or order.scope != principal.scope:
        raise NotFound(f"督办单 {order_id} 不存在", code="order_not_found")
    if not principal.has(*READERS) and not (principal.has(Role.LEADER) and order.leader == principal.user):
        principal.require_unit(order.unit, oversight=())
    return OrderOut.model_validate(order)


def _visible(query, principal: Principal):
    if principal.has(*READERS):
        return query
    if principal.has(Role.LEADER):
        return query.where(SupervisionOrder.leader == principal.user)
    if principal.unit:
        return query.where(SupervisionOrder.unit == principal.unit)
    raise Forbidden("填报员身份须属于某个单位", code="unit_required")


async def _locked(session: SessionDep, principal: Principal, order_id: str) -> SupervisionOrder:
    order = await session.get(SupervisionOrder, order_id, with_for_update=True)
    if order is None or order.scope != principal.scope:
        raise NotFound(f"督办单 {order_id} 不存在", code="order_not_found")
    return order


async def _out(session: SessionDep, order_id: str) -> OrderOut:
    session.expunge_all()
    return OrderOut.model_validate(await session.get(SupervisionOrder, order_id))


def _resources(request: Request) -> dict:
    s = request.app.state
    return {"redis": s.redis, "settings": s.settings, "sessionmaker": s.sessionmaker}


async def _run(after: list) -> None:
    for action in after:
        try:
            await action()
        except Exception:  # webhook / dashboard are courtesies after commit
            import logging

            logging.getLogger(__name__).exception("after-commit action failed")
