"""Assessment against the real servers: its API in-process, a worker consuming this run's vhost, and a publisher
that plays planning, execution and supervision."""
import asyncio
from datetime import date

import pytest
import pytest_asyncio
from sqlalchemy import text

from bihuan_assessment.main import MIGRATIONS, create_app
from bihuan_assessment.settings import AssessmentSettings
from bihuan_assessment.worker import runtime
from bihuan_shared.bus.connection import connect
from bihuan_shared.bus.publisher import Publisher
from bihuan_shared.db import make_engine
from bihuan_shared.migrations import upgrade_async
from bihuan_shared.testing.infra import create_vhost, delete_vhost
from bihuan_shared.testing.services import bearer, eventually, running_app, running_worker


@pytest.fixture(scope="session")
def assessment_amqp_url(infra, run_id):
    """A vhost of its own: in a run with the cross-service tests, their assessment worker consumes the same queue
    names in the run's vhost, and competing consumers would take each other's events."""
    vhost = f"bihuan_test_{run_id}_assessment"
    create_vhost(infra, vhost)
    yield infra.vhost_url(vhost)
    delete_vhost(infra, vhost)


@pytest_asyncio.fixture(scope="session")
async def settings(make_database, assessment_amqp_url, infra, redis_prefix):
    url = await make_database("assessment")
    await upgrade_async(MIGRATIONS, url)
    return AssessmentSettings(database_url=url, amqp_url=assessment_amqp_url, redis_url=infra.redis_url,
                              redis_prefix=redis_prefix, retry_delay_ms=200, relay_poll_seconds=0.2, db_pool_size=3,
                              worker_name="worker-1")


@pytest_asyncio.fixture(scope="session")
async def client(settings):
    async with running_app(create_app(settings)) as c:
        yield c


@pytest_asyncio.fixture(scope="session")
async def worker(settings):
    async with running_worker(runtime(settings)) as w:
        yield w


@pytest_asyncio.fixture(scope="session")
async def publisher(settings, worker):
    connection = await connect(settings.amqp_url, "assessment-tests")
    p = Publisher(connection)
    await p.start()
    yield p
    await connection.close()


@pytest_asyncio.fixture(scope="session")
async def db(settings):
    engine = make_engine(settings.database_url, 2)
    yield engine
    await engine.dispose()


class Api:
    """The calls a committee member makes, with the checks every test needs."""

    def __init__(self, client, settings, db, scope: str):
        self.client, self.settings, self.db, self.scope = client, settings, db, scope
        self.assessor = bearer(settings, "assessor", scope=scope)

    def as_(self, role: str, unit: str | None = None) -> dict:
        return bearer(self.settings, role, unit, scope=self.scope)

    async def applied(self, feeder) -> None:
        """Wait until the worker has applied every event the feeder sent (the inbox counts them)."""
        async def probe():
            async with self.db.connect() as conn:
                n = await conn.scalar(text("select count(*) from inbox where consumer = 'assessment.facts'"))
            assert n >= self.expected + feeder.sent, (n, self.expected + feeder.sent)
        await eventually(probe, timeout=30)

    expected = 0  # events sent by other feeders before this one (set by the fixture)

    async def open_scheme(self, rules: dict, year: int = 2026) -> int:
        r = await self.client.post("/api/v1/schemes", json={"scope": self.scope, "year": year, "name": "考核办法",
                                                            "rules": rules}, headers=self.assessor)
        assert r.status_code == 201, r.text
        self.scheme_id = r.json()["id"]
        r = await self.client.post(f"/api/v1/schemes/{self.scheme_id}/open",
                                   json={"as_of": date(year, 12, 31).isoformat()}, headers=self.assessor)
        assert r.status_code == 200, r.text
        return r.json()["assessment_id"]

    async def post(self, path: str, body: dict, headers: dict | None = None, expect: int = 200) -> dict:
        r = await self.client.post(f"/api/v1{path}", json=body, headers=headers or self.assessor)
        assert r.status_code == expect, r.text
        return r.json()

    async def compute(self, assessment_id: int) -> dict:
        run = await self.post(f"/assessments/{assessment_id}/runs", {}, expect=202)

        async def done():
            r = await self.client.get(f"/api/v1/assessments/{assessment_id}/runs/{run['run_no']}",
                                      headers=self.assessor)
            assert r.json()["status"] == "done", r.text
        await eventually(done, timeout=30)
        r = await self.client.get(f"/api/v1/assessments/{assessment_id}/results", headers=self.assessor)
        assert r.status_code == 200, r.text
        assert r.json()["run_no"] == run["run_no"]
        return {s["unit"]: s for s in r.json()["scores"]}

    async def card(self, assessment_id: int, unit: str) -> dict:
        r = await self.client.get(f"/api/v1/assessments/{assessment_id}/scorecards/{unit}", headers=self.assessor)
        assert r.status_code == 200, r.text
        return r.json()


_sent = {"n": 0}


@pytest_asyncio.fixture
async def make_api(client, settings, db, publisher):
    """api, feeder = make_api("baoshan"): a scope of its own per test."""
    from bihuan_assessment.event_feeder import Feeder
    made = []

    def make(scope: str):
        api = Api(client, settings, db, scope)
        feeder = Feeder(publisher, scope)
        api.expected = _sent["n"]
        made.append(feeder)
        return api, feeder

    def another_feeder(scope: str):
        """A feeder of one more scope in the same test (a city's districts): counted for the next tests' waits."""
        feeder = Feeder(publisher, scope)
        made.append(feeder)
        return feeder

    make.feeder = another_feeder
    yield make
    for f in made:
        _sent["n"] += f.sent
    await asyncio.sleep(0)
