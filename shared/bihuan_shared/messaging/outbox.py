"""Transactional outbox: the event row is written in the same transaction as the change it describes."""
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bihuan_shared.events import Envelope
from bihuan_shared.events.limits import MAX_MESSAGE_BYTES, EventTooLarge, oversize_reason
from bihuan_shared.messaging.tables import outbox

NOTIFY_CHANNEL = "bihuan_outbox"


async def record_events(db: AsyncSession | AsyncConnection, envelopes: list[Envelope],
                        max_bytes: int = MAX_MESSAGE_BYTES) -> None:
    """Stage events in the caller's transaction; the relay publishes them after commit. An event over max_bytes
    raises EventTooLarge here, before anything is staged: the caller's change rolls back with it, and no consumer
    ever has to refuse it."""
    if not envelopes:
        return
    rows = []
    for e in envelopes:
        body = e.to_bytes()
        too_large = oversize_reason(len(body), max_bytes)
        if too_large is not None:
            raise EventTooLarge(f"{e.event_type} {e.event_id}: {too_large}")
        rows.append({"event_id": e.event_id, "event_type": e.event_type, "aggregate_id": e.aggregate_id,
                     "correlation_id": e.correlation_id, "body": body})
    await db.execute(insert(outbox), rows)
    # NOTIFY is transactional: the relay wakes only when the commit makes the rows visible.
    await db.execute(text(f"NOTIFY {NOTIFY_CHANNEL}"))


async def record_event(db: AsyncSession | AsyncConnection, envelope: Envelope) -> None:
    await record_events(db, [envelope])
