"""What the raw servers do on this machine, measured the way the system uses them: persistent messages on a quorum
queue published with confirms in gathered batches and consumed with a prefetch window and one ack per message (as
the kit's Publisher and EventConsumer do); rows of an envelope's size COPYed into PostgreSQL."""
import asyncio
import os
import time
import uuid

import aio_pika
import asyncpg

from bihuan_shared.db import asyncpg_dsn
from bihuan_shared.testing.bench import BenchEnv

BODY = os.urandom(600)  # about the size of a target.published envelope with one milestone
PUBLISH_BATCH = 500  # the relay's default batch


async def rabbitmq_rates(env: BenchEnv, messages: int) -> dict:
    """Confirmed publish rate, then consume rate of the same messages (msg/s)."""
    connection = await aio_pika.connect(env.amqp_url)
    try:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.declare_exchange("bench.raw", aio_pika.ExchangeType.TOPIC, durable=True)
        queue = await channel.declare_queue(f"bench.raw.{uuid.uuid4().hex[:6]}", durable=True,
                                            arguments={"x-queue-type": "quorum"})
        await queue.bind(exchange, routing_key="bench.raw.happened")
        started = time.perf_counter()
        for first in range(0, messages, PUBLISH_BATCH):
            await asyncio.gather(*(
                exchange.publish(aio_pika.Message(BODY, message_id=uuid.uuid4().hex,
                                                  delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                                 routing_key="bench.raw.happened")
                for _ in range(min(PUBLISH_BATCH, messages - first))))
        publish_s = time.perf_counter() - started
        consume_s = await _consume_all(connection, queue.name, messages)
        await queue.delete(if_unused=False, if_empty=False)
        return {"publish_msg_per_s": messages / publish_s, "consume_msg_per_s": messages / consume_s}
    finally:
        await connection.close()


async def _consume_all(connection, queue_name: str, messages: int) -> float:
    channel = await connection.channel()
    await channel.set_qos(prefetch_count=100)  # the kit's default prefetch
    queue = await channel.declare_queue(queue_name, passive=True)
    done = asyncio.Event()
    seen = 0

    async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        nonlocal seen
        await message.ack()
        seen += 1
        if seen >= messages:
            done.set()

    started = time.perf_counter()
    tag = await queue.consume(on_message)
    await asyncio.wait_for(done.wait(), timeout=300)
    elapsed = time.perf_counter() - started
    await queue.cancel(tag)
    await channel.close()
    return elapsed


async def postgres_copy_rate(env: BenchEnv, rows: int) -> dict:
    """Rows of an envelope's size COPYed into an indexed table (rows/s)."""
    url = await env.database("raw_copy")
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await conn.execute("DROP TABLE IF EXISTS raw_copy; CREATE TABLE raw_copy "
                           "(id bigint PRIMARY KEY, event_id uuid NOT NULL, body bytea NOT NULL)")
        records = [(i, uuid.uuid4(), BODY) for i in range(rows)]
        started = time.perf_counter()
        await conn.copy_records_to_table("raw_copy", records=records, columns=["id", "event_id", "body"])
        elapsed = time.perf_counter() - started
        return {"copy_rows_per_s": rows / elapsed}
    finally:
        await conn.close()
