"""The queue the 12345 hotline center publishes raw work orders to (its own JSON, not our envelope): one order per
message, or a JSON array of orders. Consumed in batches; a malformed message goes to the dead-letter queue with the
reason, the good orders of the batch are stored in one transaction, and the batch is acknowledged after commit."""
from collections import defaultdict

import orjson
from aio_pika.abc import AbstractIncomingMessage

from bihuan_shared.auth import Principal, Role
from bihuan_shared.bus.batch_consumer import BatchConsumer
from bihuan_supervision.domain.feeds import HOTLINE
from bihuan_supervision.intake import receive


def hotline_feed_task(make_consumer=BatchConsumer):
    """A worker background task consuming settings.hotline_queue until the worker stops."""

    async def task(runtime, stop) -> None:
        s = runtime.settings
        feed = Principal(user="12345-hotline@amqp", roles=frozenset({Role.FEED}), scope=s.hotline_scope)

        async def handle(batch: list[AbstractIncomingMessage]) -> dict[int, str]:
            records, owner, starts, rejected = [], [], {}, {}
            for position, message in enumerate(batch):
                try:
                    body = orjson.loads(message.body)
                except orjson.JSONDecodeError as exc:
                    rejected[position] = f"消息不是合法 JSON: {exc}"
                    continue
                items = body if isinstance(body, list) else [body]
                starts[position] = len(records)
                records.extend(items)
                owner.extend([position] * len(items))
            outcome = await receive(runtime.sessionmaker, HOTLINE, s.hotline_scope, feed, records, "amqp")
            problems = defaultdict(list)
            for e in outcome.errors:
                problems[owner[e.index]].append(f"工单[{e.index - starts[owner[e.index]]}] {e.field}: {e.message}")
            rejected.update({position: "; ".join(reasons) for position, reasons in problems.items()})
            return rejected

        consumer = make_consumer(runtime.connection, s.hotline_queue, handle, prefetch=s.hotline_prefetch,
                                 max_batch=s.hotline_batch, max_wait=s.hotline_batch_wait_ms / 1000)
        await consumer.start()
        try:
            await stop.wait()
        finally:
            await consumer.close()

    return task
