"""Building supervision's read model from planning's and execution's events, in any order and any number of times."""
from sqlalchemy import select
from sqlalchemy.orm import lazyload

from bihuan_shared.bus.consumer import HandlerContext
from bihuan_shared.contracts.execution import LagExplained, MilestoneCompleted, MilestoneOverdue, ProgressReported
from bihuan_shared.contracts.planning import TargetAdjusted, TargetCancelled, TargetPublished, TargetSnapshot
from bihuan_shared.db import load_by_ids
from bihuan_supervision.events.notify import envelopes, refresh_dashboards, stage_envelopes
from bihuan_supervision.store.models import MilestoneView, TargetView
from bihuan_supervision.store.warning_tables import LagSeen
from bihuan_supervision.store.warnings import reassess_targets

DONE_STATUS = {"early": "done_early", "on_time": "done_on_time", "late": "done_late"}
_TOUCHED = "supervision.read_model.touched_targets"
# the handlers lock and change a target's row only; its milestones are loaded on their own when needed
_VIEW_ONLY = [lazyload(TargetView.milestones)]


async def on_target_published(ctx: HandlerContext, event: TargetPublished) -> None:
    await _apply_snapshot(ctx, event)


async def on_target_adjusted(ctx: HandlerContext, event: TargetAdjusted) -> None:
    await _apply_snapshot(ctx, event)


async def on_target_cancelled(ctx: HandlerContext, event: TargetCancelled) -> None:
    view = await ctx.session.get(TargetView, event.target_id, with_for_update=True, options=_VIEW_ONLY)
    if view is not None and ctx.envelope.sequence > view.event_seq:
        view.cancelled, view.event_seq = True, ctx.envelope.sequence
        await _reassess(ctx, event.target_id)


async def _apply_snapshot(ctx: HandlerContext, event: TargetSnapshot) -> None:
    view = await ctx.session.scalar(select(TargetView).where(TargetView.id == event.target_id).with_for_update()
                                    .options(*_VIEW_ONLY))
    if view is not None and ctx.envelope.sequence <= view.event_seq:
        return
    if view is None:
        view = TargetView(id=event.target_id)
        ctx.session.add(view)
    view.scope, view.event_seq, view.cancelled = ctx.envelope.scope, ctx.envelope.sequence, False
    for field in ("year", "code", "title", "category", "lead_unit", "leader", "version"):
        setattr(view, field, getattr(event, field))
    view.indicator_kind, view.direction = event.indicator.kind, event.indicator.direction
    known = await load_by_ids(ctx.session, MilestoneView, [snap.milestone_id for snap in event.milestones])
    for snap in event.milestones:
        m = known.get(snap.milestone_id)
        if m is None:
            m = MilestoneView(id=snap.milestone_id, target_id=event.target_id, status="pending", exec_seq=0)
            ctx.session.add(m)
        m.seq, m.due_date, m.expected_value = snap.seq, snap.due_date, snap.expected_value
    await _reassess(ctx, event.target_id)


async def _milestone(ctx: HandlerContext, milestone_id: str) -> MilestoneView | None:
    """The milestone if this execution event is newer than what the view holds. Execution only reports on
    published milestones, so a missing row means planning's event is still on its way: retry later."""
    m = await ctx.session.get(MilestoneView, milestone_id, with_for_update=True)
    if m is None:
        raise LookupError(f"milestone {milestone_id} not in read model yet")
    if ctx.envelope.sequence <= m.exec_seq:
        return None
    m.exec_seq = ctx.envelope.sequence
    return m


async def on_progress_reported(ctx: HandlerContext, event: ProgressReported) -> None:
    m = await _milestone(ctx, event.milestone_id)
    if m is not None:
        m.latest_value = event.actual_value if event.actual_value is not None else m.latest_value
        m.last_reported_at = event.reported_at
        await _reassess(ctx, event.target_id)


async def on_milestone_completed(ctx: HandlerContext, event: MilestoneCompleted) -> None:
    m = await _milestone(ctx, event.milestone_id)
    if m is not None:
        m.status, m.completed_on = DONE_STATUS[event.timeliness], event.completed_on
        await _reassess(ctx, event.target_id)


async def on_milestone_overdue(ctx: HandlerContext, event: MilestoneOverdue) -> None:
    m = await _milestone(ctx, event.milestone_id)
    if m is not None and m.completed_on is None:
        m.status = "overdue"
        await _reassess(ctx, event.target_id)


async def on_lag_explained(ctx: HandlerContext, event: LagExplained) -> None:
    if await ctx.session.get(LagSeen, event.lag_id) is None:
        ctx.session.add(LagSeen(lag_id=event.lag_id, target_id=event.target_id, milestone_id=event.milestone_id,
                                unit=event.unit, explained_on=event.explained_at.date()))
        await _reassess(ctx, event.target_id)


async def _reassess(ctx: HandlerContext, target_id: str) -> None:
    """Warnings follow the read model in the same transaction, once per batch for every target its events touched
    (a batch of 100 events reassesses its targets in a handful of queries, not six per event); the leaders'
    dashboards follow after commit."""
    touched = ctx.batch.state.setdefault(_TOUCHED, {})
    touched[target_id] = ctx  # the last event about a target is the cause of its warnings' changes
    ctx.batch.before_commit(_TOUCHED, lambda: _reassess_touched(touched))


async def _reassess_touched(touched: dict[str, HandlerContext]) -> None:
    ctx = next(iter(touched.values()))  # any of the batch's contexts: one session, one commit
    session, resources = ctx.session, ctx.resources
    staged: dict[str, list] = {}
    leaders: dict[str, set[str | None]] = {}
    for target_id, (view, changes) in (await reassess_targets(session, list(touched))).items():
        staged.setdefault(view.scope, []).extend(envelopes(view.scope, changes, touched[target_id]))
        leaders.setdefault(view.scope, set()).update({view.leader, *(p.leader for p in changes)})
    for scope, names in leaders.items():
        if staged[scope]:  # records the events and refreshes these leaders' dashboards after commit
            await stage_envelopes(session, scope, staged[scope], names, resources=resources, ctx=ctx)
        else:
            ctx.after_commit(lambda scope=scope, names=names: refresh_dashboards(resources, scope, names))


HANDLERS = {
    "planning.target.published": on_target_published,
    "planning.target.adjusted": on_target_adjusted,
    "planning.target.cancelled": on_target_cancelled,
    "execution.progress.reported": on_progress_reported,
    "execution.milestone.completed": on_milestone_completed,
    "execution.milestone.overdue": on_milestone_overdue,
    "execution.lag.explained": on_lag_explained,
}
