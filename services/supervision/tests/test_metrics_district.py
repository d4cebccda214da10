"""The district in one answer: every unit's counts and rates for a period with the district total, every hotline
category with its linked targets, a category's monthly trend, and every target's live status for the overview.
A hand-made set of orders and ratings for three units goes in through the real feed endpoint; the answers must equal
the numbers worked out by hand below."""
from datetime import date, datetime, timedelta

import pytest
import pytest_asyncio
from sqlalchemy import event

from bihuan_shared.contracts.planning import Indicator, MilestoneSnapshot, TargetPublished
from bihuan_shared.db import make_engine, make_sessionmaker
from bihuan_shared.events import new_event
from bihuan_shared.testing.services import bearer, eventually, publish_envelopes
from bihuan_supervision.domain.feeds.common import CST
from bihuan_supervision.domain.metrics import parse_period
from bihuan_supervision.sample_orders import order, step
from bihuan_supervision.store.metrics import units_in_period

pytestmark = pytest.mark.asyncio(loop_scope="session")

RIVER, STALLS, NOISE = "河道违建", "占道经营", "噪声扰民"


def handled(order_id, unit, received, signed, closed, *, resolved, satisfaction, **extra) -> dict:
    """An order signed and closed at the given local times; it is due to be signed in 2 h and closed in 7 days."""
    at = datetime.fromisoformat(received).replace(tzinfo=CST)
    return order(order_id, unit=unit, received_at=at.isoformat(),
                 sign_in_deadline=(at + timedelta(hours=2)).isoformat(),
                 close_deadline=(at + timedelta(days=7)).isoformat(),
                 status_history=[step("受理", at.isoformat()), step("签收", f"{signed}+08:00"),
                                 step("办结", f"{closed}+08:00")], resolved=resolved, satisfaction=satisfaction,
                 **extra)


ORDERS = [
    # U-A: one on time all the way and satisfied, one late all the way and not satisfied, one only dispatched (Jan)
    handled("A1", "U-A", "2026-03-02T09:00:00", "2026-03-02T10:00:00", "2026-03-05T10:00:00",
            resolved=True, satisfaction="满意", category=RIVER),
    handled("A2", "U-A", "2026-03-02T09:00:00", "2026-03-02T12:00:00", "2026-03-10T10:00:00",
            resolved=False, satisfaction="不满意", category=RIVER),
    order("A3", unit="U-A", received_at="2026-01-15T09:00:00+08:00", category=STALLS),
    # U-B: one on time and very satisfied, and a repeat call about it that is only dispatched (Feb)
    handled("B1", "U-B", "2026-02-10T09:00:00", "2026-02-10T09:30:00", "2026-02-12T09:30:00",
            resolved=True, satisfaction="非常满意", category=STALLS),
    order("B2", unit="U-B", received_at="2026-02-11T09:00:00+08:00", category=STALLS, repeat_of="B1"),
    # U-C: an order in April (outside Q1); and one nobody was assigned (in its category, in no unit)
    handled("C1", "U-C", "2026-04-03T09:00:00", "2026-04-03T09:20:00", "2026-04-05T09:00:00",
            resolved=True, satisfaction="满意", category=RIVER),
    handled("D1", None, "2026-03-20T09:00:00", "2026-03-20T09:10:00", "2026-03-21T09:00:00",
            resolved=True, satisfaction="基本满意", category=NOISE),
]
RATINGS = [{"rating_id": f"W-{i}", "version": 1, "unit": unit, "rated_at": at, "level": level, "service_item": "社保办理"}
           for i, (unit, at, level) in enumerate([
               ("U-C", "2026-03-03T10:00:00", "非常满意"), ("U-C", "2026-03-04T10:00:00", "满意"),
               ("U-C", "2026-03-05T10:00:00", "不满意"), ("U-A", "2026-02-03T10:00:00", "非常不满意")])]

# Worked out by hand for 2026-Q1 (A1, A2, A3 | B1, B2 | U-C's ratings; C1 is April, D1 has no unit).
U_A_HOTLINE = {"records": 3, "sign_in_due": 3, "signed_on_time": 1, "closed": 2, "closed_on_time": 1, "resolved": 1,
               "rated": 2, "satisfied": 1, "repeats": 0, "bad_reviews": 0}
U_B_HOTLINE = {"records": 2, "sign_in_due": 2, "signed_on_time": 1, "closed": 1, "closed_on_time": 1, "resolved": 1,
               "rated": 1, "satisfied": 1, "repeats": 1, "bad_reviews": 0}
U_C_WINDOW = {"records": 3, "sign_in_due": 0, "signed_on_time": 0, "closed": 0, "closed_on_time": 0, "resolved": 0,
              "rated": 3, "satisfied": 2, "repeats": 0, "bad_reviews": 1}
DISTRICT_HOTLINE_RATES = {"on_time_sign_in_rate": 0.4, "on_time_close_rate": round(2 / 3, 6),
                          "resolution_rate": round(2 / 3, 6), "satisfaction_rate": round(2 / 3, 6),
                          "repeat_call_rate": 0.2}


def as_(settings, role="supervisor", unit=None):
    return bearer(settings, role, unit=unit, scope="demo")


def river_target(target_id: str, year: int, leader: str) -> TargetPublished:
    return TargetPublished(target_id=target_id, book_id="B-1", year=year, version=1, code=f"HD-{target_id}",
                           title=f"河道综合治理{year}", category="key_work", lead_unit="U-A", leader=leader,
                           indicator=Indicator(kind="qualitative"),
                           milestones=[MilestoneSnapshot(milestone_id=f"{target_id}-M{q}", seq=q,
                                                         due_date=date(year, 3 * q, 28)) for q in (1, 2)])


@pytest_asyncio.fixture(scope="module", autouse=True)
async def fed(client, worker, settings):
    feed = bearer(settings, "feed", scope="demo")
    r = await client.post("/api/v1/feeds/hotline/records", json=ORDERS, headers=feed)
    assert (r.status_code, r.json()["stored"], r.json()["rejected"]) == (200, len(ORDERS), 0), r.text
    r = await client.post("/api/v1/feeds/service_window/records", json=RATINGS, headers=feed)
    assert (r.status_code, r.json()["stored"]) == (200, len(RATINGS)), r.text
    await publish_envelopes(settings.amqp_url, [
        new_event(river_target("T-RIVER", 2026, "L-ZHANG"), scope="demo", aggregate_id="T-RIVER", sequence=1),
        new_event(river_target("T-OLD", 2025, "L-ZHANG"), scope="demo", aggregate_id="T-OLD", sequence=1),
        new_event(river_target("T-LI", 2026, "L-LI"), scope="demo", aggregate_id="T-LI", sequence=1)])
    r = await client.put(f"/api/v1/metrics/topics/{RIVER}/targets", json={"target_ids": ["T-RIVER"]},
                         headers=as_(settings, "target_office"))
    assert r.status_code == 200
    r = await client.put("/api/v1/metrics/topics/垃圾分类/targets", json={"target_ids": ["T-RIVER", "T-LI"]},
                         headers=as_(settings, "target_office"))
    assert r.status_code == 200

    async def targets_seen():
        r = await client.get("/api/v1/targets", params={"year": "2026"}, headers=as_(settings))
        assert r.json()["total"] == 2
    await eventually(targets_seen)


async def test_the_district_list_ranks_every_unit_and_totals_the_district(client, settings):
    r = await client.get("/api/v1/metrics/units", params={"period": "2026-Q1"}, headers=as_(settings, "leader"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["period_kind"], body["source"], body["closed"]) == ("quarter", None, False)
    assert [(u["unit"], u["records"]) for u in body["units"]] == [("U-A", 4), ("U-C", 3), ("U-B", 2)]
    a, c, b = body["units"]
    assert a["sources"]["hotline"]["counts"] == U_A_HOTLINE
    assert a["sources"]["hotline"]["metrics"] == {"on_time_sign_in_rate": round(1 / 3, 6), "on_time_close_rate": 0.5,
                                                  "resolution_rate": 0.5, "satisfaction_rate": 0.5,
                                                  "repeat_call_rate": 0.0}
    assert a["sources"]["service_window"]["metrics"] == {"satisfaction_rate": 0.0, "bad_review_rate": 1.0}
    assert b["sources"]["hotline"]["counts"] == U_B_HOTLINE
    assert b["sources"]["hotline"]["metrics"] == {"on_time_sign_in_rate": 0.5, "on_time_close_rate": 1.0,
                                                  "resolution_rate": 1.0, "satisfaction_rate": 1.0,
                                                  "repeat_call_rate": 0.5}
    assert list(c["sources"]) == ["service_window"] and c["sources"]["service_window"]["counts"] == U_C_WINDOW
    assert c["sources"]["service_window"]["metrics"] == {"satisfaction_rate": round(2 / 3, 6),
                                                         "bad_review_rate": round(1 / 3, 6)}
    total = body["total"]
    assert (total["units"], total["records"]) == (3, 9)
    assert total["sources"]["hotline"]["counts"] == {k: U_A_HOTLINE[k] + U_B_HOTLINE[k] for k in U_A_HOTLINE}
    assert total["sources"]["hotline"]["metrics"] == DISTRICT_HOTLINE_RATES
    assert total["sources"]["service_window"]["metrics"] == {"satisfaction_rate": 0.5, "bad_review_rate": 0.5}


async def test_the_list_narrows_to_a_source_or_to_named_units(client, settings):
    hotline = (await client.get("/api/v1/metrics/units", params={"period": "2026-Q1", "source": "hotline"},
                                headers=as_(settings, "assessor"))).json()
    assert [(u["unit"], list(u["sources"])) for u in hotline["units"]] == [("U-A", ["hotline"]), ("U-B", ["hotline"])]
    assert hotline["total"]["records"] == 5 and list(hotline["total"]["sources"]) == ["hotline"]
    named = (await client.get("/api/v1/metrics/units", params={"period": "2026-Q1", "units": "U-B,U-C,U-NONE"},
                              headers=as_(settings, "target_office"))).json()
    assert [u["unit"] for u in named["units"]] == ["U-C", "U-B"] and named["total"]["records"] == 5
    repeated = (await client.get("/api/v1/metrics/units?period=2026-Q1&units=U-B&units=U-C",
                                 headers=as_(settings))).json()
    assert [u["unit"] for u in repeated["units"]] == ["U-C", "U-B"]
    year = (await client.get("/api/v1/metrics/units", params={"period": "2026"}, headers=as_(settings))).json()
    assert [(u["unit"], u["records"]) for u in year["units"]] == [("U-A", 4), ("U-C", 4), ("U-B", 2)]
    april = (await client.get("/api/v1/metrics/units", params={"period": "2026-04"}, headers=as_(settings))).json()
    assert april["units"][0]["sources"]["hotline"]["metrics"]["satisfaction_rate"] == 1.0
    empty = (await client.get("/api/v1/metrics/units", params={"period": "2025"}, headers=as_(settings))).json()
    assert empty["units"] == [] and empty["total"] == {"units": 0, "records": 0, "sources": {}}


async def test_the_district_is_one_query_whatever_the_number_of_units(settings):
    engine = make_engine(settings.database_url, 1)
    statements = []
    event.listen(engine.sync_engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    try:
        async with make_sessionmaker(engine)() as session:
            rows = await units_in_period(session, "demo", parse_period("2026-Q1")[1])
    finally:
        await engine.dispose()
    assert {unit for _, unit, _ in rows} == {"U-A", "U-B", "U-C"}
    assert len([s for s in statements if "unit_month_counts" in s]) == 1


async def test_topics_give_rates_per_category_with_their_targets(client, settings):
    r = await client.get("/api/v1/metrics/topics", params={"period": "2026-Q1"}, headers=as_(settings))
    assert r.status_code == 200, r.text
    topics = {t["topic"]: t for t in r.json()["topics"]}
    assert [t["topic"] for t in r.json()["topics"]] == [STALLS, RIVER, NOISE, "垃圾分类"]
    assert (topics[STALLS]["orders"], topics[RIVER]["orders"], topics[NOISE]["orders"]) == (3, 2, 1)
    assert topics[RIVER]["metrics"] == {"on_time_sign_in_rate": 0.5, "on_time_close_rate": 0.5, "resolution_rate": 0.5,
                                        "satisfaction_rate": 0.5, "repeat_call_rate": 0.0}
    assert topics[STALLS]["metrics"]["satisfaction_rate"] == 1.0
    assert topics[STALLS]["metrics"]["repeat_call_rate"] == round(1 / 3, 6)
    assert topics[NOISE]["metrics"]["satisfaction_rate"] == 1.0  # 基本满意 counts as satisfied
    assert topics[RIVER]["targets"] == [{"id": "T-RIVER", "code": "HD-T-RIVER", "title": "河道综合治理2026"}]
    assert topics[STALLS]["targets"] == []
    assert topics["垃圾分类"]["orders"] == 0 and topics["垃圾分类"]["metrics"] == {}
    assert [t["id"] for t in topics["垃圾分类"]["targets"]] == ["T-LI", "T-RIVER"]
    total = r.json()["total"]
    assert (total["topics"], total["orders"]) == (3, 6)  # D1 counts here though it has no unit
    assert (total["metrics"]["resolution_rate"], total["metrics"]["satisfaction_rate"]) == (0.75, 0.75)


async def test_a_topic_month_by_month(client, settings):
    r = await client.get(f"/api/v1/metrics/topics/{RIVER}/trend", params={"year": "2026"},
                         headers=as_(settings, "leader"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["targets"][0]["id"] == "T-RIVER" and len(body["months"]) == 12
    series = [(m["month"], m["orders"], m["satisfaction_rate"], m["resolution_rate"]) for m in body["months"][:5]]
    assert series == [("2026-01", 0, None, None), ("2026-02", 0, None, None), ("2026-03", 2, 0.5, 0.5),
                      ("2026-04", 1, 1.0, 1.0), ("2026-05", 0, None, None)]
    assert sum(m["orders"] for m in body["months"]) == 3
    linked_only = await client.get("/api/v1/metrics/topics/垃圾分类/trend", params={"year": "2026"},
                                   headers=as_(settings))
    assert linked_only.status_code == 200 and sum(m["orders"] for m in linked_only.json()["months"]) == 0
    unknown = await client.get("/api/v1/metrics/topics/无此类别/trend", params={"year": "2026"}, headers=as_(settings))
    assert (unknown.status_code, unknown.json()["error"]) == (404, "topic_not_found")


async def test_a_unit_reporter_sees_its_own_unit_only(client, settings):
    own = await client.get("/api/v1/metrics/units", params={"period": "2026-Q1"},
                           headers=as_(settings, "unit_reporter", "U-B"))
    assert own.status_code == 200
    assert [u["unit"] for u in own.json()["units"]] == ["U-B"] and own.json()["total"]["records"] == 2
    named = await client.get("/api/v1/metrics/units", params={"period": "2026-Q1", "units": "U-B"},
                             headers=as_(settings, "unit_reporter", "U-B"))
    assert [u["unit"] for u in named.json()["units"]] == ["U-B"]
    for units in ("U-A", "U-B,U-A"):
        other = await client.get("/api/v1/metrics/units", params={"period": "2026-Q1", "units": units},
                                 headers=as_(settings, "unit_reporter", "U-B"))
        assert (other.status_code, other.json()["error"]) == (403, "unit_forbidden")
    no_unit = await client.get("/api/v1/metrics/units", params={"period": "2026-Q1"},
                               headers=as_(settings, "unit_reporter"))
    assert no_unit.status_code == 403
    for path in ("/api/v1/metrics/topics?period=2026-Q1", f"/api/v1/metrics/topics/{RIVER}/trend?year=2026"):
        refused = await client.get(path, headers=as_(settings, "unit_reporter", "U-A"))
        assert (refused.status_code, refused.json()["error"]) == (403, "role_forbidden")


@pytest.mark.parametrize("path", ["/api/v1/metrics/units?period=2026-Q1", "/api/v1/metrics/topics?period=2026-Q1",
                                  f"/api/v1/metrics/topics/{RIVER}/trend?year=2026", "/api/v1/targets?year=2026"])
async def test_anonymous_and_other_roles_are_refused(client, settings, path):
    assert (await client.get(path)).status_code == 401
    for role in ("feed", "third_party"):
        r = await client.get(path, headers=as_(settings, role, "U-A"))
        assert (r.status_code, r.json()["error"]) == (403, "role_forbidden")


@pytest.mark.parametrize("path, params, field", [
    ("/api/v1/metrics/units", {}, "period"),
    ("/api/v1/metrics/units", {"period": "2026-Q5"}, "period"),
    ("/api/v1/metrics/units", {"period": "0000"}, "period"),
    ("/api/v1/metrics/units", {"period": "2026-03\n"}, "period"),
    ("/api/v1/metrics/units", {"period": "2026", "source": "weibo"}, "source"),
    ("/api/v1/metrics/units", {"period": "2026", "units": "U-A,,U-B"}, "units"),
    ("/api/v1/metrics/units", {"period": "2026", "units": "U-" + "x" * 70}, "units"),
    ("/api/v1/metrics/units", {"period": "2026", "units": ",".join(f"U-{i}" for i in range(501))}, "units"),
    ("/api/v1/metrics/units", {"period": "2026", "units": "U-A,U-\x00"}, "units"),
    ("/api/v1/metrics/units/U-A", {}, "period"),
    ("/api/v1/metrics/units/U-%00", {"period": "2026"}, "unit"),
    ("/api/v1/metrics/topics", {"period": "26-Q1"}, "period"),
    (f"/api/v1/metrics/topics/{RIVER}/trend", {}, "year"),
    (f"/api/v1/metrics/topics/{RIVER}/trend", {"year": "二〇二六"}, "year"),
    (f"/api/v1/metrics/topics/{RIVER}/trend", {"year": "1066"}, "year"),
    ("/api/v1/metrics/topics/" + "河" * 201 + "/trend", {"year": "2026"}, "topic"),
    ("/api/v1/metrics/topics/%00/trend", {"year": "2026"}, "topic"),
    ("/api/v1/targets", {}, "year"),
    ("/api/v1/targets", {"year": "2026", "leader": "L" * 65}, "leader"),
    ("/api/v1/targets", {"year": "2026", "leader": "L-\x00"}, "leader"),
])
async def test_bad_query_values_are_refused_naming_the_field(client, settings, path, params, field):
    r = await client.get(path, params=params, headers=as_(settings))
    assert r.status_code == 422, r.text
    details = r.json()["details"]
    assert [d["field"] for d in details] == [field]
    assert not r.json()["message"].isascii() and not details[0]["message"].isascii()  # said in zh-CN


async def test_every_target_of_a_year_with_its_milestones_in_one_answer(client, settings):
    r = await client.get("/api/v1/targets", params={"year": "2026"}, headers=as_(settings, "assessor"))
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [t["id"] for t in items] == ["T-LI", "T-RIVER"]  # by code; T-OLD is 2025
    river = items[1]
    assert (river["leader"], river["lead_unit"], river["year"]) == ("L-ZHANG", "U-A", 2026)
    assert [(m["id"], m["due_date"], m["status"]) for m in river["milestones"]] == [
        ("T-RIVER-M1", "2026-03-28", "pending"), ("T-RIVER-M2", "2026-06-28", "pending")]
    mine = (await client.get("/api/v1/targets", params={"year": "2026", "leader": "L-ZHANG"},
                             headers=as_(settings, "leader"))).json()
    assert [t["id"] for t in mine["items"]] == ["T-RIVER"] and mine["total"] == 1
    old = (await client.get("/api/v1/targets", params={"year": "2025"}, headers=as_(settings, "target_office"))).json()
    assert [t["id"] for t in old["items"]] == ["T-OLD"]
