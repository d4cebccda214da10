"""Hostile feed batches over HTTP, through supervision's real app and database: a mixed batch stores the good
records and answers each bad one by index, and text PostgreSQL cannot store never turns into a 500."""
import pytest_asyncio

from bihuan_shared.migrations import upgrade_async
from bihuan_shared.testing.routes import create_app, migrations, settings_class
from bihuan_shared.testing.services import bearer, running_app
from bihuan_supervision.sample_orders import order


@pytest_asyncio.fixture(scope="module")
async def feed(make_database, amqp_url, infra, redis_prefix):
    url = await make_database("hostile_supervision")
    await upgrade_async(migrations("supervision"), url)
    settings = settings_class("supervision")(database_url=url, amqp_url=amqp_url, redis_url=infra.redis_url,
                                             redis_prefix=redis_prefix)
    async with running_app(create_app("supervision", settings)) as client:
        yield client, bearer(settings, "feed", None, "hostile", user="feed-12345")


async def test_a_mixed_batch_stores_the_good_and_answers_the_bad_by_index(feed):
    client, headers = feed
    batch = [order("H-1"), {"order_id": "H-2"}, "不是对象", order("H-3", version="v2"), order("H-4")]
    r = await client.post("/api/v1/feeds/hotline/records", json=batch, headers=headers)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert (answer["received"], answer["stored"], answer["rejected"]) == (5, 2, 3)
    assert {e["index"] for e in answer["errors"]} == {1, 2, 3}
    assert all(e["message"] for e in answer["errors"])
    assert any(e["index"] == 3 and e["field"] == "version" for e in answer["errors"])


async def test_text_postgresql_cannot_store_is_a_bad_record_not_a_500(feed):
    client, headers = feed
    batch = [order("N-1"), order("N-2", content="河边\u0000有违章搭建")]
    r = await client.post("/api/v1/feeds/hotline/records", json=batch, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["stored"] == 1 and [e["index"] for e in r.json()["errors"]] == [1]
