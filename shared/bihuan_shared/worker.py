"""The event worker process of a service: its consumers plus the outbox relay, until SIGTERM / SIGINT.

Stateless: run as many copies as the load needs; consumers compete on the same queues and relays skip each other's
rows."""
import asyncio
import logging
import signal
from dataclasses import dataclass, field
from typing import Awaitable, Callable

import redis.asyncio as redis_async

from bihuan_shared.bus.connection import connect
from bihuan_shared.bus.consumer import EventConsumer, Handler
from bihuan_shared.bus.publisher import Publisher
from bihuan_shared.db import make_engine, make_sessionmaker
from bihuan_shared.messaging.relay import OutboxRelay
from bihuan_shared.settings import ServiceSettings, check_secret

log = logging.getLogger(__name__)


@dataclass
class ConsumerSpec:
    """One queue of a service: <service>.<purpose>, with the handlers for the event types it is bound to."""

    purpose: str
    handlers: dict[str, Handler]
    prefetch: int | None = None


BackgroundTask = Callable[["WorkerRuntime", asyncio.Event], Awaitable[None]]


@dataclass
class WorkerRuntime:
    settings: ServiceSettings
    consumers: list[ConsumerSpec]
    background: list[BackgroundTask] = field(default_factory=list)
    relay: bool = True
    started: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self, stop: asyncio.Event) -> None:
        s = self.settings
        check_secret(s)  # the worker trusts no tokens, but shares the deployment's settings: same guard, same message
        self.engine = make_engine(s.database_url, s.db_pool_size, audit_key=s.audit_key)
        self.sessionmaker = make_sessionmaker(self.engine)
        self.redis = redis_async.from_url(s.redis_url, socket_timeout=2, socket_connect_timeout=2)
        self.connection = await _connect_with_patience(s.amqp_url, f"{s.service_name}-worker", stop)
        # Publishing on its own connection: broker flow control on a busy publisher must not stall consumer acks.
        self.publish_connection = await _connect_with_patience(s.amqp_url, f"{s.service_name}-relay", stop)
        resources = {"redis": self.redis, "settings": s, "sessionmaker": self.sessionmaker}
        running: list[EventConsumer] = []
        tasks: list[asyncio.Task] = []
        try:
            for spec in self.consumers:
                consumer = EventConsumer(self.connection, self.sessionmaker, f"{s.service_name}.{spec.purpose}",
                                         spec.handlers, prefetch=spec.prefetch or s.prefetch,
                                         max_retries=s.max_retries, retry_delay_ms=s.retry_delay_ms,
                                         resources=resources, max_message_bytes=s.max_message_bytes)
                await consumer.start()
                running.append(consumer)
            if self.relay:
                publisher = Publisher(self.publish_connection)
                await publisher.start()
                relay = OutboxRelay(self.engine, publisher, s.service_name, s.relay_batch_size, s.relay_poll_seconds)
                tasks.append(asyncio.create_task(relay.run(stop)))
            tasks += [asyncio.create_task(task(self, stop)) for task in self.background]
            log.info("worker started", extra={"consumers": [c.consumer for c in running]})
            self.started.set()
            await stop.wait()
        finally:
            for consumer in running:
                await consumer.close()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self.connection.close()
            await self.publish_connection.close()
            await self.redis.aclose()
            await self.engine.dispose()


async def _connect_with_patience(url: str, name: str, stop: asyncio.Event):
    while True:
        try:
            return await connect(url, name)
        except Exception as exc:
            if stop.is_set():
                raise
            log.warning("broker not reachable yet", extra={"error": repr(exc)})
            await asyncio.sleep(2)


def run_forever(runtime: WorkerRuntime) -> None:
    """Entry point for `python -m <service>.worker`."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await runtime.run(stop)

    asyncio.run(main())
