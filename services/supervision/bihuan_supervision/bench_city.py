"""Benchmark: the city board (全市看板) and a district's drill-down at the city of issue 15's scale (16 districts × 60
units, 20,000 targets with 80,000 milestones, a yellow or red warning open on one target in ten:
bihuan_shared.testing.city_bench), through a real uvicorn process, p50 / p95. Baselines in the same run and process:
GET /healthz and a leader's dashboard (the board the city board's colours copy, for one leader's targets).

    .venv/bin/python -m bihuan_supervision.bench_city
"""
import asyncio
import random
from datetime import date

from sqlalchemy import insert

from bihuan_shared.db import make_engine, make_sessionmaker
from bihuan_shared.migrations import upgrade_async
from bihuan_shared.scopes import scope_tree
from bihuan_shared.testing.bench import BenchEnv, bench_environment, median, report, timed
from bihuan_shared.testing.bench_http import RawClient, free_port, latency_figures, start_api, wait_ready
from bihuan_shared.testing.city_bench import CITY, city_targets, districts
from bihuan_shared.testing.services import bearer
from bihuan_supervision.dashboard.city import city_view
from bihuan_supervision.main import MIGRATIONS
from bihuan_supervision.settings import SupervisionSettings
from bihuan_supervision.store.models import MilestoneView, TargetView
from bihuan_supervision.store.warning_tables import Warning

CHUNK = 5000
LEADER = "L-BENCH"


async def _seed(url: str, year: int) -> None:
    rnd = random.Random(15)
    targets, milestones, warnings = [], [], []
    for i, t in enumerate(city_targets(year)):
        targets.append({"id": t.id, "scope": t.scope, "year": year, "code": t.code, "title": f"基准{t.code}",
                        "category": "key_work", "lead_unit": t.lead_unit, "leader": LEADER if i % 40 == 0 else None,
                        "version": 1, "event_seq": 1, "cancelled": False, "indicator_kind": "quantitative",
                        "direction": "up"})
        for k, (due, value) in enumerate(zip(t.dues, t.values)):
            milestones.append({"id": f"{t.id[:28]}m{k:03d}", "target_id": t.id, "seq": k + 1, "due_date": due,
                               "expected_value": None, "status": "pending", "completed_on": None,
                               "latest_value": value, "last_reported_at": None, "exec_seq": 0})
        if rnd.random() < 0.1:
            warnings.append({"scope": t.scope, "kind": "lagging", "level": rnd.choice(("yellow", "red")),
                             "subject": f"bench:{t.id}", "target_id": t.id, "unit": t.lead_unit,
                             "message": "基准预警", "status": "open", "detail": {}})
    scopes = [{"code": CITY, "name": "基准市", "kind": "city", "parent": None, "event_seq": 1}] + [
        {"code": d, "name": f"基准区{i:02d}", "kind": "district", "parent": CITY, "event_seq": 1}
        for i, d in enumerate(districts())]
    engine = make_engine(url, 2)
    async with engine.begin() as conn:
        for table, rows in ((scope_tree, scopes), (TargetView.__table__, targets),
                            (MilestoneView.__table__, milestones), (Warning.__table__, warnings)):
            for i in range(0, len(rows), CHUNK):
                await conn.execute(insert(table), rows[i:i + CHUNK])
    await engine.dispose()


async def run(env: BenchEnv, requests: int = 200, clients: int = 8) -> dict:
    year = date.today().year
    print(f"supervision city board: 20,000 targets in 16 districts, {clients} clients", flush=True)
    url = await env.database("supervision_city")
    await upgrade_async(MIGRATIONS, url)
    await _seed(url, year)
    settings = SupervisionSettings(database_url=url, amqp_url=env.amqp_url, redis_url=env.infra.redis_url)
    office = bearer(settings, "target_office", None, CITY)
    port = free_port()
    server = start_api("supervision", {"BIHUAN_SUPERVISION_DATABASE_URL": url,
                                       "BIHUAN_SUPERVISION_AMQP_URL": env.amqp_url,
                                       "BIHUAN_SUPERVISION_REDIS_URL": env.infra.redis_url,
                                       "BIHUAN_SUPERVISION_REDIS_PREFIX": env.redis_prefix}, port)
    conns = [RawClient(port) for _ in range(clients)]
    names = districts()

    def get(path_of, headers=office):
        async def request(c: int, n: int) -> bool:
            return await conns[c].request("GET", path_of(n), headers) == 200
        return request

    try:
        await wait_ready(f"http://127.0.0.1:{port}", server)
        await latency_figures("warm_up", clients, 40, get(lambda n: f"/api/v1/dashboards/cities/{CITY}"))
        figures = await latency_figures("healthz_baseline", clients, requests, get(lambda n: "/healthz"))
        # a leader's board, served from Redis after its first read as in production (the city board is too, for
        # CITY_TTL_SECONDS; what one rebuild costs is measured apart below)
        leader = bearer(settings, "leader", None, names[0], user=LEADER)
        figures |= await latency_figures("leader_board_baseline", clients, requests,
                                         get(lambda n: f"/api/v1/dashboards/leaders/{LEADER}", leader))
        figures |= await latency_figures("city_board", clients, requests,
                                         get(lambda n: f"/api/v1/dashboards/cities/{CITY}"))
        figures |= await latency_figures("district_drill_down", clients, requests,
                                         get(lambda n: f"/api/v1/dashboards/districts/{names[n % len(names)]}"))
        figures |= await _rebuild_figures(url)
        return figures
    finally:
        for conn in conns:
            await conn.close()
        server.terminate()
        server.wait(timeout=20)


async def _rebuild_figures(url: str, times: int = 7) -> dict:
    """One city board computed from the database, alone (what the cache saves a room of readers from)."""
    engine = make_engine(url, 2)
    seconds = []
    try:
        async with make_sessionmaker(engine)() as session:
            for _ in range(times):
                seconds.append(await timed(lambda: city_view(session, CITY)))
    finally:
        await engine.dispose()
    figures = {"city_board_rebuild_median_ms": median(seconds) * 1000}
    report("city_board_rebuild_median_ms", figures["city_board_rebuild_median_ms"], "ms")
    return figures


if __name__ == "__main__":
    async def main() -> None:
        async with bench_environment() as env:
            figures = await run(env)
            report("city_board_p95_ms", figures["city_board_p95_ms"], "ms (target < 300)")

    asyncio.run(main())
