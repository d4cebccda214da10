"""Leader dashboards and category views kept in Redis (keys under settings.redis_prefix), refreshed after each
committed change and announced on a Redis channel for the live stream. Redis is a cache: an empty key is rebuilt
from the database on the next read; a failed refresh costs freshness, never data."""
import logging

import orjson

from bihuan_supervision.dashboard.build import CATEGORIES, category_view, leader_view

log = logging.getLogger(__name__)


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
    redis, prefix = resources["redis"], resources["settings"].redis_prefix
    key = category_key(prefix, scope, category)
    try:
        cached = await redis.get(key)
    except Exception:
        cached = None
    if cached is not None:
        return orjson.loads(cached), "cache"
    async with resources["sessionmaker"]() as session:
        view = await category_view(session, scope, category)
    try:
        await redis.set(key, orjson.dumps(view), ex=300)
    except Exception:
        pass
    return view, "rebuilt"
