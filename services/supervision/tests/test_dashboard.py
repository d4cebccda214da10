"""The leader's dashboard: rebuilt from the database when Redis is empty, served from Redis after, and pushed over
server-sent events when an event changes it (a real HTTP server, since the stream must flow)."""
import asyncio
import socket
import time
from datetime import datetime, timedelta

import httpx
import orjson
import pytest
import redis.asyncio as redis_async
import uvicorn

from bihuan_shared.contracts.execution import MilestoneOverdue, ProgressReported
from bihuan_shared.contracts.planning import Indicator, MilestoneSnapshot, TargetPublished
from bihuan_shared.events import new_event
from bihuan_shared.testing.services import bearer, eventually
from bihuan_shared.testing.services import publish_envelopes
from bihuan_supervision.dashboard.views import leader_key
from bihuan_supervision.domain.feeds.common import CST
from bihuan_supervision.main import create_app
from bihuan_supervision.sample_orders import order

pytestmark = pytest.mark.asyncio(loop_scope="session")
TODAY = datetime.now(CST).date()


def target(tid: str, category: str, due_in: int) -> TargetPublished:
    return TargetPublished(target_id=tid, book_id="B-1", year=TODAY.year, version=1, code=tid, title=f"目标{tid}",
                           category=category, lead_unit="U-DB", leader="L-ZHAO",
                           indicator=Indicator(kind="qualitative"),
                           milestones=[MilestoneSnapshot(milestone_id=f"{tid}-M1", seq=1,
                                                         due_date=TODAY + timedelta(days=due_in))])


async def test_dashboard_rebuilds_from_the_database_and_streams_changes(client, worker, settings):
    leader = bearer(settings, "leader", scope="demo", user="L-ZHAO")
    await publish_envelopes(settings.amqp_url, [
        new_event(target("T-D1", "key_work", 60), scope="demo", aggregate_id="T-D1", sequence=1),
        new_event(target("T-D2", "major_project", 3), scope="demo", aggregate_id="T-D2", sequence=1)])
    now = datetime.now(CST).replace(microsecond=0).isoformat()
    await client.post("/api/v1/feeds/hotline/records", headers=bearer(settings, "feed", scope="demo"),
                      json=[order(f"DB-{i}", unit="U-DB", received_at=now) for i in range(3)])

    async def both_known():
        view = (await client.get("/api/v1/dashboards/leaders/L-ZHAO", headers=leader)).json()
        assert view["counts"] == {"red": 0, "yellow": 1, "green": 1, "total": 2}
        return view
    view = await eventually(both_known)
    assert view["hotline"]["U-DB"]["orders"] == 3
    assert [t["color"] for t in view["targets"]] == ["green", "yellow"]

    # latest progress and open orders reach the board through their own paths (an event, an API write)
    reported = ProgressReported(report_id="P-D2", target_id="T-D2", milestone_id="T-D2-M1", unit="U-DB",
                                actual_value=7, reported_by="u", reported_at=datetime.now(CST))
    await publish_envelopes(settings.amqp_url, [new_event(reported, scope="demo", aggregate_id="T-D2-M1", sequence=1)])
    r = await client.post("/api/v1/orders", headers=bearer(settings, "supervisor", scope="demo"), json={
        "unit": "U-DB", "subject_kind": "target", "target_id": "T-D1", "title": "督办T-D1", "requirement": "请报送进展",
        "reply_by": str(TODAY + timedelta(days=5))})
    assert r.status_code == 201, r.text

    async def progress_and_order():
        view = (await client.get("/api/v1/dashboards/leaders/L-ZHAO", headers=leader)).json()
        d2 = next(t for t in view["targets"] if t["id"] == "T-D2")
        assert d2["latest_progress"] is not None and d2["latest_progress"]["value"] == 7
        assert [(o["title"], o["status"]) for o in view["open_orders"]] == [("督办T-D1", "issued")]
        return view
    view = await eventually(progress_and_order)

    # Redis emptied (every key of this service's prefix): the next read rebuilds the same board from the database
    cache = redis_async.from_url(settings.redis_url)
    keys = [k async for k in cache.scan_iter(match=f"{settings.redis_prefix}:*")]
    assert leader_key(settings.redis_prefix, "demo", "L-ZHAO").encode() in keys
    await cache.delete(*keys)
    rebuilt = (await client.get("/api/v1/dashboards/leaders/L-ZHAO", headers=leader)).json()
    assert rebuilt["served_from"] == "rebuilt"
    assert {k: v for k, v in rebuilt.items() if k != "served_from"} == {k: v for k, v in view.items()
                                                                         if k != "served_from"}
    cached = (await client.get("/api/v1/dashboards/leaders/L-ZHAO", params={"category": "key_work"},
                               headers=leader)).json()
    assert cached["served_from"] == "cache" and [t["id"] for t in cached["targets"]] == ["T-D1"]
    await cache.aclose()
    other = bearer(settings, "leader", scope="demo", user="L-OTHER")
    assert (await client.get("/api/v1/dashboards/leaders/L-ZHAO", headers=other)).status_code == 403
    projects = (await client.get("/api/v1/dashboards/categories/major_project",
                                 headers=bearer(settings, "supervisor", scope="demo"))).json()
    assert [t["id"] for t in projects["targets"]] == ["T-D2"]

    async with _serve(settings) as base, httpx.AsyncClient(base_url=base, timeout=30) as http:
        async with http.stream("GET", "/api/v1/dashboards/leaders/L-ZHAO/stream", headers=leader) as stream:
            lines = stream.aiter_lines()
            first = await _next_event(lines)
            assert first["counts"]["red"] == 0
            overdue = MilestoneOverdue(target_id="T-D1", milestone_id="T-D1-M1", unit="U-DB",
                                       due_date=TODAY + timedelta(days=60))
            sent = time.perf_counter()
            await publish_envelopes(settings.amqp_url, [new_event(overdue, scope="demo", aggregate_id="T-D1-M1",
                                                               sequence=1)])
            while True:
                pushed = await asyncio.wait_for(_next_event(lines), timeout=15)
                if pushed["counts"]["red"] == 1:
                    break
            elapsed = time.perf_counter() - sent
            print(f"dashboard pushed {elapsed:.3f} s after the event was published")
            assert elapsed < 1.0, f"the board reached the stream {elapsed:.3f} s after the event, not within a second"
            assert [t["color"] for t in pushed["targets"]][0] == "red"
            assert any(w["kind"] == "overdue" for w in pushed["open_warnings"])


async def _next_event(lines) -> dict:
    async for line in lines:
        if line.startswith("data: "):
            return orjson.loads(line[6:])
    raise AssertionError("stream ended")


class _serve:
    def __init__(self, settings):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=self.port,
                                                    log_level="warning", lifespan="on"))

    async def __aenter__(self) -> str:
        self.task = asyncio.create_task(self.server.serve())
        await eventually(self._started)
        return f"http://127.0.0.1:{self.port}"

    async def _started(self):
        assert self.server.started

    async def __aexit__(self, *exc) -> None:
        self.server.should_exit = True
        await asyncio.wait_for(self.task, timeout=10)
