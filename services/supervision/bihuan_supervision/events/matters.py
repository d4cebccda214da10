"""Important matters (重要事项报告) from execution's events, so the supervision office can issue an order about one.
A matter is raised once and answered once; the answer may arrive first (a retry will find the raise). A matter
about a target belongs to that target's scope, and an answer to the matter's: an event labelled otherwise is
refused."""
from bihuan_shared.bus.consumer import HandlerContext
from bihuan_shared.bus.scope_guard import require_same_scope
from bihuan_shared.contracts.execution import MatterAnswered, MatterRaised
from bihuan_supervision.store.matter_tables import MatterView
from bihuan_supervision.store.models import TargetView


async def on_matter_raised(ctx: HandlerContext, event: MatterRaised) -> None:
    if event.target_id is not None:
        target = await ctx.session.get(TargetView, event.target_id)
        require_same_scope(ctx.envelope, target and target.scope, f"target {event.target_id}")
    matter = await ctx.session.get(MatterView, event.matter_id)
    if matter is not None:
        require_same_scope(ctx.envelope, matter.scope, f"matter {event.matter_id}")
        return  # raised once; a redelivery or a replay changes nothing
    ctx.session.add(MatterView(id=event.matter_id, scope=ctx.envelope.scope, target_id=event.target_id,
                               milestone_id=event.milestone_id, unit=event.unit, title=event.title,
                               to_leader=event.to_leader, status="open", raised_at=event.raised_at))


async def on_matter_answered(ctx: HandlerContext, event: MatterAnswered) -> None:
    matter = await ctx.session.get(MatterView, event.matter_id, with_for_update=True)
    if matter is None:
        raise LookupError(f"matter {event.matter_id} not in read model yet")  # retried until the raise arrives
    require_same_scope(ctx.envelope, matter.scope, f"matter {event.matter_id}")
    matter.status, matter.answered_at = "answered", event.answered_at


HANDLERS = {
    "execution.matter.raised": on_matter_raised,
    "execution.matter.answered": on_matter_answered,
}
