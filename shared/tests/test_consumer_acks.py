"""How the consumer acknowledges a committed batch, against the real RabbitMQ: one 'multiple' ack when the batch is
every unsettled delivery up to its last one on its channel, one ack per message otherwise, so that a multiple ack
never settles a message the consumer has not finished with. What the broker still holds is read back by closing the
channel: unsettled messages return to the queue."""
import uuid

import aio_pika
import pytest_asyncio
from aio_pika.message import IncomingMessage

from bihuan_shared.bus.consumer import EventConsumer
from bihuan_shared.testing.services import eventually


@pytest_asyncio.fixture
async def delivered(amqp_url):
    """Five messages delivered on one channel and not yet acknowledged; yields (consumer, messages, ready())."""
    # a plain connection: closing a channel of a robust one does not hand its unacknowledged messages back
    connection = await aio_pika.connect(amqp_url)
    name = f"kit.acks.{uuid.uuid4().hex[:8]}"
    setup = await connection.channel()
    queue = await setup.declare_queue(name, durable=False, auto_delete=False)
    for i in range(5):
        await setup.default_exchange.publish(aio_pika.Message(f"m{i}".encode()), routing_key=name)
    channel = await connection.channel()
    await channel.set_qos(prefetch_count=10)
    messages: list[IncomingMessage] = []

    async def keep(message: IncomingMessage) -> None:
        messages.append(message)
    await (await channel.get_queue(name)).consume(keep)

    async def all_five():
        assert len(messages) == 5
    await eventually(all_five)
    consumer = EventConsumer(connection, None, name, {})
    for m in messages:
        consumer._received(m)

    async def ready() -> int:
        """Close the consuming channel; what was not acknowledged returns to the queue."""
        if not channel.is_closed:
            await channel.close()
        return (await setup.declare_queue(name, passive=True)).declaration_result.message_count

    yield consumer, messages, ready
    await queue.delete(if_unused=False, if_empty=False)
    await connection.close()


def spy_on_acks(monkeypatch) -> list[tuple[bytes, bool]]:
    sent: list[tuple[bytes, bool]] = []
    original = IncomingMessage.ack

    async def ack(self, multiple: bool = False):
        sent.append((self.body, multiple))
        await original(self, multiple=multiple)
    monkeypatch.setattr(IncomingMessage, "ack", ack)
    return sent


async def test_a_batch_of_every_unsettled_delivery_is_acknowledged_in_one_frame(delivered, monkeypatch):
    consumer, messages, ready = delivered
    sent = spy_on_acks(monkeypatch)
    await consumer._ack_batch(messages[:3])
    assert sent == [(b"m2", True)]

    async def two_left():
        assert await ready() == 2  # m3 and m4: the multiple ack covered exactly the batch
    await eventually(two_left)


async def test_an_earlier_unsettled_delivery_keeps_the_batch_to_one_ack_each(delivered, monkeypatch):
    consumer, messages, ready = delivered
    sent = spy_on_acks(monkeypatch)
    # m0 is still being dead-lettered (or was left behind by a failure): a multiple ack of m3 would settle it too
    await consumer._ack_batch(messages[1:4])
    assert sent == [(b"m1", False), (b"m2", False), (b"m3", False)]
    # once m0 is settled, the next batch goes in one frame again
    await consumer._ack(messages[0])
    await consumer._ack_batch(messages[4:])
    assert sent[-2:] == [(b"m0", False), (b"m4", True)]

    async def none_left():
        assert await ready() == 0
    await eventually(none_left)


async def test_a_batch_with_a_gap_is_acknowledged_one_by_one(delivered, monkeypatch):
    consumer, messages, ready = delivered
    sent = spy_on_acks(monkeypatch)
    # m2 went elsewhere (an invalid event being dead-lettered): the batch is m0, m1, m3
    await consumer._ack_batch([messages[0], messages[1], messages[3]])
    assert [multiple for _, multiple in sent] == [False, False, False]

    async def two_left():
        assert await ready() == 2  # m2 and m4
    await eventually(two_left)
