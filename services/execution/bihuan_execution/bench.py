"""Benchmark: progress reports per second accepted by the execution API with 200 concurrent clients, p50 / p99;
and /readyz p99 idle and under 100 concurrent writers (issue 12 #11: it must stay below k8s's 3 s probe timeout).

The API runs in a real uvicorn process (one process, the default pool of the settings); the clients run in this
process, one HTTP/1.1 keep-alive connection each, on the same machine, through a minimal asyncio client (httpx's
pool costs more CPU than the server at 200 connections on two cores, and would measure itself). Each report is a real one: a progress report row, the
milestone locked and updated, a `progress reported` outbox row and an audit row, in one transaction. Clients report on
distinct milestones (200 targets x 10 milestones). Three baselines are measured in the same run, at the same
concurrency: GET /healthz of the same process (the HTTP stack alone), plain single-row INSERTs through asyncpg
(the database alone, one connection pool of the same size as the API's), and bare audited transactions through the
kit's record_audit (the hash-chained audit log serialises every audited write of a database: its ceiling).

    .venv/bin/python -m bihuan_execution.bench [--reports 3000] [--clients 200]
"""
import argparse
import asyncio
import time
import uuid
from datetime import date, timedelta

import asyncpg
import orjson

from bihuan_execution.main import MIGRATIONS
from bihuan_execution.settings import ExecutionSettings
from bihuan_execution.store.models import MilestoneCopy, TargetCopy
from bihuan_shared.audit import record_audit
from bihuan_shared.auth import Principal, Role
from bihuan_shared.db import asyncpg_dsn, make_engine, make_sessionmaker
from bihuan_shared.migrations import upgrade_async
from bihuan_shared.testing.bench import BenchEnv, bench_environment, median, percentile, report
from bihuan_shared.testing.bench_http import RawClient, free_port, load as _load, start_api, wait_ready
from bihuan_shared.testing.services import bearer

SCOPE, TARGETS, MILESTONES = "bench", 200, 10


async def _seed(url: str) -> list[tuple[str, str, list[str]]]:
    """Targets as execution keeps them (written directly: the bus path is covered by the tests)."""
    engine = make_engine(url, 2)
    due = date.today() + timedelta(days=60)
    seeded = []
    async with make_sessionmaker(engine)() as session, session.begin():
        for i in range(TARGETS):
            tid, unit = uuid.uuid4().hex, f"U-B{i:03d}"
            ms = [MilestoneCopy(id=uuid.uuid4().hex, seq=k + 1, due_date=due + timedelta(days=30 * k),
                                expected_value=1e9, status="pending", event_seq=0) for k in range(MILESTONES)]
            session.add(TargetCopy(id=tid, scope=SCOPE, year=due.year, code=f"B-{i}", title=f"基准目标{i}",
                                   category="key_work", lead_unit=unit, responsible_units=[], cooperating_units=[],
                                   leader=None, indicator={"kind": "quantitative", "direction": "up"}, version=1,
                                   event_seq=1, cancelled=False, milestones=ms))
            seeded.append((tid, unit, [m.id for m in ms]))
    await engine.dispose()
    return seeded


def _figures(name: str, total: int, wall: float, lat: list[float], failures: int) -> dict:
    figures = {f"{name}_per_second": total / wall, f"{name}_p50_ms": median(lat) * 1000,
               f"{name}_p99_ms": percentile(lat, 99) * 1000, f"{name}_failures": failures}
    for key, value in figures.items():
        report(key, value, "req/s" if key.endswith("second") else ("ms" if key.endswith("ms") else ""))
    return figures


async def run(env: BenchEnv, reports: int = 3000, clients: int = 200) -> dict:
    print(f"execution progress reports: {reports} reports, {clients} concurrent clients, uvicorn process", flush=True)
    url = await env.database("execution")
    await upgrade_async(MIGRATIONS, url)
    seeded = await _seed(url)
    settings = ExecutionSettings(database_url=url, amqp_url=env.amqp_url, redis_url=env.infra.redis_url)
    port = free_port()
    server = start_api("execution", {"BIHUAN_EXECUTION_DATABASE_URL": url, "BIHUAN_EXECUTION_AMQP_URL": env.amqp_url,
                                     "BIHUAN_EXECUTION_REDIS_URL": env.infra.redis_url}, port)
    try:
        await wait_ready(f"http://127.0.0.1:{port}", server)
        tokens = {unit: bearer(settings, "unit_reporter", unit, SCOPE) for _, unit, _ in seeded}
        conns = [RawClient(port) for _ in range(clients)]

        async def healthz(c: int, n: int) -> bool:
            return await conns[c].request("GET", "/healthz") == 200

        async def progress(c: int, n: int) -> bool:
            tid, unit, ms = seeded[n % TARGETS]
            body = orjson.dumps({"actual_value": n, "narrative": "基准测试进展"})
            path = f"/api/v1/targets/{tid}/milestones/{ms[(n // TARGETS) % MILESTONES]}/progress"
            return await conns[c].request("POST", path, tokens[unit], body) == 201

        try:
            await _load(clients, 400, progress)  # warm-up: connections, pools, caches
            figures = _figures("healthz_baseline", reports, *await _load(clients, reports, healthz))
            figures |= _figures("progress_reports", reports, *await _load(clients, reports, progress))
            figures |= await _readyz_figures(port, lambda: _load(READYZ_WRITERS, reports // 2, progress))
        finally:
            for conn in conns:
                await conn.close()
        figures |= await _insert_baseline(url, reports, clients, settings.db_pool_size * 2)
        figures |= await _audit_baseline(url, min(reports, 1000), clients, settings.db_pool_size)
        if figures["progress_reports_failures"] > reports // 100:
            raise RuntimeError(f"{figures['progress_reports_failures']} progress reports failed: figures not valid")
        figures["progress_vs_healthz_throughput_ratio"] = (figures["progress_reports_per_second"]
                                                          / figures["healthz_baseline_per_second"])
        figures["progress_vs_audited_tx_throughput_ratio"] = (figures["progress_reports_per_second"]
                                                             / figures["audited_tx_baseline_per_second"])
        for key in ("progress_vs_healthz_throughput_ratio", "progress_vs_audited_tx_throughput_ratio"):
            report(key, figures[key], "x")
        return figures
    finally:
        server.terminate()
        server.wait(timeout=20)


READYZ_WRITERS = 100


async def _readyz_figures(port: int, write_load) -> dict:
    """/readyz latency as a k8s probe sees it (one probe every 50 ms, its own connection), idle and while
    READYZ_WRITERS clients write progress reports: the probe must stay far below the probe's 3 s timeout."""
    probe = RawClient(port)

    async def probe_until(stop: asyncio.Event, at_least: int = 0) -> list[float]:
        latencies: list[float] = []
        while not stop.is_set() or len(latencies) < at_least:
            started = time.perf_counter()
            if await probe.request("GET", "/readyz") != 200:
                raise RuntimeError("/readyz not ready during the benchmark")
            latencies.append(time.perf_counter() - started)
            await asyncio.sleep(0.05)
        return latencies

    try:
        stopped = asyncio.Event()
        stopped.set()
        idle = await probe_until(stopped, at_least=60)
        writing = asyncio.Event()
        prober = asyncio.create_task(probe_until(writing))
        await write_load()
        writing.set()
        loaded = await prober
    finally:
        await probe.close()
    figures = {"readyz_idle_p99_ms": percentile(idle, 99) * 1000,
               f"readyz_under_{READYZ_WRITERS}_writers_p99_ms": percentile(loaded, 99) * 1000,
               f"readyz_under_{READYZ_WRITERS}_writers_max_ms": max(loaded) * 1000,
               f"readyz_under_{READYZ_WRITERS}_writers_probes": len(loaded)}
    for key, value in figures.items():
        report(key, value, "ms" if key.endswith("ms") else "")
    return figures


async def _insert_baseline(url: str, total: int, clients: int, pool_size: int) -> dict:
    pool = await asyncpg.create_pool(asyncpg_dsn(url), min_size=pool_size, max_size=pool_size)
    try:
        await pool.execute("CREATE TABLE bench_plain (id text PRIMARY KEY, milestone_id text, value float8, "
                           "narrative text, at timestamptz DEFAULT now())")

        async def insert(c: int, n: int) -> bool:
            await pool.execute("INSERT INTO bench_plain (id, milestone_id, value, narrative) VALUES ($1, $2, $3, $4)",
                               uuid.uuid4().hex, str(c), float(n), "基准测试进展")
            return True

        return _figures("plain_insert_baseline", total, *await _load(clients, total, insert))
    finally:
        await pool.close()


async def _audit_baseline(url: str, total: int, clients: int, pool_size: int) -> dict:
    """Transactions that only append one audit record each, as every audited API write does last."""
    engine = make_engine(url, pool_size)
    sessions = make_sessionmaker(engine)
    principal = Principal(user="bench", roles=frozenset({Role.UNIT_REPORTER}), unit="U-B000", scope=SCOPE)

    async def audited(c: int, n: int) -> bool:
        async with sessions() as session, session.begin():
            await record_audit(session, principal, "bench.audited", "bench", str(n), after={"n": n})
        return True

    try:
        return _figures("audited_tx_baseline", total, *await _load(clients, total, audited))
    finally:
        await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=200)
    args = parser.parse_args()

    async def main() -> None:
        async with bench_environment() as env:
            await run(env, args.reports, args.clients)

    asyncio.run(main())
