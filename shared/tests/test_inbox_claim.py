"""The inbox claim of a consumer batch against the real PostgreSQL: one statement whose text is the same for any
batch size (compiled and prepared once, not once per size), first sightings only, an id twice in a batch claimed
once, and rows kept per consumer."""
import uuid

import pytest_asyncio
from sqlalchemy import event, func, select

from bihuan_shared.db import make_engine, make_sessionmaker
from bihuan_shared.messaging.inbox import claim, claim_many
from bihuan_shared.messaging.tables import KIT_METADATA, inbox


@pytest_asyncio.fixture(scope="module")
async def db(make_database):
    engine = make_engine(await make_database("kit_inbox"), pool_size=2)
    async with engine.begin() as conn:
        await conn.run_sync(KIT_METADATA.create_all)
    statements: list[str] = []
    event.listen(engine.sync_engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    yield make_sessionmaker(engine), statements
    await engine.dispose()


def fresh(n: int) -> list[tuple[uuid.UUID, str]]:
    return [(uuid.uuid4(), "test.thing.happened") for _ in range(n)]


async def test_batches_of_any_size_share_one_statement(db):
    sessionmaker, statements = db
    statements.clear()
    for size in (1, 7, 100):
        batch = fresh(size)
        async with sessionmaker() as s, s.begin():
            assert await claim_many(s, "kit.a", batch) == {event_id for event_id, _ in batch}
    assert len(statements) == 3 and len(set(statements)) == 1, statements


async def test_only_first_sightings_are_claimed_once_per_consumer(db):
    sessionmaker, _ = db
    seen, new = fresh(3), fresh(2)
    async with sessionmaker() as s, s.begin():
        await claim_many(s, "kit.b", seen)
    async with sessionmaker() as s, s.begin():
        # redeliveries and an id twice in one batch: only the new ids, each once
        assert await claim_many(s, "kit.b", seen + new + new[:1]) == {new[0][0], new[1][0]}
        assert await claim(s, "kit.b", seen[0][0], seen[0][1]) is False
        assert await claim(s, "kit.c", seen[0][0], seen[0][1]) is True  # another consumer's inbox
        rows = await s.scalar(select(func.count()).select_from(inbox).where(
            inbox.c.event_id.in_([event_id for event_id, _ in seen + new])))
    assert rows == 6
