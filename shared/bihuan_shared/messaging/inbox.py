"""Inbox: the processed event ids of each consumer. Claiming an id in the handler's own transaction makes the
handler idempotent: a redelivered event finds its id taken and changes nothing."""
import uuid

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bihuan_shared.messaging.tables import inbox


async def claim(session: AsyncSession, consumer: str, event_id: uuid.UUID, event_type: str) -> bool:
    """True the first time this consumer sees event_id; False on every redelivery."""
    stmt = (
        insert(inbox)
        .values(consumer=consumer, event_id=event_id, event_type=event_type)
        .on_conflict_do_nothing()
        .returning(inbox.c.event_id)
    )
    return (await session.execute(stmt)).first() is not None


async def claim_many(session: AsyncSession, consumer: str, events: list[tuple[uuid.UUID, str]]) -> set[uuid.UUID]:
    """Claim a batch in one statement; returns the ids seen for the first time."""
    stmt = (
        insert(inbox)
        .values([{"consumer": consumer, "event_id": event_id, "event_type": event_type} for event_id, event_type in events])
        .on_conflict_do_nothing()
        .returning(inbox.c.event_id)
    )
    return set((await session.execute(stmt)).scalars())
