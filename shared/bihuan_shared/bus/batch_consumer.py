"""Consuming a high-volume queue in batches: many messages in flight (prefetch in the thousands), handled together
in one transaction, acknowledged together after commit. Rejected messages go to the dead-letter queue with their
reason first, so nothing is acknowledged that was neither stored nor parked.

The handler gets the batch and returns {position in batch: reason} for the messages it rejects. If it raises (the
database is down), the whole batch is returned to the queue after a pause; the quorum queue's delivery limit is the
backstop against a batch that can never succeed.

With `prepare` (CPU work: parsing, validation) the consumer pipelines: batch N+1 is prepared while batch N is being
written, so the database and Python work at the same time; the handler then gets prepare(batch) beside the batch.
Writes and acknowledgements stay strictly in delivery order.

A message over max_message_bytes is never given to prepare or the handler: it is dead-lettered unread, with the
reason, before its batch is acknowledged."""
import asyncio
import logging
from datetime import UTC, datetime
from typing import Any, Awaitable, Callable

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractRobustConnection

from bihuan_shared.bus.consumer import REASON_HEADER
from bihuan_shared.bus.topology import DEAD_LETTER_EXCHANGE, ConsumerQueues, declare_consumer_queues
from bihuan_shared.events.limits import MAX_MESSAGE_BYTES, oversize_reason

log = logging.getLogger(__name__)

BatchHandler = Callable[..., Awaitable[dict[int, str]]]  # (batch) or (batch, prepared) -> {position: reason}
Refused = list[tuple[AbstractIncomingMessage, str]]  # messages dead-lettered unread, with the reason


class BatchConsumer:
    def __init__(self, connection: AbstractRobustConnection, queue: str, handler: BatchHandler, *,
                 prefetch: int = 5000, max_batch: int = 5000, max_wait: float = 0.05, retry_pause: float = 1.0,
                 prepare: Callable[[list[AbstractIncomingMessage]], Any] | None = None, max_bytes: int = 16 << 20,
                 max_message_bytes: int = MAX_MESSAGE_BYTES):
        self.connection, self.queue, self.handler, self.prepare = connection, queue, handler, prepare
        self.max_bytes = max_bytes  # a batch also ends at this many body bytes (messages may carry arrays)
        self.max_message_bytes = max_message_bytes
        self.prefetch, self.max_batch, self.max_wait, self.retry_pause = prefetch, max_batch, max_wait, retry_pause
        self.queues: ConsumerQueues | None = None
        self._buffer: list[AbstractIncomingMessage] = []
        self._ready = asyncio.Event()
        self._full = asyncio.Event()
        self._buffered_bytes = 0
        self._flusher: asyncio.Task | None = None
        self._channel: AbstractChannel | None = None
        self._side: AbstractChannel | None = None

    async def start(self) -> None:
        self._channel = await self.connection.channel()
        await self._channel.set_qos(prefetch_count=self.prefetch)
        self._side = await self.connection.channel(publisher_confirms=True)
        self.queues = await declare_consumer_queues(self._channel, self.queue, [], 1000)
        self._dead = await self._side.get_exchange(DEAD_LETTER_EXCHANGE)
        self._flusher = asyncio.create_task(self._flush_forever())
        await self.queues.work.consume(self._on_message)

    async def close(self) -> None:
        if self._flusher is not None:
            self._flusher.cancel()
            await asyncio.gather(self._flusher, return_exceptions=True)
        for channel in (self._channel, self._side):
            if channel is not None and not channel.is_closed:
                await channel.close()

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        self._buffer.append(message)
        self._buffered_bytes += len(message.body)
        self._ready.set()
        if len(self._buffer) >= self.max_batch or self._buffered_bytes >= self.max_bytes:
            self._full.set()

    def _take(self) -> list[AbstractIncomingMessage]:
        size, count = 0, 0
        for message in self._buffer[: self.max_batch]:
            if count and size + len(message.body) > self.max_bytes:
                break
            size, count = size + len(message.body), count + 1
        batch, self._buffer = self._buffer[:count], self._buffer[count:]
        self._buffered_bytes -= size
        return batch

    async def _fill_while_writing(self, writing: asyncio.Task) -> None:
        """Under load, let the next batch fill up while the previous one is written; prepare it when it is full
        (Python and the database then work at the same time) or when the write is done."""
        while not writing.done() and len(self._buffer) < self.max_batch and self._buffered_bytes < self.max_bytes:
            self._full.clear()
            full = asyncio.ensure_future(self._full.wait())
            await asyncio.wait([writing, full], return_when=asyncio.FIRST_COMPLETED)
            full.cancel()

    async def _flush_forever(self) -> None:
        """One flusher: while a batch is being stored the next one accumulates, so batches grow with the load and
        the fixed cost of a transaction is shared by more messages. An idle consumer waits max_wait for company."""
        writing: asyncio.Task | None = None
        try:
            while True:
                if not self._buffer:
                    self._ready.clear()
                    await self._ready.wait()
                    if len(self._buffer) < self.max_batch and writing is None:
                        await asyncio.sleep(self.max_wait)
                if writing is not None:
                    await self._fill_while_writing(writing)
                batch = self._take()
                fit, refused = self._split_oversized(batch)
                args = (fit,) if self.prepare is None else (fit, self.prepare(fit))
                if writing is not None:
                    await writing
                writing = asyncio.create_task(self._flush_logged(batch, refused, args))
        finally:
            if writing is not None:
                writing.cancel()

    def _split_oversized(self, batch: list[AbstractIncomingMessage]) -> tuple[list[AbstractIncomingMessage], Refused]:
        """(the messages to handle, the ones refused unread with their reason)."""
        fit, refused = [], []
        for message in batch:
            reason = oversize_reason(len(message.body), self.max_message_bytes)
            if reason is None:
                fit.append(message)
            else:
                refused.append((message, reason))
        return fit, refused

    async def _flush_logged(self, batch: list[AbstractIncomingMessage], refused: Refused, args: tuple) -> None:
        try:
            await self._flush(batch, refused, *args)
        except Exception:  # e.g. the channel died under us: the broker redelivers what was not acknowledged
            log.exception("batch flush failed", extra={"size": len(batch)})

    async def _flush(self, batch: list[AbstractIncomingMessage], refused: Refused, fit: list[AbstractIncomingMessage],
                     *prepared: Any) -> None:
        # Batches are stored one at a time and in delivery order, so 'ack multiple' never covers a newer batch.
        rejected: dict[int, str] = {}
        if fit:
            try:
                rejected = await self.handler(fit, *prepared)
            except Exception as exc:
                log.warning("batch failed, returning it to the queue", extra={"size": len(batch), "error": repr(exc)})
                await asyncio.sleep(self.retry_pause)
                await batch[-1].nack(multiple=True, requeue=True)
                return
        parked = refused + [(fit[i], reason) for i, reason in (rejected or {}).items()]
        if parked:  # parked before the batch's acknowledgement covers them
            await asyncio.gather(*(self._dead_letter(message, reason) for message, reason in parked))
        await batch[-1].ack(multiple=True)

    async def _dead_letter(self, message: AbstractIncomingMessage, reason: str) -> None:
        headers = {**(message.headers or {}), REASON_HEADER: reason[:4000],
                   "x-bihuan-failed-at": datetime.now(UTC).isoformat()}
        await self._dead.publish(aio_pika.Message(message.body, headers=headers, message_id=message.message_id,
                                                  content_type=message.content_type,
                                                  delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                                 routing_key=f"{self.queue}.dlq")
