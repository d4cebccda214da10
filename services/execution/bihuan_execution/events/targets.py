"""Keeping execution's copy of the target book from planning's events (the rules: events/target_versions.py).

A handler only notes its event; the consumer batch applies its notes once, after its last handler: the touched
targets and their milestones are locked and loaded in one query each, the events folded in delivery order, and the
rows written in one statement per table and kind (new / known). A batch of a hundred events costs a handful of
statements, not three or more per event; a batch replayed one by one applies each event alone, the same way."""
from bihuan_execution.clock import today
from bihuan_execution.events.target_versions import TargetVersions
from bihuan_execution.store.target_book import lock_targets, write_milestones, write_targets
from bihuan_shared.bus.consumer import HandlerContext
from bihuan_shared.contracts.planning import TargetAdjusted, TargetCancelled, TargetPublished, TargetSnapshot
from bihuan_shared.events import Envelope

_NOTED = "execution.targets.noted"


async def on_target_published(ctx: HandlerContext, event: TargetPublished) -> None:
    _note(ctx, event)


async def on_target_adjusted(ctx: HandlerContext, event: TargetAdjusted) -> None:
    _note(ctx, event)


async def on_target_cancelled(ctx: HandlerContext, event: TargetCancelled) -> None:
    _note(ctx, event)


def _note(ctx: HandlerContext, event: TargetSnapshot | TargetCancelled) -> None:
    noted = ctx.batch.state.setdefault(_NOTED, [])
    noted.append((ctx.envelope, event))
    ctx.batch.before_commit(_NOTED, lambda: _apply(ctx, noted))


async def _apply(ctx: HandlerContext, noted: list[tuple[Envelope, TargetSnapshot | TargetCancelled]]) -> None:
    settings = ctx.resources["settings"]
    targets, milestones = await lock_targets(ctx.session, sorted({event.target_id for _, event in noted}))
    versions = TargetVersions(targets, milestones, today(settings), settings.due_soon_days)
    for envelope, event in noted:
        versions.apply(envelope, event)
    await write_targets(ctx.session, *versions.target_rows())
    await write_milestones(ctx.session, *versions.milestone_rows())


HANDLERS = {
    "planning.target.published": on_target_published,
    "planning.target.adjusted": on_target_adjusted,
    "planning.target.cancelled": on_target_cancelled,
}
