"""The system's own pipeline end to end: target.published events committed into planning's outbox, relayed with
confirms, applied by execution, supervision and assessment (each in its own transaction with its inbox claim).
Every worker runs as its own process, as in production. Figures: events/s (an event counts once all three consumers
have applied it), applications/s, and the lag from the producer's commit to each consumer's apply (p50 / p95)."""
import asyncio
import time
from pathlib import Path

from sqlalchemy.ext.asyncio import create_async_engine

from bihuan_shared.testing import stream
from bihuan_shared.testing.bench import BenchEnv, percentile
from bihuan_shared.testing.processes import ProcessSystem
from bihuan_shared.testing.routes import SERVICES


class Pipeline:
    def __init__(self, env: BenchEnv):
        self.env = env
        self.system: ProcessSystem | None = None
        self.engines = {}
        self.consumers = stream.consumers_of(stream.EVENT_TYPE)

    async def __aenter__(self) -> "Pipeline":
        urls = {s: await self.env.database(f"pipeline_{s}") for s in SERVICES}
        self.system = ProcessSystem(urls, self.env.amqp_url, self.env.infra.redis_url,
                                    Path("artifacts") / f"bench-{self.env.run_id}",
                                    extra_env={"BIHUAN_REDIS_PREFIX": self.env.redis_prefix})
        try:
            await self.system.start_all(apis=False)
            self.engines = {s: create_async_engine(u) for s, u in urls.items()}
            await self._wait_workers()
        except BaseException:
            await self.__aexit__()  # never leave worker processes behind
            raise
        return self

    async def _wait_workers(self) -> None:
        """Warm-up: a few events through every consumer, so queues exist and connections are open."""
        await stream.wait_queues(self.env.amqp_url, list(self.consumers))
        warm = stream.target_events("bench-warm", "U-WARM", 20)
        await stream.commit_to_outbox(self.engines["planning"], warm)
        counts = await stream.wait_applied(self.engines, self.consumers, [e.event_id for e in warm], timeout=90)
        assert all(n == 20 for n in counts.values()), f"workers did not start: {counts}"

    async def __aexit__(self, *exc) -> None:
        for engine in self.engines.values():
            await engine.dispose()
        if self.system is not None:
            self.system.stop_all()

    async def run(self, events: int) -> dict:
        batch = stream.target_events(f"bench-{time.monotonic_ns()}", "U-BENCH", events)
        ids = [e.event_id for e in batch]
        started = time.perf_counter()
        await stream.commit_to_outbox(self.engines["planning"], batch, batch=500)
        counts = await stream.wait_applied(self.engines, self.consumers, ids, timeout=600)
        elapsed = time.perf_counter() - started
        assert all(n == events for n in counts.values()), f"not all applied: {counts}"
        by_consumer = await stream.lag_by_consumer(self.engines["planning"], self.engines, self.consumers, ids)
        lags = [lag for values in by_consumer.values() for lag in values]
        figures = {"events_per_s": events / elapsed, "applications_per_s": events * len(self.consumers) / elapsed,
                   "lag_p50_ms": percentile(lags, 50) * 1000, "lag_p95_ms": percentile(lags, 95) * 1000}
        for consumer, values in by_consumer.items():
            figures[f"lag_p95_ms[{consumer}]"] = percentile(values, 95) * 1000
        return figures


async def pipeline_runs(env: BenchEnv, events: int, runs: int) -> list[dict]:
    async with Pipeline(env) as pipeline:
        results = []
        for _ in range(runs):
            results.append(await pipeline.run(events))
            await asyncio.sleep(0.5)
        return results
