"""Benchmark: recompute a full city (16 districts × 60 units, 20,000 targets, 240,000 milestones, a year of monthly
objective metrics) with 1 and with 2 assessment workers, each a separate process consuming the work queue.

Time = from committing the 16 recomputation requests (32 group jobs) to the last run finished; the workers' outbox
relays publish the jobs, so relay latency is included. Medians of a few rounds per worker count."""
import asyncio
import os
import subprocess
import sys
import time

import aio_pika
from sqlalchemy import select, text

from bihuan_assessment.bench_data import RULES, seed
from bihuan_assessment.main import MIGRATIONS
from bihuan_assessment.store.models import Assessment
from bihuan_assessment.store.runs import request_run
from bihuan_shared.db import asyncpg_dsn, make_engine, make_sessionmaker
from bihuan_shared.migrations import upgrade_async
from bihuan_shared.testing.bench import bench_environment, median, report

ROUNDS = 2  # per phase; phases alternate 1, 2, 1, 2 workers so background load hits both alike
PHASES = (1, 2, 1, 2)


def _start_workers(n: int, env_vars: dict) -> list[subprocess.Popen]:
    return [subprocess.Popen([sys.executable, "-m", "bihuan_assessment.worker"],
                             env={**os.environ, **env_vars, "BIHUAN_ASSESSMENT_WORKER_NAME": f"bench-{i + 1}"},
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for i in range(n)]


async def _wait_consumers(amqp_url: str, n: int) -> None:
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        for _ in range(600):
            try:
                queue = await channel.declare_queue("assessment.jobs", passive=True)
                if queue.declaration_result.consumer_count >= n:
                    return
            except aio_pika.exceptions.ChannelClosed:
                channel = await connection.channel()
            await asyncio.sleep(0.1)
        raise TimeoutError(f"{n} workers did not start")
    finally:
        await connection.close()


def _cpu_seconds(workers: list[subprocess.Popen]) -> float:
    """User + system CPU the worker processes have used so far (Linux /proc): a figure background load cannot inflate."""
    total = 0
    for w in workers:
        with open(f"/proc/{w.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


async def _round(sessionmaker, ids: list[int], timeout: float = 120) -> float:
    async with sessionmaker() as session:
        async with session.begin():
            runs = []
            for a in (await session.scalars(select(Assessment).where(Assessment.id.in_(ids)).with_for_update())).all():
                runs.append((a.id, (await request_run(session, a, RULES, "bench")).run_no))
    started = time.perf_counter()
    async with sessionmaker() as session:
        while True:
            done = await session.scalar(text(
                "select count(*) from assessment_runs where status = 'done' and (assessment_id, run_no) in"
                " (select * from unnest(cast(:a as int[]), cast(:r as int[])))"),
                {"a": [a for a, _ in runs], "r": [r for _, r in runs]})
            await session.rollback()
            if done == len(runs):
                return time.perf_counter() - started
            if time.perf_counter() - started > timeout:
                raise TimeoutError(f"only {done} of {len(runs)} runs finished in {timeout:.0f} s; see assessment.jobs.dlq")
            await asyncio.sleep(0.02)


async def run(env) -> dict:
    url = await env.database("assessment")
    await upgrade_async(MIGRATIONS, url)
    started = time.perf_counter()
    ids = await seed(asyncpg_dsn(url))
    print(f"  seeded a city in {time.perf_counter() - started:.1f} s", flush=True)
    env_vars = {"BIHUAN_ASSESSMENT_DATABASE_URL": url, "BIHUAN_ASSESSMENT_AMQP_URL": env.amqp_url,
                "BIHUAN_ASSESSMENT_REDIS_URL": env.infra.redis_url, "BIHUAN_ASSESSMENT_REDIS_PREFIX": env.redis_prefix,
                "BIHUAN_ASSESSMENT_LOG_LEVEL": "WARNING", "BIHUAN_ASSESSMENT_DB_POOL_SIZE": "3",
                "BIHUAN_ASSESSMENT_RELAY_POLL_SECONDS": "0.1"}
    engine = make_engine(url, 2)
    sessionmaker = make_sessionmaker(engine)
    times: dict[int, list[float]] = {1: [], 2: []}
    cpu: list[float] = []
    try:
        for n in PHASES:
            workers = _start_workers(n, env_vars)
            try:
                await _wait_consumers(env.amqp_url, n)
                await _round(sessionmaker, ids)  # warm-up: caches, prepared statements, imports
                for _ in range(ROUNDS):
                    before = _cpu_seconds(workers)
                    times[n].append(await _round(sessionmaker, ids))
                    cpu.append(_cpu_seconds(workers) - before)
                    print(f"  {n} worker(s): {times[n][-1]:.2f} s, worker CPU {cpu[-1]:.2f} s"
                          f" (load average {os.getloadavg()[0]:.1f})", flush=True)
            finally:
                for w in workers:
                    w.terminate()
                for w in workers:
                    w.wait(timeout=30)
    finally:
        await engine.dispose()
    figures = {}
    for n, values in times.items():
        figures[f"recompute_city_{n}_worker_seconds_median"] = median(values)
        report(f"recompute city, {n} worker(s), median of {len(values)}", median(values), "s")
    figures["worker_cpu_seconds_per_city_median"] = median(cpu)
    report("worker CPU per city recompute (all workers)", median(cpu), "s")
    ratio = figures["recompute_city_1_worker_seconds_median"] / figures["recompute_city_2_worker_seconds_median"]
    figures["speedup_2_vs_1_workers"] = ratio
    report("speed-up, 2 workers vs 1", ratio, "x")
    print(f"  cpu cores on this machine: {os.cpu_count()} (PostgreSQL and RabbitMQ share them)", flush=True)
    return figures


async def main() -> None:
    async with bench_environment() as env:
        await run(env)


if __name__ == "__main__":
    asyncio.run(main())
