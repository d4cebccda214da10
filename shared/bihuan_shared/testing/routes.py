"""What the four services expose, found by introspection rather than listed by hand: their apps, settings classes,
migrations and every /api/v1 route with the roles its dependencies demand. Used by the authorisation matrix,
the hostile-input tests and the benchmark, so a new route is covered the day it appears."""
import re
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path

from fastapi import FastAPI
from fastapi.routing import APIRoute

from bihuan_shared.auth.deps import current_principal
from bihuan_shared.auth.principal import Role
from bihuan_shared.services import SERVICES, settings_class  # noqa: F401  (re-exported for the tests)
from bihuan_shared.settings import ServiceSettings
from bihuan_shared.web.deps import dependency_calls

API_PREFIX = "/api/v1"


@dataclass(frozen=True)
class RouteInfo:
    service: str
    method: str
    path: str
    endpoint: str
    # None: no require_roles(...) on the route; else the roles that pass every require_roles it depends on.
    required_roles: frozenset[Role] | None
    authenticated: bool  # the route depends on the bearer token (directly or through require_roles)
    path_params: tuple[str, ...]

    @property
    def key(self) -> str:
        return f"{self.service} {self.method} {self.path}"

    def concrete_path(self, values: dict[str, str] | None = None, default: str = "x-unknown-1") -> str:
        values = values or {}
        return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: values.get(m.group(1), default), self.path)


def migrations(service: str) -> Path:
    return import_module(f"bihuan_{service}.main").MIGRATIONS


def create_app(service: str, settings: ServiceSettings | None = None) -> FastAPI:
    return import_module(f"bihuan_{service}.main").create_app(settings or settings_class(service)())


def api_routes(service: str, app: FastAPI) -> list[RouteInfo]:
    routes = []
    for path, route in _flat_routes(app):
        if not isinstance(route, APIRoute) or not path.startswith(API_PREFIX):
            continue
        calls = list(dependency_calls(route.dependant))
        role_sets = [frozenset(c.required_roles) for c in calls if hasattr(c, "required_roles")]
        required = frozenset.intersection(*role_sets) if role_sets else None
        authenticated = any(c is current_principal for c in calls)
        params = tuple(p.name for p in route.dependant.path_params)
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            routes.append(RouteInfo(service, method, path, route.name, required, authenticated, params))
    return routes


def _flat_routes(app: FastAPI):
    """(full path, route) pairs. FastAPI >= 0.16x keeps included routers lazily; older versions flatten them."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:
        for route in app.routes:
            yield getattr(route, "path", ""), route
        return
    for ctx in iter_route_contexts(app.routes):
        yield ctx.path or "", ctx.original_route
