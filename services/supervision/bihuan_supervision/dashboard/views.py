"""Leader dashboards and category views kept in Redis (keys under settings.redis_prefix), refreshed after each
committed change and announced on a Redis channel for the live stream. Redis is a cache: an empty key is rebuilt
from the database on the next read; a failed refresh costs freshness, never data."""
import asyncio
import logging
import time

import orjson
from redis.exceptions import RedisError

from bihuan_supervision.dashboard.build import CATEGORIES, category_view, leader_view

log = logging.getLogger(__name__)

# Refreshes triggered by events are coalesced per leader and run beside the caller (a consumer must not wait on a
# cache), and paused for a while after Redis fails: losing Redis loses freshness, never throughput. At most one
# refresh of a dashboard is waiting and one running: a change while one runs asks for one more after it, started no
# sooner than that refresh took (a leader's dashboard grows with their targets; rebuilding it back to back for every
# batch would take the consumer's CPU).
DEBOUNCE_SECONDS = 0.2
PAUSE_AFTER_FAILURE_SECONDS = 5.0
_pending: set[tuple[str, str]] = set()
_running: set[tuple[str, str]] = set()
_again: set[tuple[str, str]] = set()
_took: dict[tuple[str, str], float] = {}
_tasks: set[asyncio.Task] = set()
_paused_until = 0.0


def refresh_soon(resources: dict, scope: str, leaders: set[str]) -> None:
    """Schedule a refresh of these dashboards within DEBOUNCE_SECONDS (or, while one runs, once after it),
    without blocking the caller."""
    if time.monotonic() < _paused_until:
        return
    keys = {(scope, leader) for leader in leaders} - _pending
    _again.update(keys & _running)
    new = {leader for _, leader in keys - _running}
    if not new:
        return
    _pending.update((scope, leader) for leader in new)
    delay = max([DEBOUNCE_SECONDS, *(_took.pop((scope, leader), 0.0) for leader in new)])
    task = asyncio.create_task(_refresh_later(resources, scope, new, delay))
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


async def _refresh_later(resources: dict, scope: str, leaders: set[str], delay: float) -> None:
    global _paused_until
    await asyncio.sleep(delay)
    keys = {(scope, leader) for leader in leaders}
    _pending.difference_update(keys)
    _running.update(keys)
    started = time.monotonic()
    try:
        await refresh(resources, scope, leaders)
    except (RedisError, OSError) as exc:
        _paused_until = time.monotonic() + PAUSE_AFTER_FAILURE_SECONDS
        log.warning("redis unavailable; dashboard refreshes paused", extra={"error": repr(exc)})
    except Exception:
        log.exception("dashboard refresh failed")
    finally:  # a cancelled refresh (the worker stopping) asks for no other
        _running.difference_update(keys)
        again = keys & _again
        _again.difference_update(again)
    if again:
        took = time.monotonic() - started
        _took.update((key, took) for key in again)
        refresh_soon(resources, scope, {leader for _, leader in again})


def leader_key(prefix: str, scope: str, leader: str) -> str:
    return f"{prefix}:supervision:dashboard:{scope}:leader:{leader}"


def category_key(prefix: str, scope: str, category: str) -> str:
    return f"{prefix}:supervision:dashboard:{scope}:category:{category}"


def channel(prefix: str, scope: str, leader: str) -> str:
    return leader_key(prefix, scope, leader) + ":changed"


async def refresh(resources: dict, scope: str, leaders: set[str]) -> None:
    """Rebuild the leaders' dashboards now and tell their streams; drop the scope's category views."""
    redis, prefix = resources["redis"], resources["settings"].redis_prefix
    async with resources["sessionmaker"]() as session:
        views = {leader: await leader_view(session, scope, leader) for leader in leaders}
    for leader, view in views.items():
        body = orjson.dumps(view)
        await redis.set(leader_key(prefix, scope, leader), body)
        await redis.publish(channel(prefix, scope, leader), body)
    await redis.delete(*(category_key(prefix, scope, c) for c in CATEGORIES))


async def read_leader(resources: dict, scope: str, leader: str) -> tuple[dict, str]:
    """The cached view, or (Redis empty or down) one rebuilt from the database and cached again."""
    redis, prefix = resources["redis"], resources["settings"].redis_prefix
    key = leader_key(prefix, scope, leader)
    try:
        cached = await redis.get(key)
    except Exception as exc:
        log.warning("redis unavailable, serving the dashboard from the database", extra={"error": repr(exc)})
        cached = None
    if cached is not None:
        return orjson.loads(cached), "cache"
    async with resources["sessionmaker"]() as session:
        view = await leader_view(session, scope, leader)
    try:
        await redis.set(key, orjson.dumps(view))
    except Exception:
        pass
    return view, "rebuilt"


async def read_category(resources: dict, scope: str, category: str) -> tuple[dict, str]:
    key = category_key(resources["settings"].redis_prefix, scope, category)
    return await _cached(resources, key, lambda session: category_view(session, scope, category), 300)


# The city board sums every district's targets: cached for a few seconds, so that a room of city leaders opening it
# at once costs one computation, and a change shows within CITY_TTL_SECONDS (the page polls).
CITY_TTL_SECONDS = 5


def city_key(prefix: str, city: str) -> str:
    return f"{prefix}:supervision:dashboard:{city}:city"


async def read_city(resources: dict, city: str) -> tuple[dict, str]:
    from bihuan_supervision.dashboard.city import city_view

    key = city_key(resources["settings"].redis_prefix, city)
    return await _cached(resources, key, lambda session: city_view(session, city), CITY_TTL_SECONDS)


async def _cached(resources: dict, key: str, build, ttl_seconds: int) -> tuple[dict, str]:
    """The view under key, or (missing, or Redis down) built from the database and cached for ttl_seconds."""
    redis = resources["redis"]
    try:
        cached = await redis.get(key)
    except Exception:
        cached = None
    if cached is not None:
        return orjson.loads(cached), "cache"
    async with resources["sessionmaker"]() as session:
        view = await build(session)
    try:
        await redis.set(key, orjson.dumps(view), ex=ttl_seconds)
    except Exception:
        pass
    return view, "rebuilt"
