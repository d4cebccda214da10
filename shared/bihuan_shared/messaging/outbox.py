"""Transactional outbox: the event row is written in the same transaction as the change it describes."""
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bihuan_shared.events import Envelope
from bihuan_shared.messaging.tables import outbox

NOTIFY_CHANNEL = "bihuan_outbox"


async def record_events(db: AsyncSession | AsyncConnection, envelopes: list[Envelope]) -> None:
    """Stage events in the caller's transaction; the relay publishes them after commit."""
    if not envelopes:
        return
    await db.execute(
        insert(outbox),
        [
            {
                "event_id": e.event_id,
                "event_type": e.event_type,
                "aggregate_id": e.aggregate_id,
                "correlation_id": e.correlation_id,
                "body": e.to_bytes(),
            }
            for e in envelopes
        ],
    )
    # NOTIFY is transactional: the relay wakes only when the commit makes the rows visible.
    await db.execute(text(f"NOTIFY {NOTIFY_CHANNEL}"))


async def record_event(db: AsyncSession | AsyncConnection, envelope: Envelope) -> None:
    await record_events(db, [envelope])
