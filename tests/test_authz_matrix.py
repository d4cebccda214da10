"""The authorisation matrix: every /api/v1 route of the four services × every role × own unit / other unit / no unit,
and every route refuses a missing, expired, forged or wrong-audience token.

Routes are found by introspection (bihuan_shared.testing.routes), so a new route is in the matrix the day it is added.
A route's rule is either
  * declared on the route: it depends on require_roles(Role.X, ...); the matrix then expects 403 role_forbidden for
    every other role, whatever the caller's unit, and no 401/role_forbidden for the named roles; or
  * written below in OPEN_TO_AUTHENTICATED (any valid token passes the gate; the route checks scope, unit or role
    against the record it loads) or PUBLIC (no token at all), each with the reason.
A route with neither fails test_every_route_has_a_rule, naming it and saying how to fix it.
"""
import time
import uuid
import warnings

import jwt
import pytest
import pytest_asyncio

from bihuan_shared.auth.principal import Role
from bihuan_shared.migrations import upgrade_async
from bihuan_shared.settings import ServiceSettings
from bihuan_shared.testing.routes import SERVICES, RouteInfo, api_routes, create_app, migrations, settings_class
from bihuan_shared.testing.services import bearer, running_app

# Routes without require_roles(...): any authenticated caller passes the gate; the reason says what the route checks.
OPEN_TO_AUTHENTICATED: dict[str, str] = {
    "planning GET /api/v1/scopes": "lists only the scopes of the caller's token",
    "planning GET /api/v1/directory/{scope}/units": "directory is readable by everyone in the scope (require_scope)",
    "planning GET /api/v1/directory/{scope}/units/{code}": "directory is readable by everyone in the scope",
    "planning GET /api/v1/directory/{scope}/leaders": "directory is readable by everyone in the scope",
    "planning GET /api/v1/directory/{scope}/export.xlsx": "directory is readable by everyone in the scope",
    "planning GET /api/v1/targets": "target book is readable in the caller's scope",
    "planning GET /api/v1/targets/{target_id}": "target book is readable in the caller's scope (require_scope)",
    "planning GET /api/v1/targets/{target_id}/history": "history readable in the caller's scope (require_scope)",
    "planning POST /api/v1/targets/{target_id}/{action}":
        "submit: target office or the lead unit; approve/reject/publish: target office (checked on the record)",
    "planning POST /api/v1/targets/{target_id}/adjustments": "the target's units or the target office propose "
                                                             "(checked on the record)",
    "planning POST /api/v1/adjustments": "a unit proposes for its own targets (checked on the records)",
    "planning GET /api/v1/adjustments": "filtered to the caller's scope and unit",
    "execution GET /api/v1/targets/{target_id}": "units taking part or oversight roles (may_read_target)",
    "execution POST /api/v1/targets/{target_id}/milestones/{milestone_id}/progress":
        "unit_reporter of the lead or a responsible unit (require_owner_unit)",
    "execution GET /api/v1/targets/{target_id}/milestones/{milestone_id}/reports":
        "units taking part or oversight roles (may_read_target)",
    "execution POST /api/v1/evidence": "unit_reporter only (require_reporter, inline)",
    "execution GET /api/v1/evidence/{evidence_id}": "evidence's scope and owning units checked on the record",
    "execution POST /api/v1/targets/{target_id}/contributions": "unit_reporter of a cooperating unit (inline)",
    "execution GET /api/v1/targets/{target_id}/contributions": "units taking part or oversight roles (may_read_target)",
    "supervision GET /api/v1/hotline/orders/{order_id}": "order's scope and handling unit checked on the record",
}
# Routes under /api/v1 that need no token at all, with the reason.
PUBLIC: dict[str, str] = {}

ROLES = list(Role)
UNITS = ("U-OWN", "U-OTHER", None)


def all_routes() -> list[RouteInfo]:
    return [r for service in SERVICES for r in api_routes(service, create_app(service))]


ROUTES = all_routes()


def rule_of(route: RouteInfo) -> str | None:
    if route.required_roles is not None:
        return "roles"
    if route.key in OPEN_TO_AUTHENTICATED:
        return "open"
    if route.key in PUBLIC:
        return "public"
    return None


def test_every_route_has_a_rule():
    missing = [r.key for r in ROUTES if rule_of(r) is None]
    assert not missing, (
        "routes without an authorisation rule: " + "; ".join(missing) + ". Declare the roles on the route with "
        "Depends(require_roles(Role.X, ...)), or add the route with its reason to OPEN_TO_AUTHENTICATED (or PUBLIC) "
        "in tests/test_authz_matrix.py")
    unguarded = [r.key for r in ROUTES if rule_of(r) != "public" and not r.authenticated]
    assert not unguarded, f"routes with a rule but no bearer-token dependency: {unguarded}"
    known = {r.key for r in ROUTES}
    stale = sorted((set(OPEN_TO_AUTHENTICATED) | set(PUBLIC)) - known)
    if stale:
        warnings.warn(f"authorisation rules for routes that no longer exist: {stale}")


@pytest_asyncio.fixture(scope="module")
async def clients(make_database, amqp_url, infra, redis_prefix):
    """Each service's app in-process (lifespan included) on a fresh, migrated database of this run."""
    from contextlib import AsyncExitStack

    async with AsyncExitStack() as stack:
        out = {}
        for service in SERVICES:
            url = await make_database(f"authz_{service}")
            await upgrade_async(migrations(service), url)
            settings = settings_class(service)(database_url=url, amqp_url=amqp_url, redis_url=infra.redis_url,
                                               redis_prefix=redis_prefix)
            out[service] = (await stack.enter_async_context(running_app(create_app(service, settings))), settings)
        yield out


async def call(client, route: RouteInfo, headers: dict):
    kwargs = {"json": {}} if route.method in ("POST", "PUT", "PATCH") else {}
    return await client.request(route.method, route.concrete_path(), headers=headers, **kwargs)


def error_code(response) -> str | None:
    try:
        return response.json().get("error")
    except Exception:
        return None


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.key)
async def test_role_gate(clients, route: RouteInfo):
    """The verdict of the role gate for every role, with the caller in its own unit, another unit, or none."""
    if rule_of(route) in (None, "public"):
        pytest.skip("no role rule (see test_every_route_has_a_rule)")
    client, settings = clients[route.service]
    wrong = []
    for role in ROLES:
        for unit in UNITS:
            r = await call(client, route, bearer(settings, role.value, unit, "authz"))
            denied = r.status_code == 403 and error_code(r) == "role_forbidden"
            should_pass = rule_of(route) == "open" or role in route.required_roles
            if r.status_code == 401 or (should_pass and denied and rule_of(route) == "roles"):
                wrong.append(f"{role.value}/{unit}: {r.status_code} {r.text[:120]} (expected to pass the gate)")
            elif not should_pass and not denied:
                wrong.append(f"{role.value}/{unit}: {r.status_code} {r.text[:120]} (expected 403 role_forbidden)")
    assert not wrong, f"{route.key}:\n  " + "\n  ".join(wrong)


def _token(settings: ServiceSettings, **changes) -> str:
    now = int(time.time())
    claims = {"sub": "mallory", "roles": [r.value for r in ROLES], "unit": "U-OWN", "scope": "authz",
              "aud": settings.jwt_audience, "iss": settings.jwt_issuer, "iat": now, "exp": now + 600,
              "jti": uuid.uuid4().hex}
    secret = changes.pop("_secret", settings.jwt_secret)
    algorithm = changes.pop("_alg", "HS256")
    claims.update(changes)
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, secret, algorithm=algorithm)


BAD_TOKENS = {
    "missing": (None, "token_missing"),
    "expired": ({"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}, "token_expired"),
    "forged": ({"_secret": "not-the-secret-" + "x" * 32}, "token_invalid"),
    "wrong_audience": ({"aud": "some-other-system"}, "token_invalid"),
    "wrong_issuer": ({"iss": "evil-idp"}, "token_invalid"),
    "no_expiry": ({"exp": None}, "token_invalid"),
    "garbage": ("not.a.jwt", "token_invalid"),
    # Issue 12 #1: a token lacking a claim was widened (no scope = every district) or crashed (a number: 500).
    "unknown_role": ({"roles": ["god"]}, "token_claim_invalid"),
    "no_scope": ({"scope": None}, "token_claim_invalid"),
    "wildcard_scope": ({"scope": "*"}, "token_claim_invalid"),
    "empty_scope": ({"scope": ""}, "token_claim_invalid"),
    "numeric_scope": ({"scope": 7}, "token_claim_invalid"),
    "list_scope": ({"scope": ["authz", "other"]}, "token_claim_invalid"),
    "no_roles": ({"roles": None}, "token_claim_invalid"),
    "empty_roles": ({"roles": []}, "token_claim_invalid"),
    "string_roles": ({"roles": "target_office"}, "token_claim_invalid"),
    "numeric_unit": ({"unit": 42}, "token_claim_invalid"),
    "list_unit": ({"unit": ["U-OWN", "U-OTHER"]}, "token_claim_invalid"),
    "no_subject": ({"sub": None}, "token_invalid"),
    "numeric_name": ({"name": 1}, "token_claim_invalid"),
}


@pytest.mark.parametrize("route", [r for r in ROUTES if r.key not in PUBLIC], ids=lambda r: r.key)
async def test_bad_tokens_are_refused(clients, route: RouteInfo):
    client, settings = clients[route.service]
    wrong = []
    for case, (changes, code) in BAD_TOKENS.items():
        if changes is None:
            headers = {}
        elif isinstance(changes, str):
            headers = {"Authorization": f"Bearer {changes}"}
        else:
            headers = {"Authorization": f"Bearer {_token(settings, **changes)}"}
        r = await call(client, route, headers)
        if r.status_code != 401 or error_code(r) != code:
            wrong.append(f"{case}: {r.status_code} {r.text[:120]} (expected 401 {code})")
        elif r.headers.get("www-authenticate") != "Bearer":
            wrong.append(f"{case}: 401 without WWW-Authenticate: Bearer")
    assert not wrong, f"{route.key}:\n  " + "\n  ".join(wrong)


# The city tier (issue 15): the district "authz" belongs to the city "authzcity"; "authz-other" is a district of
# another city. Every route that names a scope (in its path or its query) is called for "authz" by three tokens.
CITY, OTHER_DISTRICT, OTHER_CITY = "authzcity", "authz-other", "authzcity2"
SCOPE_PARAMS = ("scope", "city", "district", "code")


def _scope_params(service: str) -> dict[str, set[str]]:
    """Route key -> the scope-naming parameters it takes (path or query, dependencies included)."""
    from bihuan_shared.testing.routes import _flat_routes

    def params(dependant) -> set[str]:
        own = {p.name for p in dependant.path_params + dependant.query_params}
        return own.union(*(params(sub) for sub in dependant.dependencies))

    out = {}
    for path, route in _flat_routes(create_app(service)):
        if not hasattr(route, "dependant") or not path.startswith("/api/v1"):
            continue
        names = params(route.dependant) & set(SCOPE_PARAMS)
        for method in route.methods - {"HEAD", "OPTIONS"}:
            if names:
                out[f"{service} {method} {path}"] = names
    return out


SCOPED = {key: names for service in SERVICES for key, names in _scope_params(service).items()}


@pytest_asyncio.fixture(scope="module")
async def city_tree(clients):
    """The scope tree every service keeps (planning's register, the others' copy), written as the events would."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    rows = [(CITY, "city", None), ("authz", "district", CITY), (OTHER_CITY, "city", None),
            (OTHER_DISTRICT, "district", OTHER_CITY)]
    for service, (_, settings) in clients.items():
        table = "scopes" if service == "planning" else "scope_tree"
        engine = create_async_engine(settings.database_url)
        async with engine.begin() as conn:
            for code, kind, parent in rows:
                await conn.execute(text(f"INSERT INTO {table} (code, name, kind, parent, event_seq) "
                                        "VALUES (:c, :c, :k, :p, 1) ON CONFLICT DO NOTHING"),
                                   {"c": code, "k": kind, "p": parent})
        await engine.dispose()
    return rows


@pytest.mark.parametrize("route", [r for r in ROUTES if r.key in SCOPED], ids=lambda r: r.key)
async def test_scope_reach_city_over_its_district_never_a_stranger(clients, city_tree, route: RouteInfo):
    """Another city's district never gets a 2xx for "authz"; the district's city reads what the district reads
    (a GET that answers the district answers its city too); a city never writes into a district except where the
    route says so (registering the district under it)."""
    client, settings = clients[route.service]
    values = {name: "authz" for name in SCOPED[route.key]}
    path = route.concrete_path(values)
    params = {name: "authz" for name in SCOPED[route.key] if "{" + name not in route.path}

    async def as_(scope: str):
        headers = {"Authorization": f"Bearer {_token(settings, scope=scope)}"}
        kwargs = {"json": {}} if route.method in ("POST", "PUT", "PATCH") else {}
        return await client.request(route.method, path, headers=headers, params=params, **kwargs)

    own, city, stranger = await as_("authz"), await as_(CITY), await as_(OTHER_DISTRICT)
    assert not 200 <= stranger.status_code < 300, f"another city's district got {stranger.status_code}: {path}"
    if route.method == "GET" and 200 <= own.status_code < 300:
        assert 200 <= city.status_code < 300, f"the city was refused what its district reads: {city.text[:200]}"
    if route.method != "GET" and route.key != "planning PUT /api/v1/scopes/{code}":
        assert not 200 <= city.status_code < 300, f"the city wrote into its district: {path} {city.status_code}"
