"""Dashboard refreshes triggered by events are coalesced per leader: while one runs, any number of changes ask for one
more after it, never a second one beside it (a big leader's dashboard rebuilt back to back for every consumer batch
took the consumer's CPU). Real PostgreSQL and Redis."""
import asyncio

import orjson
import pytest
import redis.asyncio as redis_async

from bihuan_shared.db import make_engine, make_sessionmaker
from bihuan_shared.testing.services import eventually
from bihuan_supervision.dashboard import views

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_changes_during_a_refresh_ask_for_one_more_after_it(settings, monkeypatch):
    engine = make_engine(settings.database_url, 1)
    redis = redis_async.from_url(settings.redis_url)
    resources = {"redis": redis, "settings": settings, "sessionmaker": make_sessionmaker(engine)}
    started_runs: list[float] = []
    runs: list[tuple[str, float, float]] = []
    real_refresh = views.refresh

    async def slow_refresh(resources, scope, leaders):
        started = asyncio.get_running_loop().time()
        started_runs.append(started)
        await asyncio.sleep(0.3)  # a leader with thousands of targets
        await real_refresh(resources, scope, leaders)
        runs.extend((leader, started, asyncio.get_running_loop().time()) for leader in leaders)

    monkeypatch.setattr(views, "refresh", slow_refresh)
    try:
        views.refresh_soon(resources, "demo", {"L-COALESCE"})
        views.refresh_soon(resources, "demo", {"L-COALESCE"})  # still waiting: the same refresh
        await eventually(lambda: _settled(started_runs, 1))
        for _ in range(5):  # five batches while it runs
            views.refresh_soon(resources, "demo", {"L-COALESCE"})
            await asyncio.sleep(0.02)
        await eventually(lambda: _settled(runs, 2), timeout=5)
        await asyncio.sleep(0.5)
        assert len(runs) == 2  # one for the first change, one for all five made while it ran
        (_, _, first_end), (_, second_start, _) = runs
        assert second_start >= first_end  # never beside each other
        cached = await redis.get(views.leader_key(settings.redis_prefix, "demo", "L-COALESCE"))
        assert orjson.loads(cached)["leader"] == "L-COALESCE"
    finally:
        await eventually(lambda: _idle())
        await redis.aclose()
        await engine.dispose()


async def _settled(runs: list, count: int) -> None:
    assert len(runs) == count


async def _idle() -> None:
    assert not views._tasks
