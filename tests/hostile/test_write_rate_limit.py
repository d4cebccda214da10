"""Issue 12 #11: every mutating request of every service (build_app) is counted against a write budget per caller
identity (token subject and scope) in Redis: 429 `rate_limited` with Retry-After beyond it, reads never counted,
routes with a budget of their own (the feeds) limited only by theirs, 0 switches it off, and Redis down lets writes
through. A private Redis, so stopping it disturbs nobody."""
import asyncio

import pytest_asyncio
from fastapi import APIRouter, Depends

from bihuan_shared.settings import ServiceSettings
from bihuan_shared.testing.processes import PrivateRedis
from bihuan_shared.testing.services import bearer, running_app
from bihuan_shared.web.app import build_app
from bihuan_shared.web.ratelimit import rate_limit

WRITES = 5  # the probe's write_rate_per_minute
FEED = 8    # the probe feed route's own budget


def probe_router() -> APIRouter:
    router = APIRouter()

    @router.api_route("/things", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    async def things() -> dict:
        return {"ok": True}

    @router.post("/feed", dependencies=[Depends(rate_limit("probe_feed", per_window=FEED, window_seconds=60))])
    async def feed() -> dict:
        return {"ok": True}

    return router


@pytest_asyncio.fixture(scope="module")
async def redis_server():
    server = PrivateRedis()
    server.start()
    yield server
    server.stop()


def probe_settings(redis_server, amqp_url, run_id, writes: int = WRITES) -> ServiceSettings:
    return ServiceSettings(service_name="probe", amqp_url=amqp_url, redis_url=redis_server.url,
                           redis_prefix=f"writes_{run_id}", write_rate_per_minute=writes)


@pytest_asyncio.fixture(scope="module")
async def probe(redis_server, amqp_url, run_id):
    settings = probe_settings(redis_server, amqp_url, run_id)
    async with running_app(build_app(settings, title="probe", routers=[probe_router()])) as client:
        yield client, settings


async def test_writes_are_budgeted_per_identity_and_reads_are_not(probe):
    client, settings = probe
    office = bearer(settings, "target_office", scope="xh", user="office-a")
    methods = ["POST", "PUT", "PATCH", "DELETE", "POST"]
    assert [(await client.request(m, "/api/v1/things", headers=office)).status_code for m in methods] == [200] * 5
    r = await client.post("/api/v1/things", headers=office)
    assert r.status_code == 429 and r.json()["error"] == "rate_limited", r.text
    assert r.json()["message"].startswith("写入过于频繁") and "office-a@xh" in r.json()["message"]
    assert r.json()["details"]["limit"] == WRITES and 1 <= int(r.headers["retry-after"]) <= 60
    assert r.json()["correlation_id"] == r.headers["x-correlation-id"]
    assert (await client.delete("/api/v1/things", headers=office)).status_code == 429
    assert (await client.get("/api/v1/things", headers=office)).status_code == 200  # reads are not writes
    # each identity, subject and scope, has its own budget
    other_scope = bearer(settings, "target_office", scope="hd", user="office-a")
    other_user = bearer(settings, "target_office", scope="xh", user="office-b")
    assert (await client.post("/api/v1/things", headers=other_scope)).status_code == 200
    assert (await client.post("/api/v1/things", headers=other_user)).status_code == 200


async def test_a_route_with_its_own_budget_is_limited_by_that_one_only(probe):
    client, settings = probe
    center = bearer(settings, "feed", scope="xh", user="feed-12345")
    assert (await client.post("/api/v1/feed", headers=center)).status_code == 200
    for _ in range(WRITES):
        await client.post("/api/v1/things", headers=center)
    assert (await client.post("/api/v1/things", headers=center)).status_code == 429  # its write budget is spent
    answers = [(await client.post("/api/v1/feed", headers=center)).status_code for _ in range(FEED)]
    assert answers == [200] * (FEED - 1) + [429]  # the feed's own budget, untouched by the writes around it


async def test_no_token_is_left_to_the_route_and_zero_switches_the_budget_off(probe, redis_server, amqp_url, run_id):
    client, settings = probe
    assert [(await client.post("/api/v1/things")).status_code for _ in range(WRITES + 2)] == [200] * (WRITES + 2)
    off = probe_settings(redis_server, amqp_url, run_id, writes=0)
    tight = probe_settings(redis_server, amqp_url, f"{run_id}_tight", writes=1)
    caller = bearer(settings, "target_office", scope="xh", user="office-zero")
    for config, expected in ((off, [200] * (WRITES + 2)), (tight, [200] + [429] * (WRITES + 1))):
        async with running_app(build_app(config, title="probe", routers=[probe_router()])) as other:
            assert [(await other.post("/api/v1/things", headers=caller)).status_code
                    for _ in range(WRITES + 2)] == expected


async def test_writes_go_through_while_redis_is_down(probe, redis_server):
    client, settings = probe
    caller = bearer(settings, "target_office", scope="xh", user="office-redis-down")
    redis_server.stop()
    try:
        answers = [(await client.post("/api/v1/things", headers=caller)).status_code for _ in range(WRITES + 3)]
    finally:
        redis_server.start()
    assert answers == [200] * (WRITES + 3)
    answers = [(await client.post("/api/v1/things", headers=caller)).status_code for _ in range(WRITES + 1)]
    assert answers == [200] * WRITES + [429]  # counted again once Redis is back


async def test_a_burst_of_concurrent_writes_is_counted_exactly(redis_server, amqp_url, run_id):
    # 200 at once outnumber a default redis-py pool (100), which then refuses connections: uncounted, let through
    settings = probe_settings(redis_server, amqp_url, f"{run_id}_burst", writes=50)
    caller = bearer(settings, "target_office", scope="xh", user="office-burst")
    async with running_app(build_app(settings, title="probe", routers=[probe_router()])) as client:
        answers = await asyncio.gather(*(client.post("/api/v1/things", headers=caller) for _ in range(200)))
    codes = [r.status_code for r in answers]
    assert codes.count(200) == 50 and codes.count(429) == 150
