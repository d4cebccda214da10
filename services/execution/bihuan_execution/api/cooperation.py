"""Cooperation (配合): the lead unit asks a cooperating unit for a contribution, the cooperating unit confirms and
delivers (a contribution naming the request), and the lead unit rates it 0-100 (牵头单位对配合单位拥有考核权)."""
from datetime import date, datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import or_, select

from bihuan_execution.api.access import OVERSIGHT, Reader, Reporter, load_milestone, load_target, settings_of, \
    today_of
from bihuan_execution.clock import now
from bihuan_execution.domain.cooperation import CONFIRMED, RATED, REQUESTED, may_rate
from bihuan_execution.store.models import CooperationRequest
from bihuan_shared.audit import record_audit
from bihuan_shared.contracts.execution import CooperationConfirmed, CooperationRated, CooperationRequested
from bihuan_shared.events import new_event
from bihuan_shared.messaging.outbox import record_events
from bihuan_shared.web.deps import SessionDep
from bihuan_shared.web.errors import Conflict, Forbidden, Invalid, NotFound

router = APIRouter(tags=["cooperation"])


class RequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cooperating_unit: str = Field(min_length=1, max_length=64)
    description: str = Field(min_length=1, max_length=10000)
    milestone_id: str | None = None
    due_date: date | None = None


class RatingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rating: float = Field(ge=0, le=100)
    comment: str = Field(default="", max_length=5000)


class RequestOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    scope: str
    target_id: str
    milestone_id: str | None
    lead_unit: str
    cooperating_unit: str
    description: str
    due_date: date | None
    status: str
    requested_by: str
    requested_at: datetime
    confirmed_at: datetime | None
    contribution_id: str | None
    delivered_at: datetime | None
    rating: float | None
    rating_comment: str | None
    rated_by: str | None
    rated_at: datetime | None


@router.post("/targets/{target_id}/cooperation-requests", status_code=201)
async def request_cooperation(target_id: str, body: RequestIn, principal: Reporter, session: SessionDep,
                              request: Request) -> RequestOut:
    """The lead unit asks one of the target's cooperating units for a contribution."""
    async with session.begin():
        target = await load_target(session, principal, target_id, open_only=True)
        principal.require_unit(target.lead_unit, oversight=())
        if body.cooperating_unit not in target.cooperating_units:
            raise Invalid(f"{body.cooperating_unit} 不是该目标的配合单位", code="not_cooperating_unit",
                          details=[{"field": "body.cooperating_unit", "message": "须为目标的配合单位"}])
        if body.milestone_id:
            await load_milestone(session, target_id, body.milestone_id)
        req = CooperationRequest(scope=target.scope, target_id=target_id, lead_unit=target.lead_unit,
                                 status=REQUESTED, requested_by=principal.user, requested_at=now(settings_of(request)),
                                 event_seq=1, **body.model_dump())
        session.add(req)
        await session.flush()
        await record_events(session, [new_event(CooperationRequested(
            request_id=req.id, target_id=target_id, milestone_id=req.milestone_id, lead_unit=req.lead_unit,
            cooperating_unit=req.cooperating_unit, description=req.description, due_date=req.due_date,
            requested_by=req.requested_by, requested_at=req.requested_at), scope=req.scope, aggregate_id=req.id,
            sequence=1)])
        await record_audit(session, principal, "cooperation.requested", "cooperation_request", req.id,
                           after=body.model_dump(mode="json"))
    return RequestOut.model_validate(req)


@router.get("/cooperation-requests")
async def list_requests(principal: Reader, session: SessionDep, scope: str | None = None,
                        target_id: str | None = None, status: str | None = None) -> list[RequestOut]:
    """Requests of a scope, newest first; a unit sees those it made or received."""
    scope = scope or principal.scope
    principal.require_read_scope(scope)
    query = select(CooperationRequest).where(CooperationRequest.scope == scope)
    if not principal.has(*OVERSIGHT):
        query = query.where(or_(CooperationRequest.lead_unit == principal.unit,
                                CooperationRequest.cooperating_unit == principal.unit))
    for column, value in ((CooperationRequest.target_id, target_id), (CooperationRequest.status, status)):
        if value:
            query = query.where(column == value)
    rows = await session.scalars(query.order_by(CooperationRequest.requested_at.desc()).limit(500))
    return [RequestOut.model_validate(r) for r in rows]


@router.post("/cooperation-requests/{request_id}/confirm")
async def confirm_request(request_id: str, principal: Reporter, session: SessionDep, request: Request) -> RequestOut:
    """The cooperating unit accepts the request (then delivers with POST /targets/{id}/contributions)."""
    async with session.begin():
        req = await _load(session, principal, request_id)
        principal.require_unit(req.cooperating_unit, oversight=())
        if req.status != REQUESTED:
            raise Conflict(f"配合请求当前状态为 {req.status}，不能确认", code="cooperation_not_requested")
        req.status, req.confirmed_by, req.confirmed_at = CONFIRMED, principal.user, now(settings_of(request))
        req.event_seq += 1
        await record_events(session, [new_event(CooperationConfirmed(
            request_id=req.id, target_id=req.target_id, lead_unit=req.lead_unit, cooperating_unit=req.cooperating_unit,
            confirmed_by=req.confirmed_by, confirmed_at=req.confirmed_at), scope=req.scope, aggregate_id=req.id,
            sequence=req.event_seq)])
        await record_audit(session, principal, "cooperation.confirmed", "cooperation_request", req.id)
    return RequestOut.model_validate(req)


@router.post("/cooperation-requests/{request_id}/rating")
async def rate_cooperation(request_id: str, body: RatingIn, principal: Reporter, session: SessionDep,
                           request: Request) -> RequestOut:
    """The lead unit rates the cooperating unit's contribution, once (an input to assessment)."""
    async with session.begin():
        req = await _load(session, principal, request_id)
        principal.require_unit(req.lead_unit, oversight=())
        if req.status == RATED:
            raise Conflict("该配合请求已评价", code="cooperation_already_rated")
        if not may_rate(req.status, req.due_date, today_of(request)):
            raise Conflict("配合单位尚未交付，且未过约定期限，暂不能评价", code="cooperation_not_delivered")
        req.status, req.rating, req.rating_comment = RATED, body.rating, body.comment
        req.rated_by, req.rated_at = principal.user, now(settings_of(request))
        req.event_seq += 1
        await record_events(session, [new_event(CooperationRated(
            request_id=req.id, target_id=req.target_id, lead_unit=req.lead_unit, cooperating_unit=req.cooperating_unit,
            rating=body.rating, comment=body.comment, rated_by=req.rated_by, rated_at=req.rated_at),
            scope=req.scope, aggregate_id=req.id, sequence=req.event_seq)])
        await record_audit(session, principal, "cooperation.rated", "cooperation_request", req.id,
                           after=body.model_dump())
    return RequestOut.model_validate(req)


async def _load(session, principal, request_id: str) -> CooperationRequest:
    req = await session.get(CooperationRequest, request_id, with_for_update=True)
    if req is None:
        raise NotFound(f"配合请求 {request_id} 不存在", code="cooperation_request_not_found")
    principal.require_scope(req.scope)
    if principal.unit not in (req.lead_unit, req.cooperating_unit):
        raise Forbidden("无权操作其他单位的配合请求", code="unit_forbidden")
    return req
