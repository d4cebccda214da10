"""Consuming events: validate, dispatch to on_<event> handlers inside one transaction with the inbox claim, ack after
commit. A failing message is retried after a delay a bounded number of times, then moved to the dead-letter queue
with its reason and acknowledged, so a poison message never blocks the queue."""
import asyncio
import logging
import time
import traceback
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Awaitable, Callable

import aio_pika
from aio_pika.exceptions import ChannelInvalidStateError
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractRobustConnection
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bihuan_shared.bus.topology import DEAD_LETTER_EXCHANGE, ConsumerQueues, declare_consumer_queues
from bihuan_shared.events import REGISTRY, Envelope, UnknownEventType, new_event
from bihuan_shared.events.limits import MAX_MESSAGE_BYTES, oversize_reason
from bihuan_shared.logging import correlation_id
from bihuan_shared.messaging.inbox import claim, claim_many
from bihuan_shared.messaging.outbox import record_events
from bihuan_shared.metrics import EVENTS_CONSUMED, EVENTS_DEAD_LETTERED, HANDLER_LATENCY

log = logging.getLogger(__name__)

RETRIES_HEADER = "x-bihuan-retries"
REASON_HEADER = "x-bihuan-failure-reason"


@dataclass
class BatchScope:
    """What the handlers of one transaction share: `state` (e.g. what their events touched) and work that runs once
    after the last handler, before the commit (e.g. recomputing a derived view once per batch, not once per event).
    A batch replayed one by one gives each event its own scope."""

    state: dict[str, Any] = field(default_factory=dict)
    _before_commit: dict[str, Callable[[], Awaitable[None]]] = field(default_factory=dict)

    def before_commit(self, key: str, action: Callable[[], Awaitable[None]]) -> None:
        """Run `action` once before this transaction commits; registering `key` again keeps the first action."""
        self._before_commit.setdefault(key, action)

    async def finish(self) -> None:
        while self._before_commit:  # an action may register another
            await self._before_commit.pop(next(iter(self._before_commit)))()


@dataclass
class HandlerContext:
    """What a handler gets: the open transaction, the envelope, and a way to emit follow-up events in it."""

    session: AsyncSession
    envelope: Envelope
    resources: dict[str, Any]
    batch: BatchScope = field(default_factory=BatchScope)
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


@dataclass
class Delivery:
    message: AbstractIncomingMessage
    envelope: Envelope
    payload: Any
    handler: Handler


class EventConsumer:
    """Messages are validated as they arrive, then applied in batches: one transaction (and one commit) for up to
    batch_size events, in delivery order. If anything in a batch fails, the batch is rolled back and its events are
    applied one by one, so a single bad event is retried or dead-lettered alone while the others are applied."""

    def __init__(self, connection: AbstractRobustConnection, sessionmaker: async_sessionmaker[AsyncSession],
                 consumer: str, handlers: dict[str, Handler], *, prefetch: int = 100, max_retries: int = 3,
                 retry_delay_ms: int = 2000, resources: dict[str, Any] | None = None, batch_size: int = 100,
                 batch_wait_ms: float = 5, max_message_bytes: int = MAX_MESSAGE_BYTES):
        self.connection = connection
        self.max_message_bytes = max_message_bytes
        self.sessionmaker = sessionmaker
        self.consumer = consumer
        self.handlers = handlers
        self.prefetch = prefetch
        self.max_retries = max_retries
        self.retry_delay_ms = retry_delay_ms
        self.resources = resources or {}
        self.batch_size = max(1, min(batch_size, prefetch))
        self.batch_wait = batch_wait_ms / 1000
        self.queues: ConsumerQueues | None = None  # kept so the robust channel re-consumes after reconnect
        self._channel: AbstractChannel | None = None
        self._side_channel: AbstractChannel | None = None
        self._pending: asyncio.Queue[Delivery] = asyncio.Queue()
        self._applier: asyncio.Task | None = None
        # Delivery tags received and not yet settled, per channel (tags restart on a reopened channel).
        self._unsettled: dict[Any, set[int]] = {}

    async def start(self) -> None:
        self._channel = await self.connection.channel()
        await self._channel.set_qos(prefetch_count=self.prefetch)
        self._side_channel = await self.connection.channel(publisher_confirms=True)
        self.queues = await declare_consumer_queues(self._channel, self.consumer, list(self.handlers), self.retry_delay_ms)
        self._dead_exchange = await self._side_channel.get_exchange(DEAD_LETTER_EXCHANGE)
        self._applier = asyncio.create_task(self._apply_forever())
        await self.queues.work.consume(self.on_message)

    async def close(self) -> None:
        for channel in (self._channel, self._side_channel):
            if channel is not None and not channel.is_closed:
                await channel.close()
        if self._applier is not None:
            self._applier.cancel()
            await asyncio.gather(self._applier, return_exceptions=True)

    async def on_message(self, message: AbstractIncomingMessage) -> None:
        self._received(message)
        too_large = oversize_reason(len(message.body), self.max_message_bytes)
        if too_large is not None:  # before parsing: refusing must cost nothing, whatever the body holds
            await self._dead_letter(message, too_large)
            return
        try:
            envelope = REGISTRY.decode(message.body)  # one validation pass; its payload is the contract model
        except (ValidationError, UnknownEventType, ValueError) as exc:
            await self._dead_letter(message, f"invalid event: {exc}")
            return
        handler = self.handlers.get(envelope.event_type)
        if handler is None:
            await self._ack(message)
            return
        await self._pending.put(Delivery(message, envelope, envelope.payload, handler))

    async def _apply_forever(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self._pending.get()]
            deadline = loop.time() + self.batch_wait
            while len(batch) < self.batch_size:
                if not self._pending.empty():
                    batch.append(self._pending.get_nowait())
                    continue
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                try:
                    batch.append(await asyncio.wait_for(self._pending.get(), remaining))
                except TimeoutError:
                    break
            try:
                await self._apply_batch(batch)
            except Exception:
                log.exception("unexpected failure applying a batch")  # never let the applier die

    async def _apply_batch(self, batch: list[Delivery]) -> None:
        started = time.perf_counter()
        if len(batch) > 1:
            try:
                outcomes, after_commit = await self._transaction(batch)
            except Exception as exc:
                log.info("batch rolled back; applying one by one", extra={"size": len(batch), "error": repr(exc)})
            else:
                await _run_after_commit(after_commit)
                await self._ack_batch([delivery.message for delivery in batch])
                for delivery, outcome in zip(batch, outcomes):
                    self._observe(delivery, outcome, started)
                return
        for delivery in batch:
            await self._apply_one(delivery)

    async def _transaction(self, batch: list[Delivery]) -> tuple[list[str], list[Callable[[], Awaitable[None]]]]:
        outcomes: list[str] = []
        contexts: list[HandlerContext] = []
        scope = BatchScope()
        async with self.sessionmaker() as session:
            async with session.begin():
                fresh = await claim_many(session, self.consumer, [(d.envelope.event_id, d.envelope.event_type)
                                                                  for d in batch])
                for delivery in batch:
                    if delivery.envelope.event_id not in fresh:
                        outcomes.append("duplicate")
                        continue
                    fresh.discard(delivery.envelope.event_id)  # the same event twice in one batch: apply once
                    contexts.append(await self._run_handler(session, delivery, scope))
                    outcomes.append("applied")
                await scope.finish()
                await record_events(session, [e for ctx in contexts for e in ctx._emitted])
        return outcomes, [action for ctx in contexts for action in ctx._after_commit]

    async def _run_handler(self, session: AsyncSession, delivery: Delivery, scope: BatchScope) -> HandlerContext:
        token = correlation_id.set(delivery.envelope.correlation_id)
        try:
            ctx = HandlerContext(session, delivery.envelope, self.resources, scope)
            await delivery.handler(ctx, delivery.payload)
            return ctx
        finally:
            correlation_id.reset(token)

    async def _apply_one(self, delivery: Delivery) -> None:
        envelope, message = delivery.envelope, delivery.message
        started = time.perf_counter()
        try:
            outcome = await self._handle(delivery)
            await self._ack(message)
            self._observe(delivery, outcome, started)
        except PermanentFailure as exc:
            await self._dead_letter(message, f"{type(exc).__name__}: {exc}")
        except Exception as exc:
            log.warning("handler failed", extra={"event_type": envelope.event_type, "event_id": str(envelope.event_id),
                                                 "error": repr(exc)})
            await self._retry_or_dead_letter(message, exc)

    async def _handle(self, delivery: Delivery) -> str:
        envelope = delivery.envelope
        async with self.sessionmaker() as session:
            async with session.begin():
                if not await claim(session, self.consumer, envelope.event_id, envelope.event_type):
                    return "duplicate"
                scope = BatchScope()
                ctx = await self._run_handler(session, delivery, scope)
                await scope.finish()
                await record_events(session, ctx._emitted)
        await _run_after_commit(ctx._after_commit)
        return "applied"

    def _observe(self, delivery: Delivery, outcome: str, started: float) -> None:
        EVENTS_CONSUMED.labels(self.consumer, delivery.envelope.event_type, outcome).inc()
        HANDLER_LATENCY.labels(self.consumer, delivery.envelope.event_type).observe(time.perf_counter() - started)

    async def _retry_or_dead_letter(self, message: AbstractIncomingMessage, exc: Exception) -> None:
        retries = int((message.headers or {}).get(RETRIES_HEADER, 0) or 0)
        if retries >= self.max_retries:
            reason = f"{type(exc).__name__}: {exc} (after {retries} retries)\n{traceback.format_exc(limit=5)}"
            await self._dead_letter(message, reason)
            return
        assert self._side_channel is not None
        copy = _copy(message, {RETRIES_HEADER: retries + 1})
        await self._side_channel.default_exchange.publish(copy, routing_key=self.queues.retry.name)
        await self._ack(message)
        EVENTS_CONSUMED.labels(self.consumer, message.type or "?", "retried").inc()

    async def _dead_letter(self, message: AbstractIncomingMessage, reason: str) -> None:
        log.error("dead-lettering message", extra={"message_id": message.message_id, "reason": reason[:500]})
        copy = _copy(message, {REASON_HEADER: reason[:4000], "x-bihuan-failed-at": datetime.now(UTC).isoformat(),
                               "x-bihuan-routing-key": message.routing_key or ""})
        await self._dead_exchange.publish(copy, routing_key=f"{self.consumer}.dlq")
        await self._ack(message)
        EVENTS_DEAD_LETTERED.labels(self.consumer).inc()

    def _received(self, message: AbstractIncomingMessage) -> None:
        channel = _channel_of(message)
        if channel is not None and message.delivery_tag is not None:
            if channel not in self._unsettled:  # a new channel: the closed ones' tags are moot
                self._unsettled = {c: tags for c, tags in self._unsettled.items() if not c.is_closed}
            self._unsettled.setdefault(channel, set()).add(message.delivery_tag)

    async def _ack_batch(self, messages: list[AbstractIncomingMessage]) -> None:
        """A committed batch in one frame when it is every unsettled delivery up to its last one on its channel:
        consecutive delivery tags and nothing earlier still unsettled (a message being dead-lettered, or one a
        failure left behind). A multiple ack then settles exactly the batch and saves the client and the broker an
        ack per event (a quorum queue settles each ack it gets). Otherwise one ack each."""
        first, last = messages[0], messages[-1]
        channel = _channel_of(first)
        unsettled = self._unsettled.get(channel, set())
        if (channel is not None and None not in (first.delivery_tag, last.delivery_tag)
                and last.delivery_tag - first.delivery_tag == len(messages) - 1
                and all(_channel_of(m) is channel for m in messages)
                and min(unsettled, default=first.delivery_tag) >= first.delivery_tag):
            await self._ack(last, multiple=True)
            unsettled.difference_update(m.delivery_tag for m in messages)
            return
        for message in messages:
            await self._ack(message)

    async def _ack(self, message: AbstractIncomingMessage, multiple: bool = False) -> None:
        """After a reconnect the delivery tag is stale: the broker redelivers and the inbox drops the duplicate."""
        try:
            await message.ack(multiple=multiple)
        except Exception as exc:
            log.warning("ack failed; the message will be redelivered", extra={"error": repr(exc)})
            return
        self._unsettled.get(_channel_of(message), set()).discard(message.delivery_tag)


def _channel_of(message: AbstractIncomingMessage) -> Any:
    """The channel a message came on, None once that channel is closed (its tags are then moot)."""
    try:
        return message.channel
    except ChannelInvalidStateError:
        return None


async def _run_after_commit(actions: list[Callable[[], Awaitable[None]]]) -> None:
    for action in actions:
        try:
            await action()
        except Exception:
            log.exception("after-commit action failed")  # a cache is not the truth; the event is applied


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
