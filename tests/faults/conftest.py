"""The system under fault: every API and worker as its own process (so one can be killed), on databases, a vhost and
a redis-server of this run alone, and a helper that drives a stream through it and reconciles the outcome."""
import asyncio
import os
import random
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

import httpx
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bihuan_shared.events import Envelope
from bihuan_shared.settings import ServiceSettings
from bihuan_shared.testing import stream
from bihuan_shared.testing.infra import create_vhost, delete_vhost
from bihuan_shared.testing.processes import PrivateRedis, ProcessSystem
from bihuan_shared.testing.routes import SERVICES
from bihuan_shared.testing.services import bearer

# Several thousand events across the suite; raise it for a longer soak: BIHUAN_FAULT_EVENTS=5000.
EVENTS = int(os.environ.get("BIHUAN_FAULT_EVENTS", "600"))
ARTIFACTS = Path(os.environ.get("BIHUAN_ARTIFACTS", "artifacts"))


@dataclass
class Run:
    scope: str
    unit: str
    events: list[Envelope]
    feeder: asyncio.Task | None = None

    @property
    def ids(self) -> list[uuid.UUID]:
        return [e.event_id for e in self.events]


@dataclass
class Faults:
    system: ProcessSystem
    redis: PrivateRedis
    vhost: str
    engines: dict[str, AsyncEngine]
    consumers: dict[str, str]
    dead: dict[str, list[dict]] = field(default_factory=dict)

    def new_run(self, name: str, count: int = EVENTS) -> Run:
        scope = f"f-{name}-{uuid.uuid4().hex[:6]}"
        return Run(scope, f"U-{name.upper()}", stream.target_events(scope, f"U-{name.upper()}", count))

    def feed_outbox(self, run: Run, pause: float = 0.02) -> Run:
        """Commit the run's events into planning's outbox in the background, spread over a few seconds."""
        run.feeder = asyncio.create_task(stream.commit_to_outbox(self.engines["planning"], run.events, 50, pause))
        return run

    async def until_applied(self, run: Run, fraction: float, timeout: float = 120) -> None:
        """Wait until the stream is well under way, so the fault lands in the middle of it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            counts = await stream.applied_counts(self.engines, self.consumers, run.ids)
            if min(counts.values()) >= fraction * len(run.events):
                return
            await asyncio.sleep(0.2)
        raise AssertionError(f"stream did not get going: {counts}")

    async def reconcile(self, run: Run, timeout: float = 240) -> None:
        """Everything sent is applied exactly once by every consumer, the read models agree, and nothing of the
        stream sits in a dead-letter queue."""
        if run.feeder is not None:
            await run.feeder
        counts = await stream.wait_applied(self.engines, self.consumers, run.ids, timeout)
        assert counts == {c: len(run.events) for c in self.consumers}, f"applied per consumer: {counts}"
        await self.check_read_models(run)
        ours = {str(i) for i in run.ids}
        for consumer, messages in (await self.drain_dead_letters()).items():
            parked = [m["headers"].get("x-bihuan-failure-reason") for m in messages if m["message_id"] in ours]
            assert not parked, f"{consumer} dead-lettered {len(parked)} good events: {parked[:3]}"

    async def check_read_models(self, run: Run) -> None:
        settings = ServiceSettings()
        async with httpx.AsyncClient(timeout=10) as http:
            r = await http.get(f"{self.system.api('assessment')}/completion", params={"scope": run.scope,
                               "unit": run.unit}, headers=bearer(settings, "assessor", None, run.scope))
            assert r.status_code == 200, r.text
            assert r.json()["milestones"] == len(run.events), r.json()  # each target's milestone counted once
            for event in random.sample(run.events, 5):
                for service, role in (("execution", "target_office"), ("supervision", "supervisor")):
                    r = await http.get(f"{self.system.api(service)}/targets/{event.aggregate_id}",
                                       headers=bearer(settings, role, None, run.scope))
                    assert r.status_code == 200, (service, r.text)
                    assert len(r.json()["milestones"]) == 1

    async def drain_dead_letters(self) -> dict[str, list[dict]]:
        found = await stream.dead_letters(self.system.amqp_url, list(self.consumers), take=10_000)
        for consumer, messages in found.items():
            self.dead.setdefault(consumer, []).extend(messages)
        return found

    async def terminate_backends(self) -> int:
        """pg_terminate_backend on every connection to this run's databases except our own."""
        names = [urlparse(self.system.db_urls[s].replace("+asyncpg", "")).path.lstrip("/") for s in SERVICES]
        async with self.engines["planning"].connect() as conn:
            return len((await conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ANY(:names) "
                "AND pid <> pg_backend_pid()"), {"names": names})).all())


@pytest_asyncio.fixture(scope="session")
async def faults(make_database, infra, amqp_url):
    # A vhost of its own: the walking skeleton's system binds the same queue names in the run's vhost.
    vhost = unquote(urlparse(amqp_url).path.lstrip("/")) + "_faults"
    create_vhost(infra, vhost)
    redis = PrivateRedis()
    redis.start()
    urls = {s: await make_database(f"fault_{s}") for s in SERVICES}
    system = ProcessSystem(urls, infra.vhost_url(vhost), redis.url, ARTIFACTS / f"faults-{vhost}",
                           extra_env={"BIHUAN_RETRY_DELAY_MS": "300", "BIHUAN_MAX_RETRIES": "5", "BIHUAN_DB_POOL_SIZE": "4",
                                      "BIHUAN_REDIS_PREFIX": vhost})
    engines = {s: create_async_engine(u, pool_pre_ping=True) for s, u in urls.items()}
    try:
        await system.start_all()
        consumers = stream.consumers_of(stream.EVENT_TYPE)
        await stream.wait_queues(system.amqp_url, list(consumers))
        yield Faults(system, redis, vhost, engines, consumers)
    finally:
        system.stop_all()
        redis.stop()
        for engine in engines.values():
            await engine.dispose()
        delete_vhost(infra, vhost)
