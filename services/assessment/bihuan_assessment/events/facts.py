"""Keeping assessment's facts from planning's and execution's events (idempotent, stale-proof; the rules:
events/fact_versions.py).

A handler only notes its event; the consumer batch applies its notes once, after its last handler: the facts the
events touch are locked and loaded in one query per table, the events folded in delivery order, and the rows
written in one statement per table and kind (new / known): a handful of statements for a hundred events, not four
per event. A batch replayed one by one applies each event alone, the same way."""
from typing import Callable

from bihuan_assessment.events.fact_versions import FactVersions, touched
from bihuan_assessment.store.fact_rows import MILESTONES, TARGETS, lock_facts, write_facts
from bihuan_shared.bus.consumer import HandlerContext
from bihuan_shared.contracts.execution import LagExplained, MilestoneCompleted, MilestoneOverdue
from bihuan_shared.contracts.planning import TargetAdjusted, TargetCancelled, TargetPublished

_NOTED = "assessment.facts.noted"
Fold = Callable[[FactVersions, object, object], None]


async def on_target_published(ctx: HandlerContext, event: TargetPublished) -> None:
    _note(ctx, FactVersions.snapshot, event)


async def on_target_adjusted(ctx: HandlerContext, event: TargetAdjusted) -> None:
    _note(ctx, FactVersions.snapshot, event)


async def on_target_cancelled(ctx: HandlerContext, event: TargetCancelled) -> None:
    _note(ctx, FactVersions.cancel, event)


async def on_milestone_completed(ctx: HandlerContext, event: MilestoneCompleted) -> None:
    _note(ctx, FactVersions.completed, event)


async def on_milestone_overdue(ctx: HandlerContext, event: MilestoneOverdue) -> None:
    _note(ctx, FactVersions.overdue, event)


async def on_lag_explained(ctx: HandlerContext, event: LagExplained) -> None:
    """The latest explanation of a milestone's lag decides whether the lag rules excuse it (objective reason)."""
    _note(ctx, FactVersions.lag, event)


def _note(ctx: HandlerContext, fold: Fold, event) -> None:
    noted = ctx.batch.state.setdefault(_NOTED, [])
    noted.append((fold, ctx.envelope, event))
    ctx.batch.before_commit(_NOTED, lambda: _apply(ctx, noted))


async def _apply(ctx: HandlerContext, noted: list[tuple[Fold, object, object]]) -> None:
    target_ids, milestone_ids = set(), set()
    for *_, event in noted:
        targets, milestones = touched(event)
        target_ids.update(targets)
        milestone_ids.update(milestones)
    versions = FactVersions(*await lock_facts(ctx.session, list(target_ids), list(milestone_ids)))
    for fold, envelope, event in noted:
        versions.require_own_records(envelope, event)
        fold(versions, envelope, event)
    await write_facts(ctx.session, TARGETS, *versions.target_rows())  # first: milestones refer to their target
    await write_facts(ctx.session, MILESTONES, *versions.milestone_rows())


HANDLERS = {
    "planning.target.published": on_target_published,
    "planning.target.adjusted": on_target_adjusted,
    "planning.target.cancelled": on_target_cancelled,
    "execution.milestone.completed": on_milestone_completed,
    "execution.milestone.overdue": on_milestone_overdue,
    "execution.lag.explained": on_lag_explained,
}
