"""Consuming events: validate, dispatch to on_<event> handlers inside one transaction with the inbox claim, ack after
commit. A failing message is retried after a delay a bounded number of times, then moved to the dead-letter queue
with its reason and acknowledged, so a poison message never blocks the queue."""
import logging
import time
import traceback
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Awaitable, Callable

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractRobustConnection
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bihuan_shared.bus.topology import DEAD_LETTER_EXCHANGE, ConsumerQueues, declare_consumer_queues
from bihuan_shared.events import REGISTRY, Envelope, UnknownEventType, new_event
from bihuan_shared.logging import correlation_id
from bihuan_shared.messaging.inbox import claim
from bihuan_shared.messaging.outbox import record_events
from bihuan_shared.metrics import EVENTS_CONSUMED, EVENTS_DEAD_LETTERED, HANDLER_LATENCY

log = logging.getLogger(__name__)

RETRIES_HEADER = "x-bihuan-retries"
REASON_HEADER = "x-bihuan-failure-reason"


@dataclass
class HandlerContext:
    """What a handler gets: the open transaction, the envelope, and a way to emit follow-up events in it."""

    session: AsyncSession
    envelope: Envelope
    resources: dict[str, Any]
    _emitted: list[Envelope] = field(default_factory=list)
    _after_commit: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    def emit(self, payload: BaseModel, *, aggregate_id: str, sequence: int, scope: str | None = None) -> None:
        self._emitted.append(
            new_event(payload, scope=scope or self.envelope.scope, aggregate_id=aggregate_id, sequence=sequence,
                      causation_id=str(self.envelope.event_id), correlation=self.envelope.correlation_id)
        )

    def after_commit(self, action: Callable[[], Awaitable[None]]) -> None:
        """Side effects that must not happen for a rolled-back change (cache updates, pushes)."""
        self._after_commit.append(action)


Handler = Callable[[HandlerContext, Any], Awaitable[None]]


class PermanentFailure(Exception):
    """Raised by a handler for an event that can never succeed; it goes to the dead-letter queue at once."""


class EventConsumer:
    def __init__(self, connection: AbstractRobustConnection, sessionmaker: async_sessionmaker[AsyncSession],
                 consumer: str, handlers: dict[str, Handler], *, prefetch: int = 100, max_retries: int = 3,
                 retry_delay_ms: int = 2000, resources: dict[str, Any] | None = None):
        self.connection = connection
        self.sessionmaker = sessionmaker
        self.consumer = consumer
        self.handlers = handlers
        self.prefetch = prefetch
        self.max_retries = max_retries
        self.retry_delay_ms = retry_delay_ms
        self.resources = resources or {}
        self.queues: ConsumerQueues | None = None  # kept so the robust channel re-consumes after reconnect
        self._channel: AbstractChannel | None = None
        self._side_channel: AbstractChannel | None = None

    async def start(self) -> None:
        self._channel = await self.connection.channel()
        await self._channel.set_qos(prefetch_count=self.prefetch)
        self._side_channel = await self.connection.channel(publisher_confirms=True)
        self.queues = await declare_consumer_queues(self._channel, self.consumer, list(self.handlers), self.retry_delay_ms)
        self._dead_exchange = await self._side_channel.get_exchange(DEAD_LETTER_EXCHANGE)
        await self.queues.work.consume(self.on_message)

    async def close(self) -> None:
        for channel in (self._channel, self._side_channel):
            if channel is not None and not channel.is_closed:
                await channel.close()

    async def on_message(self, message: AbstractIncomingMessage) -> None:
        try:
            envelope = Envelope.from_bytes(message.body)
            payload = REGISTRY.parse(envelope)
        except (ValidationError, UnknownEventType, ValueError) as exc:
            await self._dead_letter(message, f"invalid event: {exc}")
            return
        handler = self.handlers.get(envelope.event_type)
        if handler is None:
            await message.ack()
            return
        token = correlation_id.set(envelope.correlation_id)
        started = time.perf_counter()
        try:
            outcome = await self._handle(handler, envelope, payload)
            await message.ack()
            EVENTS_CONSUMED.labels(self.consumer, envelope.event_type, outcome).inc()
        except PermanentFailure as exc:
            await self._dead_letter(message, f"{type(exc).__name__}: {exc}")
        except Exception as exc:
            log.warning("handler failed", extra={"event_type": envelope.event_type, "event_id": str(envelope.event_id),
                                                 "error": repr(exc)})
            await self._retry_or_dead_letter(message, exc)
        finally:
            HANDLER_LATENCY.labels(self.consumer, envelope.event_type).observe(time.perf_counter() - started)
            correlation_id.reset(token)

    async def _handle(self, handler: Handler, envelope: Envelope, payload: Any) -> str:
        async with self.sessionmaker() as session:
            async with session.begin():
                if not await claim(session, self.consumer, envelope.event_id, envelope.event_type):
                    return "duplicate"
                ctx = HandlerContext(session, envelope, self.resources)
                await handler(ctx, payload)
                await record_events(session, ctx._emitted)
        for action in ctx._after_commit:
            try:
                await action()
            except Exception:
                log.exception("after-commit action failed")  # a cache is not the truth; the event is applied
        return "applied"

    async def _retry_or_dead_letter(self, message: AbstractIncomingMessage, exc: Exception) -> None:
        retries = int((message.headers or {}).get(RETRIES_HEADER, 0) or 0)
        if retries >= self.max_retries:
            reason = f"{type(exc).__name__}: {exc} (after {retries} retries)\n{traceback.format_exc(limit=5)}"
            await self._dead_letter(message, reason)
            return
        assert self._side_channel is not None
        copy = _copy(message, {RETRIES_HEADER: retries + 1})
        await self._side_channel.default_exchange.publish(copy, routing_key=f"{self.consumer}.retry")
        await message.ack()
        EVENTS_CONSUMED.labels(self.consumer, message.type or "?", "retried").inc()

    async def _dead_letter(self, message: AbstractIncomingMessage, reason: str) -> None:
        log.error("dead-lettering message", extra={"message_id": message.message_id, "reason": reason[:500]})
        copy = _copy(message, {REASON_HEADER: reason[:4000], "x-bihuan-failed-at": datetime.now(UTC).isoformat(),
                               "x-bihuan-routing-key": message.routing_key or ""})
        await self._dead_exchange.publish(copy, routing_key=f"{self.consumer}.dlq")
        await message.ack()
        EVENTS_DEAD_LETTERED.labels(self.consumer).inc()


def _copy(message: AbstractIncomingMessage, extra_headers: dict[str, Any]) -> aio_pika.Message:
    return aio_pika.Message(
        message.body,
        headers={**(message.headers or {}), **extra_headers},
        message_id=message.message_id,
        type=message.type,
        correlation_id=message.correlation_id,
        content_type=message.content_type,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
    )
