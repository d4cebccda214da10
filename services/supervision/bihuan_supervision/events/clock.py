"""The worker's clock: what happens because time passed, not because an event arrived. Each duty runs in its own
transaction and tolerates other worker copies (row locks with SKIP LOCKED, or idempotent upserts)."""
import asyncio
import logging
from typing import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger(__name__)

Duty = Callable[[AsyncSession, object], Awaitable[object]]


def clock_task(duties: list[Duty]):
    async def task(runtime, stop: asyncio.Event) -> None:
        while not stop.is_set():
            for duty in duties:
                try:
                    async with runtime.sessionmaker() as session, session.begin():
                        await duty(session, runtime)
                except Exception:
                    log.exception("clock duty failed", extra={"duty": duty.__name__})
            try:
                await asyncio.wait_for(stop.wait(), timeout=runtime.settings.clock_seconds)
            except asyncio.TimeoutError:
                pass

    return task


async def republish_late_metrics(session: AsyncSession, runtime) -> None:
    from bihuan_supervision.store.metrics import publish_dirty

    await publish_dirty(session)
