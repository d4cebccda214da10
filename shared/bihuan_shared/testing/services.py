"""Running a service in-process for tests: its app behind an httpx client, its worker as a task."""
import asyncio
import time
from contextlib import asynccontextmanager
from typing import AsyncIterator, Awaitable, Callable, TypeVar

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
