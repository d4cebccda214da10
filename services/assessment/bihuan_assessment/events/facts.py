"""Keeping assessment's facts from planning's and execution's events (idempotent, stale-proof)."""
from sqlalchemy import select

from bihuan_assessment.store.models import MilestoneFact, TargetFact
from bihuan_shared.bus.consumer import HandlerContext
from bihuan_shared.contracts.execution import LagExplained, MilestoneCompleted, MilestoneOverdue
from bihuan_shared.contracts.planning import TargetAdjusted, TargetCancelled, TargetPublished, TargetSnapshot
from bihuan_shared.db import load_by_ids


async def on_target_published(ctx: HandlerContext, event: TargetPublished) -> None:
    await _apply_snapshot(ctx, event)


async def on_target_adjusted(ctx: HandlerContext, event: TargetAdjusted) -> None:
    await _apply_snapshot(ctx, event, adjusted=True)


async def on_target_cancelled(ctx: HandlerContext, event: TargetCancelled) -> None:
    fact = await ctx.session.get(TargetFact, event.target_id, with_for_update=True)
    if fact is not None and ctx.envelope.sequence > fact.event_seq:
        fact.cancelled, fact.event_seq = True, ctx.envelope.sequence


async def _apply_snapshot(ctx: HandlerContext, event: TargetSnapshot, adjusted: bool = False) -> None:
    fact = await ctx.session.scalar(select(TargetFact).where(TargetFact.id == event.target_id).with_for_update())
    if fact is not None and ctx.envelope.sequence <= fact.event_seq:
        return
    if fact is None:
        fact = TargetFact(id=event.target_id)
        ctx.session.add(fact)
    fact.scope, fact.event_seq, fact.cancelled = ctx.envelope.scope, ctx.envelope.sequence, False
    fact.year, fact.category, fact.lead_unit, fact.weight, fact.version = (
        event.year, event.category, event.lead_unit, event.weight, event.version)
    fact.responsible_units = list(event.responsible_units)
    # An approved adjustment (动态调整) is an objective reason the lag rules may excuse.
    fact.code, fact.title, fact.event_id = event.code, event.title, str(ctx.envelope.event_id)
    fact.adjusted = adjusted or bool(fact.adjusted)
    known = await load_by_ids(ctx.session, MilestoneFact, [snap.milestone_id for snap in event.milestones])
    for snap in event.milestones:
        m = known.get(snap.milestone_id)
        if m is None:
            ctx.session.add(MilestoneFact(id=snap.milestone_id, target_id=event.target_id, due_date=snap.due_date,
                                          exec_seq=0, overdue=False))
        else:
            m.due_date = snap.due_date


async def _milestone(ctx: HandlerContext, milestone_id: str) -> MilestoneFact | None:
    m = await ctx.session.get(MilestoneFact, milestone_id, with_for_update=True)
    if m is None:
        raise LookupError(f"milestone {milestone_id} not known yet")  # planning's event still on its way: retry
    if ctx.envelope.sequence <= m.exec_seq:
        return None
    m.exec_seq = ctx.envelope.sequence
    return m


async def on_milestone_completed(ctx: HandlerContext, event: MilestoneCompleted) -> None:
    m = await _milestone(ctx, event.milestone_id)
    if m is not None:
        m.completed_on, m.timeliness, m.exec_event_id = event.completed_on, event.timeliness, str(ctx.envelope.event_id)


async def on_milestone_overdue(ctx: HandlerContext, event: MilestoneOverdue) -> None:
    m = await _milestone(ctx, event.milestone_id)
    if m is not None:
        m.overdue = True
        m.exec_event_id = m.exec_event_id if m.completed_on else str(ctx.envelope.event_id)


async def on_lag_explained(ctx: HandlerContext, event: LagExplained) -> None:
    """The latest explanation of a milestone's lag decides whether the lag rules excuse it (objective reason)."""
    m = await ctx.session.get(MilestoneFact, event.milestone_id, with_for_update=True)
    if m is None:
        raise LookupError(f"milestone {event.milestone_id} not known yet")  # planning's event still on its way
    if m.lag_at is None or event.explained_at >= m.lag_at:
        m.lag_kind, m.lag_at, m.lag_event_id = event.reason_kind, event.explained_at, str(ctx.envelope.event_id)


HANDLERS = {
    "planning.target.published": on_target_published,
    "planning.target.adjusted": on_target_adjusted,
    "planning.target.cancelled": on_target_cancelled,
    "execution.milestone.completed": on_milestone_completed,
    "execution.milestone.overdue": on_milestone_overdue,
    "execution.lag.explained": on_lag_explained,
}
