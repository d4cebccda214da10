"""Looking at a worker's queues from a test: wait until the worker has declared one, read its dead letters."""
import aio_pika

from bihuan_shared.bus.consumer import REASON_HEADER
from bihuan_shared.testing.services import eventually


async def queue_declared(connection: aio_pika.abc.AbstractConnection, name: str) -> None:
    """Wait until the queue exists (a worker declares its queues when it starts)."""
    async def declared() -> None:
        channel = await connection.channel()
        try:
            await channel.declare_queue(name, passive=True)
        except aio_pika.exceptions.ChannelClosed:
            raise AssertionError(f"queue {name} not declared yet") from None
        finally:
            if not channel.is_closed:
                await channel.close()

    await eventually(declared)


async def dead_letter_reasons(channel: aio_pika.abc.AbstractChannel, queue: str, count: int) -> list[str]:
    """The failure reasons of the next `count` messages parked in the queue's dead-letter queue."""
    dlq = await channel.declare_queue(f"{queue}.dlq", passive=True)
    reasons: list[str] = []

    async def parked() -> None:
        message = await dlq.get(no_ack=True, fail=False)
        if message is not None:
            reasons.append(message.headers[REASON_HEADER])
        assert len(reasons) == count

    await eventually(parked)
    return reasons
