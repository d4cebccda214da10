"""Metrics per unit and period match a hand-computed fixture; closing a period publishes them; late data publishes
a higher revision; hotline categories linked to a target show on its page."""
from datetime import date, timedelta

import aio_pika
import orjson
import pytest

from bihuan_shared.bus.topology import declare_events_exchange
from bihuan_shared.contracts.planning import Indicator, MilestoneSnapshot, TargetPublished
from bihuan_shared.events import new_event
from bihuan_shared.testing.services import bearer, eventually
from bihuan_shared.testing.services import publish_envelopes
from bihuan_supervision.sample_orders import order, step
from bihuan_supervision.store.warnings import today

pytestmark = pytest.mark.asyncio(loop_scope="session")
SETTINGS = {"metrics_close_after_days": 1}  # the clock closes last month from the 2nd of this month

D = "2026-03-02T"
ORDERS = [
    # signed on time, closed on time, resolved, satisfied
    order("M-1", unit="U-A", status_history=[step("受理", D + "09:00:00"), step("签收", D + "10:00:00"),
                                             step("办结", "2026-03-05T10:00:00")], resolved=True, satisfaction="满意"),
    # signed late, closed late, not resolved, not satisfied
    order("M-2", unit="U-A", status_history=[step("受理", D + "09:00:00"), step("签收", D + "12:00:00"),
                                             step("办结", "2026-03-10T10:00:00")], resolved=False, satisfaction="不满意"),
    # only dispatched; a repeat call about M-1
    order("M-3", unit="U-A", repeat_of="M-1"),
    # February: on time all the way, very satisfied
    order("M-4", unit="U-A", received_at="2026-02-10T09:00:00+08:00", sign_in_deadline="2026-02-10T11:00:00+08:00",
          close_deadline="2026-02-15T18:00:00+08:00", resolved=True, satisfaction="非常满意",
          status_history=[step("签收", "2026-02-10T09:30:00"), step("办结", "2026-02-12T09:30:00")]),
    order("M-5", unit="U-B"),
]


def headers(settings, role="supervisor", unit=None):
    return bearer(settings, role, unit=unit, scope="demo")


async def test_metrics_match_the_hand_computed_fixture(client, settings):
    feed = bearer(settings, "feed", scope="demo")
    r = await client.post("/api/v1/feeds/hotline/records", json=ORDERS, headers=feed)
    assert r.json()["stored"] == 5
    ratings = [{"rating_id": f"R-{i}", "version": 1, "unit": "U-A", "rated_at": "2026-03-03T10:00:00",
                "level": level} for i, level in enumerate(["非常满意", "满意", "不满意", "非常不满意"])]
    await client.post("/api/v1/feeds/service_window/records", json=ratings, headers=feed)
    cases = [{"case_id": "C-1", "version": 1, "center": "行政服务中心", "unit": "U-A", "received_at": "2026-03-03T10:00:00",
              "deadline": "2026-03-05T10:00:00", "closed_at": closed} for closed in ("2026-03-04T10:00:00",)]
    cases.append({**cases[0], "case_id": "C-2", "closed_at": "2026-03-06T10:00:00"})
    await client.post("/api/v1/feeds/three_centers/records", json=cases, headers=feed)

    march = (await client.get("/api/v1/metrics/units/U-A", params={"period": "2026-03"},
                              headers=headers(settings))).json()["sources"]
    assert march["hotline"]["metrics"] == {"on_time_sign_in_rate": round(1 / 3, 6), "on_time_close_rate": 0.5,
                                           "resolution_rate": 0.5, "satisfaction_rate": 0.5,
                                           "repeat_call_rate": round(1 / 3, 6)}
    assert march["service_window"]["metrics"] == {"satisfaction_rate": 0.5, "bad_review_rate": 0.5}
    assert march["service_window"]["counts"]["bad_reviews"] == 2
    assert march["three_centers"]["metrics"] == {"timeliness_rate": 0.5, "resolution_rate": 0.0}  # no outcome given
    q1 = (await client.get("/api/v1/metrics/units/U-A", params={"period": "2026-Q1"},
                           headers=headers(settings, "unit_reporter", "U-A"))).json()["sources"]["hotline"]
    assert q1["metrics"] == {"on_time_sign_in_rate": 0.5, "on_time_close_rate": round(2 / 3, 6),
                             "resolution_rate": round(2 / 3, 6), "satisfaction_rate": round(2 / 3, 6),
                             "repeat_call_rate": 0.25}
    r = await client.get("/api/v1/metrics/units/U-A", params={"period": "2026-Q5"}, headers=headers(settings))
    assert r.status_code == 422
    r = await client.get("/api/v1/metrics/units/U-A", params={"period": "2026"},
                         headers=headers(settings, "unit_reporter", "U-B"))
    assert r.status_code == 403


async def test_closing_a_period_publishes_and_late_data_republishes(client, worker, settings):
    connection = await aio_pika.connect(settings.amqp_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue("", exclusive=True)
        await queue.bind(await declare_events_exchange(channel), "supervision.unit_metrics.published")
        r = await client.post("/api/v1/metrics/periods/2026-03/close", headers=headers(settings))
        assert r.status_code == 200 and r.json()["published"] == 4  # U-A x 3 sources, U-B hotline
        again = await client.post("/api/v1/metrics/periods/2026-03/close", headers=headers(settings))
        assert again.status_code == 409
        quarter = await client.post("/api/v1/metrics/periods/2026-Q1/close", headers=headers(settings))
        assert quarter.status_code == 200 and quarter.json()["published"] == 4
        late = order("M-3", version=2, unit="U-A", repeat_of="M-1", resolved=True, satisfaction="满意",
                     status_history=[step("签收", D + "10:30:00"), step("办结", "2026-03-04T10:00:00")])
        await client.post("/api/v1/feeds/hotline/records", json=[late], headers=bearer(settings, "feed", scope="demo"))
        seen = {}

        async def both_revisions():
            message = await queue.get(no_ack=True, fail=False)
            if message is not None:
                payload = orjson.loads(message.body)["payload"]
                if (payload["unit"], payload["source"]) == ("U-A", "hotline"):
                    seen[payload["period"], payload["revision"]] = payload
            assert set(seen) == {("2026-03", 1), ("2026-03", 2), ("2026-Q1", 1), ("2026-Q1", 2)}
        await eventually(both_revisions)
        # the quarter holding the late month is republished too, February's order included
        assert seen["2026-Q1", 1]["counts"]["records"] == 4
        assert seen["2026-Q1", 2]["metrics"]["on_time_close_rate"] == 0.75
        seen = {revision: payload for (period, revision), payload in seen.items() if period == "2026-03"}
        assert seen[1]["metrics"]["on_time_close_rate"] == 0.5 and seen[1]["counts"]["records"] == 3
        assert seen[2]["metrics"]["on_time_close_rate"] == round(2 / 3, 6)
        assert seen[2]["metrics"]["on_time_sign_in_rate"] == round(2 / 3, 6)


async def test_hotline_categories_linked_to_a_target_show_on_its_page(client, worker, settings):
    target = TargetPublished(target_id="T-RIVER", book_id="B-1", year=2026, version=1, code="HD-1", title="河道综合治理",
                             category="key_work", lead_unit="U-A", leader="L-ZHANG",
                             indicator=Indicator(kind="qualitative"),
                             milestones=[MilestoneSnapshot(milestone_id="MS-R1", seq=1, due_date=date(2026, 6, 30))])
    await publish_envelopes(settings.amqp_url, [new_event(target, scope="demo", aggregate_id="T-RIVER", sequence=1)])
    r = await client.put("/api/v1/metrics/topics/河道违建/targets", json={"target_ids": ["T-RIVER"]},
                         headers=headers(settings, "target_office"))
    assert r.status_code == 200

    async def page():
        got = await client.get("/api/v1/targets/T-RIVER", headers=headers(settings, "leader"))
        assert got.status_code == 200
        return got.json()
    voice = (await eventually(page))["citizen_voice"]
    assert voice[0]["topic"] == "河道违建" and voice[0]["orders"] == 5
    listed = (await client.get("/api/v1/targets/T-RIVER/voice", headers=headers(settings, "leader"))).json()
    assert len(listed["items"]) == 5 and listed["items"][0]["category"] == "河道违建"
    assert listed["topics"][0]["metrics"]["repeat_call_rate"] == 0.2


async def test_the_clock_closes_last_month_and_publishes_it(client, worker, settings):
    day = today()
    if day.day <= 1:
        pytest.skip("on the 1st the clock does not close last month yet")
    last_month = (day.replace(day=1) - timedelta(days=1)).replace(day=15)
    connection = await aio_pika.connect(settings.amqp_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue("", exclusive=True)
        await queue.bind(await declare_events_exchange(channel), "supervision.unit_metrics.published")
        late = order("CLK-1", unit="U-CLOCK", received_at=f"{last_month.isoformat()}T09:00:00+08:00")
        await client.post("/api/v1/feeds/hotline/records", json=[late], headers=bearer(settings, "feed", scope="demo"))

        async def published():
            message = await queue.get(no_ack=True, fail=False)
            assert message is not None
            payload = orjson.loads(message.body)["payload"]
            assert payload["unit"] == "U-CLOCK"
            return payload
        payload = await eventually(published)
        assert (payload["period"], payload["revision"], payload["counts"]["records"]) == (
            last_month.strftime("%Y-%m"), 1, 1)
        r = await client.get("/api/v1/metrics/units/U-CLOCK", params={"period": last_month.strftime("%Y-%m")},
                             headers=headers(settings))
        assert r.json()["closed"] is True
