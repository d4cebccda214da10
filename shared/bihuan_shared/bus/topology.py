"""The whole AMQP topology, declared in one place.

One durable topic exchange carries every domain event. Each consuming (service, purpose) owns three quorum queues:
  <consumer>        the work queue, bound to the routing keys it handles
  <consumer>.retry.<delay>ms  holds a failed message for the delay, then dead-letters it back to <consumer> only
                   (the delay is in the name because queue arguments are fixed: a new delay is a new queue, and
                   messages still waiting in the old one return to <consumer> all the same)
  <consumer>.dlq    where a message lands with its failure reason once retries are spent
Queue arguments cannot change after declaration, so delivery limit and dead-lettering exist from day one.
"""
from dataclasses import dataclass

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractQueue

EVENTS_EXCHANGE = "bihuan.events"
DEAD_LETTER_EXCHANGE = "bihuan.dead"
# Safety net for crash loops (a consumer dying mid-message): the broker itself dead-letters after this many deliveries.
DELIVERY_LIMIT = 10


@dataclass(frozen=True)
class ConsumerQueues:
    work: AbstractQueue
    retry: AbstractQueue
    dead: AbstractQueue


async def declare_events_exchange(channel: AbstractChannel) -> AbstractExchange:
    return await channel.declare_exchange(EVENTS_EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True)


async def declare_consumer_queues(
    channel: AbstractChannel, consumer: str, routing_keys: list[str], retry_delay_ms: int
) -> ConsumerQueues:
    events = await declare_events_exchange(channel)
    dead_exchange = await channel.declare_exchange(DEAD_LETTER_EXCHANGE, aio_pika.ExchangeType.DIRECT, durable=True)
    dead = await channel.declare_queue(f"{consumer}.dlq", durable=True, arguments={"x-queue-type": "quorum"})
    await dead.bind(dead_exchange, routing_key=f"{consumer}.dlq")
    work = await channel.declare_queue(
        consumer,
        durable=True,
        arguments={
            "x-queue-type": "quorum",
            "x-delivery-limit": DELIVERY_LIMIT,
            "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE,
            "x-dead-letter-routing-key": f"{consumer}.dlq",
        },
    )
    for key in routing_keys:
        await work.bind(events, routing_key=key)
    retry = await channel.declare_queue(
        f"{consumer}.retry.{retry_delay_ms}ms",
        durable=True,
        arguments={
            "x-queue-type": "quorum",
            "x-message-ttl": retry_delay_ms,
            # The default exchange routes by queue name, so a retried message returns to this consumer only.
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": consumer,
        },
    )
    return ConsumerQueues(work=work, retry=retry, dead=dead)
