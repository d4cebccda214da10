"""Tests of what a consumer refuses: queue envelopes and raw bodies (as anyone with access to the broker could
publish them) in one go, start the consumer, and return once it has applied the expected number and dead-lettered
the rest, with the dead letters for their reasons."""
from typing import Any, Callable

import aio_pika
from aio_pika.abc import AbstractIncomingMessage, AbstractQueue
from sqlalchemy import text

from bihuan_shared.bus.connection import connect
from bihuan_shared.bus.publisher import OutgoingEvent, to_message
from bihuan_shared.bus.topology import declare_events_exchange
from bihuan_shared.events import Envelope
from bihuan_shared.testing.services import eventually

Raw = tuple[str, bytes]  # (routing key, body): a message that was never an envelope of ours, or an oversized one


async def settle(make_consumer: Callable[[], Any], amqp_url: str, messages: list[Envelope | Raw], inbox_sessionmaker,
                 *, applied: list[Envelope], dead: int) -> list[AbstractIncomingMessage]:
    """Publish `messages` in order while the consumer is stopped (so they arrive as one batch), run it until every
    envelope in `applied` is in its inbox and `dead` messages are in its dead-letter queue; return those."""
    declaring = make_consumer()
    await declaring.start()
    await declaring.close()
    await publish(amqp_url, messages)
    running = make_consumer()
    await running.start()
    ids = [e.event_id for e in applied]

    async def all_applied() -> None:
        async with inbox_sessionmaker() as s:
            n = await s.scalar(text("SELECT count(*) FROM inbox WHERE consumer = :c AND event_id = ANY(:ids)"),
                               {"c": running.consumer, "ids": ids})
        assert n == len(ids), f"{n} of {len(ids)} events applied"

    try:
        await eventually(all_applied)
        return await drain(running.queues.dead, dead)
    finally:
        await running.close()


async def publish(amqp_url: str, messages: list[Envelope | Raw]) -> None:
    connection = await connect(amqp_url, "bihuan-tests-raw")
    try:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await declare_events_exchange(channel)
        for m in messages:
            if isinstance(m, Envelope):
                await exchange.publish(to_message(OutgoingEvent.of(m)), routing_key=m.event_type)
            else:
                routing_key, body = m
                await exchange.publish(aio_pika.Message(body, type=routing_key), routing_key=routing_key)
    finally:
        await connection.close()


async def drain(queue: AbstractQueue, n: int, timeout: float = 20) -> list[AbstractIncomingMessage]:
    """The next n messages of a queue (acknowledged); fails the test if fewer arrive within the timeout."""
    got: list[AbstractIncomingMessage] = []
    if n:
        try:
            async with queue.iterator(timeout=timeout) as it:
                async for message in it:
                    await message.ack()
                    got.append(message)
                    if len(got) == n:
                        break
        except TimeoutError:
            raise AssertionError(f"{len(got)} of {n} messages dead-lettered in {timeout} s") from None
    return got
