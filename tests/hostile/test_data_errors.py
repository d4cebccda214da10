"""A value the database cannot store is answered 422 with the reason, not 500: an integer beyond int32, text with a
NUL character. Real PostgreSQL, through build_app's error handling."""
import pytest_asyncio
from fastapi import APIRouter
from sqlalchemy import Integer, String, bindparam, select, text

from bihuan_shared.settings import ServiceSettings
from bihuan_shared.testing.services import running_app
from bihuan_shared.web.app import build_app
from bihuan_shared.web.deps import SessionDep


def probe_router() -> APIRouter:
    router = APIRouter()

    @router.get("/count")
    async def count(session: SessionDep, year: int, name: str = "x") -> dict:
        query = select(bindparam("year", type_=Integer), bindparam("name", type_=String))
        row = (await session.execute(query, {"year": year, "name": name})).one()
        return {"year": row[0]}

    @router.get("/broken")
    async def broken(session: SessionDep) -> dict:
        await session.execute(text("SELECT * FROM no_such_table"))  # a server bug, not the client's: stays 500
        return {}

    return router


@pytest_asyncio.fixture(scope="module")
async def probe(make_database, amqp_url, infra):
    settings = ServiceSettings(service_name="probe", database_url=await make_database("data_errors"),
                               amqp_url=amqp_url, redis_url=infra.redis_url, db_pool_size=2)
    async with running_app(build_app(settings, title="probe", routers=[probe_router()])) as client:
        yield client


async def test_values_the_database_cannot_store_are_422(probe):
    assert (await probe.get("/api/v1/count", params={"year": 2026})).json() == {"year": 2026}
    for params in ({"year": 2**40}, {"year": 2026, "name": "a\x00b"}):
        r = await probe.get("/api/v1/count", params=params)
        assert r.status_code == 422, r.text
        assert r.json()["error"] == "value_not_storable" and r.json()["details"][0]["message"]


async def test_other_database_errors_stay_500(probe):
    r = await probe.get("/api/v1/broken")
    assert r.status_code == 500 and r.json()["error"] == "internal"
