"""Adjustments (动态调整): after publication a target is added, changed or cancelled only through a request with a
reason that the target office approves. Each approval makes a new version and tells the other services."""
from datetime import UTC, datetime

from fastapi import APIRouter
from sqlalchemy import or_, select

from bihuan_planning.api.adjustment_schemas import AdditionIn, AdjustmentIn, AdjustmentOut, DecisionIn
from bihuan_planning.api.deps import TargetOffice
from bihuan_planning.api.schemas import TargetDraftIn
from bihuan_planning.api.targets import add_target, check_changed_target, check_target, load
from bihuan_planning.application import city_tasks
from bihuan_planning.domain.lifecycle import TargetStatus
from bihuan_planning.store.models import Adjustment, Target
from bihuan_planning.store.snapshots import adjusted_event, cancelled_event, published_event
from bihuan_planning.store.targets_repo import apply, check_references, history, state
from bihuan_shared.audit import record_audit
from bihuan_shared.auth import CurrentPrincipal, Principal, Role
from bihuan_shared.messaging.outbox import record_event
from bihuan_shared.web.deps import SessionDep
from bihuan_shared.web.errors import Conflict, Forbidden, NotFound

router = APIRouter(tags=["adjustments"])
OVERSIGHT = (Role.TARGET_OFFICE, Role.LEADER, Role.SUPERVISOR, Role.ASSESSOR)


@router.post("/targets/{target_id}/adjustments", status_code=201)
async def request_adjustment(target_id: str, body: AdjustmentIn, principal: CurrentPrincipal,
                             session: SessionDep) -> AdjustmentOut:
    """Ask to change or cancel a published target (target office, or the lead unit's reporter)."""
    async with session.begin():
        target = await load(session, target_id, for_update=True)
        _may_request(principal, target.scope, target.lead_unit)
        if target.status != TargetStatus.PUBLISHED:
            raise Conflict("只有已发布的目标需要动态调整；草稿可直接修改", code="target_not_published")
        if await session.scalar(select(Adjustment.id).where(Adjustment.target_id == target_id,
                                                            Adjustment.status == "pending")):
            raise Conflict("该目标已有待审批的调整申请", code="adjustment_pending")
        if body.kind == "cancel" and target.origin_target_id:
            raise Conflict("市级交办目标不能由区撤销；如需调整任务量或节点，请提交调整申请，由市目标办审批",
                           code="city_task_not_cancellable")
        proposal = {}
        if body.kind == "change":
            proposal = body.changes.values()
            check_changed_target(target, proposal)
            await check_references(session, target.scope, target.year, proposal)
        adjustment = Adjustment(scope=target.scope, year=target.year, kind=body.kind, target_id=target.id,
                                reason=body.reason, proposal=proposal, status="pending", requested_by=principal.user)
        session.add(adjustment)
        await session.flush()
        session.add(history(target, "adjustment_requested", principal.user, reason=body.reason,
                            adjustment_id=adjustment.id,
                            changes=[{"field": k, "before": state(target).get(k), "after": v} for k, v in proposal.items()]))
        await record_audit(session, principal, f"adjustment.requested.{body.kind}", "adjustment", adjustment.id,
                           after=body.model_dump(mode="json"))
        return AdjustmentOut.model_validate(adjustment)


@router.post("/adjustments", status_code=201)
async def request_addition(body: AdditionIn, principal: CurrentPrincipal, session: SessionDep) -> AdjustmentOut:
    """Ask to add a target to a book mid-year."""
    t = body.target
    _may_request(principal, t.scope, t.lead_unit)
    check_target(t.year, t.model_dump(mode="json"))
    async with session.begin():
        await check_references(session, t.scope, t.year, t.model_dump(mode="json"))
        adjustment = Adjustment(scope=t.scope, year=t.year, kind="add", reason=body.reason,
                                proposal={"target": t.model_dump(mode="json")}, status="pending",
                                requested_by=principal.user)
        session.add(adjustment)
        await session.flush()
        await record_audit(session, principal, "adjustment.requested.add", "adjustment", adjustment.id,
                           after=body.model_dump(mode="json"))
        return AdjustmentOut.model_validate(adjustment)


@router.post("/adjustments/{adjustment_id}/approve")
async def approve(adjustment_id: str, body: DecisionIn, principal: TargetOffice, session: SessionDep) -> AdjustmentOut:
    """Approve: the target gets a new version (or is added / cancelled) and the event goes out."""
    async with session.begin():
        adjustment = await _pending(session, principal, adjustment_id)
        if adjustment.kind == "add":
            target = await _add(session, adjustment, principal)
        else:
            target = await load(session, adjustment.target_id, for_update=True)
            if target.status != TargetStatus.PUBLISHED:
                raise Conflict("目标已不在发布状态，不能再调整", code="target_not_published")
            await (_change if adjustment.kind == "change" else _cancel)(session, target, adjustment, principal)
            await city_tasks.after_linked_change(session, target)
            await city_tasks.cascade(session, target, adjustment.id, adjustment.reason, principal.user)
        _decide(adjustment, "approved", principal, body)
        adjustment.resulting_version = target.version
        await record_audit(session, principal, "adjustment.approved", "adjustment", adjustment.id,
                           after={"target_id": target.id, "version": target.version}, note=body.comment)
        return AdjustmentOut.model_validate(adjustment)


@router.post("/adjustments/{adjustment_id}/reject")
async def reject(adjustment_id: str, body: DecisionIn, principal: TargetOffice, session: SessionDep) -> AdjustmentOut:
    """Reject: nothing changes on the target; the decision is kept in its history."""
    async with session.begin():
        adjustment = await _pending(session, principal, adjustment_id)
        _decide(adjustment, "rejected", principal, body)
        if adjustment.target_id:
            target = await load(session, adjustment.target_id)
            session.add(history(target, "adjustment_rejected", principal.user, reason=body.comment,
                                adjustment_id=adjustment.id))
        await record_audit(session, principal, "adjustment.rejected", "adjustment", adjustment.id, note=body.comment)
        return AdjustmentOut.model_validate(adjustment)


@router.get("/adjustments")
async def list_adjustments(scope: str, principal: CurrentPrincipal, session: SessionDep, status: str | None = None,
                           target_id: str | None = None) -> list[AdjustmentOut]:
    """Adjustment requests of a scope, newest first."""
    principal.require_read_scope(scope)  # a city office sees its districts' requests: it decides the city tasks'
    where = [Adjustment.scope == scope]
    if status:
        where.append(Adjustment.status == status)
    if target_id:
        where.append(Adjustment.target_id == target_id)
    if not principal.has(*OVERSIGHT):
        # A unit sees the requests it made and those about targets it leads.
        led = select(Target.id).where(Target.scope == scope, Target.lead_unit == principal.unit)
        where.append(or_(Adjustment.requested_by == principal.user, Adjustment.target_id.in_(led)))
    rows = await session.scalars(select(Adjustment).where(*where).order_by(Adjustment.requested_at.desc()).limit(500))
    return [AdjustmentOut.model_validate(a) for a in rows]


async def _change(session, target: Target, adjustment: Adjustment, principal: Principal) -> None:
    values = dict(adjustment.proposal)
    check_changed_target(target, values)
    changes = apply(target, values)
    target.version += 1
    target.event_seq += 1
    await session.flush()  # new milestones get their ids before they travel in the event
    session.add(history(target, "adjusted", principal.user, reason=adjustment.reason, changes=changes,
                        adjustment_id=adjustment.id))
    await record_event(session, adjusted_event(target, adjustment.id, adjustment.reason))


async def _cancel(session, target: Target, adjustment: Adjustment, principal: Principal) -> None:
    target.status = TargetStatus.CANCELLED
    target.version += 1
    target.event_seq += 1
    session.add(history(target, "cancelled", principal.user, reason=adjustment.reason, adjustment_id=adjustment.id,
                        changes=[{"field": "status", "before": TargetStatus.PUBLISHED, "after": target.status}]))
    await record_event(session, cancelled_event(target, adjustment.id, adjustment.reason))


async def _add(session, adjustment: Adjustment, principal: Principal) -> Target:
    body = TargetDraftIn.model_validate(adjustment.proposal["target"])
    target = await add_target(session, body, adjustment.requested_by, status=TargetStatus.PUBLISHED)
    target.event_seq = 1
    adjustment.target_id = target.id
    session.add(history(target, "added", principal.user, reason=adjustment.reason, adjustment_id=adjustment.id))
    await record_event(session, published_event(target))
    return target


async def _pending(session, principal: Principal, adjustment_id: str) -> Adjustment:
    adjustment = await session.get(Adjustment, adjustment_id, with_for_update=True)
    if adjustment is None:
        raise NotFound(f"调整申请 {adjustment_id} 不存在", code="adjustment_not_found")
    target = await session.get(Target, adjustment.target_id) if adjustment.target_id else None
    principal.require_scope(await city_tasks.deciding_scope(session, target, adjustment.scope))
    if adjustment.status != "pending":
        raise Conflict(f"调整申请已{'批准' if adjustment.status == 'approved' else '退回'}，不能重复审批",
                       code="adjustment_decided")
    return adjustment


def _decide(adjustment: Adjustment, status: str, principal: Principal, body: DecisionIn) -> None:
    adjustment.status, adjustment.decided_by = status, principal.user
    adjustment.decided_at, adjustment.decision_comment = datetime.now(UTC), body.comment


def _may_request(principal: Principal, scope: str, lead_unit: str) -> None:
    principal.require_scope(scope)
    if principal.has(Role.TARGET_OFFICE):
        return
    if not principal.has(Role.UNIT_REPORTER, Role.LEADER):
        raise Forbidden("只有目标办或牵头单位可以申请动态调整", code="role_forbidden")
    principal.require_unit(lead_unit)
