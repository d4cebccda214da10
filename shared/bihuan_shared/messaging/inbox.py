"""Inbox: the processed event ids of each consumer. Claiming an id in the handler's own transaction makes the
handler idempotent: a redelivered event finds its id taken and changes nothing."""
import uuid

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncSession

# The ids travel as two array parameters, so the statement's text is the same for any batch size: SQLAlchemy
# compiles it once and asyncpg prepares it once per connection. (A multi-row VALUES list was a new statement for
# each size, compiled again per batch: ~5 ms of CPU for a batch of 100, a tenth of applying the batch.)
CLAIM = text(
    "INSERT INTO inbox (consumer, event_id, event_type) "
    "SELECT :consumer, e.event_id, e.event_type FROM unnest(CAST(:ids AS uuid[]), CAST(:types AS varchar[])) "
    "AS e(event_id, event_type) "
    "ON CONFLICT DO NOTHING RETURNING event_id"
).columns(event_id=UUID(as_uuid=True))


async def claim(session: AsyncSession, consumer: str, event_id: uuid.UUID, event_type: str) -> bool:
    """True the first time this consumer sees event_id; False on every redelivery."""
    return event_id in await claim_many(session, consumer, [(event_id, event_type)])


async def claim_many(session: AsyncSession, consumer: str, events: list[tuple[uuid.UUID, str]]) -> set[uuid.UUID]:
    """Claim a batch in one statement; returns the ids seen for the first time (an id twice in the batch is
    claimed once)."""
    rows = await session.execute(CLAIM, {"consumer": consumer, "ids": [event_id for event_id, _ in events],
                                         "types": [event_type for _, event_type in events]})
    return set(rows.scalars())
