"""The outbox relay: claims unpublished rows with SKIP LOCKED, publishes them with confirms, marks them sent.

Several relays (one per worker copy) can run at once; SKIP LOCKED keeps them off each other's rows. A publish that
fails rolls the claim back, so the rows are retried: delivery is at least once and consumers dedupe by event id.
"""
import asyncio
import logging

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bihuan_shared.bus.publisher import OutgoingEvent, Publisher
from bihuan_shared.db import asyncpg_dsn
from bihuan_shared.messaging.outbox import NOTIFY_CHANNEL
from bihuan_shared.metrics import EVENTS_PUBLISHED

log = logging.getLogger(__name__)

CLAIM = text(
    "SELECT id, event_id, event_type, correlation_id, body FROM outbox "
    "WHERE published_at IS NULL ORDER BY id LIMIT :limit FOR UPDATE SKIP LOCKED"
)
MARK_SENT = text("UPDATE outbox SET published_at = now() WHERE id = ANY(:ids)")
PURGE = text("DELETE FROM outbox WHERE published_at < now() - make_interval(days => :days)")


class OutboxRelay:
    def __init__(self, engine: AsyncEngine, publisher: Publisher, service: str, batch_size: int = 500,
                 poll_seconds: float = 1.0, keep_days: int = 7):
        self.engine = engine
        self.publisher = publisher
        self.service = service
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.keep_days = keep_days
        self._wake = asyncio.Event()

    async def relay_once(self) -> int:
        """Publish one batch; returns how many events were sent."""
        async with self.engine.begin() as conn:
            rows = (await conn.execute(CLAIM, {"limit": self.batch_size})).all()
            if not rows:
                return 0
            await self.publisher.publish(
                [OutgoingEvent(str(r.event_id), r.event_type, r.body, r.correlation_id) for r in rows]
            )
            await conn.execute(MARK_SENT, {"ids": [r.id for r in rows]})
        EVENTS_PUBLISHED.labels(self.service).inc(len(rows))
        return len(rows)

    async def run(self, stop: asyncio.Event) -> None:
        listener = asyncio.create_task(self._listen(stop))
        stopping = asyncio.create_task(stop.wait())
        cycles = 0
        try:
            while not stop.is_set():
                self._wake.clear()  # before claiming, so a commit during the claim still wakes the next round
                try:
                    sent = await self.relay_once()
                except Exception:
                    log.exception("outbox relay failed; will retry")
                    sent = 0
                if sent == self.batch_size:
                    continue  # more are waiting
                cycles += 1
                if cycles % 3600 == 0:
                    await self._purge()
                woken = asyncio.create_task(self._wake.wait())
                await asyncio.wait([woken, stopping], timeout=self.poll_seconds, return_when=asyncio.FIRST_COMPLETED)
                woken.cancel()
        finally:
            listener.cancel()
            stopping.cancel()

    async def _purge(self) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(PURGE, {"days": self.keep_days})

    async def _listen(self, stop: asyncio.Event) -> None:
        """LISTEN for commits that staged events; polling covers any gap while this reconnects."""
        while not stop.is_set():
            try:
                conn = await asyncpg.connect(asyncpg_dsn(self.engine.url.render_as_string(hide_password=False)))
                try:
                    await conn.add_listener(NOTIFY_CHANNEL, lambda *_: self._wake.set())
                    while not stop.is_set() and not conn.is_closed():
                        await asyncio.sleep(1)
                finally:
                    await conn.close()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("outbox LISTEN connection lost; reconnecting")
                await asyncio.sleep(1)
