"""Targets: draft, submit, approve, publish, read."""
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy import func, or_, select

from bihuan_planning.api.schemas import TargetDraftIn, TargetOut, TargetPage, TransitionIn
from bihuan_planning.domain.lifecycle import TargetStatus, TransitionRefused, next_status
from bihuan_planning.domain.milestones import PlannedMilestone, check_milestones
from bihuan_planning.store.models import Milestone, Target, TargetTransition
from bihuan_planning.store.snapshots import published_event
from bihuan_shared.audit import record_audit
from bihuan_shared.auth import CurrentPrincipal, Principal, Role, require_roles
from bihuan_shared.messaging.outbox import record_event
from bihuan_shared.web.deps import SessionDep
from bihuan_shared.web.errors import Conflict, Invalid, NotFound

router = APIRouter(prefix="/targets", tags=["targets"])

TargetOffice = Annotated[Principal, Depends(require_roles(Role.TARGET_OFFICE))]


@router.post("", status_code=201)
async def create_target(body: TargetDraftIn, principal: TargetOffice, session: SessionDep) -> TargetOut:
    """Create a draft target with its milestones."""
    principal.require_scope(body.scope)
    _check(body)
    target = Target(
        scope=body.scope, year=body.year, book_id=f"{body.scope}-{body.year}", code=body.code, title=body.title,
        content=body.content, area=body.area, parent_id=body.parent_id, category=body.category, source=body.source,
        lead_unit=body.lead_unit, responsible_units=body.responsible_units, cooperating_units=body.cooperating_units,
        leader=body.leader, weight=body.weight, indicator=body.indicator.model_dump(), status=TargetStatus.DRAFT,
        created_by=principal.user,
        milestones=[Milestone(seq=i + 1, **m.model_dump()) for i, m in enumerate(body.milestones)],
    )
    async with session.begin():
        exists = await session.scalar(select(Target.id).where(
            Target.scope == body.scope, Target.year == body.year, Target.code == body.code))
        if exists:
            raise Conflict(f"目标编号 {body.code} 在 {body.year} 年度已存在", code="target_code_taken")
        session.add(target)
        await session.flush()
        await record_audit(session, principal, "target.created", "target", target.id,
                           after=body.model_dump(mode="json"))
    return TargetOut.model_validate(target)


def _check(body: TargetDraftIn) -> None:
    ind = body.indicator
    problems = check_milestones(
        body.year, [PlannedMilestone(m.due_date, m.expected_value, m.deliverable) for m in body.milestones],
        quantitative=ind.kind == "quantitative", direction=ind.direction, target_value=ind.target_value,
    )
    if problems:
        details = [{"field": p.field if p.index is None else f"milestones.{p.index}.{p.field}", "message": p.message}
                   for p in problems]
        raise Invalid("节点目标校验失败", code="milestones_invalid", details=details)


@router.get("/{target_id}")
async def get_target(target_id: str, principal: CurrentPrincipal, session: SessionDep) -> TargetOut:
    """One target with its milestones."""
    target = await _load(session, target_id)
    principal.require_scope(target.scope)
    return TargetOut.model_validate(target)


@router.get("")
async def list_targets(
    principal: CurrentPrincipal, session: SessionDep, scope: str, year: int | None = None,
    unit: str | None = None, leader: str | None = None, category: str | None = None,
    status: str | None = None, q: str | None = Query(default=None, max_length=100),
    page: int = Query(default=1, ge=1), size: int = Query(default=50, ge=1, le=500),
) -> TargetPage:
    """Targets of a scope, filtered by unit (lead, responsible or cooperating), leader, category, status, text."""
    principal.require_scope(scope)
    where = [Target.scope == scope]
    if year is not None:
        where.append(Target.year == year)
    if unit:
        where.append(or_(Target.lead_unit == unit, Target.responsible_units.any(unit),
                         Target.cooperating_units.any(unit)))
    if leader:
        where.append(Target.leader == leader)
    if category:
        where.append(Target.category == category)
    if status:
        where.append(Target.status == status)
    if q:
        where.append(Target.title.ilike(f"%{q}%"))
    total = await session.scalar(select(func.count()).select_from(Target).where(*where))
    rows = await session.scalars(select(Target).where(*where).order_by(Target.code).offset((page - 1) * size).limit(size))
    return TargetPage(items=[TargetOut.model_validate(t) for t in rows], total=total or 0, page=page, size=size)


@router.post("/{target_id}/{action}")
async def transition(target_id: str, action: str, body: TransitionIn, principal: TargetOffice,
                     session: SessionDep) -> TargetOut:
    """Move a target through its lifecycle: submit, approve, reject or publish."""
    if action not in ("submit", "approve", "reject", "publish"):
        raise NotFound(f"未知操作 {action}", code="unknown_action")
    async with session.begin():
        target = await _load(session, target_id, for_update=True)
        principal.require_scope(target.scope)
        before = target.status
        try:
            target.status = next_status(TargetStatus(before), action)
        except TransitionRefused as exc:
            raise Conflict(str(exc), code="transition_refused") from None
        session.add(TargetTransition(target_id=target.id, action=action, from_status=before, to_status=target.status,
                                     actor=principal.user, comment=body.comment))
        if target.status == TargetStatus.PUBLISHED:
            target.event_seq += 1
            await record_event(session, published_event(target))
        await record_audit(session, principal, f"target.{action}", "target", target.id,
                           before={"status": before}, after={"status": target.status}, note=body.comment)
    return TargetOut.model_validate(target)


async def _load(session, target_id: str, for_update: bool = False) -> Target:
    stmt = select(Target).where(Target.id == target_id)
    if for_update:
        stmt = stmt.with_for_update()
    target = await session.scalar(stmt)
    if target is None:
        raise NotFound(f"目标 {target_id} 不存在", code="target_not_found")
    return target
