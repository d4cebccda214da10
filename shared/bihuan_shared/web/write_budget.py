"""The write budget of every service (issue 12 #11): at most settings.write_rate_per_minute mutating requests
(POST, PUT, PATCH, DELETE) per caller identity, the token's subject and scope, and minute, counted in Redis by
web.ratelimit; beyond it 429 `rate_limited` with Retry-After; Redis down lets the write through (and logs).

build_app installs it as an app-wide dependency, so every route of the four services has it without a line of its
own. It reads the identity from the token itself (the route's own authentication runs after it): a request without
a valid token is left to that authentication, which answers 401. A route with a budget of its own (the feeds'
rate_limit) is left to that budget, so a hotline center is not limited twice. 0 switches the budget off."""
from fastapi import Request

from bihuan_shared.auth.deps import verified_token
from bihuan_shared.web.deps import dependency_calls
from bihuan_shared.web.errors import DomainError
from bihuan_shared.web.ratelimit import charge

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
WINDOW_SECONDS = 60

# Set on a route once walked: it depends on a rate_limit(...) of its own (routes are not hashable; an attribute
# also goes with its route, where a cache keyed by id() could outlive it and answer for another).
OWN_BUDGET = "_bihuan_own_budget"


async def write_budget(request: Request) -> None:
    if request.method not in WRITE_METHODS:
        return
    settings = request.app.state.settings
    limit = settings.write_rate_per_minute
    if limit <= 0 or _has_own_budget(request.scope.get("route")):
        return
    identity = _identity(request)
    if identity is not None:
        await charge(request, f"writes.{settings.service_name}", identity, limit, WINDOW_SECONDS, what="写入")


def _identity(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    try:
        principal = verified_token(request, token.strip())
    except DomainError:
        return None
    return f"{principal.user}@{principal.scope}"


def _has_own_budget(route) -> bool:
    if route is None or not hasattr(route, "dependant"):
        return False
    own = getattr(route, OWN_BUDGET, None)
    if own is None:
        own = any(hasattr(call, "rate_limit") for call in dependency_calls(route.dependant))
        setattr(route, OWN_BUDGET, own)
    return own
