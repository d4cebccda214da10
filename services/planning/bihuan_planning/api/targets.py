"""Targets: draft, edit while draft, submit, approve, publish, read, history."""
from datetime import date

from fastapi import APIRouter, Query
from sqlalchemy import select

from bihuan_planning.api.deps import TargetOffice
from bihuan_planning.api.schemas import HistoryEntry, TargetChangesIn, TargetDraftIn, TargetOut, TransitionIn
from bihuan_planning.application import city_tasks
from bihuan_planning.domain.lifecycle import EDITABLE, TargetStatus, TransitionRefused, next_status
from bihuan_planning.domain.milestones import PlannedMilestone, check_milestones
from bihuan_planning.store.models import Milestone, Target, TargetHistory, TargetTransition
from bihuan_planning.store.snapshots import published_event
from bihuan_planning.store.targets_repo import apply, book_id, check_references, ensure_book, history, state
from bihuan_shared.audit import record_audit
from bihuan_shared.auth import CurrentPrincipal, Role
from bihuan_shared.messaging.outbox import record_event
from bihuan_shared.web.deps import SessionDep
from bihuan_shared.web.errors import Conflict, Forbidden, Invalid, NotFound

router = APIRouter(prefix="/targets", tags=["targets"])


@router.post("", status_code=201)
async def create_target(body: TargetDraftIn, principal: TargetOffice, session: SessionDep) -> TargetOut:
    """Create a draft target (or a sub-item, with parent_id) with its milestones."""
    principal.require_scope(body.scope)
    check_target(body.year, body.model_dump(mode="json"))
    async with session.begin():
        target = await add_target(session, body, principal.user)
        await record_audit(session, principal, "target.created", "target", target.id,
                           after=body.model_dump(mode="json"))
    return TargetOut.model_validate(target)


async def add_target(session, body: TargetDraftIn, actor: str, status: str = TargetStatus.DRAFT) -> Target:
    """Insert one target in its book after checking its references; used by create and approved additions."""
    values = body.model_dump(mode="json")
    await check_references(session, body.scope, body.year, values)
    exists = await session.scalar(select(Target.id).where(
        Target.scope == body.scope, Target.year == body.year, Target.code == body.code))
    if exists:
        raise Conflict(f"目标编号 {body.code} 在 {body.year} 年度已存在", code="target_code_taken")
    await ensure_book(session, body.scope, body.year, actor)
    target = Target(
        scope=body.scope, year=body.year, book_id=book_id(body.scope, body.year), code=body.code, title=body.title,
        content=body.content, work_measures=body.work_measures, area=body.area, parent_id=body.parent_id,
        category=body.category, source=body.source, lead_unit=body.lead_unit,
        responsible_units=body.responsible_units, cooperating_units=body.cooperating_units, leader=body.leader,
        weight=body.weight, indicator=body.indicator.model_dump(), status=status, version=1, event_seq=0,
        proposal={"reference": body.proposal_reference} if body.proposal_reference else None, created_by=actor,
        milestones=[Milestone(seq=i + 1, **m.model_dump()) for i, m in enumerate(body.milestones)], assignments=[],
    )
    session.add(target)
    await session.flush()
    session.add(history(target, "created", actor, changes=[{"field": "target", "before": None, "after": state(target)}]))
    return target


def check_target(year: int, values: dict) -> None:
    """Milestone rules of the issue; raises Invalid naming each offending field."""
    ind = values["indicator"]
    problems = check_milestones(
        year, [PlannedMilestone(_date(m["due_date"]), m.get("expected_value"), m.get("deliverable"))
               for m in values["milestones"]],
        quantitative=ind["kind"] == "quantitative", direction=ind.get("direction", "up"),
        target_value=ind.get("target_value"),
    )
    if problems:
        details = [{"field": p.field if p.index is None else f"milestones.{p.index}.{p.field}", "message": p.message}
                   for p in problems]
        raise Invalid("节点目标校验失败", code="milestones_invalid", details=details)


def check_changed_target(target: Target, values: dict) -> None:
    """Re-check milestones after a change; a grouping target (a key task whose sub-items carry the milestones,
    as imported) has none and keeps none unless the change gives it some."""
    if target.milestones or {"milestones", "indicator"} & values.keys():
        check_target(target.year, state(target) | values)


def _date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


@router.patch("/{target_id}")
async def edit_draft(target_id: str, body: TargetChangesIn, principal: TargetOffice, session: SessionDep) -> TargetOut:
    """Edit a draft. A published target changes only through an adjustment (409 here)."""
    async with session.begin():
        target = await load(session, target_id, for_update=True)
        principal.require_scope(target.scope)
        if target.status not in EDITABLE:
            raise Conflict("目标已进入审批或已发布，不能直接修改；已发布的目标请提交动态调整申请",
                           code="target_not_editable")
        values = body.values()
        city_tasks.refuse_locked_edit(target, values)
        check_changed_target(target, values)
        await check_references(session, target.scope, target.year, values)
        changes = apply(target, values)
        session.add(history(target, "edited", principal.user, changes=changes))
        await record_audit(session, principal, "target.edited", "target", target.id, after=changes)
    return TargetOut.model_validate(target)


@router.get("/{target_id}")
async def get_target(target_id: str, principal: CurrentPrincipal, session: SessionDep) -> TargetOut:
    """One target with its milestones."""
    target = await load(session, target_id)
    principal.require_read_scope(target.scope)  # a city office reads its districts' targets (city tasks' drill-down)
    return TargetOut.model_validate(target)


@router.get("/{target_id}/history")
async def target_history(target_id: str, principal: CurrentPrincipal, session: SessionDep) -> list[HistoryEntry]:
    """Every change of the target, oldest first: who, when, what changed (before → after), why."""
    target = await load(session, target_id)
    principal.require_read_scope(target.scope)
    rows = await session.scalars(select(TargetHistory).where(TargetHistory.target_id == target_id)
                                 .order_by(TargetHistory.id))
    return [HistoryEntry.model_validate(h) for h in rows]


@router.post("/{target_id}/{action}")
async def transition(target_id: str, action: str, body: TransitionIn, principal: CurrentPrincipal,
                     session: SessionDep) -> TargetOut:
    """Move a target through its lifecycle: submit (target office or the lead unit), approve, reject or
    publish (target office only)."""
    if action not in ("submit", "approve", "reject", "publish"):
        raise NotFound(f"未知操作 {action}", code="unknown_action")
    async with session.begin():
        target = await load(session, target_id, for_update=True)
        principal.require_scope(target.scope)
        _may(principal, action, target)
        if action in ("submit", "approve", "publish"):
            city_tasks.require_lead_unit(target)
        before = target.status
        try:
            target.status = next_status(TargetStatus(before), action)
        except TransitionRefused as exc:
            raise Conflict(str(exc), code="transition_refused") from None
        session.add(TargetTransition(target_id=target.id, action=action, from_status=before, to_status=target.status,
                                     actor=principal.user, comment=body.comment))
        session.add(history(target, action, principal.user, reason=body.comment,
                            changes=[{"field": "status", "before": before, "after": target.status}]))
        if target.status == TargetStatus.PUBLISHED:
            target.event_seq += 1
            await record_event(session, published_event(target))
            await city_tasks.place_in_districts(session, target, principal.user)
        await record_audit(session, principal, f"target.{action}", "target", target.id,
                           before={"status": before}, after={"status": target.status}, note=body.comment)
    return TargetOut.model_validate(target)


def _may(principal, action: str, target: Target) -> None:
    if principal.has(Role.TARGET_OFFICE):
        return
    if action == "submit" and principal.has(Role.UNIT_REPORTER):
        principal.require_unit(target.lead_unit)
        return
    raise Forbidden("只有目标办可以审核、退回和发布目标", code="role_forbidden")


async def load(session, target_id: str, for_update: bool = False) -> Target:
    stmt = select(Target).where(Target.id == target_id)
    if for_update:
        stmt = stmt.with_for_update()
    target = await session.scalar(stmt)
    if target is None:
        raise NotFound(f"目标 {target_id} 不存在", code="target_not_found")
    return target
