"""Bearer tokens and role checks: missing, expired, forged and wrong-audience tokens are refused."""
import time

import httpx
import jwt
import pytest
from fastapi import APIRouter, Depends

from bihuan_shared.auth import Principal, Role, require_roles
from bihuan_shared.auth.tokens import mint_token
from bihuan_shared.settings import ServiceSettings
from bihuan_shared.web.app import _add_error_handlers
from bihuan_shared.auth.tokens import TokenVerifier
from fastapi import FastAPI

SETTINGS = ServiceSettings()


def make_app() -> FastAPI:
    app = FastAPI()
    app.state.token_verifier = TokenVerifier(SETTINGS)
    _add_error_handlers(app)
    router = APIRouter()

    @router.post("/publish")
    async def publish(p: Principal = Depends(require_roles(Role.TARGET_OFFICE))) -> dict:
        return {"user": p.user}

    @router.post("/units/{unit}/report")
    async def report(unit: str, p: Principal = Depends(require_roles(Role.UNIT_REPORTER))) -> dict:
        p.require_unit(unit, oversight=())
        return {"ok": True}

    app.include_router(router)
    return app


@pytest.fixture
async def client():
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=make_app()), base_url="http://t") as c:
        yield c


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


async def test_role_is_enforced(client):
    office = mint_token(SETTINGS, user="alice", roles=["target_office"], scope="demo")
    reporter = mint_token(SETTINGS, user="bob", roles=["unit_reporter"], unit="U1", scope="demo")
    assert (await client.post("/publish", headers=auth(office))).json() == {"user": "alice"}
    r = await client.post("/publish", headers=auth(reporter))
    assert r.status_code == 403 and r.json()["error"] == "role_forbidden"


async def test_unit_is_enforced(client):
    reporter = mint_token(SETTINGS, user="bob", roles=["unit_reporter"], unit="U1", scope="demo")
    assert (await client.post("/units/U1/report", headers=auth(reporter))).status_code == 200
    r = await client.post("/units/U2/report", headers=auth(reporter))
    assert r.status_code == 403 and r.json()["error"] == "unit_forbidden"


async def test_missing_token_is_401(client):
    r = await client.post("/publish")
    assert r.status_code == 401 and r.json()["error"] == "token_missing"


def _claims(**over) -> dict:
    now = int(time.time())
    claims = {"sub": "x", "roles": ["target_office"], "scope": "demo", "aud": SETTINGS.jwt_audience, "iss": SETTINGS.jwt_issuer,
              "iat": now, "exp": now + 60}
    claims.update(over)
    return claims


@pytest.mark.parametrize("token,code", [
    (jwt.encode(_claims(exp=int(time.time()) - 10), SETTINGS.jwt_secret, "HS256"), "token_expired"),
    (jwt.encode(_claims(), "another-secret-that-is-long-enough-32b", "HS256"), "token_invalid"),
    (jwt.encode(_claims(aud="someone-else"), SETTINGS.jwt_secret, "HS256"), "token_invalid"),
    (jwt.encode(_claims(iss="evil"), SETTINGS.jwt_secret, "HS256"), "token_invalid"),
    (jwt.encode(_claims(roles=["emperor"]), SETTINGS.jwt_secret, "HS256"), "token_claim_invalid"),
    (jwt.encode(_claims(scope=None), SETTINGS.jwt_secret, "HS256"), "token_claim_invalid"),
    (jwt.encode(_claims(scope="*"), SETTINGS.jwt_secret, "HS256"), "token_claim_invalid"),
    (jwt.encode(_claims(scope=["demo"]), SETTINGS.jwt_secret, "HS256"), "token_claim_invalid"),
    (jwt.encode(_claims(roles=None), SETTINGS.jwt_secret, "HS256"), "token_claim_invalid"),
    (jwt.encode(_claims(unit=3), SETTINGS.jwt_secret, "HS256"), "token_claim_invalid"),
    ("not-a-jwt", "token_invalid"),
])
async def test_bad_tokens_are_refused(client, token, code):
    r = await client.post("/publish", headers=auth(token))
    assert r.status_code == 401 and r.json()["error"] == code


async def test_a_valid_token_still_passes(client):
    """The refusals above are not a gate that refuses everything: the same claims with a scope pass."""
    r = await client.post("/publish", headers=auth(jwt.encode(_claims(), SETTINGS.jwt_secret, "HS256")))
    assert r.status_code == 200 and r.json() == {"user": "x"}


def test_a_scope_reaches_only_itself():
    p = Principal(user="u", roles=frozenset({Role.TARGET_OFFICE}), scope="xh")
    assert p.reaches("xh") and not p.reaches("pd") and not p.reaches("*") and not p.reaches(None)
    system = Principal(user="system:clock", roles=frozenset({Role.SUPERVISOR}))
    assert not system.reaches("xh")
