"""Events are size-capped at both ends (issue 12 #10): a consumer dead-letters a body over its cap unread (the reason
says so, even for a body that is not JSON) and goes on with the next message; the hotline queue, whose messages
carry arrays of orders, has a cap of its own; a producer cannot stage an oversized event, its transaction rolls
back, and an API answers 413 with the error shape. Real RabbitMQ and PostgreSQL."""
import uuid

import aio_pika
import pytest
import pytest_asyncio
from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import Column, MetaData, String, Table, func, insert, select

from bihuan_execution.main import MIGRATIONS as EXECUTION_MIGRATIONS
from bihuan_execution.settings import ExecutionSettings
from bihuan_execution.store.models import TargetCopy
from bihuan_execution.testing import DAY0, published, snapshot
from bihuan_execution.worker import runtime
from bihuan_shared.bus.batch_consumer import BatchConsumer
from bihuan_shared.bus.connection import connect
from bihuan_shared.bus.consumer import REASON_HEADER, EventConsumer
from bihuan_shared.db import make_engine, make_sessionmaker
from bihuan_shared.events import event_contract, new_event
from bihuan_shared.events.limits import MAX_MESSAGE_BYTES, EventTooLarge
from bihuan_shared.messaging.outbox import record_events
from bihuan_shared.messaging.tables import KIT_METADATA, outbox
from bihuan_shared.migrations import upgrade_async
from bihuan_shared.settings import ServiceSettings
from bihuan_shared.testing.dead_letters import drain, publish, settle
from bihuan_shared.testing.services import eventually, running_app, running_worker
from bihuan_shared.web.app import build_app
from bihuan_shared.web.deps import SessionDep

pytestmark = pytest.mark.asyncio(loop_scope="session")
TWO_MIB = 2 * 1024 * 1024

PROBE_METADATA = MetaData()
notes = Table("size_probe_notes", PROBE_METADATA, Column("key", String(64), primary_key=True))


@event_contract("test.size_probe.noted", 1, producer="test")
class Noted(BaseModel):
    key: str
    padding: str = ""


def noted(key: str, padding: int = 0):
    return new_event(Noted(key=key, padding="x" * padding), scope="test", aggregate_id=key, sequence=1)


async def on_noted(ctx, event: Noted) -> None:
    await ctx.session.execute(insert(notes).values(key=event.key))


@pytest_asyncio.fixture(scope="module")
async def kit_db(make_database):
    url = await make_database("event_size_kit")
    engine = make_engine(url, pool_size=3)
    async with engine.begin() as conn:
        await conn.run_sync(KIT_METADATA.create_all)
        await conn.run_sync(PROBE_METADATA.create_all)
    yield url, make_sessionmaker(engine)
    await engine.dispose()


async def stored_keys(sessionmaker) -> set[str]:
    async with sessionmaker() as s:
        return set((await s.scalars(select(notes.c.key))).all())


async def test_a_2_mib_event_is_dead_lettered_unread_and_the_next_one_applied(vhost_url, kit_db):
    _, sessionmaker = kit_db
    connection = await connect(vhost_url, "event-size-test")
    name = f"hostile.size.{uuid.uuid4().hex[:8]}"
    big, follower = noted(f"big-{uuid.uuid4().hex}", padding=TWO_MIB), noted(f"next-{uuid.uuid4().hex}")
    not_json = ("test.size_probe.noted", b"{" + b"x" * TWO_MIB)  # over the cap: refused before anyone parses it

    def consumer() -> EventConsumer:
        return EventConsumer(connection, sessionmaker, name, {"test.size_probe.noted": on_noted}, max_retries=0,
                             retry_delay_ms=100)

    try:
        dead = await settle(consumer, vhost_url, [big, not_json, follower], sessionmaker, applied=[follower], dead=2)
    finally:
        await connection.close()
    reasons = [m.headers[REASON_HEADER] for m in dead]
    assert all(r.startswith("message too large") and f"cap of {MAX_MESSAGE_BYTES} bytes" in r for r in reasons)
    assert {len(m.body) for m in dead} == {len(big.to_bytes()), TWO_MIB + 1}  # parked whole, for inspection
    keys = await stored_keys(sessionmaker)
    assert follower.payload["key"] in keys and big.payload["key"] not in keys


@pytest_asyncio.fixture(scope="module")
async def execution_settings(make_database, vhost_url):
    url = await make_database("event_size_execution")
    await upgrade_async(EXECUTION_MIGRATIONS, url)
    return ExecutionSettings(database_url=url, amqp_url=vhost_url, today=DAY0, db_pool_size=2, retry_delay_ms=200,
                             relay_poll_seconds=0.2, log_json=False)


async def test_the_service_worker_caps_what_it_consumes(execution_settings, vhost_url):
    """The worker takes its cap from the settings (max_message_bytes); a target naming 42,000 responsible units
    (2 MiB) was stored before."""
    s = execution_settings
    huge = snapshot("S-BIG", "U-1", [DAY0], responsible=tuple(f"U-{i:06d}-{'x' * 40}" for i in range(42_000)))
    small = snapshot("S-SMALL", "U-1", [DAY0])
    big_event, small_event = published(huge, "xuhui"), published(small, "xuhui")
    assert len(big_event.to_bytes()) > TWO_MIB
    engine = make_engine(s.database_url, 1)
    sessionmaker = make_sessionmaker(engine)
    async with running_worker(runtime(s)):
        await publish(vhost_url, [big_event, small_event])

        async def small_applied():
            async with sessionmaker() as session:
                assert await session.get(TargetCopy, small["target_id"]) is not None
        await eventually(small_applied)
        connection = await aio_pika.connect(vhost_url)
        async with connection:
            channel = await connection.channel()
            [dead] = await drain(await channel.declare_queue("execution.targets.dlq", passive=True), 1)
    assert dead.message_id == str(big_event.event_id)
    assert dead.headers[REASON_HEADER].startswith("message too large")
    async with sessionmaker() as session:
        assert await session.get(TargetCopy, huge["target_id"]) is None
    await engine.dispose()


async def test_a_batch_consumer_parks_an_oversized_message_unread_and_stores_the_rest(vhost_url):
    """The hotline feed's consumer: messages carry arrays, so the cap is the consumer's own (16 MiB for the hotline
    queue, from hotline_max_message_bytes); here 1 MiB."""
    queue = f"hostile.size.batch.{uuid.uuid4().hex[:8]}"
    seen: list[bytes] = []

    async def handle(batch, prepared) -> dict[int, str]:
        seen.extend(m.body for m in batch)
        return {}

    def prepare(batch):
        assert all(len(m.body) <= MAX_MESSAGE_BYTES for m in batch), "an oversized message reached prepare"

    connection = await connect(vhost_url, "event-size-batch-test")
    consumer = BatchConsumer(connection, queue, handle, prepare=prepare, max_wait=0.05,
                             max_message_bytes=MAX_MESSAGE_BYTES)
    await consumer.start()
    try:
        channel = await connection.channel(publisher_confirms=True)
        bodies = [b'{"order_id": "A"}', b"[" + b" " * TWO_MIB + b"]", b'{"order_id": "B"}']
        for body in bodies:
            await channel.default_exchange.publish(aio_pika.Message(body), routing_key=queue)

        async def handled():
            assert seen == [bodies[0], bodies[2]]
        await eventually(handled)
        [dead] = await drain(consumer.queues.dead, 1)
        assert dead.body == bodies[1] and dead.headers[REASON_HEADER].startswith("message too large")
    finally:
        await consumer.close()
        await connection.close()


async def test_staging_an_oversized_event_fails_its_transaction(kit_db):
    _, sessionmaker = kit_db
    key = f"staged-{uuid.uuid4().hex}"
    big = noted(key, padding=TWO_MIB)
    with pytest.raises(EventTooLarge, match="message too large"):
        async with sessionmaker() as s, s.begin():
            await s.execute(insert(notes).values(key=key))  # the change the event would describe
            await record_events(s, [noted(f"fits-{uuid.uuid4().hex}"), big])
    async with sessionmaker() as s:
        assert await s.scalar(select(func.count()).select_from(outbox).where(outbox.c.event_id == big.event_id)) == 0
    assert key not in await stored_keys(sessionmaker)  # rolled back with it


def probe_router() -> APIRouter:
    router = APIRouter()

    @router.post("/notes/{key}")
    async def add(key: str, session: SessionDep, padding: int = 0) -> dict:
        async with session.begin():
            await session.execute(insert(notes).values(key=key))
            await record_events(session, [noted(key, padding)])
        return {"key": key}

    return router


async def test_an_api_whose_change_would_publish_an_oversized_event_answers_413(kit_db, vhost_url, infra):
    url, sessionmaker = kit_db
    settings = ServiceSettings(service_name="probe", database_url=url, amqp_url=vhost_url, redis_url=infra.redis_url,
                               db_pool_size=2)
    key = f"api-{uuid.uuid4().hex}"
    async with running_app(build_app(settings, title="probe", routers=[probe_router()])) as client:
        r = await client.post(f"/api/v1/notes/{key}", params={"padding": TWO_MIB})
        assert r.status_code == 413, r.text
        body = r.json()
        assert body["error"] == "event_too_large" and "上限" in body["message"]
        assert "message too large" in body["details"][0]["message"]
        assert (await client.post(f"/api/v1/notes/{key}")).status_code == 200  # nothing of the first was stored
