"""Publishing with publisher confirms on a channel of its own; a batch is confirmed together with gather."""
import asyncio
from dataclasses import dataclass

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractRobustConnection

from bihuan_shared.bus.topology import declare_events_exchange
from bihuan_shared.events.envelope import Envelope


@dataclass(frozen=True)
class OutgoingEvent:
    event_id: str
    event_type: str
    body: bytes
    correlation_id: str | None = None

    @classmethod
    def of(cls, envelope: "Envelope") -> "OutgoingEvent":
        return cls(str(envelope.event_id), envelope.event_type, envelope.to_bytes(), envelope.correlation_id)


def to_message(event: OutgoingEvent, headers: dict | None = None) -> aio_pika.Message:
    return aio_pika.Message(
        event.body,
        message_id=event.event_id,
        type=event.event_type,
        correlation_id=event.correlation_id,
        content_type="application/json",
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        headers=headers or {},
    )


class Publisher:
    def __init__(self, connection: AbstractRobustConnection):
        self._connection = connection
        self._channel: AbstractChannel | None = None
        self._exchange: AbstractExchange | None = None

    async def start(self) -> None:
        self._channel = await self._connection.channel(publisher_confirms=True)
        self._exchange = await declare_events_exchange(self._channel)

    async def publish(self, events: list[OutgoingEvent]) -> None:
        """Returns once the broker has confirmed every event; raises if any was refused."""
        if self._exchange is None:
            await self.start()
        assert self._exchange is not None
        # mandatory=False: an event nobody subscribes to yet is still a fact, not an error.
        await asyncio.gather(
            *(self._exchange.publish(to_message(e), routing_key=e.event_type, mandatory=False) for e in events)
        )

    async def close(self) -> None:
        if self._channel is not None and not self._channel.is_closed:
            await self._channel.close()
