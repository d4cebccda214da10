"""City tasks (市级交办), the commands: a city office decomposes its target to districts; publishing the city task
places a linked target in each district's book; the city's cancellation or change reaches every district.

Each command runs inside the caller's transaction and writes everything that belongs to it: rows, history, events
(through the outbox) and audit. The rules are in domain/city_tasks.py.
"""
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bihuan_planning.domain import city_tasks as rules
from bihuan_planning.domain.lifecycle import EDITABLE, TargetStatus
from bihuan_planning.domain.milestones import PlannedMilestone
from bihuan_planning.store.directory_models import Scope
from bihuan_planning.store.directory_repo import districts_of
from bihuan_planning.store.models import CityAssignment, Milestone, Target
from bihuan_planning.store.snapshots import adjusted_event, cancelled_event
from bihuan_planning.store.targets_repo import book_id, ensure_book, history, milestone_state, state
from bihuan_shared.audit import record_audit
from bihuan_shared.auth import Principal
from bihuan_shared.messaging.outbox import record_event
from bihuan_shared.web.errors import Conflict, Invalid

# What of a city task's change reaches the districts' linked targets as it is: what they may not edit themselves
# (their shares and dates follow only through the district's own adjustment, approved by the city).
FLOWING_FIELDS = ("title", "content", "work_measures", "category", "area")


async def assign(session: AsyncSession, principal: Principal, target: Target, shares: list[rules.Share]) -> None:
    """Set (replace) the districts a draft city target is decomposed to."""
    principal.require_scope(target.scope)
    city = await session.get(Scope, target.scope)
    if city is None or city.kind != "city":
        raise Conflict("只有市级目标可以分解到区", code="not_a_city_task")
    if target.status not in EDITABLE:
        raise Conflict("市级任务已提交或发布，分解方案不能直接修改", code="target_not_editable")
    problems = rules.check_shares(target.indicator, target.year, shares, await districts_of(session, target.scope))
    if problems:
        raise Invalid("分解方案校验失败", code="assignments_invalid",
                      details=[{"field": p.field, "message": p.message} for p in problems])
    before = [_share_state(a) for a in target.assignments]
    city_milestones = [PlannedMilestone(m.due_date, m.expected_value, m.deliverable) for m in target.milestones]
    target.assignments = [
        CityAssignment(district=s.district, share_value=s.share_value, deliverable=s.deliverable,
                       milestones=[milestone_state(m.due_date, m.expected_value, m.deliverable)
                                   for m in rules.district_milestones(target.indicator, city_milestones, s)],
                       assigned_by=principal.user)
        for s in shares]
    after = [_share_state(a) for a in target.assignments]
    session.add(history(target, "assigned", principal.user,
                        changes=[{"field": "assignments", "before": before, "after": after}]))
    await record_audit(session, principal, "target.assigned", "target", target.id, before=before, after=after)


async def place_in_districts(session: AsyncSession, target: Target, actor: str) -> list[Target]:
    """On publishing a city task: a draft linked target in each district's book, with the district's share and
    dates, waiting for the district office to name its lead unit."""
    placed = []
    for a in target.assignments:
        if a.district_target_id:
            continue
        code = rules.district_code(target.code)
        if await session.scalar(select(Target.id).where(Target.scope == a.district, Target.year == target.year,
                                                        Target.code == code)):
            raise Conflict(f"{a.district} {target.year} 年度已有编号 {code} 的目标", code="target_code_taken")
        await ensure_book(session, a.district, target.year, actor)
        share = rules.Share(a.district, a.share_value, a.deliverable, None)
        linked = Target(
            scope=a.district, year=target.year, book_id=book_id(a.district, target.year), code=code,
            title=target.title, content=target.content, work_measures=target.work_measures, area=target.area,
            category=target.category, source=rules.SOURCE, lead_unit="", responsible_units=[], cooperating_units=[],
            weight=target.weight, indicator=rules.district_indicator(target.indicator, share),
            status=TargetStatus.DRAFT, version=1, event_seq=0, origin_target_id=target.id, created_by=actor,
            assignments=[],
            milestones=[Milestone(seq=i + 1, due_date=rules.parse_due(m["due_date"]),
                                  expected_value=m.get("expected_value"), deliverable=m.get("deliverable"))
                        for i, m in enumerate(a.milestones)])
        session.add(linked)
        await session.flush()
        session.add(history(linked, "assigned_by_city", actor, reason=f"{target.scope} 市级交办 {target.code}",
                            changes=[{"field": "target", "before": None, "after": state(linked)}]))
        a.district_target_id = linked.id
        placed.append(linked)
    return placed


def require_lead_unit(target: Target) -> None:
    """A linked target leaves the district's drafts only once the district named who leads it."""
    if target.origin_target_id and not target.lead_unit:
        raise Conflict("市级交办目标须先指定本区的牵头单位", code="lead_unit_required",
                       details=[{"field": "lead_unit", "message": "请指定牵头单位"}])


def refuse_locked_edit(target: Target, values: dict) -> None:
    locked = rules.locked_changes(values) if target.origin_target_id else []
    if locked:
        raise Conflict("市级交办目标的名称、类别、指标和节点由市目标办确定；如需调整请提交动态调整申请，由市目标办审批",
                       code="city_task_locked", details=[{"field": f, "message": "由市目标办确定"} for f in locked])


async def deciding_scope(session: AsyncSession, target: Target | None, scope: str) -> str:
    """Whose office decides an adjustment: the city's for a linked target (its share is the city's decision), the
    target's own scope otherwise."""
    if target is not None and target.origin_target_id:
        origin = await session.get(Target, target.origin_target_id)
        if origin is not None:
            return origin.scope
    return scope


async def after_linked_change(session: AsyncSession, target: Target) -> None:
    """An approved adjustment of a linked target changed the district's share: the city task's assignment follows,
    and the city task's event carries the new share to the roll-up."""
    if not target.origin_target_id:
        return
    origin = await session.get(Target, target.origin_target_id, with_for_update=True)
    share = next((a for a in origin.assignments if a.district == target.scope), None) if origin else None
    if share is None:
        return
    if target.indicator["kind"] == "quantitative":
        share.share_value = target.indicator.get("target_value")
    elif target.milestones:
        share.deliverable = target.milestones[-1].deliverable
    share.milestones = [milestone_state(m.due_date, m.expected_value, m.deliverable) for m in target.milestones]
    origin.event_seq += 1
    await record_event(session, adjusted_event(origin, "share", f"{target.scope} 分解任务调整"))


async def cascade(session: AsyncSession, target: Target, adjustment_id: str, reason: str, actor: str) -> None:
    """A city task cancelled or changed: its linked targets in every district follow (cancelled; or the flowing
    fields copied), each with its history and, once published, its event."""
    if not target.assignments:
        return
    linked = (await session.scalars(select(Target).where(Target.origin_target_id == target.id,
                                                         Target.status != TargetStatus.CANCELLED)
                                    .with_for_update())).all()
    for district_target in linked:
        published = district_target.status == TargetStatus.PUBLISHED
        if target.status == TargetStatus.CANCELLED:
            before = district_target.status
            district_target.status = TargetStatus.CANCELLED
            changes = [{"field": "status", "before": before, "after": district_target.status}]
        else:
            changes = [{"field": f, "before": getattr(district_target, f), "after": getattr(target, f)}
                       for f in FLOWING_FIELDS if getattr(district_target, f) != getattr(target, f)]
            if not changes:
                continue
            for f in FLOWING_FIELDS:
                setattr(district_target, f, getattr(target, f))
        district_target.version += 1
        session.add(history(district_target, "city_" + ("cancelled" if target.status == TargetStatus.CANCELLED
                                                         else "adjusted"), actor, reason=reason, changes=changes,
                            adjustment_id=adjustment_id))
        if published:
            district_target.event_seq += 1
            event = (cancelled_event if district_target.status == TargetStatus.CANCELLED else adjusted_event)
            await record_event(session, event(district_target, adjustment_id, reason))


def shares_of(body) -> list[rules.Share]:
    return [rules.Share(s.district, s.share_value, s.deliverable,
                        None if s.milestones is None else
                        [PlannedMilestone(m.due_date, m.expected_value, m.deliverable) for m in s.milestones])
            for s in body.assignments]


def _share_state(a: CityAssignment) -> dict:
    return {"district": a.district, "share_value": a.share_value, "deliverable": a.deliverable,
            "milestones": a.milestones}
