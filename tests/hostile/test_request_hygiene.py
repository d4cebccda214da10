"""Issue 12 #12: malformed requests get a 4xx in the kit's error shape, never `{"detail": ...}` or a 500 — an
oversized token, a body that is not UTF-8, nested too deep, NaN / Infinity (which PostgreSQL's json refuses), an
unknown path or method — and every response says `X-Content-Type-Options: nosniff`. Through build_app, as all four
services are built, on a real database."""
import json

import jwt
import pytest
import pytest_asyncio
from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text

from bihuan_shared.auth import CurrentPrincipal
from bihuan_shared.auth.tokens import mint_token
from bihuan_shared.settings import ServiceSettings
from bihuan_shared.testing.services import bearer, running_app
from bihuan_shared.web.app import build_app
from bihuan_shared.web.deps import SessionDep
from bihuan_shared.web.json_body import MAX_DEPTH

JSON = {"content-type": "application/json"}


class Reading(BaseModel):
    value: float
    extra: dict = {}


def probe_router() -> APIRouter:
    router = APIRouter()

    @router.post("/readings")
    async def store(reading: Reading, session: SessionDep) -> dict:
        # as the services keep free-form JSON: a jsonb column (PostgreSQL's json has no NaN or Infinity)
        stored = await session.scalar(text("SELECT CAST(:doc AS jsonb)::text"),
                                      {"doc": json.dumps(reading.model_dump())})
        return {"stored": stored}

    @router.post("/documents")
    async def document(body: dict) -> dict:
        return {"keys": len(body)}

    @router.get("/me")
    async def me(principal: CurrentPrincipal) -> dict:
        return {"user": principal.user}

    return router


@pytest_asyncio.fixture(scope="module")
async def probe(make_database, amqp_url, infra, redis_prefix):
    settings = ServiceSettings(service_name="probe", database_url=await make_database("hygiene"), amqp_url=amqp_url,
                               redis_url=infra.redis_url, redis_prefix=redis_prefix, db_pool_size=2,
                               max_body_bytes=1024 * 1024)
    async with running_app(build_app(settings, title="probe", routers=[probe_router()])) as client:
        yield client, settings


def kit_shape(r, status: int, error: str) -> list[dict]:
    body = r.json()
    assert r.status_code == status and body["error"] == error, r.text
    assert body["message"] and body["correlation_id"] == r.headers["x-correlation-id"] and "detail" not in body
    return body.get("details") or []


async def test_a_token_over_8_kib_is_refused_before_it_is_decoded(probe):
    client, settings = probe
    assert (await client.get("/api/v1/me", headers=bearer(settings, "leader"))).status_code == 200
    # validly signed, only padded with a claim nobody reads: without the cap it is decoded and accepted
    claims = jwt.decode(mint_token(settings, user="leader@demo", roles=["leader"], scope="demo"),
                        options={"verify_signature": False})
    padded = jwt.encode({**claims, "pad": "x" * 9000}, settings.jwt_secret, algorithm=settings.jwt_algorithm)
    r = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {padded}"})
    details = kit_shape(r, 401, "token_too_large")
    assert details[0]["field"] == "Authorization" and r.headers["www-authenticate"] == "Bearer"
    r = await client.get("/api/v1/me", headers={"Authorization": "Bearer " + "a." * 500_000})
    kit_shape(r, 401, "token_too_large")


async def test_a_body_that_is_not_utf8_is_422_naming_the_body(probe):
    client, _ = probe
    r = await client.post("/api/v1/documents", content=b'{"name": "\xff\xfe"}', headers=JSON)
    assert kit_shape(r, 422, "body_invalid")[0]["field"] == "body"
    assert "UTF-8" in r.json()["message"]


async def test_nesting_is_capped(probe):
    client, _ = probe

    def nested(depth: int) -> bytes:  # the outer object is the first level
        return b'{"a": ' + b"[" * (depth - 1) + b"]" * (depth - 1) + b"}"

    assert (await client.post("/api/v1/documents", content=nested(MAX_DEPTH), headers=JSON)).status_code == 200
    r = await client.post("/api/v1/documents", content=nested(MAX_DEPTH + 1), headers=JSON)
    field = kit_shape(r, 422, "body_invalid")[0]["field"]
    assert field.startswith("body.a.0") and field.count(".") == MAX_DEPTH
    r = await client.post("/api/v1/documents", content=nested(100_000), headers=JSON)  # deeper than the parser goes
    assert kit_shape(r, 422, "body_invalid")[0]["field"] == "body"


@pytest.mark.parametrize("body, field", [
    (b'{"value": NaN}', "body.value"),
    (b'{"value": Infinity}', "body.value"),
    (b'{"value": 1, "extra": {"series": [1.5, -Infinity]}}', "body.extra.series.1"),
])
async def test_nan_and_infinity_are_refused_naming_the_field(probe, body, field):
    client, _ = probe
    ok = await client.post("/api/v1/readings", content=b'{"value": 1.5, "extra": {"series": [2]}}', headers=JSON)
    assert ok.status_code == 200 and json.loads(ok.json()["stored"])["value"] == 1.5
    details = kit_shape(await client.post("/api/v1/readings", content=body, headers=JSON), 422, "validation_failed")
    assert details[0]["field"] == field and "NaN" in details[0]["message"]


async def test_unknown_paths_and_methods_answer_the_kit_shape(probe):
    client, _ = probe
    kit_shape(await client.get("/api/v1/no-such-thing"), 404, "not_found")
    r = await client.delete("/api/v1/documents")
    kit_shape(r, 405, "method_not_allowed")
    assert r.headers["allow"] == "POST"


async def test_every_response_says_nosniff(probe):
    client, settings = probe
    answers = [await client.get("/healthz"), await client.get("/api/v1/no-such-thing"),
               await client.get("/api/v1/me"), await client.get("/api/v1/me", headers=bearer(settings, "leader")),
               await client.post("/api/v1/documents", content=b"{" + b" " * (2 * 1024 * 1024) + b"}", headers=JSON)]
    assert [r.status_code for r in answers] == [200, 404, 401, 200, 413]
    assert all(r.headers["x-content-type-options"] == "nosniff" for r in answers)
