"""Benchmark: ingest hotline work orders through the HTTP batch endpoint and through the AMQP queue, beside the raw
PostgreSQL COPY rate of the same rows measured in the same run.

- raw COPY: the validated rows of each batch COPYed into a bare copy of the orders table (its primary key only);
  only the COPY is timed. This is the ceiling: no parsing, no validation, no upsert, no metric counts.
- HTTP: the API in its own process (uvicorn), batches of 10,000 orders as JSON, two requests in flight (one is
  validated while the other is written). Bodies are
  serialised before the clock starts (the hotline center's cost, not ours). Time = first request to last answer.
- AMQP: the hotline center's raw JSON, published before the clock starts, either one order per message or arrays of
  500 orders per message; the worker in its own process consumes in batches (prefetch 5,000 messages, one
  transaction and one 'ack multiple' per batch). Time = consumer attached to the last order committed.

`python -m bihuan_supervision.bench` (default 200,000 orders for COPY, HTTP and AMQP arrays, 50,000 single-order
messages), `--orders 1000000 --single 1000000` for the full run."""
import argparse
import asyncio
import os
import socket
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
from bihuan_shared.testing.bench import BenchEnv, bench_environment, report
from bihuan_shared.testing.services import bearer
from bihuan_supervision.bench_data import batch_json, order_json
from bihuan_supervision.domain.feeds import HOTLINE
from bihuan_supervision.domain.feeds.batch import validate
from bihuan_supervision.main import MIGRATIONS
from bihuan_supervision.settings import SupervisionSettings

BATCH = 10_000
ARRAY = 500
HTTP_WORKERS = 1  # API processes; a second did not help on 2 cores (PostgreSQL needs the other one)
QUEUE = "supervision.hotline_feed"


async def run(env: BenchEnv, orders: int = 200_000, single: int = 50_000) -> dict:
    batches = max(1, orders // BATCH)
    orders = batches * BATCH
    print(f"supervision feeds: {orders:,} hotline work orders per path, batches of {BATCH:,}", flush=True)
    copy_url = await _database(env, "copy")
    raw_rate = await _raw_copy(copy_url, batches)
    report("raw COPY of the same rows", raw_rate, "orders/s")
    http_rate = await _http(env, await _database(env, "http"), batches)
    report("HTTP batch endpoint", http_rate, "orders/s")
    amqp_rate = await _amqp(env, await _database(env, "amqp_arrays"), orders, per_message=ARRAY)
    report(f"AMQP queue ({ARRAY} orders per message)", amqp_rate, "orders/s")
    single_rate = await _amqp(env, await _database(env, "amqp_single"), single, per_message=1)
    report(f"AMQP queue (one order per message, {single:,})", single_rate, "orders/s")
    result = {"orders": orders, "raw_copy_orders_per_s": raw_rate, "http_orders_per_s": http_rate,
              "amqp_array_orders_per_s": amqp_rate, "amqp_single_orders": single,
              "amqp_single_orders_per_s": single_rate, "http_vs_copy": http_rate / raw_rate,
              "amqp_array_vs_copy": amqp_rate / raw_rate, "amqp_single_vs_copy": single_rate / raw_rate}
    report("HTTP / raw COPY", result["http_vs_copy"], "x")
    report("AMQP arrays / raw COPY", result["amqp_array_vs_copy"], "x")
    report("AMQP single / raw COPY", result["amqp_single_vs_copy"], "x")
    return result


async def _database(env: BenchEnv, name: str) -> str:
    url = await env.database(f"supervision_{name}")
    await upgrade_async(MIGRATIONS, url)
    return url


async def _raw_copy(url: str, batches: int) -> float:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await conn.execute("CREATE TABLE raw_copy (LIKE hotline_orders INCLUDING DEFAULTS INCLUDING INDEXES)")
        spent = 0.0
        for b in range(batches):
            rows = [("demo", None, *r) for r in validate(HOTLINE, orjson.loads(batch_json(b * BATCH, BATCH))).rows]
            started = time.perf_counter()
            await conn.copy_records_to_table("raw_copy", records=rows, columns=HOTLINE.all_columns)
            spent += time.perf_counter() - started
        return batches * BATCH / spent
    finally:
        await conn.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _service_env(env: BenchEnv, url: str, port: int) -> dict:
    return {**os.environ, "BIHUAN_SUPERVISION_DATABASE_URL": url, "BIHUAN_SUPERVISION_AMQP_URL": env.amqp_url,
            "BIHUAN_SUPERVISION_REDIS_URL": env.infra.redis_url, "BIHUAN_SUPERVISION_REDIS_PREFIX": env.redis_prefix,
            "BIHUAN_SUPERVISION_HTTP_PORT": str(port), "BIHUAN_SUPERVISION_LOG_LEVEL": "WARNING",
            "BIHUAN_SUPERVISION_CLOCK_SECONDS": "3600"}


async def _http(env: BenchEnv, url: str, batches: int, workers: int = HTTP_WORKERS) -> float:
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "bihuan_supervision.main:app",
                               "--port", str(port), "--log-level", "warning", "--no-access-log",
                               "--workers", str(workers)], env=_service_env(env, url, port))
    try:
        base = f"http://127.0.0.1:{port}"
        await _wait_http(base)
        bodies = [batch_json(b * BATCH, BATCH) for b in range(batches)]
        headers = {**bearer(SupervisionSettings(), "feed", scope="demo", user="12345-center"),
                   "Content-Type": "application/json"}
        pending = list(reversed(bodies))
        async with httpx.AsyncClient(base_url=base, timeout=120) as client:
            async def sender() -> None:
                while pending:
                    r = await client.post("/api/v1/feeds/hotline/records", content=pending.pop(), headers=headers)
                    assert r.status_code == 200 and r.json()["stored"] == BATCH, r.text[:500]
            started = time.perf_counter()
            await asyncio.gather(*(sender() for _ in range(workers + 1)))
            return batches * BATCH / (time.perf_counter() - started)
    finally:
        server.terminate()
        server.wait(30)


async def _wait_http(base: str) -> None:
    async with httpx.AsyncClient(timeout=2) as client:
        for _ in range(300):
            try:
                if (await client.get(base + "/readyz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    raise TimeoutError("supervision API did not start")


async def _amqp(env: BenchEnv, url: str, orders: int, per_message: int) -> float:
    connection = await aio_pika.connect(env.amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        queues = await declare_consumer_queues(channel, QUEUE, [], 1000)
        started = time.perf_counter()
        bodies = ((order_json(i, "A") if per_message == 1 else batch_json(i, per_message, "A"))
                  for i in range(0, orders, per_message))
        while chunk := [b for _, b in zip(range(max(1, 5000 // per_message)), bodies)]:
            await asyncio.gather(*(channel.default_exchange.publish(
                aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT), routing_key=QUEUE)
                for body in chunk))
        report("  (publishing them, not counted)", orders / (time.perf_counter() - started), "orders/s")
        worker = subprocess.Popen([sys.executable, "-m", "bihuan_supervision.worker"],
                                  env=_service_env(env, url, _free_port()))
        try:
            while (await queues.work.declare()).consumer_count == 0:
                await asyncio.sleep(0.02)
            started = time.perf_counter()
            db = await asyncpg.connect(asyncpg_dsn(url))
            try:
                while await db.fetchval("SELECT count(*) FROM hotline_orders") < orders:
                    await asyncio.sleep(0.1)
            finally:
                await db.close()
            return orders / (time.perf_counter() - started)
        finally:
            worker.terminate()
            worker.wait(30)



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=200_000, help="orders for raw COPY, HTTP and AMQP arrays")
    parser.add_argument("--single", type=int, default=50_000, help="orders sent one per AMQP message")
    args = parser.parse_args()

    async def go() -> None:
        async with bench_environment() as env:
            print(orjson.dumps(await run(env, args.orders, args.single), option=orjson.OPT_INDENT_2).decode())

    asyncio.run(go())


if __name__ == "__main__":
    main()
