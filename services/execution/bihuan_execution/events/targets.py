"""Keeping execution's copy of the target book from planning's events. Stale or repeated versions are ignored by
the aggregate sequence; milestone progress survives a new version (a moved milestone keeps what was reported)."""
from datetime import date

from sqlalchemy import select

from bihuan_execution.clock import today
from bihuan_execution.domain.status import status_of
from bihuan_execution.store.models import MilestoneCopy, TargetCopy
from bihuan_shared.bus.consumer import HandlerContext
from bihuan_shared.contracts.planning import TargetAdjusted, TargetCancelled, TargetPublished, TargetSnapshot


async def on_target_published(ctx: HandlerContext, event: TargetPublished) -> None:
    await _apply_snapshot(ctx, event)


async def on_target_adjusted(ctx: HandlerContext, event: TargetAdjusted) -> None:
    await _apply_snapshot(ctx, event)


async def on_target_cancelled(ctx: HandlerContext, event: TargetCancelled) -> None:
    target = await ctx.session.get(TargetCopy, event.target_id, with_for_update=True)
    if target is not None and ctx.envelope.sequence > target.event_seq:
        target.cancelled = True
        target.event_seq = ctx.envelope.sequence


async def _apply_snapshot(ctx: HandlerContext, event: TargetSnapshot) -> None:
    seq = ctx.envelope.sequence
    target = await ctx.session.scalar(select(TargetCopy).where(TargetCopy.id == event.target_id).with_for_update())
    if target is not None and seq <= target.event_seq:
        return  # an older or repeated version: the copy already knows better
    if target is None:
        target = TargetCopy(id=event.target_id, milestones=[])
        ctx.session.add(target)
    target.scope = ctx.envelope.scope
    for field in ("year", "code", "title", "category", "lead_unit", "leader", "version", "parent_id", "area"):
        setattr(target, field, getattr(event, field))
    target.responsible_units = list(event.responsible_units)
    target.cooperating_units = list(event.cooperating_units)
    target.indicator = event.indicator.model_dump()
    target.event_seq = seq
    target.cancelled = False
    _merge_milestones(target, event, today(ctx.resources["settings"]), ctx.resources["settings"].due_soon_days)


def _merge_milestones(target: TargetCopy, event: TargetSnapshot, day: date, soon_days: int) -> None:
    existing = {m.id: m for m in target.milestones}
    merged = []
    for snap in event.milestones:
        m = existing.get(snap.milestone_id) or MilestoneCopy(id=snap.milestone_id, completed_on=None)
        m.seq, m.due_date = snap.seq, snap.due_date
        m.expected_value, m.deliverable = snap.expected_value, snap.deliverable
        m.withdrawn = False
        # A moved due date re-judges the milestone: done early/late is relative to the date now in force.
        # An open milestone past its (new) due date shows overdue at once; the overdue *event* is the clock's job.
        m.status = status_of(m.due_date, m.completed_on, day, soon_days)
        merged.append(m)
    # A milestone dropped by an adjustment is withdrawn, not deleted: its reports and lag reasons stay in history.
    for m in existing.values():
        if m not in merged:
            m.withdrawn = True
            merged.append(m)
    target.milestones = merged


HANDLERS = {
    "planning.target.published": on_target_published,
    "planning.target.adjusted": on_target_adjusted,
    "planning.target.cancelled": on_target_cancelled,
}
