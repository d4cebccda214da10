"""What follows a change of warnings or orders: the events and the optional outgoing webhook's deliveries (in the
same transaction), and after commit a kick to the webhook deliverer and the live dashboards of the leaders involved."""
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from bihuan_shared.bus.consumer import HandlerContext
from bihuan_shared.events import new_event
from bihuan_shared.messaging.outbox import record_events
from bihuan_supervision.events.webhooks import enqueue, kick

# the sequence of an event within its aggregate (a warning, an order): raised 1, cleared 2
_WARNING_SEQ = {"WarningRaised": 1, "WarningCleared": 2}


def envelopes(scope: str, payloads: list[BaseModel], causation: HandlerContext | None = None) -> list:
    out = []
    for p in payloads:
        aggregate, sequence = _aggregate(p)
        extra = {}
        if causation is not None:
            extra = dict(causation_id=str(causation.envelope.event_id), correlation=causation.envelope.correlation_id)
        out.append(new_event(p, scope=scope, aggregate_id=aggregate, sequence=sequence, **extra))
    return out


def _aggregate(p: Any) -> tuple[str, int]:
    return f"warning:{p.warning_id}", _WARNING_SEQ[type(p).__name__]


async def stage(session: AsyncSession, scope: str, payloads: list[BaseModel], *, resources: dict,
                ctx: HandlerContext | None = None, after: list | None = None) -> None:
    """Record warning events and their webhook deliveries in this transaction; kick the deliverer and refresh the
    dashboards after commit."""
    if payloads:
        await stage_envelopes(session, scope, envelopes(scope, payloads, ctx),
                              {getattr(p, "leader", None) for p in payloads}, resources=resources, ctx=ctx, after=after)


async def stage_envelopes(session: AsyncSession, scope: str, batch: list, leaders: set[str | None], *,
                          resources: dict, ctx: HandlerContext | None = None, after: list | None = None) -> None:
    await record_events(session, batch)
    from bihuan_supervision.store.warnings import rules_for

    _, webhook = await rules_for(session, scope)
    actions = []
    if webhook:
        await enqueue(session, scope, webhook, batch)
        actions.append(kick(resources))
    actions.append(lambda: refresh_dashboards(resources, scope, leaders))
    for action in actions:
        if ctx is not None:
            ctx.after_commit(action)
        elif after is not None:
            after.append(action)


async def refresh_dashboards(resources: dict, scope: str, leaders: set[str | None]) -> None:
    from bihuan_supervision.dashboard.views import refresh_soon

    refresh_soon(resources, scope, {leader for leader in leaders if leader})
