"""Issue 12 #11: /readyz stays cheap and bounded (k8s allows a readiness probe 3 s): it answers while every connection
of the request pool is taken, a burst of probes costs one database round trip, and a database that does not answer
makes it say 503 within a second, not after a connection timeout. Real PostgreSQL and RabbitMQ."""
import asyncio
import time

import pytest_asyncio
from sqlalchemy import text

from bihuan_shared.settings import ServiceSettings
from bihuan_shared.testing.services import eventually, running_app
from bihuan_shared.web.app import build_app


def probe_app(database_url: str, amqp_url: str, redis_url: str):
    settings = ServiceSettings(service_name="probe", database_url=database_url, amqp_url=amqp_url,
                               redis_url=redis_url, db_pool_size=1)  # a pool of 1 + 1 overflow
    return build_app(settings, title="probe", routers=[])


async def ready(client) -> None:
    r = await client.get("/readyz")
    assert r.status_code == 200, r.text  # the broker connection comes up in the background


@pytest_asyncio.fixture(scope="module")
async def probe(make_database, amqp_url, infra):
    app = probe_app(await make_database("readyz"), amqp_url, infra.redis_url)
    async with running_app(app) as client:
        await eventually(lambda: ready(client))
        yield client, app


async def timed_get(client, path: str, limit: float = 3.0):
    started = time.perf_counter()
    r = await asyncio.wait_for(client.get(path), timeout=limit)  # what a k8s probe would wait at most
    return r, time.perf_counter() - started


async def test_readyz_answers_while_the_request_pool_is_exhausted(probe):
    client, app = probe
    engine = app.state.engine
    async with engine.connect() as a, engine.connect() as b:  # every connection of the pool, overflow included
        await a.execute(text("SELECT 1"))
        await b.execute(text("SELECT 1"))
        await asyncio.sleep(app.state.settings.readiness_cache_seconds)  # no cached answer: a probe runs now
        r, seconds = await timed_get(client, "/readyz")
    assert r.status_code == 200 and r.json()["checks"] == {"database": True, "broker": True}
    assert seconds < 1.0


async def test_a_burst_of_probes_costs_one_database_probe(probe):
    client, app = probe
    await asyncio.sleep(app.state.settings.readiness_cache_seconds)
    before = app.state.readiness.probes
    answers = await asyncio.gather(*(client.get("/readyz") for _ in range(100)))
    assert {r.status_code for r in answers} == {200}
    assert app.state.readiness.probes - before == 1


async def test_a_database_that_does_not_answer_is_not_ready_within_a_second(amqp_url, infra):
    accepted = []

    async def silent(reader, writer):  # accepts the connection, never says a word: a hung database host
        accepted.append(writer)

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        app = probe_app(f"postgresql+asyncpg://postgres@127.0.0.1:{port}/hung", amqp_url, infra.redis_url)
        async with running_app(app) as client:
            r, seconds = await timed_get(client, "/readyz")
        assert r.status_code == 503 and r.json()["checks"]["database"] is False
        assert seconds < 1.5 and accepted
    finally:
        for writer in accepted:
            writer.close()
        server.close()
