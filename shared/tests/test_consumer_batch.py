"""The consumer's batch scope against the real RabbitMQ and PostgreSQL: handlers of one transaction share its state,
and work registered for before the commit runs once per transaction, after the last handler; a batch that fails
and is replayed one by one gives each event its own scope."""
import uuid

import pytest_asyncio
from pydantic import BaseModel
from sqlalchemy import Column, Integer, MetaData, String, Table, func, select
from sqlalchemy.dialects.postgresql import ARRAY, insert

from bihuan_shared.bus.connection import connect
from bihuan_shared.bus.consumer import EventConsumer
from bihuan_shared.db import make_engine, make_sessionmaker
from bihuan_shared.events import event_contract, new_event
from bihuan_shared.messaging.tables import KIT_METADATA, outbox
from bihuan_shared.testing.services import eventually, publish_envelopes

METADATA = MetaData()
# one row per transaction: the keys its handlers touched, written by the before-commit work
flushes = Table("flushes", METADATA, Column("id", Integer, primary_key=True, autoincrement=True),
                Column("run", String(40)), Column("touched", ARRAY(String)))


@event_contract("test.item.touched", 1, producer="test")
class ItemTouched(BaseModel):
    run: str
    key: str
    fail: bool = False


@event_contract("test.items.flushed", 1, producer="test")
class ItemsFlushed(BaseModel):
    keys: list[str]


async def on_item_touched(ctx, event: ItemTouched) -> None:
    if event.fail:
        raise RuntimeError("this one never applies")
    touched = ctx.batch.state.setdefault("touched", [])
    touched.append(event.key)

    async def flush() -> None:
        await ctx.session.execute(insert(flushes).values(run=event.run, touched=list(touched)))
        ctx.emit(ItemsFlushed(keys=list(touched)), aggregate_id=event.run, sequence=len(touched))

    ctx.batch.before_commit("flush", flush)


@pytest_asyncio.fixture(scope="module")
async def sessionmaker(make_database):
    engine = make_engine(await make_database("kit_batch"), pool_size=3)
    async with engine.begin() as conn:
        await conn.run_sync(KIT_METADATA.create_all)
        await conn.run_sync(METADATA.create_all)
    yield make_sessionmaker(engine)
    await engine.dispose()


async def drained(amqp_url, sessionmaker, events) -> tuple:
    """Queue the events before the consumer starts, so they arrive together and are applied in one batch."""
    name = f"kit.batch.{uuid.uuid4().hex[:6]}"
    connection = await connect(amqp_url, "kit-batch-test")

    def consumer() -> EventConsumer:
        # the batch waits up to 300 ms for company: all the queued events make one batch even on a loaded machine
        return EventConsumer(connection, sessionmaker, name, {"test.item.touched": on_item_touched}, prefetch=50,
                             batch_size=50, max_retries=0, retry_delay_ms=100, batch_wait_ms=300)

    declaring = consumer()
    await declaring.start()
    await declaring.close()
    await publish_envelopes(amqp_url, events)
    running = consumer()
    await running.start()
    return connection, running


def touch(run: str, key: str, fail: bool = False):
    return new_event(ItemTouched(run=run, key=key, fail=fail), scope="test", aggregate_id=key, sequence=1)


async def rows_of(sessionmaker, run: str) -> list[list[str]]:
    async with sessionmaker() as s:
        return [list(r) for r in (await s.scalars(select(flushes.c.touched).where(flushes.c.run == run)
                                                  .order_by(flushes.c.id))).all()]


async def test_before_commit_work_runs_once_per_batch_after_its_last_handler(amqp_url, sessionmaker):
    run = uuid.uuid4().hex
    keys = [f"k{i}" for i in range(20)]
    connection, consumer = await drained(amqp_url, sessionmaker, [touch(run, k) for k in keys])
    try:
        async def all_flushed():
            assert sum(len(r) for r in await rows_of(sessionmaker, run)) == 20
        await eventually(all_flushed)
        assert await rows_of(sessionmaker, run) == [keys]  # one transaction, one flush, every key in delivery order
        async with sessionmaker() as s:  # what the work emitted is in the outbox with the handlers' events
            assert await s.scalar(select(func.count()).select_from(outbox).where(
                outbox.c.event_type == "test.items.flushed", outbox.c.aggregate_id == run)) == 1
    finally:  # a consumer left running would also take the next test's events (same event type)
        await consumer.close()
        await connection.close()


async def test_a_failed_batch_replayed_one_by_one_gives_each_event_its_own_scope(amqp_url, sessionmaker):
    run = uuid.uuid4().hex
    events = [touch(run, "a"), touch(run, "b"), touch(run, "poison", fail=True), touch(run, "c")]
    connection, consumer = await drained(amqp_url, sessionmaker, events)
    try:
        async def replayed():
            assert sorted(await rows_of(sessionmaker, run)) == [["a"], ["b"], ["c"]]
        await eventually(replayed)
    finally:
        await consumer.close()
        await connection.close()
