"""One planning database, app and worker for all of planning's tests; each test works in its own scope (辖区),
so tests don't see each other's directory or targets. Events are captured from the run's vhost by a real queue."""
import uuid

import aio_pika
import pytest
import pytest_asyncio

from bihuan_planning.main import MIGRATIONS, create_app
from bihuan_planning.settings import PlanningSettings
from bihuan_planning.worker import runtime
from bihuan_shared.bus.topology import declare_events_exchange
from bihuan_shared.events import Envelope
from bihuan_shared.migrations import upgrade_async
from bihuan_shared.testing.services import bearer, running_app, running_worker


@pytest_asyncio.fixture(scope="session")
async def settings(make_database, amqp_url, infra, redis_prefix):
    url = await make_database("planning")
    await upgrade_async(MIGRATIONS, url)
    return PlanningSettings(database_url=url, amqp_url=amqp_url, redis_url=infra.redis_url,
                            redis_prefix=redis_prefix, retry_delay_ms=200)


class Captured:
    """Every planning.* event the relay publishes, as a consumer on the broker sees it."""

    def __init__(self):
        self.envelopes: list[Envelope] = []

    def of(self, event_type: str, aggregate_id: str | None = None) -> list[Envelope]:
        return [e for e in self.envelopes
                if e.event_type == event_type and (aggregate_id is None or e.aggregate_id == aggregate_id)]


@pytest_asyncio.fixture(scope="session")
async def events(settings):
    connection = await aio_pika.connect_robust(settings.amqp_url)
    channel = await connection.channel()
    exchange = await declare_events_exchange(channel)
    queue = await channel.declare_queue(f"planning-tests-{uuid.uuid4().hex[:6]}", exclusive=True, auto_delete=True)
    await queue.bind(exchange, routing_key="planning.#")
    captured = Captured()

    async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        async with message.process():
            captured.envelopes.append(Envelope.from_bytes(message.body))

    await queue.consume(on_message)
    yield captured
    await connection.close()


@pytest_asyncio.fixture(scope="session")
async def client(settings, events):
    async with running_app(create_app(settings)) as http, running_worker(runtime(settings)):
        yield http


@pytest_asyncio.fixture
def scope() -> str:
    return f"t{uuid.uuid4().hex[:8]}"


class Roles:
    def __init__(self, settings, scope):
        self.settings, self.scope = settings, scope

    def __call__(self, role: str, unit: str | None = None, scope: str | None = None, user: str | None = None) -> dict:
        return bearer(self.settings, role, unit, scope or self.scope, user=user)


@pytest_asyncio.fixture
def as_(settings, scope) -> Roles:
    return Roles(settings, scope)
UNITS = {
    "U-KW": {"name": "区科委", "kind": "line_department", "assessment_group": "区级机关"},
    "U-ZSCQ": {"name": "区知识产权局", "kind": "line_department", "parent": "U-KW", "assessment_group": "区级机关"},
    "U-FGW": {"name": "区发改委", "kind": "line_department", "assessment_group": "区级机关"},
    "U-HM": {"name": "虹梅街道", "kind": "territorial", "assessment_group": "街道"},
    "U-CGZF": {"name": "区城管执法局", "kind": "line_department", "assessment_group": "区级机关"},
    "U-SW": {"name": "上海电力徐汇供电公司", "kind": "provincial_or_enterprise", "assessment_group": "驻区单位"},
}
LEADERS = {
    "L-LI": {"name": "李明", "title": "副区长", "units": ["U-KW", "U-ZSCQ", "U-FGW"]},
    "L-WANG": {"name": "王芳", "title": "副区长", "units": ["U-HM", "U-CGZF"]},
}


async def register_directory(client, as_, scope: str) -> None:
    office = as_("target_office")
    r = await client.put(f"/api/v1/scopes/{scope}", json={"name": "测试区"}, headers=office)
    assert r.status_code == 200, r.text
    for code, body in UNITS.items():
        r = await client.put(f"/api/v1/directory/{scope}/units/{code}", json=body, headers=office)
        assert r.status_code == 200, r.text
    for code, body in LEADERS.items():
        r = await client.put(f"/api/v1/directory/{scope}/leaders/{code}", json=body, headers=office)
        assert r.status_code == 200, r.text


@pytest_asyncio.fixture
async def directory(client, as_, scope) -> str:
    """A scope with the small directory registered; returns the scope."""
    await register_directory(client, as_, scope)
    return scope


def _target_body(scope: str, code: str, year: int = 2026, **over) -> dict:
    """Xuhui-style quantitative target: invention patents per 10,000 people, quarterly cumulative milestones."""
    body = {"scope": scope, "year": year, "code": code, "title": "每万人口发明专利拥有量达到69件",
            "content": "推进知识产权强区建设", "work_measures": "完善专利资助政策；培育高价值专利",
            "area": "科技创新", "category": "special_work", "source": "市级交办", "lead_unit": "U-KW",
            "responsible_units": ["U-ZSCQ"], "cooperating_units": ["U-FGW"], "leader": "L-LI", "weight": 3,
            "indicator": {"kind": "quantitative", "unit_of_measure": "件/万人", "baseline": 60, "target_value": 69,
                          "direction": "up"},
            "milestones": [{"due_date": f"{year}-03-31", "expected_value": 62},
                           {"due_date": f"{year}-06-30", "expected_value": 64},
                           {"due_date": f"{year}-09-30", "expected_value": 66},
                           {"due_date": f"{year}-12-31", "expected_value": 69}]}
    return body | over


@pytest.fixture
def target_body():
    return _target_body


@pytest.fixture
def publish(client, as_):
    """publish(scope, code, **fields) -> the published target, through create, submit, approve, publish."""
    async def published_target(scope: str, code: str, **over) -> dict:
        office = as_("target_office")
        r = await client.post("/api/v1/targets", json=_target_body(scope, code, **over), headers=office)
        assert r.status_code == 201, r.text
        for action in ("submit", "approve", "publish"):
            r = await client.post(f"/api/v1/targets/{r.json()['id']}/{action}", json={"comment": "同意"},
                                  headers=office)
            assert r.status_code == 200, r.text
        return r.json()

    return published_target
