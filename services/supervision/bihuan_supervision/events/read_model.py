"""Building supervision's read model from planning's and execution's events, in any order and any number of times.

A handler only notes its event; the consumer batch applies its notes once, after its last handler: the targets,
milestones and lags the events name are locked and loaded in one query each, the events folded in delivery order
(the same rules as one at a time: a version or execution sequence already applied is skipped), the rows written in
one statement per table and kind (new / known), and the touched targets' warnings reassessed once. A batch of a
hundred events costs a handful of statements, not three or more per event; a batch replayed one by one applies
each event alone, the same way."""
from typing import Any

from bihuan_shared.bus.consumer import HandlerContext
from bihuan_shared.bus.scope_guard import require_same_record, require_same_scope
from bihuan_shared.contracts.execution import LagExplained, MilestoneCompleted, MilestoneOverdue, ProgressReported
from bihuan_shared.contracts.planning import TargetAdjusted, TargetCancelled, TargetPublished, TargetSnapshot
from bihuan_supervision.events.notify import envelopes, refresh_dashboards, stage_envelopes
from bihuan_supervision.store.view_rows import lock_views, seen_lags, write_views
from bihuan_supervision.store.warnings import reassess_targets

DONE_STATUS = {"early": "done_early", "on_time": "done_on_time", "late": "done_late"}
_NOTED = "supervision.read_model.noted"
_MILESTONE_EVENTS = (ProgressReported, MilestoneCompleted, MilestoneOverdue)


async def on_target_published(ctx: HandlerContext, event: TargetPublished) -> None:
    _note(ctx, event)


async def on_target_adjusted(ctx: HandlerContext, event: TargetAdjusted) -> None:
    _note(ctx, event)


async def on_target_cancelled(ctx: HandlerContext, event: TargetCancelled) -> None:
    _note(ctx, event)


async def on_progress_reported(ctx: HandlerContext, event: ProgressReported) -> None:
    _note(ctx, event)


async def on_milestone_completed(ctx: HandlerContext, event: MilestoneCompleted) -> None:
    _note(ctx, event)


async def on_milestone_overdue(ctx: HandlerContext, event: MilestoneOverdue) -> None:
    _note(ctx, event)


async def on_lag_explained(ctx: HandlerContext, event: LagExplained) -> None:
    _note(ctx, event)


def _note(ctx: HandlerContext, event: Any) -> None:
    noted = ctx.batch.state.setdefault(_NOTED, [])
    noted.append((ctx, event))
    ctx.batch.before_commit(_NOTED, lambda: _apply(noted))


class _Fold:
    """The batch's rows as they change event by event; which rows are new, which known ones changed, and the
    targets touched (with the last event about each: the cause of its warnings' changes)."""

    def __init__(self, targets: dict, milestones: dict, lags: set[str]):
        self.targets, self.milestones, self.lags = targets, milestones, lags
        self.new: set[str] = set()
        self.dirty: set[str] = set()
        self.new_lags: list[dict] = []
        self.touched: dict[str, HandlerContext] = {}

    def apply(self, ctx: HandlerContext, event: Any) -> None:
        self._require_own_records(ctx, event)
        if isinstance(event, TargetSnapshot):
            self._snapshot(ctx, event)
        elif isinstance(event, TargetCancelled):
            view = self.targets.get(event.target_id)
            if view is not None and ctx.envelope.sequence > view["event_seq"]:
                view["cancelled"], view["event_seq"] = True, ctx.envelope.sequence
                self._changed(ctx, view["id"], event.target_id)
        elif isinstance(event, LagExplained):
            if event.milestone_id not in self.milestones:  # as for a report: planning's event is on its way
                raise LookupError(f"milestone {event.milestone_id} not in read model yet")
            if event.lag_id not in self.lags:
                self.lags.add(event.lag_id)
                self.new_lags.append(dict(lag_id=event.lag_id, target_id=event.target_id,
                                          milestone_id=event.milestone_id, unit=event.unit,
                                          explained_on=event.explained_at.date()))
                self.touched[event.target_id] = ctx
        else:
            self._milestone_event(ctx, event)

    def _require_own_records(self, ctx: HandlerContext, event: Any) -> None:
        """Every event here names a target, and may name milestones: the stored ones must be of the envelope's scope
        and of that target, or the event is refused before it changes anything."""
        view = self.targets.get(event.target_id)
        if view is not None:
            require_same_scope(ctx.envelope, view["scope"], f"target {event.target_id}")
        for milestone_id in _milestones_named(event):
            if milestone_id in self.milestones:
                require_same_record(ctx.envelope, self.milestones[milestone_id]["target_id"], event.target_id,
                                    f"milestone {milestone_id}")

    def _snapshot(self, ctx: HandlerContext, event: TargetSnapshot) -> None:
        view = self.targets.get(event.target_id)
        if view is not None and ctx.envelope.sequence <= view["event_seq"]:
            return
        if view is None:
            view = self.targets[event.target_id] = dict(id=event.target_id)
            self.new.add(event.target_id)
        view.update(scope=ctx.envelope.scope, event_seq=ctx.envelope.sequence, cancelled=False,
                    indicator_kind=event.indicator.kind, direction=event.indicator.direction,
                    **{f: getattr(event, f) for f in ("year", "code", "title", "category", "lead_unit", "leader",
                                                       "version")})
        for snap in event.milestones:
            m = self.milestones.get(snap.milestone_id)
            if m is None:
                m = self.milestones[snap.milestone_id] = dict(
                    id=snap.milestone_id, target_id=event.target_id, status="pending", completed_on=None,
                    latest_value=None, last_reported_at=None, exec_seq=0)
                self.new.add(snap.milestone_id)
            m.update(seq=snap.seq, due_date=snap.due_date, expected_value=snap.expected_value)
            self.dirty.add(snap.milestone_id)
        self._changed(ctx, event.target_id, event.target_id)

    def _milestone_event(self, ctx: HandlerContext, event: Any) -> None:
        """Execution only reports on published milestones, so a missing row means planning's event is still on its
        way: retry later."""
        m = self.milestones.get(event.milestone_id)
        if m is None:
            raise LookupError(f"milestone {event.milestone_id} not in read model yet")
        if ctx.envelope.sequence <= m["exec_seq"]:
            return
        m["exec_seq"] = ctx.envelope.sequence
        self.dirty.add(m["id"])
        if isinstance(event, ProgressReported):
            if event.actual_value is not None:
                m["latest_value"] = event.actual_value
            m["last_reported_at"] = event.reported_at
        elif isinstance(event, MilestoneCompleted):
            m["status"], m["completed_on"] = DONE_STATUS[event.timeliness], event.completed_on
        elif m["completed_on"] is None:  # overdue
            m["status"] = "overdue"
        else:
            return
        self.touched[event.target_id] = ctx

    def _changed(self, ctx: HandlerContext, row_id: str, target_id: str) -> None:
        self.dirty.add(row_id)
        self.touched[target_id] = ctx

    def rows(self, table: dict) -> tuple[list[dict], list[dict]]:
        changed = [row for key, row in table.items() if key in self.dirty]
        return [r for r in changed if r["id"] in self.new], [r for r in changed if r["id"] not in self.new]


def _milestones_named(event: Any) -> list[str]:
    if isinstance(event, TargetSnapshot):
        return [snap.milestone_id for snap in event.milestones]
    if isinstance(event, (*_MILESTONE_EVENTS, LagExplained)):
        return [event.milestone_id]
    return []


async def _apply(noted: list[tuple[HandlerContext, Any]]) -> None:
    ctx = noted[0][0]  # any of the batch's contexts: one session, one commit
    target_ids = {e.target_id for _, e in noted}  # milestone events too: their target's scope is checked
    milestone_ids = {milestone_id for _, e in noted for milestone_id in _milestones_named(e)}
    targets, milestones = await lock_views(ctx.session, sorted(target_ids), sorted(milestone_ids))
    lags = await seen_lags(ctx.session, sorted({e.lag_id for _, e in noted if isinstance(e, LagExplained)}))
    fold = _Fold(targets, milestones, lags)
    for event_ctx, event in noted:
        fold.apply(event_ctx, event)
    await write_views(ctx.session, fold.rows(fold.targets), fold.rows(fold.milestones), fold.new_lags)
    if fold.touched:
        await _reassess_touched(fold.touched)


async def _reassess_touched(touched: dict[str, HandlerContext]) -> None:
    """Warnings follow the read model in the same transaction, once per batch for every target its events touched;
    the leaders' dashboards follow after commit, once per scope and batch."""
    ctx = next(iter(touched.values()))
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
