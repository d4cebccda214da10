"""The bus against the real RabbitMQ and PostgreSQL: outbox relay with confirms, inbox dedupe, retry then
dead-letter with a reason, and a poison message that does not block the queue."""
import asyncio
import uuid

import aio_pika
import pytest
from pydantic import BaseModel
from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert

from bihuan_shared.bus.connection import connect
from bihuan_shared.bus.consumer import REASON_HEADER, RETRIES_HEADER, EventConsumer, PermanentFailure
from bihuan_shared.bus.publisher import OutgoingEvent, Publisher
from bihuan_shared.bus.topology import declare_events_exchange
from bihuan_shared.events import event_contract, new_event
from bihuan_shared.messaging.outbox import record_events
from bihuan_shared.messaging.relay import OutboxRelay
from bihuan_shared.messaging.tables import inbox, outbox
from bihuan_shared.testing.dead_letters import drain
from bihuan_shared.testing.services import eventually

from sqlalchemy import Column, Integer, MetaData, String, Table
import pytest_asyncio

from bihuan_shared.db import make_engine, make_sessionmaker
from bihuan_shared.messaging.tables import KIT_METADATA

TEST_METADATA = MetaData()
applied = Table("applied", TEST_METADATA, Column("key", String(100), primary_key=True), Column("n", Integer))


@pytest_asyncio.fixture(scope="module")
async def kit_engine(make_database):
    """A database with the kit's tables plus one table the test handler writes to."""
    engine = make_engine(await make_database("kit"), pool_size=5)
    async with engine.begin() as conn:
        await conn.run_sync(KIT_METADATA.create_all)
        await conn.run_sync(TEST_METADATA.create_all)
    yield engine
    await engine.dispose()


@pytest_asyncio.fixture(scope="module")
async def kit_sessionmaker(kit_engine):
    return make_sessionmaker(kit_engine)


@event_contract("test.counter.bumped", 1, producer="test")
class CounterBumped(BaseModel):
    key: str
    fail: str = "never"  # "always" | "permanent"


def bump(key: str, fail: str = "never"):
    return new_event(CounterBumped(key=key, fail=fail), scope="test", aggregate_id=key, sequence=1)


async def on_counter_bumped(ctx, event: CounterBumped) -> None:
    if event.fail == "always":
        raise RuntimeError(f"handler cannot process {event.key}")
    if event.fail == "permanent":
        raise PermanentFailure(f"{event.key} can never succeed")
    await ctx.session.execute(insert(applied).values(key=event.key, n=1).on_conflict_do_update(
        index_elements=["key"], set_={"n": applied.c.n + 1}))


@pytest.fixture
async def broker(amqp_url):
    conn = await connect(amqp_url, "kit-test")
    yield conn
    await conn.close()


async def count_of(sm, key: str) -> int | None:
    async with sm() as s:
        return await s.scalar(select(applied.c.n).where(applied.c.key == key))


async def start_consumer(broker, sm, name: str, **kw) -> EventConsumer:
    consumer = EventConsumer(broker, sm, name, {"test.counter.bumped": on_counter_bumped}, prefetch=50,
                             max_retries=2, retry_delay_ms=200, **kw)
    await consumer.start()
    return consumer


async def publish_raw(broker, envelopes):
    pub = Publisher(broker)
    await pub.start()
    await pub.publish([OutgoingEvent.of(e) for e in envelopes])
    await pub.close()


async def test_outbox_relay_publishes_committed_events_only(broker, kit_engine, kit_sessionmaker):
    channel = await broker.channel()
    queue = await channel.declare_queue(exclusive=True)
    await queue.bind(await declare_events_exchange(channel), "test.counter.#")
    kept, rolled_back = bump(f"k-{uuid.uuid4().hex}"), bump(f"r-{uuid.uuid4().hex}")
    async with kit_sessionmaker() as s, s.begin():
        await record_events(s, [kept])
    with pytest.raises(RuntimeError):
        async with kit_sessionmaker() as s, s.begin():
            await record_events(s, [rolled_back])
            raise RuntimeError("business change failed")
    publisher = Publisher(broker)
    relay = OutboxRelay(kit_engine, publisher, "kit-test", batch_size=100)
    assert await relay.relay_once() >= 1
    got = []
    async with queue.iterator(timeout=5) as it:
        async for message in it:
            await message.ack()
            got.append(message.message_id)
            if str(kept.event_id) in got:
                break
    assert str(rolled_back.event_id) not in got
    async with kit_sessionmaker() as s:
        row = (await s.execute(select(outbox.c.published_at).where(outbox.c.event_id == kept.event_id))).one()
        assert row.published_at is not None
        assert await s.scalar(select(outbox.c.id).where(outbox.c.event_id == rolled_back.event_id)) is None
    await channel.close()


async def test_relay_run_is_woken_by_notify(broker, kit_engine, kit_sessionmaker):
    relay = OutboxRelay(kit_engine, Publisher(broker), "kit-test", poll_seconds=30)
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    await asyncio.sleep(0.5)  # let it LISTEN
    event = bump(f"n-{uuid.uuid4().hex}")
    async with kit_sessionmaker() as s, s.begin():
        await record_events(s, [event])

    async def sent():
        async with kit_sessionmaker() as s:
            assert await s.scalar(select(outbox.c.published_at).where(outbox.c.event_id == event.event_id))

    await eventually(sent, timeout=10)  # far below the 30 s poll: NOTIFY woke it
    stop.set()
    await task


async def test_duplicate_delivery_is_applied_once(broker, kit_sessionmaker):
    consumer = await start_consumer(broker, kit_sessionmaker, f"kit.dedupe.{uuid.uuid4().hex[:6]}")
    event = bump(f"d-{uuid.uuid4().hex}")
    await publish_raw(broker, [event, event, event])
    follower = bump(f"f-{uuid.uuid4().hex}")
    await publish_raw(broker, [follower])

    async def applied_once():
        assert await count_of(kit_sessionmaker, follower.payload["key"]) == 1
        assert await count_of(kit_sessionmaker, event.payload["key"]) == 1

    await eventually(applied_once)
    async with kit_sessionmaker() as s:
        n = await s.scalar(text("SELECT count(*) FROM inbox WHERE event_id = :id"), {"id": event.event_id})
    assert n == 1
    await consumer.close()


async def test_failing_message_is_retried_then_dead_lettered_while_others_flow(broker, kit_sessionmaker):
    name = f"kit.poison.{uuid.uuid4().hex[:6]}"
    consumer = await start_consumer(broker, kit_sessionmaker, name)
    poison, good = bump(f"p-{uuid.uuid4().hex}", fail="always"), bump(f"g-{uuid.uuid4().hex}")
    await publish_raw(broker, [poison, good])

    async def good_applied():
        assert await count_of(kit_sessionmaker, good.payload["key"]) == 1

    await eventually(good_applied, timeout=5)  # the good one does not wait behind the poison's retries
    [dead] = await drain(consumer.queues.dead, 1)
    assert dead.message_id == str(poison.event_id)
    assert dead.headers[RETRIES_HEADER] == 2
    assert "handler cannot process" in dead.headers[REASON_HEADER]
    assert await count_of(kit_sessionmaker, poison.payload["key"]) is None
    await consumer.close()


async def test_malformed_and_permanent_failures_go_straight_to_dead_letter(broker, kit_sessionmaker):
    name = f"kit.malformed.{uuid.uuid4().hex[:6]}"
    consumer = await start_consumer(broker, kit_sessionmaker, name)
    channel = await broker.channel()
    exchange = await declare_events_exchange(channel)
    await exchange.publish(aio_pika.Message(b"{not json", message_id="garbage-1"), routing_key="test.counter.bumped")
    bad_payload = bump("x").model_copy(update={"payload": {"key": 42}})
    await exchange.publish(aio_pika.Message(bad_payload.to_bytes(), message_id="bad-payload"),
                           routing_key="test.counter.bumped")
    permanent = bump(f"perm-{uuid.uuid4().hex}", fail="permanent")
    await publish_raw(broker, [permanent])
    dead = {m.message_id: m for m in await drain(consumer.queues.dead, 3)}
    assert "invalid event" in dead["garbage-1"].headers[REASON_HEADER]
    assert "key" in dead["bad-payload"].headers[REASON_HEADER]
    assert "can never succeed" in dead[str(permanent.event_id)].headers[REASON_HEADER]
    assert RETRIES_HEADER not in dead[str(permanent.event_id)].headers
    await channel.close()
    await consumer.close()


async def test_inbox_rows_are_per_consumer(kit_sessionmaker):
    from bihuan_shared.messaging.inbox import claim
    event_id = uuid.uuid4()
    async with kit_sessionmaker() as s, s.begin():
        assert await claim(s, "a", event_id, "t.x.y") is True
        assert await claim(s, "a", event_id, "t.x.y") is False
        assert await claim(s, "b", event_id, "t.x.y") is True
    async with kit_sessionmaker() as s:
        assert await s.scalar(select(inbox.c.consumer).where(inbox.c.event_id == event_id,
                                                               inbox.c.consumer == "b")) == "b"
