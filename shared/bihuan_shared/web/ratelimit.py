"""Rate limits per caller identity (a feed's machine identity, a user), counted in Redis so that every copy of an API
shares one budget.

A fixed window per identity: INCR <prefix>:rl:<name>:<identity>:<window>, expiring with the window. Redis is a live
counter, never the source of truth: when it is unreachable the request is let through (and logged), so losing Redis
loses the limit for a while, not the service.

    FeedBudget = Depends(rate_limit("feed_records", per_window=600, window_seconds=60))
    @router.post("/feeds/{source}/records", dependencies=[FeedBudget])
"""
import logging
import time
from dataclasses import dataclass

import redis.asyncio as redis_async
from fastapi import Request

from bihuan_shared.auth.deps import CurrentPrincipal
from bihuan_shared.auth.principal import Principal
from bihuan_shared.web.errors import DomainError

log = logging.getLogger(__name__)


# Connections of the limits' own Redis client (app.state.rate_redis). A request waits up to POOL_WAIT_SECONDS for
# one rather than being let through uncounted when a burst outnumbers them (redis-py's default pool refuses past 100
# at once: 200 concurrent writes went uncounted), and the leader dashboards' streams, which hold connections of the
# main client for as long as they are open, can never starve the limits.
POOL_CONNECTIONS = 32
POOL_WAIT_SECONDS = 1.0


def limiter_client(url: str) -> redis_async.Redis:
    pool = redis_async.BlockingConnectionPool.from_url(url, max_connections=POOL_CONNECTIONS, timeout=POOL_WAIT_SECONDS,
                                                       socket_timeout=2, socket_connect_timeout=2)
    return redis_async.Redis.from_pool(pool)


class TooManyRequests(DomainError):
    status_code = 429
    default_code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, **kwargs):
        super().__init__(message, **kwargs)
        self.headers = {"Retry-After": str(retry_after)}


@dataclass(frozen=True)
class Decision:
    allowed: bool
    count: int
    limit: int
    retry_after: int


class RateLimiter:
    def __init__(self, redis, prefix: str, name: str, per_window: int, window_seconds: int = 60):
        self.redis = redis
        self.prefix = prefix
        self.name = name
        self.per_window = per_window
        self.window_seconds = window_seconds

    async def hit(self, identity: str, cost: int = 1, now: float | None = None) -> Decision:
        now = time.time() if now is None else now
        window = int(now // self.window_seconds)
        retry_after = max(1, int((window + 1) * self.window_seconds - now))
        key = f"{self.prefix}:rl:{self.name}:{identity}:{window}"
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.incrby(key, cost)
                pipe.expire(key, self.window_seconds + 1)
                count, _ = await pipe.execute()
        except Exception as exc:  # Redis down: fail open, the limit is a courtesy to the system, not a record
            log.warning("rate limit not checked: redis unavailable", extra={"limit": self.name, "error": repr(exc)})
            return Decision(True, 0, self.per_window, 0)
        return Decision(count <= self.per_window, count, self.per_window, retry_after)


async def charge(request: Request, name: str, identity: str, limit: int, window_seconds: int = 60,
                 what: str = "请求") -> None:
    """Count one request of identity against the named budget of this service; TooManyRequests beyond it."""
    settings = request.app.state.settings
    limiter = RateLimiter(request.app.state.rate_redis, settings.redis_prefix, name, limit, window_seconds)
    decision = await limiter.hit(identity)
    if not decision.allowed:
        raise TooManyRequests(
            f"{what}过于频繁：{identity} 在 {window_seconds} 秒内最多 {limit} 次，请 {decision.retry_after} 秒后重试",
            retry_after=decision.retry_after, details={"limit": limit, "window_seconds": window_seconds,
                                                       "identity": identity})


def rate_limit(name: str, per_window: int | str, window_seconds: int = 60):
    """Dependency: at most per_window requests per caller (token subject) and window; 429 with Retry-After beyond.
    per_window may name a setting of the service, so a deployment tunes it without code. A route with such a budget
    is left out of the kit-wide write budget (web.write_budget), so its callers are not limited twice."""

    async def check(request: Request, principal: CurrentPrincipal) -> Principal:
        settings = request.app.state.settings
        limit = getattr(settings, per_window) if isinstance(per_window, str) else per_window
        await charge(request, name, principal.user, limit, window_seconds)
        return principal

    check.rate_limit = (name, per_window, window_seconds)
    return check
