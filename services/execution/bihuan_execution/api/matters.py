"""Important-matter reports (重要事项报告): a unit raises a blocker to its leader or to other units; it stays open
until one of them answers."""
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import any_, or_, select

from bihuan_execution.api.access import OVERSIGHT, Reader, Reporter, load_milestone, load_target, settings_of
from bihuan_execution.clock import now
from bihuan_execution.store.models import Matter
from bihuan_shared.audit import record_audit
from bihuan_shared.auth import Principal, Role, require_roles
from bihuan_shared.contracts.execution import MatterAnswered, MatterRaised
from bihuan_shared.events import new_event
from bihuan_shared.messaging.outbox import record_events
from bihuan_shared.web.deps import SessionDep
from bihuan_shared.web.errors import Conflict, Forbidden, Invalid, NotFound

router = APIRouter(tags=["matters"])
Answerer = Annotated[Principal, Depends(require_roles(Role.LEADER, Role.UNIT_REPORTER))]


class MatterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=300)
    content: str = Field(min_length=1, max_length=20000)
    target_id: str | None = None
    milestone_id: str | None = None
    to_leader: str | None = Field(default=None, max_length=64, description="the leader in charge asked to decide")
    to_units: list[str] = Field(default=[], max_length=50, description="units asked to act")

    @model_validator(mode="after")
    def addressed(self) -> "MatterIn":
        if not self.to_leader and not self.to_units:
            raise ValueError("to_leader 或 to_units 至少填写一项")
        if self.milestone_id and not self.target_id:
            raise ValueError("填写 milestone_id 时须同时填写 target_id")
        return self


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answer: str = Field(min_length=1, max_length=20000)


class MatterOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    scope: str
    target_id: str | None
    milestone_id: str | None
    unit: str
    title: str
    content: str
    to_leader: str | None
    to_units: list[str]
    status: str
    raised_by: str
    raised_at: datetime
    answer: str | None
    answered_by: str | None
    answered_by_unit: str | None
    answered_at: datetime | None


@router.post("/matters", status_code=201)
async def raise_matter(body: MatterIn, principal: Reporter, session: SessionDep, request: Request) -> MatterOut:
    """A unit raises an important matter, optionally about one of its targets or milestones."""
    async with session.begin():
        scope = principal.scope
        if body.target_id:
            target = await load_target(session, principal, body.target_id)
            if principal.unit not in {target.lead_unit, *target.responsible_units, *target.cooperating_units}:
                raise Forbidden("只能就本单位参与的目标报告重要事项", code="unit_forbidden")
            if body.milestone_id:
                await load_milestone(session, body.target_id, body.milestone_id)
            scope = target.scope
        matter = Matter(scope=scope, unit=principal.unit, raised_by=principal.user, status="open", event_seq=1,
                        raised_at=now(settings_of(request)), **body.model_dump())
        session.add(matter)
        await session.flush()
        await record_events(session, [new_event(MatterRaised(
            matter_id=matter.id, target_id=matter.target_id, milestone_id=matter.milestone_id, unit=matter.unit,
            title=matter.title, to_leader=matter.to_leader, to_units=matter.to_units, raised_by=matter.raised_by,
            raised_at=matter.raised_at), scope=scope, aggregate_id=matter.id, sequence=1)])
        await record_audit(session, principal, "matter.raised", "matter", matter.id, after=body.model_dump(mode="json"))
    return MatterOut.model_validate(matter)


@router.get("/matters")
async def list_matters(principal: Reader, session: SessionDep, scope: str | None = None,
                       status: Literal["open", "answered"] | None = None, to_leader: str | None = None,
                       unit: Annotated[str | None, Query(description="raised by or addressed to this unit")] = None,
                       target_id: str | None = None) -> list[MatterOut]:
    """Matters of a scope, newest first. A unit sees those it raised or that are addressed to it."""
    scope = scope or principal.scope
    principal.require_read_scope(scope)
    if not principal.has(*OVERSIGHT):
        unit = principal.unit
    query = select(Matter).where(Matter.scope == scope).order_by(Matter.raised_at.desc()).limit(500)
    if unit:
        query = query.where(or_(Matter.unit == unit, any_(Matter.to_units) == unit))
    for column, value in ((Matter.status, status), (Matter.to_leader, to_leader), (Matter.target_id, target_id)):
        if value:
            query = query.where(column == value)
    return [MatterOut.model_validate(m) for m in await session.scalars(query)]


@router.post("/matters/{matter_id}/answer")
async def answer_matter(matter_id: str, body: AnswerIn, principal: Answerer, session: SessionDep,
                        request: Request) -> MatterOut:
    """The addressed leader, or a reporter of an addressed unit, answers; the matter closes."""
    async with session.begin():
        matter = await session.get(Matter, matter_id, with_for_update=True)
        if matter is None:
            raise NotFound(f"重要事项 {matter_id} 不存在", code="matter_not_found")
        principal.require_scope(matter.scope)
        if not _addressed_to(principal, matter):
            raise Forbidden("该重要事项不是报给您或本单位的", code="not_addressee")
        if matter.status != "open":
            raise Conflict("该重要事项已答复", code="matter_already_answered")
        matter.status, matter.answer, matter.answered_by = "answered", body.answer, principal.user
        matter.answered_by_unit, matter.answered_at = principal.unit, now(settings_of(request))
        matter.event_seq += 1
        await record_events(session, [new_event(MatterAnswered(
            matter_id=matter.id, target_id=matter.target_id, unit=matter.unit, answer=matter.answer,
            answered_by=matter.answered_by, answered_by_unit=matter.answered_by_unit, answered_at=matter.answered_at,
        ), scope=matter.scope, aggregate_id=matter.id, sequence=matter.event_seq)])
        await record_audit(session, principal, "matter.answered", "matter", matter.id, after=body.model_dump())
    return MatterOut.model_validate(matter)


def _addressed_to(principal: Principal, matter: Matter) -> bool:
    if principal.has(Role.LEADER) and matter.to_leader in (principal.user, principal.unit):
        return True
    return principal.has(Role.UNIT_REPORTER) and principal.unit in matter.to_units
