"""The scope tree as a service knows it: which districts sit under a city.

A token names one scope; whether that scope is a city, and which districts are its own, is not the token's to say
(an identity provider that listed districts could widen anyone). Each service answers from its own records through
a `ScopeTree` on `app.state.scope_tree`; `current_principal` asks it once per request. A service without one gives
every caller exactly its own scope."""
import time
from collections.abc import Awaitable, Callable

DistrictsLoader = Callable[[str], Awaitable[frozenset[str]]]


class ScopeTree:
    """Districts of a scope, cached in-process for `ttl` seconds: a district registered in another process is seen
    within that time, one registered here at once (`forget`)."""

    def __init__(self, load: DistrictsLoader, ttl: float = 5.0):
        self._load = load
        self._ttl = ttl
        self._cache: dict[str, tuple[float, frozenset[str]]] = {}

    async def districts_of(self, scope: str) -> frozenset[str]:
        hit = self._cache.get(scope)
        now = time.monotonic()
        if hit is not None and now - hit[0] < self._ttl:
            return hit[1]
        districts = await self._load(scope)
        self._cache[scope] = (now, districts)
        return districts

    def forget(self, *scopes: str) -> None:
        for scope in scopes:
            self._cache.pop(scope, None)
