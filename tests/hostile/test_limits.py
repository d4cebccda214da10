"""Limits where a client sends bulk: request body size (declared or streamed) refused with a clear 413 by every
service, and rate limits per caller identity counted in Redis (429 with Retry-After), which let requests through
when Redis is down."""
import pytest
import pytest_asyncio
from fastapi import APIRouter, Depends, UploadFile

from bihuan_shared.settings import ServiceSettings
from bihuan_shared.testing.processes import PrivateRedis
from bihuan_shared.testing.routes import SERVICES, api_routes, create_app, settings_class
from bihuan_shared.testing.services import bearer, running_app
from bihuan_shared.web.app import build_app
from bihuan_shared.web.ratelimit import rate_limit

LIMIT = 4096


def probe_router() -> APIRouter:
    router = APIRouter()

    @router.post("/echo")
    async def echo(body: dict) -> dict:
        return {"keys": len(body)}

    @router.post("/small/echo")
    async def small_echo(body: dict) -> dict:
        return {"keys": len(body)}

    @router.post("/upload")
    async def upload(file: UploadFile) -> dict:
        return {"size": len(await file.read())}

    @router.post("/feed", dependencies=[Depends(rate_limit("probe_feed", per_window=5, window_seconds=60))])
    async def feed() -> dict:
        return {"ok": True}

    return router


@pytest.fixture(scope="module")
def redis_server():
    server = PrivateRedis()
    server.start()
    yield server
    server.stop()


@pytest_asyncio.fixture(scope="module")
async def probe(redis_server, amqp_url, run_id):
    settings = ServiceSettings(service_name="probe", amqp_url=amqp_url, redis_url=redis_server.url,
                               redis_prefix=f"limits_{run_id}", max_body_bytes=LIMIT, max_upload_bytes=4 * LIMIT,
                               body_limits={"/api/v1/small/": 100})
    async with running_app(build_app(settings, title="probe", routers=[probe_router()])) as client:
        yield client, settings


def big_json(size: int) -> bytes:
    return b'{"x": "' + b"a" * size + b'"}'


async def test_a_declared_oversized_body_is_refused_with_413(probe):
    client, _ = probe
    assert (await client.post("/api/v1/echo", content=big_json(100), headers={"content-type": "application/json"}
                              )).status_code == 200
    r = await client.post("/api/v1/echo", content=big_json(LIMIT), headers={"content-type": "application/json"})
    assert r.status_code == 413
    body = r.json()
    assert body["error"] == "body_too_large" and "上限为 4096 字节" in body["message"]
    assert body["details"] == [{"field": "body", "message": "最多 4096 字节"}]
    assert body["correlation_id"] == r.headers["x-correlation-id"]


async def test_a_streamed_oversized_body_is_refused_with_413(probe):
    client, _ = probe

    async def chunks(total: int):
        yield b'{"x": "'
        for _ in range(total // 1000):
            yield b"a" * 1000
        yield b'"}'

    ok = await client.post("/api/v1/echo", content=chunks(2000), headers={"content-type": "application/json"})
    assert ok.status_code == 200 and "content-length" not in ok.request.headers
    r = await client.post("/api/v1/echo", content=chunks(10 * LIMIT), headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["error"] == "body_too_large"


async def test_limits_per_prefix_and_for_uploads(probe):
    client, _ = probe
    r = await client.post("/api/v1/small/echo", content=big_json(200), headers={"content-type": "application/json"})
    assert r.status_code == 413 and "上限为 100 字节" in r.json()["message"]
    r = await client.post("/api/v1/upload", files={"file": ("a.bin", b"z" * (2 * LIMIT))})
    assert r.status_code == 200 and r.json() == {"size": 2 * LIMIT}  # uploads have their own, larger limit
    r = await client.post("/api/v1/upload", files={"file": ("a.bin", b"z" * (5 * LIMIT))})
    assert r.status_code == 413


async def test_rate_limit_per_feed_identity(probe):
    client, settings = probe
    hotline = bearer(settings, "feed", None, "xh", user="feed-12345")
    window = bearer(settings, "feed", None, "xh", user="feed-window")
    answers = [(await client.post("/api/v1/feed", headers=hotline)).status_code for _ in range(6)]
    assert answers == [200] * 5 + [429]
    r = await client.post("/api/v1/feed", headers=hotline)
    assert r.status_code == 429 and r.json()["error"] == "rate_limited"
    assert "feed-12345" in r.json()["message"] and 1 <= int(r.headers["retry-after"]) <= 60
    assert (await client.post("/api/v1/feed", headers=window)).status_code == 200  # each identity has its budget


async def test_rate_limit_lets_requests_through_while_redis_is_down(probe, redis_server):
    client, settings = probe
    caller = bearer(settings, "feed", None, "xh", user="feed-redis-down")
    redis_server.stop()
    try:
        answers = [(await client.post("/api/v1/feed", headers=caller)).status_code for _ in range(8)]
    finally:
        redis_server.start()
    assert answers == [200] * 8


def write_routes():
    return [r for s in SERVICES for r in api_routes(s, create_app(s)) if r.method in ("POST", "PUT", "PATCH")]


@pytest_asyncio.fixture(scope="module")
async def small_limit_apps(amqp_url, infra, redis_prefix):
    from contextlib import AsyncExitStack

    async with AsyncExitStack() as stack:
        clients = {}
        for service in SERVICES:
            s = settings_class(service)(amqp_url=amqp_url, redis_url=infra.redis_url, redis_prefix=redis_prefix,
                                        max_body_bytes=LIMIT, max_upload_bytes=LIMIT)
            clients[service] = await stack.enter_async_context(running_app(create_app(service, s)))
        yield clients


@pytest.mark.parametrize("route", write_routes(), ids=lambda r: r.key)
async def test_every_write_route_of_every_service_refuses_an_oversized_body(small_limit_apps, route):
    client = small_limit_apps[route.service]
    r = await client.request(route.method, route.concrete_path(), content=big_json(2 * LIMIT),
                             headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["error"] == "body_too_large", r.text
