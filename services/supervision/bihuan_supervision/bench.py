"""Benchmark: ingest hotline work orders through the HTTP batch endpoint and through the AMQP queue, beside the raw
PostgreSQL COPY rate of the same rows measured in the same run.

The run is split in ROUNDS; each round measures raw COPY, HTTP, AMQP arrays and AMQP single messages one after the
other on its share of the orders, and the figures are the medians over rounds (ratios per round, then the median):
this machine is shared, and a baseline measured minutes apart from the path it is compared with says little.

- raw COPY: the validated rows COPYed into a bare copy of the orders table (its primary key only); only the COPY is
  timed. The ceiling: no parsing, no validation, no upsert, no metric counts.
- HTTP: the API as deployed, PROCESSES uvicorn processes (--processes), batches of 10,000 orders as JSON, two requests
  in flight per process (one is validated while the other is written). Bodies are serialised before the clock starts
  (the hotline center's cost).
- HTTP city-wide: the same, from a city's feed identity, the orders naming the city's CITY_DISTRICTS districts in
  turn: each batch is routed and stored in 16 parts, one per district (same API, same database, after the HTTP run).
- AMQP: the hotline center's raw JSON, published before the clock starts (publishing is the center's cost), either
  arrays of 500 orders per message or one order per message; PROCESSES supervision workers then start and compete
  for the queue, each consuming in batches (next batch validated while the previous one is written, one 'ack
  multiple' per batch). Time = first worker attached to last order committed (the second one's start-up is in it).

Several processes per source is how ingestion scales: validation (Python) runs in parallel, and only the final upsert
of a batch waits for the source's advisory lock.

`python -m bihuan_supervision.bench` (120,000 orders for COPY, HTTP and AMQP arrays, 24,000 single-order messages:
about 3 minutes on this shared 2-core machine), `--orders 1000000 --single 1000000` for the full run."""
import argparse
import asyncio
import os
import subprocess
import sys
import time

import aio_pika
import asyncpg
import httpx
import orjson

from bihuan_shared.bus.topology import declare_consumer_queues
from bihuan_shared.db import asyncpg_dsn
from bihuan_shared.migrations import upgrade_async
from bihuan_shared.testing.bench import BenchEnv, bench_environment, median, report
from bihuan_shared.testing.processes import free_port
from bihuan_shared.testing.services import bearer
from bihuan_supervision.bench_data import batch_json, order_json
from bihuan_supervision.domain.feeds import HOTLINE
from bihuan_supervision.domain.feeds.batch import validate
from bihuan_supervision.main import MIGRATIONS
from bihuan_supervision.settings import SupervisionSettings

BATCH = 10_000
ARRAY = 500
ROUNDS = 3
QUEUE = "supervision.hotline_feed"
PATHS = ("raw_copy", "http", "http_city", "amqp_arrays", "amqp_single")
PROCESSES = 2
CITY = "bench-city"
CITY_DISTRICTS = tuple(f"{CITY}-{k:02d}" for k in range(16))


async def run(env: BenchEnv, orders: int = 120_000, single: int = 24_000, processes: int = PROCESSES) -> dict:
    per_round = -(-orders // (ROUNDS * BATCH)) * BATCH  # whole batches, at least the orders asked for in all
    single_round = max(1000, -(-single // ROUNDS))
    print(f"supervision feeds: {ROUNDS} rounds of {per_round:,} orders (raw COPY, HTTP, AMQP arrays) "
          f"and {single_round:,} single-order AMQP messages; {processes} API / worker processes", flush=True)
    urls = {p: await _database(env, p) for p in PATHS if p != "http_city"}
    await _register_city(urls["http"])
    async with _api(env, urls["http"], processes) as base:
        rates: dict[str, list[float]] = {p: [] for p in PATHS}
        for r in range(ROUNDS):
            first = r * per_round
            rates["raw_copy"].append(await _raw_copy(urls["raw_copy"], first, per_round))
            rates["http"].append(await _http(base, first, per_round, 2 * processes))
            rates["http_city"].append(await _http(base, first, per_round, 2 * processes, city=True))
            rates["amqp_arrays"].append(await _amqp(env, urls["amqp_arrays"], first, per_round, ARRAY, processes))
            rates["amqp_single"].append(await _amqp(env, urls["amqp_single"], r * single_round, single_round, 1,
                                                    processes))
            print("  round %d: %s" % (r + 1, ", ".join(f"{p} {rates[p][-1]:,.0f}/s" for p in PATHS)), flush=True)
    result = {"orders_per_path": per_round * ROUNDS, "single_messages": single_round * ROUNDS, "processes": processes}
    for p in PATHS:
        result[f"{p}_orders_per_s_median"] = median(rates[p])
        report(f"{p} (median of {ROUNDS} rounds)", result[f"{p}_orders_per_s_median"], "orders/s")
    for p in PATHS[1:]:
        result[f"{p}_vs_raw_copy_median"] = median([a / b for a, b in zip(rates[p], rates["raw_copy"])])
        report(f"{p} / raw COPY (median of per-round ratios)", result[f"{p}_vs_raw_copy_median"], "x")
    return result


async def _database(env: BenchEnv, name: str) -> str:
    url = await env.database(f"supervision_{name}")
    await upgrade_async(MIGRATIONS, url)
    return url


async def _register_city(url: str) -> None:
    """The city and its districts in supervision's copy of the scope tree, as planning's events leave them."""
    conn = await _connect(url)
    try:
        rows = [(CITY, "基准市", "city", None)] + [(d, f"第{k + 1}区", "district", CITY)
                                                  for k, d in enumerate(CITY_DISTRICTS)]
        await conn.executemany("INSERT INTO scope_tree (code, name, kind, parent, event_seq) VALUES ($1, $2, $3, $4, 1)"
                               " ON CONFLICT DO NOTHING", rows)
    finally:
        await conn.close()


async def _connect(url: str) -> asyncpg.Connection:
    """PostgreSQL here is shared with other test runs; wait for a free connection rather than fail the run."""
    for _ in range(120):
        try:
            return await asyncpg.connect(asyncpg_dsn(url))
        except asyncpg.exceptions.TooManyConnectionsError:
            await asyncio.sleep(0.5)
    return await asyncpg.connect(asyncpg_dsn(url))


async def _raw_copy(url: str, first: int, count: int) -> float:
    conn = await _connect(url)
    try:
        await conn.execute("CREATE TABLE IF NOT EXISTS raw_copy "
                           "(LIKE hotline_orders INCLUDING DEFAULTS INCLUDING INDEXES)")
        spent = 0.0
        for start in range(first, first + count, BATCH):
            rows = [("demo", None, *r) for r in validate(HOTLINE, orjson.loads(batch_json(start, BATCH))).rows]
            started = time.perf_counter()
            await conn.copy_records_to_table("raw_copy", records=rows, columns=HOTLINE.all_columns)
            spent += time.perf_counter() - started
        return count / spent
    finally:
        await conn.close()


def _service_env(env: BenchEnv, url: str, port: int) -> dict:
    return {**os.environ, "BIHUAN_SUPERVISION_DATABASE_URL": url, "BIHUAN_SUPERVISION_AMQP_URL": env.amqp_url,
            "BIHUAN_SUPERVISION_REDIS_URL": env.infra.redis_url, "BIHUAN_SUPERVISION_REDIS_PREFIX": env.redis_prefix,
            "BIHUAN_SUPERVISION_HTTP_PORT": str(port), "BIHUAN_SUPERVISION_LOG_LEVEL": "WARNING",
            "BIHUAN_SUPERVISION_CLOCK_SECONDS": "3600", "BIHUAN_SUPERVISION_METRICS_CLOSE_AFTER_DAYS": "0"}


class _api:
    """The API in its own process for the whole run."""

    def __init__(self, env: BenchEnv, url: str, processes: int):
        self.port = free_port()
        self.args = [sys.executable, "-m", "uvicorn", "--factory", "bihuan_supervision.main:app", "--port",
                     str(self.port), "--log-level", "warning", "--no-access-log", "--workers", str(processes)]
        self.env = _service_env(env, url, self.port)

    async def __aenter__(self) -> str:
        self.process = subprocess.Popen(self.args, env=self.env)
        base = f"http://127.0.0.1:{self.port}"
        async with httpx.AsyncClient(timeout=2) as client:
            for _ in range(300):
                try:
                    if (await client.get(base + "/readyz")).status_code == 200:
                        return base
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)
        raise TimeoutError("supervision API did not start")

    async def __aexit__(self, *exc) -> None:
        self.process.terminate()
        self.process.wait(30)


async def _http(base: str, first: int, count: int, in_flight: int, city: bool = False) -> float:
    """The demo district's feed, or (city) the city's feed with orders of all its districts (ids prefixed C)."""
    prefix, districts, scope = ("C", CITY_DISTRICTS, CITY) if city else ("B", ("示范区",), "demo")
    pending = [batch_json(start, BATCH, prefix, districts) for start in range(first + count - BATCH, first - 1, -BATCH)]
    headers = {**bearer(SupervisionSettings(), "feed", scope=scope, user=f"12345-center@{scope}"),
               "Content-Type": "application/json"}
    async with httpx.AsyncClient(base_url=base, timeout=300) as client:
        # a running API is warm: its processes' pools and statement caches exist before the hotline's next burst
        await asyncio.gather(*(client.post("/api/v1/feeds/hotline/records", headers=headers,
                                           content=batch_json(first + i * 100, 100, prefix + "W", districts))
                               for i in range(in_flight)))

        async def sender() -> None:
            while pending:
                body = pending.pop()
                for _ in range(60):  # a batch is idempotent: resend it, as the hotline center does, after a 5xx
                    r = await client.post("/api/v1/feeds/hotline/records", content=body, headers=headers)
                    if r.status_code < 500:
                        break
                    await asyncio.sleep(0.5)
                assert r.status_code == 200 and r.json()["stored"] + r.json()["unchanged"] == BATCH, r.text[:500]
        started = time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(in_flight)))
        return count / (time.perf_counter() - started)


async def _amqp(env: BenchEnv, url: str, first: int, count: int, per_message: int, processes: int) -> float:
    """The center's messages are published before the clock starts (publishing is the center's cost); the workers
    start after, and time = first worker attached to last order committed (a second worker's start-up is in it)."""
    connection = await aio_pika.connect(env.amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        queues = await declare_consumer_queues(channel, QUEUE, [], 1000)
        bodies = ((order_json(i, "A") if per_message == 1 else batch_json(i, per_message, "A"))
                  for i in range(first, first + count, per_message))
        while chunk := [b for _, b in zip(range(max(1, 5000 // per_message)), bodies)]:
            await asyncio.gather(*(channel.default_exchange.publish(
                aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT), routing_key=QUEUE)
                for body in chunk))
        db = await _connect(url)
        # progress from the batch log (a handful of rows), not count(*) over the orders, which would steal the CPU
        # of the path being measured
        stored = "SELECT coalesce(sum(stored), 0) FROM feed_batches"
        target = await db.fetchval(stored) + count
        # prefetch is counted in messages: for arrays, about two batches of orders per worker, so competing workers
        # share the queue instead of the first one holding it all (the deployment sets it to the center's shape)
        prefetch = {"BIHUAN_SUPERVISION_HOTLINE_PREFETCH": str(2 * BATCH // per_message)} if per_message > 1 else {}
        workers = [subprocess.Popen([sys.executable, "-m", "bihuan_supervision.worker"],
                                    env={**_service_env(env, url, free_port()), **prefetch})
                   for _ in range(processes)]
        try:
            while (await queues.work.declare()).consumer_count == 0:
                await asyncio.sleep(0.02)
            started = time.perf_counter()
            while await db.fetchval(stored) < target:
                await asyncio.sleep(0.05)
            return count / (time.perf_counter() - started)
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.wait(30)
            await db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=120_000, help="orders for raw COPY, HTTP and AMQP arrays")
    parser.add_argument("--single", type=int, default=24_000, help="orders sent one per AMQP message")
    parser.add_argument("--processes", type=int, default=PROCESSES, help="API processes and competing workers")
    args = parser.parse_args()

    async def go() -> None:
        async with bench_environment() as env:
            print(orjson.dumps(await run(env, args.orders, args.single, args.processes), option=orjson.OPT_INDENT_2).decode())

    asyncio.run(go())


if __name__ == "__main__":
    main()
