"""One city-wide 12345 feed on the real servers: a city's feed identity sends the whole city's orders, each stored in
the district it names (by code or registered name) as if that district's own feed had sent it; an unknown or foreign
district, or none, is a bad record answered by index and field, and nothing valid beside it is lost. The city's
metrics add up its districts with the same definitions (rates from summed counts, never averages of rates).

Every figure below is computed by hand from the orders in BATCH (see the comment beside each order)."""
import csv
import io

import aio_pika
import orjson
import pytest
import pytest_asyncio

from bihuan_shared.bus.consumer import HandlerContext
from bihuan_shared.contracts.planning import ScopeRegistered
from bihuan_shared.db import make_engine, make_sessionmaker
from bihuan_shared.events import new_event
from bihuan_shared.scopes import on_scope_saved
from bihuan_shared.testing.queues import dead_letter_reasons, queue_declared
from bihuan_shared.testing.services import bearer, eventually
from bihuan_supervision.sample_orders import order, step

pytestmark = pytest.mark.asyncio(loop_scope="session")

CITY, A, B, C, OTHER_CITY, OTHER = "cf", "cf-a", "cf-b", "cf-c", "cg", "cg-a"
SETTINGS = {"hotline_scope": CITY}  # the AMQP path is the city-wide stream

SIGNED = step("签收", "2026-03-02T10:00:00+08:00")        # before the 11:00 sign-in deadline
SIGNED_LATE = step("签收", "2026-03-02T12:00:00+08:00")
CLOSED = step("办结", "2026-03-05T10:00:00+08:00")        # before the 03-09 18:00 closing deadline
CLOSED_LATE = step("办结", "2026-03-10T10:00:00+08:00")
TAKEN = step("受理", "2026-03-02T09:00:00+08:00")

BATCH = [
    # cf-a: A-1 signed and closed on time, resolved, 满意
    order("A-1", unit="U-1", district=A, status_history=[TAKEN, SIGNED, CLOSED], resolved=True, satisfaction="满意"),
    # cf-a by its registered name: A-2 signed late, open
    order("A-2", unit="U-1", district="甲区", status_history=[TAKEN, SIGNED_LATE]),
    # cf-a: A-3 signed on time, closed late, not resolved, 不满意, a repeat call of A-1
    order("A-3", unit="U-2", district=A, status_history=[TAKEN, SIGNED, CLOSED_LATE], resolved=False,
          satisfaction="不满意", repeat_of="A-1"),
    # cf-b: B-1 all on time, resolved, 非常满意 (unit code U-1 again: another district's unit)
    order("B-1", unit="U-1", district=B, status_history=[TAKEN, SIGNED, CLOSED], resolved=True,
          satisfaction="非常满意"),
    # cf-b by name: B-2 no sign-in deadline, open
    order("B-2", unit="U-3", district="乙区", sign_in_deadline=None),
    # cf-c: C-1 signed late, closed on time, not resolved, 基本满意 (counts as satisfied)
    order("C-1", unit="U-9", district=C, status_history=[TAKEN, SIGNED_LATE, CLOSED], resolved=False,
          satisfaction="基本满意"),
    order("X-1", district=OTHER),        # 6: another city's district
    order("X-2", district="不存在区"),    # 7: no such district
    order("X-3", district=None),         # 8: no district at all
    order("X-4", district=A, received_at="昨天"),  # 9: a bad record (its district is fine)
]
COUNTS = ("records", "sign_in_due", "signed_on_time", "closed", "closed_on_time", "resolved", "rated", "satisfied",
          "repeats")
EXPECTED = {  # hand-computed from BATCH, in COUNTS order
    A: (3, 3, 2, 2, 1, 1, 2, 1, 1),
    B: (2, 1, 1, 1, 1, 1, 1, 1, 0),
    C: (1, 1, 0, 1, 1, 0, 1, 1, 0),
    CITY: (6, 5, 3, 4, 3, 2, 4, 3, 1),
}
RATES = {
    A: {"on_time_sign_in_rate": 0.666667, "on_time_close_rate": 0.5, "resolution_rate": 0.5,
        "satisfaction_rate": 0.5, "repeat_call_rate": 0.333333},
    B: {"on_time_sign_in_rate": 1.0, "on_time_close_rate": 1.0, "resolution_rate": 1.0, "satisfaction_rate": 1.0,
        "repeat_call_rate": 0.0},
    C: {"on_time_sign_in_rate": 0.0, "on_time_close_rate": 1.0, "resolution_rate": 0.0, "satisfaction_rate": 1.0,
        "repeat_call_rate": 0.0},
    # from the sums: 3/5, 3/4, 2/4, 3/4, 1/6 (the averages of the districts' rates would be .556, .833, .5, .833)
    CITY: {"on_time_sign_in_rate": 0.6, "on_time_close_rate": 0.75, "resolution_rate": 0.5,
           "satisfaction_rate": 0.75, "repeat_call_rate": 0.166667},
}


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def tree(settings):
    """Planning's registrations as supervision's consumer applies them: two cities, three districts and one."""
    engine = make_engine(settings.database_url, pool_size=1)
    sessionmaker = make_sessionmaker(engine)
    registered = [(CITY, "示范市", "city", None), (A, "甲区", "district", CITY), (B, "乙区", "district", CITY),
                  (C, "丙区", "district", CITY), (OTHER_CITY, "另一市", "city", None),
                  (OTHER, "另一区", "district", OTHER_CITY)]
    for code, name, kind, parent in registered:
        payload = ScopeRegistered(code=code, name=name, kind=kind, parent=parent)
        envelope = new_event(payload, scope=parent or code, aggregate_id=f"scope:{code}", sequence=1)
        async with sessionmaker() as session, session.begin():
            await on_scope_saved(HandlerContext(session=session, envelope=envelope, resources={}), payload)
    await engine.dispose()
    return registered


def city_feed(settings, scope: str = CITY) -> dict:
    return bearer(settings, "feed", scope=scope, user=f"12345-center@{scope}")


def counts_of(answer: dict) -> tuple:
    return tuple(answer["counts"][name] for name in COUNTS)


async def test_a_city_batch_is_routed_to_its_districts_and_bad_records_are_answered(client, settings, tree):
    r = await client.post("/api/v1/feeds/hotline/records", json=BATCH, headers=city_feed(settings))
    assert r.status_code == 200, r.text
    answer = r.json()
    assert (answer["received"], answer["stored"], answer["rejected"]) == (10, 6, 4)
    assert [(e["index"], e["field"]) for e in answer["errors"]] == [(6, "district"), (7, "district"),
                                                                    (8, "district"), (9, "received_at")]
    assert "不是本市已登记的区" in answer["errors"][0]["message"]
    assert "须注明" in answer["errors"][2]["message"]
    assert {d: c["stored"] for d, c in answer["districts"].items()} == {A: 3, B: 2, C: 1}

    # stored under the district's scope, exactly as if that district's feed had sent it
    for order_id, district in (("A-2", A), ("B-2", B), ("C-1", C)):
        got = await client.get(f"/api/v1/hotline/orders/{order_id}", headers=bearer(settings, "supervisor",
                                                                                      scope=district))
        assert got.status_code == 200, (order_id, got.text)
        elsewhere = await client.get(f"/api/v1/hotline/orders/{order_id}",
                                     headers=bearer(settings, "supervisor", scope=B if district != B else C))
        assert elsewhere.status_code == 404
    again = await client.post("/api/v1/feeds/hotline/records", json=BATCH[:6], headers=city_feed(settings))
    assert (again.json()["stored"], again.json()["unchanged"]) == (0, 6)  # idempotent across districts


async def test_each_district_and_the_city_have_the_hand_computed_kpis(client, settings, tree):
    for district in (A, B, C):  # the district's own office, and the city reading the district
        for headers in (bearer(settings, "supervisor", scope=district), bearer(settings, "supervisor", scope=CITY)):
            r = await client.get("/api/v1/metrics/units", params={"period": "2026-03", "scope": district},
                                 headers=headers)
            assert r.status_code == 200, r.text
            hotline = r.json()["total"]["sources"]["hotline"]
            assert counts_of(hotline) == EXPECTED[district], district
            assert hotline["metrics"] == RATES[district], district
    r = await client.get("/api/v1/metrics/units", params={"period": "2026-03"},
                         headers=bearer(settings, "leader", scope=CITY))
    assert r.status_code == 200, r.text
    city = r.json()
    assert counts_of(city["total"]["sources"]["hotline"]) == EXPECTED[CITY]
    assert city["total"]["sources"]["hotline"]["metrics"] == RATES[CITY]
    assert city["total"]["units"] == 5  # U-1 and U-2 of 甲区, U-1 and U-3 of 乙区, U-9 of 丙区
    by_district = {d["district"]: d for d in city["districts"]}
    assert [d["district"] for d in city["districts"]] == [A, B, C]
    assert (by_district[A]["name"], by_district[B]["units"]) == ("甲区", 2)
    for district in (A, B, C):
        assert counts_of(by_district[district]["sources"]["hotline"]) == EXPECTED[district]
        assert by_district[district]["sources"]["hotline"]["metrics"] == RATES[district]
    u1 = [(u["district"], u["records"]) for u in city["units"] if u["unit"] == "U-1"]
    assert sorted(u1) == [(A, 2), (B, 1)]  # the same code in two districts stays two units

    # one unit across the city: U-1 of 甲区 and of 乙区 (B-1)
    r = await client.get("/api/v1/metrics/units/U-1", params={"period": "2026-03"},
                         headers=bearer(settings, "supervisor", scope=CITY))
    assert r.json()["sources"]["hotline"]["counts"]["records"] == 3

    r = await client.get("/api/v1/metrics/topics", params={"period": "2026-Q1"},
                         headers=bearer(settings, "supervisor", scope=CITY))
    topics = r.json()
    assert topics["total"]["orders"] == 6 and topics["total"]["metrics"] == RATES[CITY]
    assert [(d["district"], d["orders"]) for d in topics["districts"]] == [(A, 3), (B, 2), (C, 1)]
    r = await client.get("/api/v1/metrics/topics/河道违建/trend", params={"year": "2026"},
                         headers=bearer(settings, "supervisor", scope=CITY))
    assert r.json()["months"][2]["orders"] == 6


async def test_city_reads_stay_inside_the_city(client, settings, tree):
    cases = [(bearer(settings, "supervisor", scope=OTHER_CITY), A),   # another city reading our district
             (bearer(settings, "supervisor", scope=A), CITY),         # a district reading its city
             (bearer(settings, "supervisor", scope=A), B),            # a district reading its sibling
             (bearer(settings, "supervisor", scope=CITY), OTHER)]     # our city reading another city's district
    for headers, scope in cases:
        for path in ("metrics/units", "metrics/topics"):
            r = await client.get(f"/api/v1/{path}", params={"period": "2026-03", "scope": scope}, headers=headers)
            assert r.status_code == 403 and r.json()["error"] == "scope_forbidden", (path, scope, r.text)
    r = await client.get("/api/v1/metrics/units", params={"period": "2026-03", "scope": "x" * 65},
                         headers=bearer(settings, "supervisor", scope=CITY))
    assert r.status_code == 422 and r.json()["details"][0]["field"] == "scope"
    r = await client.get("/api/v1/metrics/units", params={"period": "2026-03", "scope": OTHER},
                         headers=bearer(settings, "supervisor", scope=OTHER_CITY))
    assert r.status_code == 200 and r.json()["total"]["records"] == 0  # nothing of our city's orders went there


async def test_a_district_feed_keeps_its_own_district(client, settings, tree):
    records = [order("D-1", district=A), order("D-2", district="甲区"), order("D-3", district=None),
               order("D-4", district="城东片区"),  # free text naming no registered scope: the district's own
               order("D-5", district="乙区"), order("D-6", district=OTHER)]
    r = await client.post("/api/v1/feeds/hotline/records", json=records, headers=city_feed(settings, A))
    assert r.status_code == 200, r.text
    assert r.json()["stored"] == 4 and "districts" not in r.json()
    assert [(e["index"], e["field"]) for e in r.json()["errors"]] == [(4, "district"), (5, "district")]
    assert "属于其他辖区" in r.json()["errors"][0]["message"]


async def test_windows_centers_and_files_are_routed_the_same_way(client, settings, tree):
    ratings = [{"rating_id": "R-1", "version": 1, "unit": "U-ZW", "rated_at": "2026-04-03T10:00:00+08:00",
                "level": "非常满意", "district": A},
               {"rating_id": "R-2", "version": 1, "unit": "U-ZW", "rated_at": "2026-04-03T10:00:00+08:00",
                "level": "不满意", "district": "丙区"},
               {"rating_id": "R-3", "version": 1, "unit": "U-ZW", "rated_at": "2026-04-03T10:00:00+08:00",
                "level": "满意"}]
    r = await client.post("/api/v1/feeds/service_window/records", json=ratings, headers=city_feed(settings))
    assert (r.json()["stored"], r.json()["errors"][0]["index"], r.json()["errors"][0]["field"]) == (2, 2, "district")
    cases = [{"case_id": "K-1", "version": 1, "center": "网格化中心", "unit": "U-CG", "district": "乙区",
              "received_at": "2026-04-03T10:00:00+08:00", "deadline": "2026-04-05T10:00:00+08:00",
              "closed_at": "2026-04-04T10:00:00+08:00", "outcome": "resolved"},
             {"case_id": "K-2", "version": 1, "center": "网格化中心", "unit": "U-CG", "district": "乙市",
              "received_at": "2026-04-03T10:00:00+08:00"}]
    r = await client.post("/api/v1/feeds/three_centers/records", json=cases, headers=city_feed(settings))
    assert (r.json()["stored"], r.json()["errors"][0]["field"]) == (1, "district")

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, ["order_id", "version", "received_at", "category", "assigned_unit", "district"])
    writer.writeheader()
    writer.writerow({"order_id": "F-1", "version": "1", "received_at": "2026-04-04 08:00:00", "category": "噪声",
                     "assigned_unit": "U-HB", "district": "丙区"})
    writer.writerow({"order_id": "F-2", "version": "1", "received_at": "2026-04-04 08:00:00", "category": "噪声",
                     "assigned_unit": "U-HB", "district": "外市"})
    files = {"file": ("city.csv", buffer.getvalue().encode("utf-8-sig"), "text/csv")}
    r = await client.post("/api/v1/feeds/hotline/files", files=files, headers=city_feed(settings))
    assert r.status_code == 200, r.text
    assert (r.json()["stored"], r.json()["districts"][C]["stored"]) == (1, 1)
    assert [(e["index"], e["field"]) for e in r.json()["errors"]] == [(1, "district")]

    r = await client.get("/api/v1/metrics/units", params={"period": "2026-04"},
                         headers=bearer(settings, "supervisor", scope=CITY))
    by_district = {d["district"]: d["sources"] for d in r.json()["districts"]}
    assert by_district[A]["service_window"]["metrics"]["satisfaction_rate"] == 1.0
    assert by_district[C]["service_window"]["counts"]["bad_reviews"] == 1
    assert by_district[B]["three_centers"]["metrics"]["timeliness_rate"] == 1.0
    assert by_district[C]["hotline"]["counts"]["records"] == 1
    assert r.json()["total"]["sources"]["service_window"]["metrics"]["satisfaction_rate"] == 0.5


async def test_the_city_wide_amqp_stream_is_routed_to_districts(client, tree, worker, settings):
    connection = await aio_pika.connect(settings.amqp_url)
    async with connection:
        await queue_declared(connection, settings.hotline_queue)
        channel = await connection.channel(publisher_confirms=True)
        bodies = [orjson.dumps(order("M-1", district=B)),
                  orjson.dumps([order("M-2", district="丙区"), order("M-3", district="无此区")]),
                  orjson.dumps(order("M-4", district=None))]
        for body in bodies:
            await channel.default_exchange.publish(aio_pika.Message(body), routing_key=settings.hotline_queue)

        async def stored():
            for order_id, district in (("M-1", B), ("M-2", C)):
                got = await client.get(f"/api/v1/hotline/orders/{order_id}",
                                       headers=bearer(settings, "supervisor", scope=district))
                assert got.status_code == 200, order_id
        await eventually(stored)
        reasons = await dead_letter_reasons(channel, settings.hotline_queue, 2)
        assert all("district" in reason for reason in reasons), reasons
    for scope in (CITY, A, B, C):  # nothing of the unroutable orders was stored anywhere
        got = await client.get("/api/v1/hotline/orders/M-3", headers=bearer(settings, "supervisor", scope=scope))
        assert got.status_code == 404
