"""Contributions (配合单位报送): a cooperating unit reports its share to the lead unit. A contribution never
completes the lead unit's milestone; it may deliver a cooperation request the lead unit made."""
from fastapi import APIRouter, Request
from sqlalchemy import select

from bihuan_execution.api.access import load_milestone, load_target, may_read_target, require_reporter, today_of
from bihuan_execution.api.progress import contribution_out, evidence_by_owner
from bihuan_execution.api.schemas import ContributionIn, ContributionOut
from bihuan_execution.clock import now
from bihuan_execution.evidence.attach import attach
from bihuan_execution.store.models import Contribution, CooperationRequest
from bihuan_shared.audit import record_audit
from bihuan_shared.auth import CurrentPrincipal
from bihuan_shared.contracts.execution import CooperationDelivered
from bihuan_shared.events import new_event
from bihuan_shared.messaging.outbox import record_events
from bihuan_shared.web.deps import SessionDep
from bihuan_shared.web.errors import Conflict, Forbidden, Invalid

router = APIRouter(tags=["contributions"])


@router.post("/targets/{target_id}/contributions", status_code=201)
async def report_contribution(target_id: str, body: ContributionIn, principal: CurrentPrincipal,
                              session: SessionDep, request: Request) -> ContributionOut:
    """A cooperating unit reports its contribution to the target's lead unit."""
    require_reporter(principal)
    async with session.begin():
        target = await load_target(session, principal, target_id, open_only=True)
        if principal.unit not in target.cooperating_units:
            raise Forbidden("只有该目标的配合单位可以报送配合情况", code="not_cooperating_unit")
        if body.milestone_id:
            await load_milestone(session, target_id, body.milestone_id)
        contribution = Contribution(target_id=target_id, milestone_id=body.milestone_id, unit=principal.unit,
                                    lead_unit=target.lead_unit, request_id=body.request_id, value=body.value,
                                    narrative=body.narrative, reported_by=principal.user,
                                    reported_at=now(request.app.state.settings))
        session.add(contribution)
        await session.flush()
        if body.request_id:
            await _deliver(session, principal, body.request_id, target_id, contribution.id, request)
        evidence = await attach(session, principal, body.evidence_ids, contribution_id=contribution.id)
        await record_audit(session, principal, "contribution.reported", "target", target_id,
                           after=dict(body.model_dump(mode="json"), contribution_id=contribution.id))
    return contribution_out(contribution, evidence)


@router.get("/targets/{target_id}/contributions")
async def list_contributions(target_id: str, principal: CurrentPrincipal, session: SessionDep) -> list[ContributionOut]:
    """What the cooperating units contributed to a target, newest first."""
    target = await load_target(session, principal, target_id, read=True)
    if not may_read_target(principal, target):
        raise Forbidden("无权查看其他单位的目标进展", code="unit_forbidden")
    rows = list(await session.scalars(select(Contribution).where(Contribution.target_id == target_id)
                                      .order_by(Contribution.reported_at.desc())))
    files = await evidence_by_owner(session, [], [c.id for c in rows])
    return [contribution_out(c, files.get(c.id, [])) for c in rows]


async def _deliver(session, principal, request_id: str, target_id: str, contribution_id: str, request: Request) -> None:
    req = await session.get(CooperationRequest, request_id, with_for_update=True)
    if req is None or req.target_id != target_id or req.cooperating_unit != principal.unit:
        raise Invalid(f"配合请求 {request_id} 不存在或不是发给本单位的", code="cooperation_request_invalid",
                      details=[{"field": "body.request_id", "message": "配合请求无效"}])
    if req.status != "confirmed":
        raise Conflict(f"配合请求当前状态为 {req.status}，须先确认后交付", code="cooperation_not_confirmed")
    day = today_of(request)
    req.status, req.contribution_id, req.delivered_at = "delivered", contribution_id, now(request.app.state.settings)
    req.event_seq += 1
    await record_events(session, [new_event(CooperationDelivered(
        request_id=req.id, target_id=target_id, lead_unit=req.lead_unit, cooperating_unit=req.cooperating_unit,
        contribution_id=contribution_id, delivered_at=req.delivered_at,
        on_time=None if req.due_date is None else day <= req.due_date,
    ), scope=req.scope, aggregate_id=req.id, sequence=req.event_seq)])
