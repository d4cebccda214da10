"""Running a service in-process for tests: its app behind an httpx client, its worker as a task."""
import asyncio
import time
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Awaitable, Callable, TypeVar

import httpx
from fastapi import FastAPI

from bihuan_shared.auth.tokens import mint_token
from bihuan_shared.bus.connection import connect
from bihuan_shared.bus.publisher import OutgoingEvent, Publisher
from bihuan_shared.events import Envelope
from bihuan_shared.settings import ServiceSettings
from bihuan_shared.worker import WorkerRuntime

T = TypeVar("T")


@asynccontextmanager
async def running_app(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


@asynccontextmanager
async def running_worker(runtime: WorkerRuntime) -> AsyncIterator[WorkerRuntime]:
    stop = asyncio.Event()
    task = asyncio.create_task(runtime.run(stop))
    started = asyncio.create_task(runtime.started.wait())
    await asyncio.wait([task, started], timeout=30, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        task.result()  # raise the start-up error
    try:
        yield runtime
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=30)


async def publish_envelopes(amqp_url: str, envelopes: list[Envelope], name: str = "bihuan-tests") -> None:
    """Publish real envelopes into a vhost with confirms, as another service's relay would (tests and demos)."""
    connection = await connect(amqp_url, name)
    try:
        publisher = Publisher(connection)
        await publisher.start()
        await publisher.publish([OutgoingEvent.of(e) for e in envelopes])
    finally:
        await connection.close()


def bearer(settings: ServiceSettings, role: str, unit: str | None = None, scope: str = "demo",
           user: str | None = None) -> dict[str, str]:
    token = mint_token(settings, user=user or f"{role}@{unit or scope}", roles=[role], unit=unit, scope=scope)
    return {"Authorization": f"Bearer {token}"}


async def eventually(probe: Callable[[], Awaitable[T]], timeout: float = 15.0, interval: float = 0.1) -> T:
    """Await probe() until it stops raising AssertionError (events are asynchronous), or fail with its last error."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return await probe()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(interval)


async def consume_together(make_consumer: Callable[[], Any], amqp_url: str, events: list[Envelope],
                           inbox_sessionmaker, settled_count: int | None = None,
                           before_start: Callable[[], None] | None = None) -> None:
    """Queue the events first, then start the consumer, so they arrive as one batch; return once its inbox holds
    settled_count of them (default: all). make_consumer builds an EventConsumer (declared once, then started anew);
    before_start runs just before (e.g. to clear a list of recorded SQL)."""
    from sqlalchemy import text

    declaring = make_consumer()
    await declaring.start()
    await declaring.close()
    await publish_envelopes(amqp_url, events)
    if before_start is not None:
        before_start()
    running = make_consumer()
    await running.start()
    ids = list({e.event_id for e in events})
    expected = len(ids) if settled_count is None else settled_count

    async def settled() -> None:
        async with inbox_sessionmaker() as s:
            n = await s.scalar(text("SELECT count(*) FROM inbox WHERE consumer = :c AND event_id = ANY(:ids)"),
                               {"c": running.consumer, "ids": ids})
        assert n == expected, f"{n} of {expected} events applied"

    try:
        await eventually(settled)
    finally:
        await running.close()


async def audit_trail(database_url: str, action: str) -> list[dict[str, Any]]:
    """The audit records of one action in a service's database, oldest first: what a test of "every write (and every
    sensitive read) is recorded with who and when" reads back."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(text("SELECT * FROM audit_log WHERE action = :a ORDER BY id"), {"a": action})
            return [dict(r) for r in rows.mappings()]
    finally:
        await engine.dispose()
