"""Benchmark: a city task's roll-up and the city's list of rolled-up tasks, at the city of issue 15's scale (16
districts × 60 units, 20,000 targets, 200 city tasks decomposed to all 16 districts: bihuan_shared.testing.
city_bench), through a real uvicorn process, p50 / p95. Baselines in the same run and process: GET /healthz (the
HTTP stack) and GET /api/v1/targets/{id} (one target with its milestones: the cheapest read of the same tables).

    .venv/bin/python -m bihuan_execution.bench_city
"""
import asyncio
from datetime import date

from sqlalchemy import insert

from bihuan_execution.main import MIGRATIONS
from bihuan_execution.settings import ExecutionSettings
from bihuan_execution.store.models import MilestoneCopy, TargetCopy
from bihuan_shared.db import make_engine
from bihuan_shared.migrations import upgrade_async
from bihuan_shared.testing.bench import BenchEnv, bench_environment, report
from bihuan_shared.testing.bench_http import RawClient, free_port, latency_figures, start_api, wait_ready
from bihuan_shared.testing.city_bench import CITY, CITY_TASKS, city_targets
from bihuan_shared.testing.services import bearer

CHUNK = 5000


async def _seed(url: str, year: int) -> list:
    targets = city_targets(year)
    rows, milestones = [], []
    for t in targets:
        rows.append({"id": t.id, "scope": t.scope, "year": year, "code": t.code, "title": f"基准{t.code}",
                     "category": "key_work", "lead_unit": t.lead_unit, "responsible_units": [],
                     "cooperating_units": [], "leader": None, "version": 1, "event_seq": 1, "cancelled": False,
                     "indicator": {"kind": "quantitative", "direction": "up",
                                   "target_value": t.share or (160.0 if t.assignments else 100.0)},
                     "parent_id": None, "area": None, "assignments": t.assignments, "origin_target_id": t.origin})
        for k, (due, value) in enumerate(zip(t.dues, t.values)):
            milestones.append({"id": f"{t.id[:28]}m{k:03d}", "target_id": t.id, "seq": k + 1, "due_date": due,
                               "expected_value": None, "deliverable": None, "status": "pending",
                               "completed_on": None, "latest_value": value, "event_seq": 0, "overdue_for": None,
                               "withdrawn": False})
    engine = make_engine(url, 2)
    async with engine.begin() as conn:
        for table, batch in ((TargetCopy.__table__, rows), (MilestoneCopy.__table__, milestones)):
            for i in range(0, len(batch), CHUNK):
                await conn.execute(insert(table), batch[i:i + CHUNK])
    await engine.dispose()
    return targets


async def run(env: BenchEnv, requests: int = 400, clients: int = 8) -> dict:
    year = date.today().year
    print(f"execution city roll-up: 20,000 targets, {CITY_TASKS} city tasks × 16 districts, {clients} clients",
          flush=True)
    url = await env.database("execution_city")
    await upgrade_async(MIGRATIONS, url)
    tasks = [t for t in await _seed(url, year) if t.assignments]
    settings = ExecutionSettings(database_url=url, amqp_url=env.amqp_url, redis_url=env.infra.redis_url)
    office = bearer(settings, "target_office", None, CITY)
    port = free_port()
    server = start_api("execution", {"BIHUAN_EXECUTION_DATABASE_URL": url, "BIHUAN_EXECUTION_AMQP_URL": env.amqp_url,
                                     "BIHUAN_EXECUTION_REDIS_URL": env.infra.redis_url}, port)
    conns = [RawClient(port) for _ in range(clients)]

    def get(path_of):
        async def request(c: int, n: int) -> bool:
            return await conns[c].request("GET", path_of(n), office) == 200
        return request

    try:
        await wait_ready(f"http://127.0.0.1:{port}", server)
        await latency_figures("warm_up", clients, 40, get(lambda n: f"/api/v1/city-tasks/{tasks[n].id}"))
        figures = await latency_figures("healthz_baseline", clients, requests, get(lambda n: "/healthz"))
        figures |= await latency_figures("one_target_baseline", clients, requests,
                                         get(lambda n: f"/api/v1/targets/{tasks[n % len(tasks)].id}"))
        figures |= await latency_figures("city_task_rollup", clients, requests,
                                         get(lambda n: f"/api/v1/city-tasks/{tasks[n % len(tasks)].id}"))
        figures |= await latency_figures("city_task_list", clients, max(40, requests // 10),
                                         get(lambda n: f"/api/v1/city-tasks?year={year}"))
        figures["city_task_rollup_vs_one_target_p95_ratio"] = (figures["city_task_rollup_p95_ms"]
                                                               / figures["one_target_baseline_p95_ms"])
        report("city_task_rollup_vs_one_target_p95_ratio", figures["city_task_rollup_vs_one_target_p95_ratio"], "x")
        return figures
    finally:
        for conn in conns:
            await conn.close()
        server.terminate()
        server.wait(timeout=20)


if __name__ == "__main__":
    async def main() -> None:
        async with bench_environment() as env:
            await run(env)

    asyncio.run(main())
