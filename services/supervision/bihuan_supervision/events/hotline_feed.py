"""The queue the 12345 hotline center publishes raw work orders to (its own JSON, not our envelope): one order per
message, or a JSON array of orders. Consumed in batches: a batch is parsed and validated while the previous one is
being written; its good orders are stored in transactions of at most CHUNK orders; a malformed message goes to the
dead-letter queue with the reason; the batch is acknowledged after commit.

settings.hotline_scope may name a city: the queue is then the city-wide stream, and each order is stored in the
district it names (domain/feeds/routing.py); the routes are read again from the scope tree after every batch."""
from collections import defaultdict
from dataclasses import dataclass, field

from aio_pika.abc import AbstractIncomingMessage

from bihuan_shared.auth import Principal, Role
from bihuan_shared.bus.batch_consumer import BatchConsumer
from bihuan_supervision.domain.feeds import HOTLINE
from bihuan_supervision.domain.feeds.batch import BodyError, RawRecords, RoutedBatch, split_records, validate_raw
from bihuan_supervision.domain.feeds.routing import Routes
from bihuan_supervision.intake import store
from bihuan_supervision.store.feed_routes import routes_for

CHUNK = 10_000


@dataclass
class Prepared:
    chunks: list[tuple[RoutedBatch, int]] = field(default_factory=list)  # (validated, records received)
    rejected: dict[int, str] = field(default_factory=dict)  # message position -> reason


def prepare(batch: list[AbstractIncomingMessage], routes: Routes) -> Prepared:
    out, raw, owner, starts = Prepared(), RawRecords([], True), [], {}
    for position, message in enumerate(batch):
        try:
            items = split_records(message.body, single=True)
        except BodyError as exc:
            out.rejected[position] = (f"消息不是合法 JSON: {exc}" if exc.syntax
                                      else f"消息应为一张工单或工单数组: {exc}")
            continue
        starts[position] = len(raw.records)
        raw.records.extend(items.records)
        raw.clean = raw.clean and items.clean
        owner.extend([position] * len(items.records))
    problems = defaultdict(list)
    for first in range(0, len(raw.records), CHUNK):
        checked = validate_raw(HOTLINE, RawRecords(raw.records[first:first + CHUNK], raw.clean), first, routes)
        for e in checked.errors:
            problems[owner[e.index]].append(f"工单[{e.index - starts[owner[e.index]]}] {e.field}: {e.message}")
        out.chunks.append((checked, min(CHUNK, len(raw.records) - first)))
    out.rejected.update({position: "; ".join(reasons) for position, reasons in problems.items()})
    return out


def hotline_feed_task(make_consumer=BatchConsumer):
    """A worker background task consuming settings.hotline_queue until the worker stops."""

    async def task(runtime, stop) -> None:
        s = runtime.settings
        feed = Principal(user="12345-hotline@amqp", roles=frozenset({Role.FEED}), scope=s.hotline_scope)
        routes = [await routes_for(runtime.sessionmaker, s.hotline_scope)]  # the current routes, swapped whole

        async def handle(batch: list[AbstractIncomingMessage], prepared: Prepared) -> dict[int, str]:
            for checked, received in prepared.chunks:
                await store(runtime.sessionmaker, HOTLINE, feed, checked, received, "amqp")
            routes[0] = await routes_for(runtime.sessionmaker, s.hotline_scope)
            return prepared.rejected

        consumer = make_consumer(runtime.connection, s.hotline_queue, handle,
                                 prepare=lambda batch: prepare(batch, routes[0]),
                                 prefetch=s.hotline_prefetch, max_batch=s.hotline_batch,
                                 max_wait=s.hotline_batch_wait_ms / 1000,
                                 max_message_bytes=s.hotline_max_message_bytes)
        await consumer.start()
        try:
            await stop.wait()
        finally:
            await consumer.close()

    return task
